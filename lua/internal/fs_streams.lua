-- fs.ReadStream and fs.WriteStream: file streams on stream's Readable and
-- Writable. Chunks read come as Lua strings (one copy, made by the
-- binding's readstr); chunks written go to the file as they are, several
-- at a time through writev when they queue up.
local require, binding = ...

local errors = require('internal/errors')
local ticks = require('internal/ticks')
local stream = require('stream')
local instanceof = require('internal/class').instanceof
local uv = binding('fs')

local type, error, min = type, error, math.min
local nextTick = ticks.nextTick
local uvErr = errors.uv

return function(fs, h)
  local M = {}
  local Readable, Writable = stream.Readable, stream.Writable
  local ReadStream = Readable:extend('ReadStream')
  local WriteStream = Writable:extend('WriteStream')
  M.ReadStream, M.WriteStream = ReadStream, WriteStream

  -- Methods refuse any other object, before they touch it.
  local function checkThis(self, cls)
    if not instanceof(self, cls) then error(errors.ERR_INVALID_THIS(cls.__name), 0) end
  end

  local function optsOf(o)
    if o == nil then return {} end
    if type(o) == 'string' then return { encoding = o } end
    if type(o) ~= 'table' then error(errors.ERR_INVALID_ARG_TYPE('options', 'of type object', o), 0) end
    return o
  end

  local function checkPos(v, name)
    if v ~= nil then errors.checkInteger(v, name, 0, 9007199254740991) end
    return v
  end

  -- The shared part of both constructors: path or fd, flags, mode.
  local function setup(self, p, o, defFlags)
    if o.fd ~= nil then
      self.fd = h.checkFd(o.fd)
      self.path = p ~= nil and h.checkPath(p) or nil
    else
      self.path = h.checkPath(p)
    end
    self.flags = o.flags or defFlags
    self._flags = h.flags(self.flags, 0)
    self.mode = o.mode or 438
    self._autoClose = o.autoClose ~= false
    self.pending = self.fd == nil
  end

  local function open(self, cb)
    if self.fd ~= nil then
      cb()
      return
    end
    local ok, e = uv.open(self.path, self._flags, self.mode, function(err, fd)
      if err then
        cb(uvErr(err, 'open', self.path))
        return
      end
      self.fd = fd
      self.pending = false
      cb()
      self:emit('open', fd)
      self:emit('ready')
    end)
    if not ok then nextTick(cb, uvErr(e, 'open', self.path)) end
  end

  -- Closes the fd (when autoClose) after whatever request is in flight.
  local function closeFd(self, err, cb)
    local fd = self.fd
    if fd == nil or not self._autoClose then
      cb(err)
      return
    end
    self.fd = nil
    local ok, e = uv.close(fd, function(cerr)
      cb(err or (cerr and uvErr(cerr, 'close')))
    end)
    if not ok then nextTick(cb, err or uvErr(e, 'close')) end
  end

  local function destroyWhenIdle(self, err, cb)
    if self._busy then
      self._afterBusy = function() closeFd(self, err, cb) end
    else
      closeFd(self, err, cb)
    end
  end

  local function idle(self)
    self._busy = false
    local f = self._afterBusy
    if f then
      self._afterBusy = nil
      f()
    end
  end

  -- ReadStream ------------------------------------------------------------------

  function ReadStream:initialize(p, opts)
    checkThis(self, ReadStream)
    local o = optsOf(opts)
    local ro = { highWaterMark = o.highWaterMark or 65536, encoding = o.encoding,
      emitClose = o.emitClose, autoDestroy = o.autoDestroy, signal = o.signal }
    setup(self, p, o, 'r')
    self.start = checkPos(o.start, 'start')
    self['end'] = checkPos(o['end'], 'end')
    if self.start and self['end'] and self.start > self['end'] then
      error(errors.ERR_OUT_OF_RANGE('start', '<= "end" (here: ' .. self['end'] .. ')', self.start), 0)
    end
    self.bytesRead = 0
    self._pos = self.start
    Readable.initialize(self, ro)
  end

  function ReadStream:_construct(cb)
    checkThis(self, ReadStream)
    open(self, cb)
  end

  function ReadStream:_read(n)
    checkThis(self, ReadStream)
    local want = n
    local last = self['end']
    if last ~= nil then
      local left = last - (self._pos or self.bytesRead) + 1
      if left <= 0 then
        self:push(nil)
        return
      end
      want = min(want, left)
    end
    self._busy = true
    local ok, e = uv.readstr(self.fd, want, self._pos or -1, function(err, s)
      idle(self)
      if err then
        self:destroy(uvErr(err, 'read'))
        return
      end
      if self.destroyed then return end
      if #s == 0 then
        self:push(nil)
        return
      end
      if self._pos then self._pos = self._pos + #s end
      self.bytesRead = self.bytesRead + #s
      self:push(s)
    end)
    if not ok then
      self._busy = false
      self:destroy(uvErr(e, 'read'))
    end
  end

  function ReadStream:_destroy(err, cb)
    checkThis(self, ReadStream)
    destroyWhenIdle(self, err, cb)
  end

  function ReadStream:close(cb)
    checkThis(self, ReadStream)
    if type(cb) == 'function' then stream.finished(self, cb) end
    self:destroy()
  end

  -- WriteStream -----------------------------------------------------------------

  function WriteStream:initialize(p, opts)
    checkThis(self, WriteStream)
    local o = optsOf(opts)
    setup(self, p, o, 'w')
    self.start = checkPos(o.start, 'start')
    self._pos = self.start
    self.bytesWritten = 0
    Writable.initialize(self, { highWaterMark = o.highWaterMark, decodeStrings = false,
      defaultEncoding = o.encoding, emitClose = o.emitClose, autoDestroy = o.autoDestroy })
  end

  function WriteStream:_construct(cb)
    checkThis(self, WriteStream)
    open(self, cb)
  end

  -- Writes list (strings or Buffers) in full, going on after short writes.
  local function writeList(self, list, total, cb)
    self._busy = true
    local ok, e = uv.writev(self.fd, list, self._pos or -1, function(err, n)
      if err then
        idle(self)
        cb(uvErr(err, 'write'))
        return
      end
      self.bytesWritten = self.bytesWritten + n
      if self._pos then self._pos = self._pos + n end
      if n < total then
        -- A short write: the rest, as one string.
        local rest = {}
        for i = 1, #list do
          local c = list[i]
          rest[i] = type(c) == 'string' and c or c:toString('latin1')
        end
        local s = table.concat(rest):sub(n + 1)
        writeList(self, { s }, #s, cb)
        return
      end
      idle(self)
      cb()
    end)
    if not ok then
      self._busy = false
      nextTick(cb, uvErr(e, 'write'))
    end
  end

  local Buffer = require('buffer').Buffer
  local function bytes(chunk, enc)
    if type(chunk) == 'string' and enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' and enc ~= 'buffer' then
      return Buffer.from(chunk, enc)
    end
    return chunk
  end

  function WriteStream:_write(chunk, enc, cb)
    checkThis(self, WriteStream)
    chunk = bytes(chunk, enc)
    writeList(self, { chunk }, #chunk, cb)
  end

  function WriteStream:_writev(chunks, cb)
    checkThis(self, WriteStream)
    local list, total = {}, 0
    for i = 1, #chunks do
      local c = bytes(chunks[i].chunk, chunks[i].encoding)
      list[i] = c
      total = total + #c
    end
    writeList(self, list, total, cb)
  end

  function WriteStream:_destroy(err, cb)
    checkThis(self, WriteStream)
    destroyWhenIdle(self, err, cb)
  end

  function WriteStream:close(cb)
    checkThis(self, WriteStream)
    if cb ~= nil then
      if self.closed then
        nextTick(cb)
        return
      end
      self:on('close', cb)
    end
    if not self.writableEnded then self:finish()
    elseif not self.destroyed and self.writableFinished then self:destroy() end
  end
  WriteStream.destroySoon = WriteStream.finish

  function M.createReadStream(p, opts) return ReadStream:new(p, opts) end
  function M.createWriteStream(p, opts) return WriteStream:new(p, opts) end

  return M
end
