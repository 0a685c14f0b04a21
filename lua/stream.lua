-- stream: Node's Readable, Writable, Duplex, Transform and PassThrough,
-- with pipeline and finished, following Node 20's lib/internal/streams.
--
-- State lives in plain fields of the stream object itself, no state table
-- per side: Node's getters are fields kept up to date as the state moves
-- (`readableLength`, `writableFinished`, ...), the private booleans are
-- bits of one number (`_f`, see F_RSYNC and the rest), and the other
-- private fields start out on the class table (see `defaults`), so an
-- idle stream costs a few dozen hash slots. A Duplex is one object with
-- both sides' fields; `destroyed`, `closed`, `errored` and the
-- emitted-error/close flags are shared by the two sides.
--
-- Buffers are arrays with head and tail indexes: the readable side's
-- chunks in `_rq[_rqh.._rqt]`, the writable side's pending writes in
-- `_wq`, three slots per write (chunk, encoding, callback). Both arrays
-- are made on first use and their indexes restart when they empty.
--
-- Deferred steps run on process.nextTick exactly where Node defers them,
-- so event orders match Node's ('readable', 'end', 'finish', 'close',
-- 'error' from destroy, write callbacks of synchronous writes).
local require = ...

local ffi = require('ffi')
local bit = require('bit')
local EventEmitter = require('events')
local instanceof = require('internal/class').instanceof
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local Buffer = require('buffer').Buffer
local StringDecoder = require('string_decoder').StringDecoder

local type, error, pcall, rawget, getmetatable, select, pairs, ipairs, next, tostring, tonumber =
  type, error, pcall, rawget, getmetatable, select, pairs, ipairs, next, tostring, tonumber
local concat, tremove, sub, floor = table.concat, table.remove, string.sub, math.floor
local istype, ffistring, cast = ffi.istype, ffi.string, ffi.cast
local nextTick = ticks.nextTick
local band, bor = bit.band, bit.bor
local BufT = ffi.typeof('lode_buffer')
local u8p = ffi.typeof('const uint8_t *')

local DEFAULT_HWM = 16384
local DEFAULT_OBJECT_HWM = 16

local function nop() end

-- Boolean state lives in one number, `_f`, one bit per flag (as Node's
-- own stream state does): one hash slot instead of two dozen (a used
-- Duplex fits in 32), fewer keys added as a stream lives, and no lookup
-- walking the class chain for a flag never set.
local F_RSYNC = 1
local F_RENDED = 2
local F_READING = 4
local F_NEED_READABLE = 8
local F_EMITTED_READABLE = 16
local F_READABLE_LISTENING = 32
local F_RESUME_SCHEDULED = 64
local F_READING_MORE = 128
local F_RBUFS = 256
local F_ADW_MULTI = 512
local F_WRITING = 1024
local F_WSYNC = 2048
local F_WENDED = 4096
local F_BUFFER_PROCESSING = 8192
local F_FINAL_CALLED = 16384
local F_PREFINISHED = 32768
local F_DECODE_STRINGS = 65536
local F_ERRORED = 131072
local F_CONSTRUCTING = 262144
local F_ERROR_EMITTED = 524288
local F_CLOSE_EMITTED = 1048576
local F_NO_AUTO_DESTROY = 2097152
local F_NO_EMIT_CLOSE = 4194304

local function setFlag(o, f, on)
  if on then o._f = bor(o._f, f) else o._f = band(o._f, -1 - f) end
end

-- Errors -------------------------------------------------------------------

local newError = errors.new

local function ERR_STREAM_PUSH_AFTER_EOF()
  return newError('Error', 'ERR_STREAM_PUSH_AFTER_EOF', 'stream.push() after EOF')
end
local function ERR_STREAM_UNSHIFT_AFTER_END_EVENT()
  return newError('Error', 'ERR_STREAM_UNSHIFT_AFTER_END_EVENT', 'stream.unshift() after end event')
end
local function ERR_STREAM_WRITE_AFTER_END()
  return newError('Error', 'ERR_STREAM_WRITE_AFTER_END', 'write after end')
end
local function ERR_STREAM_DESTROYED(what)
  return newError('Error', 'ERR_STREAM_DESTROYED',
    'Cannot call ' .. what .. ' after a stream was destroyed')
end
local function ERR_STREAM_ALREADY_FINISHED(what)
  return newError('Error', 'ERR_STREAM_ALREADY_FINISHED',
    'Cannot call ' .. what .. ' after a stream was finished')
end
local function ERR_STREAM_PREMATURE_CLOSE()
  return newError('Error', 'ERR_STREAM_PREMATURE_CLOSE', 'Premature close')
end
local function ERR_MULTIPLE_CALLBACK()
  return newError('Error', 'ERR_MULTIPLE_CALLBACK', 'Callback called multiple times')
end
local function ERR_METHOD_NOT_IMPLEMENTED(name)
  return newError('Error', 'ERR_METHOD_NOT_IMPLEMENTED',
    'The ' .. name .. ' method is not implemented')
