-- What the http server and client share: Node's tables (STATUS_CODES,
-- METHODS), the header checks, IncomingMessage, the outgoing headers of
-- OutgoingMessage, and the walk over the parser's events (modules/
-- http_parser.c lists them).
local require, binding = ...

local errors = require('internal/errors')
local ticks = require('internal/ticks')
local EventEmitter = require('events')
local stream = require('stream')
local Buffer = require('buffer').Buffer
local hp = binding('http_parser')

local type, tostring, error, rawget, rawset, next = type, tostring, error, rawget, rawset, next
local pairs, ipairs, setmetatable = pairs, ipairs, setmetatable
local lower, find, format, byte = string.lower, string.find, string.format, string.byte
local concat, sort = table.concat, table.sort
local newError = errors.new

local M = {}

M.STATUS_CODES = {
  [100] = 'Continue', [101] = 'Switching Protocols', [102] = 'Processing', [103] = 'Early Hints',
  [200] = 'OK', [201] = 'Created', [202] = 'Accepted', [203] = 'Non-Authoritative Information',
  [204] = 'No Content', [205] = 'Reset Content', [206] = 'Partial Content', [207] = 'Multi-Status',
  [208] = 'Already Reported', [226] = 'IM Used',
  [300] = 'Multiple Choices', [301] = 'Moved Permanently', [302] = 'Found', [303] = 'See Other',
  [304] = 'Not Modified', [305] = 'Use Proxy', [307] = 'Temporary Redirect', [308] = 'Permanent Redirect',
  [400] = 'Bad Request', [401] = 'Unauthorized', [402] = 'Payment Required', [403] = 'Forbidden',
  [404] = 'Not Found', [405] = 'Method Not Allowed', [406] = 'Not Acceptable',
  [407] = 'Proxy Authentication Required', [408] = 'Request Timeout', [409] = 'Conflict',
  [410] = 'Gone', [411] = 'Length Required', [412] = 'Precondition Failed',
  [413] = 'Payload Too Large', [414] = 'URI Too Long', [415] = 'Unsupported Media Type',
  [416] = 'Range Not Satisfiable', [417] = 'Expectation Failed', [418] = "I'm a Teapot",
  [421] = 'Misdirected Request', [422] = 'Unprocessable Entity', [423] = 'Locked',
  [424] = 'Failed Dependency', [425] = 'Too Early', [426] = 'Upgrade Required',
  [428] = 'Precondition Required', [429] = 'Too Many Requests',
  [431] = 'Request Header Fields Too Large', [451] = 'Unavailable For Legal Reasons',
  [500] = 'Internal Server Error', [501] = 'Not Implemented', [502] = 'Bad Gateway',
  [503] = 'Service Unavailable', [504] = 'Gateway Timeout', [505] = 'HTTP Version Not Supported',
  [506] = 'Variant Also Negotiates', [507] = 'Insufficient Storage', [508] = 'Loop Detected',
  [509] = 'Bandwidth Limit Exceeded', [510] = 'Not Extended', [511] = 'Network Authentication Required',
}

-- The methods llhttp parses, sorted, as Node's http.METHODS.
M.METHODS = {
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK',
  'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS',
  'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT',
  'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
}

-- Checks ----------------------------------------------------------------------

-- A token (RFC 9110): what a header name and a method may be made of.
local function isToken(s)
  return type(s) == 'string' and s ~= '' and not find(s, "[^%w!#$%%&'*+%-%.%^_`|~]")
end
M.isToken = isToken

-- Header values may hold tabs, visible ASCII and bytes from 0x80 on.
local function badValueChar(s)
  return find(s, '[^\t\32-\126\128-\255]') ~= nil
end
M.badValueChar = badValueChar

function M.validateHeaderName(name, label)
  if not isToken(name) then
    local e = newError('TypeError', 'ERR_INVALID_HTTP_TOKEN',
      tostring(label or 'Header name') .. ' must be a valid HTTP token ["' .. tostring(name) .. '"]')
    error(e, 0)
  end
end

local function valueText(v)
  if v == nil then return 'undefined' end
  return tostring(v)
end

