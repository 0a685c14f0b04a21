-- coro: the coroutine style over callbacks, timers and EventEmitters.
-- Cases follow issue 11 (run, await, wrap, sleep, once, all, race,
-- isInside, write, finish; resumed once, from the loop, never a dead or a
-- foreign coroutine) and, for once, Node's test/parallel/test-events-once.js.
local t = require('./helper')
local coro = require('coro')
local EventEmitter = require('events')

-- A case whose body runs in a coroutine of coro.run; an error in it fails
-- the case, and done is called when the body returns.
local function co(name, fn, timeout)
  t.test(name, function(done)
    coro.run(function()
      local ok, err = xpcall(fn, function(e)
        return type(e) == 'table' and tostring(e) .. '\n' .. debug.traceback('', 2) or debug.traceback(tostring(e), 2)
      end)
      done(not ok and err or nil)
    end)
  end, timeout)
end

-- A user function in the callback style: calls cb(err, ...) after ms.
local function later(ms, err, ...)
  local n, args = select('#', ...), { ... }
  return function(cb) setTimeout(function() cb(err, unpack(args, 1, n)) end, ms) end
end

t.test('the module has exactly the names of the coroutine style', function()
  local names = {}
  for k in pairs(coro) do names[#names + 1] = k end
  table.sort(names)
  t.same(names, { 'all', 'await', 'finish', 'isInside', 'once', 'race', 'run', 'sleep', 'wrap', 'write' })
end)

t.test('run starts the function at once with its arguments and returns the coroutine', function()
  local seen
  local c = coro.run(function(a, b) seen = { a, b, coro.isInside() } end, 1, 'two')
  t.same(seen, { 1, 'two', true })
  t.eq(type(c), 'thread')
  t.eq(coroutine.status(c), 'dead')
end)

t.test('run, await, wrap and sleep check their arguments before anything else', function()
  t.raises(function() coro.run(42) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.run() end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.wrap('f') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.await(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.sleep('10') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.sleep(-1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() coro.once({}, 'x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.once(EventEmitter:new(), nil) end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() coro.once(EventEmitter:new(), 'x', 'soon') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.all('fns') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.all({ function() end, 3 }) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.race({}, {}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.write(nil, 'x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() coro.finish({ write = function() end }) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('waiting outside a coroutine raises ERR_CORO_OUTSIDE and starts nothing', function()
  local called = false
  local e = t.raises(function() coro.await(function() called = true end) end, 'ERR_CORO_OUTSIDE')
  t.match(e.message, 'coro%.run')
  t.eq(called, false)
  t.raises(function() coro.sleep(1000) end, 'ERR_CORO_OUTSIDE')
  local em = EventEmitter:new()
  t.raises(function() coro.once(em, 'x') end, 'ERR_CORO_OUTSIDE')
  t.eq(em:listenerCount('x'), 0)
  t.eq(em:listenerCount('error'), 0)
  t.raises(function() coro.all({ t.mustNotCall() }) end, 'ERR_CORO_OUTSIDE')
  t.raises(function() coro.race({ t.mustNotCall() }) end, 'ERR_CORO_OUTSIDE')
  t.raises(function() coro.write({ write = t.mustNotCall() }, 'x') end, 'ERR_CORO_OUTSIDE')
  t.eq(coro.isInside(), false)
end)

t.test('a coroutine coro did not start is outside too, even inside coro.run', function()
  local results = {}
  coro.run(function()
    local gen = coroutine.wrap(function()
      results[#results + 1] = coro.isInside()
      local ok, e = pcall(coro.sleep, 1)
      results[#results + 1] = not ok and e.code
      local ok2, e2 = pcall(coro.await, function(cb) cb() end)
      results[#results + 1] = not ok2 and e2.code
    end)
    gen()
    results[#results + 1] = coro.isInside()
  end)
  t.same(results, { false, 'ERR_CORO_OUTSIDE', 'ERR_CORO_OUTSIDE', true })
  local plain = coroutine.create(function() return pcall(coro.await, function() end) end)
  local _, ok, e = coroutine.resume(plain)
  t.eq(ok, false)
  t.eq(e.code, 'ERR_CORO_OUTSIDE')
end)

co('await returns the results after err of a user callback function', function()
  local a, b, c = coro.await(later(5, nil, 1, nil, 'three'))
  t.same({ a, b, c }, { 1, nil, 'three' })
  t.eq(select('#', coro.await(later(1, nil))), 0)
end)

co('await passes its arguments before the callback, however many', function()
  local function add(...)
    local n = select('#', ...)
    local cb = select(n, ...)
    local s = 0
    for i = 1, n - 1 do s = s + (select(i, ...) or 100) end
    setTimeout(cb, 1, nil, s, n - 1)
  end
  t.same({ coro.await(add) }, { 0, 0 })
  t.same({ coro.await(add, 1) }, { 1, 1 })
  t.same({ coro.await(add, 1, 2) }, { 3, 2 })
  t.same({ coro.await(add, 1, 2, 3) }, { 6, 3 })
  t.same({ coro.await(add, 1, nil, 3, 4, nil) }, { 208, 5 })
end)

co('await raises the error table the callback gave', function()
  local err = { code = 'EBOOM', message = 'boom' }
  local ok, e = pcall(coro.await, later(2, err, 'ignored'))
  t.eq(ok, false)
  t.eq(e, err)
  -- The coroutine goes on waiting after a caught error.
  t.eq(coro.await(later(1, nil, 'after')), 'after')
end)

co('a callback called synchronously resumes after the call returned, from the loop', function()
  local order = {}
  local v = coro.await(function(cb)
    cb(nil, 'sync')
    order[#order + 1] = 'call returned'
  end)
  order[#order + 1] = 'resumed ' .. v
  t.same(order, { 'call returned', 'resumed sync' })
end)

co('a callback called synchronously with an error raises it after the call', function()
  local ok, e = pcall(coro.await, function(cb) cb('bad') end)
  t.same({ ok, e }, { false, 'bad' })
end)

co('a callback that fires twice resumes once', function()
  local saved
  local v = coro.await(function(cb)
    saved = cb
    setTimeout(function() cb(nil, 1) cb(nil, 2) end, 1)
  end)
  t.eq(v, 1)
  -- The stale callback, called again while the coroutine waits on another
  -- wait, does not end that wait.
  local w = coro.await(function(cb)
    setTimeout(function() saved(nil, 'stale') end, 1)
    setTimeout(cb, 5, nil, 'fresh')
  end)
  t.eq(w, 'fresh')
end)

t.test('a callback called after its coroutine died resumes nothing', function(done)
  local saved
  local c = coro.run(function()
    coro.await(function(cb) saved = cb cb() end)
  end)
  setTimeout(function()
    t.eq(coroutine.status(c), 'dead')
    saved(nil, 'late')
    saved('late error')
    setTimeout(done, 1)
  end, 5)
end)

co('wrap makes a function that awaits', function()
  local readLater = coro.wrap(function(x, y, cb) setTimeout(cb, 1, nil, x + y) end)
  t.eq(readLater(2, 3), 5)
  local failing = coro.wrap(function(cb) cb({ code = 'ENOPE' }) end)
  t.raises(failing, 'ENOPE')
end)

co('sleep waits the given milliseconds, in the order of the timers', function()
  local t0 = t.nowMs()
  coro.sleep(20)
  t.ok(t.nowMs() - t0 >= 19, 'slept at least 20 ms')
  local order = {}
  setTimeout(function() order[#order + 1] = 'timer 5' end, 5)
  coro.sleep(10)
  order[#order + 1] = 'woke'
  t.same(order, { 'timer 5', 'woke' })
  t.eq(select('#', coro.sleep()), 0)
end)

co('a generator of the script runs inside a coro coroutine without confusion', function()
  local gen = coroutine.wrap(function()
    for i = 1, 3 do coroutine.yield(i) end
  end)
  local got = {}
  for v in gen do
    coro.sleep(1)
    got[#got + 1] = v
  end
  t.same(got, { 1, 2, 3 })
end)

t.test('a script resuming a waiting coroutine itself does not end its wait', function(done)
  local c = coro.run(function()
    local v = coro.await(later(5, nil, 'real'))
    t.eq(v, 'real')
    local x = coroutine.yield('mine')
    t.eq(x, 'resumed by the script')
    t.eq(coro.sleep(1), nil)
    done()
  end)
  local ok, v = coroutine.resume(c, 'intruder')
  t.eq(ok, true)
  t.ok(v ~= 'intruder' and v ~= nil)
  t.eq(coroutine.status(c), 'suspended')
  setTimeout(function()
    -- Now the coroutine stopped in its own coroutine.yield: the script
    -- resumes it, and coro's next wait works as before.
    local ok2, y = coroutine.resume(c, 'resumed by the script')
    t.eq(ok2, true)
    t.ok(y ~= nil)
  end, 20)
end)

co('once returns the arguments of the event and removes its listeners', function()
  local em = EventEmitter:new()
  setTimeout(function() em:emit('hello', 1, nil, 'x') end, 1)
  local a, b, c = coro.once(em, 'hello')
  t.same({ a, b, c }, { 1, nil, 'x' })
  t.eq(em:listenerCount('hello'), 0)
  t.eq(em:listenerCount('error'), 0)
  t.eq(em:listenerCount('close'), 0)
end)

co('once raises the error when error comes first, and removes its listeners', function()
  local em = EventEmitter:new()
  local err = { message = 'kaboom' }
  setTimeout(function() em:emit('error', err) end, 1)
  local ok, e = pcall(coro.once, em, 'myevent')
  t.same({ ok, e }, { false, err })
  t.eq(em:listenerCount('myevent'), 0)
  t.eq(em:listenerCount('error'), 0)
end)

co("once for 'error' itself returns the error", function()
  local em = EventEmitter:new()
  setTimeout(function() em:emit('error', 'the error') end, 1)
  t.eq(coro.once(em, 'error'), 'the error')
  t.eq(em:listenerCount('error'), 0)
end)

co('once raises ETIMEDOUT after the timeout and leaves no listener behind', function()
  local em = EventEmitter:new()
  local t0 = t.nowMs()
  local e = t.raises(function() coro.once(em, 'never', 10) end, 'ETIMEDOUT')
  t.ok(t.nowMs() - t0 >= 9)
  t.match(e.message, 'timed out')
  t.eq(em:listenerCount('never'), 0)
  t.eq(em:listenerCount('error'), 0)
  -- A later event resumes nothing.
  em:emit('never', 'late')
  coro.sleep(1)
end)

co('once within its timeout returns and clears the timer', function()
  local em = EventEmitter:new()
  setTimeout(function() em:emit('soon', 7) end, 1)
  t.eq(coro.once(em, 'soon', 1000), 7)
  -- The open-handle check at exit would see a timer left armed.
end)

co("once raises ERR_STREAM_PREMATURE_CLOSE when 'close' comes first", function()
  local em = EventEmitter:new()
  setTimeout(function() em:emit('close') end, 1)
  t.raises(function() coro.once(em, 'data') end, 'ERR_STREAM_PREMATURE_CLOSE')
  t.eq(em:listenerCount('close'), 0)
  em.closed = true
  t.raises(function() coro.once(em, 'data') end, 'ERR_STREAM_PREMATURE_CLOSE')
  t.eq(em:listenerCount('data'), 0)
end)

co('an event emitted from another coroutine resumes after that coroutine goes on', function()
  local em = EventEmitter:new()
  local order = {}
  coro.run(function()
    coro.sleep(1)
    em:emit('go', 'v')
    order[#order + 1] = 'emitter went on'
  end)
  local v = coro.once(em, 'go')
  order[#order + 1] = 'waiter got ' .. v
  t.same(order, { 'emitter went on', 'waiter got v' })
end)

co('all returns the results in order, whatever order they finish in', function()
  local a, b, c = coro.all({
    function() coro.sleep(10) return 'slow' end,
    function() return 'sync', 'dropped' end,
    function() coro.sleep(1) return 'fast' end,
  })
  t.same({ a, b, c }, { 'slow', 'sync', 'fast' })
  t.eq(select('#', coro.all({})), 0)
end)

co('all raises the first error, with its traceback, and cancels the rest', function()
  local reached = false
  local ok, e = pcall(coro.all, {
    function() coro.sleep(20) reached = true end,
    function() coro.sleep(1) error({ code = 'EFIRST' }) end,
    function() coro.sleep(5) error({ code = 'ESECOND' }) end,
  })
  t.eq(ok, false)
  t.eq(e.code, 'EFIRST')
  t.match(e.stack, 'coro_spec')
  coro.sleep(30)
  t.eq(reached, false, 'a cancelled coroutine is not resumed')
end)

co('all raises ETIMEDOUT and the late ones resume nothing', function()
  local late = 0
  local e = t.raises(function()
    coro.all({
      function() coro.sleep(1) return 1 end,
      function() coro.sleep(30) late = late + 1 end,
    }, 10)
  end, 'ETIMEDOUT')
  t.match(e.message, 'coro%.all')
  coro.sleep(40)
  t.eq(late, 0)
end)

co('race returns the index and results of the first to finish', function()
  local i, a, b = coro.race({
    function() coro.sleep(20) return 'slow' end,
    function() coro.sleep(1) return 'fast', 2 end,
  })
  t.same({ i, a, b }, { 2, 'fast', 2 })
  local j, v = coro.race({ function() return 'now' end, t.mustNotCall() })
  t.same({ j, v }, { 1, 'now' })
  local e = t.raises(function()
    coro.race({ function() coro.sleep(50) end }, 5)
  end, 'ETIMEDOUT')
  t.match(e.message, 'coro%.race')
  local ok, err = pcall(coro.race, { function() coro.sleep(1) error('lost') end, function() coro.sleep(30) end })
  t.eq(ok, false)
  t.match(err, 'lost')
end)

co('write waits for drain only when write returned false', function()
  local w = EventEmitter:new()
  local written = {}
  local full = false
  function w:write(chunk)
    written[#written + 1] = chunk
    if full then
      setTimeout(function() full = false self:emit('drain') end, 5)
      return false
    end
    return true
  end
  local t0 = t.nowMs()
  coro.write(w, 'a')
  t.ok(t.nowMs() - t0 < 5, 'no wait when write returned true')
  full = true
  coro.write(w, 'b')
  t.ok(t.nowMs() - t0 >= 4, 'waited for drain')
  t.same(written, { 'a', 'b' })
  t.eq(w:listenerCount('drain'), 0)
  -- An error while waiting for drain is raised.
  function w:write() setTimeout(function() self:emit('error', { code = 'EPIPE' }) end, 1) return false end
  t.raises(function() coro.write(w, 'c') end, 'EPIPE')
  -- So is a close.
  function w:write() setTimeout(function() self:emit('close') end, 1) return false end
  t.raises(function() coro.write(w, 'd') end, 'ERR_STREAM_PREMATURE_CLOSE')
end)

co('finish ends the stream and waits for finish', function()
  local w = EventEmitter:new()
  local got = {}
  function w:write(c) got[#got + 1] = c return true end
  function w:finish(c)
    if c then got[#got + 1] = c end
    got[#got + 1] = 'end'
    setTimeout(function() self.writableFinished = true self:emit('finish') end, 2)
  end
  coro.finish(w, 'last')
  t.same(got, { 'last', 'end' })
  coro.finish(w)
  t.same(got, { 'last', 'end' }, 'an already finished stream returns at once')
end)

t.test('an error in a coro.run coroutine reaches uncaughtException with its traceback', function(done)
  local err = { code = 'EINSIDE', message = 'inside' }
  local function onError(e)
    process:removeListener('uncaughtException', onError)
    t.eq(e, err)
    t.match(e.stack, 'coro_spec%.lua:%d+')
    t.match(e.stack, 'deepInside')
    done()
  end
  process:on('uncaughtException', onError)
  local function deepInside() coro.sleep(1) error(err) end
  coro.run(function() deepInside() end)
end)

t.test('an error before the first wait is not raised by coro.run itself', function(done)
  local function onError(e)
    process:removeListener('uncaughtException', onError)
    t.match(e, 'at once')
    done()
  end
  process:on('uncaughtException', onError)
  local ok = pcall(coro.run, function() error('at once') end)
  t.eq(ok, true)
end)

t.test('an unhandled error in a coroutine prints its traceback and exits 1', function()
  local r = t.spawn('-e ' .. t.quote([[
    local coro = require('coro')
    local function whereItFails() coro.sleep(1) error({ code = 'EX', message = 'from the coroutine' }) end
    coro.run(function() whereItFails() end)
  ]]))
  t.eq(r.code, 1)
  t.match(r.err, 'from the coroutine')
  t.match(r.err, 'whereItFails')
end)

-- Readable loops ------------------------------------------------------------

local stream = require('stream')

-- A Readable that gives the chunks of list one by one, each after a timer.
local function source(list, opts)
  opts = opts or {}
  local i = 0
  return stream.Readable:new({
    objectMode = opts.objectMode,
    read = function(self)
      i = i + 1
      local v = list[i]
      if opts.sync then self:push(v) else setTimeout(function() self:push(v) end, 1) end
    end,
  })
end

co('iter gives each chunk and ends at end', function()
  local got = {}
  for chunk in source({ 'a', 'bc', 'def' }):iter() do got[#got + 1] = chunk end
  t.same(got, { 'a', 'bc', 'def' })
  local objs = {}
  for v in source({ 1, 2, 3 }, { objectMode = true, sync = true }):iter() do objs[#objs + 1] = v end
  t.same(objs, { 1, 2, 3 })
end)

co('iter holds back the stream while the loop is busy, and loses nothing', function()
  local n, pauses = 0, 0
  local r = stream.Readable:new({
    highWaterMark = 4,
    read = function(self)
      n = n + 1
      if n > 50 then self:push(nil) else self:push(('%03d'):format(n)) end
    end,
  })
  r:on('pause', function() pauses = pauses + 1 end)
  local got = {}
  for chunk in r:iter() do
    got[#got + 1] = chunk
    if #got % 10 == 0 then coro.sleep(1) end
  end
  t.eq(#got, 50)
  t.eq(table.concat(got), (function()
    local s = {}
    for i = 1, 50 do s[i] = ('%03d'):format(i) end
    return table.concat(s)
  end)())
  t.ok(pauses > 0, 'paused while busy')
end)

co('iter raises the error the stream emits', function()
  local r = stream.PassThrough:new()
  setTimeout(function() r:write('one') end, 1)
  setTimeout(function() r:destroy({ code = 'EBROKEN' }) end, 5)
  local got = {}
  local ok, e = pcall(function() for c in r:iter() do got[#got + 1] = c end end)
  t.eq(ok, false)
  t.eq(e.code, 'EBROKEN')
  t.same(got, { 'one' })
end)

co('iter raises ERR_STREAM_PREMATURE_CLOSE when the stream is destroyed before its end', function()
  local r = stream.PassThrough:new()
  setTimeout(function() r:destroy() end, 2)
  t.raises(function() for _ in r:iter() do end end, 'ERR_STREAM_PREMATURE_CLOSE')
  t.raises(function() for _ in r:iter() do end end, 'ERR_STREAM_PREMATURE_CLOSE')
  local d = stream.PassThrough:new()
  d:destroy()
  t.raises(function() for _ in d:iter() do end end, 'ERR_STREAM_PREMATURE_CLOSE')
end)

co('iter over a stream that already ended gives nothing', function()
  local r = source({}, { sync = true })
  r:resume()
  coro.once(r, 'end')
  for _ in r:iter() do error('no chunk expected') end
end)

t.test('iter and lines outside a coroutine raise ERR_CORO_OUTSIDE and attach nothing', function()
  local r = stream.PassThrough:new()
  t.raises(function() r:iter() end, 'ERR_CORO_OUTSIDE')
  t.raises(function() r:lines() end, 'ERR_CORO_OUTSIDE')
  t.eq(r:listenerCount('data'), 0)
  t.raises(function() stream.Readable.iter({}) end, 'ERR_INVALID_THIS')
end)

co('lines joins lines split across chunks and ends lines at \\n and \\r\\n', function()
  local r = source({ 'fir', 'st\nsec', 'ond\r', '\nthird\n\nfif', 'th\r\nlast' })
  local got = {}
  for line in r:lines() do got[#got + 1] = line end
  t.same(got, { 'first', 'second', 'third', '', 'fifth', 'last' })
end)

co('lines gives no empty last line after a final newline, and handles a lone chunk', function()
  local got = {}
  for line in source({ 'a\nb\n' }):lines() do got[#got + 1] = line end
  t.same(got, { 'a', 'b' })
  got = {}
  for line in source({ '\r\n' }):lines() do got[#got + 1] = line end
  t.same(got, { '' })
  got = {}
  for line in source({ 'x', 'y', 'z' }):lines() do got[#got + 1] = line end
  t.same(got, { 'xyz' })
  -- The iterator can be called by itself, as io.lines' can.
  local nextLine = source({ 'one\ntw', 'o\n' }):lines()
  t.same({ nextLine(), nextLine(), nextLine(), nextLine() }, { 'one', 'two' })
end)

co('a loop left with break goes on in the next loop, lines then iter', function()
  local r = source({ 'head1\nhead2\n\nbody', '-rest' })
  local head = {}
  for line in r:lines() do
    if line == '' then break end
    head[#head + 1] = line
  end
  t.same(head, { 'head1', 'head2' })
  local body = {}
  for chunk in r:iter() do body[#body + 1] = chunk end
  t.eq(table.concat(body), 'body-rest')
end)

co('a for loop over an iterator made in another coroutine waits in its own', function()
  local r = stream.PassThrough:new()
  local f, s = r:iter()
  t.eq(s ~= nil, true, 'iter gives the for loop a state')
  setTimeout(function() r:write('a') end, 2)
  setTimeout(function() r:write('b') end, 10)
  setTimeout(function() r:finish() end, 18)
  -- The child loops with this coroutine's iterator: it must wait in the
  -- child, or this coroutine, waiting in coro.all, would be resumed by 'a'.
  local first = coro.all({ function()
    for chunk in f, s do return chunk end
  end })
  t.eq(first, 'a')
  local rest = {}
  for chunk in f, s do rest[#rest + 1] = chunk end
  t.same(rest, { 'b' })
end)

t.test('a coroutine the script resumed itself still loops and writes with coro', function(done)
  local r, out = stream.PassThrough:new(), stream.PassThrough:new()
  local c = coro.run(function()
    t.eq(coroutine.yield('mine'), 'go')
    local got = {}
    for chunk in r:iter() do
      got[#got + 1] = chunk
      coro.write(out, chunk:upper())
    end
    t.same(got, { 'a', 'b' })
    t.eq(out:read(), 'AB')
    done()
  end)
  t.eq(coroutine.status(c), 'suspended')
  setTimeout(function()
    local ok, v = coroutine.resume(c, 'go')
    t.eq(ok, true)
    t.ok(v ~= nil and v ~= 'mine', 'it waits in its loop now')
    r:write('a')
    setTimeout(function()
      r:write('b')
      r:finish()
    end, 2)
  end, 2)
end)

t.test("chunks emitted inside a script's own coroutine reach the loop in order", function(done)
  local r = stream.PassThrough:new()
  local got = {}
  coro.run(function()
    for chunk in r:iter() do got[#got + 1] = chunk end
    t.same(got, { 'x1', 'x2', 'x3' })
    done()
  end)
  setTimeout(function()
    -- The PassThrough emits 'data' inside write, so the loop's coroutine
    -- is resumed from inside this generator, which Lua allows.
    local gen = coroutine.wrap(function()
      for i = 1, 3 do
        r:write('x' .. i)
        coroutine.yield(i)
      end
      r:finish()
    end)
    t.eq(gen(), 1)
    t.eq(gen(), 2)
    t.eq(gen(), 3)
    gen()
  end, 2)
end)

-- Sockets --------------------------------------------------------------------

local net = require('net')

-- Starts a server whose connections run handler(sock) in a coroutine, and
-- returns it and its port once it listens (inside a coroutine).
local function serve(handler)
  local server = net.createServer(function(sock) coro.run(handler, sock) end)
  server:listen(0, '127.0.0.1')
  coro.once(server, 'listening')
  return server, server:address().port
end

co('an echo server and a client in the coroutine style, lines across packets', function()
  local server, port = serve(function(sock)
    for line in sock:lines() do coro.write(sock, line:upper() .. '\n') end
    coro.finish(sock)
  end)
  local c = net.connect(port, '127.0.0.1')
  coro.once(c, 'connect')
  coro.write(c, 'hello\nwor')
  coro.sleep(5)
  coro.write(c, 'ld\r\nlast')
  coro.finish(c)
  local got = {}
  for line in c:lines() do got[#got + 1] = line end
  t.same(got, { 'HELLO', 'WORLD', 'LAST' })
  server:close()
  coro.once(server, 'close')
end)

co('connecting to a closed port raises ECONNREFUSED from coro.once', function()
  local server, port = serve(function() end)
  server:close()
  coro.once(server, 'close')
  local c = net.connect(port, '127.0.0.1')
  t.raises(function() coro.once(c, 'connect') end, 'ECONNREFUSED')
end)

co('a socket destroyed under a waiting loop raises ERR_STREAM_PREMATURE_CLOSE', function()
  local raised, server, port
  server, port = serve(function(sock)
    setTimeout(function() sock:destroy() end, 5)
    local ok, e = pcall(function() for _ in sock:iter() do end end)
    raised = not ok and e.code
    server:close()
  end)
  local c = net.connect(port, '127.0.0.1')
  coro.once(c, 'connect')
  local _, e = pcall(function() for _ in c:iter() do end end)
  coro.once(server, 'close')
  t.eq(raised, 'ERR_STREAM_PREMATURE_CLOSE')
  t.eq(e, nil, 'the client saw an end, not an error')
end)

co('coro.write holds back a fast writer until the reader drains', function()
  local total = 0
  local server, port = serve(function(sock)
    coro.sleep(20) -- the client's writes fill the buffers meanwhile
    for chunk in sock:iter() do total = total + #chunk end
  end)
  local c = net.connect(port, '127.0.0.1')
  coro.once(c, 'connect')
  local block = string.rep('z', 65536)
  local waited = 0
  for _ = 1, 64 do
    local t0 = t.nowMs()
    coro.write(c, block)
    if t.nowMs() - t0 > 1 then waited = waited + 1 end
  end
  coro.finish(c)
  coro.once(c, 'close')
  coro.sleep(10)
  server:close()
  coro.once(server, 'close')
  t.eq(total, 64 * 65536)
  t.ok(waited > 0, 'some writes waited for drain')
end)

-- Files ----------------------------------------------------------------------

local fs = require('fs')
local path = require('path')

local function tmpFile(name)
  return path.join(os.getenv('TMPDIR') or '/tmp', ('lode-coro-%d-%s'):format(process.pid, name))
end

co('await with fs: write, read, and the error table of a missing file', function()
  local p = tmpFile('a.txt')
  coro.await(fs.writeFile, p, 'one\ntwo\r\nthree')
  t.eq(coro.await(fs.readFile, p, 'utf8'), 'one\ntwo\r\nthree')
  local readFile = coro.wrap(fs.readFile)
  t.eq(readFile(p), 'one\ntwo\r\nthree')
  local e = t.raises(function() coro.await(fs.readFile, p .. '.missing') end, 'ENOENT')
  t.eq(e.syscall, 'open')
  coro.await(fs.unlink, p)
end)

co('a file copy with iter and coro.write, and lines over a file stream', function()
  local src, dst = tmpFile('src.txt'), tmpFile('dst.txt')
  local parts = {}
  for i = 1, 5000 do parts[i] = 'line ' .. i end
  local text = table.concat(parts, '\n')
  fs.writeFileSync(src, text)
  local out = fs.createWriteStream(dst)
  for chunk in fs.createReadStream(src, { highWaterMark = 1000 }):iter() do coro.write(out, chunk) end
  coro.finish(out)
  t.eq(fs.readFileSync(dst, 'utf8'), text)
  local n, last = 0, nil
  for line in fs.createReadStream(dst, { highWaterMark = 77 }):lines() do
    n = n + 1
    last = line
    if line ~= 'line ' .. n then error('line ' .. n .. ' came out as ' .. line) end
  end
  t.eq(n, 5000)
  t.eq(last, 'line 5000')
  local e = t.raises(function() for _ in fs.createReadStream(src .. '.missing'):iter() do end end, 'ENOENT')
  t.eq(e.syscall, 'open')
  fs.unlinkSync(src)
  fs.unlinkSync(dst)
end)
