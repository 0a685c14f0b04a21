-- net: TCP and unix domain sockets, Node's lib/net.js over modules/tcp.c
-- and modules/pipe.c (the shared stream methods are modules/stream.c).
--
-- A Socket is kept small because a server holds tens of thousands of
-- them: an idle one is its table, the handle's userdata and environment,
-- and the libuv handle. Its state is one integer of flags; the tables it
-- may need (queued writes before connect, callbacks of writes libuv still
-- holds, data read while paused, a timeout) are made the first time they
-- are needed. The hot path (onread -> 'data'; write -> uv_try_write)
-- makes no closure and no table per message: the handle's callbacks are
-- made once per socket, and a write that goes out at once returns 0.
local require, binding = ...

local bit = require('bit')
local EventEmitter = require('events')
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local timers = require('timers')
local Buffer = require('buffer').Buffer
local tcp = binding('tcp')
local pipe = binding('pipe')
local codes = tcp.codes

local band, bor, bnot = bit.band, bit.bor, bit.bnot
local type, tostring, error, rawget, rawset, select = type, tostring, error, rawget, rawset, select
local setmetatable, tonumber, floor = setmetatable, tonumber, math.floor
local nextTick = ticks.nextTick
local proto = EventEmitter.prototype
local emit = EventEmitter.emit

local EOF = codes.EOF
local HWM = 16384

-- Flags of Socket._sf.
local CONNECTING = 1
local CONNECTED = 2     -- the handle is connected (or was accepted)
local FLOWING = 4       -- 'data' listeners take the bytes as they come
local PAUSED = 8        -- pause() was called: on('data') does not resume
local READ_ENDED = 16   -- EOF seen
local ENDED = 32        -- finish() was called
local FINISHED = 64     -- the writing side is shut down ('finish' emitted)
local DESTROYED = 128
local HALF_OPEN = 256   -- allowHalfOpen
local NEED_DRAIN = 512
local READING = 1024    -- readStart is in effect
local BUFFERS = 2048    -- 'data' gives Buffers
local END_EMITTED = 4096
local SHUTDOWN = 8192   -- a shutdown request is in flight
local UNREF = 16384     -- unref() before the handle existed
local NO_DELAY = 32768
local READABLE_OFF = 65536
local WRITABLE_OFF = 131072
local ERRORED = 262144  -- destroyed with an error: 'close' says so
local CLOSED = 524288   -- 'close' was emitted

local function has(s, f) return band(s._sf, f) ~= 0 end
local function set(s, f) s._sf = bor(s._sf, f) end
local function clear(s, f) s._sf = band(s._sf, bnot(f)) end

-- isIP ------------------------------------------------------------------------

local function isIPv4(s)
  if type(s) ~= 'string' then return false end
  local a, b, c, d = s:match('^(%d+)%.(%d+)%.(%d+)%.(%d+)$')
  if not a then return false end
  for _, p in ipairs({ a, b, c, d }) do
    if #p > 1 and p:sub(1, 1) == '0' then return false end
    if tonumber(p) > 255 then return false end
  end
  return true
end

