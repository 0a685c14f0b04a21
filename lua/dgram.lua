-- dgram: UDP sockets, as Node's lib/dgram.js.
--
-- A Socket holds a few plain fields and no table per state until one is
-- needed: its libuv handle is made the first time something needs it
-- (bind, an option), the queue of calls made while binding only while
-- binding. A datagram arrives as a Lua string (a Buffer with
-- createSocket({ buffers = true })). Sends to a numeric address go straight
-- to the binding, which tries uv_udp_try_send first; a name goes through
-- dns.lookup (or the socket's `lookup` option) first.
local require, binding = ...

local EventEmitter = require('events')
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local Buffer = require('buffer').Buffer
local ub = binding('udp')
local errname, strerror = binding('errors').errname, binding('errors').strerror

local type, error, tostring, rawget, select = type, error, tostring, rawget, select
local floor = math.floor
local nextTick = ticks.nextTick
local isBuffer = Buffer.isBuffer
local newError = errors.new

local EAGAIN, EBADF, EINVAL = ub.EAGAIN, ub.EBADF, ub.EINVAL
local REUSEADDR, IPV6ONLY = ub.REUSEADDR, ub.IPV6ONLY

local UNBOUND, BINDING, BOUND = 0, 1, 2
local DISCONNECTED, CONNECTING, CONNECTED = 0, 1, 2

local dns -- loaded on the first lookup

-- Errors, with Node's codes and messages ------------------------------------

local function simple(name, code, message)
  return function() return newError(name, code, message) end
end
local ERR_SOCKET_DGRAM_NOT_RUNNING = simple('Error', 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running')
local ERR_SOCKET_ALREADY_BOUND = simple('Error', 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound')
local ERR_SOCKET_DGRAM_IS_CONNECTED = simple('Error', 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected')
local ERR_SOCKET_DGRAM_NOT_CONNECTED = simple('Error', 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected')
local ERR_SOCKET_BAD_TYPE = simple('TypeError', 'ERR_SOCKET_BAD_TYPE',
  'Bad socket type specified. Valid types are: udp4, udp6')
local ERR_SOCKET_BAD_BUFFER_SIZE = simple('TypeError', 'ERR_SOCKET_BAD_BUFFER_SIZE',
  'Buffer size must be a positive integer')

local function ERR_BUFFER_OUT_OF_BOUNDS(name)
  return newError('RangeError', 'ERR_BUFFER_OUT_OF_BOUNDS', '"' .. name .. '" is outside of buffer bounds')
end

local function ERR_SOCKET_BAD_PORT(value, allowZero)
  return newError('RangeError', 'ERR_SOCKET_BAD_PORT',
    (allowZero and 'Port should be >= 0 and < 65536. ' or 'Port should be > 0 and < 65536. ')
      .. errors.describe(value) .. '.')
end

-- Node's ErrnoException: 'getsockname EBADF'.
local function errnoException(errno, syscall)
  local code = errname(errno)
  local e = newError('Error', code, syscall .. ' ' .. code)
  e.errno, e.syscall = errno, syscall
  return e
end

-- Node's ExceptionWithHostPort: 'send EMSGSIZE 127.0.0.1:9'.
local function exceptionWithHostPort(errno, syscall, address, port)
  local code = errname(errno)
  local details = ''
  if port and port > 0 then
    details = ' ' .. tostring(address) .. ':' .. port
  elseif address then
    details = ' ' .. tostring(address)
  end
  local e = newError('Error', code, syscall .. ' ' .. code .. details)
  e.errno, e.syscall, e.address = errno, syscall, address
  if port and port > 0 then e.port = port end
  return e
end

-- Node's ERR_SOCKET_BUFFER_SIZE, a SystemError.
local function bufferSizeError(errno, recv)
  local syscall = recv and 'uv_recv_buffer_size' or 'uv_send_buffer_size'
  local code, text = errname(errno), strerror(errno)
  local e = newError('SystemError', 'ERR_SOCKET_BUFFER_SIZE',
    ('Could not get or set buffer size: %s returned %s (%s)'):format(syscall, code, text))
  e.errno, e.syscall = errno, syscall
  e.info = { errno = errno, code = code, message = text, syscall = syscall }
  return e
end

-- validatePort: an integer in 0 (or 1) .. 65535; numbers only, as lode
-- takes no numeric strings.
local function checkPort(port, allowZero)
  if type(port) ~= 'number' or port % 1 ~= 0 or port > 65535 or port < (allowZero and 0 or 1) then
    error(ERR_SOCKET_BAD_PORT(port, allowZero), 0)
  end
  return port
end

local function checkUint32(v, name)
  if type(v) ~= 'number' then error(errors.ERR_INVALID_ARG_TYPE(name, 'of type number', v), 0) end
  if v % 1 ~= 0 then error(errors.ERR_OUT_OF_RANGE(name, 'an integer', v), 0) end
  if v < 0 or v > 4294967295 then
    error(errors.ERR_OUT_OF_RANGE(name, '>= 0 && <= 4294967295', v), 0)
  end
end

local function checkOptString(v, name)
  if type(v) ~= 'nil' and type(v) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string', v), 0)
  end
end

-- JavaScript's Int32 conversion, so that no NaN or huge number reaches C.
local function toInt32(n)
  if n ~= n or n >= 2147483648 or n <= -2147483649 then return 0 end
  return n >= 0 and floor(n) or -floor(-n)
end

-- No address, as Node's falsy values are (a NULL cdata is not one).
local function noAddress(v)
  return type(v) == 'nil' or v == false or v == '' or v == 0
end

local function raise(ok, errno, syscall)
  if ok == nil then error(errnoException(errno, syscall), 0) end
  return ok
end

-- Socket -----------------------------------------------------------------

local Socket = EventEmitter:extend('Socket')

local function check(self)
  if type(self) ~= 'table' or rawget(self, '_bindState') == nil then
    error(errors.ERR_INVALID_THIS('Socket'), 0)
  end
end

-- Node's healthCheck: nothing works on a closed socket.
local function healthCheck(self)
  if self._closed then error(ERR_SOCKET_DGRAM_NOT_RUNNING(), 0) end
end

-- The libuv handle, made when first needed.
local function handleOf(self)
  local h = self._handle
  if h then return h end
  local errno
  h, errno = ub.new(self.type == 'udp6')
  if not h then error(errnoException(errno, 'uv_udp_init'), 0) end
  if self._unref then h:ref(false) end
  self._handle = h
  return h
end

function Socket:initialize(sockType, listener)
  EventEmitter.initialize(self)
  local opts
  if type(sockType) == 'table' then
    opts = sockType
    sockType = opts.type
    local r, s = opts.recvBufferSize, opts.sendBufferSize
    if type(r) ~= 'nil' and r ~= 0 and r ~= false then checkUint32(r, 'options.recvBufferSize') end
    if type(s) ~= 'nil' and s ~= 0 and s ~= false then checkUint32(s, 'options.sendBufferSize') end
    if type(opts.lookup) ~= 'nil' then errors.checkFunction(opts.lookup, 'lookup') end
  end
  if sockType ~= 'udp4' and sockType ~= 'udp6' then error(ERR_SOCKET_BAD_TYPE(), 0) end
  self.type = sockType
  self._bindState = UNBOUND
  self._connectState = DISCONNECTED
  if opts then
    self._lookup = opts.lookup
    self._reuseAddr = opts.reuseAddr and true or nil
    self._ipv6Only = opts.ipv6Only and true or nil
    self._buffers = opts.buffers and true or nil
    if opts.recvBufferSize ~= 0 and opts.recvBufferSize ~= false then self._recvBufferSize = opts.recvBufferSize end
    if opts.sendBufferSize ~= 0 and opts.sendBufferSize ~= false then self._sendBufferSize = opts.sendBufferSize end
  end
  if type(listener) == 'function' then self:on('message', listener) end
end

local function lookup(self, address, cb)
  local fn = self._lookup
  if not fn then
    if not dns then dns = require('dns') end
    fn = dns.lookup
  end
  if self.type == 'udp4' then
    return fn((address ~= nil and address ~= '') and address or '127.0.0.1', 4, cb)
  end
  return fn((address ~= nil and address ~= '') and address or '::1', 6, cb)
end

-- Calls made while the socket binds wait here until 'listening', and are
-- dropped if binding fails, as in Node.
local function enqueue(self, fn)
  local q = self._queue
  if not q then
    q = {}
    self._queue = q
    local onListenError
    local function onListenSuccess()
      self:removeListener(EventEmitter.errorMonitor, onListenError)
      self._queue = nil
      for i = 1, #q do q[i]() end
    end
    onListenError = function()
      self:removeListener('listening', onListenSuccess)
      self._queue = nil
    end
    self:once(EventEmitter.errorMonitor, onListenError)
    self:once('listening', onListenSuccess)
  end
  q[#q + 1] = fn
end

local function bufferSize(self, size, recv)
  if type(size) ~= 'number' or size % 1 ~= 0 or size < 0 or size > 4294967295 then
    error(ERR_SOCKET_BAD_BUFFER_SIZE(), 0)
  end
  -- Node hands the size to C as an unsigned 32-bit number read as an int.
  local v, errno = handleOf(self):bufferSize(size >= 2147483648 and size - 4294967296 or size, recv)
  if v == nil then error(bufferSizeError(errno, recv), 0) end
  return v
end

local function startListening(self)
  local h = self._handle
  local buffers = self._buffers
  local ok, errno = h:recvStart(function(msg, rinfo)
    if msg == nil then
      self:emit('error', errnoException(rinfo, 'recvmsg'))
    else
      if buffers then msg = Buffer.from(msg) end
      self:emit('message', msg, rinfo)
    end
  end)
  raise(ok, errno, 'recvStart')
  self._receiving = true
  self._bindState = BOUND
  if self._recvBufferSize then bufferSize(self, self._recvBufferSize, true) end
  if self._sendBufferSize then bufferSize(self, self._sendBufferSize, false) end
  self:emit('listening')
end

local function isFd(v)
  return type(v) == 'number' and v % 1 == 0 and v > 0 and v < 2147483648
end

-- bind([port], [address], [cb]) or bind({port, address, exclusive, fd}, [cb])
function Socket:bind(port, address, ...)
  check(self)
  healthCheck(self)
  if self._bindState ~= UNBOUND then error(ERR_SOCKET_ALREADY_BOUND(), 0) end
  local n = select('#', ...)
  local cb = n > 0 and select(n, ...) or (type(address) == 'function' and address)
    or (type(port) == 'function' and port) or nil
  if type(cb) ~= 'function' then cb = nil end
  -- `exclusive` is accepted and means nothing: lode has no cluster, so
  -- every bind is exclusive.
  if type(port) == 'table' then
    local opts = port
    if isFd(opts.fd) then
      self._bindState = BINDING
      local h = handleOf(self)
      local ok, errno = h:open(opts.fd)
      if not ok then
        self._bindState = UNBOUND
        error(errnoException(errno, 'open'), 0)
      end
      if cb then self:once('listening', cb) end
      nextTick(startListening, self)
      return self
    end
    address = opts.address
    port = opts.port
  elseif type(address) == 'function' then
    address = nil
  end
  if type(port) == 'function' or port == nil or port == false then port = 0 end
  checkPort(port, true)
  if noAddress(address) then
    address = self.type == 'udp4' and '0.0.0.0' or '::'
  else
    errors.checkString(address, 'address')
  end
  local h = handleOf(self)
  self._bindState = BINDING
  if cb then
    local onListening
    local function removeListeners()
      self:removeListener('error', removeListeners)
      self:removeListener('listening', onListening)
    end
    onListening = function()
      removeListeners()
      cb()
    end
    self:on('error', removeListeners)
    self:on('listening', onListening)
  end

  lookup(self, address, function(err, ip)
    if self._closed then return end
    if err then
      self._bindState = UNBOUND
      self:emit('error', err)
      return
    end
    local flags = 0
    if self._reuseAddr then flags = flags + REUSEADDR end
    if self._ipv6Only then flags = flags + IPV6ONLY end
    local ok, errno = h:bind(ip, port, flags)
    if not ok then
      self._bindState = UNBOUND
      self:emit('error', exceptionWithHostPort(errno, 'bind', ip, port))
      return
    end
    startListening(self)
  end)
  return self
end

local function doConnect(self, ex, ip, address, port, cb)
  if self._closed then return end
  if not ex then
    local ok, errno = self._handle:connect(ip, port)
    if not ok then ex = exceptionWithHostPort(errno, 'connect', address, port) end
  end
  if ex then
    self._connectState = DISCONNECTED
    nextTick(function()
      if cb then
        self:removeListener('connect', cb)
        cb(ex)
      else
        self:emit('error', ex)
      end
    end)
    return
  end
  self._connectState = CONNECTED
  nextTick(self.emit, self, 'connect')
end

local function connectNow(self, port, address, cb)
  if cb then self:once('connect', cb) end
  lookup(self, address, function(ex, ip) doConnect(self, ex, ip, address, port, cb) end)
end

-- connect(port, [address], [cb])
function Socket:connect(port, address, cb)
  check(self)
  checkPort(port, false)
  if type(address) == 'function' then
    cb, address = address, ''
  elseif address == nil then
    address = ''
  end
  errors.checkString(address, 'address')
  if type(cb) ~= 'function' then cb = nil end
  if self._connectState ~= DISCONNECTED then error(ERR_SOCKET_DGRAM_IS_CONNECTED(), 0) end
  self._connectState = CONNECTING
  if self._bindState == UNBOUND then self:bind({ port = 0, exclusive = true }) end
  if self._bindState ~= BOUND then
    enqueue(self, function() connectNow(self, port, address, cb) end)
    return
  end
  connectNow(self, port, address, cb)
end

function Socket:disconnect()
  check(self)
  if self._connectState ~= CONNECTED then error(ERR_SOCKET_DGRAM_NOT_CONNECTED(), 0) end
  local ok, errno = self._handle:disconnect()
  raise(ok, errno, 'connect')
  self._connectState = DISCONNECTED
end

-- Sending ------------------------------------------------------------------

local function sendError(self, ex, cb)
  if cb then
    nextTick(cb, ex)
  else
    nextTick(self.emit, self, 'error', ex)
  end
end

local function afterSend(self, status, bytes, address, port, cb)
  if status < 0 then
    local ex = exceptionWithHostPort(status, 'send', address, port)
    if cb then cb(ex, bytes) else self:emit('error', ex) end
  elseif cb then
    cb(nil, bytes)
  end
end

-- Sends one datagram to ip (numeric; nil once connected). Returns false
-- when ip is not numeric, so the caller looks it up.
local function doSend(self, ip, port, data, start, len, address, cb)
  local h = self._handle
  if self._closed or not h then return true end
  address = address or ip -- errors name the default host as sent to
  local r, errno = h:send(ip, port, nil, data, start, len)
  if r == false then return false end
  if r == nil and errno == EAGAIN then
    r, errno = h:send(ip, port, function(status, bytes)
      afterSend(self, status, bytes, address, port, cb)
    end, data, start, len)
  end
  if r == nil then
    sendError(self, exceptionWithHostPort(errno, 'send', address, port), cb)
  elseif r ~= true and cb then
    nextTick(cb, nil, r)
  end
  return true
end

-- A list waiting for a bind or a lookup is copied, so that the script may
-- change it meanwhile (Node copies it too).
local function snapshot(msg)
  if type(msg) ~= 'table' then return msg end
  local copy = {}
  for i = 1, #msg do copy[i] = msg[i] end
  return copy
end

local function sendNow(self, data, start, len, port, address, cb)
  if self._connectState == CONNECTED then
    doSend(self, nil, nil, data, start, len, address, cb)
    return
  end
  if not self._lookup then
    local ip = address
    if ip == nil or ip == '' then ip = self.type == 'udp4' and '127.0.0.1' or '::1' end
    if doSend(self, ip, port, data, start, len, address, cb) then return end
  end
  data = snapshot(data)
  lookup(self, address, function(ex, ip)
    if ex then
      sendError(self, ex, cb)
    elseif not doSend(self, ip, port, data, start, len, address, cb) then
      sendError(self, exceptionWithHostPort(EINVAL, 'send', address, port), cb)
    end
  end)
end

local function bytesArg(v, name)
  if type(v) ~= 'string' and not isBuffer(v) then
    error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string or a Buffer', v), 0)
  end
end

-- The 1-based start and the length within msg, as Node's sliceBuffer
-- checks them (shifted by one).
local function slice(msg, offset, length)
  bytesArg(msg, 'buffer')
  local size = #msg
  local start = type(offset) == 'number' and offset == offset and floor(offset) or 1
  local n = type(length) == 'number' and length == length and floor(length) or 0
  if start < 1 or start - 1 > size then error(ERR_BUFFER_OUT_OF_BOUNDS('offset'), 0) end
  if n < 0 or start - 1 + n > size then error(ERR_BUFFER_OUT_OF_BOUNDS('length'), 0) end
  return start, n
end

-- send(msg, [offset, length], [port, address], [cb]); msg is a string, a
-- Buffer or a list of them; offset is 1-based.
function Socket:send(msg, offset, length, port, address, cb)
  check(self)
  local start, len
  local connected = self._connectState == CONNECTED
  if not connected then
    if not noAddress(address) or (type(port) ~= 'nil' and port ~= false and type(port) ~= 'function') then
      start, len = slice(msg, offset, length)
    else
      cb, port, address = port, offset, length
    end
  else
    if type(length) == 'number' then
      start, len = slice(msg, offset, length)
      if type(port) == 'function' then cb, port = port, nil end
    else
      cb = offset
    end
    if port ~= nil or address ~= nil then error(ERR_SOCKET_DGRAM_IS_CONNECTED(), 0) end
  end
  if type(msg) == 'table' and not isBuffer(msg) then
    for i = 1, #msg do bytesArg(msg[i], 'buffer list arguments') end
    if #msg == 0 then msg = '' end
  elseif not start then
    bytesArg(msg, 'buffer')
  end
  if not connected then checkPort(port, false) end
  if type(cb) ~= 'function' then cb = nil end
  if type(address) == 'function' then
    cb, address = address, nil
  elseif noAddress(address) then
    address = nil
  else
    errors.checkString(address, 'address')
  end
  healthCheck(self)

  if self._bindState == UNBOUND then self:bind({ port = 0, exclusive = true }) end
  if self._bindState ~= BOUND then
    msg = snapshot(msg)
    enqueue(self, function() sendNow(self, msg, start, len, port, address, cb) end)
    return
  end
  sendNow(self, msg, start, len, port, address, cb)
end

-- sendto(msg, offset, length, port, address, [cb]), kept by Node.
function Socket:sendto(msg, offset, length, port, address, cb)
  check(self)
  errors.checkNumber(offset, 'offset')
  errors.checkNumber(length, 'length')
  errors.checkNumber(port, 'port')
  errors.checkString(address, 'address')
  return self:send(msg, offset, length, port, address, cb)
end

local function emitClose(self)
  self:emit('close')
end

function Socket:close(cb)
  check(self)
  if type(cb) == 'function' then self:on('close', cb) end
  local q = self._queue
  if q then
    q[#q + 1] = function() self:close() end
    return self
  end
  healthCheck(self)
  local h = self._handle
  if h then h:close() end
  self._handle = nil
  self._receiving = nil
  self._closed = true
  nextTick(emitClose, self)
  return self
end

-- Addresses and options ------------------------------------------------------

-- A method that needs the handle, but not a bound socket: without a
-- descriptor libuv answers EBADF, as Node does.
local function handleFor(self)
  check(self)
  healthCheck(self)
  return handleOf(self)
end

function Socket:address()
  local out, errno = handleFor(self):getsockname()
  return raise(out, errno, 'getsockname')
end

function Socket:remoteAddress()
  check(self)
  healthCheck(self)
  if self._connectState ~= CONNECTED then error(ERR_SOCKET_DGRAM_NOT_CONNECTED(), 0) end
  local out, errno = self._handle:getpeername()
  return raise(out, errno, 'getpeername')
end

local function callRaise(self, syscall, method, ...)
  local h = handleFor(self)
  local ok, errno = h[method](h, ...)
  if ok == nil then error(errnoException(errno, syscall), 0) end
end

function Socket:setBroadcast(flag)
  callRaise(self, 'setBroadcast', 'setBroadcast', flag and true or false)
end

-- setTTL and setMulticastTTL: a number, returned; libuv checks its range.
local function ttlSetter(name)
  return function(self, ttl)
    check(self)
    errors.checkNumber(ttl, 'ttl')
    callRaise(self, name, name, toInt32(ttl))
    return ttl
  end
end
Socket.setTTL = ttlSetter('setTTL')
Socket.setMulticastTTL = ttlSetter('setMulticastTTL')

function Socket:setMulticastLoopback(flag)
  callRaise(self, 'setMulticastLoopback', 'setMulticastLoopback', flag and true or false)
  return flag
end

function Socket:setMulticastInterface(interfaceAddress)
  check(self)
  healthCheck(self)
  errors.checkString(interfaceAddress, 'interfaceAddress')
  callRaise(self, 'setMulticastInterface', 'setMulticastInterface', interfaceAddress)
end

local function membership(self, syscall, group, iface, join)
  check(self)
  healthCheck(self)
  if group == nil or group == false or group == '' then error(errors.ERR_MISSING_ARGS('multicastAddress'), 0) end
  errors.checkString(group, 'multicastAddress')
  checkOptString(iface, 'interfaceAddress')
  callRaise(self, syscall, 'membership', group, iface, join)
end

function Socket:addMembership(multicastAddress, interfaceAddress)
  membership(self, 'addMembership', multicastAddress, interfaceAddress, true)
end

function Socket:dropMembership(multicastAddress, interfaceAddress)
  membership(self, 'dropMembership', multicastAddress, interfaceAddress, false)
end

local function sourceMembership(self, syscall, source, group, iface, join)
  check(self)
  healthCheck(self)
  errors.checkString(source, 'sourceAddress')
  errors.checkString(group, 'groupAddress')
  checkOptString(iface, 'interfaceAddress')
  callRaise(self, syscall, 'sourceMembership', source, group, iface, join)
end

function Socket:addSourceSpecificMembership(sourceAddress, groupAddress, interfaceAddress)
  sourceMembership(self, 'addSourceSpecificMembership', sourceAddress, groupAddress, interfaceAddress, true)
end

function Socket:dropSourceSpecificMembership(sourceAddress, groupAddress, interfaceAddress)
  sourceMembership(self, 'dropSourceSpecificMembership', sourceAddress, groupAddress, interfaceAddress, false)
end

function Socket:setRecvBufferSize(size)
  check(self)
  healthCheck(self)
  bufferSize(self, size, true)
end

function Socket:setSendBufferSize(size)
  check(self)
  healthCheck(self)
  bufferSize(self, size, false)
end

function Socket:getRecvBufferSize()
  check(self)
  healthCheck(self)
  return bufferSize(self, 0, true)
end

function Socket:getSendBufferSize()
  check(self)
  healthCheck(self)
  return bufferSize(self, 0, false)
end

function Socket:getSendQueueSize()
  check(self)
  local h = self._handle
  return h and h:sendQueueSize() or 0
end

function Socket:getSendQueueCount()
  check(self)
  local h = self._handle
  return h and h:sendQueueCount() or 0
end

function Socket:ref()
  check(self)
  self._unref = nil
  local h = self._handle
  if h then h:ref(true) end
  return self
end

function Socket:unref()
  check(self)
  self._unref = true
  local h = self._handle
  if h then h:ref(false) end
  return self
end

local function createSocket(sockType, listener)
  return Socket:new(sockType, listener)
end

return {
  createSocket = createSocket,
  Socket = Socket,
}
