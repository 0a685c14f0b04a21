-- The runtime's life as a script sees it: uncaught errors (stderr
-- traceback, exit code 1, 'uncaughtException'), process.exit and
-- process.exitCode, 'exit' and 'beforeExit', and tracebacks that name
-- lua/<file>.lua:<line> for errors raised inside built-ins. Each case runs
-- the binary as a child and looks at stdout, stderr and the exit code.
local t = require('./helper')
local lines = t.lines

local LODE = process.execPath

local q = t.quote

-- run(code, opts) runs `lode -e code`; see t.spawn.
local function run(code, opts)
  return t.spawn('-e ' .. q(code), opts)
end

-- Uncaught errors -------------------------------------------------------

t.test('an error in the main chunk: traceback on stderr, exit 1, exit listeners see 1', function()
  local r = run([[
process:on('exit', function(c) print('exit', c) end)
process:on('beforeExit', function(c) print('beforeExit', c) end)
print('before')
error('main failed')
print('not reached')]])
  t.eq(r.code, 1)
  t.eq(r.out, 'before\nexit\t1\n')
  local l = lines(r.err)
  t.eq(l[1], '[eval]:4: main failed')
  t.eq(l[2], 'stack traceback:')
  t.ok(r.err:find('\n%s*%[eval%]:4: in '), r.err)
end)

t.test('an error in a timer callback ends the process at once with code 1', function()
  local r = run([[
process:on('exit', function(c) print('exit', c) end)
setTimeout(function() print('t1') error('timer failed') end, 1)
setTimeout(function() print('t2 must not run') end, 30)
local iv = setInterval(function() end, 1000)]])
  t.eq(r.code, 1)
  t.eq(r.out, 't1\nexit\t1\n')
  t.match(r.err, '^%[eval%]:2: timer failed\nstack traceback:\n')
end)

t.test('errors in setImmediate and nextTick callbacks are uncaught errors too', function()
  local r = run([[setImmediate(function() error('in immediate') end)]])
  t.eq(r.code, 1)
  t.match(r.err, '^%[eval%]:1: in immediate\n')
  r = run([[process.nextTick(function() error('in tick') end) print('main done')]])
  t.eq(r.code, 1)
  t.eq(r.out, 'main done\n')
  t.match(r.err, '^%[eval%]:1: in tick\n')
end)

t.test('an error table is printed with its __tostring', function()
  local r = run([[error(setmetatable({ code = 'E_X', message = 'custom' },
    { __tostring = function(e) return 'MyError [' .. e.code .. ']: ' .. e.message end }))]])
  t.eq(r.code, 1)
  t.eq(lines(r.err)[1], 'MyError [E_X]: custom')
  t.eq(lines(r.err)[2], 'stack traceback:')
end)

