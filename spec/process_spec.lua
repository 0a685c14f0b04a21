-- process: the fields and functions of Node's process object, its exit
-- protocol ('beforeExit', 'exit', exitCode, process.exit) and uncaught
-- errors. Cases follow Node's doc/api/process.md and
-- test/parallel/test-process-*.js; what only a whole process shows runs
-- in a child (spec/fixtures/proc/*.lua).
local t = require('./helper')
local nowMs, busyWait, recorder = t.nowMs, t.busyWait, t.recorder
local child = require('./fixtures/proc/child')
local ffi = require('ffi')

local function readFile(path)
  local f = io.open(path, 'rb')
  if not f then return nil end
  local s = f:read('*a')
  f:close()
  return s
end

local function shell(cmd)
  local p = io.popen(cmd)
  local s = p:read('*a')
  p:close()
  return (s:gsub('\n$', ''))
end

-- A pid no process can have: above Linux's PID_MAX_LIMIT (2^22) and the
-- machine's pid_max.
local function unusedPid()
  local max = tonumber(readFile('/proc/sys/kernel/pid_max') or '') or 0
  return math.max(max, 2 ^ 22) + 12345
end

local function isInteger(v)
  return type(v) == 'number' and v == math.floor(v) and v == v
end

---------------------------------------------------------------- argv & co

t.test('argv: [0] is execPath, [1] the absolute path of the script', function()
  t.eq(process.argv[0], process.execPath)
  t.match(process.argv[1], '^/')
  t.match(process.argv[1], '/process_spec%.lua$')
  t.eq(#process.argv, 1, 'no arguments after the script')
  t.eq(process.argv[2], nil)
end)

t.test('argv, argv0, execPath, pid and ppid of a child started with arguments', function()
  local lodeDir, lodeName = process.execPath:match('^(.*)/([^/]+)$')
  local r = child.run('argv.lua', { 'a', 'b c', '' }, { cwd = lodeDir, exe = './' .. lodeName })
  t.eq(r.code, 0, child.describe(r))
  local got = {}
  for _, line in ipairs(r.lines) do
    local k, v = line:match('^(.-)=(.*)$')
    got[k] = v
  end
  t.eq(got.argv0, './' .. lodeName, 'argv0 is argv[0] as typed')
  t.eq(got.execPath, process.execPath, 'execPath is absolute')
  t.eq(got['argv[0]'], process.execPath)
  t.eq(got['argv[1]'], child.path('argv.lua'))
  t.eq(got['argv[2]'], 'a')
  t.eq(got['argv[3]'], 'b c')
  t.eq(got['argv[4]'], '')
  t.eq(got['#argv'], '4')
  t.eq(got['select#'], '3', '... holds the arguments')
  t.eq(got['...[1]'], 'a')
  t.eq(got['...[2]'], 'b c')
  t.eq(got['...[3]'], '')
  t.eq(got.ppid, tostring(process.pid), 'the child\'s ppid is our pid')
  t.ok(tonumber(got.pid) and got.pid ~= tostring(process.pid), 'the child has its own pid')
end)

t.test('execPath is an absolute path to an existing file', function()
  t.match(process.execPath, '^/')
  local f = io.open(process.execPath, 'rb')
  t.ok(f, 'cannot open ' .. process.execPath)
  f:close()
end)

t.test('pid and ppid are those of this process', function()
  t.ok(isInteger(process.pid) and process.pid > 0)
  t.ok(isInteger(process.ppid) and process.ppid > 0)
  local status = readFile('/proc/self/status')
  t.eq(tonumber(status:match('\nPid:%s*(%d+)')), process.pid)
  t.eq(tonumber(status:match('\nPPid:%s*(%d+)')), process.ppid)
end)

t.test('platform, arch, version and versions', function()
  t.eq(process.platform, (shell('uname -s'):lower()))
  t.eq(process.arch, ffi.arch, 'Node\'s names (x64, arm64, ...) are LuaJIT\'s')
  t.match(process.version, '^v%d+%.%d+%.%d+')
  t.eq(type(process.versions), 'table')
  t.eq(process.version, 'v' .. process.versions.lode)
  t.eq(process.versions.luajit, (jit.version:gsub('^LuaJIT ', '')))
  t.match(process.versions.uv, '^%d+%.%d+%.%d+$')
end)

t.test('title reads and writes the process title', function()
  t.eq(type(process.title), 'string')
  local old = process.title
  process.title = 'lode-spec'
  t.eq(process.title, 'lode-spec')
  process.title = old
end)

---------------------------------------------------------------- env

t.test('env reads the real environment', function()
  t.eq(process.env.PATH, os.getenv('PATH'))
  t.eq(process.env.LODE_SPEC_SURELY_UNSET_VARIABLE, nil)
end)

t.test('env writes go to the real environment; values become strings', function()
  process.env.LODE_SPEC_VAR = 'hello'
  t.eq(os.getenv('LODE_SPEC_VAR'), 'hello')
  t.eq(process.env.LODE_SPEC_VAR, 'hello')
  process.env.LODE_SPEC_VAR = 42
  t.eq(process.env.LODE_SPEC_VAR, '42')
  t.eq(os.getenv('LODE_SPEC_VAR'), '42')
  process.env.LODE_SPEC_VAR = true
  t.eq(process.env.LODE_SPEC_VAR, 'true')
  t.eq(shell('printf %s "$LODE_SPEC_VAR"'), 'true', 'a child process inherits it')
  process.env.LODE_SPEC_VAR = nil
end)

t.test('env.X = nil unsets the variable', function()
  process.env.LODE_SPEC_GONE = 'x'
  process.env.LODE_SPEC_GONE = nil
  t.eq(process.env.LODE_SPEC_GONE, nil)
  t.eq(os.getenv('LODE_SPEC_GONE'), nil)
  t.eq(shell('printf %s "${LODE_SPEC_GONE-unset}"'), 'unset')
end)

t.test('pairs(process.env) walks the real environment, changes included', function()
  process.env.LODE_SPEC_ITER = 'v1'
  local seen, n = {}, 0
  for k, v in pairs(process.env) do
    t.eq(type(k), 'string')
    t.eq(type(v), 'string')
    seen[k] = v
    n = n + 1
  end
  t.eq(seen.LODE_SPEC_ITER, 'v1')
  t.eq(seen.PATH, os.getenv('PATH'))
  -- As many as the shell sees.
  local count = tonumber(shell('env | grep -c "^[A-Za-z_][A-Za-z0-9_]*="'))
  t.ok(math.abs(n - count) <= 2, ('pairs saw %d variables, env printed %d'):format(n, count))
  process.env.LODE_SPEC_ITER = nil
  for k in pairs(process.env) do
    t.ok(k ~= 'LODE_SPEC_ITER', 'an unset variable is still iterated')
  end
end)

t.test('a child started after env.X = v sees it', function()
  process.env.LODE_SPEC_CHILD_VAR = 'from parent'
  local r = child.run('argv.lua')
  process.env.LODE_SPEC_CHILD_VAR = nil
  t.eq(r.code, 0, child.describe(r))
  local env
  for _, line in ipairs(r.lines) do env = env or line:match('^env=(.*)$') end
  t.eq(env, 'from parent')
end)

---------------------------------------------------------------- time

t.test('hrtime() is { seconds, nanoseconds } of integers', function()
  local a = process.hrtime()
  t.eq(type(a), 'table')
  t.eq(#a, 2)
  t.ok(isInteger(a[1]) and a[1] >= 0, 'seconds ' .. tostring(a[1]))
  t.ok(isInteger(a[2]) and a[2] >= 0 and a[2] < 1e9, 'nanoseconds ' .. tostring(a[2]))
end)

t.test('hrtime(prev) is the time since prev', function()
  local prev = process.hrtime()
  busyWait(5)
  local d = process.hrtime(prev)
  t.eq(#d, 2)
  t.ok(isInteger(d[1]) and isInteger(d[2]))
  t.ok(d[2] >= 0 and d[2] < 1e9)
  local ms = d[1] * 1e3 + d[2] / 1e6
  t.ok(ms >= 5 and ms < 1000, ('5 ms of work measured as %.3f ms'):format(ms))
  -- test-process-hrtime.js: a nanosecond part larger than now's borrows.
  local diff = process.hrtime({ 0, 1e9 - 1 })
  t.ok(diff[2] >= 0 and diff[2] < 1e9, 'nanoseconds ' .. diff[2])
end)

t.test('hrtime with a bad argument raises (test-process-hrtime)', function()
  local e = t.raises(function() process.hrtime(1) end, 'ERR_INVALID_ARG_TYPE')
  t.match(e.message, '"time" argument')
  t.raises(function() process.hrtime('1') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() process.hrtime({ 1 }) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() process.hrtime({ 1, 2, 3 }) end, 'ERR_OUT_OF_RANGE')
end)

t.test('hrtime.bigint() is a LuaJIT int64 in nanoseconds, and agrees with hrtime()', function()
  local a = process.hrtime.bigint()
  t.ok(ffi.istype('int64_t', a), 'type ' .. type(a))
  local pair = process.hrtime()
  local b = process.hrtime.bigint()
  t.ok(b >= a, 'monotonic')
  local fromPair = pair[1] * 1e9 + pair[2]
  t.ok(math.abs(tonumber(b) - fromPair) < 1e6, 'hrtime() and hrtime.bigint() differ by more than 1 ms')
  busyWait(2)
  local c = process.hrtime.bigint()
  t.ok(c - b >= 2000000LL, '2 ms later')
end)

t.test('uptime() is the seconds since the process started', function()
  local u = process.uptime()
  t.eq(type(u), 'number')
  t.ok(u > 0 and u < 60, 'uptime ' .. u)
  busyWait(10)
  local u2 = process.uptime()
  t.ok(u2 - u >= 0.009, ('10 ms later uptime grew by %.4f s'):format(u2 - u))
end)

---------------------------------------------------------------- resources

t.test('memoryUsage() gives rss, heapTotal, heapUsed, external, arrayBuffers', function()
  local m = process.memoryUsage()
  for _, k in ipairs({ 'rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers' }) do
    t.ok(type(m[k]) == 'number' and m[k] >= 0, k .. ' = ' .. tostring(m[k]))
  end
  t.ok(m.rss > 1e6, 'rss is in bytes')
  t.ok(m.heapUsed > 0 and m.heapUsed <= m.heapTotal, 'heapUsed <= heapTotal')
  local heap = collectgarbage('count') * 1024
  t.ok(math.abs(m.heapUsed - heap) < 1e6, 'heapUsed is the Lua heap')
  t.ok(type(process.memoryUsage.rss) == 'function', 'memoryUsage.rss()')
  t.ok(process.memoryUsage.rss() > 1e6)
end)

t.test('memoryUsage().external grows by the size of a Buffer.alloc(1e6)', function()
  local before = process.memoryUsage().external
  local buf = Buffer.alloc(1e6)
  local after = process.memoryUsage().external
  t.ok(after - before >= 1e6, ('external grew by %d bytes'):format(after - before))
  t.eq(#buf, 1e6)
end)

t.test('cpuUsage() gives user and system microseconds; cpuUsage(prev) the difference', function()
  local a = process.cpuUsage()
  t.ok(type(a.user) == 'number' and a.user >= 0)
  t.ok(type(a.system) == 'number' and a.system >= 0)
  -- Work until 20 ms of CPU time are counted: in microseconds that takes
  -- at least 20 ms of wall time (one thread cannot use more CPU than wall
  -- time) and far less than 2 s, even on a loaded machine.
  local t0 = nowMs()
  local d
  repeat d = process.cpuUsage(a) until d.user + d.system >= 20000 or nowMs() - t0 > 2000
  local wall = nowMs() - t0
  t.ok(d.user >= 0 and d.system >= 0)
  t.ok(d.user + d.system >= 20000, ('2 s of work counted %d us'):format(d.user + d.system))
  t.ok(wall >= 19, ('20000 us of CPU time counted after %.2f ms of wall time'):format(wall))
  local b = process.cpuUsage()
  t.ok(b.user >= a.user and b.system >= a.system)
end)

t.test('cpuUsage with a bad previous value raises (test-process-cpuUsage)', function()
  local e = t.raises(function() process.cpuUsage(1) end, 'ERR_INVALID_ARG_TYPE')
  t.match(e.message, '"prevValue"')
  for _, v in ipairs({ {}, { user = 'a' }, { system = 'c' } }) do
    e = t.raises(function() process.cpuUsage(v) end, 'ERR_INVALID_ARG_TYPE', 'prevValue.user')
    t.match(e.message, '"prevValue.user" property must be of type number')
  end
  for _, v in ipairs({ { user = 3, system = 'b' }, { user = 3 } }) do
    e = t.raises(function() process.cpuUsage(v) end, 'ERR_INVALID_ARG_TYPE', 'prevValue.system')
    t.match(e.message, '"prevValue.system" property must be of type number')
  end
  for _, v in ipairs({ { user = -1, system = 2 }, { user = math.huge, system = 4 },
                       { user = 3, system = -2 }, { user = 5, system = -math.huge } }) do
    e = t.raises(function() process.cpuUsage(v) end, 'ERR_INVALID_ARG_VALUE', 'negative or infinite')
    t.eq(e.name, 'RangeError')
  end
end)

t.test('resourceUsage() gives Node\'s 16 fields', function()
  local r = process.resourceUsage()
  local fields = { 'userCPUTime', 'systemCPUTime', 'maxRSS', 'sharedMemorySize', 'unsharedDataSize',
    'unsharedStackSize', 'minorPageFault', 'majorPageFault', 'swappedOut', 'fsRead', 'fsWrite',
    'ipcSent', 'ipcReceived', 'signalsCount', 'voluntaryContextSwitches', 'involuntaryContextSwitches' }
  for _, k in ipairs(fields) do
    t.ok(isInteger(r[k]) and r[k] >= 0, k .. ' = ' .. tostring(r[k]))
  end
  t.ok(r.maxRSS > 1000, 'maxRSS is in kilobytes')
  local c = process.cpuUsage()
  t.ok(math.abs(c.user - r.userCPUTime) < 100000, 'userCPUTime agrees with cpuUsage().user')
end)

---------------------------------------------------------------- cwd, chdir, umask

t.test('cwd() is the working directory', function()
  t.eq(process.cwd(), shell('pwd -P'))
end)

t.test('chdir() changes the working directory, relative paths too', function()
  local start = process.cwd()
  process.chdir('/')
  t.eq(process.cwd(), '/')
  t.eq(shell('pwd -P'), '/', 'a child starts in the new directory')
  process.chdir('tmp')
  t.eq(process.cwd(), (shell('cd /tmp && pwd -P')))
  process.chdir(start)
  t.eq(process.cwd(), start)
end)

t.test('chdir() to a missing folder raises ENOENT (test-process-chdir-errormessage)', function()
  local start = process.cwd()
  local e = t.raises(function() process.chdir('does-not-exist') end, 'ENOENT')
  t.eq(e.name, 'Error')
  t.eq(e.errno, -2)
  t.eq(e.syscall, 'chdir')
  t.eq(e.path, start)
  t.eq(e.dest, 'does-not-exist')
  t.match(e.message, "^ENOENT: no such file or directory, chdir .+ %-> 'does%-not%-exist'$")
  t.match(tostring(e), 'ENOENT')
  t.eq(process.cwd(), start, 'the directory did not change')
end)

t.test('chdir() to a file raises ENOTDIR; a non-string raises ERR_INVALID_ARG_TYPE', function()
  local e = t.raises(function() process.chdir(process.execPath) end, 'ENOTDIR')
  t.eq(e.syscall, 'chdir')
  for _, v in ipairs({ 1, true, {} }) do
    e = t.raises(function() process.chdir(v) end, 'ERR_INVALID_ARG_TYPE')
    t.match(e.message, '"directory" argument must be of type string')
  end
  t.raises(function() process.chdir() end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('umask() reads and sets the mask; an octal string works', function()
  local old = process.umask()
  t.ok(isInteger(old))
  t.eq(process.umask(23), old, 'returns the old mask') -- 0o027
  t.eq(process.umask(), 23)
  t.eq(process.umask('0777'), 23)
  t.eq(process.umask(), 511)
  t.eq(process.umask(old), 511)
  t.eq(process.umask(), old)
end)

t.test('umask() with a bad mask raises', function()
  local old = process.umask()
  t.raises(function() process.umask('abc') end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() process.umask(-1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() process.umask(2 ^ 32) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() process.umask(1.5) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() process.umask(true) end, 'ERR_INVALID_ARG_TYPE')
  t.eq(process.umask(), old, 'unchanged')
end)

---------------------------------------------------------------- kill

t.test('kill(pid, 0) checks that a process exists and returns true', function()
  t.eq(process.kill(process.pid, 0), true)
  t.eq(process.kill(process.ppid, 0), true)
end)

t.test('kill() of a missing pid raises ESRCH', function()
  local pid = unusedPid()
  local e = t.raises(function() process.kill(pid, 0) end, 'ESRCH')
  t.eq(e.errno, -3)
  t.eq(e.syscall, 'kill')
  -- The default signal (SIGTERM) too: there is no such process to kill.
  t.raises(function() process.kill(pid) end, 'ESRCH')
  t.raises(function() process.kill(pid, 'SIGTERM') end, 'ESRCH')
end)

t.test('kill() with an unknown signal name raises ERR_UNKNOWN_SIGNAL', function()
  local e = t.raises(function() process.kill(process.pid, 'SIGFOO') end, 'ERR_UNKNOWN_SIGNAL')
  t.eq(e.name, 'TypeError')
  t.eq(e.message, 'Unknown signal: SIGFOO')
  t.raises(function() process.kill(process.pid, 'test') end, 'ERR_UNKNOWN_SIGNAL')
end)

t.test('kill() with a signal number no system has raises EINVAL', function()
  local e = t.raises(function() process.kill(process.pid, 9999) end, 'EINVAL')
  t.eq(e.syscall, 'kill')
end)

t.test('kill() with a pid that is not an integer raises ERR_INVALID_ARG_TYPE (test-process-kill-pid)', function()
  -- Signal 0 everywhere: should a check be missing, nothing is sent.
  -- 2^32 + 5 must not wrap to pid 5, nor 2^32 and math.huge to 0 (the
  -- process group).
  local bad = { nil, 'SIGTERM', 0 / 0, math.huge, -math.huge, 1.5, 2 ^ 32, 2 ^ 32 + 5, 2 ^ 31, -2 ^ 31 - 1, {} }
  local wrong = {}
  for i = 1, 11 do
    local v = bad[i]
    local ok, e = pcall(process.kill, v, 0)
    if ok or type(e) ~= 'table' or e.code ~= 'ERR_INVALID_ARG_TYPE' or not e.message:find('"pid" argument') then
      wrong[#wrong + 1] = ('kill(%s, 0) gave %s'):format(tostring(v), ok and tostring(e) or tostring(type(e) == 'table' and e.code or e))
    end
  end
  t.eq(#wrong, 0, table.concat(wrong, '; '))
end)

---------------------------------------------------------------- exit protocol

-- Node's test/fixtures/process-exit-code-cases.js: case, exit status, the
-- line the 'exit' listener prints ("exit <code> <process.exitCode>").
local exitCases = {
  { 'exitsOnExitCodeSet', 42, 'exit 42 42' },
  { 'changesCodeViaExit', 42, 'exit 42 42' },
  { 'changesCodeZeroExit', 0, 'exit 0 0' },
  { 'exitWithOneOnUncaught', 1, 'exit 1 1', 'ok' },
  { 'changeCodeInsideExit', 99, 'exit 95 95' },
  { 'zeroExitWithUncaughtHandler', 0, '^exit 0 ' },
  { 'changeCodeInUncaughtHandler', 97, 'exit 97 97' },
  { 'changeCodeInExitWithUncaught', 98, 'exit 1 1', 'ok' },
  { 'exitWithZeroInExitWithUncaught', 0, 'exit 1 1', 'ok' },
  { 'exitWithoutCode', 5, 'exit 5 5' },
  { 'plainEnd', 0, '^exit 0 ' },
}

for _, c in ipairs(exitCases) do
  local name, code, line, stderr = c[1], c[2], c[3], c[4]
  t.test('exit code: ' .. name .. ' exits ' .. code, function()
    local r = child.run('exit_codes.lua', { name })
    t.eq(r.code, code, child.describe(r))
    t.eq(#r.lines, 1, 'one exit line: ' .. r.out)
    if line:sub(1, 1) == '^' then t.match(r.lines[1], line) else t.eq(r.lines[1], line) end
    if stderr then
      t.match(r.err, stderr)
    else
      t.eq(r.err, '')
    end
  end)
end

t.test('exit code: an error raised by an uncaughtException listener exits 7', function()
  local r = child.run('exit_codes.lua', { 'exitWithThrowInUncaughtHandler' })
  t.eq(r.code, 7, child.describe(r))
  t.match(r.err, 'ok')
end)

t.test('process.exit() inside an exit listener does not emit again; its code wins (test-process-exit-recursive)', function()
  child.expect('exit_codes.lua', { 'exitInsideExit' }, 0, { 'exit#1 1' })
end)

t.test("'beforeExit' fires when the loop empties; work it schedules runs, then it fires again", function()
  child.expect('exit_events.lua', { 'more' }, 0, { 'main', 'beforeExit 0 #1', 'timer', 'beforeExit 0 #2', 'immediate',
    'beforeExit 0 #3', 'tick', 'exit 0' })
end)

t.test("'beforeExit' and 'exit' receive process.exitCode, which is the exit status", function()
  child.expect('exit_events.lua', { 'code' }, 3, { 'main', 'beforeExit 3 #1', 'timer', 'beforeExit 3 #2', 'immediate',
    'beforeExit 3 #3', 'tick', 'exit 3' })
end)

t.test("process.exit() emits 'exit' but not 'beforeExit'; pending timers never run", function()
  child.expect('exit_events.lua', { 'exit' }, 0, { 'main', 'exit 0' })
end)

t.test("an uncaught error emits 'exit' with 1 but not 'beforeExit'", function()
  local r = child.expect('exit_events.lua', { 'uncaught' }, 1, { 'main', 'exit 1' })
  t.match(r.err, 'boom')
end)

t.test("process.exit(4) inside 'beforeExit'", function()
  child.expect('exit_events.lua', { 'exitInBeforeExit' }, 4, { 'main', 'beforeExit 0 #1', 'exit 4' })
end)

for _, where in ipairs({ 'timeout', 'immediate', 'tick' }) do
  t.test('process.exit(3) inside a ' .. where .. ' callback: nothing else runs', function()
    local r = child.run('exit_in_callback.lua', { where })
    t.eq(r.code, 3, child.describe(r))
    t.same(r.lines, { 'leaving', 'exit 3' })
  end)
end

t.test('process.exit(3) inside an interval callback', function()
  child.expect('exit_in_callback.lua', { 'interval' }, 3, { 'interval 1', 'interval 2', 'interval 3', 'leaving', 'exit 3' })
end)

t.test('process.exit() cannot be caught: nothing runs after it, even under pcall', function()
  -- In Node, try { process.exit(3) } catch {} never returns.
  child.expect('exit_in_callback.lua', { 'pcall' }, 3, { 'leaving', 'exit 3' })
end)

t.test('process.exit() and process.exitCode reject non-integers', function()
  t.raises(function() process.exit('x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() process.exit(1.5) end, 'ERR_OUT_OF_RANGE')
  -- Node 20 validates the setter too.
  local ok, e = pcall(function() process.exitCode = 'x' end)
  process.exitCode = nil
  t.ok(not ok, 'process.exitCode = "x" was accepted')
  t.eq(type(e) == 'table' and e.code, 'ERR_INVALID_ARG_TYPE')
end)

---------------------------------------------------------------- uncaught errors

t.test("an uncaught error table reaches 'uncaughtException' as is; the process goes on", function(done)
  local errTable = setmetatable({ code = 'EXAMPLE', message = 'table error' },
    { __tostring = function(e) return 'Example: ' .. e.message end })
  local got = {}
  local function onError(err, origin) got[#got + 1] = { err, origin } end
  process:on('uncaughtException', onError)
  setTimeout(function() error(errTable) end, 1)
  setTimeout(function()
    process:removeListener('uncaughtException', onError)
    t.eq(#got, 1)
    t.ok(rawequal(got[1][1], errTable), 'the very table that was raised')
    t.eq(got[1][2], 'uncaughtException', 'origin')
    done()
  end, 20)
end)

t.test("an uncaught string or number error reaches 'uncaughtException' unchanged", function(done)
  local got = {}
  local function onError(err) got[#got + 1] = err end
  process:on('uncaughtException', onError)
  setImmediate(function() error('plain string', 0) end)
  setImmediate(function() error('with position') end)
  process.nextTick(function() error(42, 0) end)
  setTimeout(function()
    process:removeListener('uncaughtException', onError)
    t.eq(#got, 3)
    t.eq(got[1], 42, 'a number error keeps its value')
    t.eq(got[2], 'plain string')
    t.eq(type(got[3]), 'string')
    t.match(got[3], 'process_spec%.lua:%d+: with position$')
    done()
  end, 20)
end)

t.test('a child with no uncaughtException listener: traceback on stderr, exit 1, later timers never run', function()
  local r = child.expect('uncaught.lua', { 'none' }, 1, { 'exit 1' })
  t.match(r.err, 'boom from timer')
  t.match(r.err, 'traceback')
end)

t.test('a child with an uncaughtException listener survives errors from timers, immediates and ticks', function()
  local r = child.run('uncaught.lua', { 'listener' })
  t.eq(r.code, 0, child.describe(r))
  t.eq(r.err, '')
  t.eq(r.lines[1], 'caught string from tick uncaughtException', 'the tick runs first')
  local middle = { r.lines[2], r.lines[3] }
  table.sort(middle)
  t.same(middle, { 'caught string from immediate uncaughtException', 'caught table from timer uncaughtException' })
  t.same({ r.lines[4], r.lines[5] }, { 'still running', 'exit 0' })
  t.eq(#r.lines, 5)
end)

t.test("'uncaughtExceptionMonitor' sees the error first; without a listener it stays fatal", function()
  child.expect('uncaught.lua', { 'monitor' }, 1, { 'monitor fatal uncaughtException', 'exit 1' })
end)

---------------------------------------------------------------- warnings, stdio

t.test("emitWarning() prints to stderr and emits 'warning' on a later tick", function()
  local r = child.run('warning.lua')
  t.eq(r.code, 0, child.describe(r))
  local pid = r.lines[1]:match('^pid (%d+)$')
  t.ok(pid, 'pid line: ' .. tostring(r.lines[1]))
  t.same({ unpack(r.lines, 2) }, {
    'main done',
    'warning name=Warning message=hello code=nil sync=false',
    'warning name=DeprecationWarning message=old api code=DEP0999 sync=false',
    'warning name=CustomWarning message=custom code=C1 sync=false',
  })
  local prefix = '(lode:' .. pid .. ') '
  local lines = {}
  for line in r.err:gmatch('[^\n]+') do lines[#lines + 1] = line end
  t.eq(lines[1], prefix .. 'Warning: hello')
  t.eq(lines[2], prefix .. '[DEP0999] DeprecationWarning: old api')
  t.eq(lines[3], prefix .. '[C1] CustomWarning: custom')
  t.eq(lines[4], 'some detail', 'the detail follows on its own line, as in Node')
end)

t.test('emitWarning() with a bad warning raises ERR_INVALID_ARG_TYPE', function()
  t.raises(function() process.emitWarning(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() process.emitWarning() end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() process.emitWarning(true) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('process.stdout:write and process.stderr:write write every byte', function()
  local r = child.run('stdio.lua')
  t.eq(r.code, 0, child.describe(r))
  t.eq(r.err, 'err1\nbad write: true ERR_INVALID_ARG_TYPE\n')
  t.same(r.lines, { 'out1', 'from a buffer', 'with callback', 'binary \0 byte', 'print still works',
    'callback err=nil' })
end)

t.test('process.stdout and process.stderr are writable objects with isTTY', function()
  t.eq(type(process.stdout.write), 'function')
  t.eq(type(process.stderr.write), 'function')
  t.eq(process.stdout.writable, true)
  t.ok(process.stdout.isTTY == true or process.stdout.isTTY == false)
  t.eq(process.stdout:write(''), true)
end)

t.test('process is an EventEmitter instance', function()
  local EventEmitter = require('events')
  t.eq(require('util').instanceof(process, EventEmitter), true)
  t.eq(process:instanceof(EventEmitter), true)
  t.eq(type(process.on), 'function')
  t.eq(tostring(process), 'process')
end)

t.test('process.stdout:write takes an encoding and calls back once', function(done)
  local r = t.spawn("-e " .. t.quote("process.stdout:write('68690a', 'hex') process.stdout:write(Buffer.from('ok\\n'), function(e) print('cb', e) end)"))
  t.eq(r.code, 0, r.err)
  t.eq(r.out, 'hi\nok\ncb\tnil\n')
  done()
end)

t.test('process.stdout:write on another object raises ERR_INVALID_THIS', function()
  local write = process.stdout.write
  local plain = { fd = 1 }
  t.raises(function() write(plain, 'x') end, 'ERR_INVALID_THIS')
  t.raises(function() write(nil, 'x') end, 'ERR_INVALID_THIS')
  t.same(plain, { fd = 1 })
end)
