-- Process stdio: the streams behind process.stdin, process.stdout and
-- process.stderr, made by lua/process.lua on first access (so a script
-- that never touches them loads none of this, nor stream.lua).
--
-- Output is synchronous, as Node's is on POSIX for files, pipes and
-- terminals: write() has written every byte when it returns, so output
-- made right before the process ends (by process.exit() too) is never
-- lost, and fds 1 and 2 go through the runtime's own output
-- (binding('runtime').output), which flushes C's stdio first, so print,
-- io.write and console.log keep their order, and which hands the bytes to
-- the host when the runtime does not own stdio.
--
-- Input comes through a libuv stream handle for a terminal, a pipe or a
-- socket, through fs reads for a file. A handle that is not reading keeps
-- nothing alive, so process.stdin never read from lets the process end;
-- reading starts when the stream is read from ('data' or 'readable'
-- listener, resume, pipe, read) and pause() unrefs the handle.
local require, binding = ...

local stream = require('stream')
local errors = require('internal/errors')
local options = require('internal/options')
local instanceof = require('internal/class').instanceof
local Buffer = require('buffer').Buffer
local rb = binding('runtime')
local ttyb = binding('tty')

local type, error = type, error
local Readable, Writable = stream.Readable, stream.Writable

local M = {}

local function checkThis(self, cls, field)
  if not instanceof(self, cls) or rawget(self, field) == nil then
    error(errors.ERR_INVALID_THIS(cls.__name), 0)
  end
end

-- SyncWriteStream ------------------------------------------------------------

