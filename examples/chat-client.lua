-- A chat client: lines typed on stdin go to the server, the server's
-- lines go to stdout.
--   lode examples/chat-client.lua [port] [host]
-- (start examples/chat-server.lua first). Ctrl-D or the end of piped
-- input closes the connection.
local net = require('net')
local readline = require('readline')
local port = tonumber(process.argv[2]) or 7001
local host = process.argv[3] or '127.0.0.1'

local rl = readline.createInterface({ input = process.stdin, output = process.stdout, prompt = '' })
local sock = net.connect(port, host)
sock:setEncoding('utf8')
sock:on('data', function(text) process.stdout:write(text) end)
sock:on('error', function(err) print('error: ' .. err.message) end)
sock:on('close', function()
  print('disconnected')
  rl:close()
end)

-- Typed lines wait in the interface until the connection is up: a paused
-- interface does not read.
rl:pause()
sock:on('connect', function() rl:resume() end)
rl:on('line', function(line) sock:write(line .. '\n') end)
rl:on('close', function() sock:finish() end)