t.test('odd error values never crash the process', function()
  local r = run('error(nil)')
  t.eq(r.code, 1)
  t.eq(lines(r.err)[1], '(error object is a nil value)')
  r = run('error({})')
  t.eq(r.code, 1)
  t.eq(lines(r.err)[1], '(error object is a table value)')
  r = run('error(42)')
  t.eq(r.code, 1)
  t.eq(lines(r.err)[1], '[eval]:1: 42', 'a number gets a position, as in Lua')
  r = run([[error(setmetatable({}, { __tostring = function() error('tostring failed') end }))]])
  t.eq(r.code, 1)
  t.ok(#r.err > 0, 'something is printed')
end)

t.test('an error whose __tostring raises is reported as itself, not as an earlier error', function()
  local r = run([[
process:once('uncaughtException', function() print('handled the first') end)
setTimeout(function() error('first error') end, 1)
setTimeout(function() error(setmetatable({}, { __tostring = function() error('tostring failed') end })) end, 20)]])
  t.eq(r.code, 1)
  t.eq(r.out, 'handled the first\n')
  t.eq(r.err:find('first error', 1, true), nil, 'stale traceback printed: ' .. r.err)
  t.eq(lines(r.err)[1], '(error object is a table value)')
end)

t.test('setTimeout(5) raises an error table; the traceback names lua/timers.lua', function()
  local r = run([[
local ok, e = pcall(setTimeout, 5)
print(ok, type(e), e.code, e.name)
print(e.message)
setTimeout(5)]])
  t.eq(r.code, 1)
  t.eq(r.out, 'false\ttable\tERR_INVALID_ARG_TYPE\tTypeError\n' ..
    'The "callback" argument must be of type function. Received type number (5)\n')
  local l = lines(r.err)
  t.eq(l[1], 'TypeError [ERR_INVALID_ARG_TYPE]: The "callback" argument must be of type function. Received type number (5)')
  t.eq(l[2], 'stack traceback:')
  t.match(r.err, "\n%s*[^\n]*lua/timers%.lua:%d+: in function 'setTimeout'\n")
  t.match(r.err, '\n%s*%[eval%]:4: in ')
end)

t.test('an error inside a listener shows lua/events.lua in the traceback', function()
  local r = run([[
local EventEmitter = require('events')
local e = EventEmitter:new()
e:on('x', function(v) error('listener got ' .. v) end)
e:emit('x', 7)]])
  t.eq(r.code, 1)
  t.eq(lines(r.err)[1], '[eval]:3: listener got 7')
  t.match(r.err, "\n%s*[^\n]*lua/events%.lua:%d+: in function 'emit'\n")
  t.match(r.err, '\n%s*%[eval%]:4: in ')
end)

t.test('the bundled binary names lua/<file>.lua:<line> with no Lua files beside it', function()
  local dir = os.tmpname()
  os.remove(dir)
  t.eq(os.execute('mkdir -p ' .. q(dir) .. ' && cp ' .. q(LODE) .. ' ' .. q(dir .. '/lode')), 0)
  local opts = { exe = dir .. '/lode', cwd = '/tmp', unset = { 'LODE_LUA_DIR' } }
  local r = run('setTimeout(5)', opts)
  local r2 = run([[local e = require('events'):new() e:on('x', function() error('boom') end) e:emit('x')]], opts)
  os.execute('rm -rf ' .. q(dir))
  t.eq(r.code, 1)
  t.match(r.err, "\n\tlua/timers%.lua:%d+: in function 'setTimeout'\n")
  t.eq(r2.code, 1)
  t.match(r2.err, "\n\tlua/events%.lua:%d+: in function 'emit'\n")
end)

t.test('a non-function listener raises ERR_INVALID_ARG_TYPE naming "listener", exit 1', function()
  local r = run([[require('events'):new():on('x', 5)]])
  t.eq(r.code, 1)
  t.eq(lines(r.err)[1],
    'TypeError [ERR_INVALID_ARG_TYPE]: The "listener" argument must be of type function. Received type number (5)')
end)

t.test('an unhandled error while handles are open still exits 1 at once', function()
  local start = process.hrtime()
  local r = run([[setInterval(function() end, 10000) error('with a handle open')]])
  local took = process.hrtime(start)
  t.eq(r.code, 1)
  t.match(r.err, 'with a handle open')
  t.ok(took[1] < 5, 'exited in ' .. took[1] .. ' s')
end)

-- uncaughtException -------------------------------------------------------

t.test("an 'uncaughtException' listener gets the error and keeps the process alive", function()
  local r = run([[
local thrown = setmetatable({ code = 'E_MINE', message = 'mine' }, { __tostring = function() return 'E_MINE' end })
process:on('uncaughtException', function(err, origin)
  print('caught', err == thrown, err.code, origin)
end)
process:on('exit', function(c) print('exit', c) end)
setTimeout(function() error(thrown) end, 1)
setTimeout(function() print('later timer ran') end, 30)]])
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, 'caught\ttrue\tE_MINE\tuncaughtException\nlater timer ran\nexit\t0\n')
end)

t.test("a string error reaches 'uncaughtException' with its position", function()
  local r = run([[
process:on('uncaughtException', function(err) print('caught', err) end)
error('from main')]])
  t.eq(r.code, 0)
  t.eq(r.err, '')
  t.eq(r.out, 'caught\t[eval]:2: from main\n')
end)

t.test("'uncaughtExceptionMonitor' sees the error, which stays fatal", function()
  local r = run([[
process:on('uncaughtExceptionMonitor', function(err, origin) print('monitor', err, origin) end)
error('watched', 0)]])
  t.eq(r.code, 1)
  t.eq(r.out, 'monitor\twatched\tuncaughtException\n')
  t.match(r.err, '^watched\n')
end)

t.test("an error raised by the 'uncaughtException' listener is fatal (exit 7, as in node)", function()
  local r = run([[
process:on('uncaughtException', function(err) error('listener failed too') end)
setTimeout(function() error('first') end, 1)]])
  t.match(r.err, '%[eval%]:1: listener failed too')
  t.eq(r.code, 7)
end)

-- process.exit and process.exitCode ------------------------------------

t.test('process.exit(3) exits 3 at once; exit listeners see 3', function()
  local r = run([[
process:on('exit', function(c) print('exit', c) end)
process:on('beforeExit', function() print('beforeExit') end)
setTimeout(function() print('timer must not run') end, 0)
process.exit(3)
print('not reached')]])
  t.eq(r.err, '')
  t.eq(r.code, 3)
  t.eq(r.out, 'exit\t3\n')
end)

t.test('process.exit() from a callback with handles open', function()
  local r = run([[
local iv = setInterval(function() end, 10000)
setTimeout(function() print('exiting') process.exit(2) end, 5)]])
  t.eq(r.code, 2)
  t.eq(r.out, 'exiting\n')
end)

t.test('process.exitCode = 4 exits 4; beforeExit and exit see 4', function()
  local r = run([[
process:on('beforeExit', function(c) print('beforeExit', c) end)
process:on('exit', function(c) print('exit', c) end)
process.exitCode = 4]])
  t.eq(r.err, '')
  t.eq(r.code, 4)
  t.eq(r.out, 'beforeExit\t4\nexit\t4\n')
end)