local function isIPv6(s)
  if type(s) ~= 'string' or #s < 2 or #s > 45 + 16 then return false end
  local addr = s:match('^([^%%]+)%%[%w%.%-_]+$') or s
  if addr:find('[^%x:%.]') then return false end
  local head, tail4 = addr, nil
  local last = addr:match('([^:]*)$')
  if last:find('%.') then
    if not isIPv4(last) then return false end
    head = addr:sub(1, #addr - #last)
    if head:sub(-2) ~= '::' then head = head:sub(1, -2) end
    tail4 = true
  end
  local groups, dbl = 0, 0
  if head == '' then return false end
  local i, n = 1, #head
  if head:sub(1, 2) == '::' then dbl = 1; i = 3 end
  while i <= n do
    local g = head:match('^%x+', i)
    if not g or #g > 4 then return false end
    groups = groups + 1
    i = i + #g
    if i <= n then
      if head:sub(i, i + 1) == '::' then
        if dbl > 0 then return false end
        dbl = 1; i = i + 2
      elseif head:sub(i, i) == ':' then
        i = i + 1
        if i > n then return false end
      else
        return false
      end
    end
  end
  if tail4 then groups = groups + 2 end
  if dbl > 0 then return groups < 8 end
  return groups == 8
end

local function isIP(s)
  if isIPv4(s) then return 4 end
  if isIPv6(s) then return 6 end
  return 0
end

-- Ports -------------------------------------------------------------------------

local function checkPort(port, name)
  local p = port
  if type(p) == 'string' and p:match('^%s*%d+%s*$') then p = tonumber(p) end
  if type(p) ~= 'number' or p ~= p or p % 1 ~= 0 or p < 0 or p > 65535 then
    error(errors.ERR_SOCKET_BAD_PORT(name or 'Port', port), 0)
  end
  return p
end

-- Socket --------------------------------------------------------------------------

-- A Socket is a stream.Duplex (instanceof, pipe, pipeline and finished
-- work with it), but keeps its own state and methods: Duplex's state is a
-- few dozen fields per stream, and an idle socket must stay under 1 KiB.
-- What Duplex would do with its own fields is overridden below.
local Duplex = require('stream').Duplex
local Socket = Duplex:extend('Socket')
local getters = {}
local hiddenSocket -- see Self checks

-- The server of an accepted socket is its field _srv: an idle accepted
-- socket then has four fields (_sf, _handle, _events, _srv), which fit a
-- hash part of four slots, and no entry in a weak table of the module.
function getters.server(s) return rawget(s, '_srv') end

-- Fields are read through getters (remoteAddress, bytesRead, ...) after
-- the methods: a method lookup costs one table read, as before.
function Socket.__index(t, k)
  local v = Socket[k]
  if v ~= nil then return v end
  local g = getters[k]
  if g then return g(t) end
  return hiddenSocket[k]
end

-- The socket owns its handle: C calls its methods _onread, _onwrite and
-- _onclose, so a socket costs no closure and no table of callbacks.
local function attach(self, h)
  self._handle = h
  h:setowner(self)
  if has(self, UNREF) then h:ref(false) end
end

function Socket:initialize(options)
  EventEmitter.initialize(self)
  local f = 0
  if options ~= nil then
    if type(options) ~= 'table' then
      error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', options), 0)
    end
    if options.allowHalfOpen then f = bor(f, HALF_OPEN) end
    if options.buffers then f = bor(f, BUFFERS) end
    if options.readable == false then f = bor(f, READABLE_OFF) end
    if options.writable == false then f = bor(f, WRITABLE_OFF) end
    if options.noDelay ~= nil and not options.noDelay then f = bor(f, 0) else f = bor(f, NO_DELAY) end
    if options.encoding then self._enc = options.encoding end
  else
    f = NO_DELAY
  end
  self._sf = f
  if options ~= nil then
    if options.handle then
      attach(self, options.handle)
      set(self, CONNECTED)
    elseif options.fd ~= nil then
      errors.checkInteger(options.fd, 'options.fd', 0, 2147483647)
      local kind = binding('tty').guess(options.fd)
      local h
      if kind == 'tcp' then
        h = tcp.new(); h:open(options.fd)
      else
        h = pipe.new(false); h:open(options.fd)
      end
      attach(self, h)
      set(self, CONNECTED)
    end
    if options.timeout then self:setTimeout(options.timeout) end
  end
end

local function destroy(self, err)
  if has(self, DESTROYED) then return self end
  set(self, DESTROYED)
  local t = rawget(self, '_timer')
  if t then t:close(); self._timer = nil end
  local h = rawget(self, '_handle')
  local hadError = err ~= nil
  if err ~= nil then
    set(self, ERRORED)
    self._err = err
    nextTick(self._emitError, self, err)
  end
  if h then
    if rawget(self, '_reset') then h:reset(true) else h:close(true) end
    local srv = rawget(self, '_srv')
    if srv then self._srv = nil; srv:_dropped() end
  else
    nextTick(function()
      set(self, CLOSED)
      emit(self, 'close', hadError)
      local tap = rawget(self, '_tap')
      if tap then tap('close', hadError) end
    end)
  end
  -- Callbacks of writes still in flight hear of the end.
  local q = rawget(self, '_sw')
  if q then
    local e = errors.ERR_STREAM_DESTROYED('write')
    for i = q.head, q.tail do
      local cb = q[i]
      if cb then nextTick(cb, e) end
      q[i] = nil
    end
    q.head, q.tail = 1, 0
  end
  return self
end

function Socket:destroy(err)
  return destroy(self, err)
end

-- resetAndDestroy(): closes with a RST. A socket with no handle yet is
-- destroyed with ERR_SOCKET_CLOSED, as in Node, when it has 'error'
-- listeners to hear it (else quietly: a script's stray call is no crash).
function Socket:resetAndDestroy()
  local h = rawget(self, '_handle')
  if h then
    if not h.reset then
      error(errors.new('TypeError', 'ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent'), 0)
    end
    self._reset = true
    if has(self, CONNECTING) then
      self:once('connect', function() destroy(self) end)
      return self
    end
    return destroy(self)
  end
  if self:listenerCount('error') > 0 then
    return destroy(self, errors.new('Error', 'ERR_SOCKET_CLOSED', 'Socket is closed'))
  end
  return destroy(self)
end

-- Reading ----------------------------------------------------------------------

local function touch(self)
  local t = rawget(self, '_timer')
  if t then t:refresh() end
end

local function decode(self, data)
  local enc = rawget(self, '_enc')
  if enc == nil then
    if has(self, BUFFERS) then return Buffer.from(data) end
    return data
  end
  if enc == 'utf8' or enc == 'utf-8' then
    -- A character cut at the end of a read waits for the next one.
    local held = rawget(self, '_held')
    if held then data = held .. data; self._held = nil end
    local n = #data
    local i = n
    while i > 0 and i > n - 4 do
      local b = data:byte(i)
      if b < 0x80 then break end
      if b >= 0xC0 then
        local need = b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
        if n - i + 1 < need then
          self._held = data:sub(i)
          data = data:sub(1, i - 1)
        end
        break
      end
      i = i - 1
    end
    return data
  end
  return Buffer.from(data):toString(enc)
end

local function emitEnd(self)
  if has(self, END_EMITTED) then return end
  set(self, END_EMITTED)
  emit(self, 'end')
  local tap = rawget(self, '_tap')
  if tap then tap('end') end
  if has(self, DESTROYED) then return end
  if not has(self, HALF_OPEN) then
    if not has(self, ENDED) then self:finish() end
  end
  if has(self, FINISHED) then destroy(self) end
end

function Socket:_onclose()
  set(self, CLOSED)
  emit(self, 'close', has(self, ERRORED))
  local tap = rawget(self, '_tap')
  if tap then tap('close', has(self, ERRORED)) end
end

function Socket:_onread(data, errno)
  if data then
    self._br = (rawget(self, '_br') or 0) + #data
    if rawget(self, '_timer') then touch(self) end
    if band(self._sf, FLOWING) ~= 0 then
      local enc = rawget(self, '_enc')
      if enc ~= nil or band(self._sf, BUFFERS) ~= 0 then data = decode(self, data) end
      -- A socket in a coro loop has its tap and often no listener at all.
      if rawget(self, '_events') then emit(self, 'data', data) end
      local tap = rawget(self, '_tap')
      if tap then tap('data', data) end
      return
    end
    -- Not flowing: kept until resume(), reading stops past the mark.
    local q = rawget(self, '_pq')
    if not q then q = { n = 0, size = 0 }; self._pq = q end
    q.n = q.n + 1
    q[q.n] = data
    q.size = q.size + #data
    if q.size >= HWM then
      clear(self, READING)
      self._handle:readStop()
    end
    return
  end
  clear(self, READING)
  -- A socket destroyed meanwhile (by whoever read the bytes) is done.
  if has(self, DESTROYED) then return end
  if errno == EOF then
    set(self, READ_ENDED)
    self._handle:readStop()
    -- As in Node, 'end' comes at once when nothing read waits, flowing or
    -- not; else once what waits is taken (resume, or read()).
    if not rawget(self, '_pq') then emitEnd(self) end
    return
  end
  destroy(self, errors.errnoException(errno, 'read'))
end

local function startReading(self)
  if band(self._sf, READING + READ_ENDED + DESTROYED + READABLE_OFF) ~= 0 or not has(self, CONNECTED) then return end
  set(self, READING)
  self._handle:readStart()
end

-- Hands the data read while paused to 'data' listeners, then reads on.
local function flush(self)
  local q = rawget(self, '_pq')
  if q then
    self._pq = nil
    for i = 1, q.n do
      if not has(self, FLOWING) or has(self, DESTROYED) then
        -- Paused again by a listener: keep the rest.
        local rest = { n = 0, size = 0 }
        for j = i, q.n do rest.n = rest.n + 1; rest[rest.n] = q[j]; rest.size = rest.size + #q[j] end
        self._pq = rest
        return
      end
      local chunk = decode(self, q[i])
      emit(self, 'data', chunk)
      local tap = rawget(self, '_tap')
      if tap then tap('data', chunk) end
    end
  end
  if has(self, READ_ENDED) then emitEnd(self) else startReading(self) end
end

function Socket:resume()
  clear(self, PAUSED)
  if not has(self, FLOWING) then
    set(self, FLOWING)
    if rawget(self, '_pq') or has(self, READ_ENDED) then nextTick(flush, self) else startReading(self) end
  end
  return self
end

-- pause(): 'data' stops; bytes read on are kept until the high-water
-- mark, then reading stops (as Node's paused Readable does).
function Socket:pause()
  set(self, PAUSED)
  clear(self, FLOWING)
  return self
end

function Socket:isPaused()
  return has(self, PAUSED)
end

function Socket:on(name, listener)
  proto.on(self, name, listener)
  if name == 'data' and not has(self, PAUSED) then self:resume() end
  return self
end
Socket.addListener = Socket.on

function Socket:once(name, listener)
  proto.once(self, name, listener)
  if name == 'data' and not has(self, PAUSED) then self:resume() end
  return self
end

function Socket:setEncoding(enc)
  if enc ~= nil and not Buffer.isEncoding(enc) then error(errors.ERR_UNKNOWN_ENCODING(enc), 0) end
  self._enc = enc
  return self
end

-- pipe(dest[, {end}]): the bytes of this socket into a writable, with
-- backpressure; dest:finish() at 'end' unless end = false. (Readable's
-- pipe reads Readable's own state, which a socket does not keep.)
function Socket:pipe(dest, opts)
  if type(opts) ~= 'nil' then errors.checkTable(opts, 'options') end
  if type(dest) ~= 'table' or type(dest.write) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('destination', 'a writable stream', dest), 0)
  end
  self:on('data', function(chunk)
    if dest:write(chunk) == false then
      self:pause()
      dest:once('drain', function() self:resume() end)
    end
  end)
  if not (opts and opts['end'] == false) then
    self:once('end', function() dest:finish() end)
  end
  dest:emit('pipe', self)
  return dest
end

function Socket:unpipe()
  self:removeAllListeners('data')
  return self
end

-- Listeners are EventEmitter's own (Readable's versions keep fields this
-- socket does not have).
Socket.removeListener = proto.removeListener
Socket.off = proto.removeListener
Socket.removeAllListeners = proto.removeAllListeners

function Socket:prependListener(name, listener)
  proto.prependListener(self, name, listener)
  if name == 'data' and not has(self, PAUSED) then self:resume() end
  return self
end

-- read(): what was read while paused, as one chunk, or nil.
function Socket:read()
  local q = rawget(self, '_pq')
  if not q then
    if has(self, READ_ENDED) then nextTick(emitEnd, self) end
    return nil
  end
  self._pq = nil
  local parts = {}
  for i = 1, q.n do parts[i] = q[i] end
  if not has(self, READ_ENDED) then startReading(self) end
  return decode(self, table.concat(parts))
end

-- unshift(chunk): puts bytes back in front of what is read next.
function Socket:unshift(chunk)
  if Buffer.isBuffer(chunk) then chunk = chunk:toString('latin1') end
  if type(chunk) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('chunk', 'of type string or an instance of Buffer', chunk), 0)
  end
  local q = rawget(self, '_pq')
  if not q then q = { n = 0, size = 0 }; self._pq = q end
  for i = q.n, 1, -1 do q[i + 1] = q[i] end
  q[1] = chunk
  q.n = q.n + 1
  q.size = q.size + #chunk
  if has(self, FLOWING) then nextTick(flush, self) end
end

-- A socket's bytes come from its handle, not from push().
function Socket:push()
  error(errors.new('Error', 'ERR_METHOD_NOT_IMPLEMENTED', 'The push() method is not implemented'), 0)
end

function Socket:setDefaultEncoding(enc)
  if not Buffer.isEncoding(enc) then error(errors.ERR_UNKNOWN_ENCODING(enc), 0) end
  self._denc = enc
  return self
end

-- Writing ----------------------------------------------------------------------

local function pushCb(self, cb)
  local q = rawget(self, '_sw')
  if not q then q = { head = 1, tail = 0 }; self._sw = q end
  q.tail = q.tail + 1
  q[q.tail] = cb or false
end

local function doShutdown(self)
  if has(self, SHUTDOWN + FINISHED + DESTROYED) then return end
  set(self, SHUTDOWN)
  local ok, errno = self._handle:shutdown(function(status)
    clear(self, SHUTDOWN)
    if has(self, DESTROYED) then return end
    set(self, FINISHED)
    emit(self, 'finish')
    if status < 0 and status ~= codes.ENOTCONN then
      return destroy(self, errors.errnoException(status, 'shutdown'))
    end
    if has(self, READ_ENDED) or has(self, READABLE_OFF) then destroy(self) end
  end)
  if not ok then
    clear(self, SHUTDOWN)
    nextTick(destroy, self, errors.errnoException(errno, 'shutdown'))
  end
end

function Socket:_onwrite(status, n)
  self._pending = self._pending - n
  local q = self._sw
  local cb = q[q.head]
  q[q.head] = nil
  q.head = q.head + 1
  if status < 0 then
    local e = errors.errnoException(status, 'write')
    if cb then cb(e) end
    return destroy(self, e)
  end
  if cb then cb() end
  if self._pending == 0 then
    if has(self, NEED_DRAIN) then
      clear(self, NEED_DRAIN)
      emit(self, 'drain')
    end
    if has(self, ENDED) then doShutdown(self) end
  end
end

local function writeError(self, e, cb)
  if cb then nextTick(cb, e) end
  if e.code ~= 'ERR_STREAM_DESTROYED' then nextTick(function() self:destroy(e) end) end
  return false
end

local function checkChunk(data, enc)
  local td = type(data)
  if td == 'string' then
    if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' then return Buffer.from(data, enc) end
    return data
  end
  if Buffer.isBuffer(data) then return data end
  error(errors.ERR_INVALID_ARG_TYPE('chunk', 'of type string or an instance of Buffer or Uint8Array', data), 0)
end

-- Sends one chunk on a connected handle; true while under the mark.
local function send(self, data, cb)
  local h = self._handle
  local left, errno = h:write(data)
  if left == nil then
    return writeError(self, errors.errnoException(errno, 'write'), cb)
  end
  self._bw = (rawget(self, '_bw') or 0) + #data
  if left == 0 then
    if cb then nextTick(cb) end
    return true
  end
  local pending = (rawget(self, '_pending') or 0) + left
  self._pending = pending
  pushCb(self, cb)
  if pending >= HWM then
    set(self, NEED_DRAIN)
    return false
  end
  return true
end

function Socket:write(data, enc, cb)
  if type(enc) == 'function' then cb, enc = enc, nil end
  if enc == nil then enc = rawget(self, '_denc') end
  if data == nil then error(errors.new('TypeError', 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream'), 0) end
  data = checkChunk(data, enc)
  if cb ~= nil and type(cb) ~= 'function' then errors.checkFunction(cb, 'cb') end
  local f = self._sf
  if band(f, DESTROYED) ~= 0 then return writeError(self, errors.ERR_STREAM_DESTROYED('write'), cb) end
  if band(f, ENDED) ~= 0 then return writeError(self, errors.ERR_STREAM_WRITE_AFTER_END(), cb) end
  if rawget(self, '_timer') then touch(self) end
  if band(f, CONNECTED) ~= 0 and band(f, CONNECTING) == 0 then return send(self, data, cb) end
  -- Not connected yet: kept in order and sent on 'connect'.
  local w = rawget(self, '_early')
  if not w then w = { n = 0, size = 0 }; self._early = w end
  w.n = w.n + 1
  w[w.n] = data
  w[-w.n] = cb or false
  w.size = w.size + #data
  if w.size >= HWM then set(self, NEED_DRAIN) return false end
  return true
end

function Socket:finish(data, enc, cb)
  if type(data) == 'function' then cb, data, enc = data, nil, nil end
  if type(enc) == 'function' then cb, enc = enc, nil end
  if data ~= nil then self:write(data, enc) end
  if cb then
    if has(self, FINISHED) then nextTick(cb) else self:once('finish', cb) end
  end
  if has(self, ENDED + DESTROYED) then return self end
  set(self, ENDED)
  if has(self, CONNECTED) and not has(self, CONNECTING) and (rawget(self, '_pending') or 0) == 0 then
    doShutdown(self)
  end
  return self
end
Socket['end'] = Socket.finish

function Socket:destroySoon()
  if not has(self, ENDED) then self:finish() end
  if has(self, FINISHED) then destroy(self) else self:once('finish', function() destroy(self) end) end
end

function Socket:cork() end
function Socket:uncork() end

-- Connecting -------------------------------------------------------------------

local function afterConnect(self, status, host, port)
  if has(self, DESTROYED) then return end
  clear(self, CONNECTING)
  if status < 0 then
    self._pendingDest = nil
    return destroy(self, errors.errnoException(status, 'connect', host, port))
  end
  set(self, CONNECTED)
  local h = self._handle
  if has(self, NO_DELAY) and h.nodelay then h:nodelay(true) end
  local ka = rawget(self, '_ka')
  if ka and h.keepalive then h:keepalive(true, ka) end
  local w = rawget(self, '_early')
  if w then
    self._early = nil
    for i = 1, w.n do
      if has(self, DESTROYED) then break end
      send(self, w[i], w[-i] or nil)
    end
    if has(self, NEED_DRAIN) and (rawget(self, '_pending') or 0) < HWM then
      clear(self, NEED_DRAIN)
      nextTick(emit, self, 'drain')
    end
  end
  emit(self, 'connect')
  emit(self, 'ready')
  if has(self, DESTROYED) then return end
  startReading(self)
  if has(self, ENDED) and (rawget(self, '_pending') or 0) == 0 then doShutdown(self) end
end

local function connectTo(self, ip, port, opts)
  local h = tcp.new()
  attach(self, h)
  local la = opts and opts.localAddress
  if la or (opts and opts.localPort) then
    local ok, errno = h:bind(la or (isIPv6(ip) and '::' or '0.0.0.0'), opts.localPort or 0)
    if not ok then
      return nextTick(destroy, self, errors.errnoException(errno, 'bind', la, opts.localPort))
    end
  end
  local ok, errno = h:connect(ip, port, function(status) afterConnect(self, status, ip, port) end)
  if not ok then
    return nextTick(destroy, self, errors.errnoException(errno, 'connect', ip, port))
  end
end

-- Normalizes connect's arguments to (options, cb), as Node does.
local function normalize(a, b, c)
  local opts, cb
  if type(a) == 'table' then
    opts, cb = a, b
  elseif type(a) == 'string' and not tonumber(a) then
    opts, cb = { path = a }, b
  else
    opts = { port = a }
    if type(b) == 'function' then cb = b else opts.host, cb = b, c end
  end
  if cb ~= nil then errors.checkFunction(cb, 'connectListener') end
  return opts, cb
end

function Socket:connect(a, b, c)
  local opts, cb = normalize(a, b, c)
  if has(self, DESTROYED) then
    error(errors.new('Error', 'ERR_SOCKET_CLOSED', 'Socket is closed'), 0)
  end
  if has(self, CONNECTING) then
    error(errors.new('Error', 'ERR_SOCKET_CONNECTING', 'Socket is already connecting'), 0)
  end
  if opts.path ~= nil then
    errors.checkString(opts.path, 'options.path')
  else
    if opts.port == nil then
      error(errors.ERR_MISSING_ARGS('options", "port", or "path'), 0)
    end
    if type(opts.port) ~= 'number' and type(opts.port) ~= 'string' then
      error(errors.ERR_INVALID_ARG_TYPE('options.port', 'of type number or string', opts.port), 0)
    end
    opts.port = checkPort(opts.port)
    -- family: the IP version a name is looked up for (Node's names too).
    local fam = opts.family
    if fam == 'IPv4' then fam = 4 elseif fam == 'IPv6' then fam = 6 end
    if fam ~= nil and fam ~= 0 and fam ~= 4 and fam ~= 6 then
      error(errors.new('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.family' must be one of: 0, 4, 6. Received " .. tostring(opts.family)), 0)
    end
    opts.family = fam
    if type(opts.host) ~= 'nil' then errors.checkString(opts.host, 'options.host') end
    if opts.localPort ~= nil then checkPort(opts.localPort, 'options.localPort') end
  end
  if opts.noDelay == false then clear(self, NO_DELAY) end
  if opts.keepAlive then
    self._ka = floor((opts.keepAliveInitialDelay or 0) / 1000)
  end
  if opts.allowHalfOpen then set(self, HALF_OPEN) end
  if opts.timeout then self:setTimeout(opts.timeout) end
  if cb then self:once('connect', cb) end
  set(self, CONNECTING)
  if opts.path then
    local h = pipe.new(false)
    attach(self, h)
    local path = opts.path
    h:connect(path, function(status)
      if status < 0 then
        if has(self, DESTROYED) then return end
        clear(self, CONNECTING)
        return destroy(self, errors.errnoException(status, 'connect', path))
      end
      afterConnect(self, status)
    end)
    return self
  end
  local host = opts.host or 'localhost'
  local port = opts.port
  if host == 'localhost' then host = opts.family == 6 and '::1' or '127.0.0.1' end
  if isIP(host) ~= 0 then
    connectTo(self, host, port, opts)
    return self
  end
  local ok, dns = pcall(require, 'dns')
  if not ok then
    nextTick(destroy, self, errors.new('Error', 'ENOTFOUND', 'getaddrinfo ENOTFOUND ' .. host))
    return self
  end
  dns.lookup(host, { family = opts.family, hints = opts.hints }, function(err, address, family)
    emit(self, 'lookup', err, address, family, host)
    if has(self, DESTROYED) then return end
    if err then
      clear(self, CONNECTING)
      return destroy(self, err)
    end
    connectTo(self, address, port, opts)
  end)
  return self
end

-- Options and state -----------------------------------------------------------

function Socket:setNoDelay(on)
  if on == nil then on = true end
  if on then set(self, NO_DELAY) else clear(self, NO_DELAY) end
  local h = rawget(self, '_handle')
  if h and h.nodelay and has(self, CONNECTED) then h:nodelay(on and true or false) end
  return self
end

function Socket:setKeepAlive(enable, delay)
  if type(delay) ~= 'nil' then errors.checkNumber(delay, 'initialDelay') end
  local secs = floor((delay or 0) / 1000)
  local h = rawget(self, '_handle')
  if enable then self._ka = secs else self._ka = nil end
  if h and h.keepalive and has(self, CONNECTED) then h:keepalive(enable and true or false, secs) end
  return self
end

function Socket:setTimeout(ms, cb)
  errors.checkNumber(ms, 'msecs')
  if ms < 0 or ms ~= ms then error(errors.ERR_OUT_OF_RANGE('msecs', 'a non-negative finite number', ms), 0) end
  local t = rawget(self, '_timer')
  if t then t:close(); self._timer = nil end
  if cb ~= nil then
    errors.checkFunction(cb, 'callback')
    if ms == 0 then self:removeListener('timeout', cb) else self:once('timeout', cb) end
  end
  if ms > 0 and not has(self, DESTROYED) then
    local timer
    timer = timers.setTimeout(function()
      emit(self, 'timeout')
      -- Quiet again for as long: 'timeout' comes again, as in Node.
      if rawget(self, '_timer') == timer then timer:refresh() end
    end, ms)
    timer:unref()
    self._timer = timer
    self._tms = ms
  end
  return self
end

function Socket:address()
  local h = rawget(self, '_handle')
  if not h or has(self, DESTROYED) then return {} end
  local a = h:getsockname()
  if type(a) == 'string' then return a end
  return a or {}
end

function Socket:ref()
  clear(self, UNREF)
  local h = rawget(self, '_handle')
  if h then h:ref(true) end
  return self
end

function Socket:unref()
  set(self, UNREF)
  local h = rawget(self, '_handle')
  if h then h:ref(false) end
  return self
end

function Socket:setBuffers(on)
  if on then set(self, BUFFERS) else clear(self, BUFFERS) end
  return self
end

local function peer(self)
  local p = rawget(self, '_peer')
  if p then return p end
  local h = rawget(self, '_handle')
  if not h or has(self, DESTROYED) or not has(self, CONNECTED) or not h.getpeername then return nil end
  p = h:getpeername()
  if type(p) ~= 'table' then return nil end
  self._peer = p
  return p
end

local function sockname(self)
  local h = rawget(self, '_handle')
  if not h or has(self, DESTROYED) then return nil end
  local a = h:getsockname()
  return type(a) == 'table' and a or nil
end

function getters.remoteAddress(s) local p = peer(s); return p and p.address end
function getters.remotePort(s) local p = peer(s); return p and p.port end
function getters.remoteFamily(s) local p = peer(s); return p and p.family end
function getters.localAddress(s) local a = sockname(s); return a and a.address end
function getters.localPort(s) local a = sockname(s); return a and a.port end
function getters.localFamily(s) local a = sockname(s); return a and a.family end
function getters.bytesRead(s) return rawget(s, '_br') or 0 end
function getters.bytesWritten(s)
  local n = rawget(s, '_bw') or 0
  local w = rawget(s, '_early')
  return w and n + w.size or n
end
function getters.writableLength(s)
  local w = rawget(s, '_early')
  return (rawget(s, '_pending') or 0) + (w and w.size or 0)
end
function getters.readableLength(s)
  local q = rawget(s, '_pq')
  return q and q.size or 0
end
function getters.connecting(s) return has(s, CONNECTING) end
function getters.pending(s) return not has(s, CONNECTED) or has(s, CONNECTING) end
function getters.destroyed(s) return has(s, DESTROYED) end
function getters.closed(s) return has(s, CLOSED) end
function getters.errored(s) return rawget(s, '_err') end
function getters.allowHalfOpen(s) return has(s, HALF_OPEN) end
function getters.readable(s) return not has(s, READ_ENDED + DESTROYED + READABLE_OFF) end
function getters.writable(s) return not has(s, ENDED + DESTROYED + WRITABLE_OFF) end
function getters.writableEnded(s) return has(s, ENDED) end
function getters.writableFinished(s) return has(s, FINISHED) end
function getters.readableEnded(s) return has(s, END_EMITTED) end
function getters.writableNeedDrain(s) return has(s, NEED_DRAIN) end
function getters.readableFlowing(s)
  if has(s, FLOWING) then return true end
  if has(s, PAUSED) then return false end
  return nil
end
function getters.timeout(s) return rawget(s, '_timer') and rawget(s, '_tms') or nil end
function getters.readyState(s)
  if has(s, CONNECTING) then return 'opening' end
  local r, w = getters.readable(s), getters.writable(s)
  if r and w then return 'open' end
  if r then return 'readOnly' end
  if w then return 'writeOnly' end
  return 'closed'
end

Socket.__tostring = function() return 'Socket' end

-- Server ------------------------------------------------------------------------

local Server = EventEmitter:extend('Server')

function Server:initialize(options, listener)
  EventEmitter.initialize(self)
  if type(options) == 'function' then options, listener = nil, options end
  if options ~= nil and type(options) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', options), 0)
  end
  self._opts = options
  self._connections = 0
  self.listening = false
  if listener ~= nil then
    errors.checkFunction(listener, 'connectionListener')
    self:on('connection', listener)
  end
end

function Server:_onconnection(errno, client)
  if errno then
    -- Out of descriptors (EMFILE, ENFILE): libuv already turned the
    -- waiting connection away with its reserved descriptor; the server
    -- keeps listening. Told to 'error' listeners, fatal to none.
    if self:listenerCount('error') > 0 then emit(self, 'error', errors.errnoException(errno, 'accept')) end
    return
  end
  local max = self.maxConnections
  if max and self._connections >= max then
    local info = {}
    local a, p = client.getsockname and client:getsockname(), client.getpeername and client:getpeername()
    if type(a) == 'table' then info.localAddress, info.localPort, info.localFamily = a.address, a.port, a.family end
    if type(p) == 'table' then info.remoteAddress, info.remotePort, info.remoteFamily = p.address, p.port, p.family end
    client:close()
    emit(self, 'drop', info)
    return
  end
  local o = self._opts
  -- A subclass's server (http) may make its sockets of a subclass.
  local cls = rawget(self, '_socketClass') or Socket
  local s = cls:new(o and { handle = client, allowHalfOpen = o.allowHalfOpen, noDelay = o.noDelay }
    or nil)
  if not o then attach(s, client); set(s, CONNECTED) end
  s._srv = self
  self._connections = self._connections + 1
  if has(s, NO_DELAY) and client.nodelay then client:nodelay(true) end
  if o and o.keepAlive and client.keepalive then
    client:keepalive(true, floor((o.keepAliveInitialDelay or 0) / 1000))
  end
  if o and o.pauseOnConnect then set(s, PAUSED) else startReading(s) end
  emit(self, 'connection', s)
end

local function emitClose(self)
  if rawget(self, '_closing') and not rawget(self, '_handle') and self._connections == 0 then
    self._closing = nil
    nextTick(emit, self, 'close')
  end
end

function Server:_dropped()
  self._connections = self._connections - 1
  emitClose(self)
end

local function listenOn(self, port, host, backlog, path, ipv6Only)
  local h, ok, errno, syscall
  if path then
    h = pipe.new(false)
    ok, errno = h:bind(path)
    syscall = 'bind'
  else
    h = tcp.new()
    if host then
      ok, errno = h:bind(host, port, ipv6Only)
    else
      -- Both families on '::' when the host has IPv6, as Node does.
      ok, errno = h:bind('::', port, false)
      host = '::'
      if not ok then
        h:close()
        h = tcp.new()
        host = '0.0.0.0'
        ok, errno = h:bind(host, port)
      end
    end
    syscall = 'listen'
  end
  if ok then
    h:setowner(self)
    ok, errno = h:listen(backlog or 511)
    syscall = 'listen'
  end
  if not ok then
    h:close()
    local e = path and errors.uvExceptionWithHostPort(errno, syscall, path)
      or errors.uvExceptionWithHostPort(errno, syscall, host, port)
    nextTick(emit, self, 'error', e)
    return
  end
  self._handle = h
  if rawget(self, '_unref') then h:ref(false) end
  self.listening = true
  nextTick(function() if rawget(self, '_handle') == h then emit(self, 'listening') end end)
end

function Server:listen(a, b, c, d)
  local cb
  local n = select('#', a, b, c, d)
  -- The callback is the last function given.
  local args = { a, b, c, d }
  for i = n, 1, -1 do
    if type(args[i]) == 'function' then cb = args[i]; args[i] = nil; break end
  end
  a, b, c = args[1], args[2], args[3]
  local port, host, backlog, path, ipv6Only
  if type(a) == 'table' then
    port, host, backlog, path, ipv6Only = a.port, a.host, a.backlog, a.path, a.ipv6Only
    if port ~= nil then port = checkPort(port, 'options.port') end
    if port == nil and path == nil then
      error(errors.ERR_INVALID_ARG_VALUE('options', a, 'must have the property "port" or "path"'), 0)
    end
  elseif type(a) == 'string' and not tonumber(a) then
    path, backlog = a, b
  else
    if a ~= nil then port = checkPort(a) else port = 0 end
    if type(b) == 'number' then backlog = b else host, backlog = b, c end
  end
  if type(host) ~= 'nil' then errors.checkString(host, 'host') end
  if rawget(self, '_handle') then
    error(errors.new('Error', 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.'), 0)
  end
  if cb then self:once('listening', cb) end
  if host == 'localhost' then host = '127.0.0.1' end
  if host ~= nil and not path and isIP(host) == 0 then
    local ok, dns = pcall(require, 'dns')
    if ok then
      dns.lookup(host, function(err, address)
        if err then return emit(self, 'error', err) end
        listenOn(self, port, address, backlog)
      end)
      return self
    end
  end
  listenOn(self, port, host, backlog, path, ipv6Only)
  return self
end

function Server:address()
  local h = rawget(self, '_handle')
  if not h then return nil end
  local a = h:getsockname()
  return a
end

function Server:close(cb)
  if cb ~= nil then errors.checkFunction(cb, 'callback') end
  local h = rawget(self, '_handle')
  if not h then
    if cb then
      nextTick(cb, errors.new('Error', 'ERR_SERVER_NOT_RUNNING', 'Server is not running.'))
    end
    return self
  end
  if cb then self:once('close', cb) end
  self._handle = nil
  self.listening = false
  self._closing = true
  h:close()
  emitClose(self)
  return self
end

function Server:getConnections(cb)
  errors.checkFunction(cb, 'callback')
  nextTick(cb, nil, self._connections)
  return self
end

function Server:ref()
  self._unref = nil
  local h = rawget(self, '_handle')
  if h then h:ref(true) end
  return self
end

function Server:unref()
  self._unref = true
  local h = rawget(self, '_handle')
  if h then h:ref(false) end
  return self
end

Server.__tostring = function() return 'Server' end

-- Self checks -------------------------------------------------------------------

-- Every method checks its object first: called on anything else it
-- raises ERR_INVALID_THIS and changes nothing. The callbacks C calls
-- (_onread, ...) also drop arguments that C would never pass. write, the
-- hot path, checks inline instead of through a wrapper.
local function invalidThis(name)
  return errors.new('TypeError', 'ERR_INVALID_THIS', 'Value of "this" must be of type ' .. name)
end

local instanceof = require('internal/class').instanceof
local function isSocket(v) return instanceof(v, Socket) and type(rawget(v, '_sf')) == 'number' end
local function isServer(v) return instanceof(v, Server) and type(rawget(v, '_connections')) == 'number' end

-- The callbacks C calls on a handle's owner (_onread, _onwrite,
-- _onclose, _onconnection) are not in the class tables, so no script
-- iterating them calls one by mistake; __index finds them.
-- _readStop and _readStart are for http, whose parser takes a socket's
-- bytes (in its own _onread) and stops reading while a request body waits
-- for its reader.
local function readStop(self)
  if has(self, READING) then
    clear(self, READING)
    self._handle:readStop()
  end
end
local function readStart(self)
  set(self, FLOWING)
  startReading(self)
end
-- _emitError: how a destroyed socket reports its error; http's sockets
-- take theirs to the server ('clientError') instead.
local function emitError(self, err)
  local tap = rawget(self, '_tap')
  if not tap then return emit(self, 'error', err) end
  -- The tap handles the error: listeners hear it too, and none is needed.
  tap('error', err)
  if self:listenerCount('error') > 0 then emit(self, 'error', err) end
end

-- _setTap(tap): coro's stream loops on a socket: tap('data', chunk),
-- tap('end'), tap('error', err) and tap('close', hadError) after the
-- listeners of each, for one callable (coro's reader) and no listener:
-- an idle connection in a loop then holds no listener table.
local function setTap(self, fn)
  self._tap = fn
end
hiddenSocket = { _onread = Socket._onread, _onwrite = Socket._onwrite, _onclose = Socket._onclose,
  _readStop = readStop, _readStart = readStart, _emitError = emitError, _setTap = setTap }
local hiddenServer = { _onconnection = Server._onconnection }
Socket._onread, Socket._onwrite, Socket._onclose, Server._onconnection = nil, nil, nil, nil
function Server.__index(t, k)
  local v = Server[k]
  if v ~= nil then return v end
  return hiddenServer[k]
end

local function guard(cls, name, is)
  for k, fn in next, cls do
    if type(fn) == 'function' and k:sub(1, 2) ~= '__' and k ~= 'write' and k ~= 'initialize' then
      cls[k] = function(self, ...)
        if not is(self) then error(invalidThis(name), 0) end
        return fn(self, ...)
      end
    end
  end
end
local rawWrite = Socket.write
function Socket.write(self, data, enc, cb)
  if type(self) ~= 'table' or type(rawget(self, '_sf')) ~= 'number' then error(invalidThis('Socket'), 0) end
  return rawWrite(self, data, enc, cb)
end
guard(Socket, 'Socket', isSocket)
local socketInit, serverInit = Socket.initialize, Server.initialize
function Socket.initialize(self, ...)
  if not instanceof(self, Socket) then error(invalidThis('Socket'), 0) end
  return socketInit(self, ...)
end
function Server.initialize(self, ...)
  if not instanceof(self, Server) then error(invalidThis('Server'), 0) end
  return serverInit(self, ...)
end
Server._dropped = function(self)
  if isServer(self) then
    self._connections = self._connections - 1
    emitClose(self)
  end
end
guard(Server, 'Server', isServer)

-- Module ------------------------------------------------------------------------

local function createServer(options, listener)
  return Server:new(options, listener)
end

local function connect(a, b, c)
  local opts = type(a) == 'table' and a or nil
  local s = Socket:new(opts and { allowHalfOpen = opts.allowHalfOpen, buffers = opts.buffers } or nil)
  return s:connect(a, b, c)
end

return {
  Socket = Socket,
  Server = Server,
  Stream = Socket,
  createServer = createServer,
  connect = connect,
  createConnection = connect,
  isIP = isIP,
  isIPv4 = isIPv4,
  isIPv6 = isIPv6,
}
