-- A small UDP request/response tool: a server that answers each datagram
-- with the same bytes, and a client that sends N pings and prints their
-- round-trip times.
--
--   lode examples/udp-ping.lua                  both in one process, 5 pings
--   lode examples/udp-ping.lua server [port]    only the server (default 41234)
--   lode examples/udp-ping.lua client [port] [host] [count]
local dgram = require('dgram')

local mode = process.argv[2] or 'both'
local port = tonumber(process.argv[3]) or 41234
local host = process.argv[4] or '127.0.0.1'
local count = tonumber(process.argv[5]) or 5

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local function server(p, ready)
  local sock = dgram.createSocket('udp4')
  sock:on('message', function(msg, rinfo)
    sock:send(msg, rinfo.port, rinfo.address)
  end)
  sock:on('error', function(err)
    print('server error: ' .. err.message)
    sock:close()
  end)
  sock:bind(p, '127.0.0.1', function()
    local a = sock:address()
    print(('server listening on %s:%d'):format(a.address, a.port))
    if ready then ready(a.port) end
  end)
  return sock
end

-- Sends one ping at a time and waits up to a second for its answer.
local function client(p, h, n, finished)
  local sock = dgram.createSocket('udp4')
  local seq, sentAt, timer, times = 0, 0, nil, {}
  local function ping()
    seq = seq + 1
    if seq > n then
      local sum, min, max = 0, math.huge, 0
      for _, ms in ipairs(times) do
        sum = sum + ms
        if ms < min then min = ms end
        if ms > max then max = ms end
      end
      if #times > 0 then
        print(('%d/%d answered, min/avg/max = %.3f/%.3f/%.3f ms'):format(#times, n, min, sum / #times, max))
      else
        print(('0/%d answered'):format(n))
      end
      sock:close(finished)
      return
    end
    sentAt = now()
    sock:send('ping ' .. seq, p, h)
    timer = setTimeout(function()
      print(('ping %d: no answer'):format(seq))
      ping()
    end, 1000)
  end
  sock:on('message', function(msg, rinfo)
    if msg ~= 'ping ' .. seq then return end -- a late answer
    clearTimeout(timer)
    local ms = now() - sentAt
    times[#times + 1] = ms
    print(('%d bytes from %s:%d: seq=%d time=%.3f ms'):format(rinfo.size, rinfo.address, rinfo.port, seq, ms))
    ping()
  end)
  sock:on('error', function(err)
    print('client error: ' .. err.message)
    clearTimeout(timer)
    sock:close(finished)
  end)
  ping()
end

if mode == 'server' then
  server(port)
elseif mode == 'client' then
  client(port, host, count)
else
  -- Both in one process, on a free port; the server closes after the client.
  local srv
  srv = server(0, function(p)
    client(p, '127.0.0.1', count, function() srv:close() end)
  end)
end
