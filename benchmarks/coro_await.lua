-- What a coroutine wait costs; twin of coro_await.js (await on Promises).
-- await_sync: coro.await of a function that calls back at once (the
-- resume is deferred to a microtask, as an await of a resolved Promise);
-- await_immediate and callback_immediate: the same chain of setImmediate
-- steps, awaited from a coroutine and in the callback style.
-- Prints `<case>: <ns> ns/op`.
local coro = require('coro')

local N = 1000000

local function now()
  local t = process.hrtime()
  return t[1] * 1e9 + t[2]
end

local function syncCb(cb) cb(nil, 1) end
local function immediateCb(cb) setImmediate(cb) end

local results = {}
local function report(name, t0, n)
  print(('%s: %.1f ns/op'):format(name, (now() - t0) / n))
end

local function callbackChain(n, done)
  local i = 0
  local function step()
    i = i + 1
    if i < n then setImmediate(step) else done() end
  end
  setImmediate(step)
end

coro.run(function()
  local await = coro.await
  local t0 = now()
  for _ = 1, N do await(syncCb) end
  report('await_sync', t0, N)
  t0 = now()
  for _ = 1, N / 4 do await(immediateCb) end
  report('await_immediate', t0, N / 4)
  t0 = now()
  callbackChain(N / 4, function() report('callback_immediate', t0, N / 4) end)
end)
