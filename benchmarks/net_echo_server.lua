-- The echo server of benchmarks/net.sh: echoes every byte on 127.0.0.1
-- at the port given, and stops by itself after the seconds given (60).
local net = require('net')
local port = tonumber(process.argv[2]) or 9000
local limit = tonumber(process.argv[3]) or 60
local server = net.createServer(function(sock)
  sock:on('data', function(data) sock:write(data) end)
  sock:on('error', function() end)
end)
server:listen(port, '127.0.0.1', function() print('listening: ' .. port) end)
setTimeout(function() process.exit(0) end, limit * 1000):unref()
