-- The module system: Node's require with require.cache, over Lua's
-- package.loaded, package.preload, package.path and package.cpath.
--
-- Every file is a module. Its chunk runs with _G as its environment, so it
-- behaves as under plain luajit; its own names (require, module, exports,
-- __filename, __dirname) arrive as locals declared by a prefix on its first
-- line, which keeps line numbers as they are.
local require, binding = ...

local errors = require('internal/errors')
local path = require('path')
local options = require('internal/options')
local uv = binding('fs')

local type, error, setmetatable, tostring = type, error, setmetatable, tostring
local concat, insert = table.concat, table.insert
local loadstring, select, unpack, next, setfenv = loadstring, select, unpack, next, setfenv
local open = io.open

local Module = {}
Module.__index = Module

-- require.cache: absolute real path -> module object.
local cache = {}
-- package.path requests loaded as files: request -> real path.
local loadedFrom = {}

local builtinList = options.builtins()
local builtins, allowed = {}, nil
for i = 1, #builtinList do builtins[builtinList[i]] = true end
if options.allowed then
  allowed = {}
  for i = 1, #options.allowed do allowed[options.allowed[i]] = true end
end
Module.builtinModules = builtinList
Module._cache = cache

local function notFound(request, parent, looked)
  local lines = { "Cannot find module '" .. request .. "'" }
  local stack, m = {}, parent
  while m do
    stack[#stack + 1] = tostring(m.filename)
    m = m.parent
  end
  if #stack > 0 then lines[#lines + 1] = 'Require stack:\n- ' .. concat(stack, '\n- ') end
  if looked and #looked > 0 then lines[#lines + 1] = 'Looked in:\n  ' .. concat(looked, '\n  ') end
  local e = errors.new('Error', 'MODULE_NOT_FOUND', concat(lines, '\n'))
  e.requireStack = stack
  return e
end

-- The lua_modules folders a file's bare requires look in, nearest first.
local function nodePaths(dir)
  local list = {}
  while true do
    if path.basename(dir) ~= 'lua_modules' then
      list[#list + 1] = path.join(dir, 'lua_modules')
    end
    local up = path.dirname(dir)
    if up == dir then break end
    dir = up
  end
  return list
end

-- The built-in a request names: 'node:x' must be one.
local function builtinName(request)
  local name = request:match('^node:(.*)$')
  if name and not builtins[name] then
    error(errors.new('Error', 'ERR_UNKNOWN_BUILTIN_MODULE', 'No such built-in module: ' .. request), 0)
  end
  return name or request
end

local function isFile(p)
  return uv.kind(p) == 'file'
end

-- A path as a file, then with .lua, then as a folder with init.lua.
local function tryFile(p, looked)
  local candidates = { p, p .. '.lua', path.join(p, 'init.lua') }
  for i = 1, 3 do
    local c = candidates[i]
    looked[#looked + 1] = c
    if isFile(c) then return uv.realpath(c) end
  end
end

-- package.searchpath, which Lua 5.1 lacks.
local function searchpath(name, templates, looked)
  local fname = name:gsub('%.', '/')
  for t in templates:gmatch('[^;]+') do
    local f = t:gsub('%?', fname)
    looked[#looked + 1] = f
    local h = open(f, 'rb')
    if h then
      h:close()
      return f
    end
  end
end

local function isRelative(request)
  return request == '.' or request == '..' or request:sub(1, 2) == './' or
    request:sub(1, 3) == '../' or request:sub(1, 1) == '/'
end

-- Finds what a request names: ('file', realpath), ('lua', path) for a file
-- found through package.path, ('c', path) through package.cpath, or nil
-- with the list of places looked in.
local function resolve(request, parent)
  local looked = {}
  local dir = parent and parent.path or process.cwd()
  if isRelative(request) then
    local f = tryFile(path.resolve(dir, request), looked)
    if f then return 'file', f end
    return nil, looked
  end
  local paths = parent and parent.paths or nodePaths(dir)
  local alt = request:find('/', 1, true) == nil and request:gsub('%.', '/') or nil
  for i = 1, #paths do
    local f = tryFile(path.join(paths[i], request), looked)
    if f then return 'file', f end
    if alt and alt ~= request then
      f = tryFile(path.join(paths[i], alt), looked)
      if f then return 'file', f end
    end
  end
  local f = searchpath(request, package.path, looked)
  if f then return 'lua', uv.realpath(f) or f end
  f = searchpath(request, package.cpath, looked)
  if f then return 'c', f end
  return nil, looked
end

-- The per-file names, handed to the next chunk that starts (see prefix).
local pendingEnv
package.loaded['lode:fileenv'] = function()
  local e = pendingEnv
  pendingEnv = nil
  return e[1], e[2], e[3], e[4], e[5]
end
local PREFIX = "local require, module, exports, __filename, __dirname = package.loaded['lode:fileenv']();"

-- Compiles a source with the prefix on its first line; a #! line is
-- replaced by it, so line numbers stay the same.
local function compile(src, chunkname)
  if src:sub(1, 1) == '#' then
    local nl = src:find('\n', 1, true)
    src = PREFIX .. (nl and src:sub(nl) or '')
  elseif src:sub(1, 4) == '\27LJ\2' or src:sub(1, 1) == '\27' then
    -- Precompiled bytecode: no prefix can be added; it sees the globals.
    return loadstring(src, chunkname), false
  else
    src = PREFIX .. src
  end
  local fn, msg = loadstring(src, chunkname)
  if not fn then
    local e = errors.new('SyntaxError', 'ERR_SYNTAX', msg)
    return nil, e
  end
  return fn, true
end

local makeRequire

function Module:new(filename, parent)
  local m = setmetatable({
    id = filename,
    filename = filename,
    path = path.dirname(filename),
    loaded = false,
    exports = {},
    parent = parent,
    children = {},
  }, Module)
  m.paths = nodePaths(m.path)
  m.require = makeRequire(m)
  if parent then insert(parent.children, m) end
  return m
end

-- Runs a module's chunk with its names and `...`; a returned value
-- replaces module.exports, as a Lua module expects.
local function run(m, fn, prefixed, ...)
  if prefixed then
    pendingEnv = { m.require, m, m.exports, m.filename, m.path }
  end
  local r = fn(...)
  if r ~= nil then m.exports = r end
  return m.exports
end

local function readSource(filename)
  local h, msg = open(filename, 'rb')
  if not h then error(errors.new('Error', 'ENOENT', msg), 0) end
  local src = h:read('*a')
  h:close()
  return src
end

local function loadFile(m, request, kind)
  local fn, prefixed = compile(readSource(m.filename), '@' .. m.filename)
  if not fn then error(prefixed, 0) end
  local r = run(m, fn, prefixed, request, m.filename)
  -- An old-style module(...) call leaves its table in package.loaded.
  if kind == 'lua' and r == m.exports and next(r) == nil and package.loaded[request] ~= nil then
    m.exports = package.loaded[request]
  end
  m.loaded = true
  if kind == 'lua' then package.loaded[request] = m.exports end
  return m.exports
end

local function requireFrom(parent, request)
  if type(request) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('id', 'of type string', request), 0)
  end
  if request == '' then
    error(errors.ERR_INVALID_ARG_VALUE('id', request, "must be a non-empty string"), 0)
  end
  -- C would cut the path at a NUL and open another file (a folder).
  if request:find('\0', 1, true) then
    error(errors.ERR_INVALID_ARG_VALUE('id', request, 'must be a string without null bytes'), 0)
  end
  local cached = cache[request]
  if cached then return cached.exports end
  local name = builtinName(request)
  if builtins[name] then
    if allowed and not allowed[name] then
      error(errors.new('Error', 'ERR_ACCESS_DENIED',
        "Access to the built-in module '" .. name .. "' is not allowed"), 0)
    end
    return require(name)
  end
  local m = package.loaded[request]
  if m ~= nil then
    -- A file found through package.path is cached in both places; once
    -- its require.cache entry is deleted, the next require loads it again.
    local file = loadedFrom[request]
    if not file or cache[file] then return m end
    loadedFrom[request], package.loaded[request] = nil, nil
  end
  local loader = package.preload[request]
  if loader then
    m = loader(request)
    if m == nil then m = package.loaded[request] or true end
    package.loaded[request] = m
    return m
  end
  local kind, where = resolve(request, parent)
  if not kind then error(notFound(request, parent, where), 0) end
  if kind == 'c' then
    local sym = 'luaopen_' .. request:gsub('^[^-]*-', ''):gsub('%.', '_')
    local open, msg = package.loadlib(where, sym)
    if not open then error(errors.new('Error', 'ERR_DLOPEN_FAILED', msg), 0) end
    m = open(request)
    if m == nil then m = package.loaded[request] or true end
    package.loaded[request] = m
    return m
  end
  cached = cache[where]
  if cached then return cached.exports end
  m = Module:new(where, parent)
  cache[where] = m
  local ok, result = pcall(loadFile, m, request, kind)
  if not ok then
    cache[where] = nil
    if parent then
      local children = parent.children
      for i = #children, 1, -1 do
        if children[i] == m then table.remove(children, i) break end
      end
    end
    error(result, 0)
  end
  if kind == 'lua' then loadedFrom[request] = where end
  return result
end

local function resolveFrom(parent, request)
  errors.checkString(request, 'request')
  if request:find('\0', 1, true) then
    error(errors.ERR_INVALID_ARG_VALUE('request', request, 'must be a string without null bytes'), 0)
  end
  if builtins[builtinName(request)] then return request end
  local kind, where = resolve(request, parent)
  if not kind then error(notFound(request, parent, where), 0) end
  return where
end

local mainModule

-- require is a callable table, as Node's function is decorated with
-- fields: require.cache, require.resolve, require.main.
function makeRequire(m)
  local resolveFn = setmetatable({
    paths = function(request)
      errors.checkString(request, 'request')
      if isRelative(request) then return { m and m.path or process.cwd() } end
      return m and m.paths or nodePaths(process.cwd())
    end,
  }, { __call = function(_, request) return resolveFrom(m, request) end })
  return setmetatable({ cache = cache, resolve = resolveFn }, {
    __call = function(_, request) return requireFrom(m, request) end,
    __index = function(_, k) if k == 'main' then return mainModule end end,
  })
end

-- Lua 5.1's module(name, ...): a file's own `module` is Node's module
-- object, so calling it does what the global function would have done,
-- setting the environment of the calling chunk.
Module.__call = function(self, name, ...)
  if type(name) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('name', 'of type string', name), 0)
  end
  -- Checked before anything is made: Lua's module() too refuses a caller
  -- that is not a Lua function (it has no environment to set).
  for i = 1, select('#', ...) do
    errors.checkFunction(select(i, ...), 'option')
  end
  local caller = debug.getinfo(2, 'S')
  if caller == nil or caller.what == 'C' then
    error(errors.new('Error', 'ERR_INVALID_STATE', 'Invalid state: module() not called from a Lua function'), 0)
  end
  local t = package.loaded[name]
  if type(t) ~= 'table' then
    t = _G
    for part in name:gmatch('[^.]+') do
      local v = t[part]
      if v == nil then
        v = {}
        t[part] = v
      end
      t = v
    end
    package.loaded[name] = t
  end
  if t._NAME == nil then
    t._M, t._NAME, t._PACKAGE = t, name, name:match('^(.*%.)') or ''
  end
  for i = 1, select('#', ...) do
    local opt = select(i, ...)
    opt(t)
  end
  setfenv(2, t)
  self.exports = t
end

function Module.createRequire(filename)
  errors.checkString(filename, 'filename')
  return makeRequire(Module:new(path.resolve(filename), nil))
end

-- runMain(kind, what, name): kind 'file' runs the script at `what`;
-- 'string' runs `what` as code named `name`.
function Module.runMain(kind, what, name)
  local argv = process.argv
  -- argv[1] is the script, or '-' for standard input; -e has none.
  local first = (kind == 'file' or name == '[stdin]') and 2 or 1
  local args = {}
  for i = first, #argv do args[#args + 1] = argv[i] end
  local luaArg = { [-1] = process.argv0 }
  luaArg[0] = kind == 'file' and what or (first == 2 and '-' or name)
  for i = 1, #args do luaArg[i] = args[i] end
  _G.arg = luaArg

  local fn, prefixed, m
  if kind == 'file' then
    local looked = {}
    local abs = path.resolve(what)
    local f = tryFile(abs, looked)
    if not f then error(notFound(abs, nil, nil), 0) end
    argv[1] = f
    m = Module:new(f, nil)
    m.id = '.'
    cache[f] = m
    fn, prefixed = compile(readSource(f), '@' .. what)
  else
    -- As in Node: __filename is '[eval]', __dirname '.', requires resolve
    -- from the working directory, and there is no require.main.
    local cwd = process.cwd()
    m = Module:new(path.join(cwd, name), nil)
    m.id, m.filename, m.path = name, name, '.'
    m.paths = nodePaths(cwd)
    fn, prefixed = compile(what, '=' .. name)
  end
  if not fn then error(prefixed, 0) end
  if kind == 'file' then mainModule = m end
  _G.require = m.require
  run(m, fn, prefixed, unpack(args))
  m.loaded = true
end

function Module._setup()
  _G.require = makeRequire(nil)
end

return Module
