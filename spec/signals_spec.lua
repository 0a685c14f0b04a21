-- Signal events on process: process:on('SIGUSR1', fn) through uv_signal_t.
-- A listener replaces the default action; removing the last listener
-- restores it; a signal handle never keeps the loop alive. In-process
-- cases use signals whose default action would kill the spec, so a
-- missing handler shows as a dead spec; the cases that must die run in a
-- child (spec/fixtures/proc/signals.lua). Ported from Node's
-- test-signal-handler.js and test-process-remove-all-signal-listeners.js.
local t = require('./helper')
local child = require('./fixtures/proc/child')

-- Runs fn once the loop is alive, with a timer that keeps it so until
-- finish() is called: signal handles are unref'ed.
local function withKeepAlive(fn)
  local keep = setTimeout(function() end, 3000)
  fn(function() clearTimeout(keep) end)
end

-- Linux's numbers on x86, ARM and RISC-V (the generic ones).
local function signalNumber(name)
  local n = ({ SIGHUP = 1, SIGINT = 2, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15, SIGWINCH = 28 })[name]
  assert(n and process.platform == 'linux', 'no signal number known for ' .. name)
  return n
end

t.test('a listener receives the signal name and replaces the default action', function(done)
  withKeepAlive(function(finish)
    local function onSignal(name)
      t.eq(name, 'SIGUSR1')
      process:removeListener('SIGUSR1', onSignal)
      finish()
      done()
    end
    process:on('SIGUSR1', onSignal)
    t.eq(process.kill(process.pid, 'SIGUSR1'), true)
  end)
end)

t.test('a listener receives the signal number as its second argument, as in Node', function(done)
  local expected = signalNumber('SIGUSR1')
  withKeepAlive(function(finish)
    local function onSignal(name, num)
      process:removeListener('SIGUSR1', onSignal)
      finish()
      t.eq(name, 'SIGUSR1')
      t.eq(num, expected)
      done()
    end
    process:on('SIGUSR1', onSignal)
    process.kill(process.pid, 'SIGUSR1')
  end)
end)

t.test('a listener for SIGKILL or SIGSTOP raises EINVAL and is not added', function()
  for _, name in ipairs({ 'SIGKILL', 'SIGSTOP' }) do
    local e = t.raises(function() process:on(name, function() end) end, 'EINVAL')
    t.eq(e.syscall, 'uv_signal_start')
    t.eq(e.errno, -22)
    t.eq(process:listenerCount(name), 0)
  end
  t.same(process._getActiveHandles(), {})
end)