end
local function ERR_STREAM_NULL_VALUES()
  return newError('TypeError', 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream')
end
local function ERR_STREAM_CANNOT_PIPE()
  return newError('Error', 'ERR_STREAM_CANNOT_PIPE', 'Cannot pipe, not readable')
end
local function chunkTypeError(chunk)
  return errors.ERR_INVALID_ARG_TYPE('chunk', 'of type string or an instance of Buffer', chunk)
end
local function invalidThis(name)
  error(errors.ERR_INVALID_THIS(name), 0)
end

-- Constructors and cold methods check self by class; hot methods by a
-- field only their kind of stream has (see checkReadable, checkWritable).
local function checkInstance(self, cls, name)
  if not instanceof(self, cls) then invalidThis(name) end
end

-- Options ------------------------------------------------------------------

-- (type(), not `~= nil`: a NULL cdata equals nil.)
local function checkOptions(opts)
  local t = type(opts)
  if t ~= 'nil' and t ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', opts), 0)
  end
end

-- A highWaterMark from options: the side's own key first (Duplex), then
-- `highWaterMark`, else the default for the mode.
local function getHwm(opts, objectMode, sideKey)
  local v, name
  if opts ~= nil then
    if sideKey ~= nil and opts[sideKey] ~= nil then
      v, name = opts[sideKey], 'options.' .. sideKey
    else
      v, name = opts.highWaterMark, 'options.highWaterMark'
    end
  end
  if v == nil then
    if objectMode then return DEFAULT_OBJECT_HWM end
    return DEFAULT_HWM
  end
  if type(v) ~= 'number' or v ~= v or v < 0 or v == math.huge then
    error(newError('TypeError', 'ERR_INVALID_ARG_VALUE',
      "The property '" .. name .. "' is invalid. Received " .. tostring(v)), 0)
  end
  return floor(v)
end

-- Shared destroy machinery (Node's destroy.js) ------------------------------

local function emitErrorNT(self, err)
  if band(self._f, F_ERROR_EMITTED) ~= 0 then return end
  self._f = bor(self._f, F_ERROR_EMITTED)
  self:emit('error', err)
end

local function emitCloseNT(self)
  self._f = bor(self._f, F_CLOSE_EMITTED)
  if band(self._f, F_NO_EMIT_CLOSE) == 0 then self:emit('close') end
end

local function emitErrorCloseNT(self, err)
  emitErrorNT(self, err)
  emitCloseNT(self)
end

-- Records the first error of the stream.
local function setErrored(self, err)
  if err ~= nil and band(self._f, F_ERRORED) == 0 then
    self.errored = err
    self._f = bor(self._f, F_ERRORED)
    if self.readableHighWaterMark ~= nil then self.readable = false end
    if self.writableHighWaterMark ~= nil then self.writable = false end
  end
end

-- Node's errorOrDestroy: destroy when autoDestroy, else record the error
-- and emit it (on a later tick when `sync`).
local function errorOrDestroy(self, err, sync)
  if self.destroyed then return end
  if band(self._f, F_NO_AUTO_DESTROY) == 0 then
    self:destroy(err)
  elseif err ~= nil then
    setErrored(self, err)
    if sync then nextTick(emitErrorNT, self, err) else emitErrorNT(self, err) end
  end
end

-- After the _destroy hook called back: cb is destroy's own callback.
local function onDestroyed(self, err, cb)
  setErrored(self, err)
  self.closed = true
  if type(cb) == 'function' then cb(err) end
  if err ~= nil then nextTick(emitErrorCloseNT, self, err) else nextTick(emitCloseNT, self) end
end

-- Node's _destroy: the hook's callback, or what the hook raises, goes on.
local function runDestroy(self, err, cb)
  local called = false
  local function onDestroy(e)
    if called then return end
    called = true
    onDestroyed(self, e, cb)
  end
  local ok, e = pcall(self._destroy, self, err, onDestroy)
  if not ok then onDestroy(e) end
end

-- Stream: the legacy base ---------------------------------------------------

local Stream = EventEmitter:extend('Stream')
Stream.__name = 'Stream'

function Stream:initialize(opts)
  checkInstance(self, Stream, 'Stream')
  EventEmitter.initialize(self, nil)
end

-- destroy([err], [cb]): every stream's destroy. The 'error' (when err is
-- given) and 'close' events follow on a later tick, in that order.
function Stream:destroy(err, cb)
  checkInstance(self, Stream, 'Stream')
  if type(err) == 'function' then cb, err = err, nil end
  if self.destroyed then
    if type(cb) == 'function' then cb() end
    return self
  end
  setErrored(self, err)
  self.destroyed = true
  if self.readableHighWaterMark ~= nil then self.readable = false end
  if self.writableHighWaterMark ~= nil then
    self.writable = false
    self.writableNeedDrain = false
  end
  if band(self._f, F_CONSTRUCTING) ~= 0 then
    self:once('__lode_destroy', function(er)
      runDestroy(self, er or err, cb)
    end)
  else
    runDestroy(self, err, cb)
  end
  return self
end

-- Default implementer hook: `_destroy(err, cb)` calls cb(err).
function Stream:_destroy(err, cb)
  checkInstance(self, Stream, 'Stream')
  errors.checkFunction(cb, 'callback')
  cb(err)
end

-- construct: runs _construct on the next tick; until it calls back, reads
-- and writes wait (`_constructing`).
local function construct(self, after)
  self._f = bor(self._f, F_CONSTRUCTING)
  nextTick(function()
    local called = false
    local function onConstruct(err)
      nextTick(function()
        if called then
          errorOrDestroy(self, err or ERR_MULTIPLE_CALLBACK())
          return
        end
        called = true
        self._f = band(self._f, -1 - F_CONSTRUCTING)
        if self.destroyed then
          self:emit('__lode_destroy', err)
        elseif err ~= nil then
          errorOrDestroy(self, err, true)
        else
          nextTick(after, self)
        end
      end)
    end
    local ok, err = pcall(self._construct, self, onConstruct)
    if not ok then onConstruct(err) end
  end)
end

-- Common options of both sides.
local function initCommon(self, opts)
  self._f = 0
  self.destroyed = false
  self.closed = false
  if opts ~= nil then
    if opts.emitClose == false then self._f = bor(self._f, F_NO_EMIT_CLOSE) end
    if opts.autoDestroy == false then self._f = bor(self._f, F_NO_AUTO_DESTROY) end
    if type(opts.destroy) == 'function' then self._destroy = opts.destroy end
    if type(opts.construct) == 'function' then self._construct = opts.construct end
  end
end

-- Readable --------------------------------------------------------------------

local function checkReadable(self)
  if type(self) ~= 'table' or self.readableHighWaterMark == nil then invalidThis('Readable') end
end

local Readable = Stream:extend('Readable')
Readable.__name = 'Readable'

local function initReadable(self, opts, duplex)
  local objectMode = false
  if opts ~= nil then
    objectMode = opts.objectMode == true or (duplex and opts.readableObjectMode == true) or false
  end
  self.readableObjectMode = objectMode
  self.readableHighWaterMark = getHwm(opts, objectMode, duplex and 'readableHighWaterMark' or nil)
  self.readableLength = 0
  self.readableEnded = false
  self.readableFlowing = nil
  self.readable = true
  self._f = bor(self._f, F_RSYNC) -- Node assumes a synchronous _read until the first read
  if opts ~= nil then
    if type(opts.read) == 'function' then self._read = opts.read end
    if opts.buffers then self._f = bor(self._f, F_RBUFS) end
    if opts.encoding ~= nil then self:setEncoding(opts.encoding) end
  end
end

local maybeReadMore, emitReadable, flow

local function afterConstructReadable(self)
  if band(self._f, F_NEED_READABLE) ~= 0 then maybeReadMore(self) end
end

function Readable:initialize(opts)
  checkInstance(self, Readable, 'Readable')
  checkOptions(opts)
  EventEmitter.initialize(self, nil)
  initCommon(self, opts)
  initReadable(self, opts, false)
  if self._construct ~= nil then construct(self, afterConstructReadable) end
end


-- What 'data' and read() hand out for a stored chunk: in byte mode a
-- string, or a Buffer when the stream was made with `buffers = true` and
-- has no encoding.
local function outChunk(self, chunk)
  if band(self._f, F_RBUFS) ~= 0 and not self._decoder then return Buffer.from(chunk) end
  return chunk
end

local function emitReadable_(self)
  if not self.destroyed and band(self._f, F_ERRORED) == 0
    and (self.readableLength > 0 or band(self._f, F_RENDED) ~= 0) then
    self:emit('readable')
    self._f = band(self._f, -1 - F_EMITTED_READABLE)
  end
  setFlag(self, F_NEED_READABLE, not self.readableFlowing and band(self._f, F_RENDED) == 0
    and self.readableLength <= self.readableHighWaterMark)
  flow(self)
end

emitReadable = function(self)
  self._f = band(self._f, -1 - F_NEED_READABLE)
  if band(self._f, F_EMITTED_READABLE) == 0 then
    self._f = bor(self._f, F_EMITTED_READABLE)
    nextTick(emitReadable_, self)
  end
end

local function maybeReadMore_(self)
  while band(self._f, F_READING) == 0 and band(self._f, F_RENDED) == 0 and
    (self.readableLength < self.readableHighWaterMark or
     (self.readableFlowing and self.readableLength == 0)) do
    local len = self.readableLength
    self:read(0)
    if len == self.readableLength then break end
  end
  self._f = band(self._f, -1 - F_READING_MORE)
end

maybeReadMore = function(self)
  if band(self._f, F_READING_MORE) == 0 and band(self._f, F_CONSTRUCTING) == 0 then
    self._f = bor(self._f, F_READING_MORE)
    nextTick(maybeReadMore_, self)
  end
end

local function onEofChunk(self)
  if band(self._f, F_RENDED) ~= 0 then return end
  local decoder = self._decoder
  if decoder then
    local chunk = decoder:finish()
    if #chunk > 0 then
      local q = self._rq
      if not q then
        q = {}
        self._rq, self._rqh, self._rqt = q, 1, 0
      end
      local t = self._rqt + 1
      self._rqt = t
      q[t] = chunk
      self.readableLength = self.readableLength + (self.readableObjectMode and 1 or #chunk)
    end
  end
  self._f = bor(self._f, F_RENDED)
  if band(self._f, F_RSYNC) ~= 0 then
    emitReadable(self)
  else
    self._f = band(self._f, -1 - F_NEED_READABLE)
    self._f = bor(self._f, F_EMITTED_READABLE)
    emitReadable_(self)
  end
end

-- 'data' listeners are looked up in EventEmitter's storage directly
-- (`_events[name]` is a function or an array of them, see events.lua):
-- these two run for every chunk, and the general emit and listenerCount
-- would add a call and their checks of self each time.
local function hasData(self)
  local events = rawget(self, '_events')
  return events ~= nil and events.data ~= nil
end

local function emitData(self, chunk)
  local events = rawget(self, '_events')
  local h = events and events.data
  if type(h) == 'function' then
    h(chunk)
  elseif h ~= nil then
    self:emit('data', chunk)
  end
end

-- Data was handed out: no pipe destination is waiting for 'drain' now.
-- `_adw` is false, the one destination, or (`_adwMulti`, several pipes)
-- a set of them.
local function clearAwaitDrain(self)
  local adw = self._adw
  if band(self._f, F_ADW_MULTI) ~= 0 then
    for k in next, adw do adw[k] = nil end
  else
    self._adw = false
  end
end

local function addChunk(self, chunk, addToFront)
  if self.readableFlowing and self.readableLength == 0 and band(self._f, F_RSYNC) == 0
    and hasData(self) then
    if self._adw then clearAwaitDrain(self) end
    self.readableDidRead = true
    emitData(self, outChunk(self, chunk))
  else
    self.readableLength = self.readableLength + (self.readableObjectMode and 1 or #chunk)
    local q = self._rq
    if not q then
      q = { false, false, false, false, false, false, false, false,
        false, false, false, false, false, false, false, false } -- an array part from the start
      self._rq, self._rqh, self._rqt = q, 1, 0
    end
    if addToFront then
      local h = self._rqh - 1
      if h < 1 then
        -- Shift everything up one slot to make room at the front.
        local t = self._rqt
        for i = t, self._rqh, -1 do q[i + 1] = q[i] end
        self._rqt = t + 1
        h = self._rqh
      end
      q[h] = chunk
      self._rqh = h
    else
      local t = self._rqt + 1
      self._rqt = t
      q[t] = chunk
    end
    if band(self._f, F_NEED_READABLE) ~= 0 then emitReadable(self) end
  end
  maybeReadMore(self)
end

local function addChunkDecoded(self, chunk, addToFront)
  if addToFront then
    if self.readableEnded then
      errorOrDestroy(self, ERR_STREAM_UNSHIFT_AFTER_END_EVENT())
      return false
    elseif self.destroyed or band(self._f, F_ERRORED) ~= 0 then
      return false
    end
    addChunk(self, chunk, true)
  elseif band(self._f, F_RENDED) ~= 0 then
    errorOrDestroy(self, ERR_STREAM_PUSH_AFTER_EOF())
  elseif self.destroyed or band(self._f, F_ERRORED) ~= 0 then
    return false
  else
    self._f = band(self._f, -1 - F_READING)
    local decoder = self._decoder
    if decoder and not self.readableObjectMode then
      chunk = decoder:write(chunk)
      if #chunk ~= 0 then addChunk(self, chunk, false) else maybeReadMore(self) end
    else
      addChunk(self, chunk, false)
    end
  end
  return true
end

-- Node's readableAddChunk: push and unshift.
local function readableAddChunk(self, chunk, encoding, addToFront)
  if not self.readableObjectMode and chunk ~= nil then
    local tc = type(chunk)
    if tc == 'string' then
      if encoding ~= nil and encoding ~= 'utf8' and encoding ~= 'utf-8'
        and encoding ~= 'buffer' then
        local b = Buffer.from(chunk, encoding)
        chunk = ffistring(cast(u8p, b._data), b._len)
      end
    elseif istype(BufT, chunk) then
      chunk = ffistring(cast(u8p, chunk._data), chunk._len)
    else
      errorOrDestroy(self, chunkTypeError(chunk))
      return false
    end
  end
  if chunk == nil then
    self._f = band(self._f, -1 - F_READING)
    onEofChunk(self)
  elseif self.readableObjectMode or #chunk > 0 then
    if addChunkDecoded(self, chunk, addToFront) == false then return false end
  elseif not addToFront then
    self._f = band(self._f, -1 - F_READING)
    maybeReadMore(self)
  end
  return band(self._f, F_RENDED) == 0 and
    (self.readableLength < self.readableHighWaterMark or self.readableLength == 0)
end

-- push(chunk, [encoding]): hands a chunk to the consumer (nil ends the
-- stream). False once readableLength reaches readableHighWaterMark.
function Readable:push(chunk, encoding)
  checkReadable(self)
  return readableAddChunk(self, chunk, encoding, false)
end

function Readable:unshift(chunk, encoding)
  checkReadable(self)
  return readableAddChunk(self, chunk, encoding, true)
end

-- Moves the live part q[h..t] of a queue down to q[1..] once the free
-- slots before h outnumber it, so a queue that never empties (one chunk
-- in, one out) stays in its array part instead of walking up the hash
-- part. Amortized O(1): a move of k entries follows at least k pops.
local function compact(q, h, t)
  local k = 0
  for i = h, t do
    k = k + 1
    q[k] = q[i]
    q[i] = nil
  end
  return k
end

-- Takes the head of the readable queue (one chunk or object).
local function shift(self, q, h, t)
  q[h] = nil
  if h == t then
    self._rqh, self._rqt = 1, 0
  elseif h >= 8 and h + h > t then
    self._rqh, self._rqt = 1, compact(q, h + 1, t)
  else
    self._rqh = h + 1
  end
end

-- Takes n units (bytes, or one object) from the front of the queue.
local function fromList(self, n)
  local q, h, t = self._rq, self._rqh, self._rqt
  local first = q[h]
  if self.readableObjectMode then
    shift(self, q, h, t)
    return first
  end
  local flen = #first
  if n == flen then
    shift(self, q, h, t)
    return first
  end
  if n < flen then
    q[h] = sub(first, n + 1)
    return sub(first, 1, n)
  end
  -- Across several chunks.
  local parts, np, got = {}, 0, 0
  while got < n do
    local c = q[h]
    local len = #c
    if got + len <= n then
      np = np + 1
      parts[np] = c
      got = got + len
      q[h] = nil
      h = h + 1
    else
      local need = n - got
      np = np + 1
      parts[np] = sub(c, 1, need)
      q[h] = sub(c, need + 1)
      got = n
    end
  end
  if h > t then self._rqh, self._rqt = 1, 0 else self._rqh = h end
  return concat(parts, '', 1, np)
end

local function howMuchToRead(self, n)
  local len = self.readableLength
  if (n ~= nil and n <= 0) or (len == 0 and band(self._f, F_RENDED) ~= 0) then return 0 end
  if self.readableObjectMode then return 1 end
  if n == nil then
    if self.readableFlowing and len > 0 then return #self._rq[self._rqh] end
    return len
  end
  if n <= len then return n end
  if band(self._f, F_RENDED) ~= 0 then return len end
  return 0
end

local function endReadableNT(self)
  if band(self._f, F_ERRORED + F_CLOSE_EMITTED) == 0 and not self.readableEnded
    and self.readableLength == 0 then
    self.readableEnded = true
    self.readable = false
    self:emit('end')
    if self.writable and self.allowHalfOpen == false then
      nextTick(function(s)
        if s.writable and not s.writableEnded and not s.destroyed then s:finish() end
      end, self)
    elseif band(self._f, F_NO_AUTO_DESTROY) == 0 then
      if self.writableHighWaterMark == nil or self.writableFinished or self.writable == false then
        self:destroy()
      end
    end
  end
end

local function endReadable(self)
  if not self.readableEnded then
    self._f = bor(self._f, F_RENDED)
    nextTick(endReadableNT, self)
  end
end

-- read([n]): n bytes (or one object), nil when not that much is buffered;
-- read() takes what is there, read(0) only triggers a _read.
function Readable:read(n)
  checkReadable(self)
  if n ~= nil then
    if type(n) ~= 'number' then n = tonumber(n) end
    if n ~= nil then
      if n ~= n then n = nil else n = floor(n) end
    end
  end
  local nOrig = n
  if n ~= nil and n > self.readableHighWaterMark then
    -- Node grows the mark to the next power of two (at most 1 GiB).
    local hwm = 1
    while hwm < n do hwm = hwm * 2 end
    if hwm > 1073741824 then
      error(errors.ERR_OUT_OF_RANGE('size', '<= 1GiB', n), 0)
    end
    self.readableHighWaterMark = hwm
  end
  if n ~= 0 then self._f = band(self._f, -1 - F_EMITTED_READABLE) end
  local hwm = self.readableHighWaterMark
  if n == 0 and band(self._f, F_NEED_READABLE) ~= 0 and
    ((hwm ~= 0 and self.readableLength >= hwm or hwm == 0 and self.readableLength > 0)
     or band(self._f, F_RENDED) ~= 0) then
    if self.readableLength == 0 and band(self._f, F_RENDED) ~= 0 then
      endReadable(self)
    else
      emitReadable(self)
    end
    return nil
  end
  n = howMuchToRead(self, n)
  if n == 0 and band(self._f, F_RENDED) ~= 0 then
    if self.readableLength == 0 then endReadable(self) end
    return nil
  end
  local doRead = band(self._f, F_NEED_READABLE) ~= 0
  if self.readableLength == 0 or self.readableLength - n < hwm then doRead = true end
  if self.destroyed or band(self._f, F_RENDED + F_READING + F_ERRORED + F_CONSTRUCTING) ~= 0 then
    doRead = false
  elseif doRead then
    self._f = bor(self._f, F_READING)
    self._f = bor(self._f, F_RSYNC)
    if self.readableLength == 0 then self._f = bor(self._f, F_NEED_READABLE) end
    -- As Node's try around _read: what it raises destroys the stream.
    local ok, err = pcall(self._read, self, hwm)
    if not ok then errorOrDestroy(self, err) end
    self._f = band(self._f, -1 - F_RSYNC)
    if band(self._f, F_READING) == 0 then n = howMuchToRead(self, nOrig) end
  end
  local ret
  if n > 0 and self.readableLength > 0 then ret = fromList(self, n) end
  if ret == nil then
    setFlag(self, F_NEED_READABLE, self.readableLength <= self.readableHighWaterMark)
    n = 0
  else
    self.readableLength = self.readableLength - n
    if self._adw then clearAwaitDrain(self) end
  end
  if self.readableLength == 0 then
    if band(self._f, F_RENDED) == 0 then self._f = bor(self._f, F_NEED_READABLE) end
    if nOrig ~= n and band(self._f, F_RENDED) ~= 0 then endReadable(self) end
  end
  if ret ~= nil and band(self._f, F_ERROR_EMITTED) == 0 and band(self._f, F_CLOSE_EMITTED) == 0 then
    self.readableDidRead = true
    ret = outChunk(self, ret)
    emitData(self, ret)
  end
  return ret
end

-- Node calls _read inside a try and destroys the stream with what it
-- throws; the default one's error takes that path here too (without a
-- pcall on every read).
function Readable:_read()
  checkReadable(self)
  errorOrDestroy(self, ERR_METHOD_NOT_IMPLEMENTED('_read()'))
end

flow = function(self)
  while self.readableFlowing and self:read() ~= nil do end
end

local function resume_(self)
  if band(self._f, F_READING) == 0 then self:read(0) end
  self._f = band(self._f, -1 - F_RESUME_SCHEDULED)
  self:emit('resume')
  flow(self)
  if self.readableFlowing and band(self._f, F_READING) == 0 then self:read(0) end
end

function Readable:resume()
  checkReadable(self)
  if not self.readableFlowing then
    self.readableFlowing = band(self._f, F_READABLE_LISTENING) == 0
    if band(self._f, F_RESUME_SCHEDULED) == 0 then
      self._f = bor(self._f, F_RESUME_SCHEDULED)
      nextTick(resume_, self)
    end
  end
  self._rpaused = false
  return self
end

function Readable:pause()
  checkReadable(self)
  if self.readableFlowing ~= false then
    self.readableFlowing = false
    self:emit('pause')
  end
  self._rpaused = true
  return self
end

function Readable:isPaused()
  checkReadable(self)
  return self._rpaused == true or self.readableFlowing == false
end

-- setEncoding(enc): 'data' and read() give decoded text from now on;
-- what is buffered is decoded at once.
function Readable:setEncoding(enc)
  checkReadable(self)
  local decoder = StringDecoder:new(enc)
  self._decoder = decoder
  self.readableEncoding = decoder.encoding
  local q = self._rq
  if q and not self.readableObjectMode then
    local parts, np = {}, 0
    for i = self._rqh, self._rqt do
      np = np + 1
      parts[np] = decoder:write(q[i])
      q[i] = nil
    end
    local content = concat(parts, '', 1, np)
    self._rqh, self._rqt = 1, 0
    if content ~= '' then
      q[1] = content
      self._rqt = 1
    end
    self.readableLength = #content
  end
  return self
end

local function nReadingNextTick(self) self:read(0) end

local function updateReadableListening(self)
  setFlag(self, F_READABLE_LISTENING, self:listenerCount('readable') > 0)
  if band(self._f, F_RESUME_SCHEDULED) ~= 0 and self._rpaused == false then
    self.readableFlowing = true
  elseif self:listenerCount('data') > 0 then
    self:resume()
  elseif band(self._f, F_READABLE_LISTENING) == 0 then
    self.readableFlowing = nil
  end
end

-- What adding a 'data' or 'readable' listener does to the flow (Node's
-- Readable.prototype.on; once and prependListener go through it too).
local function listenerAdded(self, ev)
  if ev == 'data' then
    setFlag(self, F_READABLE_LISTENING, self:listenerCount('readable') > 0)
    if self.readableFlowing ~= false then self:resume() end
  elseif ev == 'readable' then
    if not self.readableEnded and band(self._f, F_READABLE_LISTENING) == 0 then
      self._f = bor(self._f, F_READABLE_LISTENING)
      self._f = bor(self._f, F_NEED_READABLE)
      self.readableFlowing = false
      self._f = band(self._f, -1 - F_EMITTED_READABLE)
      if self.readableLength > 0 then
        emitReadable(self)
      elseif band(self._f, F_READING) == 0 then
        nextTick(nReadingNextTick, self)
      end
    end
  end
end

-- Readable's on, once, prependListener and prependOnceListener: the
-- emitter's own, then what the new listener does to the flow.
local function addingListener(add)
  return function(self, ev, fn)
    checkReadable(self)
    local res = add(self, ev, fn)
    listenerAdded(self, ev)
    return res
  end
end
Readable.on = addingListener(EventEmitter.on)
Readable.once = addingListener(EventEmitter.prototype.once)
Readable.prependListener = addingListener(EventEmitter.prependListener)
Readable.prependOnceListener = addingListener(EventEmitter.prependOnceListener)
Readable.addListener = Readable.on

local emitterOff = EventEmitter.removeListener

function Readable:removeListener(ev, fn)
  checkReadable(self)
  local res = emitterOff(self, ev, fn)
  if ev == 'readable' then nextTick(updateReadableListening, self) end
  return res
end
Readable.off = Readable.removeListener

local emitterRemoveAll = EventEmitter.removeAllListeners

function Readable:removeAllListeners(ev)
  checkReadable(self)
  local res = emitterRemoveAll(self, ev)
  if ev == 'readable' or ev == nil then nextTick(updateReadableListening, self) end
  return res
end

-- Piping --------------------------------------------------------------------

local function pipeOnDrain(src, dest)
  return function()
    if src._adw == dest then
      src._adw = false
    elseif band(src._f, F_ADW_MULTI) ~= 0 then
      src._adw[dest] = nil
    end
    local waiting = src._adw
    if (not waiting or (band(src._f, F_ADW_MULTI) ~= 0 and next(waiting) == nil))
      and src:listenerCount('data') > 0 then
      src:resume()
    end
  end
end

-- A pipe destination only needs a write method (process.stdout and
-- process.stderr are plain writers today); one that is not an emitter
-- gets its listener calls sent here, where they do nothing.
local quiet = {
  on = nop, once = nop, prependListener = nop, removeListener = nop, emit = nop,
  listenerCount = function() return 0 end,
}
local function ev(dest)
  if type(dest.on) == 'function' then return dest end
  return quiet
end

-- The listeners one pipe adds to its source and destination. They are
-- made here, apart from pipe(), so the module can make them three times
-- at load (see the end of the file).
local function pipeListeners(src, dest)
  local ondrain, cleanedUp = nil, false
  local onclose, onfinish, onerror, onunpipe, ondata, onend, unpipe

  local function cleanup()
    ev(dest):removeListener('close', onclose)
    ev(dest):removeListener('finish', onfinish)
    if ondrain then ev(dest):removeListener('drain', ondrain) end
    ev(dest):removeListener('error', onerror)
    ev(dest):removeListener('unpipe', onunpipe)
    src:removeListener('end', onend)
    src:removeListener('end', unpipe)
    src:removeListener('data', ondata)
    cleanedUp = true
    if ondrain and src._adw and (dest.writableHighWaterMark == nil or dest.writableNeedDrain) then
      ondrain()
    end
  end

  local function pause()
    if not cleanedUp then
      local pipes = src._pipes
      if #pipes == 1 and pipes[1] == dest then
        src._adw = dest
        src._f = band(src._f, -1 - F_ADW_MULTI)
      elseif #pipes > 1 then
        for i = 1, #pipes do
          if pipes[i] == dest then
            if band(src._f, F_ADW_MULTI) == 0 then
              src._adw = {}
              src._f = bor(src._f, F_ADW_MULTI)
            end
            src._adw[dest] = true
            break
          end
        end
      end
      src:pause()
    end
    if not ondrain then
      ondrain = pipeOnDrain(src, dest)
      ev(dest):on('drain', ondrain)
    end
  end

  onend = function()
    if type(dest.finish) == 'function' then dest:finish() end
  end
  unpipe = function() src:unpipe(dest) end
  onunpipe = function(readable, info)
    if readable == src and info and info.hasUnpiped == false then
      info.hasUnpiped = true
      cleanup()
    end
  end
  ondata = function(chunk)
    if dest:write(chunk) == false then pause() end
  end
  onerror = function(er)
    unpipe()
    ev(dest):removeListener('error', onerror)
    if ev(dest):listenerCount('error') == 0 then
      if band(dest._f or 0, F_ERROR_EMITTED) == 0
        and (dest.writableHighWaterMark ~= nil or dest.readableHighWaterMark ~= nil) then
        errorOrDestroy(dest, er)
      else
        ev(dest):emit('error', er)
      end
    end
  end
  onclose = function()
    ev(dest):removeListener('finish', onfinish)
    unpipe()
  end
  onfinish = function()
    ev(dest):removeListener('close', onclose)
    unpipe()
  end

  return ondata, onend, unpipe, onunpipe, onerror, onclose, onfinish, pause
end

-- pipe(dest, [opts]): writes every chunk to dest, honouring write()'s
-- false and 'drain'; ends dest at 'end' unless opts.end == false.
function Readable:pipe(dest, pipeOpts)
  checkReadable(self)
  if type(dest) ~= 'table' or type(dest.write) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('destination', 'a writable stream', dest), 0)
  end
  checkOptions(pipeOpts)
  local src = self
  local pipes = self._pipes
  if pipes == nil then
    pipes = {}
    self._pipes = pipes
  end
  if #pipes == 1 and band(self._f, F_ADW_MULTI) == 0 then
    self._f = bor(self._f, F_ADW_MULTI)
    local set = {}
    if self._adw then set[self._adw] = true end
    self._adw = set
  end
  pipes[#pipes + 1] = dest
  local doEnd = (pipeOpts == nil or pipeOpts['end'] ~= false)
    and dest ~= process.stdout and dest ~= process.stderr

  local ondata, onend, unpipe, onunpipe, onerror, onclose, onfinish, pause =
    pipeListeners(src, dest)

  local endFn = doEnd and onend or unpipe
  if self.readableEnded then nextTick(endFn) else src:once('end', endFn) end
  ev(dest):on('unpipe', onunpipe)
  src:on('data', ondata)
  ev(dest):prependListener('error', onerror)
  ev(dest):once('close', onclose)
  ev(dest):once('finish', onfinish)
  ev(dest):emit('pipe', src)
  if dest.writableNeedDrain == true then
    pause()
  elseif not self.readableFlowing then
    src:resume()
  end
  return dest
end

function Readable:unpipe(dest)
  checkReadable(self)
  local pipes = self._pipes
  if pipes == nil or #pipes == 0 then return self end
  if dest == nil then
    self._pipes = {}
    self:pause()
    for i = 1, #pipes do ev(pipes[i]):emit('unpipe', self, { hasUnpiped = false }) end
    return self
  end
  local index
  for i = 1, #pipes do
    if pipes[i] == dest then
      index = i
      break
    end
  end
  if index == nil then return self end
  table.remove(pipes, index)
  if #pipes == 0 then self:pause() end
  ev(dest):emit('unpipe', self, { hasUnpiped = false })
  return self
end

-- Readable.from(source, [opts]): an object-mode Readable of the values of
-- an array (1..#t), of successive calls of an iterator function (until it
-- returns nil), or of one string or Buffer.
-- The read hook of Readable.from: one value per call (read() calls again
-- while the buffer is below the mark; a loop here would sit inside the
-- loops of flow() and maybeReadMore(), which the JIT compiles badly).
-- Shared by every such stream, so a trace compiled for one serves all.
local FROM_ARRAY, FROM_FUNCTION, FROM_ONE = 1, 2, 3

local function fromRead(self)
  checkReadable(self)
  local kind, source, v = self._fromKind, self._fromSource, nil
  if kind == FROM_ARRAY then
    local i = self._fromIndex + 1
    self._fromIndex = i
    v = source[i]
  elseif kind == FROM_FUNCTION then
    v = source()
  elseif kind == FROM_ONE then
    self._fromKind = false
    v = source
  end
  self:push(v)
end

-- Readable.from(source, [opts]): an object-mode Readable of the values of
-- an array (1..#t), of successive calls of an iterator function (until it
-- returns nil), or of one string or Buffer.
function Readable.from(source, opts)
  local ts = type(source)
  local kind
  if ts == 'string' or istype(BufT, source) then
    kind = FROM_ONE
  elseif ts == 'table' then
    kind = FROM_ARRAY
  elseif ts == 'function' then
    kind = FROM_FUNCTION
  else
    error(errors.ERR_INVALID_ARG_TYPE('iterable', 'an array or an iterator function', source), 0)
  end
  checkOptions(opts)
  local o = { objectMode = true, highWaterMark = 1 }
  if opts ~= nil then
    for k, v in pairs(opts) do o[k] = v end
  end
  o.read = fromRead
  local r = Readable:new(o)
  r._fromKind, r._fromSource, r._fromIndex = kind, source, 0
  return r
end

-- Writable ----------------------------------------------------------------------

local Writable = Stream:extend('Writable')
Writable.__name = 'Writable'

local function checkWritable(self)
  if type(self) ~= 'table' or self.writableHighWaterMark == nil then invalidThis('Writable') end
end

local onwrite, clearBuffer, finishMaybe

local function initWritable(self, opts, duplex)
  local objectMode = false
  if opts ~= nil then
    objectMode = opts.objectMode == true or (duplex and opts.writableObjectMode == true) or false
  end
  self.writableObjectMode = objectMode
  self.writableHighWaterMark = getHwm(opts, objectMode, duplex and 'writableHighWaterMark' or nil)
  self.writableLength = 0
  self.writableEnded = false
  self.writableFinished = false
  self.writableNeedDrain = false
  self.writableCorked = 0
  self.writable = true
  self._pendingcb = 0
  if opts ~= nil then
    if type(opts.write) == 'function' then self._write = opts.write end
    if type(opts.writev) == 'function' then self._writev = opts.writev end
    if type(opts.final) == 'function' then self._final = opts.final end
    if opts.decodeStrings == true then self._f = bor(self._f, F_DECODE_STRINGS) end
    if opts.defaultEncoding ~= nil then self:setDefaultEncoding(opts.defaultEncoding) end
  end
end

local function afterConstructWritable(self)
  if band(self._f, F_WRITING) == 0 then clearBuffer(self) end
  finishMaybe(self)
end

function Writable:initialize(opts)
  checkInstance(self, Writable, 'Writable')
  checkOptions(opts)
  EventEmitter.initialize(self, nil)
  initCommon(self, opts)
  initWritable(self, opts, false)
  if self._construct ~= nil then construct(self, afterConstructWritable) end
end


local function chunkLength(self, chunk)
  if self.writableObjectMode then return 1 end
  if type(chunk) == 'string' then return #chunk end
  return chunk.length
end

local function needFinish(self)
  return self.writableEnded and not self.destroyed and band(self._f, F_CONSTRUCTING) == 0
    and self.writableLength == 0 and band(self._f, F_ERRORED) == 0
    and (not self._wq or self._wqh > self._wqt)
    and not self.writableFinished and band(self._f, F_WRITING) == 0
    and band(self._f, F_ERROR_EMITTED) == 0 and band(self._f, F_CLOSE_EMITTED) == 0
end

local function finish(self)
  self._pendingcb = self._pendingcb - 1
  self.writableFinished = true
  local cbs = self._onFinished
  if cbs then
    self._onFinished = false
    for i = 1, #cbs do cbs[i]() end
  end
  self:emit('finish')
  if band(self._f, F_NO_AUTO_DESTROY) == 0 then
    if self.readableHighWaterMark == nil or self.readableEnded or self.readable == false then
      self:destroy()
    end
  end
end

local function callOnFinished(self, err)
  local cbs = self._onFinished
  if cbs then
    self._onFinished = false
    for i = 1, #cbs do cbs[i](err) end
  end
end

local function callFinal(self)
  local called = false
  local function onFinish(err)
    if called then
      errorOrDestroy(self, err or ERR_MULTIPLE_CALLBACK())
      return
    end
    called = true
    self._pendingcb = self._pendingcb - 1
    if err ~= nil then
      callOnFinished(self, err)
      errorOrDestroy(self, err, band(self._f, F_WSYNC) ~= 0)
    elseif needFinish(self) then
      self._f = bor(self._f, F_PREFINISHED)
      self:emit('prefinish')
      self._pendingcb = self._pendingcb + 1
      nextTick(finish, self)
    end
  end
  self._f = bor(self._f, F_WSYNC)
  self._pendingcb = self._pendingcb + 1
  local ok, err = pcall(self._final, self, onFinish)
  if not ok then onFinish(err) end
  self._f = band(self._f, -1 - F_WSYNC)
end

local function prefinish(self)
  if band(self._f, F_PREFINISHED) == 0 and band(self._f, F_FINAL_CALLED) == 0 then
    if type(self._final) == 'function' and not self.destroyed then
      self._f = bor(self._f, F_FINAL_CALLED)
      callFinal(self)
    else
      self._f = bor(self._f, F_PREFINISHED)
      self:emit('prefinish')
    end
  end
end

local function finishLater(self)
  if needFinish(self) then finish(self) else self._pendingcb = self._pendingcb - 1 end
end

finishMaybe = function(self, sync)
  if needFinish(self) then
    prefinish(self)
    if self._pendingcb == 0 then
      if sync then
        self._pendingcb = self._pendingcb + 1
        nextTick(finishLater, self)
      elseif needFinish(self) then
        self._pendingcb = self._pendingcb + 1
        finish(self)
      end
    end
  end
end

-- Calls the callback of every buffered write with the error (or
-- ERR_STREAM_DESTROYED), as Node's errorBuffer does.
local function errorBuffer(self)
  if band(self._f, F_WRITING) ~= 0 then return end
  local q = self._wq
  if q then
    local h, t = self._wqh, self._wqt
    self._wqh, self._wqt = 1, 0
    for i = h, t, 3 do
      local chunk, cb = q[i], q[i + 2]
      q[i], q[i + 1], q[i + 2] = nil, nil, nil
      self.writableLength = self.writableLength - chunkLength(self, chunk)
      cb(self.errored or ERR_STREAM_DESTROYED('write'))
    end
  end
  callOnFinished(self, self.errored or ERR_STREAM_DESTROYED('end'))
end

local function afterWrite(self, count, cb)
  if not self.writableEnded and not self.destroyed and self.writableLength == 0
    and self.writableNeedDrain then
    self.writableNeedDrain = false
    self:emit('drain')
  end
  for _ = 1, count do
    self._pendingcb = self._pendingcb - 1
    cb()
  end
  if self.destroyed then errorBuffer(self) end
  finishMaybe(self)
end

-- Synchronous write callbacks run on a later tick; consecutive ones with
-- the same callback share that tick (Node's afterWriteTickInfo).
-- `_awCb`/`_awCount` are the newest pending tick; older ones, still
-- waiting when a write with another callback came, sit in `_awq` as
-- (callback, count) pairs, oldest first, as the ticks run in order.
local function afterWriteTick(self)
  local q = self._awq
  if q and q[1] ~= nil then
    local cb, count = tremove(q, 1), tremove(q, 1)
    afterWrite(self, count, cb)
    return
  end
  local count, cb = self._awCount, self._awCb
  self._awCount, self._awCb = 0, false
  afterWrite(self, count, cb)
end

local function onwriteError(self, er, cb)
  self._pendingcb = self._pendingcb - 1
  cb(er)
  errorBuffer(self)
  errorOrDestroy(self, er)
end

onwrite = function(self, er)
  local sync = band(self._f, F_WSYNC) ~= 0
  local cb = self._wcb
  if type(cb) ~= 'function' then
    errorOrDestroy(self, ERR_MULTIPLE_CALLBACK())
    return
  end
  self._f = band(self._f, -1 - F_WRITING)
  self._wcb = nil
  self.writableLength = self.writableLength - self._wlen
  self._wlen = 0
  if er ~= nil then
    setErrored(self, er)
    if sync then nextTick(onwriteError, self, er, cb) else onwriteError(self, er, cb) end
  else
    if self._wq and self._wqh <= self._wqt then clearBuffer(self) end
    if sync then
      local awcb = self._awCb
      if awcb == cb then
        self._awCount = self._awCount + 1
      else
        if awcb then
          local q = self._awq
          if not q then
            q = {}
            self._awq = q
          end
          q[#q + 1] = awcb
          q[#q + 1] = self._awCount
        end
        self._awCount, self._awCb = 1, cb
        nextTick(afterWriteTick, self)
      end
    else
      afterWrite(self, 1, cb)
    end
  end
end

-- The per-stream callback handed to _write (made once, on first write).
local function makeOnwrite(self)
  return function(er) return onwrite(self, er) end
end

local function getOnwrite(self)
  local f = self._onwrite
  if f == nil then
    f = makeOnwrite(self)
    self._onwrite = f
  end
  return f
end

-- Hands one chunk to _write, or (writev) an array of them to _writev.
local function doWrite(self, writev, len, chunk, encoding, cb)
  self._wlen = len
  self._wcb = cb
  self._f = bor(self._f, F_WRITING + F_WSYNC)
  if self.destroyed then
    getOnwrite(self)(ERR_STREAM_DESTROYED('write'))
  elseif writev then
    self:_writev(chunk, getOnwrite(self))
  else
    self:_write(chunk, encoding, getOnwrite(self))
  end
  self._f = band(self._f, -1 - F_WSYNC)
end

clearBuffer = function(self)
  if self.writableCorked > 0 or self.destroyed
    or band(self._f, F_BUFFER_PROCESSING + F_CONSTRUCTING) ~= 0 then
    return
  end
  local q = self._wq
  if not q then return end
  local h, t = self._wqh, self._wqt
  if h > t then return end
  local count = (t - h + 1) / 3
  self._f = bor(self._f, F_BUFFER_PROCESSING)
  if count > 1 and type(self._writev) == 'function' then
    self._pendingcb = self._pendingcb - (count - 1)
    local chunks, cbs, allNoop = {}, {}, true
    local j = 0
    for i = h, t, 3 do
      j = j + 1
      chunks[j] = { chunk = q[i], encoding = q[i + 1] }
      cbs[j] = q[i + 2]
      if q[i + 2] ~= nop then allNoop = false end
      q[i], q[i + 1], q[i + 2] = nil, nil, nil
    end
    self._wqh, self._wqt = 1, 0
    local callback = nop
    if not allNoop then
      callback = function(err)
        for k = 1, #cbs do cbs[k](err) end
      end
    end
    doWrite(self, true, self.writableLength, chunks, nil, callback)
  else
    local i = h
    repeat
      local chunk, enc, cb = q[i], q[i + 1], q[i + 2]
      q[i], q[i + 1], q[i + 2] = nil, nil, nil
      i = i + 3
      doWrite(self, false, chunkLength(self, chunk), chunk, enc, cb)
    until i > self._wqt or band(self._f, F_WRITING) ~= 0
    local wt = self._wqt
    if i > wt then
      self._wqh, self._wqt = 1, 0
    elseif i >= 96 and i + i > wt then
      self._wqh, self._wqt = 1, compact(q, i, wt)
    else
      self._wqh = i
    end
  end
  self._f = band(self._f, -1 - F_BUFFER_PROCESSING)
end

-- Node's _write(stream, chunk, encoding, cb): returns true, false, or the
-- error given to the callback and 'error' (a write after finish()).
local function writeChunk(self, chunk, encoding, cb)
  if type(encoding) == 'function' then
    cb, encoding = encoding, nil
  elseif cb == nil then
    cb = nop
  elseif type(cb) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('cb', 'of type function', cb), 0)
  end
  if encoding == nil then
    encoding = self._defaultEncoding or 'utf8'
  elseif encoding ~= 'buffer' and not Buffer.isEncoding(encoding) then
    error(errors.ERR_UNKNOWN_ENCODING(encoding), 0)
  end
  if chunk == nil then
    error(ERR_STREAM_NULL_VALUES(), 0)
  elseif not self.writableObjectMode then
    if type(chunk) == 'string' then
      if band(self._f, F_DECODE_STRINGS) ~= 0 then
        chunk = Buffer.from(chunk, encoding)
        encoding = 'buffer'
      end
    elseif istype(BufT, chunk) then
      encoding = 'buffer'
    else
      error(chunkTypeError(chunk), 0)
    end
  end
  local err
  if self.writableEnded then
    err = ERR_STREAM_WRITE_AFTER_END()
  elseif self.destroyed then
    err = ERR_STREAM_DESTROYED('write')
  end
  if err ~= nil then
    nextTick(cb, err)
    errorOrDestroy(self, err, true)
    return err
  end
  self._pendingcb = self._pendingcb + 1
  -- writeOrBuffer
  local len = self.writableObjectMode and 1 or (type(chunk) == 'string' and #chunk or chunk.length)
  local length = self.writableLength + len
  self.writableLength = length
  local ret = length < self.writableHighWaterMark
  if not ret then self.writableNeedDrain = true end
  if self.writableCorked > 0 or band(self._f, F_WRITING + F_ERRORED + F_CONSTRUCTING) ~= 0 then
    local q = self._wq
    if not q then
      q = { false, false, false, false, false, false, false, false, false, false, false, false }
      self._wq, self._wqh, self._wqt = q, 1, 0
    end
    local t = self._wqt
    q[t + 1], q[t + 2], q[t + 3] = chunk, encoding, cb
    self._wqt = t + 3
  else
    self._wlen = len
    self._wcb = cb
    self._f = bor(self._f, F_WRITING)
    self._f = bor(self._f, F_WSYNC)
    self:_write(chunk, encoding, self._onwrite or getOnwrite(self))
    self._f = band(self._f, -1 - F_WSYNC)
  end
  return ret and band(self._f, F_ERRORED) == 0 and not self.destroyed
end

-- write(chunk, [encoding], [cb]): false once writableLength reaches
-- writableHighWaterMark; 'drain' follows when the buffer empties.
function Writable:write(chunk, encoding, cb)
  checkWritable(self)
  return writeChunk(self, chunk, encoding, cb) == true
end

function Writable:_write(chunk, encoding, cb)
  checkWritable(self)
  if type(self._writev) == 'function' then
    self:_writev({ { chunk = chunk, encoding = encoding } }, cb)
  else
    error(ERR_METHOD_NOT_IMPLEMENTED('_write()'), 0)
  end
end

function Writable:cork()
  checkWritable(self)
  self.writableCorked = self.writableCorked + 1
end

function Writable:uncork()
  checkWritable(self)
  if self.writableCorked > 0 then
    self.writableCorked = self.writableCorked - 1
    if band(self._f, F_WRITING) == 0 then clearBuffer(self) end
  end
end

function Writable:setDefaultEncoding(enc)
  checkWritable(self)
  if type(enc) == 'string' then enc = enc:lower() end
  if not Buffer.isEncoding(enc) then error(errors.ERR_UNKNOWN_ENCODING(enc), 0) end
  self._defaultEncoding = enc
  return self
end

-- finish([chunk], [encoding], [cb]): Node's end(). Writes chunk, then
-- 'finish' once every write is done; cb runs at 'finish' or with the error.
function Writable:finish(chunk, encoding, cb)
  checkWritable(self)
  if type(chunk) == 'function' then
    cb, chunk, encoding = chunk, nil, nil
  elseif type(encoding) == 'function' then
    cb, encoding = encoding, nil
  end
  local err
  if chunk ~= nil then
    local ret = writeChunk(self, chunk, encoding)
    if type(ret) == 'table' then err = ret end
  end
  if self.writableCorked > 0 then
    self.writableCorked = 1
    self:uncork()
  end
  if err ~= nil then
    -- Already reported through 'error'.
  elseif band(self._f, F_ERRORED) == 0 and not self.writableEnded then
    self.writableEnded = true
    self.writable = false
    self.writableNeedDrain = false
    finishMaybe(self, true)
    self._f = bor(self._f, F_WENDED)
  elseif self.writableFinished then
    err = ERR_STREAM_ALREADY_FINISHED('end')
  elseif self.destroyed then
    err = ERR_STREAM_DESTROYED('end')
  end
  if type(cb) == 'function' then
    if err ~= nil or self.writableFinished then
      nextTick(cb, err)
    else
      local cbs = self._onFinished
      if not cbs then
        cbs = {}
        self._onFinished = cbs
      end
      cbs[#cbs + 1] = cb
    end
  end
  return self
end
Writable['end'] = Writable.finish

-- A Writable is not a source.
function Writable:pipe()
  checkWritable(self)
  errorOrDestroy(self, ERR_STREAM_CANNOT_PIPE())
end

-- Duplex --------------------------------------------------------------------

local Duplex = Readable:extend('Duplex')
Duplex.__name = 'Duplex'

for k, v in pairs(Writable) do
  if type(v) == 'function' and rawget(Readable, k) == nil and rawget(Stream, k) == nil
    and k ~= 'initialize' then
    Duplex[k] = v
  end
end
Duplex.pipe = Readable.pipe

-- A Duplex is also a Writable, as `duplex instanceof Writable` is true in
-- Node (Symbol.hasInstance there), though its class chain runs through
-- Readable only.
function Duplex:instanceof(cls)
  return cls == Writable or instanceof(self, cls)
end
Duplex['end'] = Writable.finish

function Duplex:initialize(opts)
  checkInstance(self, Duplex, 'Duplex')
  checkOptions(opts)
  EventEmitter.initialize(self, nil)
  initCommon(self, opts)
  initReadable(self, opts, true)
  initWritable(self, opts, true)
  self.allowHalfOpen = true
  if opts ~= nil then
    if opts.allowHalfOpen == false then self.allowHalfOpen = false end
    if opts.readable == false then
      self.readable = false
      self._f = bor(self._f, F_RENDED)
      self.readableEnded = true
    end
    if opts.writable == false then
      self.writable = false
      self.writableEnded = true
      self._f = bor(self._f, F_WENDED)
      self.writableFinished = true
    end
  end
  if self._construct ~= nil then
    construct(self, function(s)
      afterConstructReadable(s)
      afterConstructWritable(s)
    end)
  end
end

-- Transform -------------------------------------------------------------------

local Transform = Duplex:extend('Transform')
Transform.__name = 'Transform'

local function checkTransform(self)
  if type(self) ~= 'table' or self._ontransform == nil then invalidThis('Transform') end
end

local function transformFinal(self, cb)
  checkTransform(self)
  if type(self._flush) == 'function' and not self.destroyed then
    self:_flush(function(er, data)
      if er ~= nil then
        if cb then cb(er) else self:destroy(er) end
        return
      end
      if data ~= nil then self:push(data) end
      self:push(nil)
      if cb then cb() end
    end)
  else
    self:push(nil)
    if cb then cb() end
  end
end

local function transformPrefinish(self)
  if self._final ~= transformFinal then transformFinal(self) end
end

-- The callback handed to _transform, made once per stream: one
-- transform runs at a time, its write callback waits in _tcb.
local function makeOnTransform(self)
  return function(err, val)
    local callback = self._tcb
    if callback == nil then
      errorOrDestroy(self, ERR_MULTIPLE_CALLBACK())
      return
    end
    self._tcb = nil
    if err ~= nil then
      callback(err)
      return
    end
    if val ~= nil then self:push(val) end
    if band(self._f, F_WENDED) ~= 0 or self._tlen == self.readableLength
      or self.readableLength < self.readableHighWaterMark then
      callback()
    else
      self._tpending = callback
    end
  end
end

function Transform:initialize(opts)
  checkInstance(self, Transform, 'Transform')
  Duplex.initialize(self, opts)
  self._f = band(self._f, -1 - F_RSYNC)
  if opts ~= nil then
    if type(opts.transform) == 'function' then self._transform = opts.transform end
    if type(opts.flush) == 'function' then self._flush = opts.flush end
  end
  self._ontransform = makeOnTransform(self)
  if self._final ~= transformFinal then
    self:on('prefinish', function() transformPrefinish(self) end)
  end
end

Transform._final = transformFinal

function Transform:_transform()
  checkTransform(self)
  error(ERR_METHOD_NOT_IMPLEMENTED('_transform()'), 0)
end

function Transform:_write(chunk, encoding, callback)
  checkTransform(self)
  self._tlen = self.readableLength
  self._tcb = callback
  self:_transform(chunk, encoding, self._ontransform)
end

function Transform:_read()
  checkTransform(self)
  local callback = self._tpending
  if callback then
    self._tpending = false
    callback()
  end
end

local PassThrough = Transform:extend('PassThrough')
PassThrough.__name = 'PassThrough'

function PassThrough:_transform(chunk, encoding, cb)
  checkTransform(self)
  errors.checkFunction(cb, 'callback')
  cb(nil, chunk)
end

-- finished and pipeline ------------------------------------------------------

local function isReadableStream(s)
  return type(s) == 'table' and s.readableHighWaterMark ~= nil and type(s.read) == 'function'
end
local function isWritableStream(s)
  return type(s) == 'table' and s.writableHighWaterMark ~= nil and type(s.write) == 'function'
end
local function isStream(s)
  return type(s) == 'table' and (isReadableStream(s) or isWritableStream(s)
    or (type(s.on) == 'function' and type(s.pipe) == 'function'))
end

local function willEmitClose(s)
  return band(s._f or 0, F_NO_AUTO_DESTROY + F_NO_EMIT_CLOSE) == 0 and s.closed == false
end

-- finished(stream, [opts], cb): cb(err) once the stream has ended,
-- finished, errored or closed too early (ERR_STREAM_PREMATURE_CLOSE).
-- opts.readable / opts.writable say which sides to wait for; opts.error
-- = false ignores 'error'. Returns a function that removes the listeners.
local function finished(stream, opts, callback)
  if type(opts) == 'function' then callback, opts = opts, nil end
  checkOptions(opts)
  errors.checkFunction(callback, 'callback')
  if not isStream(stream) then
    error(errors.ERR_INVALID_ARG_TYPE('stream', 'an instance of Stream', stream), 0)
  end
  opts = opts or {}
  local done = false
  local function cb(err)
    if done then return end
    done = true
    callback(err)
  end
  local readable = opts.readable
  if readable == nil then readable = isReadableStream(stream) end
  local writable = opts.writable
  if writable == nil then writable = isWritableStream(stream) end
  local hasR, hasW = stream.readableHighWaterMark ~= nil, stream.writableHighWaterMark ~= nil
  local emitsClose = willEmitClose(stream) and hasR == readable and hasW == writable

  local writableFinished = stream.writableFinished == true
  local readableFinished = stream.readableEnded == true

  local function onfinish()
    writableFinished = true
    if stream.destroyed then emitsClose = false end
    if emitsClose and (not stream.readable or readable) then return end
    if not readable or readableFinished then cb() end
  end
  local function onend()
    readableFinished = true
    if stream.destroyed then emitsClose = false end
    if emitsClose and (not stream.writable or writable) then return end
    if not writable or writableFinished then cb() end
  end
  local function onerror(err) cb(err) end
  local function onclose()
    local errored = stream.errored
    if errored ~= nil then return cb(errored) end
    -- Node's isReadableFinished / isWritableFinished, not strict: ended
    -- with nothing left buffered counts too.
    local f = stream._f or 0
    if readable and not readableFinished and hasR then
      if not (stream.readableEnded or band(f, F_RENDED) ~= 0 and stream.readableLength == 0) then
        return cb(ERR_STREAM_PREMATURE_CLOSE())
      end
    end
    if writable and not writableFinished then
      if not (stream.writableFinished or band(f, F_WENDED) ~= 0 and stream.writableLength == 0) then
        return cb(ERR_STREAM_PREMATURE_CLOSE())
      end
    end
    cb()
  end
  stream:on('end', onend)
  stream:on('finish', onfinish)
  if opts.error ~= false then stream:on('error', onerror) end
  stream:on('close', onclose)
  if stream.closed == true then
    nextTick(onclose)
  elseif band(stream._f or 0, F_ERROR_EMITTED) ~= 0 then
    if not emitsClose then nextTick(onclose) end
  elseif not readable and (not emitsClose or stream.readable) and
    (writableFinished or stream.writable == false) then
    nextTick(onclose)
  elseif not writable and (not emitsClose or stream.writable) and
    (readableFinished or stream.readable == false) then
    nextTick(onclose)
  end
  return function()
    done = true
    stream:removeListener('end', onend)
    stream:removeListener('finish', onfinish)
    stream:removeListener('error', onerror)
    stream:removeListener('close', onclose)
  end
end

-- pipeline(s1, s2, ..., cb) or pipeline({s1, s2, ...}, cb): pipes each
-- stream into the next; on the first error every stream is destroyed.
-- cb(err) runs once, after all of them are done. Returns the last stream.
local function pipeline(...)
  local n = select('#', ...)
  local args = { ... }
  local callback = args[n]
  errors.checkFunction(callback, 'callback')
  local streams = args
  if n == 2 and type(args[1]) == 'table' and not isStream(args[1]) then
    streams = args[1]
    n = #streams + 1
  end
  local count = n - 1
  if count < 2 then error(errors.ERR_MISSING_ARGS('streams'), 0) end
  for i = 1, count do
    if not isStream(streams[i]) then
      error(errors.ERR_INVALID_ARG_TYPE('streams[' .. (i - 1) .. ']', 'an instance of Stream',
        streams[i]), 0)
    end
  end

  local firstError
  local destroys = {}
  local finishCount = 0
  local function finishImpl(err, final)
    if err ~= nil and (firstError == nil or firstError.code == 'ERR_STREAM_PREMATURE_CLOSE') then
      firstError = err
    end
    if firstError == nil and not final then return end
    while #destroys > 0 do table.remove(destroys, 1)(firstError) end
    if final then nextTick(callback, firstError) end
  end
  local function fin(err)
    finishCount = finishCount - 1
    finishImpl(err, finishCount == 0)
  end

  for i = 1, count do
    local s = streams[i]
    local reading, writing = i < count, i > 1
    -- Errors after the pipe has completed still reach the callback.
    s:on('error', function(err)
      if err ~= nil and err.code ~= 'ERR_STREAM_PREMATURE_CLOSE' then fin(err) end
    end)
    local closedOk = false
    s:on('close', function() closedOk = true end)
    finished(s, { readable = reading, writable = writing }, function(err) closedOk = err == nil end)
    destroys[#destroys + 1] = function(err)
      if closedOk then return end
      closedOk = true
      s:destroy(err or ERR_STREAM_DESTROYED('pipe'))
    end
    if i > 1 then
      local src = streams[i - 1]
      finishCount = finishCount + 2
      local ended = false
      s:on('close', function()
        if not ended then fin(ERR_STREAM_PREMATURE_CLOSE()) end
      end)
      src:pipe(s, { ['end'] = false })
      local function endFn()
        ended = true
        s:finish()
      end
      if src.readableEnded then nextTick(endFn) else src:once('end', endFn) end
      finished(src, { readable = true, writable = false }, function(err)
        if err ~= nil and err.code == 'ERR_STREAM_PREMATURE_CLOSE' and band(src._f or 0, F_RENDED) ~= 0
          and src.errored == nil and band(src._f or 0, F_ERROR_EMITTED) == 0 then
          src:once('end', fin):once('error', fin)
        else
          fin(err)
        end
      end)
      finished(s, { readable = false, writable = true }, fin)
    end
  end
  return streams[count]
end

-- The private fields that are not flags (those live in `_f`) start out
-- on the class tables: an object gets its own slot only for a field that
-- is ever set, and reading an unset one stops one table up instead of
-- walking the whole class chain (which a nil field would do).
local defaults = {
  _f = 0, _decoder = false, _adw = false, _defaultEncoding = false, _onFinished = false,
  _awCb = false, _awCount = 0, _awq = false, _tpending = false, readableDidRead = false,
  _rq = false, _rqh = 1, _rqt = 0, _wq = false, _wqh = 1, _wqt = 0, _fromKind = false,
}
for _, cls in ipairs({ Stream, Readable, Writable, Duplex, Transform, PassThrough }) do
  for k, v in pairs(defaults) do cls[k] = v end
end

-- Every inherited method is copied into each built-in class, so a method
-- call on a stream finds its function in the first table it looks in (a
-- subclass of the user's adds one step), not at the end of a chain of
-- seven (Transform, Duplex, Readable, Stream, EventEmitter's two, Object).
local function flatten(cls)
  local parent = getmetatable(cls)
  while parent ~= nil do
    local source = rawget(parent, '__index')
    if type(source) ~= 'table' then break end
    for k, v in pairs(source) do
      if type(v) == 'function' and rawget(cls, k) == nil then cls[k] = v end
    end
    parent = getmetatable(source)
  end
end
for _, cls in ipairs({ Stream, Readable, Writable, Duplex, Transform, PassThrough }) do
  flatten(cls)
end

-- LuaJIT compiles the call of a closure as a check of that very closure
-- until three closures of its prototype exist; after that it checks the
-- prototype only. A stream's callbacks are closures made per stream, so
-- the traces compiled for the first streams of a program would fail their
-- checks for every later one (the second pipeline of the benchmark ran 4
-- times slower than the first). Making three of each here marks them
-- polymorphic from the start.
for _ = 1, 3 do
  makeOnwrite(false)
  makeOnTransform(false)
  pipeListeners(false, false)
  pipeOnDrain(false, false)
end

-- Exports -------------------------------------------------------------------

Stream.Stream = Stream
Stream.Readable = Readable
Stream.Writable = Writable
Stream.Duplex = Duplex
Stream.Transform = Transform
Stream.PassThrough = PassThrough
Stream.pipeline = pipeline
Stream.finished = finished
Stream.getDefaultHighWaterMark = function(objectMode)
  if objectMode then return DEFAULT_OBJECT_HWM end
  return DEFAULT_HWM
end

return Stream
