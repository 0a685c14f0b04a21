-- timers: setTimeout, setInterval, setImmediate, their clear functions,
-- and the Timeout and Immediate objects. Cases follow Node's
-- doc/api/timers.md and test/parallel/test-timers-*.js.
local t = require('./helper')
local nowMs, busyWait, recorder = t.nowMs, t.busyWait, t.recorder
local child = require('./fixtures/proc/child')
local timers = require('timers')

t.test('the globals are the functions of the timers module', function()
  t.eq(setTimeout, timers.setTimeout)
  t.eq(setInterval, timers.setInterval)
  t.eq(setImmediate, timers.setImmediate)
  t.eq(clearTimeout, timers.clearTimeout)
  t.eq(clearInterval, timers.clearInterval)
  t.eq(clearImmediate, timers.clearImmediate)
end)

t.test('setTimeout passes its extra arguments, nil holes included', function(done)
  setTimeout(function(...)
    t.eq(select('#', ...), 4)
    local a, b, c, d = ...
    t.same({ a, b, c, d }, { 'a', nil, 3, false })
    done()
  end, 1, 'a', nil, 3, false)
end)

t.test('setTimeout with no extra arguments calls with none', function(done)
  setTimeout(function(...)
    t.eq(select('#', ...), 0)
    done()
  end, 1)
end)

t.test('setInterval passes its extra arguments on every call', function(done)
  local n = 0
  local iv
  iv = setInterval(function(x, y)
    n = n + 1
    t.eq(x, 'x')
    t.eq(y, 42)
    if n == 3 then
      clearInterval(iv)
      done()
    end
  end, 1, 'x', 42)
end)

t.test('setImmediate passes its extra arguments', function(done)
  setImmediate(function(...)
    t.eq(select('#', ...), 3)
    local a, b, c = ...
    t.same({ a, b, c }, { 1, nil, 'z' })
    done()
  end, 1, nil, 'z')
end)

t.test('an interval runs N times, then clearInterval inside its callback stops it', function(done)
  local calls = 0
  local iv
  iv = setInterval(t.mustCall(function()
    calls = calls + 1
    if calls == 5 then clearInterval(iv) end
  end, 5), 2)
  -- Long after the fifth call: no sixth one came.
  setTimeout(function()
    t.eq(calls, 5)
    done()
  end, 60)
end)

t.test('setInterval waits its delay between calls', function(done)
  local times = {}
  local iv
  iv = setInterval(function()
    times[#times + 1] = nowMs()
    if #times == 4 then
      clearInterval(iv)
      for i = 2, 4 do
        -- Node lets a timer fire up to 1 ms early through rounding.
        t.ok(times[i] - times[i - 1] >= 9,
          ('interval call %d came %.2f ms after the previous'):format(i, times[i] - times[i - 1]))
      end
      done()
    end
  end, 10)
end)

t.test('non-function callbacks raise ERR_INVALID_ARG_TYPE (test-timers-throw-when-cb-not-function)', function()
  local bad = { 'foo', { foo = 'bar' }, nil, false, 1, true }
  for i = 1, 6 do
    local v = bad[i]
    for name, fn in pairs({ setTimeout = setTimeout, setInterval = setInterval, setImmediate = setImmediate }) do
      local e = t.raises(function() fn(v, 1) end, 'ERR_INVALID_ARG_TYPE', name .. ' with ' .. tostring(v))
      t.match(e.message, 'The "callback" argument must be of type function', name)
      t.eq(e.name, 'TypeError')
    end
  end
end)

-- Node's tests cover nil, nothing and {} (test-timers-clear-null-does-not-
-- throw-error, test-timers-clear-object-does-not-throw-error); lode ignores
-- every value that is not a timer of the right kind.
t.test('clear* accept nil, nothing and garbage without error', function()
  local garbage = { nil, {}, 'x', 1, true, function() end, 0 / 0 }
  for i = 1, 7 do
    local v = garbage[i]
    clearTimeout(v)
    clearInterval(v)
    clearImmediate(v)
  end
  clearTimeout()
  clearInterval()
  clearImmediate()
end)

t.test('clearTimeout and clearInterval cancel each other\'s timers', function(done)
  clearInterval(setTimeout(t.mustNotCall('cleared with clearInterval'), 1))
  clearTimeout(setInterval(t.mustNotCall('cleared with clearTimeout'), 1))
  setTimeout(done, 20)
end)

