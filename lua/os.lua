-- os: Node's os module over modules/os.c. It also carries Lua's own os
-- functions (os.time, os.clock, os.date, ...), copied from the global os
-- table, which stays Lua's: the names do not overlap, so plain Lua code
-- that requires 'os' keeps working.
local require, binding = ...

local ffi = require('ffi')
local errors = require('internal/errors')
local uv = binding('os')

local type, error, format = type, error, string.format
local luaos = _G.os

local M = {}

-- Those that take no argument, or never meet a bad one here, are Lua's
-- own functions; those that check their arguments are wrapped so that a
-- bad one raises an error table, as everything in lode does.
for _, k in ipairs({ 'clock', 'remove', 'rename', 'tmpname', 'execute', 'exit' }) do
  M[k] = luaos[k]
end
for _, k in ipairs({ 'time', 'date', 'getenv', 'difftime', 'setlocale' }) do
  local f = luaos[k]
  M[k] = function(...)
    local ok, a, b = pcall(f, ...)
    if not ok then
      error(errors.new('TypeError', 'ERR_INVALID_ARG_TYPE', (tostring(a):gsub("^bad argument #(%d+) to '%?'", "bad argument #%1 to 'os." .. k .. "'"))), 0)
    end
    return a, b
  end
end

-- A failure of libuv, as Node's ERR_SYSTEM_ERROR.
local function systemError(e, syscall)
  local u = errors.uv(e, syscall)
  local msg = u.message:match('^[^:]+: ([^,]+)') or u.message
  local err = errors.new('SystemError', 'ERR_SYSTEM_ERROR',
    format('A system error occurred: %s returned %s (%s)', syscall, u.code, msg))
  err.errno, err.syscall = e, syscall
  err.info = { errno = e, code = u.code, message = msg, syscall = syscall }
  return err
end

local function get(v, e, syscall)
  if v == nil then error(systemError(e, syscall), 0) end
  return v
end

local ARCH = { x64 = 'x64', arm64 = 'arm64', arm = 'arm', x86 = 'ia32', ppc = 'ppc', mips = 'mips' }
local arch = ARCH[ffi.arch] or ffi.arch
local platform = (ffi.os == 'OSX' and 'darwin') or (ffi.os == 'Windows' and 'win32') or ffi.os:lower()

M.EOL = ffi.os == 'Windows' and '\r\n' or '\n'
M.devNull = ffi.os == 'Windows' and '\\\\.\\nul' or '/dev/null'

function M.platform() return platform end
function M.arch() return arch end
function M.endianness() return ffi.abi('le') and 'LE' or 'BE' end

function M.type() return (select(1, get(uv.uname()))) end
function M.release() return (select(2, uv.uname())) end
function M.version() return (select(3, uv.uname())) end
function M.machine() return (select(4, uv.uname())) end

function M.hostname()
  local h, e = uv.hostname()
  return get(h, e, 'uv_os_gethostname')
end

function M.homedir()
  local h, e = uv.homedir()
  return get(h, e, 'uv_os_homedir')
end

function M.tmpdir()
  local t = uv.tmpdir()
  if t and #t > 1 and t:sub(-1) == '/' then t = t:sub(1, -2) end
  return t or '/tmp'
end

function M.userInfo(opts)
  if opts ~= nil and type(opts) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type object', opts), 0)
  end
  local u, e = uv.userInfo()
  u = get(u, e, 'uv_os_get_passwd')
  if opts and opts.encoding == 'buffer' then
    local Buffer = require('buffer').Buffer
    u.username, u.homedir = Buffer.from(u.username), Buffer.from(u.homedir)
    if u.shell then u.shell = Buffer.from(u.shell) end
  end
  return u
end

function M.uptime()
  local t, e = uv.uptime()
  return get(t, e, 'uv_uptime')
end

function M.loadavg() return { uv.loadavg() } end
M.totalmem = uv.totalmem
M.freemem = uv.freemem
M.availableParallelism = uv.availableParallelism

function M.cpus()
  return uv.cpus() or {}
end

-- networkInterfaces(): name -> list of addresses, as Node gives them
-- (cidr included).
local function prefixLength(mask, v6)
  local bits = 0
  if v6 then
    for part in mask:gmatch('[^:]+') do
      local n = tonumber(part, 16)
      while n > 0 do bits = bits + n % 2 n = math.floor(n / 2) end
    end
  else
    for part in mask:gmatch('%d+') do
      local n = tonumber(part)
      while n > 0 do bits = bits + n % 2 n = math.floor(n / 2) end
    end
  end
  return bits
end

function M.networkInterfaces()
  local list, e = uv.interfaces()
  list = get(list, e, 'uv_interface_addresses')
  local out = {}
  for i = 1, #list do
    local a = list[i]
    local name = a.name
    a.name = nil
    a.cidr = a.address .. '/' .. prefixLength(a.netmask, a.family == 'IPv6')
    local l = out[name]
    if not l then l = {} out[name] = l end
    l[#l + 1] = a
  end
  return out
end

local function checkPid(pid)
  if pid == nil then return 0 end
  return errors.checkInteger(pid, 'pid', -2147483648, 2147483647)
end

function M.getPriority(pid)
  pid = checkPid(pid)
  local p, e = uv.getPriority(pid)
  return get(p, e, 'uv_os_getpriority')
end

function M.setPriority(pid, priority)
  if priority == nil then pid, priority = 0, pid end
  pid = checkPid(pid)
  if type(priority) ~= 'number' then
    error(errors.ERR_INVALID_ARG_TYPE('priority', 'of type number', priority), 0)
  end
  if priority % 1 ~= 0 or priority < -20 or priority > 19 then
    error(errors.ERR_OUT_OF_RANGE('priority', '>= -20 && <= 19', priority), 0)
  end
  local ok, e = uv.setPriority(pid, priority)
  get(ok, e, 'uv_os_setpriority')
end

M.constants = {
  signals = process._signals,
  errno = uv.errnos(),
  priority = uv.priorities(),
  dlopen = { RTLD_LAZY = 1, RTLD_NOW = 2, RTLD_GLOBAL = 256, RTLD_LOCAL = 0, RTLD_DEEPBIND = 8 },
  UV_UDP_REUSEADDR = 4,
}

return M
