-- The 4 KiB server of benchmarks/http.sh: http_hello.lua with a 4096-byte
-- text/plain body, keep-alive, on 127.0.0.1 at the port given; stops by
-- itself after the seconds given (60). Twin: http_body4k.js.
local http = require('http')
local port = tonumber(process.argv[2]) or 9000
local limit = tonumber(process.argv[3]) or 60
local body = string.rep('x', 4096)
local server = http.createServer(function(req, res)
  res:writeHead(200, {['Content-Type'] = 'text/plain'})
  res:finish(body)
end)
server.keepAliveTimeout = 0
server:listen(port, '127.0.0.1', function() print('listening: ' .. port) end)
setTimeout(function() process.exit(0) end, limit * 1000):unref()
