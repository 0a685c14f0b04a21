-- Fetches a URL and prints the status, the headers and the body.
--
--   lode examples/http-get.lua http://127.0.0.1:8080/
local http = require('http')

local url = process.argv[2]
if not url then
  io.stderr:write('usage: lode examples/http-get.lua <http://host[:port]/path>\n')
  process.exitCode = 2
  return
end

local req = http.get(url, function(res)
  print(('HTTP/%s %d %s'):format(res.httpVersion, res.statusCode, res.statusMessage))
  for i = 1, #res.rawHeaders, 2 do
    print(res.rawHeaders[i] .. ': ' .. res.rawHeaders[i + 1])
  end
  print()
  res:on('data', function(chunk) process.stdout:write(chunk) end)
  res:on('end', function() process.stdout:write('\n') end)
end)

req:on('error', function(err)
  io.stderr:write(('%s: %s\n'):format(err.code or 'error', err.message))
  process.exitCode = 1
end)
