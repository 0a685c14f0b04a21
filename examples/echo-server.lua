-- An echo server: every byte a client sends comes back to it.
--   lode examples/echo-server.lua [port]     then: nc 127.0.0.1 7000
local net = require('net')
local port = tonumber(process.argv[2]) or 7000

local server = net.createServer(function(sock)
  print('client ' .. sock.remoteAddress .. ':' .. sock.remotePort)
  sock:on('data', function(data) sock:write(data) end)
  sock:on('error', function(err) print('client error: ' .. err.message) end)
end)

server:on('error', function(err) print('server error: ' .. err.message) end)
server:listen(port, '127.0.0.1', function()
  print('echo server on 127.0.0.1:' .. server:address().port)
end)
