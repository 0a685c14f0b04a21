-- console: output captured through console.Console on fake streams.
local t = require('./helper')
local console = require('console')
local Console = console.Console

-- A stream that keeps what is written, with `isTTY` as given.
local function sink(isTTY)
  local s = { isTTY = isTTY, chunks = {} }
  function s:write(chunk)
    self.chunks[#self.chunks + 1] = chunk
    return true
  end
  function s:text() return table.concat(self.chunks) end
  return s
end

local function make(opts)
  local out, err = sink(false), sink(false)
  local o = { stdout = out, stderr = err }
  for k, v in pairs(opts or {}) do o[k] = v end
  return Console:new(o), out, err
end

-- Replaces process.emitWarning while fn runs; returns the warnings.
local function captureWarnings(fn)
  local saved = process.emitWarning
  local warnings = {}
  process.emitWarning = function(msg, typ) warnings[#warnings + 1] = msg end
  local ok, e = pcall(fn)
  process.emitWarning = saved
  if not ok then error(e, 0) end
  return warnings
end

t.test('the module is a Console writing to process streams', function()
  t.ok(Console ~= nil)
  t.eq(require('util').instanceof(console, Console), true)
  for _, name in ipairs({ 'log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'time',
      'timeEnd', 'timeLog', 'count', 'countReset', 'assert', 'group', 'groupEnd',
      'groupCollapsed', 'table', 'dirxml', 'clear' }) do
    t.eq(type(console[name]), 'function', name)
  end
end)

t.test('the global console looks process.stdout up at each call', function()
  local saved = process.stdout
  local out = sink(false)
  process.stdout = out
  local ok, e = pcall(console.log, 'via %s', 'process.stdout')
  process.stdout = saved
  t.ok(ok, tostring(e))
  t.eq(out:text(), 'via process.stdout\n')
end)

t.test('log, info, debug go to stdout; warn, error to stderr', function()
  local c, out, err = make()
  c.log('log')
  c.info('info')
  c.debug('debug')
  c.dirxml('dirxml')
  c.warn('warn')
  c.error('error')
  t.eq(out:text(), 'log\ninfo\ndebug\ndirxml\n')
  t.eq(err:text(), 'warn\nerror\n')
end)

t.test('arguments go through util.format', function()
  local c, out, err = make()
  c.log('%s is %d years', 'Bob', 42)
  c.log('a', 1, true, nil)
  c.log({ a = 1, b = { 'x' } })
  c.log()
  c.log(nil)
  c.log('%s')
  c.log('100%', 'done')
  c.error('code %i', 3.7)
  t.eq(out:text(), "Bob is 42 years\na 1 true nil\n{ a: 1, b: [ 'x' ] }\n\nnil\n%s\n100% done\n")
  t.eq(err:text(), 'code 3\n')
end)

t.test('methods are called with a dot; a console argument is printed', function()
  local c, out = make()
  c.log('dot', 2)
  t.eq(out:text(), 'dot 2\n')
  -- the class methods take the console first
  Console.log(c, 'class')
  t.eq(out:text(), 'dot 2\nclass\n')
  c.log(c == c)
  t.eq(out:text(), 'dot 2\nclass\ntrue\n')
end)

t.test('colors follow colorMode and the stream', function()
  local c, out = make({ colorMode = true })
  c.log({ 1 }, 'plain', 2)
  t.eq(out:text(), '[ \27[33m1\27[39m ] plain \27[33m2\27[39m\n')
  local c2, out2 = make({ colorMode = false })
  c2.log({ 1 })
  t.eq(out2:text(), '[ 1 ]\n')
  -- 'auto' (the default): no colors on a stream that is not a TTY
  local c3, out3 = make()
  c3.log({ 1 })
  t.eq(out3:text(), '[ 1 ]\n')
  -- 'auto' on a TTY: colors unless the environment turns them off
  local tty = sink(true)
  local c4 = Console:new(tty)
  c4.log({ 1 })
  local force = os.getenv('FORCE_COLOR')
  local off = (force == '0' or force == 'false') or (force == nil and (os.getenv('NO_COLOR') or
    os.getenv('NODE_DISABLE_COLORS') or os.getenv('TERM') == 'dumb'))
  t.eq(tty:text(), off and '[ 1 ]\n' or '[ \27[33m1\27[39m ]\n')
  -- a lone string is never colored
  local c5, out5 = make({ colorMode = true })
  c5.log('text')
  t.eq(out5:text(), 'text\n')
end)

t.test('inspectOptions are used for every value', function()
  local c, out = make({ inspectOptions = { depth = 0 } })
  c.log({ a = { b = 1 } })
  t.eq(out:text(), '{ a: [Object] }\n')
end)

t.test('dir inspects, ignoring __tostring and custom inspect', function()
  local c, out = make()
  local p = setmetatable({}, { __tostring = function() return 'P' end })
  c.log(p)
  c.dir(p)
  c.dir({ x = 1, [require('util').inspect.custom] = function() return 'custom' end })
  c.dir({ a = { b = { c = { d = 1 } } } }, { depth = 0 })
  c.dir('str')
  t.eq(out:text(), "P\n{}\n{\n  'nodejs.util.inspect.custom': [Function: nodejs.util.inspect.custom],\n  x: 1\n}\n{ a: [Object] }\n'str'\n")
end)

t.test('time, timeLog, timeEnd', function()
  local c, out = make()
  local warnings = captureWarnings(function()
    c.time()
    c.timeLog(nil, 'extra', 1)
    c.timeEnd()
    c.timeEnd()
    c.time('x')
    c.time('x')
    c.timeLog('y')
    c.timeEnd('x')
  end)
  local lines = {}
  for line in out:text():gmatch('[^\n]+') do lines[#lines + 1] = line end
  t.eq(#lines, 3, out:text())
  t.match(lines[1], '^default: %d+%.?%d*ms extra 1$')
  t.match(lines[2], '^default: %d+%.?%d*ms$')
  t.match(lines[3], '^x: %d+%.?%d*ms$')
  t.eq(#warnings, 3)
  t.eq(warnings[1], "No such label 'default' for console.timeEnd()")
  t.eq(warnings[2], "Label 'x' already exists for console.time()")
  t.eq(warnings[3], "No such label 'y' for console.timeLog()")
end)

t.test('time formats like Node', function()
  local f = console._formatTime
  t.eq(f(1.23456), '1.235ms')
  t.eq(f(12), '12ms')
  t.eq(f(0.5), '0.5ms')
  t.eq(f(999.9999), '1000ms')
  t.eq(f(1500), '1.500s')
  t.eq(f(62500), '1:02.500 (m:ss.mmm)')
  t.eq(f(3723500), '1:02:03.500 (h:mm:ss.mmm)')
end)

t.test('count and countReset', function()
  local c, out = make()
  local warnings = captureWarnings(function()
    c.count()
    c.count()
    c.count('x')
    c.count(nil)
    c.countReset()
    c.count()
    c.countReset('nope')
    c.count(5)
  end)
  t.eq(out:text(), 'default: 1\ndefault: 2\nx: 1\ndefault: 3\ndefault: 1\n5: 1\n')
  t.eq(#warnings, 1)
  t.eq(warnings[1], "Count for 'nope' does not exist")
end)

t.test('assert prints to stderr and never raises', function()
  local c, out, err = make()
  c.assert(true, 'not printed')
  c.assert(1)
  c.assert(false)
  c.assert(nil, 'msg %s', 'x')
  c.assert(false, { a = 1 })
  c.assert(false, 42)
  t.eq(out:text(), '')
  t.eq(err:text(), 'Assertion failed\nAssertion failed: msg x\nAssertion failed: { a: 1 }\n' ..
    'Assertion failed: 42\n')
end)

t.test('trace prints the message and a traceback to stderr', function()
  local c, out, err = make()
  local function where() c.trace('at %d', 1) end
  where()
  t.eq(out:text(), '')
  local text = err:text()
  t.match(text, '^Trace: at 1\nstack traceback:\n')
  t.match(text, 'console_spec%.lua:%d+:')
  -- the first frame is the caller, not console internals
  t.match(text, '^Trace: at 1\nstack traceback:\n\t[^\n]*console_spec%.lua')
  t.eq(text:sub(-1), '\n')
  local c2, _, err2 = make()
  c2.trace()
  t.match(err2:text(), '^Trace\nstack traceback:\n')
end)

t.test('group indents, groupEnd dedents', function()
  local c, out, err = make()
  c.log('a')
  c.group('G1')
  c.log('b\nc')
  c.groupCollapsed()
  c.error('d')
  c.info({ x = 1 })
  c.groupEnd()
  c.log('e')
  c.groupEnd()
  c.groupEnd()
  c.log('f')
  t.eq(out:text(), 'a\nG1\n  b\n  c\n    { x: 1 }\n  e\nf\n')
  t.eq(err:text(), '    d\n')
  local c2, out2 = make({ groupIndentation = 4 })
  c2.group()
  c2.log('x')
  t.eq(out2:text(), '    x\n')
end)

t.test('table', function()
  local c, out = make()
  c.table({ { a = 1, b = 'x' }, { a = 2, c = true } })
  c.table({ 'p', 'q' })
  c.table({ x = { a = 1 }, y = 5 })
  c.table({ { a = 1, b = 2 } }, { 'a' })
  c.table('not a table')
  t.eq(out:text(), table.concat({
    '┌─────────┬───┬─────┬──────┐',
    '│ (index) │ a │ b   │ c    │',
    '├─────────┼───┼─────┼──────┤',
    "│ 1       │ 1 │ 'x' │      │",
    '│ 2       │ 2 │     │ true │',
    '└─────────┴───┴─────┴──────┘',
    '┌─────────┬────────┐',
    '│ (index) │ Values │',
    '├─────────┼────────┤',
    "│ 1       │ 'p'    │",
    "│ 2       │ 'q'    │",
    '└─────────┴────────┘',
    '┌─────────┬───┬────────┐',
    '│ (index) │ a │ Values │',
    '├─────────┼───┼────────┤',
    '│ x       │ 1 │        │',
    '│ y       │   │ 5      │',
    '└─────────┴───┴────────┘',
    '┌─────────┬───┐',
    '│ (index) │ a │',
    '├─────────┼───┤',
    '│ 1       │ 1 │',
    '└─────────┴───┘',
    'not a table',
    '' }, '\n'))
  t.raises(function() c.table({}, 'a') end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('Console checks its streams', function()
  local e = t.raises(function() Console:new(5) end, 'ERR_CONSOLE_WRITABLE_STREAM')
  t.eq(e.message, 'Console expects a writable stream instance for stdout')
  e = t.raises(function() Console:new(sink(false), {}) end, 'ERR_CONSOLE_WRITABLE_STREAM')
  t.eq(e.message, 'Console expects a writable stream instance for stderr')
  t.raises(function() Console:new({ stdout = sink(false), colorMode = 'yes' }) end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() Console:new({ stdout = sink(false), groupIndentation = -1 }) end, 'ERR_OUT_OF_RANGE')
  -- one stream serves both
  local s = sink(false)
  local c = Console:new(s)
  c.log('o')
  c.error('e')
  t.eq(s:text(), 'o\ne\n')
end)

t.test('stream errors are ignored unless ignoreErrors is false', function()
  local epipe = { code = 'EPIPE', errno = -32, syscall = 'write', message = 'EPIPE' }
  local broken = { write = function() error(epipe, 0) end }
  local c = Console:new(broken)
  c.log('lost') -- no raise
  local strict = Console:new(broken, broken, false)
  local e = t.raises(function() strict.log('x') end, 'EPIPE')
  t.eq(e, epipe)
  -- a bug in a stream is not hidden
  local buggy = { write = function() error('bug in write') end }
  t.raises(function() Console:new(buggy).log('x') end, 'bug in write')
end)

t.test('Console methods called on another object raise ERR_INVALID_THIS and change nothing', function()
  for _, m in ipairs({ 'log', 'warn', 'time', 'timeEnd', 'count', 'group', 'groupEnd', 'table', 'dir', 'trace', 'initialize' }) do
    local plain = { 1, 2, 3 }
    local err = t.raises(function() Console[m](plain, 'x') end, 'ERR_INVALID_THIS', m)
    t.eq(err.message, 'Value of "this" must be of type Console')
    t.same(plain, { 1, 2, 3 }, m)
    t.raises(function() Console[m](nil) end, 'ERR_INVALID_THIS', m)
  end
  t.raises(function() console._formatTime(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() console._formatTime(math.huge) end, 'ERR_OUT_OF_RANGE')
end)
