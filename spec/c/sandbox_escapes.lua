-- Run by test_sandbox.c in a sandboxed runtime: tries every way out the
-- sandbox closes and records each that was not refused with a clear
-- error. Globals set by the host: ALLOWED (a folder the sandbox allows,
-- holding ok.lua and bytecode.lua) and OUTSIDE (outside.lua beside it).
local problems = {}
tried = 0

local function describe(e)
  if type(e) == 'table' then return tostring(e.code) .. ': ' .. tostring(e.message) end
  return tostring(e)
end

-- Whether s matches the pattern, or one of a list of patterns.
local function matches(s, pattern)
  if type(pattern) == 'string' then return s:find(pattern) ~= nil end
  for i = 1, #pattern do
    if s:find(pattern[i]) then return true end
  end
  return false
end

-- fn must raise, with a message matching pattern.
local function refused(what, pattern, fn, ...)
  tried = tried + 1
  local ok, e = pcall(fn, ...)
  if ok then
    problems[#problems + 1] = what .. ' was allowed'
  elseif not matches(describe(e), pattern) then
    problems[#problems + 1] = what .. ': unclear error ' .. describe(e)
  end
end

-- fn must return a falsy first value and a message matching pattern.
local function failed(what, pattern, fn)
  tried = tried + 1
  local r, msg = fn()
  if r or not tostring(msg):find(pattern) then
    problems[#problems + 1] = what .. ' was not refused (' .. tostring(msg) .. ')'
  end
end

local function check(what, cond)
  tried = tried + 1
  if not cond then problems[#problems + 1] = what end
end

local DENIED = 'ERR_ACCESS_DENIED'

-- ffi, jit, io: gone, and saying so.
refused("require('ffi')", DENIED, require, 'ffi')
refused('ffi global', DENIED, function() return ffi.C end)
refused("require('jit')", DENIED, require, 'jit')
refused('jit.off', DENIED, function() return jit.off() end)
refused("require('jit.util')", DENIED, require, 'jit.util')
refused("require('io')", DENIED, require, 'io')
refused('io.open', DENIED, function() return io.open('/etc/passwd') end)
refused('io.popen', DENIED, function() return io.popen('echo hi') end)
refused('io.lines', DENIED, function() return io.lines('/etc/passwd') end)

-- os: only clock, date, time, difftime.
for _, name in ipairs({ 'execute', 'exit', 'remove', 'rename', 'getenv', 'tmpname', 'setlocale' }) do
  refused('os.' .. name, DENIED, function() return os[name]('x') end)
end
check('os.time works', type(os.time()) == 'number')
check('os.clock works', type(os.clock()) == 'number')
refused("require('os') (Node's os)", DENIED, require, 'os')

-- The environment: empty.
check('process.env is empty', next(process.env) == nil and process.env.HOME == nil and process.env.PATH == nil)
for _, name in ipairs({ 'chdir', 'kill', 'umask', 'dlopen', 'binding', 'setuid' }) do
  refused('process.' .. name, DENIED, function() return process[name]('/', 1) end)
end

-- C code from disk.
refused('package.loadlib', DENIED, package.loadlib, '/lib/x86_64-linux-gnu/libc.so.6', 'puts')
check('package.cpath is empty', package.cpath == '')
check('package.loaders has only the preload searcher', #package.loaders == 1)
package.cpath = '/lib/x86_64-linux-gnu/lib?.so.6;/usr/lib/x86_64-linux-gnu/lib?.so.6;/usr/lib/lib?.so.6'
refused("require of a C module through package.cpath", DENIED, require, 'c')
package.cpath = ''
package.path = '/etc/?'
refused("require of a file through package.path", DENIED, require, 'passwd')
package.path = ''

-- debug: traceback only.
check('debug.traceback works', type(debug.traceback('x')) == 'string')
for _, name in ipairs({ 'getinfo', 'getlocal', 'getupvalue', 'setupvalue', 'getregistry',
    'getmetatable', 'setmetatable', 'sethook', 'gethook', 'getfenv', 'setfenv', 'upvalueid' }) do
  refused('debug.' .. name, DENIED, function() return debug[name](print, 1) end)
end
refused("require('debug').getregistry", DENIED, function() return require('debug').getregistry() end)

-- Bytecode: LuaJIT's loader is not safe against crafted input.
local BC = '\27LJ\2\0\0\0\0\0\0\0\0'
failed('loadstring of bytecode', 'bytecode', function() return loadstring(BC) end)
failed('load of bytecode', 'bytecode', function() return load(BC) end)
local pieces = { '\27', 'LJ\2', '\0\0\0' }
failed('load of bytecode from a reader', 'bytecode', function()
  local i = 0
  return load(function() i = i + 1 return pieces[i] end)
end)
refused('string.dump', DENIED, string.dump, function() end)
refused('dofile', DENIED, dofile, '/etc/passwd')
refused('loadfile', DENIED, loadfile, '/etc/passwd')
refused('require of a bytecode file in an allowed folder', 'bytecode', require, ALLOWED .. '/bytecode.lua')
check('loadstring of source works', loadstring('return 1 + 1')() == 2)
do
  local parts, i = { 'return ', '40 + 2' }, 0
  local f = load(function() i = i + 1 return parts[i] end)
  check('load of source from a reader works', f and f() == 42)
end

-- Environments: getfenv/setfenv could rewire lode's own functions.
refused('getfenv', DENIED, getfenv, 1)
refused('setfenv', DENIED, setfenv, 1, {})
check("strings' metatable is hidden", getmetatable('') == false)
check("module objects' metatable is hidden", getmetatable(module) == false)

-- The collector: counting and collecting, not stopping.
refused("collectgarbage('stop')", DENIED, collectgarbage, 'stop')
refused("collectgarbage('setpause')", DENIED, collectgarbage, 'setpause', 1000)
check("collectgarbage('count') works", type(collectgarbage('count')) == 'number')

-- Built-ins: only the allowed ones, whatever the spelling.
local GONE = { DENIED, 'Cannot find module', 'No such built%-in module' }
refused("require('util')", DENIED, require, 'util')
refused("require('node:util')", DENIED, require, 'node:util')
refused("require('module')", DENIED, require, 'module')
refused("require('fs')", GONE, require, 'fs')
refused("require('child_process')", GONE, require, 'child_process')
refused("require('internal/errors')", 'Cannot find module', require, 'internal/errors')
check('the binding function is unreachable', rawget(_G, 'binding') == nil and process.binding ~= nil)
check("require('events') works", type(require('events')) == 'table')

-- Buffer memory: a Buffer's header is no pointer a script can follow, and
-- its length cannot be changed.
do
  local Buffer = require('buffer').Buffer
  local b = Buffer.from('abc')
  refused('growing a Buffer through its length field', 'constant', function() b._len = 2 ^ 40 end)
  refused('pointing a Buffer elsewhere', 'constant', function() b._data = 0 end)
  refused('reading through its data field', 'index', function() return b._data[4096] end)
  refused('reaching its block', 'no member', function() return b._block.refs end)
  check('the Buffer is unchanged', #b == 3 and b:toString() == 'abc')
end

-- Files: only inside the allowed folders.
check('a file in an allowed folder loads', require(ALLOWED .. '/ok.lua').ok == true)
refused('a file outside the allowed folders', DENIED, require, OUTSIDE)
refused('a path climbing out of an allowed folder', DENIED, require, ALLOWED .. '/../outside.lua')
refused('/etc/passwd', DENIED, require, '/etc/passwd')

problemList = table.concat(problems, '\n')
problemCount = #problems
