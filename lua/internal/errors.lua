-- Error tables shared by every module.
--
-- An error is a plain table with Node's fields (`code`, `message`, `name`,
-- and for system errors `errno`, `syscall`, `path`, `dest`, `address`,
-- `port`) and a metatable that gives it a `__tostring`. Misuse errors are
-- raised at once with `error(e, 0)`; system errors travel as the first
-- argument of a callback, or are raised by the Sync variants.
local require, binding = ...

local uv = binding('errors')

local type, tostring, format, error = type, tostring, string.format, error
local setmetatable, getmetatable = setmetatable, getmetatable

local ErrorMeta = {}
ErrorMeta.__index = ErrorMeta

ErrorMeta.__tostring = function(e)
  local name = e.name or 'Error'
  if e.code and not e.errno then
    return format('%s [%s]: %s', name, tostring(e.code), tostring(e.message))
  end
  return format('%s: %s', name, tostring(e.message))
end

local M = { Error = ErrorMeta }

-- Makes an error table. `name` is Node's class name ('TypeError', ...).
local function new(name, code, message)
  return setmetatable({ name = name, code = code, message = message }, ErrorMeta)
end
M.new = new

function M.isError(v)
  return type(v) == 'table' and getmetatable(v) == ErrorMeta
end

-- Describes a received value the way Node's messages do, with Lua's type
-- names: `Received type number (3)`, `Received nil`.
local function describe(v)
  local t = type(v)
  if v == nil then return 'Received nil' end
  if t == 'string' then
    local s = #v > 28 and v:sub(1, 25) .. '...' or v
    return format("Received type string ('%s')", s)
  end
  if t == 'number' or t == 'boolean' then
    return format('Received type %s (%s)', t, tostring(v))
  end
  if t == 'function' then return 'Received function' end
  if t == 'cdata' then return 'Received type cdata' end
  return 'Received type ' .. t
end
M.describe = describe

local function argName(name)
  if name:find('%.') then return format('The "%s" property', name) end
  return format('The "%s" argument', name)
end

function M.ERR_INVALID_ARG_TYPE(name, expected, value)
  return new('TypeError', 'ERR_INVALID_ARG_TYPE',
    format('%s must be %s. %s', argName(name), expected, describe(value)))
end

function M.ERR_INVALID_ARG_VALUE(name, value, reason)
  local v = type(value) == 'string' and format("'%s'", value) or tostring(value)
  return new('TypeError', 'ERR_INVALID_ARG_VALUE',
    format("The argument '%s' %s. Received %s", name, reason or 'is invalid', v))
end

function M.ERR_OUT_OF_RANGE(name, range, value)
  return new('RangeError', 'ERR_OUT_OF_RANGE',
    format('The value of "%s" is out of range. It must be %s. Received %s',
      name, range, tostring(value)))
end

-- A method reached as a plain function and called on an object of
-- another class (`Timeout.unref({})`): Node's message for a wrong `this`.
function M.ERR_INVALID_THIS(typeName)
  return new('TypeError', 'ERR_INVALID_THIS', format('Value of "this" must be of type %s', typeName))
end

function M.ERR_UNKNOWN_ENCODING(enc)
  return new('TypeError', 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' .. tostring(enc))
end

function M.ERR_MISSING_ARGS(name)
  return new('TypeError', 'ERR_MISSING_ARGS', format('The "%s" argument must be specified', name))
end

function M.ERR_UNHANDLED_ERROR(context)
  local shown = type(context) == 'string' and format("'%s'", context) or tostring(context)
  local e = new('Error', 'ERR_UNHANDLED_ERROR', 'Unhandled error. (' .. shown .. ')')
  e.context = context
  return e
end

-- A system error from a negative libuv status: ENOENT and friends.
-- Node's message: "ENOENT: no such file or directory, open 'x' -> 'y'".
function M.uv(errno, syscall, path, dest)
  local code = uv.errname(errno)
  local msg = format('%s: %s, %s', code, uv.strerror(errno), syscall or '?')
  if path ~= nil then msg = msg .. format(" '%s'", tostring(path)) end
  if dest ~= nil then msg = msg .. format(" -> '%s'", tostring(dest)) end
  local e = new('Error', code, msg)
  e.errno, e.syscall, e.path, e.dest = errno, syscall, path, dest
  return e
end

-- Node's errnoException and exceptionWithHostPort (net, dgram): the
-- message is "connect ECONNREFUSED 127.0.0.1:1", no libuv text.
function M.errnoException(errno, syscall, address, port)
  local code = uv.errname(errno)
  local msg = syscall .. ' ' .. code
  if address ~= nil then msg = msg .. ' ' .. tostring(address) .. (port ~= nil and (':' .. tostring(port)) or '') end
  local e = new('Error', code, msg)
  e.errno, e.syscall, e.address, e.port = errno, syscall, address, port
  return e
end

-- Node's uvExceptionWithHostPort (listen, bind): the message carries
-- libuv's text: "listen EADDRINUSE: address already in use :::80".
function M.uvExceptionWithHostPort(errno, syscall, address, port)
  local code = uv.errname(errno)
  local msg = format('%s %s: %s', syscall, code, uv.strerror(errno))
  if address ~= nil then msg = msg .. ' ' .. tostring(address) .. (port ~= nil and (':' .. tostring(port)) or '') end
  local e = new('Error', code, msg)
  e.errno, e.syscall, e.address, e.port = errno, syscall, address, port
  return e
end

-- Stream errors, with Node's messages.
function M.ERR_STREAM_DESTROYED(method)
  return new('Error', 'ERR_STREAM_DESTROYED', format('Cannot call %s after a stream was destroyed', method))
end

function M.ERR_STREAM_WRITE_AFTER_END()
  return new('Error', 'ERR_STREAM_WRITE_AFTER_END', 'write after end')
end

function M.ERR_SOCKET_BAD_PORT(name, value)
  return new('RangeError', 'ERR_SOCKET_BAD_PORT',
    format('%s should be >= 0 and < 65536. %s.', name, describe(value)))
end

-- Checkers raise at once, before the caller allocates anything.
local function typeChecker(luaType)
  local expected = 'of type ' .. luaType
  return function(v, name)
    if type(v) ~= luaType then error(M.ERR_INVALID_ARG_TYPE(name, expected, v), 0) end
    return v
  end
end
M.checkFunction = typeChecker('function')
M.checkString = typeChecker('string')
M.checkNumber = typeChecker('number')
M.checkTable = typeChecker('table')

-- An integer in [min, max]; NaN and fractions are out of range, as in Node.
function M.checkInteger(v, name, min, max)
  if type(v) ~= 'number' then
    error(M.ERR_INVALID_ARG_TYPE(name, 'of type number', v), 0)
  end
  if v ~= v or v % 1 ~= 0 then
    error(M.ERR_OUT_OF_RANGE(name, 'an integer', v), 0)
  end
  if (min and v < min) or (max and v > max) then
    error(M.ERR_OUT_OF_RANGE(name, format('>= %s and <= %s', tostring(min), tostring(max)), v), 0)
  end
  return v
end

return M
