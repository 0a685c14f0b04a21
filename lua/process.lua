-- The process object: an EventEmitter with Node's fields and functions.
-- Module functions are called with a dot (process.exit(1)), emitter
-- methods with a colon (process:on('exit', fn)).
local require, binding = ...

local ffi = require('ffi')
local EventEmitter = require('events')
local errors = require('internal/errors')
local options = require('internal/options')
local ticks = require('internal/ticks')
local hooks = require('internal/hooks')
local pb = binding('process')
local rb = binding('runtime')
local tty = binding('tty')

local type, tostring, error, rawset, ipairs = type, tostring, error, rawset, ipairs
local setmetatable, getmetatable, next = setmetatable, getmetatable, next
local floor = math.floor

local hrtimeC = ffi.cast('uint64_t (*)(void)', pb.fnptrs().hrtime)
local startTime = hrtimeC()

-- Raises the error table of a failed binding call (nil, errno).
local function check(r, errno, syscall, path, dest)
  if r == nil and errno then error(errors.uv(errno, syscall, path, dest), 0) end
  return r
end

local proto = EventEmitter.prototype
local process = EventEmitter:new()

-- process.title reads and writes the real title, and process.exitCode
-- is checked on every assignment; everything else is a plain field or an
-- EventEmitter method.
local exitCode = nil

local function checkCode(code)
  if code ~= nil then errors.checkInteger(code, 'code') end
  return code
end

local processMeta = {
  __index = function(_, k)
    if k == 'exitCode' then return exitCode end
    if k == 'title' then return pb.gettitle() or 'lode' end
    return proto[k]
  end,
  __newindex = function(t, k, v)
    if k == 'exitCode' then
      exitCode = checkCode(v)
    elseif k == 'title' then
      check(pb.settitle(tostring(v)))
    else
      rawset(t, k, v)
    end
  end,
  __tostring = function() return 'process' end,
}
-- The chain of metatables still leads to EventEmitter, so process is an
-- instance of it (util.instanceof, process:instanceof).
setmetatable(processMeta, EventEmitter)
setmetatable(process, processMeta)

-- argv keeps Node's indexes: [0] the executable, [1] the script.
local argv = {}
local given = options.argv
for i = 0, #given do argv[i] = given[i] end
local execPath = pb.execpath() or given[0] or 'lode'
argv[0] = execPath
process.argv = argv
process.argv0 = given[0] or 'lode'
process.execArgv = {}
process.execPath = execPath
process.pid = pb.pid()
process.ppid = pb.ppid()

local sysname, machine = pb.uname()
process.platform = sysname and sysname:lower() or 'linux'
local archs = { x86_64 = 'x64', aarch64 = 'arm64', i686 = 'ia32', i386 = 'ia32', armv7l = 'arm' }
process.arch = archs[machine] or machine or 'unknown'
process.version = 'v' .. rb.lode
process.versions = { lode = rb.lode, luajit = (rb.luajit:gsub('^LuaJIT ', '')), uv = rb.uv }
process.release = { name = 'lode' }

process.nextTick = ticks.nextTick

-- env: reads and writes go to the real environment; pairs (lode's, which
-- honours __pairs) walks a fresh copy of it.
local env = setmetatable({}, {
  __index = function(_, k)
    if type(k) ~= 'string' then return nil end
    return pb.getenv(k)
  end,
  __newindex = function(_, k, v)
    k = tostring(k)
    if v == nil then check(pb.unsetenv(k)) else check(pb.setenv(k, tostring(v))) end
  end,
  __pairs = function() return next, pb.environ(), nil end,
  __tostring = function() return 'process.env' end,
})
process.env = env

function process.cwd()
  return check(pb.cwd())
end

function process.chdir(dir)
  errors.checkString(dir, 'directory')
  local ok, errno = pb.chdir(dir)
  if not ok then error(errors.uv(errno, 'chdir', process.cwd(), dir), 0) end
end

function process.umask(mask)
  if mask == nil then return pb.umask() end
  if type(mask) == 'string' then
    local n = tonumber(mask, 8)
    if not n then error(errors.ERR_INVALID_ARG_VALUE('mask', mask, 'must be a 32-bit unsigned integer or an octal string'), 0) end
    mask = n
  end
  errors.checkInteger(mask, 'mask', 0, 4294967295)
  return pb.umask(mask)
