-- The HTTP client benchmark of benchmarks/http.sh: COUNT (10,000)
-- sequential GETs of / to a server on 127.0.0.1 at the port given, over
-- one keep-alive Agent holding one socket; each request starts when the
-- previous response has ended. Prints reqs/s and stops by itself after the
-- seconds given (60). Twin: http_client.js.
--
--   lode http_client.lua PORT [SECONDS] [COUNT]
local http = require('http')
local port = tonumber(process.argv[2]) or 9000
local limit = tonumber(process.argv[3]) or 60
local count = tonumber(process.argv[4]) or 10000
local agent = http.Agent:new({keepAlive = true, maxSockets = 1})
local hrtime = process.hrtime
local done, bytes = 0, 0
local t0

local function fail(msg)
  io.stderr:write('http_client: ', tostring(msg), '\n')
  process.exit(1)
end

local function one()
  local req = http.request({host = '127.0.0.1', port = port, path = '/', method = 'GET', agent = agent}, function(res)
    if res.statusCode ~= 200 then fail('status ' .. tostring(res.statusCode)) end
    res:on('data', function(chunk) bytes = bytes + #chunk end)
    res:on('end', function()
      done = done + 1
      if done < count then return one() end
      local t = hrtime()
      local s = (t[1] - t0[1]) + (t[2] - t0[2]) / 1e9
      print(string.format('reqs/s: %.0f', count / s))
      print('body_bytes: ' .. bytes)
      if agent.destroy then agent:destroy() end
      process.exit(0)
    end)
  end)
  req:on('error', function(err) fail(err.message or err) end)
  req:finish()
end

setTimeout(function() fail('not done after ' .. limit .. ' s') end, limit * 1000):unref()
t0 = hrtime()
one()
