-- A line-protocol client in the coroutine style: connects, sends each
-- command given on the command line as one line, and prints the reply
-- line to each, in order. Try it against coro-echo-server.lua:
--   lode examples/coro-line-client.lua 7000 hello 'how are you'
local net = require('net')
local coro = require('coro')
local port = tonumber(process.argv[2]) or 7000

coro.run(function()
  local sock = net.connect(port, '127.0.0.1')
  coro.once(sock, 'connect', 5000)
  local replies = sock:lines()
  for i = 3, #process.argv do
    coro.write(sock, process.argv[i] .. '\n')
    local reply = replies()
    if reply == nil then break end
    print('> ' .. process.argv[i])
    print('< ' .. reply)
  end
  coro.finish(sock)
  sock:destroy()
end)
