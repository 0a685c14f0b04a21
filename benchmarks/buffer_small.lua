-- Memory per small Buffer: one million live 16-byte Buffers, made with
-- Buffer.alloc(16) and with Buffer.from(<16-byte string>). Prints the
-- growth of the Lua heap plus the bytes held outside it, per Buffer, and
-- the time to make them. Twin: buffer_small.js (V8 heap plus external).
local Buffer = Buffer or require('buffer').Buffer
-- Wall-clock milliseconds on the monotonic clock, as the twin's
-- process.hrtime.bigint() reads it.
local hrtime = process.hrtime
local function now()
  local t = hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end
local N = 1000000

local function used()
  local ext
  if type(process) == 'table' and process.memoryUsage then
    ext = process.memoryUsage().external
  else
    ext = require('buffer')._external()
  end
  return collectgarbage('count') * 1024 + ext
end

local function measure(name, make)
  collectgarbage()
  collectgarbage()
  local m0 = used()
  local t0 = now()
  local keep = {}
  for i = 1, N do keep[i] = make(i) end
  local t1 = now()
  collectgarbage()
  local m1 = used()
  print(string.format('%s: %d bytes', name, math.floor((m1 - m0) / #keep + 0.5)))
  print(string.format('%s_time: %.1f ms', name, t1 - t0))
  keep = nil
  collectgarbage()
  collectgarbage()
end

measure('bytes_per_buffer', function() return Buffer.alloc(16) end)
local s = '0123456789abcdef'
measure('bytes_per_buffer_from', function() return Buffer.from(s) end)
