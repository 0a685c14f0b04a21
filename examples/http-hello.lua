-- The smallest web server: answers every request with a greeting.
--
--   lode examples/http-hello.lua [port]     then: curl http://127.0.0.1:8080/
local http = require('http')

local port = tonumber(process.argv[2]) or 8080

local server = http.createServer(function(req, res)
  res:writeHead(200, { ['Content-Type'] = 'text/plain' })
  res:finish('Hello World\n')
end)

server:listen(port, '127.0.0.1', function()
  print(('listening on http://127.0.0.1:%d/'):format(server:address().port))
end)