end

-- hrtime([prev]) -> { seconds, nanoseconds }; hrtime.bigint() -> int64.
local hrtime = setmetatable({
  bigint = function() return ffi.cast('int64_t', hrtimeC()) end,
}, {
  __call = function(_, prev)
    local t = hrtimeC()
    local s, ns = tonumber(t / 1000000000ULL), tonumber(t % 1000000000ULL)
    if prev ~= nil then
      if type(prev) ~= 'table' then
        error(errors.ERR_INVALID_ARG_TYPE('time', 'an instance of Array', prev), 0)
      end
      if #prev ~= 2 or type(prev[1]) ~= 'number' or type(prev[2]) ~= 'number' then
        error(errors.ERR_OUT_OF_RANGE('time', '2', #prev), 0)
      end
      s, ns = s - prev[1], ns - prev[2]
      if ns < 0 then s, ns = s - 1, ns + 1e9 end
    end
    return { s, ns }
  end,
})
process.hrtime = hrtime

function process.uptime()
  return tonumber(hrtimeC() - startTime) / 1e9
end

local function external()
  local loaded = require('buffer')
  return loaded._external and loaded._external() or 0
end

local memoryUsage = setmetatable({
  rss = function() return check(pb.rss()) end,
}, {
  __call = function()
    local heap = collectgarbage('count') * 1024
    local ext = external()
    return {
      rss = check(pb.rss()),
      heapTotal = heap,
      heapUsed = heap,
      external = ext,
      arrayBuffers = ext,
    }
  end,
})
process.memoryUsage = memoryUsage

function process.cpuUsage(prev)
  local ru = check(pb.rusage())
  local u, s = ru.userCPUTime, ru.systemCPUTime
  if prev ~= nil then
    errors.checkTable(prev, 'prevValue')
    for _, k in ipairs({ 'user', 'system' }) do
      local v = prev[k]
      errors.checkNumber(v, 'prevValue.' .. k)
      if v < 0 or v == math.huge then
        error(errors.new('RangeError', 'ERR_INVALID_ARG_VALUE',
          ("The property 'prevValue.%s' is invalid. Received %s"):format(k, tostring(v))), 0)
      end
    end
    u, s = u - prev.user, s - prev.system
  end
  return { user = u, system = s }
end

function process.resourceUsage()
  return check(pb.rusage())
end

-- The types of the handles still open ('signal', 'tcp', ...), as Node's
-- undocumented _getActiveHandles; the spec runner checks it at exit.
function process._getActiveHandles()
  return rb.handles()
end

local signals = pb.signals()
process._signals = signals

-- kill(pid, sig): sig is a name ('SIGTERM', the default) or a number.
function process.kill(pid, sig)
  -- Node's pid == (pid | 0): a 32-bit integer, so no value can wrap
  -- around to 0 (the whole process group) or to another process.
  if type(pid) ~= 'number' or pid ~= floor(pid) or pid < -2147483648 or pid > 2147483647 then
    error(errors.ERR_INVALID_ARG_TYPE('pid', 'of type number', pid), 0)
  end
  local num
  if sig == nil then
    num = signals.SIGTERM
  elseif type(sig) == 'number' then
    num = sig
  elseif type(sig) == 'string' then
    num = signals[sig]
    if not num then
      local e = errors.new('TypeError', 'ERR_UNKNOWN_SIGNAL', 'Unknown signal: ' .. sig)
      error(e, 0)
    end
  else
    error(errors.ERR_INVALID_ARG_TYPE('signal', 'of type string or number', sig), 0)
  end
  local ok, errno = pb.kill(pid, num)
  if not ok then error(errors.uv(errno, 'kill'), 0) end
  return true
end

-- The sentinel process.exit() raises to unwind the Lua stack; C has
-- already stopped every further callback, so catching it changes nothing.
local EXIT = setmetatable({}, { __tostring = function() return 'process.exit()' end })
local exiting = false

local function emitExit(code)
  exiting = true
  process._exiting = true
  process:emit('exit', code)
end

function process.exit(code)
  if code ~= nil then process.exitCode = code end
  if not exiting then emitExit(process.exitCode or 0) end
  rb.exit(process.exitCode or 0)
  error(EXIT, 0)
end

function process.abort()
  rb.exit(134)
  error(EXIT, 0)
end

-- emitWarning(warning, type, code): printed to stderr as Node does
-- ("(lode:1234) Warning: text") and emitted as 'warning' on the next tick.
function process.emitWarning(warning, wtype, code)
  local detail
  if type(wtype) == 'table' then
    wtype, code, detail = wtype.type, wtype.code, wtype.detail
  end
  local w
  if type(warning) == 'table' then
    w = warning
  elseif type(warning) == 'string' then
    w = errors.new(wtype or 'Warning', code, warning)
  else
    error(errors.ERR_INVALID_ARG_TYPE('warning', 'of type string or an error table', warning), 0)
  end
  w.name = w.name or wtype or 'Warning'
  if detail ~= nil then w.detail = tostring(detail) end
  ticks.nextTick(function()
    process:emit('warning', w)
    local line = ('(lode:%d) %s%s: %s\n%s'):format(process.pid,
      w.code and ('[' .. w.code .. '] ') or '', w.name, tostring(w.message),
      w.detail and (w.detail .. '\n') or '')
    process.stderr:write(line)
  end)
end

-- stdout and stderr: synchronous writers until streams arrive (net).
local Writer = {}
Writer.__index = Writer

-- write(chunk[, encoding][, cb]): a string (text in `encoding`, UTF-8 by
-- default) or a Buffer, written whole before it returns.
function Writer:write(data, enc, cb)
  if getmetatable(self) ~= Writer then error(errors.ERR_INVALID_THIS('WriteStream'), 0) end
  if type(enc) == 'function' then cb, enc = enc, nil end
  local Buffer = require('buffer').Buffer
  if type(data) == 'string' then
    if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' then data = Buffer.from(data, enc) end
  elseif not Buffer.isBuffer(data) then
    error(errors.ERR_INVALID_ARG_TYPE('chunk', 'of type string or a Buffer', data), 0)
  end
  local n, errno = rb.output(self.fd, data)
  if n == nil then
    local e = errors.uv(errno, 'write')
    if cb then ticks.nextTick(cb, e) return false end
    error(e, 0)
  end
  if cb then ticks.nextTick(cb, nil) end
  return true
end

Writer.__tostring = function(w) return 'WriteStream(fd ' .. w.fd .. ')' end

local function writer(fd)
  return setmetatable({ fd = fd, isTTY = options.ownStdio and tty.guess(fd) == 'tty' or false, writable = true }, Writer)
end
process.stdout = writer(1)
process.stderr = writer(2)

-- Signals: the first listener of 'SIGINT' (...) installs a handle and the
-- last one removed closes it, which restores the default action.
local signalHandles = {}

proto.on(process, 'newListener', function(name)
  if type(name) ~= 'string' or signalHandles[name] or not signals[name] then return end
  if not options.signals then return end
  local h, errno = binding('signal').new(signals[name], function(signum)
    process:emit(name, name, signum)
  end)
  if not h then error(errors.uv(errno, 'uv_signal_start'), 0) end
  signalHandles[name] = h
end)

proto.on(process, 'removeListener', function(name)
  local h = signalHandles[name]
  if h and process:listenerCount(name) == 0 then
    signalHandles[name] = nil
    h:close()
  end
end)

-- Hooks C calls (see runtime/internal.h).

-- An error nobody caught: 'uncaughtExceptionMonitor' sees it first, then
-- 'uncaughtException' listeners take it, or it is fatal.
function hooks.fatal(err)
  process:emit('uncaughtExceptionMonitor', err, 'uncaughtException')
  if process:listenerCount('uncaughtException') > 0 then
    process:emit('uncaughtException', err, 'uncaughtException')
    return true
  end
  return false
end

function hooks.beforeExit()
  if not exiting then process:emit('beforeExit', process.exitCode or 0) end
end

-- Emits 'exit' (once) and returns the final exit code; code is given when
-- C decided it (process.exit, an uncaught error).
function hooks.exit(code)
  if code ~= nil then process.exitCode = code end
  if not exiting then emitExit(process.exitCode or 0) end
  local final = process.exitCode or 0
  if type(final) ~= 'number' then final = 0 end
  return final
end

return process