t.test('clearTimeout before it fires: the callback never runs; clearing twice is harmless', function(done)
  local tm = setTimeout(t.mustNotCall(), 1)
  clearTimeout(tm)
  clearTimeout(tm)
  setTimeout(done, 20)
end)

t.test('clearTimeout of a fired timer is harmless', function(done)
  local tm
  tm = setTimeout(t.mustCall(function()
    setImmediate(function()
      clearTimeout(tm)
      clearTimeout(tm)
      done()
    end)
  end), 1)
end)

t.test('a timer cleared by an earlier callback due at the same time does not run', function(done)
  local second
  setTimeout(function() clearTimeout(second) end, 5)
  second = setTimeout(t.mustNotCall('cleared by the first timer'), 5)
  setTimeout(done, 30)
end)

t.test('clearImmediate cancels an immediate, also from an earlier immediate of the same turn', function(done)
  clearImmediate(setImmediate(t.mustNotCall('cleared at once')))
  local later
  setImmediate(function() clearImmediate(later) end)
  later = setImmediate(t.mustNotCall('cleared by the first immediate'))
  setImmediate(function() setImmediate(done) end)
end)

t.test('Timeout: ref, unref, hasRef, refresh and close return the timeout; hasRef follows', function()
  local tm = setTimeout(t.mustNotCall(), 1000)
  t.eq(tm:hasRef(), true, 'a new timeout is ref\'ed')
  t.eq(tm:unref(), tm)
  t.eq(tm:hasRef(), false)
  t.eq(tm:unref(), tm, 'unref twice')
  t.eq(tm:hasRef(), false)
  t.eq(tm:ref(), tm)
  t.eq(tm:hasRef(), true)
  t.eq(tm:ref(), tm, 'ref twice')
  t.eq(tm:refresh(), tm)
  t.eq(tm:close(), tm)
  local iv = setInterval(t.mustNotCall(), 1000)
  t.eq(iv:unref():ref():unref(), iv, 'chainable')
  t.eq(iv:hasRef(), false)
  clearInterval(iv)
end)

t.test('Immediate: ref and unref return the immediate; hasRef follows', function(done)
  local imm = setImmediate(t.mustCall(function() done() end))
  t.eq(imm:hasRef(), true, 'a new immediate is ref\'ed')
  t.eq(imm:unref(), imm)
  t.eq(imm:hasRef(), false)
  t.eq(imm:unref(), imm)
  t.eq(imm:ref(), imm)
  t.eq(imm:hasRef(), true)
  -- Node's test-timers-immediate-unref.js chain.
  t.eq(imm:ref():unref():unref():ref(), imm)
  t.eq(imm:hasRef(), true)
end)

t.test('an unref\'ed immediate still runs while something else keeps the loop alive', function(done)
  local ran = false
  setImmediate(function() ran = true end):unref()
  setTimeout(function()
    t.eq(ran, true)
    done()
  end, 20)
end)

t.test('an unref\'ed timeout still fires while something else keeps the loop alive', function(done)
  local fired = false
  setTimeout(function() fired = true end, 5):unref()
  setTimeout(function()
    t.eq(fired, true)
    done()
  end, 40)
end)

t.test('ref() after unref() keeps the loop alive again', function(done)
  -- The spec runner's own timeout is unref'ed: if ref() did nothing the
  -- loop would end first and this case would not finish.
  setTimeout(function() done() end, 20):unref():ref()
end)

t.test('a script holding only an unref\'ed 10 s timeout exits at once', function()
  local r = child.expect('keepalive.lua', { 'timeout' }, 0, { 'main done', 'exit 0' })
  t.ok(r.ms < 3000, ('took %d ms'):format(r.ms))
end)

t.test('a script holding only an unref\'ed 10 s interval exits at once', function()
  local r = child.expect('keepalive.lua', { 'interval' }, 0, { 'main done', 'exit 0' })
  t.ok(r.ms < 3000, ('took %d ms'):format(r.ms))
end)

t.test('refresh() keeps an unref\'ed timeout unref\'ed', function()
  local r = child.expect('keepalive.lua', { 'refreshed' }, 0, { 'main done', 'exit 0' })
  t.ok(r.ms < 3000, ('took %d ms'):format(r.ms))
end)

t.test('an unref\'ed immediate alone does not run (test-timers-immediate-unref)', function()
  child.expect('keepalive.lua', { 'immediate' }, 0, { 'main done', 'exit 0' })
end)

