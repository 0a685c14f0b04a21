local t = require('./helper')
local EventEmitter = require('events')
local class = require('util') -- util.Object and util.instanceof are internal/class's

local function pack(...) return { n = select('#', ...), ... } end

-- Runs fn with process.emitWarning replaced by a recorder; restores it even
-- when fn fails. fn(warnings) sees the list as it grows; it is also
-- returned: { msg, type } pairs.
local function captureWarnings(fn)
  local warnings = {}
  local saved = process.emitWarning
  process.emitWarning = function(msg, typ) warnings[#warnings + 1] = { msg, typ } end
  local ok, err = pcall(fn, warnings)
  process.emitWarning = saved
  if not ok then error(err, 0) end
  return warnings
end

-- Module shape ------------------------------------------------------------------

t.test('require("events") is the EventEmitter class', function()
  t.eq(type(EventEmitter), 'table')
  t.eq(EventEmitter.EventEmitter, EventEmitter)
  t.eq(EventEmitter.defaultMaxListeners, 10)
  t.eq(type(EventEmitter.extend), 'function')
  t.eq(type(EventEmitter.new), 'function')
  local e = EventEmitter:new()
  t.ok(class.instanceof(e, EventEmitter))
  t.ok(class.instanceof(e, class.Object))
  t.ok(e:instanceof(EventEmitter))
  t.ok(not class.instanceof({}, EventEmitter))
  t.ok(not class.instanceof('x', EventEmitter))
end)

t.test('errorMonitor is a unique value that prints like Node', function()
  local m = EventEmitter.errorMonitor
  t.ok(m ~= nil)
  t.ok(m ~= 'error')
  t.eq(tostring(m), 'Symbol(events.errorMonitor)')
  t.eq(require('events').errorMonitor, m)
end)

t.test('init and initialize are the same function', function()
  t.eq(EventEmitter.init, EventEmitter.initialize)
  t.eq(type(EventEmitter.initialize), 'function')
end)

-- on / emit -----------------------------------------------------------------------

t.test('emit passes exactly the emitted arguments, no emitter first', function()
  local e = EventEmitter:new()
  local got
  e:on('x', function(...) got = pack(...) end)
  t.eq(e:emit('x', 1, 'two', nil, false), true)
  t.eq(got.n, 4)
  t.eq(got[1], 1)
  t.eq(got[2], 'two')
  t.eq(got[3], nil)
  t.eq(got[4], false)
  e:emit('x')
  t.eq(got.n, 0)
  e:emit('x', nil)
  t.eq(got.n, 1)
  e:emit('x', 1, 2, 3, 4, 5, 6, 7)
  t.eq(got.n, 7)
  t.eq(got[7], 7)
end)

t.test('emit returns whether there were listeners', function()
  local e = EventEmitter:new()
  t.eq(e:emit('x'), false)
  t.eq(e:emit('x', 1, 2), false)
  local f = function() end
  e:on('x', f)
  t.eq(e:emit('x'), true)
  t.eq(e:emit('y'), false)
  e:off('x', f)
  t.eq(e:emit('x'), false)
  t.eq(e:emit(nil), false)
  t.eq(e:emit(0 / 0), false)
end)

t.test('on, addListener, prependListener, once... return self', function()
  local e = EventEmitter:new()
  local f = function() end
  t.eq(e:on('a', f), e)
  t.eq(e:addListener('a', f), e)
  t.eq(e:prependListener('a', f), e)
  t.eq(e:once('a', f), e)
  t.eq(e:prependOnceListener('a', f), e)
  t.eq(e:off('a', f), e)
  t.eq(e:removeListener('a', f), e)
  t.eq(e:removeListener('nothing', f), e)
  t.eq(e:removeAllListeners('a'), e)
  t.eq(e:removeAllListeners(), e)
  t.eq(e:setMaxListeners(5), e)
  -- chaining
  local n = 0
  e:on('b', function() n = n + 1 end):on('b', function() n = n + 10 end):emit('b')
  t.eq(n, 11)
end)

t.test('aliases: addListener is on, off is removeListener', function()
  t.eq(EventEmitter.addListener, EventEmitter.on)
  t.eq(EventEmitter.off, EventEmitter.removeListener)
end)

t.test('listeners run in the order they were added', function()
  local e = EventEmitter:new()
  local order = {}
  for i = 1, 5 do
    e:on('x', function() order[#order + 1] = i end)
  end
  e:emit('x')
  t.same(order, { 1, 2, 3, 4, 5 })
end)

t.test('every list length and argument count reaches every listener', function()
  for listeners = 1, 6 do
    for nargs = 0, 5 do
      local e = EventEmitter:new()
      local calls = {}
      for i = 1, listeners do
        e:on('x', function(...)
          calls[#calls + 1] = { i = i, args = pack(...) }
        end)
      end
      local args = { 'a', nil, 3, false, 'e' }
      t.eq(e:emit('x', unpack(args, 1, nargs)), true)
      t.eq(#calls, listeners, listeners .. ' listeners, ' .. nargs .. ' args')
      for i = 1, listeners do
        t.eq(calls[i].i, i)
        t.eq(calls[i].args.n, nargs, 'argument count')
        for k = 1, nargs do t.eq(calls[i].args[k], args[k]) end
      end
    end
  end
end)

t.test('the same function added twice is called twice', function()
  local e = EventEmitter:new()
  local n = 0
  local f = function() n = n + 1 end
  e:on('x', f)
  e:on('x', f)
  e:emit('x')
  t.eq(n, 2)
  t.eq(e:listenerCount('x'), 2)
  e:removeListener('x', f)
  t.eq(e:listenerCount('x'), 1)
  e:emit('x')
  t.eq(n, 3)
end)

t.test('event names are compared as Lua values', function()
  local e = EventEmitter:new()
  local got = {}
  e:on('123', function() got[#got + 1] = 'string' end)
  e:on(123, function() got[#got + 1] = 'number' end)
  local key = {}
  e:on(key, function() got[#got + 1] = 'table' end)
  e:on(true, function() got[#got + 1] = 'boolean' end)
  e:emit(123)
  e:emit('123')
  e:emit(key)
  e:emit({})
  e:emit(true)
  t.same(got, { 'number', 'string', 'table', 'boolean' })
  t.eq(e:listenerCount(123), 1)
  t.eq(e:listenerCount('123'), 1)
end)

t.test('listeners are per instance', function()
  local a, b = EventEmitter:new(), EventEmitter:new()
  a:on('x', t.mustCall())
  b:on('x', t.mustNotCall('other emitter'))
  a:emit('x')
  t.eq(b:listenerCount('x'), 1)
  t.eq(a:listenerCount('x'), 1)
end)

t.test('a listener that raises stops the emit; the emitter still works', function()
  local e = EventEmitter:new()
  local second = 0
  e:on('x', function(v) if v == 'bad' then error('listener failed') end end)
  e:on('x', function() second = second + 1 end)
  t.raises(function() e:emit('x', 'bad') end, 'listener failed')
  t.eq(second, 0)
  e:emit('x', 'good')
  t.eq(second, 1)
end)

-- prepend -----------------------------------------------------------------------------

t.test('prependListener puts the listener first', function()
  local e = EventEmitter:new()
  local order = {}
  e:on('x', function() order[#order + 1] = 'b' end)
  e:prependListener('x', function() order[#order + 1] = 'a' end)
  e:on('x', function() order[#order + 1] = 'c' end)
  e:prependListener('x', function() order[#order + 1] = 'first' end)
  e:emit('x')
  t.same(order, { 'first', 'a', 'b', 'c' })
end)

t.test('prependListener on an event with no listeners', function()
  local e = EventEmitter:new()
  local f = t.mustCall()
  e:prependListener('x', f)
  t.same(e:listeners('x'), { f })
  e:emit('x')
end)

t.test('prependOnceListener runs first and once', function()
  local e = EventEmitter:new()
  local order = {}
  e:on('x', function() order[#order + 1] = 'on' end)
  e:prependOnceListener('x', function(v) order[#order + 1] = 'once:' .. v end)
  e:emit('x', 1)
  e:emit('x', 2)
  t.same(order, { 'once:1', 'on', 'on' })
end)

-- once ----------------------------------------------------------------------------

t.test('once listener is called once with the arguments', function()
  local e = EventEmitter:new()
  local got = {}
  e:once('x', function(...) got[#got + 1] = pack(...) end)
  t.eq(e:listenerCount('x'), 1)
  t.eq(e:emit('x', 'a', nil), true)
  t.eq(e:emit('x', 'b'), false)
  t.eq(#got, 1)
  t.eq(got[1].n, 2)
  t.eq(got[1][1], 'a')
  t.eq(e:listenerCount('x'), 0)
  t.same(e:eventNames(), {})
end)

t.test('once listener is removed before it is called', function()
  local e = EventEmitter:new()
  local countInside
  e:once('x', function() countInside = e:listenerCount('x') end)
  e:on('x', function() end)
  e:emit('x')
  t.eq(countInside, 1)
end)

t.test('once is not re-entered by an emit from inside it', function()
  local e = EventEmitter:new()
  local n = 0
  e:once('x', function()
    n = n + 1
    e:emit('x')
  end)
  e:emit('x')
  t.eq(n, 1)
  t.eq(e:emit('x'), false)
end)

t.test('once registered inside its own call is a new listener', function()
  local e = EventEmitter:new()
  local n = 0
  local function f()
    n = n + 1
    if n < 3 then e:once('x', f) end
  end
  e:once('x', f)
  e:emit('x')
  e:emit('x')
  e:emit('x')
  e:emit('x')
  t.eq(n, 3)
end)

t.test('once listener can be removed by its function before it fires', function()
  local e = EventEmitter:new()
  local f = t.mustNotCall('removed once listener')
  e:once('x', f)
  e:removeListener('x', f)
  t.eq(e:emit('x'), false)
  t.eq(e:listenerCount('x'), 0)
end)

t.test('once among on listeners keeps the order', function()
  local e = EventEmitter:new()
  local order = {}
  e:on('x', function() order[#order + 1] = 1 end)
  e:once('x', function() order[#order + 1] = 2 end)
  e:on('x', function() order[#order + 1] = 3 end)
  e:emit('x')
  e:emit('x')
  t.same(order, { 1, 2, 3, 1, 3 })
end)

t.test('two once listeners on one event both fire once', function()
  local e = EventEmitter:new()
  local a, b = t.mustCall(), t.mustCall()
  e:once('x', a)
  e:once('x', b)
  e:emit('x')
  e:emit('x')
  t.eq(e:listenerCount('x'), 0)
end)

t.test('removing one of two once listeners leaves the other working', function()
  local e = EventEmitter:new()
  local a = t.mustNotCall('removed once listener')
  local got = {}
  local b = function(v) got[#got + 1] = v end
  e:once('x', a)
  e:once('x', b)
  e:off('x', a)
  t.same(e:listeners('x'), { b })
  t.eq(e:emit('x', 1), true)
  t.eq(e:emit('x', 2), false)
  t.same(got, { 1 })
  -- and a function left after removing a once listener
  local f = t.mustCall()
  e:once('y', a)
  e:on('y', f)
  e:off('y', a)
  t.same(e:rawListeners('y'), { f })
  e:emit('y')
end)

-- Removal during emit --------------------------------------------------------------

t.test('removing a later listener during emit does not skip it in that emit', function()
  local e = EventEmitter:new()
  local order = {}
  local b, c
  local function a()
    order[#order + 1] = 'a'
    e:removeListener('x', b)
  end
  b = function() order[#order + 1] = 'b' end
  c = function() order[#order + 1] = 'c' end
  e:on('x', a)
  e:on('x', b)
  e:on('x', c)
  e:emit('x')
  t.same(order, { 'a', 'b', 'c' })
  order = {}
  e:emit('x')
  t.same(order, { 'a', 'c' })
end)

t.test('a listener removing itself does not skip the next one', function()
  local e = EventEmitter:new()
  local order = {}
  local a
  a = function()
    order[#order + 1] = 'a'
    e:off('x', a)
  end
  e:on('x', a)
  e:on('x', function() order[#order + 1] = 'b' end)
  e:on('x', function() order[#order + 1] = 'c' end)
  e:emit('x')
  e:emit('x')
  t.same(order, { 'a', 'b', 'c', 'b', 'c' })
end)

t.test('removeAllListeners during emit does not stop that emit', function()
  local e = EventEmitter:new()
  local n = 0
  e:on('x', function() n = n + 1; e:removeAllListeners('x') end)
  e:on('x', function() n = n + 1 end)
  e:on('x', function() n = n + 1 end)
  e:on('x', function() n = n + 1 end)
  e:emit('x')
  t.eq(n, 4)
  t.eq(e:emit('x'), false)
end)

t.test('a listener added during emit runs from the next emit on', function()
  local e = EventEmitter:new()
  local order = {}
  local added = false
  e:on('x', function()
    order[#order + 1] = 'a'
    if not added then
      added = true
      e:on('x', function() order[#order + 1] = 'new' end)
    end
  end)
  e:emit('x')
  t.same(order, { 'a' })
  e:emit('x')
  t.same(order, { 'a', 'a', 'new' })
end)

t.test('a single listener adding another during emit', function()
  local e = EventEmitter:new()
  local n = 0
  e:once('x', function() e:on('x', function() n = n + 1 end) end)
  e:emit('x')
  t.eq(n, 0)
  e:emit('x')
  t.eq(n, 1)
end)

-- removeListener -------------------------------------------------------------------

t.test('removeListener removes the most recently added match', function()
  local e = EventEmitter:new()
  local order = {}
  local f = function() order[#order + 1] = 'f' end
  local g = function() order[#order + 1] = 'g' end
  e:on('x', f)
  e:on('x', g)
  e:on('x', f)
  e:removeListener('x', f)
  t.same(e:listeners('x'), { f, g })
  e:emit('x')
  t.same(order, { 'f', 'g' })
end)

t.test('removeListener of something not there changes nothing', function()
  local e = EventEmitter:new()
  local f = function() end
  e:removeListener('x', f) -- no events table yet
  e:on('x', f)
  e:removeListener('x', function() end)
  e:removeListener('y', f)
  t.eq(e:listenerCount('x'), 1)
  e:on('x', f)
  e:removeListener('x', function() end)
  t.eq(e:listenerCount('x'), 2)
end)

t.test('removing down to one listener, then none', function()
  local e = EventEmitter:new()
  local a, b, c = function() end, function() end, function() end
  e:on('x', a):on('x', b):on('x', c)
  e:off('x', b)
  t.same(e:listeners('x'), { a, c })
  e:off('x', a)
  t.same(e:listeners('x'), { c })
  e:off('x', c)
  t.same(e:listeners('x'), {})
  t.same(e:eventNames(), {})
end)

t.test('removeListener removes a once wrapper by its listener or itself', function()
  local e = EventEmitter:new()
  local f = function() end
  e:once('x', f)
  e:once('x', f)
  local w = e:rawListeners('x')[1]
  e:removeListener('x', w)
  t.eq(e:listenerCount('x'), 1)
  t.eq(e:rawListeners('x')[1] ~= w, true)
  e:removeListener('x', f)
  t.eq(e:listenerCount('x'), 0)
end)

-- removeAllListeners -----------------------------------------------------------------

t.test('removeAllListeners(name) removes only that event', function()
  local e = EventEmitter:new()
  e:on('x', function() end):on('x', function() end):on('y', function() end)
  e:removeAllListeners('x')
  t.eq(e:listenerCount('x'), 0)
  t.eq(e:listenerCount('y'), 1)
  t.same(e:eventNames(), { 'y' })
  e:removeAllListeners('nothing')
  t.same(e:eventNames(), { 'y' })
end)

t.test('removeAllListeners() removes everything', function()
  local e = EventEmitter:new()
  e:on('x', function() end):on('y', function() end):once('z', function() end)
  e:removeAllListeners()
  t.same(e:eventNames(), {})
  t.eq(e:emit('x'), false)
  e:on('x', t.mustCall())
  e:emit('x')
  t.same(e:eventNames(), { 'x' })
end)

t.test('removeAllListeners emits removeListener like Node', function()
  local e = EventEmitter:new()
  local function a() end
  local function b() end
  local names = { [a] = 'a', [b] = 'b' }
  local log = {}
  e:on('x', a)
  e:on('x', b)
  e:on('y', a)
  e:on('removeListener', function(name, l)
    log[#log + 1] = tostring(name) .. ':' .. (names[l] or '?')
  end)
  e:removeAllListeners()
  -- event by event in registration order, last listener first, and the
  -- removeListener listener itself is not told about its own removal
  t.same(log, { 'x:b', 'x:a', 'y:a' })
  t.same(e:eventNames(), {})
end)

t.test('removeAllListeners(name) emits removeListener for each, last first', function()
  local e = EventEmitter:new()
  local function a() end
  local function b() end
  local got = {}
  e:on('x', a)
  e:once('x', b)
  e:on('removeListener', function(name, l) got[#got + 1] = { name, l } end)
  e:removeAllListeners('x')
  t.eq(#got, 2)
  t.eq(got[1][1], 'x')
  t.eq(got[1][2], b) -- the once listener, unwrapped
  t.eq(got[2][2], a)
  t.eq(e:listenerCount('removeListener'), 1)
end)

-- listeners / rawListeners / listenerCount / eventNames ------------------------------

t.test('listeners returns a new array with once wrappers unwrapped', function()
  local e = EventEmitter:new()
  local f, g = function() end, function() end
  t.same(e:listeners('x'), {})
  e:on('x', f)
  local l = e:listeners('x')
  t.same(l, { f })
  l[1] = nil
  t.eq(e:listenerCount('x'), 1)
  e:once('x', g)
  local list = e:listeners('x')
  t.eq(#list, 2)
  t.eq(list[1], f)
  t.eq(list[2], g)
end)

t.test('rawListeners gives once wrappers: callable tables with .listener', function()
  local e = EventEmitter:new()
  local got
  local f = function(...) got = pack(...) end
  local g = function() end
  e:on('x', g)
  e:once('x', f)
  local raw = e:rawListeners('x')
  t.eq(#raw, 2)
  t.eq(raw[1], g)
  local w = raw[2]
  t.eq(type(w), 'table')
  t.eq(w.listener, f)
  -- calling the wrapper calls the listener and removes it
  w('a', 'b')
  t.eq(got.n, 2)
  t.eq(got[2], 'b')
  t.same(e:listeners('x'), { g })
  got = nil
  w('again')
  t.eq(got, nil)
  e:emit('x')
  t.eq(got, nil)
end)

t.test('rawListeners returns a copy', function()
  local e = EventEmitter:new()
  local f = function() end
  e:on('x', f):on('x', f)
  local raw = e:rawListeners('x')
  raw[1], raw[2] = nil, nil
  t.eq(e:listenerCount('x'), 2)
  t.same(e:rawListeners('y'), {})
end)

t.test('a once wrapper can be added as a listener of another event', function()
  local e = EventEmitter:new()
  local n = 0
  e:once('x', function() n = n + 1 end)
  local w = e:rawListeners('x')[1]
  e:on('y', w)
  t.eq(e:listenerCount('y'), 1)
  e:emit('y')
  t.eq(n, 1)
  t.eq(e:listenerCount('x'), 0) -- the wrapper removes itself from 'x'
  e:emit('x')
  e:emit('y')
  t.eq(n, 1)
end)

t.test('listenerCount with and without a listener', function()
  local e = EventEmitter:new()
  local f, g = function() end, function() end
  t.eq(e:listenerCount('x'), 0)
  t.eq(e:listenerCount('x', f), 0)
  e:on('x', f)
  t.eq(e:listenerCount('x'), 1)
  t.eq(e:listenerCount('x', f), 1)
  t.eq(e:listenerCount('x', g), 0)
  e:on('x', g):once('x', f)
  t.eq(e:listenerCount('x'), 3)
  t.eq(e:listenerCount('x', f), 2)
  t.eq(e:listenerCount('x', g), 1)
end)

t.test('static EventEmitter.listenerCount(emitter, name)', function()
  local e = EventEmitter:new()
  t.eq(EventEmitter.listenerCount(e, 'x'), 0)
  e:on('x', function() end):on('x', function() end)
  t.eq(EventEmitter.listenerCount(e, 'x'), 2)
end)

t.test('static EventEmitter.getEventListeners(emitter, name)', function()
  local e = EventEmitter:new()
  local f = function() end
  e:once('x', f)
  t.same(EventEmitter.getEventListeners(e, 'x'), { f })
  t.raises(function() EventEmitter.getEventListeners(nil, 'x') end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('eventNames in order of first registration', function()
  local e = EventEmitter:new()
  t.same(e:eventNames(), {})
  local f = function() end
  e:on('foo', f)
  e:on(123, f)
  e:on('b', f)
  e:on('a', f)
  e:on('foo', f)
  e:on(EventEmitter.errorMonitor, f)
  e:on('1', f)
  t.same(e:eventNames(), { 'foo', 123, 'b', 'a', EventEmitter.errorMonitor, '1' })
  -- an event whose listeners all go away and come back is registered anew
  e:removeAllListeners('foo')
  e:on('foo', f)
  t.same(e:eventNames(), { 123, 'b', 'a', EventEmitter.errorMonitor, '1', 'foo' })
  e:off(123, f)
  t.same(e:eventNames(), { 'b', 'a', EventEmitter.errorMonitor, '1', 'foo' })
end)

-- newListener / removeListener events ---------------------------------------------------

t.test("'newListener' is emitted before adding, with (name, listener)", function()
  local e = EventEmitter:new()
  local f = function() end
  local seen = {}
  e:on('newListener', function(name, listener, ...)
    seen[#seen + 1] = { name = name, listener = listener, extra = select('#', ...),
      countBefore = e:listenerCount(name) }
  end)
  e:on('x', f)
  e:on('x', f)
  t.eq(#seen, 2)
  t.eq(seen[1].name, 'x')
  t.eq(seen[1].listener, f)
  t.eq(seen[1].extra, 0)
  t.eq(seen[1].countBefore, 0)
  t.eq(seen[2].countBefore, 1)
end)

t.test("'newListener' gets the original function for once", function()
  local e = EventEmitter:new()
  local f = function() end
  local got
  e:on('newListener', function(name, l) got = l end)
  e:once('x', f)
  t.eq(got, f)
  e:prependOnceListener('y', f)
  t.eq(got, f)
end)

t.test("'newListener' is not emitted for its own first listener", function()
  local e = EventEmitter:new()
  local n = 0
  e:on('newListener', function() n = n + 1 end)
  t.eq(n, 0)
  e:on('newListener', function() end)
  t.eq(n, 1)
end)

t.test("a listener added from 'newListener' for the same event goes first", function()
  local e = EventEmitter:new()
  local order = {}
  e:once('newListener', function(name)
    if name == 'x' then
      e:on('x', function() order[#order + 1] = 'B' end)
    end
  end)
  e:on('x', function() order[#order + 1] = 'A' end)
  e:emit('x')
  t.same(order, { 'B', 'A' })
end)

t.test("'newListener' that removes every listener does not break the add", function()
  local e = EventEmitter:new()
  e:on('newListener', function() e:removeAllListeners() end)
  local f = t.mustCall()
  e:on('x', f)
  t.same(e:listeners('x'), { f })
  e:emit('x')
end)

t.test("'removeListener' is emitted after removing, with (name, listener)", function()
  local e = EventEmitter:new()
  local f, g = function() end, function() end
  local seen = {}
  e:on('x', f)
  e:once('y', g)
  e:on('removeListener', function(name, listener, ...)
    seen[#seen + 1] = { name, listener, select('#', ...), e:listenerCount(name) }
  end)
  e:removeListener('x', f)
  e:emit('y') -- a once listener fires: removal is announced too
  e:removeListener('x', f) -- nothing removed: nothing emitted
  t.eq(#seen, 2)
  t.same(seen[1], { 'x', f, 0, 0 })
  t.same(seen[2], { 'y', g, 0, 0 })
end)

t.test("removing the last 'removeListener' listener is not announced", function()
  local e = EventEmitter:new()
  local calls = 0
  local function rl() calls = calls + 1 end
  e:on('removeListener', rl)
  e:removeListener('removeListener', rl)
  t.eq(calls, 0)
end)

-- error ----------------------------------------------------------------------------

t.test("unhandled 'error' with a table raises the table itself", function()
  local e = EventEmitter:new()
  local err = { message = 'boom', code = 'EBOOM' }
  local got = t.raises(function() e:emit('error', err) end)
  t.eq(got, err)
end)

t.test("unhandled 'error' with a string raises ERR_UNHANDLED_ERROR", function()
  local e = EventEmitter:new()
  local got = t.raises(function() e:emit('error', 'boom') end, 'ERR_UNHANDLED_ERROR')
  t.eq(got.context, 'boom')
  t.match(got.message, '^Unhandled error%.')
  t.match(got.message, 'boom')
  t.match(tostring(got), 'ERR_UNHANDLED_ERROR')
end)

t.test("unhandled 'error' with nil or a number raises ERR_UNHANDLED_ERROR", function()
  local e = EventEmitter:new()
  local got = t.raises(function() e:emit('error') end, 'ERR_UNHANDLED_ERROR')
  t.eq(got.context, nil)
  got = t.raises(function() e:emit('error', nil, 'more') end, 'ERR_UNHANDLED_ERROR')
  t.eq(got.context, nil)
  got = t.raises(function() e:emit('error', 42) end, 'ERR_UNHANDLED_ERROR')
  t.eq(got.context, 42)
end)

t.test("an error table from lode's errors is raised as is", function()
  local e = EventEmitter:new()
  local _, err = pcall(e.on, e, 'x', 1)
  t.eq(err.code, 'ERR_INVALID_ARG_TYPE')
  local got = t.raises(function() e:emit('error', err) end, 'ERR_INVALID_ARG_TYPE')
  t.eq(got, err)
end)

t.test("'error' with a listener calls it and returns true", function()
  local e = EventEmitter:new()
  local got
  e:on('error', function(...) got = pack(...) end)
  t.eq(e:emit('error', 'bad', 2), true)
  t.eq(got.n, 2)
  t.eq(got[1], 'bad')
  t.eq(got[2], 2)
end)

t.test("'error' with a once listener: handled once, then raises", function()
  local e = EventEmitter:new()
  e:once('error', t.mustCall())
  t.eq(e:emit('error', 'first'), true)
  t.raises(function() e:emit('error', 'second') end, 'ERR_UNHANDLED_ERROR')
end)

t.test("'error' with several listeners calls all of them in order", function()
  local e = EventEmitter:new()
  local order = {}
  for i = 1, 4 do e:on('error', function(err) order[#order + 1] = err .. i end) end
  e:emit('error', 'e')
  t.same(order, { 'e1', 'e2', 'e3', 'e4' })
end)

t.test('errorMonitor listeners see errors before the error listeners', function()
  local e = EventEmitter:new()
  local order = {}
  e:on('error', function(err) order[#order + 1] = 'error:' .. err end)
  e:on(EventEmitter.errorMonitor, function(err, extra)
    order[#order + 1] = 'monitor:' .. err .. ':' .. tostring(extra)
  end)
  e:on(EventEmitter.errorMonitor, function() order[#order + 1] = 'monitor2' end)
  t.eq(e:emit('error', 'x', 'y'), true)
  t.same(order, { 'monitor:x:y', 'monitor2', 'error:x' })
end)

t.test('errorMonitor does not handle the error', function()
  local e = EventEmitter:new()
  local seen
  e:on(EventEmitter.errorMonitor, function(err) seen = err end)
  local err = { message = 'boom' }
  local got = t.raises(function() e:emit('error', err) end)
  t.eq(got, err)
  t.eq(seen, err)
  got = t.raises(function() e:emit('error', 'str') end, 'ERR_UNHANDLED_ERROR')
  t.eq(seen, 'str')
end)

t.test('emitting errorMonitor directly only reaches the monitors', function()
  local e = EventEmitter:new()
  e:on(EventEmitter.errorMonitor, t.mustCall())
  e:on('error', t.mustNotCall('error listener'))
  t.eq(e:emit(EventEmitter.errorMonitor, 'x'), true)
end)

-- max listeners --------------------------------------------------------------------

t.test('getMaxListeners defaults to defaultMaxListeners', function()
  local e = EventEmitter:new()
  t.eq(e:getMaxListeners(), 10)
  e:setMaxListeners(3)
  t.eq(e:getMaxListeners(), 3)
  t.eq(EventEmitter.getMaxListeners(e), 3)
  e:setMaxListeners(math.huge)
  t.eq(e:getMaxListeners(), math.huge)
  e:setMaxListeners(0)
  t.eq(e:getMaxListeners(), 0)
end)

t.test('the leak warning: once per event name, with Node\'s text', function()
  local e = EventEmitter:new()
  local warnings = captureWarnings(function(warnings)
    for _ = 1, 10 do e:on('foo', function() end) end
    t.eq(#warnings, 0)
    e:on('foo', function() end)
    e:on('foo', function() end)
    for _ = 1, 11 do e:on('bar', function() end) end
  end)
  t.eq(#warnings, 2)
  t.eq(warnings[1][1], 'Possible EventEmitter memory leak detected. 11 foo listeners added to '
    .. '[EventEmitter]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit')
  t.eq(warnings[1][2], 'MaxListenersExceededWarning')
  t.match(warnings[2][1], '^Possible EventEmitter memory leak detected%. 11 bar listeners')
  t.eq(e:listenerCount('foo'), 12)
end)

t.test('the leak warning counts once and prepend listeners too', function()
  local e = EventEmitter:new()
  e:setMaxListeners(2)
  local warnings = captureWarnings(function(warnings)
    e:once('x', function() end)
    e:prependListener('x', function() end)
    t.eq(#warnings, 0)
    e:prependOnceListener('x', function() end)
  end)
  t.eq(#warnings, 1)
  t.match(warnings[1][1], '3 x listeners added to %[EventEmitter%]%. MaxListeners is 2%.')
end)

t.test('setMaxListeners(0) and math.huge mean no limit', function()
  local warnings = captureWarnings(function()
    local e = EventEmitter:new():setMaxListeners(0)
    for _ = 1, 50 do e:on('x', function() end) end
    local e2 = EventEmitter:new():setMaxListeners(math.huge)
    for _ = 1, 50 do e2:on('x', function() end) end
  end)
  t.eq(#warnings, 0)
end)

t.test('defaultMaxListeners applies to emitters without their own limit', function()
  local saved = EventEmitter.defaultMaxListeners
  local e, own = EventEmitter:new(), EventEmitter:new():setMaxListeners(10)
  local warnings = captureWarnings(function()
    EventEmitter.defaultMaxListeners = 1
    t.eq(e:getMaxListeners(), 1)
    e:on('x', function() end)
    e:on('x', function() end)
    own:on('x', function() end)
    own:on('x', function() end)
  end)
  EventEmitter.defaultMaxListeners = saved
  t.eq(#warnings, 1)
  t.match(warnings[1][1], '2 x listeners')
end)

t.test('the leak warning names a subclass by its __name', function()
  local Named = EventEmitter:extend()
  Named.__name = 'Named'
  local e = Named:new():setMaxListeners(1)
  local warnings = captureWarnings(function()
    e:on('x', function() end):on('x', function() end)
  end)
  t.eq(#warnings, 1)
  t.match(warnings[1][1], 'added to %[Named%]')
end)

t.test('setMaxListeners rejects negative, NaN and non-numbers', function()
  local e = EventEmitter:new()
  local err = t.raises(function() e:setMaxListeners(-1) end, 'ERR_OUT_OF_RANGE')
  t.match(err.message, '"setMaxListeners" is out of range%. It must be >= 0%. Received %-1')
  t.raises(function() e:setMaxListeners(0 / 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() e:setMaxListeners(-math.huge) end, 'ERR_OUT_OF_RANGE')
  err = t.raises(function() e:setMaxListeners('5') end, 'ERR_INVALID_ARG_TYPE')
  t.match(err.message, 'must be of type number')
  t.raises(function() e:setMaxListeners() end, 'ERR_INVALID_ARG_TYPE')
  t.eq(e:getMaxListeners(), 10)
end)

t.test('static EventEmitter.setMaxListeners(n[, emitter...])', function()
  local saved = EventEmitter.defaultMaxListeners
  EventEmitter.setMaxListeners(20)
  t.eq(EventEmitter.defaultMaxListeners, 20)
  t.eq(EventEmitter:new():getMaxListeners(), 20)
  EventEmitter.defaultMaxListeners = saved
  local a, b = EventEmitter:new(), EventEmitter:new()
  EventEmitter.setMaxListeners(3, a, b)
  t.eq(a:getMaxListeners(), 3)
  t.eq(b:getMaxListeners(), 3)
  t.eq(EventEmitter.defaultMaxListeners, saved)
  t.raises(function() EventEmitter.setMaxListeners(-1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() EventEmitter.setMaxListeners(1, 'nope') end, 'ERR_INVALID_ARG_TYPE')
  t.eq(EventEmitter.defaultMaxListeners, saved)
end)

-- Bad input ------------------------------------------------------------------------

t.test('a non-function listener raises ERR_INVALID_ARG_TYPE before any change', function()
  local e = EventEmitter:new()
  local newListener = 0
  e:on('newListener', function() newListener = newListener + 1 end)
  local methods = { 'on', 'addListener', 'once', 'prependListener', 'prependOnceListener' }
  for _, m in ipairs(methods) do
    for _, bad in ipairs({ 'str', 42, true, {} }) do
      local err = t.raises(function() e[m](e, 'x', bad) end, 'ERR_INVALID_ARG_TYPE')
      t.match(err.message, '^The "listener" argument must be of type function%. Received')
    end
    local err = t.raises(function() e[m](e, 'x') end, 'ERR_INVALID_ARG_TYPE')
    t.match(err.message, 'Received nil')
  end
  t.eq(newListener, 0)
  t.eq(e:listenerCount('x'), 0)
  t.same(e:eventNames(), { 'newListener' })
end)

t.test('removeListener with a non-function raises ERR_INVALID_ARG_TYPE', function()
  local e = EventEmitter:new()
  e:on('x', function() end)
  t.raises(function() e:removeListener('x', 'nope') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() e:off('x') end, 'ERR_INVALID_ARG_TYPE')
  t.eq(e:listenerCount('x'), 1)
end)

t.test('nil and NaN event names raise ERR_INVALID_ARG_VALUE on add', function()
  local e = EventEmitter:new()
  local f = function() end
  local err = t.raises(function() e:on(nil, f) end, 'ERR_INVALID_ARG_VALUE')
  t.match(err.message, 'eventName')
  t.raises(function() e:once(0 / 0, f) end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() e:prependListener(nil, f) end, 'ERR_INVALID_ARG_VALUE')
  t.same(e:eventNames(), {})
  -- reading with such names is harmless
  t.eq(e:emit(nil), false)
  t.same(e:listeners(nil), {})
  t.eq(e:listenerCount(0 / 0), 0)
  t.eq(e:removeListener(nil, f), e)
end)

t.test('initialize rejects a non-table options argument', function()
  t.raises(function() EventEmitter:new('opts') end, 'ERR_INVALID_ARG_TYPE')
  t.ok(EventEmitter:new({ captureRejections = false }))
end)

-- Subclassing ----------------------------------------------------------------------

t.test('subclass with initialize calling EventEmitter.initialize', function()
  local Dog = EventEmitter:extend()
  function Dog:initialize(name)
    EventEmitter.initialize(self)
    self.name = name
  end
  function Dog:bark()
    return self:emit('bark', self.name)
  end
  local d = Dog:new('rex')
  local got
  d:on('bark', function(who) got = who end)
  t.eq(d:bark(), true)
  t.eq(got, 'rex')
  t.ok(class.instanceof(d, Dog))
  t.ok(class.instanceof(d, EventEmitter))
  t.ok(d:instanceof(EventEmitter))
  t.ok(not class.instanceof(EventEmitter:new(), Dog))
  t.eq(Dog.super, EventEmitter)
end)

t.test('subclass that never calls the parent initialize still works', function()
  local Cat = EventEmitter:extend()
  function Cat:initialize(n) self.n = n end
  local c = Cat:new(1)
  c:once('meow', t.mustCall())
  c:emit('meow')
  t.eq(c:listenerCount('meow'), 0)
  local plain = setmetatable({}, EventEmitter) -- not even through new
  plain:on('x', t.mustCall())
  plain:emit('x')
end)

t.test('instances of a subclass do not share listeners', function()
  local Sub = EventEmitter:extend()
  local a, b = Sub:new(), Sub:new()
  a:on('x', function() end)
  t.eq(b:listenerCount('x'), 0)
  t.eq(b:emit('x'), false)
end)

t.test('listeners added on a class table do not leak into its instances', function()
  local Sub = EventEmitter:extend()
  Sub:on('x', function() end) -- a mistake, but it must stay on Sub itself
  local s = Sub:new()
  t.eq(s:listenerCount('x'), 0)
  t.eq(s:emit('x'), false)
end)

t.test('deep subclass chains and overridden methods', function()
  local A = EventEmitter:extend()
  local B = A:extend()
  local log = {}
  function B:emit(name, ...)
    log[#log + 1] = name
    return EventEmitter.emit(self, name, ...)
  end
  function B:on(name, fn)
    log[#log + 1] = 'on:' .. name
    return A.on(self, name, fn)
  end
  local b = B:new()
  t.ok(class.instanceof(b, A))
  t.ok(class.instanceof(b, EventEmitter))
  b:on('newListener', function() end)
  b:on('x', t.mustCall())
  b:emit('x')
  -- newListener goes through the overridden emit
  t.same(log, { 'on:newListener', 'on:x', 'newListener', 'x' })
end)

t.test('EventEmitter.prototype.once is the method for super calls', function()
  local Sub = EventEmitter:extend()
  local calls = 0
  function Sub:once(name, fn)
    calls = calls + 1
    return EventEmitter.prototype.once(self, name, fn)
  end
  local s = Sub:new()
  t.eq(s:once('x', t.mustCall()), s)
  s:emit('x')
  s:emit('x')
  t.eq(calls, 1)
  -- an instance's once is the method, the class's once is the static
  local e = EventEmitter:new()
  t.eq(e.once, EventEmitter.prototype.once)
  t.ok(e.once ~= EventEmitter.once)
end)

-- Static once ----------------------------------------------------------------------

t.test('EventEmitter.once(emitter, name, cb) calls cb(nil, ...) on the event', function()
  local e = EventEmitter:new()
  local got
  EventEmitter.once(e, 'ready', t.mustCall(function(...) got = pack(...) end))
  t.eq(e:listenerCount('ready'), 1)
  t.eq(e:listenerCount('error'), 1)
  e:emit('ready', 1, nil, 3)
  t.eq(got.n, 4)
  t.eq(got[1], nil)
  t.eq(got[2], 1)
  t.eq(got[4], 3)
  t.eq(e:listenerCount('ready'), 0)
  t.eq(e:listenerCount('error'), 0)
  e:emit('ready')
end)

t.test("EventEmitter.once calls cb(err) when 'error' comes first", function()
  local e = EventEmitter:new()
  local got
  EventEmitter.once(e, 'ready', t.mustCall(function(...) got = pack(...) end))
  local err = { message = 'bad' }
  t.eq(e:emit('error', err), true)
  t.eq(got.n, 1)
  t.eq(got[1], err)
  t.same(e:eventNames(), {})
  e:emit('ready')
end)

t.test("EventEmitter.once(emitter, 'error', cb) gets the error as a value", function()
  local e = EventEmitter:new()
  local got
  EventEmitter.once(e, 'error', t.mustCall(function(...) got = pack(...) end))
  t.eq(e:listenerCount('error'), 1)
  e:emit('error', 'boom')
  t.eq(got.n, 2)
  t.eq(got[1], nil)
  t.eq(got[2], 'boom')
end)

t.test('EventEmitter.once rejects bad arguments', function()
  local e = EventEmitter:new()
  t.raises(function() EventEmitter.once(e, 'x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() EventEmitter.once(e, 'x', 'cb') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() EventEmitter.once(nil, 'x', function() end) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() EventEmitter.once('str', 'x', function() end) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() EventEmitter.once(e, nil, function() end) end, 'ERR_INVALID_ARG_VALUE')
  t.same(e:eventNames(), {})
end)

t.test('emit does not allocate with one listener', function()
  local e = EventEmitter:new()
  local sum = 0
  e:on('data', function(a, b) sum = sum + a + #b end)
  for i = 1, 1000 do e:emit('data', i, 'x') end -- warm up
  collectgarbage()
  collectgarbage('stop')
  local before = collectgarbage('count')
  for i = 1, 100000 do e:emit('data', i, 'x') end
  local grown = collectgarbage('count') - before
  collectgarbage('restart')
  -- a table or closure per emit would be several MB here
  t.ok(grown < 64, 'grew by ' .. grown .. ' KB')
  t.ok(sum > 0)
end)

-- A method called on the wrong object ----------------------------------------

t.test('methods called on a non-emitter raise ERR_INVALID_THIS and change nothing', function()
  local ffi = require('ffi')
  local f = function() end
  local calls = {
    { 'on', 'x', f }, { 'addListener', 'x', f }, { 'prependListener', 'x', f },
    { 'prependOnceListener', 'x', f }, { 'removeListener', 'x', f }, { 'off', 'x', f },
    { 'emit', 'x' }, { 'emit', 'error', {} }, { 'eventNames' }, { 'removeAllListeners' },
    { 'listeners', 'x' }, { 'rawListeners', 'x' }, { 'listenerCount', 'x' },
    { 'getMaxListeners' },
  }
  local cyclic = {}
  setmetatable(cyclic, cyclic) -- a metatable cycle must not hang the check
  for _, c in ipairs(calls) do
    for _, bad in ipairs({ 'str', 42, true, ffi.new('int[3]'), cyclic }) do
      local err = t.raises(function() EventEmitter[c[1]](bad, c[2], c[3]) end, 'ERR_INVALID_THIS', c[1])
      t.eq(err.message, 'Value of "this" must be of type EventEmitter')
    end
    local plain = { 1, 2, 3 }
    t.raises(function() EventEmitter[c[1]](plain, c[2], c[3]) end, 'ERR_INVALID_THIS', c[1])
    t.same(plain, { 1, 2, 3 }, c[1])
    t.eq(getmetatable(plain), nil)
  end
  t.raises(function() EventEmitter.prototype.once({}, 'x', f) end, 'ERR_INVALID_THIS')
  -- setMaxListeners(n, ...) is also the static form: only a table first
  -- is taken as the object.
  local plain = {}
  t.raises(function() EventEmitter.setMaxListeners(plain, 3) end, 'ERR_INVALID_THIS')
  t.eq(next(plain), nil)
  t.raises(function() EventEmitter.init('str') end, 'ERR_INVALID_THIS')
end)

t.test('a plain table made an emitter with EventEmitter.init works (a mixin)', function()
  local mixed = {}
  EventEmitter.init(mixed)
  local got
  EventEmitter.on(mixed, 'x', function(v) got = v end)
  t.eq(EventEmitter.emit(mixed, 'x', 7), true)
  t.eq(got, 7)
  t.eq(EventEmitter.listenerCount(mixed, 'x'), 1)
end)

t.test('instances of util.inherits classes and of class tables are emitters', function()
  local util = require('util')
  local Ctor = {}
  util.inherits(Ctor, EventEmitter)
  local obj = setmetatable({}, Ctor)
  obj:on('x', t.mustCall())
  t.eq(obj:emit('x'), true)
  local Sub = EventEmitter:extend()
  local Deep = Sub:extend()
  local d = Deep:new()
  d:on('y', t.mustCall(nil, 2))
  d:emit('y')
  EventEmitter.emit(d, 'y')
  EventEmitter:on('z', function() end) -- the class table itself
  t.eq(EventEmitter:listenerCount('z'), 1)
  EventEmitter:removeAllListeners()
end)

t.test('number names: their own keys, never the order list', function()
  local e = EventEmitter:new()
  local got = {}
  e:on('a', function() got[#got + 1] = 'a' end)
  e:on(1, function(x) got[#got + 1] = 'one:' .. x end)
  e:on(2.5, function() got[#got + 1] = '2.5' end)
  e:on('b', function() got[#got + 1] = 'b' end)
  t.eq(e:emit(1, 'x'), true)
  t.eq(e:emit(2, 'y'), false, 'nobody listens to 2')
  t.eq(e:emit(3), false)
  e:emit(2.5)
  e:emit('a')
  t.same(got, { 'one:x', '2.5', 'a' })
  t.same(e:eventNames(), { 'a', 1, 2.5, 'b' })
  t.eq(e:listenerCount(1), 1)
  t.eq(e:listenerCount(2), 0)
  t.eq(#e:listeners(1), 1)
  e:removeAllListeners(1)
  t.same(e:eventNames(), { 'a', 2.5, 'b' })
  t.eq(e:emit(1, 'z'), false)
  e:removeAllListeners('a')
  t.same(e:eventNames(), { 2.5, 'b' })
  e:removeAllListeners()
  t.same(e:eventNames(), {})
end)

t.test('an emitter with listeners of two names holds one table of them', function()
  local e = EventEmitter:new()
  e:on('data', function() end)
  e:on('error', function() end)
  local n = 0
  for k in pairs(e) do n = n + 1; t.eq(k, '_events') end
  t.eq(n, 1)
end)
