-- The order of callbacks in the event loop: Node's CommonJS rules.
--   * the nextTick queue is drained after the main chunk and after every
--     callback, before any other immediate or timer runs;
--   * a tick queued by a tick runs in the same drain;
--   * immediates run in the check phase; one queued by an immediate waits
--     for the next turn of the loop;
--   * inside an I/O callback (poll phase) setImmediate runs before a 0 ms
--     timeout.
-- Each case records events into a list and compares the whole list. Ported
-- from Node's test-next-tick-*.js, test-timers-next-tick.js,
-- test-timers-immediate-queue.js and the event-loop guide.
local t = require('./helper')
local nowMs, busyWait, recorder = t.nowMs, t.busyWait, t.recorder

-- What the main chunk schedules, before any case is registered (the
-- runner's own first tick is queued by the first t.test call below).
local mainOrder = {}
local function mainRec(name) return function() mainOrder[#mainOrder + 1] = name end end
setTimeout(mainRec('timeout'), 0)
setImmediate(mainRec('immediate'))
local seenByTick
process.nextTick(function()
  mainOrder[#mainOrder + 1] = 'tick'
  seenByTick = { unpack(mainOrder) }
end)
mainOrder[#mainOrder + 1] = 'main'

t.test('the main chunk\'s ticks run right after it, before any immediate or timer', function()
  t.same(seenByTick, { 'main', 'tick' })
end)

t.test('...and the main chunk\'s immediate and timeout both run after that', function(done)
  setTimeout(function()
    t.eq(#mainOrder, 4)
    t.eq(mainOrder[1], 'main')
    t.eq(mainOrder[2], 'tick')
    local rest = { mainOrder[3], mainOrder[4] }
    table.sort(rest)
    t.same(rest, { 'immediate', 'timeout' })
    done()
  end, 20)
end)

t.test('a tick queued in a tick runs before a timeout queued earlier in that tick (test-next-tick-ordering2)', function(done)
  local order, rec = recorder()
  process.nextTick(function()
    setTimeout(rec('setTimeout'), 0)
    process.nextTick(rec('nextTick'))
  end)
  setTimeout(function()
    t.same(order, { 'nextTick', 'setTimeout' })
    done()
  end, 20)
end)

t.test('ticks run after each immediate, before the next immediate', function(done)
  local order, rec = recorder()
  setImmediate(rec('A', function() process.nextTick(rec('tick A')) end))
  setImmediate(rec('B', function() process.nextTick(rec('tick B')) end))
  setImmediate(rec('C'))
  setTimeout(function()
    t.same(order, { 'A', 'tick A', 'B', 'tick B', 'C' })
    done()
  end, 20)
end)

t.test('ticks run after each timer, before the next timer due at the same time', function(done)
  local order, rec = recorder()
  setTimeout(rec('A', function() process.nextTick(rec('tick A')) end), 2)
  setTimeout(rec('B', function() process.nextTick(rec('tick B')) end), 2)
  setTimeout(rec('C'), 2)
  setTimeout(function()
    t.same(order, { 'A', 'tick A', 'B', 'tick B', 'C' })
    done()
  end, 20)
end)

t.test('a tick may clear timers and immediates due next (test-timers-next-tick)', function(done)
  local t2, t3, i2, i3
  setTimeout(t.mustCall(function()
    process.nextTick(function()
      clearTimeout(t2)
      clearTimeout(t3)
    end)
  end), 1)
  t2 = setTimeout(t.mustNotCall('t2'), 1)
  t3 = setTimeout(t.mustNotCall('t3'), 1)
  setTimeout(t.mustCall(), 1)
  setImmediate(t.mustCall(function()
    process.nextTick(function()
      clearImmediate(i2)
      clearImmediate(i3)
    end)
  end))
  i2 = setImmediate(t.mustNotCall('i2'))
  i3 = setImmediate(t.mustNotCall('i3'))
  setImmediate(t.mustCall())
  setTimeout(done, 20)
end)

t.test('ticks queued by ticks all run in the same drain, before the next immediate', function(done)
  local order, rec = recorder()
  setImmediate(rec('A', function()
    process.nextTick(rec('tick 1', function()
      process.nextTick(rec('tick 2', function()
        process.nextTick(rec('tick 3'))
      end))
    end))
  end))
  setImmediate(rec('B'))
  setTimeout(function()
    t.same(order, { 'A', 'tick 1', 'tick 2', 'tick 3', 'B' })
    done()
  end, 20)
end)

t.test('a chain of 10,000 ticks runs before an immediate queued before it', function(done)
  local n = 0
  local immediateSaw
  setImmediate(function() immediateSaw = n end)
  local function tick()
    n = n + 1
    if n < 10000 then process.nextTick(tick) end
  end
  process.nextTick(tick)
  setTimeout(function()
    t.eq(immediateSaw, 10000)
    done()
  end, 20)
end)

t.test('nextTick passes its extra arguments, nil holes included', function(done)
  process.nextTick(function(...)
    t.eq(select('#', ...), 4)
    local a, b, c, d = ...
    t.same({ a, b, c, d }, { 1, nil, 'x', false })
    done()
  end, 1, nil, 'x', false)
end)

t.test('nextTick with a non-function raises ERR_INVALID_ARG_TYPE', function()
  for _, v in ipairs({ 1, 'f', {}, true }) do
    local e = t.raises(function() process.nextTick(v) end, 'ERR_INVALID_ARG_TYPE')
    t.match(e.message, 'The "callback" argument must be of type function')
  end
  t.raises(function() process.nextTick() end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() process.nextTick(nil, 1) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('ticks run in the order they were queued', function(done)
  local order = {}
  for i = 1, 50 do process.nextTick(function() order[#order + 1] = i end) end
  setImmediate(function()
    local expected = {}
    for i = 1, 50 do expected[i] = i end
    t.same(order, expected)
    done()
  end)
end)

t.test('a tick that raises does not stop the rest of the queue', function(done)
  local caught = {}
  local function onError(err) caught[#caught + 1] = err end
  process:on('uncaughtException', onError)
  local order, rec = recorder()
  process.nextTick(function() error('tick error', 0) end)
  process.nextTick(rec('second tick'))
  setImmediate(rec('immediate'))
  setTimeout(function()
    process:removeListener('uncaughtException', onError)
    t.same(caught, { 'tick error' })
    t.same(order, { 'second tick', 'immediate' })
    done()
  end, 20)
end)

t.test('immediates run in the order they were queued', function(done)
  local order = {}
  for i = 1, 100 do setImmediate(function() order[#order + 1] = i end) end
  setTimeout(function()
    t.eq(#order, 100)
    for i = 1, 100 do t.eq(order[i], i) end
    done()
  end, 20)
end)

t.test('an immediate queued by an immediate runs after the rest of the current queue', function(done)
  local order, rec = recorder()
  setImmediate(rec('A', function() setImmediate(rec('C')) end))
  setImmediate(rec('B'))
  setTimeout(function()
    t.same(order, { 'A', 'B', 'C' })
    done()
  end, 20)
end)

t.test('an immediate queued by an immediate waits for the next turn: a due timer runs first', function(done)
  -- From a timer callback: T is due 1 ms later; the busy wait makes sure
  -- it is due when the next turn's timers phase comes. A runs in this
  -- turn's check phase and queues C, which must wait for the next turn,
  -- whose timers phase runs T first. Deterministic in Node too.
  local order, rec = recorder()
  setTimeout(function()
    setTimeout(rec('T'), 1)
    setImmediate(rec('A', function() setImmediate(rec('C')) end))
    busyWait(5)
  end, 1)
  setTimeout(function()
    t.same(order, { 'A', 'T', 'C' })
    done()
  end, 40)
end)

t.test('immediates queued while the queue runs never starve the loop (test-timers-immediate-queue)', function(done)
  -- 1000 immediates each queue one more: each turn runs only the 1000 that
  -- were queued before it started, so a timer gets in between.
  local QUEUE = 1000
  local hits, stop = 0, false
  local function run()
    if stop then return end
    hits = hits + 1
    setImmediate(run)
  end
  -- Queued from a timer callback, so the first generation runs in the
  -- check phase of this very turn, before the 1 ms timer can be due.
  setTimeout(function()
    for _ = 1, QUEUE do setImmediate(run) end
    setTimeout(function()
      stop = true
      t.ok(hits >= QUEUE, 'every first-generation immediate ran, got ' .. hits)
      t.eq(hits % QUEUE, 0, 'the timer came between two whole turns of the queue')
      setImmediate(done)
    end, 1)
  end, 1)
end)

t.test('in a timer callback, setImmediate runs before a 0 ms timeout', function(done)
  -- The timers phase is over when the callback runs, so the check phase
  -- of the same turn comes first. Ten times, to leave no luck.
  local order, rec = recorder()
  local rounds = 0
  local function round()
    rounds = rounds + 1
    setTimeout(rec('timeout ' .. rounds), 0)
    setImmediate(rec('immediate ' .. rounds))
    if rounds < 10 then setTimeout(round, 2) end
  end
  setTimeout(round, 1)
  setTimeout(function()
    local expected = {}
    for i = 1, 10 do
      expected[#expected + 1] = 'immediate ' .. i
      expected[#expected + 1] = 'timeout ' .. i
    end
    t.same(order, expected)
    done()
  end, 100)
end)

t.test('in an I/O callback (a signal, poll phase), setImmediate runs before a 0 ms timeout', function(done)
  -- There is no fs yet: a signal listener is called from libuv's poll
  -- phase, as an fs or socket callback would be. Node's guide: "within an
  -- I/O cycle, the immediate callback is always executed first".
  local order, rec = recorder()
  local keep = setTimeout(function() end, 2000) -- signals do not keep the loop alive
  local rounds = 0
  local function onSignal(name)
    rounds = rounds + 1
    t.eq(name, 'SIGUSR2')
    setTimeout(rec('timeout ' .. rounds), 0)
    setImmediate(rec('immediate ' .. rounds))
    process.nextTick(rec('tick ' .. rounds))
    if rounds < 5 then
      setTimeout(function() process.kill(process.pid, 'SIGUSR2') end, 2)
    else
      setTimeout(function()
        process:removeListener('SIGUSR2', onSignal)
        clearTimeout(keep)
        local expected = {}
        for i = 1, 5 do
          expected[#expected + 1] = 'tick ' .. i
          expected[#expected + 1] = 'immediate ' .. i
          expected[#expected + 1] = 'timeout ' .. i
        end
        t.same(order, expected)
        done()
      end, 20)
    end
  end
  process:on('SIGUSR2', onSignal)
  process.kill(process.pid, 'SIGUSR2')
end)

t.test('a tick queued by a timer runs before an immediate queued by the same timer', function(done)
  local order, rec = recorder()
  setTimeout(function()
    setImmediate(rec('immediate'))
    process.nextTick(rec('tick'))
  end, 1)
  setTimeout(function()
    t.same(order, { 'tick', 'immediate' })
    done()
  end, 20)
end)

t.test('the loop time seen by timers advances between turns, not during a callback', function(done)
  -- A 0 ms (1 ms) timeout set by a timer callback does not run in the same
  -- timers phase, even when the callback took longer than 1 ms.
  local order, rec = recorder()
  setTimeout(function()
    setTimeout(rec('inner'), 0)
    busyWait(5)
    process.nextTick(rec('tick'))
    setImmediate(rec('immediate'))
  end, 1)
  setTimeout(rec('sibling'), 1)
  setTimeout(function()
    -- 'sibling' runs in the same timers phase unless the millisecond
    -- changed between the two setTimeout calls (each reads a fresh loop
    -- time, as Node's getLibuvNow does); 'inner' always waits a turn.
    t.eq(order[1], 'tick')
    local pos = {}
    for i, name in ipairs(order) do pos[name] = i end
    t.eq(#order, 4)
    t.ok(pos.immediate < pos.inner, 'the immediate runs before the inner timeout')
    t.ok(pos.sibling < pos.inner, 'the sibling runs before the inner timeout')
    done()
  end, 30)
end)

t.test('queueMicrotask runs after the whole nextTick queue, as in Node', function(done)
  local order, rec = recorder()
  -- The example of Node's process.nextTick docs: ticks first, then microtasks.
  queueMicrotask(rec('micro 1'))
  process.nextTick(function()
    rec('tick 1')()
    queueMicrotask(rec('micro from tick'))
  end)
  queueMicrotask(function()
    rec('micro 2')()
    process.nextTick(rec('tick from micro'))
  end)
  t.same(order, {})
  setImmediate(function()
    t.same(order, { 'tick 1', 'micro 1', 'micro 2', 'micro from tick', 'tick from micro' })
    done()
  end)
end)

t.test('microtasks queued by an immediate run before the next immediate', function(done)
  local order, rec = recorder()
  setImmediate(function()
    rec('immediate 1')()
    queueMicrotask(rec('micro'))
    process.nextTick(rec('tick'))
  end)
  setImmediate(function()
    rec('immediate 2')()
    t.same(order, { 'immediate 1', 'tick', 'micro', 'immediate 2' })
    done()
  end)
end)

t.test('queueMicrotask checks its argument', function()
  t.raises(function() queueMicrotask('x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() queueMicrotask() end, 'ERR_INVALID_ARG_TYPE')
end)
