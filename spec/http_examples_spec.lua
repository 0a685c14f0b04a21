-- The http examples, run as a user runs them: examples/static-server.lua
-- serves a folder in a child process, and examples/http-get.lua (another
-- child) and the http client fetch from it.
local t = require('./helper')
local http = require('http')
local net = require('net')
local fs = require('fs')

local dir = os.tmpname()
os.remove(dir)
fs.mkdirSync(dir .. '/sub', { recursive = true })
fs.writeFileSync(dir .. '/index.html', '<h1>home</h1>')
fs.writeFileSync(dir .. '/style.css', 'body{}')
local big = string.rep('0123456789abcdef', 16384) -- 256 KiB, more than one socket write
fs.writeFileSync(dir .. '/sub/big.bin', big)

local port, pid

-- A free port: one the system gives, given back at once.
local function freePort(cb)
  local s = net.createServer()
  s:listen(0, '127.0.0.1', function()
    local p = s:address().port
    s:close(function() cb(p) end)
  end)
end

-- Tries to connect until the server answers (at most 5 s).
local function waitUp(cb, tries)
  tries = tries or 100
  local s = net.connect(port, '127.0.0.1')
  s:on('connect', function() s:destroy(); cb() end)
  s:on('error', function()
    if tries == 0 then return cb('the static server did not start') end
    setTimeout(function() waitUp(cb, tries - 1) end, 50)
  end)
end

local function get(path, cb)
  http.get({ host = '127.0.0.1', port = port, path = path, agent = false }, function(res)
    local body = {}
    res:on('data', function(c) body[#body + 1] = c end)
    res:on('end', function() cb(res, table.concat(body)) end)
  end)
end

t.test('examples/static-server.lua starts in a child process', function(done)
  freePort(function(p)
    port = p
    local pidFile = os.tmpname()
    os.execute(('(exec timeout 60 %s ../examples/static-server.lua %s %d >/dev/null 2>&1 & echo $! > %s)'):format(
      t.quote(process.execPath), t.quote(dir), port, t.quote(pidFile)))
    local f = io.open(pidFile)
    pid = tonumber(f:read('*a'))
    f:close()
    os.remove(pidFile)
    t.ok(pid, 'the child has a pid')
    waitUp(done)
  end)
end, 10000)

t.test('it serves files with their content type, folders by index.html', function(done)
  get('/', function(res, body)
    t.eq(res.statusCode, 200)
    t.eq(res.headers['content-type'], 'text/html; charset=utf-8')
    t.eq(body, '<h1>home</h1>')
    get('/style.css', function(res2, body2)
      t.eq(res2.headers['content-type'], 'text/css')
      t.eq(res2.headers['content-length'], '6')
      t.eq(body2, 'body{}')
      get('/sub/big.bin', function(res3, body3)
        t.eq(res3.headers['content-type'], 'application/octet-stream')
        t.eq(#body3, #big)
        t.ok(body3 == big, 'the big file arrives whole')
        done()
      end)
    end)
  end)
end)

t.test('404 for what is missing and for paths that leave the folder', function(done)
  get('/missing.txt', function(res, body)
    t.eq(res.statusCode, 404)
    t.eq(body, '404 Not Found\n')
    get('/%2e%2e/%2e%2e/etc/passwd', function(res2)
      t.eq(res2.statusCode, 404)
      get('/sub/../../x', function(res3)
        t.eq(res3.statusCode, 404)
        done()
      end)
    end)
  end)
end)

t.test('examples/http-get.lua prints the status, the headers and the body', function()
  local r = t.spawn('../examples/http-get.lua http://127.0.0.1:' .. port .. '/style.css')
  t.eq(r.code, 0, r.err)
  t.eq(r.lines[1], 'HTTP/1.1 200 OK')
  local text = r.out
  t.match(text, '\nContent%-Type: text/css\n')
  t.match(text, '\nContent%-Length: 6\n')
  t.match(text, '\n\nbody{}\n$')
  local bad = t.spawn('../examples/http-get.lua http://127.0.0.1:1/')
  t.eq(bad.code, 1)
  t.match(bad.err, 'ECONNREFUSED')
end)

t.test('the server stops', function()
  t.ok(process.kill(pid, 'SIGTERM'))
  os.execute('rm -rf ' .. t.quote(dir))
end)