function M.validateHeaderValue(name, value)
  if value == nil then
    error(newError('TypeError', 'ERR_HTTP_INVALID_HEADER_VALUE',
      'Invalid value "' .. valueText(value) .. '" for header "' .. tostring(name) .. '"'), 0)
  end
  local tv = type(value)
  if tv == 'table' then
    for i = 1, #value do M.validateHeaderValue(name, value[i]) end
    return
  end
  if tv ~= 'string' and tv ~= 'number' and tv ~= 'boolean' then
    error(newError('TypeError', 'ERR_HTTP_INVALID_HEADER_VALUE',
      'Invalid value "' .. tostring(value) .. '" for header "' .. tostring(name) .. '"'), 0)
  end
  if tv == 'string' and badValueChar(value) then
    error(newError('TypeError', 'ERR_INVALID_CHAR',
      'Invalid character in header content ["' .. tostring(name) .. '"]'), 0)
  end
end

function M.ERR_HTTP_HEADERS_SENT(what)
  return newError('Error', 'ERR_HTTP_HEADERS_SENT', 'Cannot ' .. what .. ' headers after they are sent to the client')
end

-- The parser ------------------------------------------------------------------

M.newParser = hp.new

-- execute's event list. One table serves every parser: parsing starts
-- only from a socket's read callback (or its end), which never runs inside
-- another one's walk, so the events of one chunk are all walked before the
-- next chunk is parsed.
local out = {}

-- run(parser, data, handlers, obj): parses data (nil: the end of the
-- stream) and calls handlers.headers(obj, a, b, version, raw, flags),
-- handlers.body(obj, bytes) and handlers.complete(obj, trailers) in
-- order. Returns the error's name, reason and the bytes taken when llhttp
-- stopped (an error, or HPE_PAUSED_UPGRADE), else nil.
function M.run(parser, data, h, obj)
  local n, err, reason, used
  if data then n, err, reason, used = parser:execute(data, out)
  else n, err, reason, used = parser:finish(out) end
  local i = 1
  while i <= n do
    local kind = out[i]
    if kind == 1 then
      h.headers(obj, out[i + 1], out[i + 2], out[i + 3], out[i + 4], out[i + 5])
      i = i + 6
    elseif kind == 2 then
      local chunk = out[i + 1]
      out[i + 1] = false -- not kept alive by this table
      h.body(obj, chunk)
      i = i + 2
    else
      h.complete(obj, out[i + 1])
      i = i + 2
    end
  end
  return err, reason, used
end

-- A parse error as Node makes it: code HPE_*, 'Parse Error: ' and the
-- reason, with the bytes parsed and the chunk.
function M.parseError(code, reason, used, data)
  local e = newError('Error', code, 'Parse Error: ' .. tostring(reason))
  e.reason = reason
  e.bytesParsed = used
  e.rawPacket = data
  return e
end

-- Received headers --------------------------------------------------------------

-- Node's rules for repeated headers: set-cookie is a list, these keep
-- the first value, cookie joins with '; ', every other name with ', '.
local firstOnly = {
  ['content-type'] = true, ['content-length'] = true, ['user-agent'] = true, referer = true,
  host = true, authorization = true, ['proxy-authorization'] = true, ['if-modified-since'] = true,
  ['if-unmodified-since'] = true, from = true, location = true, ['max-forwards'] = true,
  ['retry-after'] = true, etag = true, ['last-modified'] = true, server = true, age = true,
  expires = true,
}