t.test('process.exit() without a code uses process.exitCode', function()
  local r = run('process.exitCode = 6 process.exit()')
  t.eq(r.code, 6)
  r = run('process.exit()')
  t.eq(r.code, 0)
end)

t.test('an uncaught error exits 1 whatever process.exitCode says', function()
  local r = run([[
process:on('exit', function(c) print('exit', c) end)
process.exitCode = 4
error('x')]])
  t.eq(r.code, 1)
  t.eq(r.out, 'exit\t1\n')
end)

t.test("an 'exit' listener may change the exit code", function()
  local r = run([[process:on('exit', function(c) print('exit', c) process.exitCode = 9 end)]])
  t.eq(r.code, 9)
  t.eq(r.out, 'exit\t0\n')
end)

t.test("process.exit(5) inside an 'exit' listener exits 5 without emitting again", function()
  local r = run([[process:on('exit', function(c) print('exit', c) process.exit(5) end) process.exit(3)]])
  t.eq(r.code, 5)
  t.eq(r.out, 'exit\t3\n')
end)

t.test("work scheduled in an 'exit' listener never runs", function()
  local r = run([[
process:on('exit', function(c)
  setTimeout(function() print('never') end, 0)
  setImmediate(function() print('never') end)
  process.nextTick(function() print('never') end)
  print('exit', c)
end)]])
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, 'exit\t0\n')
end)

t.test("listeners run in order, all of them, with the exit code", function()
  local r = run([[
process:on('exit', function(c) print('first', c) end)
process:on('exit', function(c) print('second', c) end)
process.exitCode = 2]])
  t.eq(r.code, 2)
  t.eq(r.out, 'first\t2\nsecond\t2\n')
end)

t.test("an error in an 'exit' listener is printed and exits 1", function()
  local r = run([[process:on('exit', function(c) print('exit', c) error('in exit') end)]])
  t.eq(r.code, 1)
  t.eq(r.out, 'exit\t0\n')
  t.match(r.err, '^%[eval%]:1: in exit\nstack traceback:\n')
end)

-- beforeExit --------------------------------------------------------------

t.test("an error in a 'beforeExit' listener is an uncaught error: exit 1", function()
  local r = run([[
process:on('beforeExit', function() error('in beforeExit') end)
process:on('exit', function(c) print('exit', c) end)]])
  t.eq(r.code, 1)
  t.eq(r.out, 'exit\t1\n')
  t.match(r.err, '^%[eval%]:1: in beforeExit\n')
end)

t.test("'beforeExit' fires once when the loop empties", function()
  local r = run([[
process:on('beforeExit', function(c) print('beforeExit', c) end)
process:on('exit', function(c) print('exit', c) end)
setTimeout(function() print('timer') end, 1)]])
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, 'timer\nbeforeExit\t0\nexit\t0\n')
end)

t.test("'beforeExit' fires again after the work it scheduled", function()
  local r = run([[
local n = 0
process:on('beforeExit', function(c)
  n = n + 1
  print('beforeExit', n, c)
  if n == 1 then setTimeout(function() print('timer', n) end, 1) end
  if n == 2 then setImmediate(function() print('immediate', n) end) end
end)
process:on('exit', function(c) print('exit', c, n) end)]])
  t.eq(r.err, '')
  t.eq(r.code, 0)
  t.eq(r.out, 'beforeExit\t1\t0\ntimer\t1\nbeforeExit\t2\t0\nimmediate\t2\nbeforeExit\t3\t0\nexit\t0\t3\n')
end)

t.test("'beforeExit' is not emitted on process.exit() or an uncaught error", function()
  local r = run([[
process:on('beforeExit', function() print('beforeExit') end)
setTimeout(function() process.exit(0) end, 1)]])
  t.eq(r.code, 0)
  t.eq(r.out, '')
  r = run([[
process:on('beforeExit', function() print('beforeExit') end)
setTimeout(function() error('fail') end, 1)]])
  t.eq(r.code, 1)
  t.eq(r.out, '')
end)

t.test("a nextTick queued by 'beforeExit' runs before 'exit'", function()
  local r = run([[
local once = false
process:on('beforeExit', function()
  if once then return end
  once = true
  process.nextTick(function() print('tick') end)
end)
process:on('exit', function() print('exit') end)]])
  t.eq(r.code, 0)
  t.eq(r.out, 'tick\nexit\n')
end)

t.test("os.exit is process.exit: 'exit' listeners run and the code is kept", function()
  local r = run("process:on('exit', function(c) print('exit', c) end) os.exit(3) print('not reached')")
  t.eq(r.code, 3)
  t.eq(r.out, 'exit\t3\n')
  t.eq(run('os.exit(false)').code, 1)
  t.eq(run('os.exit(true)').code, 0)
  t.eq(run('os.exit()').code, 0)
end)
