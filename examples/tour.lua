-- A short tour of lode: run it with `make demo` or `build/lode examples/tour.lua`.
-- It exercises the main modules and exits 0; any failed check raises.
local EventEmitter = require('events')
local path = require('path')
local util = require('util')

local function check(cond, what)
  if not cond then error('tour check failed: ' .. what, 2) end
end

console.log('lode %s on LuaJIT %s and libuv %s',
  process.versions.lode, process.versions.luajit, process.versions.uv)

-- events: Node's EventEmitter, listeners get exactly the emitted arguments.
local Greeter = EventEmitter:extend()
function Greeter:greet(name) self:emit('greet', 'hello ' .. name) end
local g = Greeter:new()
local heard = {}
g:on('greet', function(msg) heard[#heard + 1] = msg end)
g:greet('world')
check(heard[1] == 'hello world', 'events')
console.log('events:  %s', heard[1])

-- Buffer: mutable bytes, 1-based like strings; a slice shares memory.
local buf = Buffer.from('hello')
local slice = buf:slice(2, 3)
slice[1] = string.byte('E')
check(buf:toString() == 'hEllo', 'buffer slice shares memory')
check(buf[1] == 104 and #buf == 5, 'buffer indexing')
console.log('buffer:  %s %s hex=%s', tostring(buf), buf:toString(), buf:toString('hex'))

-- path and util
local p = path.join('/usr', 'local', '..', 'lib', 'lode.lua')
check(p == '/usr/lib/lode.lua', 'path.join')
console.log('path:    %s (ext %s)', p, path.extname(p))
console.log('util:    %s', util.inspect({ name = 'lode', list = { 1, 2, 3 } }))

-- process
check(process.argv[1]:match('tour%.lua$'), 'process.argv[1] is the script')
console.log('process: pid %d, platform %s, arch %s', process.pid, process.platform, process.arch)

-- fs and os: a file changed in place, byte by byte, then read back.
local fs, os = require('fs'), require('os')
local tmp = fs.mkdtempSync(os.tmpdir() .. '/lode-tour-')
fs.writeFileSync(tmp .. '/note.txt', 'hello world')
local fd = fs.openSync(tmp .. '/note.txt', 'r+')
fs.writeSync(fd, 'J', 0)
fs.closeSync(fd)
fs.readFile(tmp .. '/note.txt', 'utf8', function(err, text)
  check(err == nil and text == 'Jello world', 'fs edits a file in place')
  console.log('fs:      %s (%d bytes), on %s with %d cpus', text, fs.statSync(tmp .. '/note.txt').size,
    os.hostname(), #os.cpus())
  fs.rmSync(tmp, { recursive = true })
end)

-- dgram: a datagram to ourselves over loopback.
do
  local dgram = require('dgram')
  local sock = dgram.createSocket('udp4')
  sock:on('message', function(msg, rinfo)
    check(msg == 'ping', 'dgram message')
    console.log('dgram:   "%s" from %s:%d (%d bytes)', msg, rinfo.address, rinfo.port, rinfo.size)
    sock:close()
  end)
  sock:bind(0, '127.0.0.1', function() sock:send('ping', sock:address().port, '127.0.0.1') end)
end

-- The event loop: nextTick, then immediates, then timers, as in Node.
local order = {}
setTimeout(function() order[#order + 1] = 'timeout' end, 0)
setImmediate(function() order[#order + 1] = 'immediate' end)
process.nextTick(function() order[#order + 1] = 'nextTick' end)

local ticks = 0
local interval
interval = setInterval(function()
  ticks = ticks + 1
  if ticks == 3 then clearInterval(interval) end
end, 5)

-- net: an echo server on a free port and one client, on 127.0.0.1.
local net = require('net')
local echoed
local server = net.createServer(function(sock)
  sock:on('data', function(data) sock:write(data) end)
end)
server:listen(0, '127.0.0.1', function()
  local client = net.connect(server:address().port, '127.0.0.1')
  client:on('data', function(data)
    echoed = data
    client:finish()
  end)
  client:on('close', function() server:close() end)
  client:write('ping')
end)

-- http: a web server and a client of it, on Node's own parser (llhttp).
local http = require('http')
local fetched
local web = http.createServer(function(req, res)
  res:writeHead(200, { ['Content-Type'] = 'text/plain' })
  res:finish('hello from ' .. req.url)
end)
web:listen(0, '127.0.0.1', function()
  http.get('http://127.0.0.1:' .. web:address().port .. '/tour', function(res)
    local body = {}
    res:on('data', function(chunk) body[#body + 1] = chunk end)
    res:on('end', function()
      fetched = { status = res.statusCode, type = res.headers['content-type'], body = table.concat(body) }
      web:close()
    end)
  end)
end)

process:on('exit', function(code)
  check(echoed == 'ping', 'the echo server answered')
  console.log("net:     echoed '%s'", echoed)
  check(fetched and fetched.status == 200 and fetched.body == 'hello from /tour', 'the web server answered')
  console.log("http:    %d %s '%s'", fetched.status, fetched.type, fetched.body)
  check(order[1] == 'nextTick', 'nextTick runs first')
  check(ticks == 3, 'the interval ran three times')
  console.log('loop:    %s; interval ran %d times', table.concat(order, ' < '), ticks)
  console.log('exit code %d', code)
end)
