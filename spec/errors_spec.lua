-- lua/internal/errors.lua: the error tables every I/O module builds from a
-- binding's (nil, errno), with Node's message shapes, and the misuse
-- errors of streams, sockets and files with Node's texts. Scripts cannot
-- require internal modules, so the file is loaded from the source tree
-- with a stand-in for the binding's two libuv calls (names and texts as
-- libuv gives them on Linux); the real binding is checked through process.
local t = require('./helper')

local UV = {
  [-2] = { 'ENOENT', 'no such file or directory' },
  [-3] = { 'ESRCH', 'no such process' },
  [-13] = { 'EACCES', 'permission denied' },
  [-32] = { 'EPIPE', 'broken pipe' },
  [-98] = { 'EADDRINUSE', 'address already in use' },
  [-111] = { 'ECONNREFUSED', 'connection refused' },
  [-3007] = { 'EAI_NODATA', 'no address' },
  [-3008] = { 'EAI_NONAME', 'unknown node or service' },
}
local stub = {
  errname = function(n) return UV[n] and UV[n][1] or ('Unknown system error ' .. n) end,
  strerror = function(n) return UV[n] and UV[n][2] or ('Unknown system error ' .. n) end,
  setErrorMeta = function() end,
}
local chunk = assert(loadfile(__dirname .. '/../lua/internal/errors.lua'))
local errors = chunk(function(name) error('errors.lua needs no module, asked for ' .. name) end,
  function(name)
    assert(name == 'errors', name)
    return stub
  end)

local function fields(e)
  return { e.name, e.code, e.errno, e.syscall, e.path, e.dest, e.address, e.port }
end

t.test("uv: Node's UVException message and fields", function()
  local e = errors.uv(-2, 'open', 'x')
  t.eq(e.message, "ENOENT: no such file or directory, open 'x'")
  t.same(fields(e), { 'Error', 'ENOENT', -2, 'open', 'x' })
  t.eq(errors.isError(e), true)
  t.eq(tostring(e), "Error: ENOENT: no such file or directory, open 'x'")
  e = errors.uv(-13, 'rename', 'a', 'b')
  t.eq(e.message, "EACCES: permission denied, rename 'a' -> 'b'")
  t.eq(e.dest, 'b')
  e = errors.uv(-2, 'scandir')
  t.eq(e.message, 'ENOENT: no such file or directory, scandir')
  t.eq(e.path, nil)
  t.eq(errors.uv(-2, 'open', '').message, 'ENOENT: no such file or directory, open',
    'an empty path is left out, as in Node')
end)

t.test('uv: a path that is a Buffer shows its bytes', function()
  local e = errors.uv(-2, 'open', Buffer.from('dir/f.txt'))
  t.eq(e.message, "ENOENT: no such file or directory, open 'dir/f.txt'")
  t.eq(e.path, 'dir/f.txt')
end)

t.test("uv: what is not a libuv code is Node's UNKNOWN", function()
  for _, bad in ipairs({ 0, 1, -0.5, 'ENOENT', nil, -1e9 }) do
    local e = errors.uv(bad, 'open', 'x')
    t.eq(e.code, 'UNKNOWN', tostring(bad))
    t.eq(e.message, "UNKNOWN: unknown error, open 'x'", tostring(bad))
  end
end)

t.test("uvHostPort: Node's UVExceptionWithHostPort", function()
  local e = errors.uvHostPort(-98, 'listen', '::', 8080)
  t.eq(e.message, 'listen EADDRINUSE: address already in use :::8080')
  t.same(fields(e), { 'Error', 'EADDRINUSE', -98, 'listen', nil, nil, '::', 8080 })
  e = errors.uvHostPort(-98, 'bind', '/tmp/sock')
  t.eq(e.message, 'bind EADDRINUSE: address already in use /tmp/sock')
  t.eq(e.port, nil)
  e = errors.uvHostPort(-98, 'bind', '0.0.0.0', 0)
  t.eq(e.message, 'bind EADDRINUSE: address already in use 0.0.0.0', 'port 0 is left out')
  t.eq(e.port, nil)
end)

t.test("hostPort: Node's exceptionWithHostPort, without the description", function()
  local e = errors.hostPort(-111, 'connect', '127.0.0.1', 80)
  t.eq(e.message, 'connect ECONNREFUSED 127.0.0.1:80')
  t.same(fields(e), { 'Error', 'ECONNREFUSED', -111, 'connect', nil, nil, '127.0.0.1', 80 })
  t.eq(tostring(e), 'Error: connect ECONNREFUSED 127.0.0.1:80')
  e = errors.hostPort(-111, 'connect', '127.0.0.1', 80, '127.0.0.1:5000')
  t.eq(e.message, 'connect ECONNREFUSED 127.0.0.1:80 - Local (127.0.0.1:5000)')
  t.eq(errors.hostPort(-111, 'connect').message, 'connect ECONNREFUSED')
end)

t.test("errno: Node's ErrnoException", function()
  local e = errors.errno(-32, 'write')
  t.eq(e.message, 'write EPIPE')
  t.same(fields(e), { 'Error', 'EPIPE', -32, 'write' })
  t.eq(errors.errno(-3, 'kill').message, 'kill ESRCH')
end)

