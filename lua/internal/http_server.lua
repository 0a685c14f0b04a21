-- http's server half: Server (a net.Server), ServerResponse, and the
-- connection: llhttp parses a socket's bytes in the socket's own read
-- callback (no 'data' event in between), requests reach 'request' with
-- their response, and responses go out in the order of their requests.
--
-- A connection is its socket (an HttpSocket, below) and, while a message
-- is under way, a parser from the server's pool; a response writes its
-- header block and, when it can, its body in one socket write. Timeouts
-- (keepAliveTimeout, headersTimeout, requestTimeout) are checked by one
-- interval timer per server instead of a timer per connection.
local require, binding = ...

local net = require('net')
local EventEmitter = require('events')
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local timers = require('timers')
local common = require('internal/http_common')

local type, tostring, error, rawget, next, setmetatable, getmetatable = type, tostring, error, rawget, next, setmetatable, getmetatable
local pairs, ipairs = pairs, ipairs
local floor, tonumber = math.floor, tonumber
local concat = table.concat
local find, lower, sub = string.find, string.lower, string.sub
local nextTick = ticks.nextTick
local hex = common.hex
local emit = EventEmitter.emit
local newError = errors.new
local OutgoingMessage = common.OutgoingMessage
local STATUS_CODES = common.STATUS_CODES
local run, utcDate, chunkBytes, headerLines = common.run, common.utcDate, common.chunkBytes, common.headerLines
local refuseWrite, finishAgain = common.refuseWrite, common.finishAgain
local setVersion, newIncoming, endIncoming, dump = common.setVersion, common.newIncoming, common.endIncoming, common.dump

local M = {}

-- The loop's time, in ms, when the running callback began: cheap, and
-- all the timeouts need.
local options = require('internal/options')
local shared = require('ffi').cast('double *', options.shared)
local NOW = options.slots.NOW
local function now() return shared[NOW] end
local EOF = binding('tcp').codes.EOF
local band = bit.band

-- ServerResponse ------------------------------------------------------------------

-- A ServerResponse is a Writable in name (instanceof, pipe, finished) but
-- keeps its own small state: its bytes go to the connection, not through
-- Writable's buffering.
local ServerResponse = OutgoingMessage:extend('ServerResponse')
M.ServerResponse = ServerResponse

-- Defaults live in the class, so a response is made with only the fields
-- of its own; assigning one (res.statusCode = 404) shadows the default.
ServerResponse.statusCode = 200
ServerResponse.sendDate = true
ServerResponse._hasBody = true
ServerResponse.chunkedEncoding = false

local function newResponse(req, sock, keepAlive)
  local res = setmetatable({ req = req, _conn = sock, socket = sock, connection = sock,
    shouldKeepAlive = keepAlive, _f = 0 }, ServerResponse)
  if req.method == 'HEAD' then res._hasBody = false end
  -- HTTP/1.0 keeps the connection only when asked to and the length is
  -- known (headerBlock), and has no chunked encoding.
  if req.httpVersionMajor < 1 or (req.httpVersionMajor == 1 and req.httpVersionMinor < 1) then
    res._http10 = true
  end
  return res
end

function ServerResponse:initialize()
  error(errors.new('TypeError', 'ERR_ILLEGAL_CONSTRUCTOR', 'ServerResponse is made by the server'), 0)
end

