-- The first Lua that runs in a runtime. C calls this chunk with
-- (builtin, binding, options) and keeps the hooks table it returns:
-- the functions C calls on its one path into Lua.
local builtin, binding, options = ...

local error, type, setmetatable, getmetatable, next = error, type, setmetatable, getmetatable, next
local rawget = rawget

-- Built-in modules get (require, binding) as their chunk arguments, where
-- require loads other built-ins by name ('events', 'internal/errors').
local loaded = { ['internal/options'] = options }
local loading = {}
-- Lua's own libraries (ffi, bit, jit, ...), as they were before a sandbox
-- took some out of package.loaded.
local libs = options.libs or package.loaded

local function internalRequire(name)
  local m = loaded[name]
  if m ~= nil then return m end
  if loading[name] then
    error('cycle between built-in modules at ' .. name, 2)
  end
  local fn, msg = builtin(name)
  if not fn then
    -- ffi, bit, jit, string, ...: Lua's own libraries.
    m = libs[name]
    if m ~= nil then return m end
    error(msg, 2)
  end
  loading[name] = true
  m = fn(internalRequire, binding)
  loading[name] = nil
  if m == nil then m = true end
  loaded[name] = m
  return m
end

local errors = internalRequire('internal/errors')
binding('errors').setMeta(errors.Error)

-- LuaJIT without 5.2 compatibility ignores __pairs; lode's pairs honours
-- it and hands out the builtin next for plain tables, so loops over plain
-- tables stay as fast as before.
local function lodePairs(t)
  local mt = getmetatable(t)
  if mt ~= nil and type(mt) == 'table' then
    local p = rawget(mt, '__pairs')
    if p ~= nil then return p(t) end
  end
  return next, t, nil
end
pairs = lodePairs

local process = internalRequire('process')
_G.process = process

-- os.exit is process.exit: 'exit' listeners run, and an embedding host
-- gets the code back instead of losing its process. true and false mean
-- success and failure, as in Lua 5.2.
os.exit = function(code)
  if code == nil or code == true then code = 0
  elseif code == false then code = 1
  elseif type(code) == 'number' then code = math.floor(code) end
  process.exit(code)
end
local timers = internalRequire('timers')
_G.setTimeout = timers.setTimeout
_G.setInterval = timers.setInterval
_G.setImmediate = timers.setImmediate
_G.clearTimeout = timers.clearTimeout
_G.clearInterval = timers.clearInterval
_G.clearImmediate = timers.clearImmediate
_G.queueMicrotask = internalRequire('internal/ticks').queueMicrotask
_G.Buffer = internalRequire('buffer').Buffer
_G.console = internalRequire('console')

local module = internalRequire('module')
module._setup()

local hooks = internalRequire('internal/hooks')
hooks.runMain = module.runMain

-- Without stdio of its own (an embedding host's default), print writes
-- where process.stdout does, never to fd 1 behind the host's back.
if not options.ownStdio then
  local concat, select, tostring = table.concat, select, tostring
  print = function(...)
    local n = select('#', ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    process.stdout:write(concat(parts, '\t', 1, n) .. '\n')
  end
end

-- A sandbox (runtime/sandbox.c does the C half): no environment, and
-- nothing that reaches other processes or the process's own state.
if options.sandbox then
  local function denied(name)
    return function()
      error(errors.new('Error', 'ERR_ACCESS_DENIED', "'" .. name .. "' is not allowed in a sandbox"), 0)
    end
  end
  process.env = {}
  -- Module objects (require.main, require.cache's) would hand out Module
  -- itself, whose runMain runs any file.
  module.__metatable = false
  for _, name in ipairs({ 'chdir', 'kill', 'umask', 'dlopen', 'binding', '_linkedBinding',
      'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups' }) do
    process[name] = denied('process.' .. name)
  end
end

-- The functions C calls, by the names C gave (runtime/internal.h's
-- LODE__HOOKS); each module registered its own in internal/hooks.
local given = {}
for _, name in ipairs(options.hooks) do
  local fn = hooks[name]
  if type(fn) ~= 'function' then error('no hook ' .. name .. ' was registered', 0) end
  given[name] = fn
end
return given
