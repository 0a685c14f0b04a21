-- The lode command: scripts and their arguments (process.argv, Lua's arg,
-- `...`), -e, - (stdin), -v, -h, #! lines, bad options, missing scripts,
-- syntax errors, and running from anywhere with no Lua files beside the
-- binary. Each case runs the binary as a child and looks at its stdout,
-- stderr and exit code.
local t = require('./helper')
local lines = t.lines

local LODE = process.execPath
local FIX = __dirname .. '/fixtures/mod'

local q = t.quote

-- run(args, opts): runs `lode args` (args is shell text); see t.spawn.
local run = t.spawn

-- The four lines fixtures/mod/args.lua prints.
local function argsOf(r)
  local l = lines(r.out)
  return { dots = l[1], arg = l[2], argv = l[3], main = l[4] }
end

t.test('lode script.lua a b: process.argv, arg and ...', function()
  local r = run('args.lua a b', { cwd = FIX })
  t.eq(r.err, '')
  t.eq(r.code, 0)
  local a = argsOf(r)
  t.eq(a.dots, 'dots 2 "a" "b"')
  t.eq(a.arg, 'arg ' .. ('%q'):format(LODE) .. ' "args.lua" "a" "b" #2')
  t.eq(a.argv, 'argv ' .. ('%q'):format(LODE) .. ' ' .. ('%q'):format(FIX .. '/args.lua') .. ' "a" "b" #3')
  t.eq(a.main, 'main ' .. ('%q'):format(FIX .. '/args.lua') .. ' ' .. ('%q'):format(FIX .. '/args.lua') ..
    ' ' .. ('%q'):format(FIX))
end)

t.test('a relative script path: arg[0] as given, argv[1] absolute', function()
  local r = run('fixtures/mod/args.lua x', { cwd = __dirname })
  t.eq(r.code, 0, r.err)
  local a = argsOf(r)
  t.eq(a.dots, 'dots 1 "x"')
  t.eq(a.arg, 'arg ' .. ('%q'):format(LODE) .. ' "fixtures/mod/args.lua" "x" nil #1')
  t.eq(a.argv, 'argv ' .. ('%q'):format(LODE) .. ' ' .. ('%q'):format(FIX .. '/args.lua') .. ' "x" nil #2')
end)

t.test('the script name without .lua is found', function()
  local r = run('args', { cwd = FIX })
  t.eq(r.code, 0, r.err)
  t.eq(argsOf(r).argv, 'argv ' .. ('%q'):format(LODE) .. ' ' .. ('%q'):format(FIX .. '/args.lua') .. ' nil nil #1')
end)

t.test('options after the script, and after --, belong to the script', function()
  local r = run('args.lua -v --help -e x', { cwd = FIX })
  t.eq(r.code, 0, r.err)
  t.eq(argsOf(r).dots, 'dots 4 "-v" "--help" "-e" "x"')
  r = run('-- args.lua -v', { cwd = FIX })
  t.eq(r.code, 0, r.err)
  t.eq(argsOf(r).dots, 'dots 1 "-v"')
end)

t.test('arguments with spaces and empty ones arrive unchanged', function()
  local r = run("args.lua 'two words' ''", { cwd = FIX })
  t.eq(r.code, 0, r.err)
  t.eq(argsOf(r).dots, 'dots 2 "two words" ""')
end)

t.test('-e CODE runs the code; its arguments are ... and argv[1..]', function()
  local r = run([[-e 'print(process.argv[1], process.argv[2], #process.argv, select("#", ...), ...)' a b]])
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, 'a\tb\t2\t2\ta\tb\n')
  r = run("--eval 'print(1 + 1)'")
  t.eq(r.out, '2\n')
  t.eq(r.code, 0)
  r = run("-e ''")
  t.eq(r.out, '')
  t.eq(r.err, '')
  t.eq(r.code, 0)
end)

t.test('-e requires relative paths from the working directory', function()
  local r = run([[-e 'print(require("./value").n, require.resolve("./value"))']], { cwd = FIX })
  t.eq(r.err, '')
  t.eq(r.out, '42\t' .. FIX .. '/value.lua\n')
end)