function M.headersOf(raw)
  local h = {}
  for i = 1, #raw, 2 do
    local k = lower(raw[i])
    local v = raw[i + 1]
    local old = h[k]
    if old == nil then
      if k == 'set-cookie' then h[k] = { v } else h[k] = v end
    elseif k == 'set-cookie' then
      old[#old + 1] = v
    elseif not firstOnly[k] then
      h[k] = old .. (k == 'cookie' and '; ' or ', ') .. v
    end
  end
  return h
end

-- headersDistinct: every name to the list of its values.
function M.headersDistinctOf(raw)
  local h = {}
  for i = 1, #raw, 2 do
    local k = lower(raw[i])
    local l = h[k]
    if not l then l = {}; h[k] = l end
    l[#l + 1] = raw[i + 1]
  end
  return h
end

-- IncomingMessage ----------------------------------------------------------------

-- A request on the server or a response on the client: a Readable whose
-- body comes from the parser. `headers` and `trailers` are made the first
-- time they are read, from rawHeaders and rawTrailers.
local Readable = stream.Readable
local IncomingMessage = Readable:extend('IncomingMessage')
M.IncomingMessage = IncomingMessage

local lazy = {}
function lazy.headers(m) return M.headersOf(rawget(m, 'rawHeaders') or {}) end
function lazy.headersDistinct(m) return M.headersDistinctOf(rawget(m, 'rawHeaders') or {}) end
function lazy.trailers(m) return M.headersOf(rawget(m, 'rawTrailers') or {}) end
function lazy.trailersDistinct(m) return M.headersDistinctOf(rawget(m, 'rawTrailers') or {}) end
function lazy.connection(m) return rawget(m, 'socket') end

function IncomingMessage.__index(t, k)
  local v = IncomingMessage[k]
  if v ~= nil then return v end
  local f = lazy[k]
  if f then
    v = f(t)
    if k ~= 'connection' then rawset(t, k, v) end
    return v
  end
  return nil
end

-- newIncoming(socket, raw): made for each message, with only its own
-- fields; the defaults of Readable's fields (as Readable:initialize(nil)
-- sets them in lua/stream.lua's initCommon and initReadable) and of the
-- message's live in the class, and assigning one shadows it. _f = 1 is
-- stream.lua's F_RSYNC, which Readable:initialize sets. spec/http_spec.lua
-- checks the fields against a Readable made the ordinary way.
local defaults = {
  destroyed = false, closed = false, readableObjectMode = false, readableHighWaterMark = 16384,
  readableLength = 0, readableEnded = false, readable = true,
  httpVersionMajor = 1, httpVersionMinor = 1, httpVersion = '1.1',
  complete = false, aborted = false, upgrade = false, url = '',
}
for k, v in next, defaults do IncomingMessage[k] = v end
function lazy.rawTrailers() return {} end

local function newIncoming(socket, raw)
  return setmetatable({ _f = 1, socket = socket, rawHeaders = raw }, IncomingMessage)
end
M.newIncoming = newIncoming

function IncomingMessage:initialize(socket)
  Readable.initialize(self, nil)
  self.socket = socket
  self.httpVersionMajor = 1
  self.httpVersionMinor = 1
  self.httpVersion = '1.1'
  self.complete = false
  self.aborted = false
  self.rawHeaders = {}
  self.rawTrailers = {}
  self.upgrade = false
  self.url = ''
end

-- Reading resumes the socket when the parser stopped it for backpressure.
function IncomingMessage:_read()
  local s = rawget(self, 'socket')
  if s and rawget(self, '_paused') then
    self._paused = nil
    s:_readStart()
  end
end

-- Parses `version` ('1.1') into the three fields.
function M.setVersion(m, version)
  m.httpVersion = version
  local a, b = byte(version, 1, 3)
  m.httpVersionMajor = a - 48
  m.httpVersionMinor = (b and byte(version, 3) or 48) - 48
end

-- setTimeout(ms, [cb]): the socket's; 'timeout' reaches the message
-- (the server forwards it; a client response hears its request's).
function IncomingMessage:setTimeout(ms, cb)
  errors.checkNumber(ms, 'msecs')
  if type(cb) ~= 'nil' then errors.checkFunction(cb, 'callback'); self:once('timeout', cb) end
  local s = rawget(self, 'socket')
  if s and not s.destroyed then
    if M.watchTimeout then M.watchTimeout(s) end
    s:setTimeout(ms)
  end
  return self
end

-- The body is thrown away unread (Node's _dump), so the connection can
-- serve the next message. A message that is complete, holds nothing and
-- has no listener is simply marked ended: what resume() would do, minus
-- the ticks nobody would hear.
local function quietEnd(m)
  m.readableEnded = true
  m.readable = false
  m.destroyed = true
  m.closed = true
end

local function dump(self)
  if rawget(self, '_dumped') then return end
  self._dumped = true
  if (rawget(self, 'readableLength') or 0) == 0 and rawget(self, '_events') == nil then
    -- Nothing read waits and nobody listens: the parser drops what is
    -- still to come, and the end is marked quietly (endIncoming).
    if self.complete then quietEnd(self) end
    return
  end
  self:removeAllListeners('data')
  self:resume()
end
IncomingMessage._dump = dump
-- For the server and the client, which know their message: no self check.
M.dump = dump

-- The parser's end of a message's body.
function M.endIncoming(m)
  m.complete = true
  if rawget(m, '_dumped') and (rawget(m, 'readableLength') or 0) == 0 and rawget(m, '_events') == nil then
    return quietEnd(m)
  end
  m:push(nil)
end

function IncomingMessage:_destroy(err, cb)
  if not self.readableEnded or not self.complete then self.aborted = true end
  local s = rawget(self, 'socket')
  if s and not self.complete and err then s:destroy(err) end
  cb(err)
end

-- Outgoing headers ----------------------------------------------------------------

-- OutgoingMessage: what ServerResponse and ClientRequest share. The
-- headers set are one list, `_h`, made on the first one: lower-cased
-- name, name as given, value, for each header in the order it was first
-- set (Lua tables have no order of their own). Lookups walk it: a message
-- has a handful of headers, and one table per message is cheaper than a
-- map and an order list.
local Writable = stream.Writable
local OutgoingMessage = Writable:extend('OutgoingMessage')
M.OutgoingMessage = OutgoingMessage

-- Writable's fields as a message starts, in the class: a response or a
-- request is made with only its own fields, and assigning one shadows the
-- default (a message keeps its own small state, not Writable's).
OutgoingMessage.headersSent = false
OutgoingMessage.finished = false
OutgoingMessage.writableEnded = false
OutgoingMessage.writableFinished = false
OutgoingMessage.writable = true
OutgoingMessage.destroyed = false
OutgoingMessage.writableNeedDrain = false
OutgoingMessage.writableHighWaterMark = 16384
OutgoingMessage.writableCorked = 0
OutgoingMessage.writableLength = 0
OutgoingMessage.writableObjectMode = false

-- Names and values already checked, with their lower-cased form, so the
-- same header set on every response costs one table read. Bounded: it
-- starts again when full.
local goodNames, nGoodNames = {}, 0
local goodValues, nGoodValues = {}, 0

local function checkName(name)
  local key = goodNames[name]
  if key then return key end
  M.validateHeaderName(name)
  key = lower(name)
  if nGoodNames >= 512 then goodNames, nGoodNames = {}, 0 end
  goodNames[name] = key
  nGoodNames = nGoodNames + 1
  return key
end

local function checkValue(name, value)
  if goodValues[value] then return end
  M.validateHeaderValue(name, value)
  if type(value) == 'string' and #value <= 256 then
    if nGoodValues >= 512 then goodValues, nGoodValues = {}, 0 end
    goodValues[value] = true
    nGoodValues = nGoodValues + 1
  end
end

local function headerSent(self, what)
  if self.headersSent then error(M.ERR_HTTP_HEADERS_SENT(what), 0) end
end

local function find3(h, key)
  for i = 1, #h, 3 do
    if h[i] == key then return i end
  end
  return nil
end

-- Stores a header that was checked.
local function store(self, name, key, value)
  local h = rawget(self, '_h')
  if not h then
    self._h = { key, name, value }
    return
  end
  local i = find3(h, key)
  if i then
    h[i + 1] = name; h[i + 2] = value
  else
    local n = #h
    h[n + 1] = key; h[n + 2] = name; h[n + 3] = value
  end
end

function OutgoingMessage:setHeader(name, value)
  headerSent(self, 'set')
  local key = checkName(name)
  checkValue(name, value)
  store(self, name, key, value)
  return self
end

function OutgoingMessage:appendHeader(name, value)
  headerSent(self, 'append')
  local key = checkName(name)
  checkValue(name, value)
  local h = rawget(self, '_h')
  local i = h and find3(h, key)
  if not i then return self:setHeader(name, value) end
  local old = h[i + 2]
  local list = type(old) == 'table' and old or { old }
  if type(value) == 'table' then
    for j = 1, #value do list[#list + 1] = value[j] end
  else
    list[#list + 1] = value
  end
  h[i + 2] = list
  return self
end

function OutgoingMessage:setHeaders(headers)
  headerSent(self, 'set')
  errors.checkTable(headers, 'headers')
  local keys = {}
  for k in pairs(headers) do
    errors.checkString(k, 'name')
    keys[#keys + 1] = k
  end
  sort(keys)
  for _, k in ipairs(keys) do self:setHeader(k, headers[k]) end
  return self
end

function OutgoingMessage:getHeader(name)
  errors.checkString(name, 'name')
  local h = rawget(self, '_h')
  local i = h and find3(h, lower(name))
  return i and h[i + 2] or nil
end

function OutgoingMessage:hasHeader(name)
  errors.checkString(name, 'name')
  local h = rawget(self, '_h')
  return (h and find3(h, lower(name))) ~= nil
end

function OutgoingMessage:removeHeader(name)
  errors.checkString(name, 'name')
  headerSent(self, 'remove')
  local key = lower(name)
  if key == 'content-length' then self._removedContLen = true
  elseif key == 'transfer-encoding' then self._removedTE = true
  elseif key == 'date' then self.sendDate = false end
  local h = rawget(self, '_h')
  local i = h and find3(h, key)
  if not i then return end
  for _ = 1, 3 do table.remove(h, i) end
end

function OutgoingMessage:getHeaderNames()
  local h = rawget(self, '_h')
  local r = {}
  if h then for i = 1, #h, 3 do r[#r + 1] = h[i] end end
  return r
end

function OutgoingMessage:getRawHeaderNames()
  local h = rawget(self, '_h')
  local r = {}
  if h then for i = 2, #h, 3 do r[#r + 1] = h[i] end end
  return r
end

function OutgoingMessage:getHeaders()
  local h = rawget(self, '_h')
  local r = {}
  if h then for i = 1, #h, 3 do r[h[i]] = h[i + 2] end end
  return r
end

-- Applies a headers argument (writeHead's, or request options'): a flat
-- list {name, value, ...}, a list of pairs {{name, value}, ...}, or a
-- record (its names sorted, since a Lua table has no order).
local function apply1(self, k, v)
  local key = checkName(k)
  checkValue(k, v)
  store(self, k, key, v)
end

function M.applyHeaders(self, headers, label)
  if headers == nil then return end
  if type(headers) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE(label or 'headers', 'of type table', headers), 0)
  end
  local n = #headers
  if n > 0 then
    if type(headers[1]) == 'table' then
      for i = 1, n do
        local p = headers[i]
        if type(p) ~= 'table' then error(errors.ERR_INVALID_ARG_VALUE(label or 'headers', headers), 0) end
        apply1(self, p[1], p[2])
      end
    else
      if n % 2 == 1 then
        error(errors.ERR_INVALID_ARG_VALUE(label or 'headers', headers), 0)
      end
      for i = 1, n, 2 do apply1(self, headers[i], headers[i + 1]) end
    end
    return
  end
  local k1, v1 = next(headers)
  if k1 == nil then return end
  if next(headers, k1) == nil then return apply1(self, k1, v1) end
  local keys = {}
  for k in next, headers do
    if type(k) ~= 'string' then M.validateHeaderName(k) end
    keys[#keys + 1] = k
  end
  sort(keys)
  for i = 1, #keys do apply1(self, keys[i], headers[keys[i]]) end
end

-- headerLines(h, parts, n): the lines of the header list h (the
-- OutgoingMessage's _h) into parts from n + 1, a list value as one line
-- per item. Returns the new n and the values of the headers the framing
-- depends on: date, connection, content-length, transfer-encoding.
function M.headerLines(h, parts, n)
  local date, connection, cl, te
  for i = 1, #h, 3 do
    local key, name, v = h[i], h[i + 1], h[i + 2]
    if type(v) == 'table' then
      local all = {}
      for j = 1, #v do
        all[j] = tostring(v[j])
        parts[n + 1] = name; parts[n + 2] = ': '; parts[n + 3] = all[j]; parts[n + 4] = '\r\n'
        n = n + 4
      end
      v = concat(all, ', ')
    else
      v = tostring(v)
      parts[n + 1] = name; parts[n + 2] = ': '; parts[n + 3] = v; parts[n + 4] = '\r\n'
      n = n + 4
    end
    if key == 'date' then date = v
    elseif key == 'connection' then connection = v
    elseif key == 'content-length' then cl = v
    elseif key == 'transfer-encoding' then te = v end
  end
  return n, date, connection, cl, te
end

-- The date of the Date header, made once a second.
local dateSec, dateText = -1, nil
function M.utcDate()
  local now = os.time()
  if now ~= dateSec then
    dateSec = now
    dateText = os.date('!%a, %d %b %Y %H:%M:%S GMT', now)
  end
  return dateText
end

-- A chunk's size line, in hex; the sizes up to 16 KiB are made once.
local hexes = {}
function M.hex(n)
  local h = hexes[n]
  if h then return h end
  h = format('%x', n)
  if n <= 16384 then hexes[n] = h end
  return h
end

-- The bytes of a chunk as a string (a string in another encoding, or a
-- Buffer, converted), and their count: what goes on the wire.
function M.chunkBytes(chunk, enc)
  if type(chunk) == 'string' then
    if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' and enc ~= 'latin1' and enc ~= 'binary' then
      chunk = Buffer.from(chunk, enc):toString('latin1')
    end
    return chunk, #chunk
  end
  if Buffer.isBuffer(chunk) then return chunk:toString('latin1'), chunk.length end
  error(errors.ERR_INVALID_ARG_TYPE('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk), 0)
end

-- refuseWrite(msg, chunk, cb): the checks a message's write makes first,
-- as Node's OutgoingMessage does for requests and responses alike. After
-- finish() the callback, then 'error' (unless destroyed), get
-- ERR_STREAM_WRITE_AFTER_END; after destroy() the callback gets
-- ERR_STREAM_DESTROYED; true then means the write is refused. A nil
-- chunk raises.
local nextTick, emit = ticks.nextTick, EventEmitter.emit

local function afterEnd(msg, e, cb)
  if cb then cb(e) end
  if not msg.destroyed then emit(msg, 'error', e) end
end

function M.refuseWrite(msg, chunk, cb)
  if msg.finished then
    local e = errors.ERR_STREAM_WRITE_AFTER_END()
    nextTick(afterEnd, msg, e, cb)
    return true
  end
  if msg.destroyed then
    if cb then nextTick(cb, errors.ERR_STREAM_DESTROYED('write')) end
    return true
  end
  if chunk == nil then
    error(newError('TypeError', 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream'), 0)
  end
  return false
end

-- finishAgain(msg, chunk, cb, out): finish() on a message already
-- finished, as Node's OutgoingMessage end(): a chunk is a write after end
-- (the callback, then 'error'); else the callback gets
-- ERR_STREAM_ALREADY_FINISHED at once when everything is out (`out`,
-- Node's writableFinished), or is called at 'finish'.
function M.finishAgain(msg, chunk, cb, out)
  if chunk ~= nil and chunk ~= '' then
    M.refuseWrite(msg, chunk, cb)
  elseif cb then
    if out then cb(errors.ERR_STREAM_ALREADY_FINISHED('end')) else msg:once('finish', cb) end
  end
  return msg
end

-- Self checks ----------------------------------------------------------------------

-- guard(cls, name, is, skip): every method of cls checks its object first
-- and raises ERR_INVALID_THIS on anything else, changing nothing. Methods
-- in `skip` check inline (the hot ones) or need no object.
local instanceof = require('internal/class').instanceof
M.instanceof = instanceof

function M.guard(cls, name, is, skip)
  for k, fn in next, cls do
    if type(fn) == 'function' and k:sub(1, 2) ~= '__' and not (skip and skip[k]) then
      if k == 'initialize' then
        -- Object:new hands a fresh instance; anything else, an instance
        -- made already among them, is refused.
        cls[k] = function(self, ...)
          if not instanceof(self, cls) or is(self) then error(errors.ERR_INVALID_THIS(name), 0) end
          return fn(self, ...)
        end
      else
        cls[k] = function(self, ...)
          if not is(self) then error(errors.ERR_INVALID_THIS(name), 0) end
          return fn(self, ...)
        end
      end
    end
  end
end

local function isIncoming(v)
  return type(v) == 'table' and rawget(v, '_f') ~= nil and instanceof(v, IncomingMessage)
end
local function isOutgoing(v)
  return type(v) == 'table' and rawget(v, '_f') ~= nil and instanceof(v, OutgoingMessage)
end

-- inline(cls, label, field, names): the methods named, which run for
-- most messages, check their object with one field read (`field` set on
-- every instance) instead of guard's class walk; guard skips them then.
function M.inline(cls, label, field, names)
  for i = 1, #names do
    local fn = cls[names[i]]
    cls[names[i]] = function(self, a, b, c)
      if type(self) ~= 'table' or rawget(self, field) == nil then error(errors.ERR_INVALID_THIS(label), 0) end
      return fn(self, a, b, c)
    end
  end
end

M.inline(OutgoingMessage, 'OutgoingMessage', '_f', { 'setHeader' })
M.guard(IncomingMessage, 'IncomingMessage', isIncoming)
M.guard(OutgoingMessage, 'OutgoingMessage', isOutgoing, { setHeader = true })

return M