-- A Writable on a descriptor, each write done whole before write()
-- returns (Node's SyncWriteStream, and its tty and pipe stdout on POSIX).
-- It never closes its descriptor.
local SyncWriteStream = Writable:extend('SyncWriteStream')
M.SyncWriteStream = SyncWriteStream

-- fd: the descriptor; sink: writes go nowhere (Node's stdout on a
-- descriptor that is not open).
function SyncWriteStream:initialize(fd, sink)
  errors.checkInteger(fd, 'fd', 0, 2147483647)
  Writable.initialize(self)
  self.fd = fd
  self.isTTY = false
  if sink then self._sink = true end
end

-- Writes all of data to fd; true, or nil and a libuv status.
local function writeAll(fd, data)
  if fd == 1 or fd == 2 then return rb.output(fd, data) end
  local fs = require('fs')
  local len = type(data) == 'string' and #data or data.length
  local done = 0
  while done < len do
    local ok, n
    if type(data) == 'string' then
      ok, n = pcall(fs.writeSync, fd, data)
    else
      ok, n = pcall(fs.writeSync, fd, data, done + 1, len - done)
    end
    if not ok then return nil, type(n) == 'table' and n.errno or -5 end
    done = done + n
    if type(data) == 'string' and done < len then data, len, done = data:sub(done + 1), len - done, 0 end
  end
  return true
end

function SyncWriteStream:_write(chunk, enc, cb)
  checkThis(self, SyncWriteStream, 'fd')
  errors.checkFunction(cb, 'callback')
  if type(chunk) == 'string' then
    if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' and enc ~= 'buffer' then chunk = Buffer.from(chunk, enc) end
  elseif not Buffer.isBuffer(chunk) then
    error(errors.ERR_INVALID_ARG_TYPE('chunk', 'of type string or an instance of Buffer', chunk), 0)
  end
  if rawget(self, '_sink') then return cb() end
  local ok, errno = writeAll(self.fd, chunk)
  if not ok then return cb(errors.errnoException(errno, 'write')) end
  return cb()
end

-- The common write (a string under the high-water mark, no encoding, no
-- callback, nothing queued) goes straight out: the Writable machinery
-- would only account for it and hand it to _write. Anything else takes
-- Writable's way, with the same result.
local writableWrite = Writable.write

function SyncWriteStream:write(chunk, enc, cb)
  if type(self) ~= 'table' then error(errors.ERR_INVALID_THIS('Writable'), 0) end
  if enc == nil and cb == nil and type(chunk) == 'string' and self.writableLength == 0
    and #chunk < self.writableHighWaterMark and self.writableCorked == 0 and not self.writableEnded
    and not self.destroyed and not self._defaultEncoding and rawget(self, 'fd') then
    if rawget(self, '_sink') then return true end
    local ok, errno = writeAll(self.fd, chunk)
    if ok then return true end
    self:destroy(errors.errnoException(errno, 'write'))
    return false
  end
  return writableWrite(self, chunk, enc, cb)
end

function SyncWriteStream:__tostring()
  return 'WriteStream(fd ' .. tostring(rawget(self, 'fd')) .. ')'
end

-- StdinStream ----------------------------------------------------------------

-- A Readable over a libuv stream handle (pipe, tcp or tty) that the
-- handle's reads feed: C calls self:_onread(data) and, at EOF or on an
-- error, self:_onread(nil, status) (modules/stream.c). The handle is made
-- at the first read, so a stream never read from holds no handle at all
-- (nothing open, nothing keeping the loop alive), and closed at EOF.
local StdinStream = Readable:extend('ReadStream')
M.StdinStream = StdinStream

local EOF = binding('tcp').codes.EOF
local KINDS = { pipe = true, tcp = true, tty = true }

-- StdinStream:new(fd, kind): kind is 'pipe', 'tcp' or 'tty'.
function StdinStream:initialize(fd, kind)
  errors.checkInteger(fd, 'fd', 0, 2147483647)
  if not KINDS[kind] then error(errors.ERR_INVALID_ARG_VALUE('kind', kind, "must be 'pipe', 'tcp' or 'tty'"), 0) end
  Readable.initialize(self)
  self.fd = fd
  self.isTTY = false
  self._kind = kind
end

-- The handle, made on first use; nil once the stream is destroyed or
-- when libuv refused the descriptor (the stream is then destroyed with
-- that error).
local function handleOf(self)
  local h = rawget(self, '_handle')
  if h or self.destroyed then return h end
  local kind, errno, ok = self._kind, nil, nil
  if kind == 'tty' then
    h, errno = ttyb.new(self.fd)
  else
    h, errno = binding(kind).new(false)
    if h then
      ok, errno = h:open(self.fd)
      if not ok then h:close(); h = nil end
    end
  end
  if not h then
    self:destroy(errors.errnoException(errno, kind == 'tty' and 'uv_tty_init' or 'open'))
    return nil
  end
  h:setowner(self)
  if rawget(self, '_unref') then h:ref(false) end
  self._handle = h
  return h
end
M.handleOf = handleOf

function StdinStream:_read()
  checkThis(self, StdinStream, '_kind')
  if rawget(self, '_reading') then return end
  local h = handleOf(self)
  if not h then return end
  local ok, errno = h:readStart()
  if not ok then return self:destroy(errors.errnoException(errno, 'read')) end
  self._reading = true
end

local function stopReading(self)
  self._reading = nil
  local h = rawget(self, '_handle')
  if h then h:readStop() end
end

function StdinStream:_onread(data, errno)
  checkThis(self, StdinStream, '_kind')
  if data ~= nil then
    errors.checkString(data, 'data')
    if not self:push(data) then stopReading(self) end
    return
  end
  errors.checkInteger(errno, 'errno')
  stopReading(self)
  if errno == EOF then
    self:push(nil)
  else
    self:destroy(errors.errnoException(errno, 'read'))
  end
end

-- Closing the handle does not close fds 0-2 (libuv keeps them open).
function StdinStream:_destroy(err, cb)
  checkThis(self, StdinStream, '_kind')
  errors.checkFunction(cb, 'callback')
  local h = rawget(self, '_handle')
  if not h then return cb(err) end
  self._handle, self._reading = nil, nil
  self._closed = function() cb(err) end
  h:close(true)
end

function StdinStream:_onclose()
  checkThis(self, StdinStream, '_kind')
  local done = rawget(self, '_closed')
  if done then
    self._closed = nil
    done()
  end
end

local function setRef(self, on)
  self._unref = not on or nil
  local h = rawget(self, '_handle')
  if h then h:ref(on) end
end

-- pause() lets the process end: the handle may read on, up to the
-- high-water mark, but no longer keeps the loop alive.
function StdinStream:pause()
  checkThis(self, StdinStream, '_kind')
  Readable.pause(self)
  setRef(self, false)
  return self
end

function StdinStream:resume()
  checkThis(self, StdinStream, '_kind')
  setRef(self, true)
  return Readable.resume(self)
end

function StdinStream:ref()
  checkThis(self, StdinStream, '_kind')
  setRef(self, true)
  return self
end

function StdinStream:unref()
  checkThis(self, StdinStream, '_kind')
  setRef(self, false)
  return self
end

-- The process's streams ------------------------------------------------------

local function tty() return require('tty') end

-- An input with nothing in it: ends at once when read (Node's stdin on a
-- descriptor that is not open; lode's in a runtime without stdio).
local function emptyInput()
  local s = Readable:new({ read = function() end })
  s.isTTY = false
  s:push(nil)
  return s
end

function M.stdin()
  if not options.ownStdio then return emptyInput() end
  local kind = ttyb.guess(0)
  if kind == 'tty' then return tty().ReadStream:new(0) end
  if kind == 'file' then
    local s = require('fs').createReadStream(nil, { fd = 0, autoClose = false })
    s.isTTY = false
    return s
  end
  if kind == 'pipe' or kind == 'tcp' then return StdinStream:new(0, kind) end
  return emptyInput()
end

local function output(fd)
  if not options.ownStdio then return SyncWriteStream:new(fd) end
  local kind = ttyb.guess(fd)
  if kind == 'tty' then return tty().WriteStream:new(fd) end
  return SyncWriteStream:new(fd, kind == 'unknown')
end

function M.stdout() return output(1) end
function M.stderr() return output(2) end

return M
