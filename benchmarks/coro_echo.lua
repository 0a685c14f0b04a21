-- TCP echo on 127.0.0.1, the server in the callback style and in the
-- coroutine style (one coroutine per connection reading chunks, or lines,
-- in a loop and writing back with coro.write); twin of coro_echo.js, whose
-- second style is async/await with for await. The load is the same
-- callback-style client for every server: CLIENTS connections in this
-- process, each sending one 64-byte line and waiting for its echo,
-- MESSAGES round trips in all. Then IDLE connections are opened and left
-- idle, and the memory they hold is divided by their number.
-- Prints `<style>: <n> msg/s` and `<style>_idle: <n> B/conn`.
local net = require('net')
local coro = require('coro')

local CLIENTS, MESSAGES, IDLE = 50, 200000, 300
local LINE = string.rep('x', 63) .. '\n'

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local servers = {
  callback = function(sock)
    sock:on('data', function(chunk) sock:write(chunk) end)
  end,
  coro = function(sock)
    coro.run(function()
      for chunk in sock:iter() do coro.write(sock, chunk) end
      sock:finish()
    end)
  end,
  coro_lines = function(sock)
    coro.run(function()
      for line in sock:lines() do coro.write(sock, line .. '\n') end
      sock:finish()
    end)
  end,
}

-- Runs the load against a server, then calls done(msgPerSec).
local function load(port, done)
  local left, open, t0 = MESSAGES, CLIENTS, now()
  for _ = 1, CLIENTS do
    local c = net.connect(port, '127.0.0.1')
    c:on('connect', function() c:write(LINE) end)
    c:on('data', function()
      left = left - 1
      if left > 0 then c:write(LINE) else c:destroy() end
    end)
    c:on('close', function()
      open = open - 1
      if open == 0 then done(MESSAGES / (now() - t0) * 1e3) end
    end)
  end
end

-- Opens IDLE connections, waits until the server holds them all, and
-- returns the bytes of Lua memory each one costs (both ends included).
local function idle(port, server, done)
  local accepted, clients = 0, {}
  collectgarbage('collect')
  collectgarbage('collect')
  local before = collectgarbage('count')
  server:on('connection', function()
    accepted = accepted + 1
    if accepted == IDLE then
      setTimeout(function()
        collectgarbage('collect')
        collectgarbage('collect')
        local per = (collectgarbage('count') - before) * 1024 / IDLE
        for i = 1, IDLE do clients[i]:destroy() end
        done(per)
      end, 20)
    end
  end)
  for i = 1, IDLE do clients[i] = net.connect(port, '127.0.0.1') end
end

local order = { 'callback', 'coro', 'coro_lines', 'callback', 'coro', 'coro_lines' }
local function run(i)
  local style = order[i]
  if not style then return end
  local server = net.createServer(servers[style])
  server:listen(0, '127.0.0.1', function()
    local port = server:address().port
    load(port, function(rate)
      print(('%s: %.0f msg/s'):format(style, rate))
      idle(port, server, function(per)
        print(('%s_idle: %.0f B/conn'):format(style, per))
        server:close()
        setTimeout(run, 10, i + 1)
      end)
    end)
  end)
end
run(1)