-- Sends bytes of this response: straight to the socket when it is the
-- one being answered, else kept until the responses before it are done.
local function send(res, data)
  local sock = res._conn
  if rawget(sock, '_hhead') == res then
    return sock:write(data)
  end
  local q = rawget(res, '_out')
  if not q then q = {}; res._out = q end
  q[#q + 1] = data
  return true
end

-- The header block: status line, the headers set, then Date, Connection,
-- Keep-Alive and the framing header Node adds. `bodyLen` is the length of
-- the whole body when finish() knows it before the headers went. `parts`
-- is reused: nothing in here runs Lua code of anyone else's.
local parts = {}

local function headerBlock(res, bodyLen)
  local status = res.statusCode
  parts[1] = 'HTTP/1.1 '; parts[2] = tostring(status); parts[3] = ' '
  parts[4] = res.statusMessage or STATUS_CODES[status] or 'unknown'; parts[5] = '\r\n'
  local n = 5
  local date, connection, cl, te
  local h = rawget(res, '_h')
  if h then n, date, connection, cl, te = headerLines(h, parts, n) end
  local conn = res._conn
  local srv = rawget(conn, '_hs')
  if res.sendDate and not date then
    parts[n + 1] = 'Date: '; parts[n + 2] = utcDate(); parts[n + 3] = '\r\n'; n = n + 3
  end
  if connection then
    if find(lower(connection), 'close', 1, true) then res._last = true
    else res.shouldKeepAlive = true end
  else
    local max = srv.maxRequestsPerSocket
    if res.shouldKeepAlive and (not srv.listening or (max and max > 0 and rawget(conn, '_hn') >= max)) then
      -- The last response of the connection: its allowance is spent, or
      -- the server is closing and waits for its connections to end.
      res._last = true
      parts[n + 1] = 'Connection: close\r\n'; n = n + 1
    elseif res.shouldKeepAlive and (cl or bodyLen or not res._http10) then
      parts[n + 1] = 'Connection: keep-alive\r\n'; n = n + 1
      local kat = srv.keepAliveTimeout
      if kat and kat > 0 then
        parts[n + 1] = 'Keep-Alive: timeout='; parts[n + 2] = tostring(floor(kat / 1000)); n = n + 2
        if max and max > 0 then parts[n + 1] = ', max='; parts[n + 2] = tostring(max - rawget(conn, '_hn')); n = n + 2 end
        parts[n + 1] = '\r\n'; n = n + 1
      end
    else
      res._last = true
      parts[n + 1] = 'Connection: close\r\n'; n = n + 1
    end
  end
  if not cl and not te then
    if not res._hasBody then
      res._chunked = false
    elseif rawget(res, '_http10') then
      res._last = true
    elseif bodyLen and not rawget(res, '_removedContLen') then
      parts[n + 1] = 'Content-Length: '; parts[n + 2] = tostring(bodyLen); parts[n + 3] = '\r\n'; n = n + 3
    elseif not rawget(res, '_removedTE') then
      parts[n + 1] = 'Transfer-Encoding: chunked\r\n'; n = n + 1
      res._chunked = true
      res.chunkedEncoding = true
    else
      res._last = true
    end
  elseif te and find(lower(te), 'chunked', 1, true) then
    res._chunked = true
    res.chunkedEncoding = true
  end
  parts[n + 1] = '\r\n'
  res.headersSent = true
  return concat(parts, '', 1, n + 1)
end

-- A write that the socket took past its mark: 'drain' on the response
-- when the socket drains (one listener per connection, made once).
local function waitDrain(res)
  res.writableNeedDrain = true
  local sock = res._conn
  if not rawget(sock, '_hdrain') then
    sock._hdrain = function()
      local r = rawget(sock, '_hhead')
      if r and r.writableNeedDrain then
        r.writableNeedDrain = false
        emit(r, 'drain')
      end
    end
    sock:on('drain', rawget(sock, '_hdrain'))
  end
end

local function checkStatus(code)
  code = tonumber(code)
  if not code or code % 1 ~= 0 or code < 100 or code > 999 then
    error(newError('RangeError', 'ERR_HTTP_INVALID_STATUS_CODE', 'Invalid status code: ' .. tostring(code)), 0)
  end
  return code
end

-- writeHead(status, [message], [headers])
function ServerResponse:writeHead(status, message, headers)
  if self.headersSent then error(common.ERR_HTTP_HEADERS_SENT('write'), 0) end
  if type(message) ~= 'string' then headers, message = message, nil end
  status = checkStatus(status)
  self.statusCode = status
  if message ~= nil then
    if common.badValueChar(message) then
      error(newError('TypeError', 'ERR_INVALID_CHAR', 'Invalid character in statusMessage'), 0)
    end
    self.statusMessage = message
  end
  if headers ~= nil then common.applyHeaders(self, headers) end
  if status == 204 or status == 304 or (status >= 100 and status < 200) then self._hasBody = false end
  -- As in Node, writeHead makes the header block now (headersSent is
  -- true from here on), so a body that follows without a Content-Length
  -- is chunked; the block goes out with the first bytes of the body.
  self._head = headerBlock(self, nil)
  return self
end

-- The header block still to send, or nil when it went: the one writeHead
-- made, else one made now (finish() knows the body's length, bodyLen).
local function takeHead(self, bodyLen)
  local head = rawget(self, '_head')
  if head then
    self._head = nil
    return head
  end
  if self.headersSent then return nil end
  local code = checkStatus(self.statusCode)
  if code == 204 or code == 304 or (code >= 100 and code < 200) then self._hasBody = false end
  return headerBlock(self, bodyLen)
end

function ServerResponse:flushHeaders()
  local head = takeHead(self, nil)
  if head then send(self, head) end
end

function ServerResponse:write(chunk, enc, cb)
  if type(enc) == 'function' then cb, enc = enc, nil end
  if refuseWrite(self, chunk, cb) then return false end
  local data, len = chunkBytes(chunk, enc)
  local head = takeHead(self, nil)
  if not self._hasBody then
    if head then send(self, head) end
    if cb then nextTick(cb) end
    return true
  end
  local ok
  if len == 0 then
    ok = head and send(self, head) or true
  elseif self._chunked then
    ok = send(self, (head or '') .. hex(len) .. '\r\n' .. data .. '\r\n')
  else
    ok = send(self, head and head .. data or data)
  end
  if cb then nextTick(cb) end
  if ok == false then waitDrain(self) end
  return ok
end

local onFinished -- the connection's side of a finished response
local watchTimeout -- forwards a socket's 'timeout', below

-- finish([chunk], [enc], [cb]): Node's end().
function ServerResponse:finish(chunk, enc, cb)
  if type(chunk) == 'function' then cb, chunk, enc = chunk, nil, nil end
  if type(enc) == 'function' then cb, enc = enc, nil end
  if self.finished then
    return finishAgain(self, chunk, cb, self.writableFinished)
  end
  if self.destroyed then
    if cb then nextTick(cb, errors.ERR_STREAM_DESTROYED('end')) end
    return self
  end
  local data, len = nil, 0
  if chunk ~= nil then
    data, len = chunkBytes(chunk, enc)
  end
  local out
  local head = takeHead(self, self._hasBody and len or nil)
  if head then
    if not self._hasBody then
      out = head
    elseif self._chunked then
      local tr = rawget(self, '_trailer') or ''
      if data and len > 0 then out = head .. hex(len) .. '\r\n' .. data .. '\r\n0\r\n' .. tr .. '\r\n'
      else out = head .. '0\r\n' .. tr .. '\r\n' end
    else
      out = data and head .. data or head
    end
  elseif self._hasBody then
    if self._chunked then
      local tr = rawget(self, '_trailer') or ''
      if data and len > 0 then out = hex(len) .. '\r\n' .. data .. '\r\n0\r\n' .. tr .. '\r\n'
      else out = '0\r\n' .. tr .. '\r\n' end
    else
      out = data
    end
  end
  self.finished = true
  self.writableEnded = true
  self.writable = false
  if cb then self:once('finish', cb) end
  if out and out ~= '' then send(self, out) end
  onFinished(self)
  return self
end
ServerResponse['end'] = ServerResponse.finish

function ServerResponse:addTrailers(headers)
  local parts, n = {}, 0
  local keys = {}
  for k in next, headers do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    common.validateHeaderName(k, 'Trailer name')
    common.validateHeaderValue(k, headers[k])
    parts[n + 1] = k; parts[n + 2] = ': '; parts[n + 3] = tostring(headers[k]); parts[n + 4] = '\r\n'
    n = n + 4
  end
  self._trailer = (rawget(self, '_trailer') or '') .. concat(parts)
end

function ServerResponse:writeContinue(cb)
  send(self, 'HTTP/1.1 100 Continue\r\n\r\n')
  self._sent100 = true
  if cb then nextTick(cb) end
end

function ServerResponse:writeProcessing(cb)
  send(self, 'HTTP/1.1 102 Processing\r\n\r\n')
  if cb then nextTick(cb) end
end

-- writeEarlyHints(hints): a 103 response with Link headers.
function ServerResponse:writeEarlyHints(hints, cb)
  errors.checkTable(hints, 'hints')
  local parts = { 'HTTP/1.1 103 Early Hints\r\n' }
  local link = hints.link
  if type(link) == 'table' then link = concat(link, ', ') end
  if link then parts[#parts + 1] = 'Link: ' .. tostring(link) .. '\r\n' end
  for k, v in pairs(hints) do
    if k ~= 'link' then
      common.validateHeaderName(k); common.validateHeaderValue(k, v)
      parts[#parts + 1] = k .. ': ' .. tostring(v) .. '\r\n'
    end
  end
  parts[#parts + 1] = '\r\n'
  send(self, concat(parts))
  if cb then nextTick(cb) end
end

function ServerResponse:setTimeout(ms, cb)
  errors.checkNumber(ms, 'msecs')
  if type(cb) ~= 'nil' then errors.checkFunction(cb, 'callback'); self:once('timeout', cb) end
  local s = rawget(self, 'socket')
  if s and not s.destroyed then watchTimeout(s); s:setTimeout(ms) end
  return self
end

function ServerResponse:destroy(err)
  if self.destroyed then return self end
  self.destroyed = true
  local s = rawget(self, 'socket')
  if s then s:destroy(err) end
  return self
end

function ServerResponse:cork() end
function ServerResponse:uncork() end

-- The connection ------------------------------------------------------------------

-- A connection is its socket, an HttpSocket: a net.Socket whose read,
-- close and error paths are the server's while `_hs` (its server) is set,
-- and a plain socket's after an upgrade. Its http state lives in a few
-- fields of its own, so an idle kept-alive connection costs the socket
-- and little more (no table, closure or listener of its own):
--   _hs     the server (nil once the socket is the listener's)
--   _hp     the parser, while a message is under way; between messages
--           it goes back to the server's pool
--   _hn     requests begun;  _ht  the loop time of the last activity
--   _hreq   the request being parsed;  _hstart  when it began
--   _hhead  the response being answered;  _hq/_hqh/_hqt  those waiting
--           behind it (pipelining)
--   _hfq, _hflush  responses waiting for the socket to take their bytes
--   _hdrain, _herr, _hup  the 'drain' listener, an error seen, an upgrade
local Socket = net.Socket
local HttpSocket = Socket:extend('Socket')
local hidden = {}
local socketIndex = Socket.__index

-- Socket's methods are copied in, so a method call on a connection costs
-- one lookup, as on any socket; fields and getters go on to Socket's.
for k, v in next, Socket do
  if type(v) == 'function' and k:sub(1, 2) ~= '__' then HttpSocket[k] = v end
end

function HttpSocket.__index(t, k)
  local v = rawget(HttpSocket, k)
  if v ~= nil then return v end
  v = hidden[k]
  if v ~= nil then return v end
  return socketIndex(t, k)
end

-- Socket's own callbacks, which the connection's hand on to.
local socketOnread = socketIndex(Socket, '_onread')
local socketOnclose = socketIndex(Socket, '_onclose')
local socketEmitError = socketIndex(Socket, '_emitError')

local handlers = {}
local onError -- socketOnError, below

local function queue(sock, res)
  if rawget(sock, '_hhead') == nil then
    sock._hhead = res
    return
  end
  local q = rawget(sock, '_hq')
  if not q then q = {}; sock._hq = q; sock._hqh = 1; sock._hqt = 0 end
  sock._hqt = rawget(sock, '_hqt') + 1
  q[rawget(sock, '_hqt')] = res
end

-- The next response in line becomes the one answered, and what it wrote
-- while waiting goes out.
local function advance(sock)
  local q = rawget(sock, '_hq')
  local res = q and q[rawget(sock, '_hqh')]
  if not res then
    sock._hhead = nil
    return
  end
  q[rawget(sock, '_hqh')] = nil
  sock._hqh = rawget(sock, '_hqh') + 1
  sock._hhead = res
  local out = rawget(res, '_out')
  if out then
    res._out = nil
    for i = 1, #out do sock:write(out[i]) end
  end
  if res.finished then onFinished(res) end
end

-- 'finish' once the socket took the bytes: at once when it holds none,
-- else after the writes made so far (their callbacks run in order; the
-- responses waiting for theirs are in _hfq).
local function emitFinish(res)
  res.writableFinished = true
  emit(res, 'finish')
  emit(res, 'close')
end

local function flushed(sock)
  local fq = rawget(sock, '_hfq')
  local res = fq[fq.h]
  if not res then return end
  fq[fq.h] = nil
  fq.h = fq.h + 1
  emitFinish(res)
end

-- Made apart: a function that makes a closure is not compiled by the JIT.
local function newFlushQueue(sock)
  sock._hflush = function() flushed(sock) end
  local fq = { h = 1, t = 0 }
  sock._hfq = fq
  return fq
end

local function finishWhenFlushed(sock, res)
  -- sock.writableLength == 0, read from net's fields: this runs for every
  -- response, and the getter is four lookups away on a connection.
  local pending = rawget(sock, '_pending')
  if (pending == nil or pending == 0) and rawget(sock, '_early') == nil then
    -- All of it is in the kernel: writableFinished is true from here, as
    -- Node's getter is, before 'finish' comes.
    res.writableFinished = true
    return nextTick(emitFinish, res)
  end
  local fq = rawget(sock, '_hfq') or newFlushQueue(sock)
  fq.t = fq.t + 1
  fq[fq.t] = res
  sock:write('', rawget(sock, '_hflush'))
end

onFinished = function(res)
  local sock = res._conn
  if rawget(sock, '_hhead') ~= res then return end
  local req = res.req
  sock._ht = now()
  -- A body nobody reads is thrown away so the connection can go on.
  if rawget(req, 'readableFlowing') == nil and not rawget(req, 'readableDidRead') and not rawget(req, '_dumped') then dump(req) end
  finishWhenFlushed(sock, res)
  if rawget(res, '_last') or not res.shouldKeepAlive then
    sock._hhead = nil
    sock._hq = nil
    sock:destroySoon()
    return
  end
  advance(sock)
end

local CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n'

function handlers.headers(sock, method, url, version, raw, flags)
  local srv = rawget(sock, '_hs')
  local req = newIncoming(sock, raw)
  req.method = method
  req.url = url
  if version ~= '1.1' then setVersion(req, version) end
  sock._hreq = req
  sock._hn = rawget(sock, '_hn') + 1
  if band(flags, 2) ~= 0 then
    req.upgrade = true
    sock._hup = req
    return
  end
  local res = newResponse(req, sock, band(flags, 1) ~= 0)
  queue(sock, res)
  -- Expect: 100-continue gets its interim answer, or goes to
  -- 'checkContinue' listeners, which answer it themselves.
  for i = 1, #raw, 2 do
    local k = raw[i]
    if #k == 6 and lower(k) == 'expect' then
      if lower(raw[i + 1]) == '100-continue' and req.httpVersionMinor >= 1 then
        if srv:listenerCount('checkContinue') > 0 then
          emit(srv, 'checkContinue', req, res)
          return
        end
        send(res, CONTINUE)
        res._sent100 = true
      elseif srv:listenerCount('checkExpectation') > 0 then
        emit(srv, 'checkExpectation', req, res)
        return
      else
        res:writeHead(417)
        res:finish()
      end
      break
    end
  end
  emit(srv, 'request', req, res)
end

function handlers.body(sock, chunk)
  local req = rawget(sock, '_hreq')
  if not req or rawget(req, '_dumped') then return end
  if req:push(chunk) == false then
    req._paused = true
    sock:_readStop()
  end
end

function handlers.complete(sock, trailers)
  local req = rawget(sock, '_hreq')
  if not req then return end
  sock._hreq = nil
  sock._hstart = nil
  if trailers then req.rawTrailers = trailers end
  endIncoming(req)
end

-- Parsers are the server's: a connection takes one when bytes come and
-- the sweep takes it back once the connection has been idle a while, so
-- idle connections hold none and busy ones keep theirs.
local function takeParser(sock, srv)
  local pool = srv._parsers
  local n = #pool
  local p
  if n > 0 then
    p = pool[n]
    pool[n] = nil
    p:reset('request')
  else
    p = common.newParser('request', srv.maxHeaderSize, srv.maxHeadersCount)
  end
  if srv.insecureHTTPParser then p:lenient(true) end
  sock._hp = p
  return p
end

local function giveParser(sock, srv, p)
  sock._hp = nil
  local pool = srv._parsers
  if #pool < 256 then pool[#pool + 1] = p end
end

-- A request without an 'upgrade' listener is an ordinary one, and
-- parsing goes on after it.
local function notUpgraded(sock, srv, req, head)
  rawget(sock, '_hp'):reset('request')
  req.upgrade = false
  local res = newResponse(req, sock, true)
  queue(sock, res)
  endIncoming(req)
  sock._hreq = nil
  emit(srv, 'request', req, res)
  if #head > 0 then return hidden._onread(sock, head) end
end

-- The bytes of a connection, straight from the socket into the parser.
local function onData(sock, data)
  local srv = rawget(sock, '_hs')
  local t = now()
  sock._ht = t
  if rawget(sock, '_hstart') == nil and rawget(sock, '_hreq') == nil then sock._hstart = t end
  local p = rawget(sock, '_hp') or takeParser(sock, srv)
  local err, reason, used = run(p, data, handlers, sock)
  if not err then return end
  if err ~= 'HPE_PAUSED_UPGRADE' then
    return onError(sock, common.parseError(err, reason, used, data))
  end
  local req = rawget(sock, '_hup')
  sock._hup = nil
  local head = sub(data, used + 1)
  local event = req.method == 'CONNECT' and 'connect' or 'upgrade'
  if srv:listenerCount(event) == 0 then
    if event == 'connect' then return sock:destroy() end
    return notUpgraded(sock, srv, req, head)
  end
  -- The socket is the listener's from here on: a plain socket.
  sock._hs = nil
  sock._hp = nil
  sock._hreq = nil
  srv._conns[sock] = nil
  sock:_readStop()
  emit(srv, event, req, sock, head)
end

-- Node's answers to a bad request when no 'clientError' listener writes
-- one, by error code.
local badAnswers = {
  HPE_HEADER_OVERFLOW = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW = 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
}

-- A bad request or a timeout: 'clientError', or Node's answer, then the
-- socket goes. Parsing stops here.
onError = function(sock, err)
  if rawget(sock, '_herr') then return end
  sock._herr = true
  local srv = rawget(sock, '_hs')
  local req = rawget(sock, '_hreq')
  if req then req.aborted = true end
  sock._hp = nil
  if srv:listenerCount('clientError') > 0 then
    emit(srv, 'clientError', err, sock)
    return
  end
  if sock.writable and sock.bytesWritten == 0 then
    sock:write(badAnswers[err.code] or 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  end
  sock:destroy()
end

-- The client ended its side. As in Node (httpAllowHalfOpen false),
-- requests still waiting for their responses are aborted, which ends the
-- connection; else the server ends its side too.
local function onEnd(sock)
  local p = rawget(sock, '_hp')
  if p then
    local err, reason, used = run(p, nil, handlers, sock)
    if err then return onError(sock, common.parseError(err, reason, used, '')) end
  end
  local pending = rawget(sock, '_hhead') ~= nil or rawget(sock, '_hreq') ~= nil
  if not pending then
    sock:finish()
  elseif not rawget(sock, '_hs').httpAllowHalfOpen then
    sock:destroy()
  end
end

-- The socket's callbacks from C: each checks its object, as anything a
-- script can reach may be called with anything.
local function isConn(s)
  return type(s) == 'table' and rawget(s, '_hs') ~= nil and rawget(s, '_sf') ~= nil
end

function hidden._onread(sock, data, errno)
  if not isConn(sock) or rawget(sock, '_herr') then
    if type(sock) == 'table' and rawget(sock, '_sf') then return socketOnread(sock, data, errno) end
    return
  end
  if type(data) == 'string' then return onData(sock, data) end
  if errno == EOF then
    onEnd(sock)
    if sock.destroyed then return end
  end
  return socketOnread(sock, nil, errno)
end

-- An error of the socket itself (a reset, a failed write): to
-- 'clientError' listeners, and to the socket's own 'error' listeners if
-- it has any; never uncaught, as Node's socketOnError listener sees to.
function hidden._emitError(sock, err)
  if not isConn(sock) then
    if type(sock) == 'table' and rawget(sock, '_sf') then return socketEmitError(sock, err) end
    return
  end
  local srv = rawget(sock, '_hs')
  if not rawget(sock, '_herr') then
    sock._herr = true
    if srv:listenerCount('clientError') > 0 then emit(srv, 'clientError', err, sock) end
  end
  if sock:listenerCount('error') > 0 then emit(sock, 'error', err) end
end

-- The socket closed: what was under way on it is aborted.
function hidden._onclose(sock)
  if type(sock) ~= 'table' or rawget(sock, '_sf') == nil then return end
  local srv = rawget(sock, '_hs')
  if srv then
    srv._conns[sock] = nil
    local p = rawget(sock, '_hp')
    if p and p:idle() then giveParser(sock, srv, p) end
    local req = rawget(sock, '_hreq')
    if req and not req.complete then
      req.aborted = true
      emit(req, 'aborted')
      req:destroy()
    end
    local res = rawget(sock, '_hhead')
    while res do
      if not res.writableFinished then
        res.destroyed = true
        emit(res, 'close')
      end
      local q = rawget(sock, '_hq')
      res = q and q[rawget(sock, '_hqh')]
      if res then q[rawget(sock, '_hqh')] = nil; sock._hqh = rawget(sock, '_hqh') + 1 end
    end
    sock._hhead = nil
  end
  return socketOnclose(sock)
end

-- An idle socket (its setTimeout, server.timeout): 'timeout' on the
-- request under way, on the response, on the server; destroyed when none
-- of them listens, as in Node. One listener per socket, made once.
local function onSocketTimeout(sock)
  local srv = rawget(sock, '_hs')
  if not srv then return end
  local req, res = rawget(sock, '_hreq'), rawget(sock, '_hhead')
  local a = req and not req.complete and emit(req, 'timeout', sock)
  local b = res and emit(res, 'timeout', sock)
  local c = emit(srv, 'timeout', sock)
  if not a and not b and not c then sock:destroy() end
end

watchTimeout = function(sock)
  if rawget(sock, '_htimeout') or not rawget(sock, '_hs') then return end
  sock._htimeout = function() onSocketTimeout(sock) end
  sock:on('timeout', rawget(sock, '_htimeout'))
end

common.watchTimeout = watchTimeout

-- A new socket of the server: a connection.
local function connectionListener(srv, sock)
  if getmetatable(sock) ~= HttpSocket or rawget(sock, '_hs') then return end
  sock._hs = srv
  sock._hn = 0
  sock._ht = now()
  srv._conns[sock] = true
  local to = srv.timeout
  if to and to > 0 then
    watchTimeout(sock)
    sock:setTimeout(to)
  end
end

local function isIdle(sock)
  return rawget(sock, '_hhead') == nil and rawget(sock, '_hreq') == nil and rawget(sock, '_hstart') == nil
end

local function stopSweep(srv)
  local iv = rawget(srv, '_sweep')
  if iv then timers.clearInterval(iv); srv._sweep = nil end
end

-- The sweep: keep-alive, header and request timeouts of every connection.
-- It runs while the server listens and, after close(), until its last
-- connection is gone.
local function sweep(srv)
  if not srv.listening and next(srv._conns) == nil then return stopSweep(srv) end
  local t = now()
  local kat = srv.keepAliveTimeout or 0
  local ht = srv.headersTimeout or 0
  local rt = srv.requestTimeout or 0
  for sock in next, srv._conns do
    if isIdle(sock) then
      if kat > 0 and t - rawget(sock, '_ht') >= kat then
        sock:destroy()
      else
        local p = rawget(sock, '_hp')
        if p and t - rawget(sock, '_ht') >= 200 and p:idle() then giveParser(sock, srv, p) end
      end
    else
      -- A request still coming: its headers within headersTimeout, all of
      -- it within requestTimeout.
      local start = rawget(sock, '_hstart')
      if start then
        local age = t - start
        if (ht > 0 and age >= ht and rawget(sock, '_hreq') == nil) or (rt > 0 and age >= rt) then
          onError(sock, newError('Error', 'ERR_HTTP_REQUEST_TIMEOUT', 'Request timeout'))
        end
      end
    end
  end
end

-- Server --------------------------------------------------------------------------

local Server = net.Server:extend('Server')
M.Server = Server

function Server:initialize(options, listener)
  if type(options) == 'function' then options, listener = nil, options end
  if type(options) ~= 'nil' and type(options) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', options), 0)
  end
  options = options or {}
  if type(listener) ~= 'nil' then errors.checkFunction(listener, 'requestListener') end
  local function int(name, default)
    local v = options[name]
    if v == nil then return default end
    errors.checkInteger(v, 'options.' .. name, 0)
    return v
  end
  net.Server.initialize(self, { allowHalfOpen = true, noDelay = options.noDelay ~= false,
    keepAlive = options.keepAlive, keepAliveInitialDelay = options.keepAliveInitialDelay })
  self.timeout = 0
  self.keepAliveTimeout = int('keepAliveTimeout', 5000)
  self.headersTimeout = int('headersTimeout', 60000)
  self.requestTimeout = int('requestTimeout', 300000)
  self.maxHeadersCount = nil
  self.maxRequestsPerSocket = int('maxRequestsPerSocket', 0)
  self.maxHeaderSize = int('maxHeaderSize', 16384)
  self.connectionsCheckingInterval = int('connectionsCheckingInterval', 30000)
  self.httpAllowHalfOpen = false
  self.insecureHTTPParser = options.insecureHTTPParser == true
  self._conns = setmetatable({}, { __mode = 'k' })
  self._parsers = {}
  self._socketClass = HttpSocket
  self:on('connection', function(sock) connectionListener(self, sock) end)
  self:on('listening', function()
    if rawget(self, '_sweep') then return end
    -- Often enough for keepAliveTimeout's precision (a quarter of a
    -- second), rarely enough to cost nothing.
    local iv = timers.setInterval(function() sweep(self) end, 250)
    iv:unref()
    self._sweep = iv
  end)
  if listener then self:on('request', listener) end
end

function Server:closeIdleConnections()
  for sock in next, self._conns do
    if rawget(sock, '_hhead') == nil and rawget(sock, '_hreq') == nil then sock:destroy() end
  end
end

function Server:closeAllConnections()
  for sock in next, self._conns do sock:destroy() end
end

function Server:close(cb)
  if next(self._conns) == nil then stopSweep(self) end
  self:closeIdleConnections()
  return net.Server.close(self, cb)
end

function Server:setTimeout(ms, cb)
  errors.checkNumber(ms, 'msecs')
  self.timeout = ms
  if cb then self:on('timeout', cb) end
  return self
end

-- Self checks: write, finish and writeHead, called for every response,
-- check inline.
local function isResponse(v) return type(v) == 'table' and rawget(v, '_conn') ~= nil end
local function isServer(v) return type(v) == 'table' and rawget(v, '_conns') ~= nil and common.instanceof(v, Server) end
common.inline(ServerResponse, 'ServerResponse', '_conn', { 'write', 'finish', 'writeHead' })
ServerResponse['end'] = ServerResponse.finish
common.guard(ServerResponse, 'ServerResponse', isResponse,
  { write = true, finish = true, ['end'] = true, writeHead = true })
common.guard(Server, 'Server', isServer)

return M
