-- The one object model. A class is a table that is also the metatable of
-- its instances (`__index` points at itself), and its own metatable is its
-- parent, so method lookup walks the chain. `Class:new(...)` makes an
-- instance and calls `instance:initialize(...)`.
local setmetatable, getmetatable, rawget, type = setmetatable, getmetatable, rawget, type

local Object = {}
Object.__index = Object

-- Metamethods are not inherited through __index, so a subclass copies the
-- ones its parent defines (`__tostring`, `__eq`, ...) when it is made.
local metamethods = { '__tostring', '__eq', '__lt', '__le', '__call', '__concat',
  '__len', '__unm', '__add', '__sub', '__mul', '__div', '__mod', '__pow' }

-- extend([name]): a subclass; the name shows in warnings and inspect.
function Object:extend(name)
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

function Object:new(...)
  local obj = setmetatable({}, self)
  obj:initialize(...)
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
