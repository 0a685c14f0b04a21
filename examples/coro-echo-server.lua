-- An echo server in the coroutine style: one coroutine per client reads
-- lines in a loop and writes each back; coro.write waits when the client
-- reads slower than it sends. The callback version is echo-server.lua.
--   lode examples/coro-echo-server.lua [port]     then: nc 127.0.0.1 7000
local net = require('net')
local coro = require('coro')
local port = tonumber(process.argv[2]) or 7000

local server = net.createServer(function(sock)
  coro.run(function()
    print('client ' .. sock.remoteAddress .. ':' .. sock.remotePort)
    local ok, err = pcall(function()
      for line in sock:lines() do coro.write(sock, line .. '\n') end
      coro.finish(sock)
    end)
    if not ok then print('client error: ' .. tostring(err.message or err)) end
  end)
end)

server:on('error', function(err) print('server error: ' .. err.message) end)
server:listen(port, '127.0.0.1', function()
  print('echo server on 127.0.0.1:' .. server:address().port)
end)
