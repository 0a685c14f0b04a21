-- The hello server of benchmarks/http.sh: 'Hello World' as text/plain on
-- 127.0.0.1 at the port given, keep-alive, and stops by itself after the
-- seconds given (60). Idle keep-alive connections are kept for the
-- server's whole life (keepAliveTimeout 0, as the twin sets it), so
-- http.sh can count the bytes each one costs. Twin: http_hello.js.
local http = require('http')
local port = tonumber(process.argv[2]) or 9000
local limit = tonumber(process.argv[3]) or 60
local body = 'Hello World'
local server = http.createServer(function(req, res)
  res:writeHead(200, {['Content-Type'] = 'text/plain'})
  res:finish(body)
end)
server.keepAliveTimeout = 0
server:listen(port, '127.0.0.1', function() print('listening: ' .. port) end)
setTimeout(function() process.exit(0) end, limit * 1000):unref()