t.test('a timeout unref\'ed then ref\'ed keeps the script alive and fires', function()
  child.expect('keepalive.lua', { 'refagain' }, 0, { 'main done', 'fired', 'exit 0' })
end)

t.test('a delay that is not a number, below 1 or above 2^31-1 becomes 1', function(done)
  local list, rec = recorder()
  -- All of these land in the 1 ms list, so they fire in creation order,
  -- interleaved with true 1 ms timers.
  local delays = { 1, nil, 'abc', {}, true, 0 / 0, 0, -5, 0.5, -math.huge, 1, 2 ^ 31, 2 ^ 31 - 0.5 + 1, math.huge, 1e12, 1 }
  local n = 16
  local expected = {}
  for i = 1, n do
    setTimeout(rec(i), delays[i])
    expected[i] = i
  end
  setTimeout(function()
    t.same(list, expected)
    done()
  end, 30)
end)

t.test('a delay of 2^31-1 is kept, not turned into 1', function(done)
  local tm = setTimeout(t.mustNotCall('2^31-1 ms is 24.8 days'), 2 ^ 31 - 1)
  setTimeout(function()
    clearTimeout(tm)
    done()
  end, 20)
end)

t.test('non-integer delays are truncated (test-timers-non-integer-delay ordering)', function(done)
  local ordering = {}
  setTimeout(t.mustCall(function() ordering[#ordering + 1] = 1 end), 1)
  setTimeout(t.mustCall(function() ordering[#ordering + 1] = 2 end), 1.8)
  setTimeout(t.mustCall(function() ordering[#ordering + 1] = 3 end), 1.1)
  setTimeout(t.mustCall(function() ordering[#ordering + 1] = 4 end), 1)
  setTimeout(t.mustCall(function()
    t.same(ordering, { 1, 2, 3, 4 }, 'a 1.8 ms and a 1.1 ms timer are 1 ms timers')
    done()
  end), 2)
end)

t.test('a 1.1 ms interval runs 50 times and stops (test-timers-non-integer-delay)', function(done)
  local n = 50
  local iv
  iv = setInterval(t.mustCall(function()
    n = n - 1
    if n == 0 then
      clearInterval(iv)
      setTimeout(done, 10)
    end
  end, 50), 1.1)
end)

t.test('timers due at the same time fire in the order they were made', function(done)
  local list, rec = recorder()
  local expected = {}
  for i = 1, 20 do
    setTimeout(rec(i), 5)
    expected[i] = i
  end
  setTimeout(function()
    t.same(list, expected)
    done()
  end, 5)
end)

t.test('10,000 timers with random delays: each waits its delay; equal delays keep creation order', function(done)
  -- A timer is due at (the time it was made + its delay); making 10,000
  -- takes a few ms, so the creation time counts, as in Node.
  local N = 10000
  local fired, firedAt = {}, {}
  local delays, created = {}, {}
  math.randomseed(12345)
  for i = 1, N do
    local d = math.random(0, 30)
    delays[i] = d < 1 and 1 or d
    created[i] = nowMs()
    setTimeout(function()
      fired[#fired + 1] = i
      firedAt[i] = nowMs()
    end, d)
  end
  setTimeout(function()
    t.eq(#fired, N, 'all fired')
    local lastOfDelay = {}
    for k = 1, N do
      local i = fired[k]
      -- Node may fire up to 1 ms early through rounding to whole ms.
      t.ok(firedAt[i] - created[i] >= delays[i] - 1,
        ('timer %d (%d ms) fired after %.2f ms'):format(i, delays[i], firedAt[i] - created[i]))
      local prev = lastOfDelay[delays[i]]
      t.ok(prev == nil or prev < i, ('timer %d fired before timer %d, both %d ms'):format(i, prev or 0, delays[i]))
      lastOfDelay[delays[i]] = i
      -- Across delays Node promises no strict order: once a list is due it
      -- runs all its due timers before the next list, even if one of those
      -- was due a little earlier.
    end
    done()
  end, 80)
end)

t.test('the callback does not run before its delay has passed', function(done)
  local t0 = nowMs()
  setTimeout(function()
    local elapsed = nowMs() - t0
    t.ok(elapsed >= 29, ('a 30 ms timeout fired after %.2f ms'):format(elapsed))
    done()
  end, 30)
end)

t.test('a timeout set after long synchronous work still waits its whole delay', function(done)
  -- The time a timeout starts from is the time of the setTimeout call,
  -- not the time the current callback started (Node's getLibuvNow()
  -- updates the loop's time).
  setImmediate(function()
    busyWait(40)
    local t0 = nowMs()
    setTimeout(function()
      local elapsed = nowMs() - t0
      t.ok(elapsed >= 19, ('a 20 ms timeout set after 40 ms of work fired after %.2f ms'):format(elapsed))
      done()
    end, 20)
  end)
end)

t.test('nested timers created from a timer callback wait for the next turn (test-timers-nested)', function(done)
  local scenarios = { 0, 50 }
  local remaining = #scenarios
  for _, delay in ipairs(scenarios) do
    local nestedCalled = false
    setTimeout(function()
      setTimeout(function()
        nestedCalled = true
        remaining = remaining - 1
        if remaining == 0 then done() end
      end, delay)
      busyWait(delay)
      process.nextTick(function()
        t.eq(nestedCalled, false, 'nested timer of ' .. delay .. ' ms ran in the same turn')
      end)
    end, delay)
  end
end)

t.test('refresh() moves a timer after those made before the refresh (test-timers-refresh)', function(done)
  local called = false
  local tm = setTimeout(t.mustCall(function() called = true end), 1)
  setTimeout(t.mustCall(function()
    t.eq(called, false, 'the refreshed timer fired before the later one')
  end), 1)
  t.eq(tm:refresh(), tm)
  setTimeout(done, 20)
end)

t.test('refresh() of an unref\'ed timer reorders it too', function(done)
  local called = false
  local tm = setTimeout(t.mustCall(function() called = true end), 1)
  tm:unref()
  setTimeout(t.mustCall(function()
    t.eq(called, false, 'the refreshed unref\'ed timer fired before the later one')
  end), 1)
  t.eq(tm:refresh(), tm)
  setTimeout(done, 20)
end)

t.test('refresh() of an interval reorders it (test-timers-refresh)', function(done)
  local called = 0
  local iv
  iv = setInterval(t.mustCall(function()
    called = called + 1
    if called == 2 then clearInterval(iv) end
  end, 2), 1)
  setTimeout(t.mustCall(function()
    t.eq(called, 0, 'the refreshed interval fired before the later timer')
  end), 1)
  t.eq(iv:refresh(), iv)
  setTimeout(done, 30)
end)

t.test('refresh() pushes the expiry back by the whole delay', function(done)
  local refreshedAt
  local tm = setTimeout(function()
    t.ok(refreshedAt ~= nil, 'fired before it was refreshed')
    local elapsed = nowMs() - refreshedAt
    t.ok(elapsed >= 39, ('fired %.2f ms after the refresh, expected >= 40'):format(elapsed))
    done()
  end, 40)
  setTimeout(function()
    refreshedAt = nowMs()
    tm:refresh()
  end, 20)
end)

t.test('refresh() inside its own callback runs it again (test-timers-refresh-in-callback)', function(done)
  local didCall = false
  local tm
  tm = setTimeout(t.mustCall(function()
    if not didCall then
      didCall = true
      tm:refresh()
    else
      done()
    end
  end, 2), 1)
end)

t.test('refresh() after the timer fired reactivates it and keeps the loop alive', function(done)
  local n = 0
  local tm
  tm = setTimeout(function()
    n = n + 1
    if n == 1 then
      -- From another callback, once the timer has fired.
      setImmediate(function()
        t.eq(tm:refresh(), tm)
        t.eq(tm:hasRef(), true)
      end)
    elseif n == 2 then
      setTimeout(function()
        t.eq(n, 2, 'a reactivated timeout fires once')
        done()
      end, 20)
    end
  end, 2)
end)

t.test('refresh() after clearTimeout or close does nothing', function(done)
  local a = setTimeout(t.mustNotCall('refreshed after clearTimeout'), 1)
  clearTimeout(a)
  t.eq(a:refresh(), a)
  local b = setTimeout(t.mustNotCall('refreshed after close'), 1)
  b:close()
  t.eq(b:refresh(), b)
  local c = setInterval(t.mustNotCall('refreshed after clearInterval'), 1)
  clearInterval(c)
  c:refresh()
  setTimeout(done, 20)
end)

t.test('close() cancels a timeout and an interval', function(done)
  local tm = setTimeout(t.mustNotCall(), 1)
  t.eq(tm:close(), tm)
  local iv = setInterval(t.mustNotCall(), 1)
  iv:close()
  setTimeout(done, 20)
end)

t.test('an interval closed inside its own callback stops', function(done)
  local n = 0
  local iv
  iv = setInterval(t.mustCall(function()
    n = n + 1
    if n == 2 then iv:close() end
  end, 2), 1)
  setTimeout(done, 30)
end)

t.test('a timer that raises does not stop the others due with it (test-timers-uncaught-exception)', function(done)
  local caught = {}
  local function onError(err) caught[#caught + 1] = err end
  process:on('uncaughtException', onError)
  setTimeout(t.mustCall(function() error('BAM!', 0) end), 1)
  setTimeout(t.mustCall(), 1)
  setTimeout(function()
    process:removeListener('uncaughtException', onError)
    t.same(caught, { 'BAM!' })
    done()
  end, 20)
end)

t.test('an immediate that raises does not stop the rest of the queue', function(done)
  local caught = {}
  local function onError(err) caught[#caught + 1] = err end
  process:on('uncaughtException', onError)
  local list, rec = recorder()
  setImmediate(function() error('first', 0) end)
  setImmediate(rec('second'))
  setImmediate(rec('third'))
  setTimeout(function()
    process:removeListener('uncaughtException', onError)
    t.same(caught, { 'first' })
    t.same(list, { 'second', 'third' })
    done()
  end, 20)
end)

t.test('a timer keeps working across many refreshes (a debounce)', function(done)
  local fired = 0
  local tm = setTimeout(function() fired = fired + 1 end, 50)
  local n = 0
  local iv
  iv = setInterval(function()
    n = n + 1
    t.eq(fired, 0, 'fired while being refreshed every 2 ms')
    tm:refresh()
    if n == 10 then
      clearInterval(iv)
      setTimeout(function()
        t.eq(fired, 1, 'fired once after the last refresh')
        done()
      end, 100)
    end
  end, 2)
end)

-- A method called on the wrong object ----------------------------------------

t.test('Immediate methods on a wrong object raise ERR_INVALID_THIS and change nothing', function(done)
  local ffi = require('ffi')
  local bad = { 1, 2, 3 }
  for _, m in ipairs({ 'ref', 'unref', 'hasRef' }) do
    local err = t.raises(function() timers.Immediate[m](bad) end, 'ERR_INVALID_THIS')
    t.eq(err.message, 'Value of "this" must be of type Immediate')
    t.raises(function() timers.Immediate[m](ffi.new('int[3]')) end, 'ERR_INVALID_THIS')
    t.raises(function() timers.Immediate[m](nil) end, 'ERR_INVALID_THIS')
    t.raises(function() timers.Immediate[m](setmetatable({}, timers.Immediate)) end, 'ERR_INVALID_THIS')
  end
  t.same(bad, { 1, 2, 3 })
  -- The count of ref'ed immediates is intact: this one still runs.
  setImmediate(t.mustCall(done))
end)

t.test('Timeout methods on a wrong object raise ERR_INVALID_THIS and change nothing', function(done)
  local ffi = require('ffi')
  local bad = { flags = 3, id = 1, duration = 5, pos = 0, start = 0 }
  for _, m in ipairs({ 'ref', 'unref', 'hasRef', 'refresh', 'close' }) do
    local err = t.raises(function() timers.Timeout[m](bad) end, 'ERR_INVALID_THIS')
    t.eq(err.message, 'Value of "this" must be of type Timeout')
    t.raises(function() timers.Timeout[m](ffi.new('int[4]')) end, 'ERR_INVALID_THIS')
    t.raises(function() timers.Timeout[m]('x') end, 'ERR_INVALID_THIS')
  end
  t.same(bad, { flags = 3, id = 1, duration = 5, pos = 0, start = 0 })
  setTimeout(t.mustCall(done), 1)
end)

t.test('the loop hooks are not reachable from require("timers")', function()
  t.eq(timers._processTimers, nil)
  t.eq(timers._processImmediates, nil)
  for k, v in pairs(timers) do
    t.ok(not (type(k) == 'string' and k:sub(1, 1) == '_'), 'internal field ' .. tostring(k) .. ' exported')
    t.ok(type(v) == 'function' or type(v) == 'table', tostring(k))
  end
end)
