-- http's client half: ClientRequest, Agent and http.request/get, as
-- Node's lib/_http_client.js and lib/_http_agent.js.
--
-- A request takes a socket from its Agent (a kept-alive free one, a new
-- one, or it waits in the Agent's queue for one), writes its header block
-- and body, and parses the response with llhttp in the socket's own read
-- callback, as the server does. When the response is complete and both
-- sides said keep-alive, the socket goes back to the Agent.
local require, binding = ...

local net = require('net')
local EventEmitter = require('events')
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local common = require('internal/http_common')
local Buffer = require('buffer').Buffer

local type, tostring, error, rawget, next, getmetatable = type, tostring, error, rawget, next, getmetatable
local tonumber = tonumber
local concat = table.concat
local find, lower, byte, sub = string.find, string.lower, string.byte, string.sub
local nextTick = ticks.nextTick
local hex = common.hex
local emit = EventEmitter.emit
local newError = errors.new
local OutgoingMessage = common.OutgoingMessage
local run, chunkBytes, headerLines = common.run, common.chunkBytes, common.headerLines
local finishAgain = common.finishAgain
local setVersion, newIncoming, endIncoming = common.setVersion, common.newIncoming, common.endIncoming
local EOF = binding('tcp').codes.EOF
local band = bit.band
local ipairs = ipairs

local M = {}

local function connReset(msg)
  local e = newError('Error', 'ECONNRESET', msg)
  return e
end

-- Agent ---------------------------------------------------------------------------

local Agent = EventEmitter:extend('Agent')
M.Agent = Agent

function Agent:initialize(options)
  EventEmitter.initialize(self)
  if type(options) ~= 'nil' then errors.checkTable(options, 'options') end
  options = options or {}
  self.options = options
  self.defaultPort = 80
  self.protocol = 'http:'
  self.keepAlive = options.keepAlive == true
  self.keepAliveMsecs = options.keepAliveMsecs or 1000
  self.maxSockets = options.maxSockets or math.huge
  self.maxFreeSockets = options.maxFreeSockets or 256
  self.maxTotalSockets = options.maxTotalSockets or math.huge
  self.scheduling = options.scheduling or 'lifo'
  if self.scheduling ~= 'lifo' and self.scheduling ~= 'fifo' then
    error(errors.ERR_INVALID_ARG_VALUE('scheduling', self.scheduling, "must be 'fifo' or 'lifo'"), 0)
  end
  for _, k in ipairs({ 'maxSockets', 'maxFreeSockets', 'maxTotalSockets', 'keepAliveMsecs' }) do
    local v = self[k]
    if type(v) ~= 'number' or v ~= v or v < (k == 'maxFreeSockets' and 0 or 1) then
      error(errors.ERR_OUT_OF_RANGE('options.' .. k, '> 0', v), 0)
    end
  end
  self.sockets = {}
  self.freeSockets = {}
  self.requests = {}
  self.totalSocketCount = 0
end

-- getName(options): host:port:localAddress[:family], the key of a pool.
function Agent:getName(options)
  if type(options) ~= 'table' then options = {} end
  local name = (options.host or 'localhost') .. ':'
  if options.port then name = name .. tostring(options.port) end
  name = name .. ':'
  if options.localAddress then name = name .. options.localAddress end
  if options.family == 4 or options.family == 6 then name = name .. ':' .. options.family end
  if options.socketPath then name = name .. ':' .. options.socketPath end
  return name
end

local function count(list) return list and #list or 0 end

local function removeFrom(t, name, sock)
  local list = t[name]
  if not list then return false end
  for i = 1, #list do
    if list[i] == sock then
      table.remove(list, i)
      if #list == 0 then t[name] = nil end
      return true
    end
  end
  return false
end

local attach -- a request and its socket, below

function Agent:createConnection(options, cb)
  local s = net.createConnection(options)
  if cb then nextTick(cb, nil, s) end
  return s
end

-- A socket is the Agent's from its creation to its close.
local function installSocket(agent, sock, name)
  sock._agentName = name
  sock:on('close', function()
    local removed = removeFrom(agent.sockets, name, sock)
    if removeFrom(agent.freeSockets, name, sock) then removed = true end
    if removed then agent.totalSocketCount = agent.totalSocketCount - 1 end
    -- A request waiting for a socket of this pool gets a new one.
    local q = agent.requests[name]
    if q and #q > 0 and count(agent.sockets[name]) < agent.maxSockets then
      local req = table.remove(q, 1)
      if #q == 0 then agent.requests[name] = nil end
      agent:_create(req, req._agentOptions, name)
    end
  end)
  -- An error on a free socket (the server closed it) only frees it.
  sock:on('error', function() end)
end

function Agent:_create(req, options, name)
  local list = self.sockets[name]
  if not list then list = {}; self.sockets[name] = list end
  local sock = self:createConnection(options)
  list[#list + 1] = sock
  self.totalSocketCount = self.totalSocketCount + 1
  installSocket(self, sock, name)
  attach(req, sock, false)
end

function Agent:addRequest(req, options)
  local name = self:getName(options)
  local free = self.freeSockets[name]
  if free and #free > 0 then
    local sock
    if self.scheduling == 'lifo' then sock = table.remove(free) else sock = table.remove(free, 1) end
    if #free == 0 then self.freeSockets[name] = nil end
    local list = self.sockets[name]
    if not list then list = {}; self.sockets[name] = list end
    list[#list + 1] = sock
    sock:ref()
    local ontimeout = rawget(sock, '_freeTimeout')
    if ontimeout then sock:setTimeout(0, ontimeout) end
    return attach(req, sock, true)
  end
  if count(self.sockets[name]) < self.maxSockets and self.totalSocketCount < self.maxTotalSockets then
    return self:_create(req, options, name)
  end
  req._agentOptions = options
  local q = self.requests[name]
  if not q then q = {}; self.requests[name] = q end
  q[#q + 1] = req
end

-- A socket whose response is done: to the next waiting request, to the
-- free list (unref'd: an idle kept-alive socket does not keep the process
-- alive), or closed.
function Agent:_free(sock)
  local name = sock._agentName
  local q = self.requests[name]
  if q and #q > 0 then
    local req = table.remove(q, 1)
    if #q == 0 then self.requests[name] = nil end
    return attach(req, sock, true)
  end
  removeFrom(self.sockets, name, sock)
  if not self.keepAlive or count(self.freeSockets[name]) >= self.maxFreeSockets or sock.destroyed then
    self.totalSocketCount = self.totalSocketCount - 1
    sock._agentName = nil
    return sock:destroy()
  end
  local free = self.freeSockets[name]
  if not free then free = {}; self.freeSockets[name] = free end
  free[#free + 1] = sock
  sock:setKeepAlive(true, self.keepAliveMsecs)
  sock:unref()
  local to = self.options.timeout
  if to and to > 0 then
    local ontimeout = rawget(sock, '_freeTimeout')
    if not ontimeout then
      ontimeout = function() sock:destroy() end
      sock._freeTimeout = ontimeout
    end
    sock:setTimeout(to, ontimeout)
  end
  emit(self, 'free', sock, { host = name })
end

function Agent:destroy()
  for _, t in ipairs({ self.freeSockets, self.sockets }) do
    for _, list in next, t do
      for i = #list, 1, -1 do list[i]:destroy() end
    end
  end
end

-- ClientRequest --------------------------------------------------------------------

local ClientRequest = OutgoingMessage:extend('ClientRequest')
M.ClientRequest = ClientRequest

ClientRequest.aborted = false
ClientRequest.reusedSocket = false

-- A URL (a string, parsed as Node does with new URL(), or a url.URL)
-- into request options, with url.urlToHttpOptions. url is loaded on the
-- first request made from a URL.
local url

local function urlOptions(input)
  url = url or require('url')
  if type(input) == 'string' then input = url.URL:new(input) end
  return url.urlToHttpOptions(input)
end

local function isURL(v)
  url = url or require('url')
  return getmetatable(v) == url.URL
end

local methodsWithoutBody = { GET = true, HEAD = true, DELETE = true, OPTIONS = true, TRACE = true, CONNECT = true }

local function merge(a, b)
  if type(b) ~= 'nil' and type(b) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', b), 0)
  end
  local r = {}
  if a then for k, v in next, a do r[k] = v end end
  if b then for k, v in next, b do r[k] = v end end
  return r
end

function ClientRequest:initialize(input, options, cb)
  if type(options) == 'function' then cb, options = options, nil end
  if type(input) == 'function' then cb, input = input, nil end
  local o
  if type(input) == 'string' or (type(input) == 'table' and isURL(input)) then
    o = merge(urlOptions(input), options)
  elseif type(input) == 'table' then
    o = merge(input, options)
  elseif type(input) == 'nil' then
    o = merge(nil, options)
  else
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type string or table', input), 0)
  end
  if type(cb) ~= 'nil' then errors.checkFunction(cb, 'callback') end
  local agent = o.agent
  if agent == nil then
    agent = M.globalAgent
  elseif agent == false then
    agent = Agent:new()
  elseif type(agent) ~= 'table' or type(agent.addRequest) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('options.agent', 'an instance of Agent', agent), 0)
  end
  local protocol = o.protocol or agent.protocol or 'http:'
  if protocol ~= 'http:' then
    error(newError('TypeError', 'ERR_INVALID_PROTOCOL',
      'Protocol "' .. tostring(protocol) .. '" not supported. Expected "http:"'), 0)
  end
  local defaultPort = o.defaultPort or agent.defaultPort or 80
  local port = o.port or defaultPort
  if type(port) == 'string' then port = tonumber(port) end
  if type(port) ~= 'number' or port ~= port or port % 1 ~= 0 or port < 0 or port > 65535 then
    error(errors.ERR_SOCKET_BAD_PORT('options.port', o.port), 0)
  end
  local host = o.hostname or o.host or 'localhost'
  if type(host) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('options.host', 'of type string', host), 0)
  end
  local method = o.method or 'GET'
  if type(method) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('options.method', 'of type string', method), 0)
  end
  if not common.isToken(method) then
    error(newError('TypeError', 'ERR_INVALID_HTTP_TOKEN', 'Method must be a valid HTTP token ["' .. method .. '"]'), 0)
  end
  method = method:upper()
  local path = o.path or '/'
  if type(path) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE('options.path', 'of type string', path), 0)
  end
  if find(path, '[%z\1-\32\127]') then
    error(newError('TypeError', 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters'), 0)
  end
  if o.timeout ~= nil then errors.checkNumber(o.timeout, 'options.timeout') end
  if o.maxHeaderSize ~= nil then errors.checkInteger(o.maxHeaderSize, 'options.maxHeaderSize', 1) end
  -- Checked: the request is made from here on.
  EventEmitter.initialize(self)
  self._f = 0
  self.agent = agent
  self.method = method
  self.path = path
  self.host = host
  self.port = port
  self.protocol = protocol
  self.timeout = o.timeout
  self.shouldKeepAlive = agent.keepAlive == true
  self.maxHeaderSize = o.maxHeaderSize
  self.insecureHTTPParser = o.insecureHTTPParser == true
  self._hasBody = not methodsWithoutBody[method]
  if o.headers ~= nil then common.applyHeaders(self, o.headers, 'options.headers') end
  if o.setHost ~= false and not self:hasHeader('host') then
    local hh = host
    if find(hh, ':', 1, true) and byte(hh, 1) ~= 91 then hh = '[' .. hh .. ']' end
    if port ~= defaultPort then hh = hh .. ':' .. port end
    self:setHeader('Host', hh)
  end
  if o.auth ~= nil and not self:hasHeader('authorization') then
    self:setHeader('Authorization', 'Basic ' .. Buffer.from(tostring(o.auth)):toString('base64'))
  end
  if cb then self:once('response', cb) end
  local copts = { host = host, port = port, localAddress = o.localAddress, localPort = o.localPort,
    family = o.family, path = o.socketPath, socketPath = o.socketPath, lookup = o.lookup }
  if o.socketPath then copts.host, copts.port = nil, nil end
  if o.createConnection then
    local sock = o.createConnection(copts)
    if sock then attach(self, sock, false) end
  else
    agent:addRequest(self, copts)
  end
end

-- The request's header block.
local function requestHead(req, bodyLen)
  local parts = { req.method, ' ', req.path, ' HTTP/1.1\r\n' }
  local n = 4
  local connection, cl, te, _
  local h = rawget(req, '_h')
  if h then n, _, connection, cl, te = headerLines(h, parts, n) end
  if connection then
    if find(lower(connection), 'close', 1, true) then req.shouldKeepAlive = false end
  elseif req.shouldKeepAlive then
    parts[n + 1] = 'Connection: keep-alive\r\n'; n = n + 1
  else
    parts[n + 1] = 'Connection: close\r\n'; n = n + 1
  end
  if not cl and not te then
    if bodyLen and (bodyLen > 0 or req._hasBody) then
      parts[n + 1] = 'Content-Length: ' .. bodyLen .. '\r\n'; n = n + 1
    elseif req._hasBody and not bodyLen then
      parts[n + 1] = 'Transfer-Encoding: chunked\r\n'; n = n + 1
      req._chunked = true
    end
  elseif te and find(lower(te), 'chunked', 1, true) then
    req._chunked = true
  end
  parts[n + 1] = '\r\n'
  req.headersSent = true
  return concat(parts, '', 1, n + 1)
end

-- 'drain' on the request when its socket drains after a write past the
-- mark.
local function waitDrain(req, sock)
  req.writableNeedDrain = true
  if rawget(req, '_drainWait') then return end
  req._drainWait = true
  sock:once('drain', function()
    req._drainWait = nil
    req.writableNeedDrain = false
    emit(req, 'drain')
  end)
end

local function out(req, data)
  local sock = rawget(req, 'socket')
  if sock then
    local ok = sock:write(data)
    if ok == false then waitDrain(req, sock) end
    return ok
  end
  local q = rawget(req, '_outq')
  if not q then q = {}; req._outq = q end
  q[#q + 1] = data
  return true
end

function ClientRequest:write(chunk, enc, cb)
  if type(enc) == 'function' then cb, enc = enc, nil end
  if common.refuseWrite(self, chunk, cb) then return false end
  local data, len = chunkBytes(chunk, enc)
  local head = ''
  if not self.headersSent then self._hasBody = true; head = requestHead(self, nil) end
  local ok
  if len == 0 then ok = head == '' or out(self, head)
  elseif self._chunked then ok = out(self, head .. hex(len) .. '\r\n' .. data .. '\r\n')
  else ok = out(self, head .. data) end
  if cb then nextTick(cb) end
  return ok
end

function ClientRequest:finish(chunk, enc, cb)
  if type(chunk) == 'function' then cb, chunk, enc = chunk, nil, nil end
  if type(enc) == 'function' then cb, enc = enc, nil end
  if self.finished then return finishAgain(self, chunk, cb, self.writableFinished) end
  local data, len = nil, 0
  if chunk ~= nil then
    data, len = chunkBytes(chunk, enc)
  end
  local o
  if not self.headersSent then
    local head = requestHead(self, data and len or (self._hasBody and 0 or nil))
    o = head .. (data or '')
  elseif self._chunked then
    if data and len > 0 then o = hex(len) .. '\r\n' .. data .. '\r\n0\r\n\r\n'
    else o = '0\r\n\r\n' end
  else
    o = data
  end
  self.finished = true
  self.writableEnded = true
  self.writable = false
  if cb then self:once('finish', cb) end
  if o and o ~= '' then out(self, o) end
  local sock = rawget(self, 'socket')
  if sock then
    sock:write('', function() self.writableFinished = true; emit(self, 'finish') end)
  else
    self._finishPending = true
  end
  return self
end

function ClientRequest:flushHeaders()
  if not self.headersSent then out(self, requestHead(self, nil)) end
end

-- The response ------------------------------------------------------------------

local handlers = {}

local function closeRequest(req)
  if rawget(req, '_closed') then return end
  req._closed = true
  emit(req, 'close')
end

function handlers.headers(req, status, message, version, raw, flags)
  local sock = req.socket
  local res = newIncoming(sock, raw)
  res.statusCode = status
  res.statusMessage = message
  res.req = req
  if version ~= '1.1' then setVersion(res, version) end
  if status >= 100 and status < 200 and status ~= 101 then
    -- An interim response: 'continue' or 'information'; the parser reads
    -- the final one next.
    req._interim = true
    if status == 100 then emit(req, 'continue')
    else
      emit(req, 'information', { statusCode = status, statusMessage = message, httpVersion = res.httpVersion,
        httpVersionMajor = res.httpVersionMajor, httpVersionMinor = res.httpVersionMinor,
        headers = res.headers, rawHeaders = raw })
    end
    return
  end
  req._interim = nil
  req.res = res
  if band(flags, 1) == 0 then req.shouldKeepAlive = false end
  if band(flags, 2) ~= 0 then
    res.upgrade = true
    req.upgradeOrConnect = true
    return
  end
  if not emit(req, 'response', res) then common.dump(res) end
end

function handlers.body(req, chunk)
  local res = req.res
  if not res or rawget(res, '_dumped') then return end
  if res:push(chunk) == false then
    res._paused = true
    req.socket:_readStop()
  end
end

local release -- gives the socket back, below

function handlers.complete(req, trailers)
  if rawget(req, '_interim') then req._interim = nil; return end
  local res = req.res
  if not res then return end
  if trailers then res.rawTrailers = trailers end
  endIncoming(res)
  release(req)
end

-- The socket back to its Agent, or closed, once the response is done.
release = function(req)
  local sock = rawget(req, 'socket')
  if not sock or rawget(req, '_released') then return end
  req._released = true
  sock._onread = nil
  sock:removeListener('error', req._onerror)
  sock:removeListener('close', req._onclose)
  sock:removeListener('timeout', req._ontimeout)
  if rawget(req, '_timeoutSet') then sock:setTimeout(0) end
  nextTick(closeRequest, req)
  local agent = rawget(sock, '_agentName') and req.agent
  if req.shouldKeepAlive and agent and not sock.destroyed then
    -- The request must also be all sent before the socket is reused.
    if req.writableFinished or not rawget(req, '_finishPending') then
      return agent:_free(sock)
    end
  end
  sock:destroySoon()
end

-- A response cut short: 'aborted' once, then 'error' (ECONNRESET,
-- 'aborted') when it has a listener for it, as Node's IncomingMessage.
local function abortResponse(res, err)
  if res.aborted then return end
  res.aborted = true
  emit(res, 'aborted')
  if err and err.code ~= 'ECONNRESET' then
    err = connReset('aborted')
  end
  if err and res:listenerCount('error') > 0 then res:destroy(err) else res:destroy() end
end

-- A socket error or a parse error goes to the request's 'error', as in
-- Node (a response under way also hears 'aborted' when the socket
-- closes).
local function onError(req, err)
  if rawget(req, '_errored') then return end
  req._errored = true
  local sock = rawget(req, 'socket')
  if sock then sock:destroy() end
  nextTick(closeRequest, req)
  emit(req, 'error', err)
end

local function onData(req, sock, data)
  local err, reason, used = run(req._parser, data, handlers, req)
  if not err then return end
  if err == 'HPE_PAUSED_UPGRADE' then
    local res = req.res
    local head = sub(data, used + 1)
    sock._onread = nil
    sock:removeListener('error', req._onerror)
    sock:removeListener('close', req._onclose)
    sock:_readStop()
    local event = req.method == 'CONNECT' and 'connect' or 'upgrade'
    if req:listenerCount(event) > 0 then
      emit(req, event, res, sock, head)
    else
      sock:destroy()
    end
    closeRequest(req)
    return
  end
  onError(req, common.parseError(err, reason, used, data))
end

local socketOnread = net.Socket.__index(net.Socket, '_onread')

-- A request gets its socket: the parser reads the socket's bytes, and
-- what the request wrote before goes out.
attach = function(req, sock, reused)
  if req.destroyed then
    if reused and req.agent then req.agent:_free(sock) else sock:destroy() end
    return
  end
  req.socket = sock
  req.connection = sock
  req.reusedSocket = reused
  local p = sock._httpParser
  if p then p:reset('response')
  else
    p = common.newParser('response', req.maxHeaderSize, req.maxHeadersCount)
    sock._httpParser = p
  end
  if req.insecureHTTPParser then p:lenient(true) end
  if req.method == 'HEAD' then p:skipBody(true) end
  req._parser = p
  sock._onread = function(s, data, errno)
    if s ~= sock then return end
    if type(data) == 'string' then return onData(req, s, data) end
    data = nil
    if errno == EOF then
      local err, reason, used = run(p, nil, handlers, req)
      if err then onError(req, common.parseError(err, reason, used, '')) end
      if s.destroyed then return end
    end
    return socketOnread(s, data, errno)
  end
  req._onerror = function(err)
    if type(err) ~= 'table' then err = newError('Error', 'ERR_INVALID_ARG_TYPE', tostring(err)) end
    onError(req, err)
  end
  req._onclose = function()
    if rawget(req, '_released') then return end
    local res = req.res
    if res then
      if not res.complete then abortResponse(res, connReset('aborted')) end
    elseif not rawget(req, '_errored') then
      req._errored = true
      emit(req, 'error', connReset('socket hang up'))
    end
    closeRequest(req)
  end
  req._ontimeout = function() emit(req, 'timeout') end
  sock:on('error', req._onerror)
  sock:on('close', req._onclose)
  sock:on('timeout', req._ontimeout)
  if req.timeout and req.timeout > 0 then
    req._timeoutSet = true
    sock:setTimeout(req.timeout)
  end
  if rawget(req, '_pendingTimeout') then
    req._timeoutSet = true
    sock:setTimeout(req._pendingTimeout)
  end
  if reused then sock:_readStart() end
  nextTick(function()
    emit(req, 'socket', sock)
    local q = rawget(req, '_outq')
    if q then
      req._outq = nil
      for i = 1, #q do sock:write(q[i]) end
    end
    if rawget(req, '_finishPending') then
      req._finishPending = nil
      sock:write('', function() req.writableFinished = true; emit(req, 'finish') end)
    end
  end)
end

function ClientRequest:setTimeout(ms, cb)
  errors.checkNumber(ms, 'msecs')
  if cb then self:once('timeout', cb) end
  local sock = rawget(self, 'socket')
  if sock then
    self._timeoutSet = true
    sock:setTimeout(ms)
  else
    self._pendingTimeout = ms
  end
  return self
end

function ClientRequest:setNoDelay(on)
  local sock = rawget(self, 'socket')
  if sock then sock:setNoDelay(on) end
end

function ClientRequest:setSocketKeepAlive(on, delay)
  local sock = rawget(self, 'socket')
  if sock then sock:setKeepAlive(on, delay) end
end

function ClientRequest:destroy(err)
  if self.destroyed then return self end
  self.destroyed = true
  local res = self.res
  if res and not res.complete then abortResponse(res, nil) end
  local sock = rawget(self, 'socket')
  if err ~= nil and not rawget(self, '_errored') then
    self._errored = true
    nextTick(emit, self, 'error', err)
  elseif not res and not rawget(self, '_errored') then
    self._errored = true
    nextTick(emit, self, 'error', connReset('socket hang up'))
  end
  if sock then
    if not rawget(self, '_released') then sock:destroy() end
  else
    -- Not attached yet: it leaves its Agent's queue.
    local agent = self.agent
    if agent and agent.requests then
      for name, q in next, agent.requests do
        for i = #q, 1, -1 do if q[i] == self then table.remove(q, i) end end
        if #q == 0 then agent.requests[name] = nil end
      end
    end
  end
  nextTick(closeRequest, self)
  return self
end

function ClientRequest:abort()
  if self.aborted then return end
  self.aborted = true
  nextTick(emit, self, 'abort')
  self:destroy()
end

function ClientRequest:cork() end
function ClientRequest:uncork() end

-- http.request / http.get -----------------------------------------------------------

function M.request(input, options, cb)
  return ClientRequest:new(input, options, cb)
end

function M.get(input, options, cb)
  local req = ClientRequest:new(input, options, cb)
  req:finish()
  return req
end

-- Self checks: write and finish check inline.
local instanceof = common.instanceof
common.inline(ClientRequest, 'ClientRequest', 'agent', { 'write', 'finish' })
ClientRequest['end'] = ClientRequest.finish
common.guard(ClientRequest, 'ClientRequest', function(v)
  return type(v) == 'table' and rawget(v, 'agent') ~= nil and instanceof(v, ClientRequest)
end, { write = true, finish = true, ['end'] = true })
common.guard(Agent, 'Agent', function(v)
  return type(v) == 'table' and rawget(v, 'sockets') ~= nil and instanceof(v, Agent)
end, { getName = true })

-- Node 19 on: the global agent keeps connections alive for 5 s.
M.globalAgent = Agent:new({ keepAlive = true, scheduling = 'lifo', timeout = 5000 })

return M
