-- The module system: require and its resolution order, require.cache with
-- Node's module fields, cycles, lua_modules/, package.path and
-- package.cpath (a C module built on the fly), package.loaded/preload,
-- built-ins, the per-file names, and the errors of bad requests.
-- Fixtures live in spec/fixtures/mod/.
local t = require('./helper')
local path = require('path')

local FIX = __dirname .. '/fixtures/mod'

-- The absolute path of a fixture file.
local function fix(name) return FIX .. '/' .. name end

local function sh(cmd)
  local p = io.popen(cmd .. ' 2>&1; echo "rc=$?"')
  local out = p:read('*a')
  p:close()
  local body, rc = out:match('^(.-)rc=(%d+)%s*$')
  return body, tonumber(rc)
end

local function contains(list, v)
  for i = 1, #list do if list[i] == v then return true end end
  return false
end

local function keys(tbl)
  local r = {}
  for k in next, tbl do r[#r + 1] = k end
  table.sort(r)
  return r
end

-- Resolution ----------------------------------------------------------------

t.test("require('./x') and require('./x.lua') load one module", function()
  local v = require('./fixtures/mod/value')
  t.eq(type(v), 'table')
  t.eq(v.kind, 'value')
  t.eq(v.n, 42)
  t.eq(v.ignored, nil, 'a returned value replaces the exports table')
  t.eq(require('./fixtures/mod/value.lua'), v)
  t.eq(require(fix('value')), v, 'absolute path without .lua')
  t.eq(require(fix('value.lua')), v, 'absolute path with .lua')
  t.eq(require('./fixtures/../fixtures/mod/./value'), v, 'a path that is not normalized')
end)

t.test("'../x' is relative to the requiring file, not the working directory", function()
  local c = require('./fixtures/mod/sub/child')
  t.eq(c.value, require('./fixtures/mod/value'))
  t.eq(c.viaLua, c.value)
  t.eq(c.dir, fix('sub'))
end)

t.test("a folder loads its init.lua", function()
  local f = require('./fixtures/mod/folder')
  t.eq(f.name, 'folder')
  t.eq(f.file, fix('folder/init.lua'))
  t.eq(require('./fixtures/mod/folder/'), f, 'with a trailing slash')
  t.eq(require('./fixtures/mod/folder/init'), f)
  t.eq(require('./fixtures/mod/folder/init.lua'), f)
  t.eq(require.cache[fix('folder/init.lua')].exports, f)
end)

t.test("x.lua comes before x/init.lua; an exact file name comes first", function()
  t.eq(require('./fixtures/mod/both'), 'file')
  t.eq(require('./fixtures/mod/both/init'), 'folder')
  t.eq(require('./fixtures/mod/noext'), 'noext')
end)

t.test("require.resolve gives the absolute path, or the built-in's name", function()
  t.eq(require.resolve('./fixtures/mod/value'), fix('value.lua'))
  t.eq(require.resolve('./fixtures/mod/folder'), fix('folder/init.lua'))
  t.eq(require.resolve(fix('value.lua')), fix('value.lua'))
  t.eq(require.resolve('events'), 'events')
  t.eq(package.loaded['./fixtures/mod/never_loaded'], nil)
  local e = t.raises(function() require.resolve('./fixtures/mod/nothere') end, 'MODULE_NOT_FOUND')
  t.match(e.message, "Cannot find module '%./fixtures/mod/nothere'")
  t.raises(function() require.resolve(42) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test("require.resolve('node:events') keeps the prefix, as in node", function()
  t.eq(require.resolve('node:events'), 'node:events')
end)

t.test("require.resolve does not load the file", function()
  local before = _G.modCounterLoads
  t.eq(require.resolve('./fixtures/mod/counter'), fix('counter.lua'))
  t.eq(_G.modCounterLoads, before)
  t.eq(require.cache[fix('counter.lua')], nil)
end)

-- The per-file names -----------------------------------------------------

t.test("__filename, __dirname, module, exports, require are per file", function()
  t.eq(__filename, __dirname .. '/module_spec.lua')
  t.eq(__dirname, path.dirname(__filename))
  t.eq(path.isAbsolute(__filename), true)
  local l = require('./fixtures/mod/locals')
  t.eq(l.filename, fix('locals.lua'))
  t.eq(l.dirname, FIX)
  t.ok(l.filename ~= __filename, "a required file's __filename differs from the main's")
  t.eq(l.module, require.cache[fix('locals.lua')])
  t.eq(l.module.exports, l, 'the returned table became module.exports')
  t.ok(l.exports ~= l, 'exports was the original table')
  t.eq(type(l.exports), 'table')
  t.ok(l.require ~= require, 'each file has its own require')
  t.eq(l.require('./value'), require('./fixtures/mod/value'), "relative to the file's folder")
  t.eq(l.require.cache, require.cache)
  t.eq(l.require.main, require.main)
  t.eq(l.loadedWhileRunning, false)
  t.eq(l.module.loaded, true)
end)

t.test("the per-file names are locals, not globals", function()
  local l = require('./fixtures/mod/locals')
  t.eq(l.globalFilename, nil)
  t.eq(l.globalDirname, nil)
  t.eq(l.globalExports, nil)
  t.eq(rawget(_G, '__filename'), nil)
  t.eq(rawget(_G, '__dirname'), nil)
  t.eq(rawget(_G, 'exports'), nil)
end)

t.test("`...` in a required file starts with the name given to require", function()
  local l = require('./fixtures/mod/locals')
  t.eq(l.dots[1], './fixtures/mod/locals')
  t.ok(l.dots.n >= 1)
end)

t.test("chunks run with _G as their environment", function()
  t.eq(getfenv(1), _G)
  local l = require('./fixtures/mod/locals')
  t.eq(l.env, _G)
  t.eq(rawget(_G, 'modSetGlobal'), nil)
  local s = require('./fixtures/mod/set_global')
  t.eq(s.env, _G)
  t.eq(modSetGlobal, 'from set_global', 'a global set in a module is seen by the main script')
  _G.modSetGlobal = nil
end)

t.test("globals: process, console, Buffer and the timers", function()
  t.eq(type(process), 'table')
  t.eq(type(process.argv), 'table')
  t.eq(type(console), 'table')
  t.eq(type(console.log), 'function')
  t.eq(type(Buffer), 'table')
  t.eq(type(Buffer.from), 'function')
  for _, name in ipairs({ 'setTimeout', 'setInterval', 'setImmediate',
                          'clearTimeout', 'clearInterval', 'clearImmediate' }) do
    t.eq(type(_G[name]), 'function', name)
  end
  t.eq(_G.process, process)
end)

-- exports and module.exports ---------------------------------------------

t.test("exports.a = 1 fills the exports table", function()
  local e = require('./fixtures/mod/exports')
  t.eq(e.a, 1)
  t.eq(e.file, fix('exports.lua'))
  t.eq(e.dir, FIX)
  t.eq(e.id, fix('exports.lua'), "a required module's id is its filename")
  t.eq(e.same, true, 'module.exports and exports start as one table')
  t.same(keys(e), { 'a', 'dir', 'file', 'id', 'same' })
end)

t.test("module.exports = fn replaces the exports", function()
  local f = require('./fixtures/mod/replace')
  t.eq(type(f), 'function')
  t.eq(f(7), 'replaced:7')
  t.eq(require.cache[fix('replace.lua')].exports, f)
end)

t.test("a chunk returning a non-table value exports it", function()
  t.eq(require('./fixtures/mod/string_exports'), 'just a string')
  t.eq(require('./fixtures/mod/string_exports'), 'just a string', 'from the cache')
end)

-- require.cache -----------------------------------------------------------

t.test("require.cache is keyed by absolute real path and holds module objects", function()
  local l = require('./fixtures/mod/locals')
  local m = require.cache[fix('locals.lua')]
  t.ok(m, 'an entry under the absolute path')
  t.eq(m.id, fix('locals.lua'))
  t.eq(m.filename, fix('locals.lua'))
  t.eq(m.path, FIX)
  t.eq(m.loaded, true)
  t.eq(m.exports, l)
  t.eq(m.parent, require.main, 'first required by the main module')
  t.eq(type(m.children), 'table')
  t.eq(type(m.paths), 'table')
  t.eq(m.paths[1], FIX .. '/lua_modules')
  t.ok(contains(require.main.children, m), "the parent's children list it")
  t.eq(require.cache['./fixtures/mod/locals'], nil, 'not keyed by the request')
  t.eq(require.cache.events, nil, 'built-ins are not in the cache')
end)

t.test("require.cache uses the real path through a symlink", function()
  local dir = os.tmpname()
  os.remove(dir)
  local _, rc = sh('ln -s ' .. FIX .. ' ' .. dir)
  t.eq(rc, 0)
  local ok, v = pcall(require, dir .. '/value')
  local resolved = require.resolve(dir .. '/value.lua')
  os.remove(dir)
  t.ok(ok, tostring(v))
  t.eq(v, require('./fixtures/mod/value'), 'one module for both paths')
  t.eq(resolved, fix('value.lua'))
end)

t.test("deleting a require.cache entry makes the next require load the file again", function()
  local first = require('./fixtures/mod/counter')
  local loads = first.loads
  t.eq(require('./fixtures/mod/counter'), first, 'cached')
  t.eq(_G.modCounterLoads, loads)
  require.cache[fix('counter.lua')] = nil
  local second = require('./fixtures/mod/counter')
  t.ok(second ~= first, 'a new exports value')
  t.eq(second.loads, loads + 1)
  t.eq(_G.modCounterLoads, loads + 1)
  t.eq(require.cache[fix('counter.lua')].exports, second)
end)

t.test("an entry put in require.cache answers a require of that name", function()
  require.cache.virtual_mod = { id = 'virtual_mod', exports = { v = 1 }, loaded = true }
  local ok, v = pcall(require, 'virtual_mod')
  require.cache.virtual_mod = nil
  t.ok(ok, tostring(v))
  t.same(v, { v = 1 })
  t.raises(function() require('virtual_mod') end, 'MODULE_NOT_FOUND')
end)

t.test("require.main is the main module", function()
  t.eq(require.main, module)
  t.eq(require.main.id, '.')
  t.eq(require.main.filename, __filename)
  t.eq(require.main.loaded, true, 'the main chunk has finished')
  t.eq(require.main.parent, nil)
  t.eq(require.cache[__filename], require.main)
  local l = require('./fixtures/mod/locals')
  t.eq(l.isMain, false)
  t.eq(l.mainFilename, __filename)
end)

t.test("module.require and createRequire", function()
  t.eq(type(module.require), 'table')
  t.eq(module.require('./fixtures/mod/value'), require('./fixtures/mod/value'))
  local createRequire = require('module').createRequire
  local r = createRequire(fix('anything.lua'))
  t.eq(r('./value'), require('./fixtures/mod/value'))
  t.eq(r.resolve('./folder'), fix('folder/init.lua'))
end)

-- Cycles ----------------------------------------------------------------

t.test("cycles hand out the unfinished exports", function()
  local a = require('./fixtures/mod/cycle_a')
  local b = require('./fixtures/mod/cycle_b')
  t.eq(a.done, true)
  t.eq(a.bDone, true)
  t.eq(b.done, true)
  t.eq(a.bSawADone, false, 'b saw a half-loaded')
  t.eq(b.aDoneWhenLoaded, false)
  t.eq(b.aRef, a, 'the unfinished exports table is the final one')
  t.eq(require.cache[fix('cycle_b.lua')].parent, require.cache[fix('cycle_a.lua')])
end)

-- lua_modules -------------------------------------------------------------

t.test("bare names are found in lua_modules/ walking up from the requiring file", function()
  local w = require('./fixtures/mod/deep/a/b/walker')
  t.eq(w.top.name, 'lm_top')
  t.eq(w.top.file, fix('lua_modules/lm_top.lua'))
  t.eq(w.shadow, 'near', 'the nearest lua_modules wins')
  t.eq(w.pkg.name, 'pkg')
  t.eq(w.pkg.sub.name, 'pkg/sub')
  t.eq(w.pkgSub, w.pkg.sub, "'pkg/sub' names the file inside the package")
  t.eq(w.pkgDotted, w.pkg.sub, "'pkg.sub' too, as Lua's dotted names")
  t.eq(w.paths[1], fix('deep/a/b/lua_modules'))
  t.eq(w.paths[2], fix('deep/a/lua_modules'))
  t.eq(w.paths[3], fix('deep/lua_modules'))
  t.eq(w.paths[4], fix('lua_modules'))
  t.eq(w.paths[#w.paths], '/lua_modules')
end)

t.test("a lua_modules/ folder is not searched from outside its tree", function()
  local e = t.raises(function() require('lm_top') end, 'MODULE_NOT_FOUND')
  t.match(e.message, "Cannot find module 'lm_top'")
end)

t.test("module.paths skips lua_modules/lua_modules", function()
  require('./fixtures/mod/lua_modules/pkg')
  local m = require.cache[fix('lua_modules/pkg/init.lua')]
  t.eq(m.paths[1], fix('lua_modules/pkg/lua_modules'))
  t.eq(m.paths[2], fix('lua_modules'))
  t.eq(m.paths[3], path.dirname(FIX) .. '/lua_modules')
end)

-- package.path, package.cpath, package.loaded, package.preload ----------

t.test("package.path finds Lua modules, old-style module(...) ones included", function()
  local saved = package.path
  package.path = FIX .. '/pathmods/?.lua;' .. saved
  local ok, old = pcall(require, 'oldstyle')
  local ok2, plain = pcall(require, 'plainmod')
  local ok3, dotted = pcall(require, 'old.dotted')
  package.path = saved
  t.ok(ok, tostring(old))
  t.eq(type(old), 'table')
  t.eq(old.version, '1.0')
  t.eq(old.hello('you'), 'hello you from oldstyle', 'package.seeall gives it the globals')
  t.eq(old._NAME, 'oldstyle')
  t.eq(package.loaded.oldstyle, old)
  t.eq(rawget(_G, 'oldstyle'), old, 'module() makes a global, as under luajit')
  t.eq(rawget(_G, 'version'), nil, "the module's globals went to its own table")
  t.eq(require('oldstyle'), old, 'loaded once')
  t.ok(ok2, tostring(plain))
  t.eq(plain.name, 'plainmod')
  t.eq(plain.twice(21), 42)
  t.eq(package.loaded.plainmod, plain)
  t.ok(ok3, tostring(dotted))
  t.eq(dotted.where(), 'old.dotted in old.')
  t.eq(rawget(_G, 'old').dotted, dotted)
  t.eq(package.loaded['old.dotted'], dotted)
  t.eq(getfenv(1), _G, "the caller's environment is untouched")
  _G.oldstyle, _G.old = nil, nil
end)

t.test("deleting the require.cache entry of a package.path module loads it again", function()
  local saved = package.path
  package.path = FIX .. '/pathmods/?.lua;' .. saved
  local first = require('plainmod')
  local key = fix('pathmods/plainmod.lua')
  local entry = require.cache[key]
  require.cache[key] = nil
  local ok, second = pcall(require, 'plainmod')
  package.path = saved
  t.ok(entry, 'a package.path module has a require.cache entry')
  t.eq(entry.exports, first)
  t.ok(ok, tostring(second))
  t.ok(second ~= first, 'the file ran again')
  t.eq(require.cache[key].exports, second)
  package.loaded.plainmod = nil
end)

t.test("a precompiled bytecode file loads as a module", function()
  local name = os.tmpname()
  os.remove(name) -- so that require finds name .. '.lua'
  local f = io.open(name .. '.lua', 'wb')
  f:write(string.dump(loadstring("local name = ... return { name = name, answer = 6 * 7 }")))
  f:close()
  local ok, m = pcall(require, name)
  os.remove(name .. '.lua')
  t.ok(ok, tostring(m))
  t.eq(m.answer, 42)
  t.eq(m.name, name)
end)

t.test("package.loaded is honoured", function()
  local fake = { fake = true }
  package.loaded.mod_spec_fake = fake
  local ok, v = pcall(require, 'mod_spec_fake')
  package.loaded.mod_spec_fake = nil
  t.ok(ok, tostring(v))
  t.eq(v, fake)
end)

t.test("package.preload is honoured, once", function()
  local calls, got = 0, nil
  package.preload.mod_spec_pre = function(name)
    calls = calls + 1
    got = name
    return { pre = name }
  end
  local ok, v = pcall(require, 'mod_spec_pre')
  local ok2, v2 = pcall(require, 'mod_spec_pre')
  package.preload.mod_spec_pre = nil
  t.ok(ok, tostring(v))
  t.ok(ok2, tostring(v2))
  t.same(v, { pre = 'mod_spec_pre' })
  t.eq(v2, v)
  t.eq(calls, 1)
  t.eq(got, 'mod_spec_pre')
  t.eq(package.loaded.mod_spec_pre, v)
  package.loaded.mod_spec_pre = nil
end)

t.test("ffi, bit and jit load as under luajit", function()
  local ffi = require('ffi')
  t.eq(ffi, package.loaded.ffi)
  t.eq(type(ffi.cdef), 'function')
  local bit = require('bit')
  t.eq(bit, package.loaded.bit)
  t.eq(bit.band(0xff, 0x0f), 15)
  t.eq(require('jit'), jit)
  t.eq(require('string'), string)
end)

local function buildCModule()
  local _, rc = sh('command -v cc')
  if rc ~= 0 then return nil, 'no C compiler' end
  local dir = os.tmpname()
  os.remove(dir)
  local src = FIX .. '/cpath/cmod.c'
  local cflags = ' -shared -fPIC -I/usr/include/luajit-2.1 '
  local out, rc2 = sh('mkdir -p ' .. dir .. '/cpkg && cc' .. cflags .. src .. ' -o ' .. dir .. '/cmod.so' ..
    ' && cc' .. cflags .. src .. ' -o ' .. dir .. '/cpkg/inner.so' ..
    ' && cc' .. cflags .. src .. ' -o ' .. dir .. '/nosym.so')
  if rc2 ~= 0 then return nil, 'cc failed: ' .. out end
  return dir
end

t.test("package.cpath loads C modules through luaopen_*", function()
  local dir, why = buildCModule()
  if not dir then
    print('# skipped the C module case: ' .. why)
    return
  end
  local saved = package.cpath
  package.cpath = dir .. '/?.so;' .. saved
  local ok, cmod = pcall(require, 'cmod')
  local ok2, inner = pcall(require, 'cpkg.inner')
  local ok3, err = pcall(require, 'nosym')
  package.cpath = saved
  sh('rm -rf ' .. dir)
  t.ok(ok, tostring(cmod))
  t.eq(cmod.add(2, 3), 5)
  t.eq(cmod.name, 'cmod', 'luaopen_ gets the name')
  t.eq(package.loaded.cmod, cmod)
  t.eq(require('cmod'), cmod, 'loaded once')
  t.ok(ok2, tostring(inner))
  t.eq(inner.name, 'cpkg.inner', 'a dotted name opens luaopen_cpkg_inner')
  t.eq(ok3, false, 'a library without luaopen_nosym raises')
  t.eq(type(err) == 'table' and err.code, 'ERR_DLOPEN_FAILED')
  t.match(tostring(err), 'luaopen_nosym')
end)

-- Built-ins ---------------------------------------------------------------

t.test("built-in modules", function()
  local EventEmitter = require('events')
  t.eq(type(EventEmitter), 'table')
  t.eq(type(EventEmitter.new), 'function')
  t.eq(require('node:events'), EventEmitter)
  t.eq(require('util').format('%s=%d', 'x', 5), 'x=5')
  t.eq(require('node:util'), require('util'))
  t.eq(type(require('path').join), 'function')
  t.eq(require('path'), path)
  t.eq(require('timers').setTimeout, setTimeout)
  t.eq(require('timers').clearTimeout, clearTimeout)
  t.eq(require('buffer').Buffer, Buffer)
  t.eq(require('process'), process)
  t.eq(require('node:process'), process)
  t.eq(require('console'), console)
  local Module = require('module')
  t.eq(type(Module), 'table')
  t.eq(require('node:module'), Module)
end)

t.test("require('module').builtinModules lists the public built-ins", function()
  local list = require('module').builtinModules
  t.eq(type(list), 'table')
  for _, name in ipairs({ 'buffer', 'console', 'events', 'module', 'path', 'process', 'timers', 'util' }) do
    t.ok(contains(list, name), name .. ' is listed')
  end
  for _, name in ipairs(list) do
    t.eq(name:find('internal', 1, true), nil, 'no internal module: ' .. name)
    t.eq(name:find('/', 1, true), nil, 'no internal module: ' .. name)
    local ok, m = pcall(require, name)
    t.ok(ok and m ~= nil, 'require ' .. name .. ': ' .. tostring(m))
  end
end)

t.test("internal modules cannot be required", function()
  t.raises(function() require('internal/errors') end, 'MODULE_NOT_FOUND')
  t.raises(function() require('internal/bootstrap') end, 'MODULE_NOT_FOUND')
end)

t.test("an unknown node: name raises ERR_UNKNOWN_BUILTIN_MODULE", function()
  local e = t.raises(function() require('node:nope') end, 'ERR_UNKNOWN_BUILTIN_MODULE')
  t.match(e.message, 'node:nope')
end)

-- Bad input ----------------------------------------------------------------

t.test("require of a wrong type raises ERR_INVALID_ARG_TYPE", function()
  local e = t.raises(function() require(42) end, 'ERR_INVALID_ARG_TYPE')
  t.match(e.message, '"id"')
  t.raises(function() require(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() require({}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() require('') end, 'ERR_INVALID_ARG_VALUE')
end)

t.test("a missing module raises MODULE_NOT_FOUND listing where it looked", function()
  local e = t.raises(function() require('./fixtures/mod/nothere') end, 'MODULE_NOT_FOUND')
  t.eq(type(e), 'table')
  t.eq(e.name, 'Error')
  t.match(e.message, "^Cannot find module '%./fixtures/mod/nothere'")
  t.ok(e.message:find(FIX .. '/nothere.lua', 1, true), 'lists x.lua: ' .. e.message)
  t.ok(e.message:find(FIX .. '/nothere/init.lua', 1, true), 'lists x/init.lua: ' .. e.message)
  t.ok(tostring(e):find("Cannot find module './fixtures/mod/nothere'", 1, true))
  t.eq(require.cache[FIX .. '/nothere.lua'], nil)
end)

t.test("a missing bare name lists lua_modules and package.path", function()
  local saved = package.path
  package.path = '/mod_spec_nowhere/?.lua'
  local ok, e = pcall(require, 'mod_spec_missing')
  package.path = saved
  t.eq(ok, false)
  t.eq(e.code, 'MODULE_NOT_FOUND')
  t.ok(e.message:find(__dirname .. '/lua_modules/mod_spec_missing.lua', 1, true), e.message)
  t.ok(e.message:find('/lua_modules/mod_spec_missing/init.lua', 1, true), e.message)
  t.ok(e.message:find('/mod_spec_nowhere/mod_spec_missing.lua', 1, true), e.message)
end)

t.test("a missing module required by a module names the require stack", function()
  local e = t.raises(function() require('./fixtures/mod/requires_missing') end, 'MODULE_NOT_FOUND')
  t.match(e.message, "Cannot find module '%./does_not_exist_here'")
  t.ok(e.message:find('Require stack:\n- ' .. fix('requires_missing.lua') .. '\n- ' .. __filename, 1, true), e.message)
  t.ok(e.message:find(fix('does_not_exist_here.lua'), 1, true), e.message)
  t.eq(require.cache[fix('requires_missing.lua')], nil)
end)

t.test("err.requireStack holds the requiring files' paths, as in node", function()
  local e = t.raises(function() require('./fixtures/mod/nothere') end, 'MODULE_NOT_FOUND')
  t.same(e.requireStack, { __filename })
  e = t.raises(function() require('./fixtures/mod/requires_missing') end, 'MODULE_NOT_FOUND')
  t.same(e.requireStack, { fix('requires_missing.lua'), __filename })
end)

t.test("a module raising while loading propagates its error and leaves no cache entry", function()
  local before = _G.modThrowsLoads or 0
  local e = t.raises(function() require('./fixtures/mod/throws') end, 'E_FIXTURE_THROW')
  t.eq(e.message, 'thrown while loading')
  t.eq(_G.modThrowsLoads, before + 1)
  t.eq(require.cache[fix('throws.lua')], nil)
  -- A second require runs the file again.
  t.raises(function() require('./fixtures/mod/throws') end, 'E_FIXTURE_THROW')
  t.eq(_G.modThrowsLoads, before + 2)
end)

t.test("a module that failed to load is dropped from its parent's children, as in node", function()
  t.raises(function() require('./fixtures/mod/throws') end, 'E_FIXTURE_THROW')
  t.raises(function() require('./fixtures/mod/syntax_error') end)
  local left = {}
  for _, child in ipairs(require.main.children) do
    if child.filename == fix('throws.lua') or child.filename == fix('syntax_error.lua') then
      left[#left + 1] = child.filename
    end
  end
  t.same(left, {})
end)

t.test("a runtime error while loading names the file and line", function()
  local e = t.raises(function() require('./fixtures/mod/throws_string') end)
  t.eq(type(e), 'string')
  t.eq(e, fix('throws_string.lua') .. ':2: plain string failure')
  t.eq(require.cache[fix('throws_string.lua')], nil)
end)

t.test("a syntax error in a required file names the file and line", function()
  local e = t.raises(function() require('./fixtures/mod/syntax_error') end)
  local s = tostring(e)
  t.ok(s:find(fix('syntax_error.lua') .. ':3:', 1, true), s)
  t.match(s, "unexpected symbol near '='")
  t.eq(require.cache[fix('syntax_error.lua')], nil)
end)

t.test('require and require.resolve refuse a name with a NUL byte', function()
  t.raises(function() require('a\0b') end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() require.resolve('\0') end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() require.resolve.paths(nil) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test("module() called from C or with a non-function option raises before it changes anything", function()
  t.raises(function() module('lode_sweep_x', 5) end, 'ERR_INVALID_ARG_TYPE')
  t.eq(package.loaded.lode_sweep_x, nil)
  local ok, err = pcall(module, 'lode_sweep_y')
  t.ok(not ok)
  t.eq(err.code, 'ERR_INVALID_STATE')
  t.eq(package.loaded.lode_sweep_y, nil)
  t.eq(rawget(_G, 'lode_sweep_y'), nil)
end)
