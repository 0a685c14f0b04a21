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
local select, unpack, pcall = select, unpack, pcall
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

-- System errors ---------------------------------------------------------
--
-- A binding returns (nil, errno) when the environment says no, errno being
-- libuv's negative code; these turn it into Node's error tables, with the
-- message shapes of Node's lib/internal/errors.js, so that a script that
-- matches on err.message sees what it would see under Node.

-- libuv's name and description of errno; Node's 'UNKNOWN' for what is not
-- a libuv code at all.
local function describeErrno(errno)
  if type(errno) ~= 'number' or errno >= 0 or errno < -4095 or errno % 1 ~= 0 then
    return 'UNKNOWN', 'unknown error'
  end
  return uv.errname(errno), uv.strerror(errno)
end

-- A path as text: a Buffer path gives its bytes (Node's path.toString()),
-- not the inspect form its tostring gives.
local function pathText(v)
  if type(v) == 'string' then return v end
  local ok, s = pcall(function() return v:toString() end)
  if ok and type(s) == 'string' then return s end
  return tostring(v)
end

-- The error of a call on a path (Node's UVException):
-- "ENOENT: no such file or directory, open 'x'", and " -> 'y'" when there
-- is a destination. An empty path or dest is left out, as in Node.
local function uvError(errno, syscall, path, dest)
  local code, text = describeErrno(errno)
  local msg = format('%s: %s, %s', code, text, tostring(syscall))
  if path == '' then path = nil end
  if dest == '' then dest = nil end
  if path ~= nil then
    path = pathText(path)
    msg = msg .. format(" '%s'", path)
  end
  if dest ~= nil then
    dest = pathText(dest)
    msg = msg .. format(" -> '%s'", dest)
  end
  local e = new('Error', code, msg)
  e.errno, e.syscall, e.path, e.dest = errno, syscall, path, dest
  return e
end
M.uv = uvError

-- " 127.0.0.1:80", " /tmp/sock" or "": where a socket error happened, as
-- Node prints it (a port of 0 or none leaves only the address).
local function hostPortDetails(address, port)
  if type(port) == 'number' and port > 0 then
    return format(' %s:%s', tostring(address), tostring(port))
  elseif address ~= nil and address ~= '' then
    return ' ' .. tostring(address)
  end
  return ''
end

local function withHostPort(e, errno, syscall, address, port)
  e.errno, e.syscall, e.address = errno, syscall, address
  if port ~= nil and port ~= 0 then e.port = port end
  return e
end

-- The error of a bind or listen (Node's UVExceptionWithHostPort), with
-- libuv's description: "listen EADDRINUSE: address already in use :::80".
function M.uvHostPort(errno, syscall, address, port)
  local code, text = describeErrno(errno)
  local msg = format('%s %s: %s', tostring(syscall), code, text) .. hostPortDetails(address, port)
  return withHostPort(new('Error', code, msg), errno, syscall, address, port)
end

-- The error of a connect or send (Node's exceptionWithHostPort), without
-- the description: "connect ECONNREFUSED 127.0.0.1:80". `additional` is
-- the local end, appended as " - Local (host:port)".
function M.hostPort(errno, syscall, address, port, additional)
  local code = describeErrno(errno)
  local msg = format('%s %s', tostring(syscall), code) .. hostPortDetails(address, port)
  if additional ~= nil and additional ~= '' then
    msg = msg .. format(' - Local (%s)', tostring(additional))
  end
  return withHostPort(new('Error', code, msg), errno, syscall, address, port)
end

-- The error of a call with no path or address (Node's ErrnoException):
-- "write EPIPE", "read ECONNRESET".
function M.errno(errno, syscall, original)
  local code = describeErrno(errno)
  local msg = format('%s %s', tostring(syscall), code)
  if original ~= nil then msg = msg .. ' ' .. tostring(original) end
  local e = new('Error', code, msg)
  e.errno, e.syscall = errno, syscall
  return e
end

-- The error of a name lookup (Node's DNSException): "getaddrinfo ENOTFOUND
-- example.invalid". libuv's EAI_NONAME and EAI_NODATA become Node's
-- ENOTFOUND; a string code (c-ares style) is kept as it is.
function M.dns(code, syscall, hostname)
  local errno
  if type(code) == 'number' then
    errno = code
    code = describeErrno(code)
    if code == 'EAI_NONAME' or code == 'EAI_NODATA' then code = 'ENOTFOUND' end
  end
  local msg = format('%s %s', tostring(syscall), tostring(code))
  if hostname ~= nil and hostname ~= '' then msg = msg .. ' ' .. tostring(hostname) end
  local e = new('Error', code, msg)
  e.errno, e.syscall = errno, syscall
  if hostname ~= nil and hostname ~= '' then e.hostname = hostname end
  return e
end

-- A binding's (r, errno): r when the call worked (r ~= nil), else raises
-- the path error. For the Sync functions: `check(b.open(p, f), 'open', p)`
-- reads as the call it guards. Only the first result passes through.
function M.check(r, errno, syscall, path, dest)
  if r == nil then error(uvError(errno, syscall, path, dest), 0) end
  return r
end

-- A binding's (r, errno) for a callback: nil when the call worked, else
-- the path error, to pass as `err`.
function M.result(r, errno, syscall, path, dest)
  if r == nil then return uvError(errno, syscall, path, dest) end
  return nil
end

-- Misuse errors of streams, sockets and files --------------------------
--
-- Each constructor takes what Node's message names and gives Node's exact
-- text; `%s` is filled with tostring of each argument.
local function define(code, name, template)
  M[code] = function(...)
    local n = select('#', ...)
    local args = { ... }
    for i = 1, n do args[i] = tostring(args[i]) end
    return new(name, code, n > 0 and format(template, unpack(args, 1, n)) or template)
  end
end

define('ERR_INVALID_THIS', 'TypeError', 'Value of "this" must be of type %s')
define('ERR_METHOD_NOT_IMPLEMENTED', 'Error', 'The %s method is not implemented')
define('ERR_MULTIPLE_CALLBACK', 'Error', 'Callback called multiple times')
define('ERR_STREAM_ALREADY_FINISHED', 'Error', 'Cannot call %s after a stream was finished')
define('ERR_STREAM_CANNOT_PIPE', 'Error', 'Cannot pipe, not readable')
define('ERR_STREAM_DESTROYED', 'Error', 'Cannot call %s after a stream was destroyed')
define('ERR_STREAM_NULL_VALUES', 'TypeError', 'May not write null values to stream')
define('ERR_STREAM_PREMATURE_CLOSE', 'Error', 'Premature close')
define('ERR_STREAM_PUSH_AFTER_EOF', 'Error', 'stream.push() after EOF')
define('ERR_STREAM_UNABLE_TO_PIPE', 'Error', 'Cannot pipe to a closed or destroyed stream')
define('ERR_STREAM_UNSHIFT_AFTER_END_EVENT', 'Error', 'stream.unshift() after end event')
define('ERR_STREAM_WRITE_AFTER_END', 'Error', 'write after end')
define('ERR_SERVER_ALREADY_LISTEN', 'Error', 'Listen method has been called more than once without closing.')
define('ERR_SERVER_NOT_RUNNING', 'Error', 'Server is not running.')
define('ERR_SOCKET_ALREADY_BOUND', 'Error', 'Socket is already bound')
define('ERR_SOCKET_BAD_BUFFER_SIZE', 'TypeError', 'Buffer size must be a positive integer')
define('ERR_SOCKET_BAD_TYPE', 'TypeError', 'Bad socket type specified. Valid types are: udp4, udp6')
define('ERR_SOCKET_CLOSED', 'Error', 'Socket is closed')
define('ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Error', 'Socket closed before the connection was established')
define('ERR_SOCKET_CONNECTION_TIMEOUT', 'Error', 'Socket connection timeout')
define('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Error', 'Already connected')
define('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Error', 'Not connected')
define('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Error', 'Not running')
define('ERR_INVALID_FD', 'RangeError', '"fd" must be a positive integer: %s')
define('ERR_INVALID_IP_ADDRESS', 'TypeError', 'Invalid IP address: %s')
define('ERR_FS_FILE_TOO_LARGE', 'RangeError', 'File size (%s) is greater than 2 GiB')
define('ERR_USE_AFTER_CLOSE', 'Error', '%s was closed')

-- A port that is not an integer in [0, 65536) (or (0, 65536) when zero is
-- not allowed): "port should be >= 0 and < 65536. Received type number (-1)."
function M.ERR_SOCKET_BAD_PORT(name, port, allowZero)
  local op = allowZero == false and '>' or '>='
  local e = new('RangeError', 'ERR_SOCKET_BAD_PORT',
    format('%s should be %s 0 and < 65536. %s.', tostring(name), op, describe(port)))
  return e
end

function M.ERR_INVALID_ADDRESS_FAMILY(addressType, host, port)
  local e = new('RangeError', 'ERR_INVALID_ADDRESS_FAMILY', format('Invalid address family: %s %s:%s',
    tostring(addressType), tostring(host), tostring(port)))
  e.host, e.port = host, port
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
