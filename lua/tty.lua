-- tty: terminals. isatty(fd), and the stream classes of process.stdin and
-- process.stdout/stderr on a terminal: ReadStream (raw mode) and
-- WriteStream (window size, 'resize', colour depth, cursor control).
-- Both are built on lua/internal/stdio.lua's streams: reads through a
-- uv_tty_t, writes synchronous.
local require, binding = ...

local errors = require('internal/errors')
local instanceof = require('internal/class').instanceof
local stdio = require('internal/stdio')
local ttyb = binding('tty')

local type, error, rawget, floor = type, error, rawget, math.floor

local tty = {}

-- isatty(fd): true when fd is an open terminal; any other value is false,
-- as in Node.
function tty.isatty(fd)
  return type(fd) == 'number' and fd == floor(fd) and fd >= 0 and fd <= 2147483647
    and ttyb.guess(fd) == 'tty'
end

local function checkFd(fd)
  if type(fd) ~= 'number' or fd ~= floor(fd) or fd < 0 or fd > 2147483647 then
    error(errors.ERR_INVALID_FD(fd), 0)
  end
end

local function initFailed(errno)
  local uv = binding('errors')
  local e = errors.new('Error', 'ERR_TTY_INIT_FAILED', ('TTY initialization failed: uv_tty_init returned %s (%s)')
    :format(uv.errname(errno), uv.strerror(errno)))
  e.errno, e.syscall = errno, 'uv_tty_init'
  return e
end

local function checkThis(self, cls)
  if not instanceof(self, cls) or rawget(self, 'fd') == nil then error(errors.ERR_INVALID_THIS(cls.__name), 0) end
end

-- ReadStream ------------------------------------------------------------------

local ReadStream = stdio.StdinStream:extend('ReadStream')
tty.ReadStream = ReadStream

-- The uv_tty_t is made at the first read or setRawMode (see
-- internal/stdio.lua); what libuv would refuse is refused here already.
local function checkTTY(fd)
  checkFd(fd)
  local kind = ttyb.guess(fd)
  if kind == 'file' or kind == 'unknown' then error(initFailed(-22), 0) end
end

function ReadStream:initialize(fd)
  checkTTY(fd)
  stdio.StdinStream.initialize(self, fd, 'tty')
  self.isTTY = true
  self.isRaw = false
end

-- Raw mode is undone when the process exits, however it exits.
local resetAtExit = false

