-- EventEmitter:emit throughput; twin of events_emit.js.
-- Prints one `name: <ms> ms` line per case.
local EventEmitter = require('events')

local N = 10000000

-- Wall-clock milliseconds on the monotonic clock, as the twin's
-- process.hrtime.bigint() reads it.
local hrtime = process.hrtime
local function now()
  local t = hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local sum = 0
local function bench(name, fn)
  fn(N / 10) -- warm up
  local t0 = now()
  fn(N)
  print(string.format('%s: %.1f ms', name, now() - t0))
end

local function emitter(listeners)
  local e = EventEmitter:new()
  for _ = 1, listeners do
    e:on('data', function(x) sum = sum + x end)
  end
  return e
end

local e0, e1, e3 = EventEmitter:new(), emitter(1), emitter(3)

bench('emit_0_listeners', function(n)
  local e = e0
  for i = 1, n do e:emit('data', i) end
end)

bench('emit_1_listener', function(n)
  local e = e1
  for i = 1, n do e:emit('data', i) end
end)

bench('emit_3_listeners', function(n)
  local e = e3
  for i = 1, n do e:emit('data', i) end
end)

bench('emit_1_listener_3_args', function(n)
  local e = EventEmitter:new()
  e:on('data', function(a, b, c) sum = sum + a + b + c end)
  for i = 1, n do e:emit('data', i, 1, 2) end
end)

bench('on_emit_off', function(n)
  local e = EventEmitter:new()
  local function f(x) sum = sum + x end
  for i = 1, n / 10 do
    e:on('data', f)
    e:emit('data', i)
    e:off('data', f)
  end
end)

bench('once_emit', function(n)
  local e = EventEmitter:new()
  local function f(x) sum = sum + x end
  for i = 1, n / 10 do
    e:once('data', f)
    e:emit('data', i)
  end
end)

if sum == 0 then print('unexpected sum') end