t.test('every listener of a signal is called, in order (test-signal-handler)', function(done)
  withKeepAlive(function(finish)
    local order = {}
    local function first() order[#order + 1] = 'first' end
    local function second()
      order[#order + 1] = 'second'
      setTimeout(function()
        process:removeListener('SIGUSR1', first)
        process:removeListener('SIGUSR1', second)
        t.same(order, { 'first', 'second' })
        finish()
        done()
      end, 5)
    end
    process:on('SIGUSR1', first)
    process:on('SIGUSR1', second)
    process.kill(process.pid, 'SIGUSR1')
  end)
end)

t.test('a signal sent from an interval reaches its listener (test-signal-handler)', function(done)
  local i = 0
  local iv
  local function onSignal()
    process:removeListener('SIGUSR2', onSignal)
    clearInterval(iv)
    t.eq(i, 5)
    done()
  end
  process:on('SIGUSR2', onSignal)
  iv = setInterval(function()
    i = i + 1
    if i == 5 then process.kill(process.pid, 'SIGUSR2') end
  end, 1)
end)

t.test('removeAllListeners then on again: only the new listener runs (test-signal-handler)', function(done)
  withKeepAlive(function(finish)
    process:on('SIGHUP', t.mustNotCall('removed SIGHUP listener'))
    process:removeAllListeners('SIGHUP')
    local function onHup(name)
      t.eq(name, 'SIGHUP')
      process:removeListener('SIGHUP', onHup)
      finish()
      done()
    end
    process:on('SIGHUP', onHup)
    process.kill(process.pid, 'SIGHUP')
  end)
end)

t.test('a numeric signal reaches the listener of its name', function(done)
  withKeepAlive(function(finish)
    local function onSignal(name)
      t.eq(name, 'SIGUSR2')
      process:removeListener('SIGUSR2', onSignal)
      finish()
      done()
    end
    process:on('SIGUSR2', onSignal)
    process.kill(process.pid, signalNumber('SIGUSR2'))
  end)
end)

t.test('a once() listener handles one signal, then its handle is gone', function(done)
  withKeepAlive(function(finish)
    process:once('SIGWINCH', t.mustCall(function(name)
      t.eq(name, 'SIGWINCH')
      setImmediate(function()
        t.eq(process:listenerCount('SIGWINCH'), 0)
        t.same(process._getActiveHandles(), {}, 'the signal handle was closed')
        finish()
        done()
      end)
    end))
    process.kill(process.pid, 'SIGWINCH')
  end)
end)

t.test('a listener makes a signal handle; removing the last listener closes it', function()
  local function a() end
  local function b() end
  t.same(process._getActiveHandles(), {})
  process:on('SIGUSR1', a)
  t.same(process._getActiveHandles(), { 'signal' })
  process:on('SIGUSR1', b)
  t.same(process._getActiveHandles(), { 'signal' }, 'one handle per signal')
  process:removeListener('SIGUSR1', a)
  t.same(process._getActiveHandles(), { 'signal' }, 'a listener is left')
  process:removeListener('SIGUSR1', b)
  t.same(process._getActiveHandles(), {})
end)

t.test('a listener for an event that is not a signal makes no handle', function()
  local function f() end
  process:on('SIGFOO', f)
  process:on('sigusr1', f)
  t.same(process._getActiveHandles(), {})
  process:removeListener('SIGFOO', f)
  process:removeListener('sigusr1', f)
end)

t.test('a script with only a signal listener exits at once', function()
  local r = child.expect('keepalive.lua', { 'signal' }, 0, { 'main done', 'exit 0' })
  t.ok(r.ms < 3000, ('took %d ms'):format(r.ms))
end)

t.test('a child with a SIGTERM listener survives SIGTERM and exits 0', function()
  local r = child.run('signals.lua', { 'handled' })
  t.eq(r.code, 0, child.describe(r))
  t.eq(r.signal, nil)
  t.same(r.lines, { 'got SIGTERM', 'exit 0' })
end)

t.test('removing the last SIGTERM listener restores the default: the child dies by SIGTERM', function()
  local r = child.run('signals.lua', { 'removed' })
  t.eq(r.signal, 15, child.describe(r))
  t.eq(r.code, nil)
  t.same(r.lines, {}, 'neither the listener nor the timer ran, no exit event')
end)

t.test('removeAllListeners inside the listener, then the signal again: death by SIGINT', function()
  local r = child.run('signals.lua', { 'removeAll' })
  t.eq(r.signal, 2, child.describe(r))
  t.same(r.lines, { 'first SIGINT' })
end)

t.test('a once() listener handles the first SIGUSR2; the second kills the child', function()
  local r = child.run('signals.lua', { 'once' })
  t.eq(r.signal, 12, child.describe(r))
  t.same(r.lines, { 'once SIGUSR2' })
end)

t.test('process.kill with an unknown signal name raises before sending anything', function()
  local e = t.raises(function() process.kill(process.pid, 'SIGNOPE') end, 'ERR_UNKNOWN_SIGNAL')
  t.match(e.message, 'SIGNOPE')
  t.raises(function() process.kill(process.pid, 'usr1') end, 'ERR_UNKNOWN_SIGNAL')
end)