t.test('-e without code prints one line and exits 9', function()
  local r = run('-e')
  t.eq(r.code, 9)
  t.eq(r.out, '')
  t.eq(#lines(r.err), 1, r.err)
  t.match(r.err, '%-e')
end)

t.test('lode - reads the script from stdin', function()
  local r = run('- a b', { input = 'print("from stdin", ...)\nprint(process.argv[1], process.argv[2], process.argv[3], arg[0], arg[1])\n' })
  t.eq(r.err, '')
  t.eq(r.code, 0)
  local l = lines(r.out)
  t.eq(l[1], 'from stdin\ta\tb')
  t.eq(#l, 2)
end)

t.test("lode - a: argv[1] is '-' as in node, arg[0] is '-' as in luajit", function()
  local r = run('- a b', { input = 'print(process.argv[1], process.argv[2], process.argv[3], #process.argv, arg[0], arg[1], #arg)\n' })
  t.eq(r.code, 0, r.err)
  t.eq(r.out, '-\ta\tb\t3\t-\ta\t2\n')
end)

t.test('a long script from stdin (over 64 KiB) is read whole', function()
  local parts = { 'local n = 0\n' }
  for i = 1, 20000 do parts[#parts + 1] = 'n = n + ' .. i .. '\n' end
  parts[#parts + 1] = 'print(n)\n'
  local src = table.concat(parts)
  t.ok(#src > 65536)
  local r = run('-', { input = src })
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, '200010000\n')
end)

t.test('an error in a script from stdin names [stdin] and the line', function()
  local r = run('-', { input = 'local x = 1\nerror("bad stdin")\n' })
  t.eq(r.code, 1)
  t.match(r.err, '%[stdin%]:2: bad stdin')
end)

t.test('-v and --version name lode, LuaJIT and libuv', function()
  for _, opt in ipairs({ '-v', '--version' }) do
    local r = run(opt)
    t.eq(r.code, 0)
    t.eq(r.err, '')
    local l = lines(r.out)
    t.eq(#l, 3, r.out)
    t.eq(l[1], 'lode ' .. process.versions.lode)
    t.eq(l[2], 'LuaJIT ' .. process.versions.luajit)
    t.eq(l[3], 'libuv ' .. process.versions.uv)
    t.match(l[1], '^lode %d+%.%d+%.%d+')
    t.match(l[2], '^LuaJIT 2%.%d')
    t.match(l[3], '^libuv 1%.%d+%.%d+')
  end
end)

t.test('-h and --help print the usage to stdout', function()
  for _, opt in ipairs({ '-h', '--help' }) do
    local r = run(opt)
    t.eq(r.code, 0)
    t.eq(r.err, '')
    t.match(r.out, '^Usage: lode ')
    t.match(r.out, '%-e, %-%-eval')
    t.match(r.out, '%-v, %-%-version')
    t.match(r.out, '%-h, %-%-help')
  end
end)

t.test('a #! first line is skipped and line numbers are kept', function()
  local r = run(FIX .. '/shebang.lua')
  t.eq(r.out, 'shebang line 2, __filename ok: true\n')
  t.eq(r.code, 1)
  t.ok(r.err:find(FIX .. '/shebang.lua:3: failing on line 3', 1, true), r.err)
end)

t.test('an unknown option prints one line and exits 9', function()
  local r = run('--bogus script.lua')
  t.eq(r.code, 9)
  t.eq(r.out, '')
  t.eq(#lines(r.err), 1, r.err)
  t.match(r.err, '%-%-bogus')
  r = run('-x')
  t.eq(r.code, 9)
  t.eq(#lines(r.err), 1, r.err)
  t.match(r.err, '%-x')
end)

t.test('no script and a standard input that is not a terminal runs standard input', function()
  local r = run('', { input = 'print("piped", select("#", ...), process.argv[1], #process.argv, arg[0], __filename)\n' })
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, 'piped\t0\tnil\t0\tnil\t[stdin]\n', "no '-' in process.argv, as in node; arg[0] nil, as in luajit")
  r = run('', { input = 'local x = 1\nerror("bad pipe")\n' })
  t.eq(r.code, 1)
  t.match(r.err, '%[stdin%]:2: bad pipe')
  r = run('') -- /dev/null: an empty script
  t.eq(r.code, 0, r.err)
  t.eq(r.out, '')
  r = run('-e "print(2)"', { input = 'print(1)\n' })
  t.eq(r.out, '2\n', '-e does not read standard input')
end)

t.test('no script on a terminal prints one line and exits 9', function()
  -- script(1) gives lode a pseudo-terminal as standard input.
  local probe = io.popen('command -v script 2>/dev/null')
  local have = probe:read('*a') ~= ''
  probe:close()
  if not have then
    print('# skipped: no script(1) to make a terminal')
    return
  end
  local r = t.spawn('', { exe = 'script -qec ' .. t.quote(t.quote(LODE)) .. ' /dev/null' })
  if r.out:find('openpty', 1, true) or r.out:find('failed', 1, true) then
    print('# skipped: no pseudo-terminal here: ' .. r.out)
    return
  end
  t.eq(r.code, 9, r.out .. r.err)
  t.eq(#lines(r.out), 1, r.out)
  t.match(r.out, 'no script given')
end)

t.test('a missing script exits 1 naming the file', function()
  local r = run('no_such_script.lua', { cwd = FIX })
  t.eq(r.code, 1)
  t.eq(r.out, '')
  local first = lines(r.err)[1] or ''
  t.ok(first:find("Cannot find module '" .. FIX .. "/no_such_script.lua'", 1, true), r.err)
  r = run(q(FIX .. '/missing dir/x.lua'))
  t.eq(r.code, 1)
  t.ok(r.err:find(FIX .. '/missing dir/x.lua', 1, true), r.err)
end)

t.test('a syntax error in the script exits 1 naming the file and line', function()
  local r = run(FIX .. '/syntax_error.lua')
  t.eq(r.code, 1)
  t.eq(r.out, '')
  t.ok(r.err:find(FIX .. '/syntax_error.lua:3:', 1, true), r.err)
  t.match(r.err, "unexpected symbol near '='")
  r = run([[-e 'local = 1']])
  t.eq(r.code, 1)
  t.ok(r.err:find('[eval]:1:', 1, true), r.err)
end)

t.test('a runtime error in the script exits 1 with a traceback on stderr', function()
  local r = run(FIX .. '/throws_string.lua')
  t.eq(r.code, 1)
  t.eq(r.out, '')
  local l = lines(r.err)
  t.eq(l[1], FIX .. '/throws_string.lua:2: plain string failure')
  t.eq(l[2], 'stack traceback:')
  t.ok(r.err:find(FIX .. '/throws_string.lua:2: in ', 1, true), r.err)
end)

t.test('a script that requires a module raising while loading exits 1', function()
  local r = run([[-e 'print("before") require("./throws")']], { cwd = FIX })
  t.eq(r.code, 1)
  t.eq(r.out, 'before\n')
  t.match(r.err, '^FixtureError: thrown while loading\n')
  r = run([[-e 'require("./syntax_error")']], { cwd = FIX })
  t.eq(r.code, 1)
  t.ok(r.err:find(FIX .. '/syntax_error.lua:3:', 1, true), r.err)
  r = run([[-e 'require("./requires_missing")']], { cwd = FIX })
  t.eq(r.code, 1)
  t.ok(r.err:find("Cannot find module './does_not_exist_here'", 1, true), r.err)
  t.ok(r.err:find(FIX .. '/does_not_exist_here.lua', 1, true), r.err)
end)

-- The installed binary carries its Lua inside: a copy in a folder of its
-- own runs from anywhere with LODE_LUA_DIR unset.
local function copyBinary()
  local dir = os.tmpname()
  os.remove(dir)
  local ok = os.execute('mkdir -p ' .. q(dir) .. ' && cp ' .. q(LODE) .. ' ' .. q(dir .. '/lode'))
  t.eq(ok, 0, 'copying the binary')
  return dir
end

t.test('a copy of the binary runs from another directory with no Lua files beside it', function()
  local dir = copyBinary()
  local opts = { cwd = '/tmp', exe = dir .. '/lode', unset = { 'LODE_LUA_DIR' } }
  local r = run(q(FIX .. '/args.lua') .. ' a', opts)
  local r2 = run([[-e 'local E = require("events"); local e = E:new(); e:on("x", print); e:emit("x", require("path").join("a", "b"), Buffer.from("hi"):toString(), process.cwd())']], opts)
  os.execute('rm -rf ' .. q(dir))
  t.eq(r.err, '')
  t.eq(r.code, 0)
  local a = argsOf(r)
  t.eq(a.dots, 'dots 1 "a"')
  t.eq(a.argv, 'argv ' .. ('%q'):format(dir .. '/lode') .. ' ' .. ('%q'):format(FIX .. '/args.lua') .. ' "a" nil #2')
  t.eq(r2.err, '')
  t.eq(r2.code, 0)
  t.eq(r2.out, 'a/b\thi\t/tmp\n')
end)

t.test('arg[-1] is the executable as typed, argv[0] its absolute path', function()
  local dir = copyBinary()
  local r3 = run(q(FIX .. '/args.lua') .. ' a', { cwd = dir, exe = './lode', unset = { 'LODE_LUA_DIR' } })
  os.execute('rm -rf ' .. q(dir))
  t.eq(r3.code, 0, r3.err)
  local a3 = argsOf(r3)
  t.eq(a3.argv, 'argv ' .. ('%q'):format(dir .. '/lode') .. ' ' .. ('%q'):format(FIX .. '/args.lua') .. ' "a" nil #2',
    'process.argv[0] is the absolute executable path')
  t.eq(a3.arg, 'arg "./lode" ' .. ('%q'):format(FIX .. '/args.lua') .. ' "a" nil #1',
    "arg[-1] is the executable as typed, as luajit sets it")
end)
