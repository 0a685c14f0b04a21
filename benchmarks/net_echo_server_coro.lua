-- The echo server of benchmarks/net.sh in the coroutine style: one
-- coroutine per connection, reading chunks in a loop and writing them
-- back; `lines` as the third argument reads and echoes lines instead.
-- Args: port (9000), seconds before it stops by itself (60), mode.
local net = require('net')
local coro = require('coro')
local port = tonumber(process.argv[2]) or 9000
local limit = tonumber(process.argv[3]) or 60
local lines = process.argv[4] == 'lines'
local server = net.createServer(function(sock)
  coro.run(function()
    local ok = pcall(function()
      if lines then
        for line in sock:lines() do coro.write(sock, line .. '\n') end
      else
        for chunk in sock:iter() do coro.write(sock, chunk) end
      end
    end)
    if ok then sock:finish() end
  end)
end)
server:listen(port, '127.0.0.1', function() print('listening: ' .. port) end)
setTimeout(function() process.exit(0) end, limit * 1000):unref()
