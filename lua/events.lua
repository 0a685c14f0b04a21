-- events: Node's EventEmitter.
--
-- Storage, as in Node: `self._events[name]` is either a single listener
-- function or an array of listeners. Arrays are never changed in place: every
-- add or remove builds a new array and stores it, so an emit in progress keeps
-- walking the array it started with (a listener removed during an emit is
-- still called by that emit, one added is not) without copying anything per
-- emit. A `once` listener is stored as a callable table (see OnceWrapper)
-- that is also an array holding itself at [1], so every stored entry is
-- either a function (emit's fast path: `type(h) == 'function'`) or an array
-- of listeners, and a lone once listener costs no extra table.
--
-- Private fields, all created lazily and read with rawget (so an instance
-- made without calling initialize works, and a class table that was used as
-- an emitter by mistake does not share its listeners with its instances):
--   _events        key -> function | array, and in its array part the keys
--                  in the order of their first registration (eventNames'
--                  order): one table per emitter, not two. A number name
--                  is stored under a key of its own (keyOf), so it never
--                  meets the order list's indexes.
--   _maxListeners  set by setMaxListeners
--   _warned        name -> true once the leak warning was given
local require = ...

local class = require('internal/class')
local errors = require('internal/errors')

local type, rawget, rawset, error, tostring = type, rawget, rawset, error, tostring
local setmetatable, getmetatable, select = setmetatable, getmetatable, select
local format = string.format

local EventEmitter = class.Object:extend()
EventEmitter.__name = 'EventEmitter'
EventEmitter.EventEmitter = EventEmitter
EventEmitter.defaultMaxListeners = 10
EventEmitter.errorMonitor = setmetatable({}, {
  __tostring = function() return 'Symbol(events.errorMonitor)' end,
})
local kErrorMonitor = EventEmitter.errorMonitor

-- Node keeps statics on the constructor and methods on the prototype; here
-- both live on the class table, and they clash only for `once`: the static
-- `EventEmitter.once(emitter, name, cb)` and the method `emitter:once(name,
-- fn)`. Instances therefore look methods up through `proto`, which holds the
-- method `once` and falls back to the class table for everything else.
-- `EventEmitter.prototype.once(self, ...)` is the method for super calls.
local proto = setmetatable({}, { __index = EventEmitter })
EventEmitter.__index = proto
EventEmitter.prototype = proto

-- Every method checks that `self` is an emitter before it reads or writes
-- it, since a method can be called on anything (`EventEmitter.on({}, ...)`).
-- An emitter is a table whose chain of metatables reaches EventEmitter (an
-- instance, a subclass's instance, a class table itself, process), or a
-- plain table handed to `EventEmitter.init` (a mixin). The common case, a
-- direct instance, is one comparison; other metatables found to lead to
-- EventEmitter are remembered, so the walk up the chain happens once per
-- class. Both sets are weak, so they keep no class or table alive.
local emitterClasses = setmetatable({ [EventEmitter] = true }, { __mode = 'k' })
local mixins = setmetatable({}, { __mode = 'k' })
local MAX_CHAIN = 100 -- a metatable cycle (setmetatable(t, t)) must not hang

local function isEmitter(self)
  if type(self) ~= 'table' then return false end
  if self == EventEmitter or mixins[self] then return true end
  local first = getmetatable(self)
  local mt = first
  for _ = 1, MAX_CHAIN do
    if type(mt) ~= 'table' then return false end
    if emitterClasses[mt] then
      emitterClasses[first] = true
      return true
    end
    mt = getmetatable(mt)
  end
  return false
end

local function notEmitter()
  error(errors.ERR_INVALID_THIS('EventEmitter'), 0)
end

local function checkThis(self)
  local mt = getmetatable(self)
  if mt ~= EventEmitter and not emitterClasses[mt] and not isEmitter(self) then notEmitter() end
end

-- A once-wrapper: calling it removes it from its emitter, then calls the
-- listener with the arguments (only the first call does anything).
-- Fields: listener (the function given to once), target, type (event name),
-- fired, and [1] = the wrapper itself (so it can be stored as the whole
-- entry of an event: an array of one listener).
local OnceWrapper = { __name = 'OnceWrapper' }
OnceWrapper.__call = function(w, ...)
  if not w.fired then
    w.fired = true
    w.target:removeListener(w.type, w)
    return w.listener(...)
  end
end
OnceWrapper.__tostring = function(w)
  return 'OnceWrapper: ' .. tostring(w.listener)
end

local function checkListener(listener)
  if type(listener) ~= 'function' and getmetatable(listener) ~= OnceWrapper then
    error(errors.ERR_INVALID_ARG_TYPE('listener', 'of type function', listener), 0)
  end
end

local function checkName(name)
  if name == nil or name ~= name then
    error(errors.ERR_INVALID_ARG_VALUE('eventName', name, 'must not be nil or NaN'), 0)
  end
end

-- The function a stored entry stands for (a wrapper's listener).
local function unwrap(h)
  if type(h) == 'table' then return h.listener end
  return h
end

local function matches(h, listener)
  return h == listener or (type(h) == 'table' and h.listener == listener)
end

-- Number names and their keys: a small table per number, marked by its
-- metatable; weak values, since every emitter using one holds it.
local NUMBER_KEY = {}
local numberKeys = setmetatable({}, { __mode = 'v' })

local function keyOf(name)
  if type(name) ~= 'number' then return name end
  local k = numberKeys[name]
  if k == nil then
    k = setmetatable({ name }, NUMBER_KEY)
    numberKeys[name] = k
  end
  return k
end

-- The key of a name for a lookup: nil for a number nobody listens to.
local function findKey(name)
  if type(name) ~= 'number' then return name end
  return numberKeys[name]
end

local function nameOf(key)
  if getmetatable(key) == NUMBER_KEY then return key[1] end
  return key
end

local function getMax(self)
  local m = rawget(self, '_maxListeners')
  if m == nil then m = EventEmitter.defaultMaxListeners end
  return m
end

local function warn(self, name, count, max)
  local warned = rawget(self, '_warned')
  if warned == nil then
    warned = {}
    rawset(self, '_warned', warned)
  end
  if warned[name] then return end
  warned[name] = true
  local msg = format('Possible EventEmitter memory leak detected. %d %s listeners added to [%s]. '
    .. 'MaxListeners is %s. Use emitter.setMaxListeners() to increase limit',
    count, tostring(name), tostring(self.__name or 'EventEmitter'), tostring(max))
  local p = process -- the global, made after this module loads
  if p ~= nil and type(p.emitWarning) == 'function' then
    p.emitWarning(msg, 'MaxListenersExceededWarning')
  else
    io.stderr:write('MaxListenersExceededWarning: ', msg, '\n')
  end
end

local function addListener(self, name, listener, prepend)
  checkThis(self)
  checkListener(listener)
  checkName(name)
  local events = rawget(self, '_events')
  if events ~= nil and events.newListener ~= nil then
    self:emit('newListener', name, unwrap(listener))
    events = rawget(self, '_events') -- a newListener listener may have reset it
  end
  if events == nil then
    events = {}
    rawset(self, '_events', events)
  end
  local key = keyOf(name)
  local existing = events[key]
  if existing == nil then
    events[key] = listener -- a function, or a wrapper (an array of itself)
    events[#events + 1] = key
    return self
  end
  local list, n
  if type(existing) == 'function' then
    n = 2
    if prepend then list = { listener, existing } else list = { existing, listener } end
  else
    local len = #existing
    n = len + 1
    list = {}
    if prepend then
      list[1] = listener
      for i = 1, len do list[i + 1] = existing[i] end
    else
      for i = 1, len do list[i] = existing[i] end
      list[n] = listener
    end
  end
  events[key] = list
  local m = getMax(self)
  if type(m) == 'number' and m > 0 and n > m then
    warn(self, name, n, m)
  end
  return self
end

-- Calls every listener of one stored entry.
local function callHandler(h, ...)
  if type(h) == 'function' then
    h(...)
  else
    for i = 1, #h do h[i](...) end
  end
end

local function emitError(self, ...)
  local events = rawget(self, '_events')
  if events ~= nil then
    local monitor = events[kErrorMonitor]
    if monitor ~= nil then callHandler(monitor, ...) end
    local h = events.error
    if h ~= nil then
      callHandler(h, ...)
      return true
    end
  end
  local err = ...
  if type(err) == 'table' then error(err, 0) end
  error(errors.ERR_UNHANDLED_ERROR(err), 0)
end

-- Loops over an array of listeners for 0 to 3 arguments. LuaJIT cannot
-- start a trace at a loop inside a vararg function (NYI: VARG), so emit's
-- own loop would run interpreted once hot; these loops compile, and each
-- listener still gets exactly the emitted number of arguments.
local function call0(h) for i = 1, #h do h[i]() end end
local function call1(h, a) for i = 1, #h do h[i](a) end end
local function call2(h, a, b) for i = 1, #h do h[i](a, b) end end
local function call3(h, a, b, c) for i = 1, #h do h[i](a, b, c) end end

-- Constructor -----------------------------------------------------------------

-- Subclasses call `EventEmitter.initialize(self)` (or `EventEmitter.init`)
-- from their own initialize; forgetting it is harmless, as the private
-- fields are made on first use.
function EventEmitter:initialize(opts)
  if getmetatable(self) ~= EventEmitter and not isEmitter(self) then
    if type(self) ~= 'table' then notEmitter() end
    mixins[self] = true
  end
  if opts ~= nil and type(opts) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', opts), 0)
  end
end
EventEmitter.init = EventEmitter.initialize

-- Emitting ----------------------------------------------------------------------

-- Hot path: one table read for the events, one for the entry, then the call.
-- No table, closure or pcall per emit; the arguments are passed on as `...`.
--
-- The check of `self` costs nothing here: a table whose `_events` field
-- holds a table got it from addListener, which checked that table, so
-- only the other cases (no listeners yet, not a table) take the full check.
function EventEmitter:emit(name, ...)
  if name == 'error' then
    checkThis(self)
    return emitError(self, ...)
  end
  local events = type(self) == 'table' and rawget(self, '_events') or nil
  if type(events) ~= 'table' then
    checkThis(self)
    if events == nil then return false end
    error(errors.ERR_INVALID_THIS('EventEmitter'), 0)
  end
  if type(name) == 'number' then
    name = numberKeys[name]
    if name == nil then return false end
  end
  local h = events[name]
  if h == nil then return false end
  if type(h) == 'function' then
    h(...)
    return true
  end
  -- Short arrays unrolled (a stored array is never empty), longer ones by
  -- argument count (see call0..call3).
  local len = #h
  if len <= 3 then
    h[1](...)
    if len > 1 then
      h[2](...)
      if len > 2 then h[3](...) end
    end
    return true
  end
  local n = select('#', ...)
  if n == 0 then call0(h)
  elseif n == 1 then call1(h, ...)
  elseif n == 2 then call2(h, ...)
  elseif n == 3 then call3(h, ...)
  else
    for i = 1, #h do h[i](...) end
  end
  return true
end

-- Adding ------------------------------------------------------------------------

function EventEmitter:on(name, listener)
  return addListener(self, name, listener, false)
end
EventEmitter.addListener = EventEmitter.on

function EventEmitter:prependListener(name, listener)
  return addListener(self, name, listener, true)
end

local function onceWrap(self, name, listener)
  local w = setmetatable({ false, listener = listener, target = self, type = name,
    fired = false }, OnceWrapper)
  w[1] = w
  return w
end

-- The method `emitter:once(name, listener)`; on the class table `once` is the
-- static below (see `proto`).
function proto:once(name, listener)
  checkThis(self)
  checkListener(listener)
  checkName(name)
  return addListener(self, name, onceWrap(self, name, listener), false)
end

function EventEmitter:prependOnceListener(name, listener)
  checkThis(self)
  checkListener(listener)
  checkName(name)
  return addListener(self, name, onceWrap(self, name, listener), true)
end

-- Removing ----------------------------------------------------------------------

local function dropKey(events, key)
  events[key] = nil
  for i = 1, #events do
    if events[i] == key then
      table.remove(events, i)
      return
    end
  end
end

-- Removes the most recently added instance of `listener` (or of a once
-- wrapper around it); a no-op when it is not there.
function EventEmitter:removeListener(name, listener)
  checkThis(self)
  checkListener(listener)
  local events = rawget(self, '_events')
  if events == nil then return self end
  local key = findKey(name)
  local h = key ~= nil and events[key] or nil
  if h == nil then return self end
  local removed
  if type(h) == 'function' then
    if h ~= listener then return self end
    removed = h
    dropKey(events, key)
  else
    local len = #h
    local pos
    for i = len, 1, -1 do
      if matches(h[i], listener) then
        pos = i
        break
      end
    end
    if pos == nil then return self end
    removed = h[pos]
    if len == 1 then
      dropKey(events, key)
    elseif len == 2 then
      events[key] = h[3 - pos] -- a function, or a wrapper (an array of itself)
    else
      local list, j = {}, 0
      for i = 1, len do
        if i ~= pos then
          j = j + 1
          list[j] = h[i]
        end
      end
      events[key] = list
    end
  end
  if events.removeListener ~= nil then
    self:emit('removeListener', name, unwrap(removed))
  end
  return self
end
EventEmitter.off = EventEmitter.removeListener

function EventEmitter:eventNames()
  checkThis(self)
  local events = rawget(self, '_events')
  local names = {}
  if events == nil then return names end
  for i = 1, #events do names[i] = nameOf(events[i]) end
  return names
end

-- Without a name (nil) removes every listener of every event. When someone
-- listens to 'removeListener', it is emitted for each listener removed:
-- event by event in registration order, each event's listeners last first,
-- 'removeListener' itself last.
function EventEmitter:removeAllListeners(name)
  checkThis(self)
  local events = rawget(self, '_events')
  if events == nil then return self end
  if events.removeListener == nil then
    if name == nil then
      rawset(self, '_events', nil)
    else
      local key = findKey(name)
      if key ~= nil and events[key] ~= nil then dropKey(events, key) end
    end
    return self
  end
  if name == nil then
    local names = self:eventNames()
    for i = 1, #names do
      if names[i] ~= 'removeListener' then self:removeAllListeners(names[i]) end
    end
    self:removeAllListeners('removeListener')
    rawset(self, '_events', nil)
    return self
  end
  local key = findKey(name)
  local h = key ~= nil and events[key] or nil
  if type(h) == 'function' then
    self:removeListener(name, h)
  elseif h ~= nil then
    for i = #h, 1, -1 do self:removeListener(name, h[i]) end
  end
  return self
end

-- Inspecting --------------------------------------------------------------------

-- A new array of the listeners of `name`, once wrappers unwrapped.
function EventEmitter:listeners(name)
  checkThis(self)
  local events = rawget(self, '_events')
  local key = events and findKey(name)
  local h = key ~= nil and events[key] or nil
  if h == nil then return {} end
  if type(h) == 'function' then return { h } end
  local list = {}
  for i = 1, #h do list[i] = unwrap(h[i]) end
  return list
end

-- A new array of the stored listeners, once wrappers included as they are.
function EventEmitter:rawListeners(name)
  checkThis(self)
  local events = rawget(self, '_events')
  local key = events and findKey(name)
  local h = key ~= nil and events[key] or nil
  if h == nil then return {} end
  if type(h) == 'function' then return { h } end
  local list = {}
  for i = 1, #h do list[i] = h[i] end
  return list
end

-- `emitter:listenerCount(name[, listener])`, also the static
-- `EventEmitter.listenerCount(emitter, name)` (the same call).
function EventEmitter:listenerCount(name, listener)
  checkThis(self)
  local events = rawget(self, '_events')
  local key = events and findKey(name)
  local h = key ~= nil and events[key] or nil
  if h == nil then return 0 end
  if type(h) == 'function' then
    if listener == nil or h == listener then return 1 end
    return 0
  end
  if listener == nil then return #h end
  local n = 0
  for i = 1, #h do
    if matches(h[i], listener) then n = n + 1 end
  end
  return n
end

-- Max listeners -----------------------------------------------------------------

local function checkMax(n)
  if type(n) ~= 'number' then
    error(errors.ERR_INVALID_ARG_TYPE('setMaxListeners', 'of type number', n), 0)
  end
  if n ~= n or n < 0 then
    error(errors.ERR_OUT_OF_RANGE('setMaxListeners', '>= 0', n), 0)
  end
end

-- `emitter:setMaxListeners(n)`: 0 or math.huge means no limit. Also the
-- static `EventEmitter.setMaxListeners([n[, emitter, ...]])`: with no
-- emitter it sets `EventEmitter.defaultMaxListeners` (n defaults to it).
function EventEmitter.setMaxListeners(self, n, ...)
  if type(self) == 'table' then
    checkThis(self)
    checkMax(n)
    rawset(self, '_maxListeners', n)
    return self
  end
  local limit = self
  if limit == nil then limit = EventEmitter.defaultMaxListeners end
  checkMax(limit)
  local count = select('#', ...)
  if n == nil and count == 0 then
    EventEmitter.defaultMaxListeners = limit
    return
  end
  local emitters = { n, ... }
  for i = 1, count + 1 do
    local e = emitters[i]
    if type(e) ~= 'table' or type(e.setMaxListeners) ~= 'function' then
      error(errors.ERR_INVALID_ARG_TYPE('eventTargets', 'an instance of EventEmitter', e), 0)
    end
  end
  for i = 1, count + 1 do emitters[i]:setMaxListeners(limit) end
end

-- `emitter:getMaxListeners()`, also `EventEmitter.getMaxListeners(emitter)`.
function EventEmitter:getMaxListeners()
  checkThis(self)
  return getMax(self)
end

-- Statics -----------------------------------------------------------------------

-- `EventEmitter.getEventListeners(emitter, name)`: `emitter:listeners(name)`.
function EventEmitter.getEventListeners(emitter, name)
  if type(emitter) ~= 'table' or type(emitter.listeners) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('emitter', 'an instance of EventEmitter', emitter), 0)
  end
  return emitter:listeners(name)
end

-- `EventEmitter.once(emitter, name, cb)`: Node's `events.once`, with a
-- callback where Node returns a promise. The first `name` event calls
-- `cb(nil, ...)` with its arguments; an 'error' event first calls `cb(err)`.
-- Whichever comes first removes both listeners.
function EventEmitter.once(emitter, name, cb)
  if type(emitter) ~= 'table' or type(emitter.removeListener) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('emitter', 'an instance of EventEmitter', emitter), 0)
  end
  checkName(name)
  errors.checkFunction(cb, 'callback')
  local errorListener
  local function resolver(...)
    if errorListener ~= nil then emitter:removeListener('error', errorListener) end
    return cb(nil, ...)
  end
  if name ~= 'error' then
    errorListener = function(err)
      emitter:removeListener(name, resolver)
      return cb(err)
    end
  end
  -- Node calls the emitter's own once; the static one (when `emitter` is a
  -- class table) would recurse, so that case gets the method.
  local once = emitter.once
  if once == EventEmitter.once or type(once) ~= 'function' then once = proto.once end
  once(emitter, name, resolver)
  if errorListener ~= nil then once(emitter, 'error', errorListener) end
end

return EventEmitter
