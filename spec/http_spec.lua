-- http: the server, the client and the Agent, on loopback. Cases follow
-- Node's documentation and its test/parallel/test-http-*.js, rewritten
-- for lode; raw exchanges check the bytes on the wire.
local t = require('./helper')
local http = require('http')
local net = require('net')
local stream = require('stream')

-- A server on 127.0.0.1 with a free port; fn(server, port).
local function serve(handler, fn, options)
  local server = http.createServer(options, handler)
  server:listen(0, '127.0.0.1', function() fn(server, server:address().port) end)
  return server
end

-- Sends raw bytes and gives everything the server sent until it closed
-- (or until `untilText` appears, then the socket is destroyed).
local function raw(port, bytes, cb, untilText)
  local got = {}
  local s = net.connect(port, '127.0.0.1')
  local done = false
  local function finish()
    if done then return end
    done = true
    cb(table.concat(got), s)
  end
  s:on('data', function(d)
    got[#got + 1] = d
    if untilText and table.concat(got):find(untilText, 1, true) then
      s:destroy()
      finish()
    end
  end)
  s:on('error', function() end)
  s:on('close', finish)
  if type(bytes) == 'table' then
    for _, b in ipairs(bytes) do s:write(b) end
  elseif bytes then
    s:write(bytes)
  end
  return s
end

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

-- Tables and checks -------------------------------------------------------------

t.test('STATUS_CODES, METHODS, maxHeaderSize', function()
  t.eq(http.STATUS_CODES[200], 'OK')
  t.eq(http.STATUS_CODES[404], 'Not Found')
  t.eq(http.STATUS_CODES[418], "I'm a Teapot")
  t.eq(http.METHODS[1], 'ACL')
  local seen = {}
  for _, m in ipairs(http.METHODS) do seen[m] = true end
  t.ok(seen.GET and seen.POST and seen.PATCH and seen['M-SEARCH'] and seen.CONNECT)
  for i = 2, #http.METHODS do t.ok(http.METHODS[i - 1] < http.METHODS[i], 'sorted') end
  t.eq(http.maxHeaderSize, 16384)
end)

t.test('validateHeaderName and validateHeaderValue', function()
  http.validateHeaderName('X-Ok')
  http.validateHeaderValue('x', 'a value\twith tab')
  local e = t.raises(function() http.validateHeaderName('bad name') end, 'ERR_INVALID_HTTP_TOKEN')
  t.eq(e.message, 'Header name must be a valid HTTP token ["bad name"]')
  t.raises(function() http.validateHeaderName('') end, 'ERR_INVALID_HTTP_TOKEN')
  t.raises(function() http.validateHeaderName(5) end, 'ERR_INVALID_HTTP_TOKEN')
  e = t.raises(function() http.validateHeaderValue('x', nil) end, 'ERR_HTTP_INVALID_HEADER_VALUE')
  t.eq(e.message, 'Invalid value "undefined" for header "x"')
  e = t.raises(function() http.validateHeaderValue('x', 'a\r\nb') end, 'ERR_INVALID_CHAR')
  t.eq(e.message, 'Invalid character in header content ["x"]')
end)

t.test('IncomingMessage has the fields of a Readable made the ordinary way', function()
  local plain = stream.Readable:new()
  local m = http.IncomingMessage:new(nil)
  for _, k in ipairs({ 'destroyed', 'closed', 'readableObjectMode', 'readableHighWaterMark',
    'readableLength', 'readableEnded', 'readable', 'readableFlowing' }) do
    t.eq(m[k], plain[k], k)
  end
  t.eq(m._f, plain._f, '_f')
  t.ok(m:instanceof(stream.Readable))
  t.eq(m.httpVersion, '1.1')
  t.eq(m.complete, false)
end)

-- Server basics -------------------------------------------------------------------

t.test('a GET: request fields, response headers, Content-Length and Date', function(done)
  serve(t.mustCall(function(req, res)
    t.eq(req.method, 'GET')
    t.eq(req.url, '/a/b?c=d')
    t.eq(req.httpVersion, '1.1')
    t.eq(req.httpVersionMajor, 1)
    t.eq(req.httpVersionMinor, 1)
    t.eq(req.headers.host, 'example')
    t.eq(req.headers['x-thing'], 'One')
    t.same(req.rawHeaders, { 'Host', 'example', 'X-Thing', 'One' })
    t.ok(req.socket ~= nil and req.socket.remoteAddress == '127.0.0.1')
    t.ok(req:instanceof(stream.Readable))
    t.ok(res:instanceof(stream.Writable))
    res:setHeader('Content-Type', 'text/plain')
    res:finish('hello')
  end), function(server, port)
    raw(port, 'GET /a/b?c=d HTTP/1.1\r\nHost: example\r\nX-Thing: One\r\n\r\n', function(text)
      local head, body = text:match('^(.-)\r\n\r\n(.*)$')
      local lines = {}
      for l in head:gmatch('[^\r\n]+') do lines[#lines + 1] = l end
      t.eq(lines[1], 'HTTP/1.1 200 OK')
      t.eq(lines[2], 'Content-Type: text/plain')
      t.match(lines[3], '^Date: %a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$')
      t.eq(lines[4], 'Connection: keep-alive')
      t.eq(lines[5], 'Keep-Alive: timeout=5')
      t.eq(lines[6], 'Content-Length: 5')
      t.eq(#lines, 6)
      t.eq(body, 'hello')
      server:close(function() done() end)
    end, 'hello')
  end)
end)

t.test('repeated headers are joined as Node joins them', function(done)
  serve(function(req, res)
    t.same(req.headers['set-cookie'], { 'a=1', 'b=2' })
    t.eq(req.headers.cookie, 'x=1; y=2')
    t.eq(req.headers.accept, 'text/html, text/plain')
    t.eq(req.headers['content-type'], 'text/a')
    t.same(req.headersDistinct.accept, { 'text/html', 'text/plain' })
    res:finish()
  end, function(server, port)
    raw(port, 'GET / HTTP/1.1\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nCookie: x=1\r\nCookie: y=2\r\n' ..
      'Accept: text/html\r\nACCEPT: text/plain\r\nContent-Type: text/a\r\nContent-Type: text/b\r\n\r\n',
      function(text)
        t.match(text, '^HTTP/1.1 200 OK')
        server:close(function() done() end)
      end, '\r\n\r\n')
  end)
end)

t.test('write() without a length is chunked; trailers and body come through', function(done)
  serve(function(req, res)
    res:write('abc')
    res:write('')
    res:addTrailers({ ['X-Sum'] = '6' })
    res:finish('de')
  end, function(server, port)
    raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', function(text)
      t.match(text, 'Transfer%-Encoding: chunked\r\n')
      t.ok(not text:find('Content%-Length'))
      t.match(text, '\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX%-Sum: 6\r\n\r\n$')
      server:close(function() done() end)
    end, '0\r\nX-Sum: 6\r\n\r\n')
  end)
end)

t.test('no body for HEAD, 204 and 304', function(done)
  serve(function(req, res)
    if req.url == '/204' then res:writeHead(204); res:finish('ignored')
    elseif req.url == '/304' then res:writeHead(304); res:finish('ignored')
    else res:finish('body of head') end
  end, function(server, port)
    raw(port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\n' ..
      'GET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /end HTTP/1.1\r\nConnection: close\r\n\r\n', function(text)
      t.eq(count(text, 'HTTP/1.1 '), 4)
      t.ok(not text:find('ignored'))
      t.eq(count(text, 'body of head'), 1, 'only the GET has a body')
      t.match(text, 'HTTP/1.1 204 No Content\r\n')
      t.match(text, 'HTTP/1.1 304 Not Modified\r\n')
      t.match(text, 'Connection: close\r\nContent%-Length: 12\r\n\r\nbody of head$')
      server:close(function() done() end)
    end)
  end)
end)

t.test('pipelined requests are answered in order, even when answered out of order', function(done)
  local delays = { ['/1'] = 60, ['/2'] = 5, ['/3'] = 30 }
  serve(function(req, res)
    setTimeout(function() res:finish('body' .. req.url) end, delays[req.url])
  end, function(server, port)
    raw(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n' ..
      'GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', function(text)
      local order = {}
      for b in text:gmatch('body/(%d)') do order[#order + 1] = b end
      t.same(order, { '1', '2', '3' })
      server:close(function() done() end)
    end)
  end)
end)

t.test('HTTP/1.0 without keep-alive gets Connection: close and the socket ends', function(done)
  serve(function(req, res)
    t.eq(req.httpVersion, '1.0')
    t.eq(req.httpVersionMinor, 0)
    res:write('streamed')
    res:finish()
  end, function(server, port)
    raw(port, 'GET / HTTP/1.0\r\n\r\n', function(text)
      t.match(text, '^HTTP/1.1 200 OK\r\n')
      t.match(text, 'Connection: close\r\n')
      t.ok(not text:find('chunked'))
      t.match(text, '\r\n\r\nstreamed$')
      server:close(function() done() end)
    end)
  end)
end)

t.test('a request body arrives as data strings, then end; req.complete', function(done)
  serve(function(req, res)
    local parts = {}
    t.eq(req.complete, false)
    req:on('data', function(c) t.eq(type(c), 'string'); parts[#parts + 1] = c end)
    req:on('end', t.mustCall(function()
      t.eq(req.complete, true)
      t.eq(table.concat(parts), 'hello world')
      res:finish('ok')
    end))
  end, function(server, port)
    raw(port, { 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n',
      '5\r\nworld\r\n0\r\n\r\n' }, function(text)
      t.match(text, '\r\n\r\nok$')
      server:close(function() done() end)
    end, '\r\n\r\nok')
  end)
end)

t.test('headers: get, set, has, remove, names; writeHead with a list', function(done)
  serve(function(req, res)
    res:setHeader('X-A', 'one')
    res:setHeader('Set-Cookie', { 'a=1', 'b=2' })
    t.eq(res:getHeader('x-a'), 'one')
    t.eq(res:hasHeader('X-A'), true)
    t.same(res:getHeaderNames(), { 'x-a', 'set-cookie' })
    t.same(res:getRawHeaderNames(), { 'X-A', 'Set-Cookie' })
    t.same(res:getHeaders(), { ['x-a'] = 'one', ['set-cookie'] = { 'a=1', 'b=2' } })
    res:removeHeader('x-a')
    t.eq(res:hasHeader('x-a'), false)
    t.eq(res:getHeader('x-a'), nil)
    t.raises(function() res:setHeader('bad name', 'x') end, 'ERR_INVALID_HTTP_TOKEN')
    t.raises(function() res:setHeader('x', 'a\nb') end, 'ERR_INVALID_CHAR')
    t.raises(function() res:setHeader('x', nil) end, 'ERR_HTTP_INVALID_HEADER_VALUE')
    t.raises(function() res:writeHead(99) end, 'ERR_HTTP_INVALID_STATUS_CODE')
    res:writeHead(201, 'Made', { 'X-B', '2', 'X-C', '3' })
    t.eq(res.statusCode, 201)
    res:finish()
    t.eq(res.headersSent, true)
    t.eq(res.writableEnded, true)
    local e = t.raises(function() res:writeHead(200) end, 'ERR_HTTP_HEADERS_SENT')
    t.eq(e.message, 'Cannot write headers after they are sent to the client')
    t.raises(function() res:setHeader('x', 'y') end, 'ERR_HTTP_HEADERS_SENT')
  end, function(server, port)
    raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', function(text)
      t.match(text, '^HTTP/1.1 201 Made\r\nSet%-Cookie: a=1\r\nSet%-Cookie: b=2\r\nX%-B: 2\r\nX%-C: 3\r\n')
      server:close(function() done() end)
    end)
  end)
end)

t.test("a write after finish() reports ERR_STREAM_WRITE_AFTER_END; 'finish' then 'close'", function(done)
  serve(function(req, res)
    local order = {}
    res:on('finish', function() order[#order + 1] = 'finish' end)
    res:on('close', function()
      order[#order + 1] = 'close'
      t.same(order, { 'finish', 'close' })
    end)
    res:finish('x')
    res:on('error', t.mustCall(function(e) t.eq(e.code, 'ERR_STREAM_WRITE_AFTER_END') end))
    t.eq(res:write('more', t.mustCall(function(e) t.eq(e.code, 'ERR_STREAM_WRITE_AFTER_END') end)), false)
  end, function(server, port)
    raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', function(text)
      t.match(text, '\r\n\r\nx$')
      setTimeout(function() server:close(function() done() end) end, 20)
    end)
  end)
end)

t.test('Expect: 100-continue gets 100 Continue first; checkContinue takes it over', function(done)
  local server = serve(function(req, res)
    req:on('data', function() end)
    req:on('end', function() res:finish('got it') end)
  end, function(server, port)
    raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n', function(text, s)
      t.eq(text, 'HTTP/1.1 100 Continue\r\n\r\n')
      local r2 = {}
      local s2 = net.connect(port, '127.0.0.1')
      server:on('checkContinue', t.mustCall(function(req, res)
        res:writeHead(417)
        res:finish()
      end))
      s2:on('data', function(d) r2[#r2 + 1] = d end)
      s2:on('close', function()
        t.match(table.concat(r2), '^HTTP/1.1 417 Expectation Failed')
        server:close(function() done() end)
      end)
      s2:write('POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\n')
    end, '\r\n\r\n')
  end)
end)

-- Bad requests --------------------------------------------------------------------

t.test('a malformed request gets 400 and Connection: close; others are still served', function(done)
  serve(function(req, res) res:finish('fine') end, function(server, port)
    raw(port, 'BAD REQUEST LINE\r\n\r\n', function(text)
      t.eq(text, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', function(text2)
        t.match(text2, '\r\n\r\nfine$')
        server:close(function() done() end)
      end)
    end)
  end)
end)

t.test('Content-Length with Transfer-Encoding is refused (request smuggling)', function(done)
  serve(t.mustNotCall(), function(server, port)
    raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      function(text)
        t.eq(text, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
        server:close(function() done() end)
      end)
  end)
end)

t.test('headers past 16 KiB get 431', function(done)
  serve(t.mustNotCall(), function(server, port)
    raw(port, 'GET / HTTP/1.1\r\nX-Big: ' .. string.rep('a', 17000) .. '\r\n\r\n', function(text)
      t.eq(text, 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n')
      server:close(function() done() end)
    end)
  end)
end)

t.test("'clientError' gets the parse error and the socket", function(done)
  local server = http.createServer(t.mustNotCall())
  server:on('clientError', t.mustCall(function(err, sock)
    t.eq(err.code, 'HPE_INVALID_METHOD')
    t.match(err.message, '^Parse Error: ')
    t.eq(type(err.bytesParsed), 'number')
    sock:finish('HTTP/1.1 400 Mine\r\n\r\n')
  end))
  server:listen(0, '127.0.0.1', function()
    raw(server:address().port, '!!! / HTTP/1.1\r\n\r\n', function(text)
      t.eq(text, 'HTTP/1.1 400 Mine\r\n\r\n')
      server:close(function() done() end)
    end)
  end)
end)

t.test('a client that never finishes its headers is cut off after headersTimeout', function(done)
  local server = http.createServer(t.mustNotCall())
  server.headersTimeout = 300
  server:listen(0, '127.0.0.1', function()
    local started = t.nowMs()
    raw(server:address().port, 'GET / HTTP/1.1\r\nHost: x\r\n', function(text)
      local ms = t.nowMs() - started
      t.eq(text, 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n')
      t.ok(ms >= 250 and ms < 3000, 'cut after ' .. ms .. ' ms')
      server:close(function() done() end)
    end)
  end)
end)

t.test('keepAliveTimeout closes an idle connection; the header says it', function(done)
  local server = http.createServer(function(req, res) res:finish('k') end)
  server.keepAliveTimeout = 400
  server:listen(0, '127.0.0.1', function()
    local started = t.nowMs()
    raw(server:address().port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', function(text)
      local ms = t.nowMs() - started
      t.match(text, 'Keep%-Alive: timeout=0\r\n')
      t.ok(ms >= 350 and ms < 3000, 'closed after ' .. ms .. ' ms')
      server:close(function() done() end)
    end)
  end)
end)

t.test('maxRequestsPerSocket: the last allowed response says Connection: close', function(done)
  local server = http.createServer({ maxRequestsPerSocket = 2 }, function(req, res) res:finish('m') end)
  server:listen(0, '127.0.0.1', function()
    raw(server:address().port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', function(text)
      t.eq(count(text, 'HTTP/1.1 200'), 2)
      t.match(text, 'Keep%-Alive: timeout=5, max=1\r\n')
      t.match(text, 'Connection: close\r\n')
      server:close(function() done() end)
    end)
  end)
end)

t.test("'upgrade' gets the request, the socket and the bytes after the headers", function(done)
  local server = http.createServer(t.mustNotCall())
  server:on('upgrade', t.mustCall(function(req, sock, head)
    t.eq(req.headers.upgrade, 'echo')
    t.eq(head, 'early')
    sock:write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n')
    sock:on('data', function(d) sock:finish('echo:' .. d) end)
  end))
  server:listen(0, '127.0.0.1', function()
    local got = {}
    local s = net.connect(server:address().port, '127.0.0.1')
    s:on('data', function(d)
      got[#got + 1] = d
      if #got == 1 then s:write('later') end
    end)
    s:on('close', function()
      local text = table.concat(got)
      t.match(text, '^HTTP/1.1 101 Switching Protocols\r\n')
      t.match(text, 'echo:later$')
      server:close(function() done() end)
    end)
    s:write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly')
  end)
end)

t.test('closeIdleConnections and closeAllConnections; close() waits for the rest', function(done)
  local server
  server = serve(function(req, res)
    if req.url == '/slow' then
      setTimeout(function()
        server:closeAllConnections()
      end, 50)
      return
    end
    res:finish('x')
  end, function(_, port)
    local closed = 0
    local function check()
      closed = closed + 1
      if closed == 2 then
        server:close(t.mustCall(function() done() end))
      end
    end
    raw(port, 'GET /idle HTTP/1.1\r\nHost: x\r\n\r\n', function(text, s)
      t.match(text, '\r\n\r\nx$')
      s:on('close', check)
      server:closeIdleConnections()
    end, '\r\n\r\nx')
    raw(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', function(text)
      t.eq(text, '')
      check()
    end)
  end)
end)

-- Client --------------------------------------------------------------------------

t.test('http.get: status, headers, body strings, end', function(done)
  serve(function(req, res)
    t.eq(req.headers.host, '127.0.0.1:' .. req.socket.localPort)
    t.eq(req.headers.connection, 'keep-alive')
    res:writeHead(200, 'Fine', { ['X-Y'] = 'z' })
    res:write('part1,')
    res:finish('part2')
  end, function(server, port)
    http.get('http://127.0.0.1:' .. port .. '/path?q=1', t.mustCall(function(res)
      t.eq(res.statusCode, 200)
      t.eq(res.statusMessage, 'Fine')
      t.eq(res.headers['x-y'], 'z')
      t.eq(res.headers['transfer-encoding'], 'chunked')
      local body = {}
      res:on('data', function(c) t.eq(type(c), 'string'); body[#body + 1] = c end)
      res:on('end', t.mustCall(function()
        t.eq(table.concat(body), 'part1,part2')
        t.eq(res.complete, true)
        server:close(function() done() end)
      end))
    end))
  end)
end)

t.test('http.request: a POST body, headers, events socket, finish, response, close', function(done)
  serve(function(req, res)
    t.eq(req.method, 'POST')
    t.eq(req.headers['content-type'], 'application/json')
    t.eq(req.headers['transfer-encoding'], 'chunked')
    local b = {}
    req:on('data', function(c) b[#b + 1] = c end)
    req:on('end', function() res:finish('echo:' .. table.concat(b)) end)
  end, function(server, port)
    local order = {}
    local req = http.request({ host = '127.0.0.1', port = port, method = 'POST', path = '/x',
      headers = { ['Content-Type'] = 'application/json' } }, function(res)
      order[#order + 1] = 'response'
      local b = {}
      res:on('data', function(c) b[#b + 1] = c end)
      res:on('end', function()
        t.eq(table.concat(b), 'echo:{"a":1}')
      end)
    end)
    t.eq(req.method, 'POST')
    t.eq(req.path, '/x')
    t.eq(req.host, '127.0.0.1')
    t.eq(req.port, port)
    t.eq(req:getHeader('content-type'), 'application/json')
    req:on('socket', function() order[#order + 1] = 'socket' end)
    req:on('finish', function() order[#order + 1] = 'finish' end)
    req:on('close', t.mustCall(function()
      order[#order + 1] = 'close'
      t.same(order, { 'socket', 'finish', 'response', 'close' })
      server:close(function() done() end)
    end))
    req:write('{"a":')
    req:finish('1}')
  end)
end)

t.test('ECONNREFUSED reaches the request as error', function(done)
  local req = http.get('http://127.0.0.1:1/')
  req:on('response', t.mustNotCall())
  req:on('error', t.mustCall(function(e)
    t.eq(e.code, 'ECONNREFUSED')
    done()
  end))
end)

t.test('a server that resets mid-response: ECONNRESET on the request, aborted on the response', function(done)
  local server = net.createServer(function(s)
    s:on('data', function()
      s:write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial')
      setTimeout(function() s:resetAndDestroy() end, 20)
    end)
  end)
  server:listen(0, '127.0.0.1', function()
    local req = http.get({ port = server:address().port, host = '127.0.0.1', agent = false }, function(res)
      res:on('data', function() end)
      res:on('aborted', t.mustCall())
      res:on('error', t.mustCall(function(e)
        t.eq(e.code, 'ECONNRESET')
        t.eq(e.message, 'aborted')
        server:close(function() done() end)
      end))
    end)
    req:on('error', t.mustCall(function(e) t.eq(e.code, 'ECONNRESET') end))
  end)
end)

t.test('a server that closes before answering: socket hang up', function(done)
  local server = net.createServer(function(s) s:on('data', function() s:destroy() end) end)
  server:listen(0, '127.0.0.1', function()
    local req = http.get({ port = server:address().port, host = '127.0.0.1', agent = false })
    req:on('error', t.mustCall(function(e)
      t.eq(e.code, 'ECONNRESET')
      t.eq(e.message, 'socket hang up')
      server:close(function() done() end)
    end))
  end)
end)

t.test('a bad chunk size in a response: HPE_INVALID_CHUNK_SIZE', function(done)
  local server = net.createServer(function(s)
    s:on('data', function()
      s:write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n')
    end)
    s:on('error', function() end)
  end)
  server:listen(0, '127.0.0.1', function()
    local req = http.get({ port = server:address().port, host = '127.0.0.1', agent = false }, function(res)
      res:on('data', function() end)
      res:on('aborted', t.mustCall())
    end)
    req:on('error', t.mustCall(function(e)
      t.eq(e.code, 'HPE_INVALID_CHUNK_SIZE')
      t.match(e.message, '^Parse Error: ')
      server:close(function() done() end)
    end))
  end)
end)

t.test('finish again: ERR_STREAM_ALREADY_FINISHED, or a write after end with a chunk', function(done)
  -- Node's test-http-outgoing-end-multiple, and its end(chunk) after end.
  local sorder, corder = {}, {}
  local function log(order, what)
    return function(err) order[#order + 1] = what .. ' ' .. tostring(err and err.code) end
  end
  local server
  server = serve(function(req, res)
    res:on('error', log(sorder, 'error'))
    t.eq(res:finish('testing ended state', log(sorder, 'cb1')), res)
    res:finish(log(sorder, 'cb2'))
    res:finish('more', log(sorder, 'cb-chunk'))
    sorder[#sorder + 1] = 'sync'
    res:on('finish', function()
      res:finish(log(sorder, 'cb3'))
      sorder[#sorder + 1] = 'after finish'
    end)
  end, function(_, port)
    local req
    req = http.request({ port = port, host = '127.0.0.1', method = 'POST' }, function(res)
      res:resume()
      res:on('end', function()
        setTimeout(function()
          req:finish(log(corder, 'cb3'))
          -- The order node 20 gives for the same calls.
          t.same(sorder, { 'cb2 ERR_STREAM_ALREADY_FINISHED', 'sync', 'cb1 nil',
            'cb3 ERR_STREAM_ALREADY_FINISHED', 'after finish',
            'cb-chunk ERR_STREAM_WRITE_AFTER_END', 'error ERR_STREAM_WRITE_AFTER_END' })
          t.same(corder, { 'cb2 nil', 'cb3 ERR_STREAM_ALREADY_FINISHED' })
          server:close()
          done()
        end, 20)
      end)
    end)
    -- Still connecting: the second finish waits for 'finish'.
    req:finish('x')
    req:finish(log(corder, 'cb2'))
  end)
end)

t.test('request options are checked', function()
  t.raises(function() http.request('not a url') end, 'ERR_INVALID_URL')
  t.raises(function() http.request('https://example.com/') end, 'ERR_INVALID_PROTOCOL')
  t.raises(function() http.request({ method = 'BAD METHOD' }) end, 'ERR_INVALID_HTTP_TOKEN')
  t.raises(function() http.request({ path = '/a b' }) end, 'ERR_UNESCAPED_CHARACTERS')
  t.raises(function() http.request({ port = 70000 }) end, 'ERR_SOCKET_BAD_PORT')
  t.raises(function() http.request({ headers = { ['bad name'] = 'x' } }) end, 'ERR_INVALID_HTTP_TOKEN')
  t.raises(function() http.request(5) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() http.request({ agent = 5 }) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('a keep-alive Agent reuses its socket; maxSockets queues the rest', function(done)
  local ports = {}
  serve(function(req, res)
    ports[#ports + 1] = req.socket.remotePort
    setTimeout(function() res:finish(req.url) end, 10)
  end, function(server, port)
    local agent = http.Agent:new({ keepAlive = true, maxSockets = 1 })
    local got, reused = {}, {}
    local n = 0
    for i = 1, 4 do
      local req = http.get({ host = '127.0.0.1', port = port, path = '/' .. i, agent = agent }, function(res)
        local b = ''
        res:on('data', function(c) b = b .. c end)
        res:on('end', function()
          got[#got + 1] = b
          n = n + 1
          if n == 4 then
            t.same(got, { '/1', '/2', '/3', '/4' })
            t.same(reused, { false, true, true, true })
            for i2 = 2, 4 do t.eq(ports[i2], ports[1], 'one socket') end
            local name = agent:getName({ host = '127.0.0.1', port = port })
            setTimeout(function()
              t.eq(#agent.freeSockets[name], 1)
              agent:destroy()
              server:close(function() done() end)
            end, 10)
          end
        end)
      end)
      req:on('socket', function() reused[i] = req.reusedSocket end)
    end
  end)
end)

t.test('Agent without keepAlive closes each socket; getName', function(done)
  local agent = http.Agent:new()
  t.eq(agent:getName({ host = 'h', port = 1 }), 'h:1:')
  t.eq(agent:getName({ host = 'h', port = 1, localAddress = '127.0.0.2', family = 4 }), 'h:1:127.0.0.2:4')
  t.eq(agent.maxSockets, math.huge)
  serve(function(req, res)
    t.eq(req.headers.connection, 'close')
    res:finish('c')
  end, function(server, port)
    http.get({ host = '127.0.0.1', port = port, agent = agent }, function(res)
      res:on('data', function() end)
      res:on('end', function()
        setTimeout(function()
          t.eq(next(agent.freeSockets), nil)
          server:close(function() done() end)
        end, 20)
      end)
    end)
  end)
end)

t.test('the request timeout option: timeout on the request', function(done)
  local server = net.createServer(function(s) s:on('data', function() end) end)
  server:listen(0, '127.0.0.1', function()
    local req = http.get({ port = server:address().port, host = '127.0.0.1', timeout = 100, agent = false })
    req:on('timeout', t.mustCall(function() req:destroy() end))
    req:on('error', t.mustCall(function(e)
      t.eq(e.code, 'ECONNRESET')
      server:close(function() done() end)
    end))
  end)
end)

t.test('a HEAD response has no body even with Content-Length', function(done)
  serve(function(req, res)
    res:setHeader('Content-Length', '10')
    res:finish()
  end, function(server, port)
    local req = http.request({ method = 'HEAD', host = '127.0.0.1', port = port }, function(res)
      t.eq(res.headers['content-length'], '10')
      res:on('data', t.mustNotCall())
      res:on('end', t.mustCall(function() server:close(function() done() end) end))
    end)
    req:finish()
  end)
end)

-- Memory --------------------------------------------------------------------------

-- One round: n kept-alive connections, each served once and held open,
-- then all closed; cb() once they are gone.
local function round(port, n, cb)
  local socks, answered, closed = {}, 0, 0
  for i = 1, n do
    local s = net.connect(port, '127.0.0.1')
    s:on('error', function() end)
    s:on('data', function()
      answered = answered + 1
      if answered == n then
        for j = 1, n do socks[j]:destroy() end
      end
    end)
    s:on('close', function()
      closed = closed + 1
      if closed == n then
        socks = nil
        setTimeout(cb, 50)
      end
    end)
    s:write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    socks[i] = s
  end
end

local function heapKiB()
  collectgarbage('collect')
  collectgarbage('collect')
  return collectgarbage('count')
end

t.test('2,000 keep-alive connections held, then closed, twice: the second round adds nothing', function(done)
  serve(function(req, res) res:finish('m') end, function(server, port)
    local start = heapKiB()
    round(port, 2000, function()
      local first = heapKiB()
      round(port, 2000, function()
        local second = heapKiB()
        -- The first round grows tables that keep their size (the server's
        -- set of connections, its parser pool, the registry); the second
        -- finds them made.
        t.ok(first - start < 1024, ('the first round kept %.0f KiB'):format(first - start))
        t.ok(second - first < 64, ('the second round kept %.0f KiB more'):format(second - first))
        server:close(function() done() end)
      end)
    end)
  end)
end, 60000)

t.test("req:setTimeout: 'timeout' on the request; nobody listening destroys the socket", function(done)
  serve(function(req, res)
    req:setTimeout(100, t.mustCall(function()
      res:finish('late')
    end))
  end, function(server, port)
    raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab', function(text)
      t.match(text, '\r\n\r\nlate$')
      local s2 = server
      -- server.timeout with no listener: the idle socket is destroyed.
      s2.timeout = 100
      local started = t.nowMs()
      raw(port, nil, function(text2)
        t.eq(text2, '')
        t.ok(t.nowMs() - started >= 80)
        s2:close(function() done() end)
      end)
    end, 'late')
  end)
end)

t.test('after close(), a kept-alive connection gets Connection: close and the server closes', function(done)
  local server
  server = serve(function(req, res)
    if req.url == '/first' then
      server:close(t.mustCall(function() done() end))
      setTimeout(function() res:finish('bye') end, 20)
    end
  end, function(_, port)
    raw(port, 'GET /first HTTP/1.1\r\nHost: x\r\n\r\n', function(text)
      t.match(text, 'Connection: close\r\n')
      t.match(text, '\r\n\r\nbye$')
    end)
  end)
end)

t.test('a 4 MiB upload read slowly: the socket stops reading, nothing is lost', function(done)
  local SIZE = 4 * 1048576
  serve(function(req, res)
    local got, paused = 0, 0
    req:on('data', function(c)
      got = got + #c
      if req.socket.bytesRead - got > 1048576 then t.ok(false, 'read far ahead of the reader') end
      req:pause()
      paused = paused + 1
      setTimeout(function() req:resume() end, 1)
    end)
    req:on('end', function()
      t.eq(got, SIZE)
      t.ok(paused > 4)
      res:finish(tostring(got))
    end)
  end, function(server, port)
    local req = http.request({ host = '127.0.0.1', port = port, method = 'PUT', agent = false,
      headers = { ['Content-Length'] = SIZE } }, function(res)
      local b = ''
      res:on('data', function(c) b = b .. c end)
      res:on('end', function()
        t.eq(b, tostring(SIZE))
        server:close(function() done() end)
      end)
    end)
    local chunk = string.rep('u', 65536)
    local sent = 0
    local function more()
      while sent < SIZE do
        sent = sent + #chunk
        if not req:write(chunk) then return req:once('drain', more) end
      end
      req:finish()
    end
    more()
  end)
end, 30000)

t.test('bad characters in a request header are refused with 400', function(done)
  serve(t.mustNotCall(), function(server, port)
    raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\1b\r\n\r\n', function(text)
      t.eq(text, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      raw(port, 'GET / HTTP/1.1\r\nBad Name: x\r\n\r\n', function(text2)
        t.eq(text2, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
        server:close(function() done() end)
      end)
    end)
  end)
end)

t.test('requestTimeout cuts off a request whose body never ends', function(done)
  local server = http.createServer(function(req) req:on('data', function() end) end)
  server.requestTimeout = 300
  server:on('clientError', t.mustCall(function(err, sock)
    t.eq(err.code, 'ERR_HTTP_REQUEST_TIMEOUT')
    sock:destroy()
  end))
  server:listen(0, '127.0.0.1', function()
    raw(server:address().port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part', function(text)
      t.eq(text, '')
      server:close(function() done() end)
    end)
  end)
end)

t.test('folded header lines are refused as Node 20 refuses them; a value cut between reads is whole', function(done)
  local server = http.createServer(function(req, res)
    t.eq(req.headers['x-split'], 'hello world')
    res:finish('split ok')
  end)
  local codes = {}
  server:on('clientError', function(err, sock)
    codes[#codes + 1] = err.code
    sock:destroy()
  end)
  server:listen(0, '127.0.0.1', function()
    local port = server:address().port
    raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n', function()
      raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n Leading: x\r\n\r\n', function()
        t.same(codes, { 'HPE_INVALID_HEADER_TOKEN', 'HPE_INVALID_HEADER_TOKEN' })
        local s = net.connect(port, '127.0.0.1')
        local got = ''
        s:on('data', function(d) got = got .. d end)
        s:on('close', function()
          t.match(got, '\r\n\r\nsplit ok$')
          server:close(function() done() end)
        end)
        s:write('GET / HTTP/1.1\r\nConnection: close\r\nX-Split: hello')
        setTimeout(function() s:write(' world\r\n\r\n') end, 30)
      end)
    end)
  end)
end)

t.test('300 mangled requests: each is answered or closed, and the server serves on', function(done)
  math.randomseed(1234)
  local pieces = { 'GET / HTTP/1.1\r\n', 'Host: x\r\n', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n',
    '\r\n', '5\r\nhello\r\n', '0\r\n\r\n', 'Expect: 100-continue\r\n', 'Connection: close\r\n', 'Upgrade: x\r\n',
    ' \t', '\0', '\255\254', ':', 'zz\r\n', string.rep('a', 3000), 'HTTP/1.0', '\n', '\r' }
  local requests = {}
  for i = 1, 300 do
    local parts = {}
    for j = 1, math.random(1, 8) do
      if math.random() < 0.2 then
        local n = math.random(1, 40)
        local b = {}
        for k = 1, n do b[k] = string.char(math.random(0, 255)) end
        parts[j] = table.concat(b)
      else
        parts[j] = pieces[math.random(#pieces)]
      end
    end
    requests[i] = table.concat(parts)
  end
  local handled = 0
  local server = http.createServer(function(req, res)
    handled = handled + 1
    req:on('data', function() end)
    req:on('end', function() res:finish('fine') end)
  end)
  server:on('upgrade', function(req, sock) sock:destroy() end)
  server.headersTimeout = 500
  server:listen(0, '127.0.0.1', function()
    local port = server:address().port
    local i = 0
    local function nextOne()
      i = i + 1
      if i > #requests then
        return raw(port, 'GET /last HTTP/1.1\r\nConnection: close\r\n\r\n', function(text)
          t.match(text, '\r\n\r\nfine$')
          t.ok(handled > 0, 'some mangled requests were still valid')
          server:close(function() done() end)
        end)
      end
      local s = raw(port, requests[i], function() nextOne() end)
      -- A request that waits for more bytes is cut by the client.
      setTimeout(function() s:destroy() end, 30)
    end
    nextOne()
  end)
end, 60000)

t.test('200 mangled responses: each request ends in a response or an error, never hangs', function(done)
  math.randomseed(4321)
  local pieces = { 'HTTP/1.1 200 OK\r\n', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', '\r\n',
    'abc', '3\r\nabc\r\n', '0\r\n\r\n', 'HTTP/1.1 100 Continue\r\n\r\n', ' ', '\0', 'zz\r\n', '\n' }
  local answers = {}
  for i = 1, 200 do
    local parts = {}
    for j = 1, math.random(1, 7) do parts[j] = pieces[math.random(#pieces)] end
    answers[i] = table.concat(parts)
  end
  local n = 0
  local server = net.createServer(function(s)
    n = n + 1
    local answer = answers[n]
    s:on('error', function() end)
    s:on('data', function() s:finish(answer) end)
  end)
  server:listen(0, '127.0.0.1', function()
    local port = server:address().port
    local i, outcomes = 0, { response = 0, error = 0 }
    local function nextOne()
      i = i + 1
      if i > #answers then
        t.eq(outcomes.response + outcomes.error, #answers)
        t.ok(outcomes.error > 0 and outcomes.response > 0)
        return server:close(function() done() end)
      end
      local settled = false
      local function settle(kind)
        if settled then return end
        settled = true
        outcomes[kind] = outcomes[kind] + 1
        nextOne()
      end
      local req = http.get({ host = '127.0.0.1', port = port, agent = false }, function(res)
        res:on('data', function() end)
        res:on('error', function() end)
        res:on('end', function() settle('response') end)
        res:on('close', function() settle('response') end)
      end)
      req:on('error', function() settle('error') end)
      req:on('close', function() setTimeout(function() settle('error') end, 50) end)
    end
    nextOne()
  end)
end, 60000)
