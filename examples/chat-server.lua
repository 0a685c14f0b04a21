-- A chat server: a line from one client goes to every other client.
--   lode examples/chat-server.lua [port]
--   lode examples/chat-client.lua [port]    (or nc 127.0.0.1 7001)
local net = require('net')
local port = tonumber(process.argv[2]) or 7001
local clients = {}

local function broadcast(from, text)
  for c in pairs(clients) do
    if c ~= from then c:write(text) end
  end
end

local server = net.createServer(function(sock)
  local name = sock.remoteAddress .. ':' .. sock.remotePort
  clients[sock] = true
  broadcast(sock, name .. ' joined\n')
  sock:setEncoding('utf8')
  local pending = ''
  sock:on('data', function(data)
    pending = pending .. data
    for line in pending:gmatch('([^\n]*)\n') do
      broadcast(sock, name .. '> ' .. line:gsub('\r$', '') .. '\n')
    end
    pending = pending:match('[^\n]*$')
  end)
  sock:on('error', function() end)
  sock:on('close', function()
    clients[sock] = nil
    broadcast(sock, name .. ' left\n')
  end)
end)

server:listen(port, '127.0.0.1', function()
  print('chat server on 127.0.0.1:' .. server:address().port)
end)
