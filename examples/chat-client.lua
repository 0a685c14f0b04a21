-- A chat client: lines typed on stdin go to the server, the server's
-- lines go to stdout.
--   lode examples/chat-client.lua [port] [host]
-- (process.stdin as a stream is not there yet: stdin is read line by line
-- with io.read between turns of the loop.)
local net = require('net')
local port = tonumber(process.argv[2]) or 7001
local host = process.argv[3] or '127.0.0.1'

local sock = net.connect(port, host)
sock:setEncoding('utf8')
sock:on('data', function(text) process.stdout:write(text) end)
sock:on('error', function(err) print('error: ' .. err.message) end)
sock:on('close', function() print('disconnected') end)

local function readLine()
  local line = io.read('*l')
  if line == nil then return sock:finish() end
  sock:write(line .. '\n')
  setTimeout(readLine, 10)
end
sock:on('connect', readLine)