-- setRawMode(flag): characters as typed, no echo, no line editing by the
-- terminal; a failure is an 'error' (Node's ErrnoException).
function ReadStream:setRawMode(flag)
  checkThis(self, ReadStream)
  flag = flag and true or false
  local h = stdio.handleOf(self)
  if h then
    local ok, errno = h:setMode(flag and 1 or 0)
    if not ok then
      self:emit('error', errors.errnoException(errno, 'setRawMode'))
      return self
    end
    if flag and not resetAtExit then
      resetAtExit = true
      process:on('exit', function() ttyb.resetMode() end)
    end
  end
  self.isRaw = flag
  return self
end

-- WriteStream -----------------------------------------------------------------

local WriteStream = stdio.SyncWriteStream:extend('WriteStream')
tty.WriteStream = WriteStream

-- columns and rows are asked of the terminal at each read, so they are
-- right without a SIGWINCH handler; 'resize' listeners get one.
local getters = {}
function getters.columns(s) local c = ttyb.winsize(s.fd) return c end
function getters.rows(s) local _, r = ttyb.winsize(s.fd) return r end

function WriteStream.__index(t, k)
  local v = WriteStream[k]
  if v ~= nil then return v end
  local g = getters[k]
  if g and type(rawget(t, 'fd')) == 'number' then return g(t) end
  return nil
end

function WriteStream:initialize(fd)
  checkTTY(fd)
  stdio.SyncWriteStream.initialize(self, fd)
  self.isTTY = true
end

-- getWindowSize(): { columns, rows }.
function WriteStream:getWindowSize()
  checkThis(self, WriteStream)
  local c, r = ttyb.winsize(self.fd)
  if not c then return { 0, 0 } end
  return { c, r }
end

-- 'resize' is emitted on SIGWINCH when the size changed; the signal is
-- listened to while 'resize' has listeners.
local function onResize(self)
  local c, r = ttyb.winsize(self.fd)
  if c and (c ~= self._cols or r ~= self._rows) then
    self._cols, self._rows = c, r
    self:emit('resize')
  end
end

function WriteStream:on(name, fn)
  checkThis(self, WriteStream)
  stdio.SyncWriteStream.on(self, name, fn)
  if name == 'resize' and not rawget(self, '_winch') then
    self._cols, self._rows = ttyb.winsize(self.fd)
    self._winch = function() onResize(self) end
    process:on('SIGWINCH', self._winch)
    self:on('removeListener', function(n)
      if n == 'resize' and self:listenerCount('resize') == 0 and rawget(self, '_winch') then
        process:removeListener('SIGWINCH', self._winch)
        self._winch = nil
      end
    end)
  end
  return self
end
WriteStream.addListener = WriteStream.on

-- Colours, as Node's getColorDepth: 1, 4, 8 or 24 bits, from the
-- environment (FORCE_COLOR, NO_COLOR, TERM, COLORTERM, ...).
local TERMS = {
  eterm = 4, cons25 = 4, console = 4, cygwin = 4, dtterm = 4, gnome = 4, hurd = 4,
  jfbterm = 4, konsole = 4, kterm = 4, mlterm = 4, mosh = 24, putty = 4, st = 4,
  ['rxvt-unicode-24bit'] = 24, terminator = 24, ['xterm-kitty'] = 24,
}
local TERM_PATTERNS = { 'ansi', 'color', 'linux', '^con%d*x%d', '^rxvt', '^screen', '^xterm', '^vt100' }

local function colorDepth(env)
  local force = env.FORCE_COLOR
  if force ~= nil then
    if force == '' or force == '1' or force == 'true' then return 4 end
    if force == '2' then return 8 end
    if force == '3' then return 24 end
    return 1
  end
  if env.NODE_DISABLE_COLORS ~= nil or env.NO_COLOR ~= nil or env.TERM == 'dumb' then return 1 end
  if env.TMUX then return 24 end
  if env.CI then
    for _, k in ipairs({ 'APPVEYOR', 'BUILDKITE', 'CIRCLECI', 'DRONE', 'GITHUB_ACTIONS', 'GITLAB_CI', 'TRAVIS' }) do
      if env[k] ~= nil then return 8 end
    end
    return env.CI_NAME == 'codeship' and 8 or 1
  end
  local prog = env.TERM_PROGRAM
  if prog == 'iTerm.app' then
    local v = env.TERM_PROGRAM_VERSION
    return (not v or v:match('^[0-2]%.')) and 8 or 24
  elseif prog == 'HyperTerm' or prog == 'MacTerm' then
    return 24
  elseif prog == 'Apple_Terminal' then
    return 8
  end
  if env.COLORTERM == 'truecolor' or env.COLORTERM == '24bit' then return 24 end
  local term = env.TERM
  if type(term) == 'string' then
    if term:match('^xterm%-256') then return 8 end
    term = term:lower()
    if TERMS[term] then return TERMS[term] end
    for _, p in ipairs(TERM_PATTERNS) do
      if term:match(p) then return 4 end
    end
  end
  if env.COLORTERM then return 4 end
  return 1
end

-- getColorDepth([env]): bits per colour the terminal takes.
function WriteStream:getColorDepth(env)
  checkThis(self, WriteStream)
  if env ~= nil then errors.checkTable(env, 'env') end
  return colorDepth(env or process.env)
end

-- hasColors([count], [env]): whether count colours (16 by default) show.
function WriteStream:hasColors(count, env)
  checkThis(self, WriteStream)
  if env == nil and (count == nil or type(count) == 'table') then
    env, count = count, 16
  else
    errors.checkInteger(count, 'count', 2)
  end
  if env ~= nil then errors.checkTable(env, 'env') end
  return count <= 2 ^ colorDepth(env or process.env)
end

-- Cursor control, as readline's functions on this stream.
function WriteStream:clearLine(dir, cb)
  checkThis(self, WriteStream)
  return require('readline').clearLine(self, dir, cb)
end

function WriteStream:clearScreenDown(cb)
  checkThis(self, WriteStream)
  return require('readline').clearScreenDown(self, cb)
end

function WriteStream:cursorTo(x, y, cb)
  checkThis(self, WriteStream)
  return require('readline').cursorTo(self, x, y, cb)
end

function WriteStream:moveCursor(dx, dy, cb)
  checkThis(self, WriteStream)
  return require('readline').moveCursor(self, dx, dy, cb)
end

return tty
