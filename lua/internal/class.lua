-- The one object model. A class is a table that is also the metatable of
-- its instances (`__index` points at itself), and its own metatable is its
-- parent, so method lookup walks the chain. `Class:new(...)` makes an
-- instance and calls `instance:initialize(...)`.
local require = ...

local errors = require('internal/errors')

local setmetatable, getmetatable, rawget, type, error = setmetatable, getmetatable, rawget, type, error

local Object = {}
Object.__index = Object

-- Metamethods are not inherited through __index, so a subclass copies the
-- ones its parent defines (`__tostring`, `__eq`, ...) when it is made.
local metamethods = { '__tostring', '__eq', '__lt', '__le', '__call', '__concat',
  '__len', '__unm', '__add', '__sub', '__mul', '__div', '__mod', '__pow' }

-- extend([name]): a subclass; the name shows in warnings and inspect.
function Object:extend(name)
  if type(self) ~= 'table' then error(errors.ERR_INVALID_THIS('class'), 0) end
  if name ~= nil and type(name) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('name', 'of type string', name), 0)
  end
  local cls = { __name = name }
  for i = 1, #metamethods do
    local k = metamethods[i]
    local v = rawget(self, k)
    if v ~= nil then cls[k] = v end
  end
  cls.__index = cls
  cls.super = self
  return setmetatable(cls, self)
end

-- `self` must be a class: a table with an `__index` that leads to an
-- initialize. An instance, or any other value, raises before anything is
-- made.
function Object:new(...)
  if type(self) ~= 'table' or rawget(self, '__index') == nil then
    error(errors.ERR_INVALID_THIS('class'), 0)
  end
  local obj = setmetatable({}, self)
  local initialize = obj.initialize
  if type(initialize) ~= 'function' then error(errors.ERR_INVALID_THIS('class'), 0) end
  initialize(obj, ...)
  return obj
end

function Object:initialize() end

-- True when `obj` is an instance of `cls` or of one of its subclasses.
local function instanceof(obj, cls)
  if type(obj) ~= 'table' then return false end
  local mt = getmetatable(obj)
  while mt do
    if mt == cls then return true end
    mt = getmetatable(mt)
  end
  return false
end

function Object:instanceof(cls)
  return instanceof(self, cls)
end

return { Object = Object, instanceof = instanceof }
