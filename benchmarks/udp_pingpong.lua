-- UDP over loopback in one process; twin of udp_pingpong.js.
--  pingpong: N round trips between two connected sockets, 64-byte datagrams.
--  burst: M 64-byte datagrams sent from one socket to another as fast as
--  the receiver keeps up (the sender waits when BATCH are in flight),
--  counting what arrived.
-- Prints `label: <number> <unit>` lines.
local dgram = require('dgram')
local N = tonumber(process.env.N) or 100000
local M = tonumber(process.env.M) or 1000000
local BATCH = 256
local payload = Buffer.alloc(64, 'x')

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local function burst()
  local rx, tx = dgram.createSocket('udp4'), dgram.createSocket('udp4')
  rx:bind(0, '127.0.0.1', function()
    rx:setRecvBufferSize(4 * 1024 * 1024)
    tx:connect(rx:address().port, '127.0.0.1', function()
      local got, sent, t0, done = 0, 0, now(), false
      local idle, pump
      local function finish()
        if done then return end
        done = true
        local ms = now() - t0
        print(('burst: %d datagrams/s'):format(math.floor(got / ms * 1000 + 0.5)))
        print(('burst arrived: %.1f %%'):format(got / M * 100))
        clearTimeout(idle)
        rx:close()
        tx:close()
      end
      rx:on('message', function()
        got = got + 1
        if got == M then finish()
        elseif got % BATCH == 0 then pump() end
      end)
      pump = function()
        clearTimeout(idle)
        -- Keep at most BATCH * 4 datagrams ahead of the receiver.
        while sent < M and sent - got < BATCH * 4 do
          tx:send(payload)
          sent = sent + 1
        end
        if sent == M then idle = setTimeout(finish, 200)
        else idle = setTimeout(pump, 1) end
      end
      pump()
    end)
  end)
end

local function pingpong(next)
  local a, b = dgram.createSocket('udp4'), dgram.createSocket('udp4')
  a:bind(0, '127.0.0.1', function() b:bind(0, '127.0.0.1', function()
    a:connect(b:address().port, '127.0.0.1', function() b:connect(a:address().port, '127.0.0.1', function()
      local n, t0 = 0, now()
      b:on('message', function(msg) b:send(msg) end)
      a:on('message', function(msg)
        n = n + 1
        if n == N then
          local ms = now() - t0
          print(('pingpong: %d round trips/s'):format(math.floor(N / ms * 1000 + 0.5)))
          a:close()
          b:close(next)
          return
        end
        a:send(msg)
      end)
      a:send(payload)
    end) end)
  end) end)
end

pingpong(burst)