t.test("dns: Node's DNSException, EAI_NONAME and EAI_NODATA as ENOTFOUND", function()
  local e = errors.dns(-3008, 'getaddrinfo', 'example.invalid')
  t.eq(e.message, 'getaddrinfo ENOTFOUND example.invalid')
  t.eq(e.code, 'ENOTFOUND')
  t.eq(e.errno, -3008)
  t.eq(e.hostname, 'example.invalid')
  t.eq(errors.dns(-3007, 'getaddrinfo', 'x').code, 'ENOTFOUND')
  t.eq(errors.dns(-111, 'getaddrinfo', 'x').code, 'ECONNREFUSED')
  e = errors.dns('ESERVFAIL', 'queryA', 'x')
  t.eq(e.message, 'queryA ESERVFAIL x')
  t.eq(e.errno, nil)
end)

t.test('check raises the path error when the call gave nil, else passes r through', function()
  t.eq(errors.check(7, nil, 'open', 'x'), 7)
  t.eq(errors.check(false, nil, 'open', 'x'), false, 'false is a result, not a failure')
  local ok, e = pcall(errors.check, nil, -2, 'open', 'x')
  t.eq(ok, false)
  t.eq(e.code, 'ENOENT')
  t.eq(e.message, "ENOENT: no such file or directory, open 'x'")
  t.eq(errors.result(7, nil, 'open', 'x'), nil)
  e = errors.result(nil, -2, 'stat', 'y')
  t.eq(e.message, "ENOENT: no such file or directory, stat 'y'")
end)

t.test("misuse errors carry Node's texts", function()
  local cases = {
    { errors.ERR_INVALID_THIS('Socket'), 'TypeError', 'Value of "this" must be of type Socket' },
    { errors.ERR_STREAM_DESTROYED('write'), 'Error', 'Cannot call write after a stream was destroyed' },
    { errors.ERR_STREAM_ALREADY_FINISHED('end'), 'Error', 'Cannot call end after a stream was finished' },
    { errors.ERR_STREAM_WRITE_AFTER_END(), 'Error', 'write after end' },
    { errors.ERR_STREAM_PUSH_AFTER_EOF(), 'Error', 'stream.push() after EOF' },
    { errors.ERR_STREAM_NULL_VALUES(), 'TypeError', 'May not write null values to stream' },
    { errors.ERR_STREAM_PREMATURE_CLOSE(), 'Error', 'Premature close' },
    { errors.ERR_STREAM_CANNOT_PIPE(), 'Error', 'Cannot pipe, not readable' },
    { errors.ERR_STREAM_UNSHIFT_AFTER_END_EVENT(), 'Error', 'stream.unshift() after end event' },
    { errors.ERR_METHOD_NOT_IMPLEMENTED('_read()'), 'Error', 'The _read() method is not implemented' },
    { errors.ERR_MULTIPLE_CALLBACK(), 'Error', 'Callback called multiple times' },
    { errors.ERR_SOCKET_CLOSED(), 'Error', 'Socket is closed' },
    { errors.ERR_SOCKET_DGRAM_NOT_RUNNING(), 'Error', 'Not running' },
    { errors.ERR_SOCKET_DGRAM_IS_CONNECTED(), 'Error', 'Already connected' },
    { errors.ERR_SOCKET_DGRAM_NOT_CONNECTED(), 'Error', 'Not connected' },
    { errors.ERR_SOCKET_ALREADY_BOUND(), 'Error', 'Socket is already bound' },
    { errors.ERR_SOCKET_BAD_TYPE(), 'TypeError', 'Bad socket type specified. Valid types are: udp4, udp6' },
    { errors.ERR_SERVER_ALREADY_LISTEN(), 'Error', 'Listen method has been called more than once without closing.' },
    { errors.ERR_SERVER_NOT_RUNNING(), 'Error', 'Server is not running.' },
    { errors.ERR_INVALID_FD(-1), 'RangeError', '"fd" must be a positive integer: -1' },
    { errors.ERR_INVALID_IP_ADDRESS('1.2.3'), 'TypeError', 'Invalid IP address: 1.2.3' },
    { errors.ERR_SOCKET_BAD_PORT('port', 65536), 'RangeError',
      'port should be >= 0 and < 65536. Received type number (65536).' },
    { errors.ERR_SOCKET_BAD_PORT('Port', 0, false), 'RangeError',
      'Port should be > 0 and < 65536. Received type number (0).' },
    { errors.ERR_SOCKET_BAD_PORT('port', 'x'), 'RangeError',
      "port should be >= 0 and < 65536. Received type string ('x')." },
    { errors.ERR_INVALID_ADDRESS_FAMILY('IPv5', 'h', 1), 'RangeError', 'Invalid address family: IPv5 h:1' },
  }
  for i, c in ipairs(cases) do
    local e, name, message = c[1], c[2], c[3]
    t.eq(e.name, name, 'case ' .. i)
    t.eq(e.message, message, 'case ' .. i)
    t.eq(type(e.code), 'string', 'case ' .. i)
    t.eq(e.code:sub(1, 4), 'ERR_', 'case ' .. i)
    t.eq(errors.isError(e), true, 'case ' .. i)
    t.eq(tostring(e), name .. ' [' .. e.code .. ']: ' .. message, 'case ' .. i)
  end
end)

t.test("the real binding: process.kill's ESRCH reads 'kill ESRCH', as in Node", function()
  -- A pid far above any pid_max, and signal 0, so that nothing is sent.
  local ok, e = pcall(process.kill, 2 ^ 30, 0)
  t.eq(ok, false)
  t.eq(e.code, 'ESRCH')
  t.eq(e.message, 'kill ESRCH')
  t.eq(e.errno, -3)
end)
