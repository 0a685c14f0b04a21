-- buffer: Node's Buffer in lode's 1-based convention. Expected values come
-- from Node 20 (the same calls with offsets shifted by one).
local t = require('./helper')
local buffer = require('buffer')
local ffi = require('ffi')

local function hex(b) return b:toString('hex') end
local function bytes(...) return Buffer.from({ ... }) end

------------------------------------------------------------------------------
-- The seed: a Buffer from a string, bytes as numbers, mutable, shared slices.

t.test('global Buffer is the module Buffer', function()
  t.eq(Buffer, buffer.Buffer)
  t.eq(type(Buffer.from), 'function')
end)

t.test('from(string) gives its bytes; buf[i] is a number, 1-based', function()
  local b = Buffer.from('hello')
  t.eq(#b, 5)
  t.eq(b.length, 5)
  t.eq(type(b.length), 'number')
  t.eq(b[1], 104)
  t.eq(b[5], 111)
  t.eq(type(b[1]), 'number')
  t.eq(b[0], nil)
  t.eq(b[6], nil)
  t.eq(b[-1], nil)
  t.eq(b[1.5], nil)
  t.eq(b[0 / 0], nil)
  t.eq(b:toString(), 'hello')
end)

t.test('a Buffer can be changed, a string cannot', function()
  local s = 'hello'
  local b = Buffer.from(s)
  b[1] = 72
  b[5] = 33
  t.eq(b:toString(), 'Hell!')
  t.eq(s, 'hello')
end)

t.test('byte writes wrap like Node (v % 256, truncating fractions)', function()
  local b = Buffer.alloc(6)
  b[1] = 300
  b[2] = -1
  b[3] = 1.9
  b[4] = 0 / 0
  b[5] = -1.5
  b[6] = 2 ^ 40 + 7
  t.eq(hex(b), '2cff0100ff07')
end)

t.test('slice shares memory with its parent, both ways', function()
  local parent = Buffer.from('abcdef')
  local s = parent:slice(2, 4)
  t.eq(s:toString(), 'bcd')
  s[1] = 66
  t.eq(parent:toString(), 'aBcdef')
  parent[4] = 68
  t.eq(s:toString(), 'BcD')
  t.eq(#s, 3)
  local sub = parent:subarray(-2)
  t.eq(sub:toString(), 'ef')
  sub:fill(0x7a)
  t.eq(parent:toString(), 'aBcDzz')
end)

t.test('slice keeps the parent memory alive after the parent is gone', function()
  local s
  do
    local p = Buffer.alloc(100000, 'xyz')
    s = p:slice(99991, 99995)
  end
  for _ = 1, 3 do collectgarbage() end
  local junk = {}
  for i = 1, 100 do junk[i] = Buffer.alloc(100000, 'q') end
  t.eq(s:toString(), 'xyzxy')
end)

t.test('isBuffer', function()
  t.eq(Buffer.isBuffer(Buffer.alloc(1)), true)
  t.eq(Buffer.isBuffer(Buffer.alloc(0)), true)
  t.eq(Buffer.isBuffer('abc'), false)
  t.eq(Buffer.isBuffer({}), false)
  t.eq(Buffer.isBuffer(nil), false)
  t.eq(Buffer.isBuffer(ffi.new('int[2]')), false)
  t.eq(Buffer.isBuffer(ffi.new('int64_t', 1)), false)
end)

------------------------------------------------------------------------------
-- Metamethods.

t.test('tostring is Node inspect, cut after 50 bytes', function()
  t.eq(tostring(Buffer.from('hello')), '<Buffer 68 65 6c 6c 6f>')
  t.eq(tostring(Buffer.alloc(0)), '<Buffer >')
  t.eq(tostring(Buffer.alloc(51)), '<Buffer ' .. string.rep('00 ', 49) .. '00 ... 1 more byte>')
  t.eq(tostring(Buffer.alloc(52, 1)), '<Buffer ' .. string.rep('01 ', 49) .. '01 ... 2 more bytes>')
  t.eq(buffer.INSPECT_MAX_BYTES, 50)
end)

t.test('== compares contents; anything but a Buffer is unequal', function()
  t.ok(Buffer.from('abc') == Buffer.from('abc'))
  t.ok(Buffer.from('abc') ~= Buffer.from('abd'))
  t.ok(Buffer.from('abc') ~= Buffer.from('ab'))
  t.ok(Buffer.alloc(0) == Buffer.alloc(0))
  local b = Buffer.from('abc')
  t.eq(b == nil, false)
  t.eq(b == 'abc', false)
  t.eq(b == 3, false)
  t.ok(Buffer.from('a') < Buffer.from('b'))
  t.ok(Buffer.from('ab') <= Buffer.from('ab'))
  t.ok(not (Buffer.from('b') < Buffer.from('ab')))
end)

t.test('.. makes a string of the UTF-8 text', function()
  t.eq(Buffer.from('ab') .. 'c', 'abc')
  t.eq('x' .. Buffer.from('yz'), 'xyz')
  t.eq(Buffer.from('a') .. Buffer.from('b'), 'ab')
  t.eq(1 .. Buffer.from('b'), '1b')
end)

t.test('unknown fields read nil; string keys cannot be set', function()
  local b = Buffer.alloc(2)
  t.eq(b.nope, nil)
  t.raises(function() b.foo = 1 end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b[3] = 1 end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b[0] = 1 end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b[1.5] = 1 end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.alloc(0)[1] = 1 end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b[1] = '1' end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b[1] = true end, 'ERR_INVALID_ARG_TYPE')
  t.eq(hex(b), '0000')
end)

t.test('methods called on something else raise instead of touching memory', function()
  local fake = { _data = 4096, _len = 100, _block = 0 }
  local names = { 'readUInt8', 'readUInt32LE', 'readInt32BE', 'readDoubleBE', 'readBigInt64LE',
    'toString', 'toJSON', 'slice', 'fill', 'write', 'indexOf', 'lastIndexOf', 'includes',
    'swap16', 'swap64', 'entries', 'values', 'keys', 'equals', 'compare', 'copy', 'inspect',
    'writeUInt32LE', 'writeUIntBE', 'readIntLE', 'writeFloatLE', 'writeBigUInt64BE' }
  for _, name in ipairs(names) do
    local ok, err = pcall(Buffer.prototype[name], fake, 1, 1, 1)
    t.eq(ok, false, name)
    t.eq(type(err) == 'table' and err.code, 'ERR_INVALID_ARG_TYPE', name)
  end
end)

t.test('Buffer.prototype holds the methods', function()
  t.eq(type(Buffer.prototype.readUInt8), 'function')
  Buffer.prototype.firstByte = function(self) return self[1] end
  t.eq(Buffer.from('A'):firstByte(), 65)
  Buffer.prototype.firstByte = nil
  t.eq(Buffer.from('A').firstByte, nil)
end)

------------------------------------------------------------------------------
-- Making Buffers.

t.test('alloc zero-fills, or fills with a number, string or Buffer', function()
  t.eq(hex(Buffer.alloc(4)), '00000000')
  t.eq(hex(Buffer.alloc(5, 257)), '0101010101')
  t.eq(hex(Buffer.alloc(5, -1)), 'ffffffffff')
  t.eq(Buffer.alloc(5, 'ab'):toString(), 'ababa')
  t.eq(Buffer.alloc(6, 'abc', 'utf8'):toString(), 'abcabc')
  t.eq(Buffer.alloc(5, 'YQ==', 'base64'):toString(), 'aaaaa')
  t.eq(hex(Buffer.alloc(3, 'a1', 'hex')), 'a1a1a1')
  t.eq(Buffer.alloc(4, Buffer.from('xy')):toString(), 'xyxy')
  t.eq(hex(Buffer.alloc(4, '')), '00000000')
  t.eq(#Buffer.alloc(1.5), 1)
  t.eq(hex(Buffer.alloc(10000, 'ab'):slice(9998)), '626162')
end)

t.test('allocUnsafe and allocUnsafeSlow give Buffers of the size', function()
  t.eq(#Buffer.allocUnsafe(10), 10)
  t.eq(#Buffer.allocUnsafe(0), 0)
  t.eq(#Buffer.allocUnsafe(100000), 100000)
  t.eq(#Buffer.allocUnsafeSlow(7), 7)
  t.eq(Buffer.poolSize, 8192)
  -- Pooled Buffers are distinct memory.
  local a, b = Buffer.allocUnsafe(3), Buffer.allocUnsafe(3)
  a:fill(1); b:fill(2)
  t.eq(hex(a), '010101')
  t.eq(hex(b), '020202')
end)

t.test('from(table), from(buffer) copies, from(toJSON)', function()
  t.eq(hex(bytes(1, 2, 255, 256, -1, 1.7)), '0102ff00ff01')
  t.eq(#Buffer.from({}), 0)
  local a = Buffer.from('abc')
  local c = Buffer.from(a)
  c[1] = 0x41
  t.eq(a:toString(), 'abc')
  t.eq(c:toString(), 'Abc')
  t.eq(Buffer.from({ type = 'Buffer', data = { 104, 105 } }):toString(), 'hi')
  t.eq(Buffer.from(a:toJSON()):toString(), 'abc')
end)

t.test('concat', function()
  local r = Buffer.concat({ Buffer.from('ab'), Buffer.from(''), Buffer.from('cd') })
  t.eq(r:toString(), 'abcd')
  t.eq(hex(Buffer.concat({ Buffer.from('ab') }, 4)), '61620000')
  t.eq(Buffer.concat({ Buffer.from('abc') }, 2):toString(), 'ab')
  t.eq(#Buffer.concat({}), 0)
  t.eq(Buffer.concat({ 'x', Buffer.from('y') }):toString(), 'xy')
  local big = {}
  for i = 1, 1000 do big[i] = Buffer.from(string.format('%04d', i)) end
  local all = Buffer.concat(big)
  t.eq(#all, 4000)
  t.eq(all:toString('utf8', 3997), '1000')
  t.raises(function() Buffer.concat({ 1 }) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.concat('ab') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.concat({}, -1) end, 'ERR_OUT_OF_RANGE')
end)

t.test('byteLength', function()
  t.eq(Buffer.byteLength('héllo'), 6)
  t.eq(Buffer.byteLength('😀'), 4)
  t.eq(Buffer.byteLength('😀', 'ucs2'), 4)
  t.eq(Buffer.byteLength('é€', 'latin1'), 2)
  t.eq(Buffer.byteLength('abcd', 'hex'), 2)
  t.eq(Buffer.byteLength('abc', 'hex'), 1)
  t.eq(Buffer.byteLength('YWJj', 'base64'), 3)
  t.eq(Buffer.byteLength('YQ==', 'base64'), 1)
  t.eq(Buffer.byteLength('Y Q = =', 'base64'), 4)
  t.eq(Buffer.byteLength(Buffer.alloc(7)), 7)
  t.raises(function() Buffer.byteLength(5) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('isEncoding', function()
  for _, e in ipairs({ 'utf8', 'UTF-8', 'hex', 'base64', 'base64url', 'latin1', 'binary',
    'ascii', 'utf16le', 'UCS2', 'ucs-2', 'utf-16le' }) do
    t.eq(Buffer.isEncoding(e), true, e)
  end
  t.eq(Buffer.isEncoding('utf7'), false)
  t.eq(Buffer.isEncoding(nil), false)
  t.eq(Buffer.isEncoding(1), false)
end)

t.test('Buffer.compare and buf:compare', function()
  t.eq(Buffer.compare(Buffer.from('abc'), Buffer.from('abd')), -1)
  t.eq(Buffer.compare(Buffer.from('b'), Buffer.from('a')), 1)
  t.eq(Buffer.compare(Buffer.from('a'), Buffer.from('a')), 0)
  t.eq(Buffer.from('hello'):compare(Buffer.from('hello world')), -1)
  -- Node: Buffer.from('b').compare(Buffer.from('abc'), 1, 2) === 0
  t.eq(Buffer.from('b'):compare(Buffer.from('abc'), 2, 2), 0)
  t.eq(Buffer.from('xbcx'):compare(Buffer.from('abc'), 2, 3, 2, 3), 0)
  t.raises(function() Buffer.compare('a', Buffer.from('a')) end, 'ERR_INVALID_ARG_TYPE')
end)

------------------------------------------------------------------------------
-- Encodings.

t.test('toString in each encoding', function()
  local h = Buffer.from('hello world')
  t.eq(h:toString('hex'), '68656c6c6f20776f726c64')
  t.eq(h:toString('base64'), 'aGVsbG8gd29ybGQ=')
  t.eq(h:toString('base64url'), 'aGVsbG8gd29ybGQ')
  t.eq(h:toString('ascii'), 'hello world')
  t.eq(h:toString('latin1'), 'hello world')
  t.eq(h:toString('HEX'), '68656c6c6f20776f726c64')
  t.eq(bytes(0xff, 0xfe, 0x41):toString('latin1'), 'ÿþA')
  t.eq(bytes(0x80, 0xff, 0x41):toString('ascii'), '\0\127A')
  t.eq(bytes(0xac, 0x20, 0x75, 0x00):toString('utf16le'), '€u')
  t.eq(bytes(0x3d, 0xd8, 0x00, 0xde):toString('ucs2'), '😀')
  t.eq(bytes(0x3d, 0xd8, 0x41, 0x00):toString('utf16le'), '\239\191\189A')
  t.eq(bytes(0x41, 0x00, 0x42):toString('utf16le'), 'A')
end)

t.test('toString(enc, i, j) takes a string.sub range', function()
  local h = Buffer.from('hello world')
  t.eq(h:toString('utf8', 2, 5), 'ello')
  t.eq(h:toString(nil, -5), 'world')
  t.eq(h:toString(nil, -5, -2), 'worl')
  t.eq(h:toString(nil, 0), 'hello world')
  t.eq(h:toString(nil, 5, 2), '')
  t.eq(h:toString(nil, 100), '')
  t.eq(h:toString(nil, -100, 100), 'hello world')
  t.eq(h:toString('hex', 1, 2), '6865')
end)

t.test('base64 of every tail length, both alphabets', function()
  local std = { '', '+w==', '+/s=', '+/v7', '+/v7+w==', '+/v7+/s=' }
  local url = { '', '-w', '-_s', '-_v7', '-_v7-w', '-_v7-_s' }
  for n = 0, 5 do
    local b = Buffer.alloc(n, 0xfb)
    t.eq(b:toString('base64'), std[n + 1])
    t.eq(b:toString('base64url'), url[n + 1])
    t.eq(Buffer.from(std[n + 1], 'base64'), b)
    t.eq(Buffer.from(url[n + 1], 'base64url'), b)
    t.eq(Buffer.from(url[n + 1], 'base64'), b)
  end
end)

t.test('base64 decoding is lenient like Node', function()
  local cases = {
    { 'YQ', '61' }, { 'YQ==', '61' }, { 'Y Q = =', '61' }, { 'YQ=x', '61' }, { '=YQ', '' },
    { 'Y===Q', '' }, { 'YW\nJj', '616263' }, { 'YW_-', '616ffe' }, { 'YW+/', '616fbf' },
    { 'Y', '' }, { 'YWJjZA==YWJj', '61626364' }, { '!!YWJj', '616263' }, { 'YW.Jj', '616263' },
    { 'YWJ', '6162' }, { 'YWJjZ', '616263' }, { 'YWJjZA=a', '61626364' },
  }
  for _, c in ipairs(cases) do
    t.eq(hex(Buffer.from(c[1], 'base64')), c[2], c[1])
  end
end)

t.test('hex decoding stops at the first invalid pair', function()
  local cases = { { '0g', '' }, { 'a', '' }, { 'abc', 'ab' }, { 'ab cd', 'ab' }, { 'ABcd', 'abcd' },
    { 'abzz12', 'ab' }, { '', '' } }
  for _, c in ipairs(cases) do t.eq(hex(Buffer.from(c[1], 'hex')), c[2], c[1]) end
end)

t.test('utf8: invalid bytes decode to U+FFFD as in Node', function()
  local b = bytes(0xf0, 0x9f, 0x98, 0x80, 0xe2, 0x82, 0xc0, 0xaf, 0xed, 0x9f, 0xbf, 0xed, 0xa0,
    0x80, 0xf4, 0x90, 0x80, 0x80, 0x41, 0xe0, 0xa0)
  local R = '\239\191\189'
  t.eq(b:toString(), '😀' .. R .. R .. R .. '\237\159\191' .. string.rep(R, 7) .. 'A' .. R)
  t.eq(bytes(0xff, 0xfe, 0x41, 0xe2, 0x82):toString(), R .. R .. 'A' .. R)
  t.eq(Buffer.from('héllo wörld'):toString(), 'héllo wörld')
  -- Bytes are copied as they are: a Lua string may hold anything.
  t.eq(hex(Buffer.from('\255\0')), 'ff00')
end)

t.test('latin1 and ascii: one byte per code point', function()
  t.eq(hex(Buffer.from('é\u{100}€', 'latin1')), 'e900ac')
  t.eq(hex(Buffer.from('é\u{100}€', 'ascii')), 'e900ac')
  t.eq(hex(Buffer.from('abc', 'binary')), '616263')
  -- A byte that is not UTF-8 stands for itself.
  t.eq(hex(Buffer.from('\255a\195', 'latin1')), 'ff61c3')
  local all = {}
  for i = 0, 255 do all[i + 1] = i end
  local b = Buffer.from(all)
  t.eq(Buffer.from(b:toString('latin1'), 'latin1'), b)
end)

t.test('utf16le from UTF-8 text', function()
  t.eq(hex(Buffer.from('€', 'ucs2')), 'ac20')
  t.eq(hex(Buffer.from('😀', 'utf16le')), '3dd800de')
  t.eq(hex(Buffer.from('A\255', 'utf16le')), '4100fdff')
  t.eq(Buffer.from('héllo 😀', 'utf-16le'):toString('utf16le'), 'héllo 😀')
end)

t.test('encoding names are case-insensitive; unknown ones raise', function()
  t.eq(Buffer.from('6869', 'HeX'):toString('UTF8'), 'hi')
  t.raises(function() Buffer.from('x', 'bogus') end, 'ERR_UNKNOWN_ENCODING')
  t.raises(function() Buffer.alloc(3):toString('bogus') end, 'ERR_UNKNOWN_ENCODING')
  t.raises(function() Buffer.alloc(3, 'a', 'bogus') end, 'ERR_UNKNOWN_ENCODING')
  t.raises(function() Buffer.alloc(3):write('a', 'bogus') end, 'ERR_UNKNOWN_ENCODING')
  t.raises(function() Buffer.byteLength('a', 'utf7') end, 'ERR_UNKNOWN_ENCODING')
  local e = t.raises(function() Buffer.from('x', 'bogus') end)
  t.eq(e.message, 'Unknown encoding: bogus')
end)

t.test('isUtf8, isAscii, btoa, atob', function()
  t.eq(buffer.isUtf8(Buffer.from('héllo')), true)
  t.eq(buffer.isUtf8(bytes(0xc3)), false)
  t.eq(buffer.isAscii(Buffer.from('hello')), true)
  t.eq(buffer.isAscii(Buffer.from('héllo')), false)
  t.eq(buffer.btoa('hello'), 'aGVsbG8=')
  t.eq(buffer.atob('aGVsbG8='), 'hello')
  t.eq(buffer.atob(buffer.btoa('ÿ')), 'ÿ')
end)

------------------------------------------------------------------------------
-- Methods.

t.test('write(string, pos, length, enc) returns bytes written', function()
  local w = Buffer.alloc(10)
  t.eq(w:write('héllo'), 6)
  t.eq(w:write('ff00', 9, 'hex'), 2)
  t.eq(hex(w), '68c3a96c6c6f0000ff00')
  t.eq(w:write('abc', 10), 1)
  t.eq(hex(w), '68c3a96c6c6f0000ff61')
  t.eq(w:write('xyz', 1, 2), 2)
  t.eq(w:toString('hex', 1, 3), '7879a9')
  t.eq(w:write('ab', 11), 0)
  t.eq(w:write('6869', 'hex'), 2)
  t.eq(w:toString('utf8', 1, 2), 'hi')
  -- A character that does not fit whole is not written.
  local b = Buffer.alloc(3)
  t.eq(b:write('€', 2), 0)
  t.eq(b:write('a€', 1), 1)
  t.eq(hex(b), '610000')
  t.eq(Buffer.alloc(3):write('€'), 3)
  t.raises(function() Buffer.alloc(3):write('ab', 5) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.alloc(3):write('ab', 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.alloc(3):write(5) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.alloc(3):write('a', 1, -1) end, 'ERR_OUT_OF_RANGE')
end)

t.test('fill(value, i, j, enc) returns the Buffer', function()
  local b = Buffer.alloc(6)
  t.eq(b:fill(0x61), b)
  t.eq(b:toString(), 'aaaaaa')
  b:fill('xy', 2, 5)
  t.eq(b:toString(), 'axyxya')
  b:fill(0, -2)
  t.eq(hex(b), '617879780000')
  b:fill('6162', 'hex')
  t.eq(b:toString(), 'ababab')
  b:fill('', 1, 1)
  t.eq(hex(b), '006261626162')
  t.raises(function() b:fill('zz', 'hex') end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() b:fill(Buffer.alloc(0)) end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() b:fill(true) end, 'ERR_INVALID_ARG_TYPE')
  -- Filling a Buffer with a slice of itself.
  local c = Buffer.from('abcdef')
  c:fill(c:slice(1, 2), 3)
  t.eq(c:toString(), 'ababab')
end)

t.test('indexOf, lastIndexOf, includes', function()
  local h = Buffer.from('hello world')
  t.eq(h:indexOf('o'), 5)
  t.eq(h:indexOf('o', 6), 8)
  t.eq(h:indexOf('o', -4), 8)
  t.eq(h:lastIndexOf('o'), 8)
  t.eq(h:lastIndexOf('o', 7), 5)
  t.eq(h:indexOf(Buffer.from('wor')), 7)
  t.eq(h:indexOf('6f', 1, 'hex'), 5)
  t.eq(h:indexOf('6f', 'hex'), 5)
  t.eq(h:indexOf(0x6f), 5)
  t.eq(h:indexOf(0x6f + 256), 5)
  t.eq(h:indexOf('xyz'), nil)
  t.eq(h:indexOf('d', 12), nil)
  t.eq(h:indexOf('world!'), nil)
  t.eq(h:includes('xyz'), false)
  t.eq(h:includes('world'), true)
  local abc = Buffer.from('abc')
  t.eq(abc:indexOf(''), 1)
  t.eq(abc:indexOf('', 10), 4)
  t.eq(abc:indexOf('c', -1), 3)
  t.eq(abc:lastIndexOf('a'), 1)
  t.eq(abc:lastIndexOf(''), 4)
  t.eq(abc:lastIndexOf('', 2), 2)
  local abcabc = Buffer.from('abcabc')
  t.eq(abcabc:lastIndexOf('bc', 4), 2)
  t.eq(abcabc:lastIndexOf('bc', -2), 5)
  t.eq(abcabc:lastIndexOf('bc', -6), nil)
  t.eq(abcabc:indexOf('abc', 2), 4)
  t.raises(function() h:indexOf({}) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('copy(target, targetStart, sourceStart, sourceEnd) returns bytes copied', function()
  local h = Buffer.from('hello world')
  local tgt = Buffer.alloc(6)
  t.eq(h:copy(tgt, 3, 7), 4)
  t.eq(tgt:toString('utf8', 3), 'worl')
  t.eq(Buffer.from('hello'):copy(Buffer.alloc(3), 2), 2)
  t.eq(Buffer.from('hello'):copy(Buffer.alloc(3), 6), 0)
  local x = Buffer.alloc(3)
  t.eq(Buffer.from('hello'):copy(x, 1, 2, 3), 2)
  t.eq(x:toString('utf8', 1, 2), 'el')
  -- Overlapping copies within one Buffer move memory correctly.
  local o = Buffer.from('abcdef')
  t.eq(o:copy(o, 3, 1, 4), 4)
  t.eq(o:toString(), 'ababcd')
  t.raises(function() h:copy(tgt, 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() h:copy('x') end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('equals, toJSON, iterators', function()
  t.eq(Buffer.from('ab'):equals(Buffer.from('ab')), true)
  t.eq(Buffer.from('ab'):equals(Buffer.from('abc')), false)
  t.raises(function() Buffer.from('ab'):equals('ab') end, 'ERR_INVALID_ARG_TYPE')
  t.same(bytes(1, 2, 3):toJSON(), { type = 'Buffer', data = { 1, 2, 3 } })
  local seen = {}
  for i, v in Buffer.from('abc'):entries() do seen[#seen + 1] = i .. '=' .. v end
  t.eq(table.concat(seen, ','), '1=97,2=98,3=99')
  seen = {}
  for v in Buffer.from('abc'):values() do seen[#seen + 1] = v end
  t.eq(table.concat(seen, ','), '97,98,99')
  seen = {}
  for i in Buffer.from('abc'):keys() do seen[#seen + 1] = i end
  t.eq(table.concat(seen, ','), '1,2,3')
  for _ in Buffer.alloc(0):entries() do error('no entries expected') end
end)

t.test('swap16, swap32, swap64', function()
  local src = '0102030405060708'
  t.eq(hex(Buffer.from(src, 'hex'):swap16()), '0201040306050807')
  t.eq(hex(Buffer.from(src, 'hex'):swap32()), '0403020108070605')
  t.eq(hex(Buffer.from(src, 'hex'):swap64()), '0807060504030201')
  t.raises(function() Buffer.alloc(3):swap16() end, 'ERR_INVALID_BUFFER_SIZE')
  t.raises(function() Buffer.alloc(6):swap32() end, 'ERR_INVALID_BUFFER_SIZE')
  t.raises(function() Buffer.alloc(12):swap64() end, 'ERR_INVALID_BUFFER_SIZE')
end)

------------------------------------------------------------------------------
-- read*/write*.

t.test('integer reads at 1-based positions, both orders', function()
  local b = bytes(0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0xfd, 0xfc)
  t.eq(b:readUInt8(1), 1)
  t.eq(b:readUInt8(), 1)
  t.eq(b:readUInt8(5), 255)
  t.eq(b:readInt8(5), -1)
  t.eq(b:readUInt16LE(1), 0x0201)
  t.eq(b:readUInt16BE(1), 0x0102)
  t.eq(b:readInt16LE(5), -257)
  t.eq(b:readInt16BE(5), -2)
  t.eq(b:readUInt16BE(5), 0xfffe)
  t.eq(b:readUInt32LE(1), 0x04030201)
  t.eq(b:readUInt32BE(1), 0x01020304)
  t.eq(b:readUInt32LE(5), 0xfcfdfeff)
  t.eq(b:readUInt32BE(5), 0xfffefdfc)
  t.eq(b:readInt32LE(5), -50462977)
  t.eq(b:readInt32BE(5), -66052)
  t.eq(b:readUint32LE(1), 0x04030201)
end)

t.test('integer writes return the position after the bytes', function()
  local b = Buffer.alloc(8)
  t.eq(b:writeUInt8(0xab, 1), 2)
  t.eq(b:writeInt8(-2, 2), 3)
  t.eq(b:writeUInt16BE(0x0102, 3), 5)
  t.eq(b:writeInt16LE(-2, 5), 7)
  t.eq(hex(b), 'abfe0102feff0000')
  t.eq(b:writeUInt32LE(0xdeadbeef, 1), 5)
  t.eq(b:writeInt32BE(-2, 5), 9)
  t.eq(hex(b), 'efbeaddefffffffe')
  t.eq(b:writeUInt32BE(0xdeadbeef), 5)
  t.eq(b:writeInt32LE(-2147483648, 5), 9)
  t.eq(b:writeInt16BE(-2, 1), 3)
  t.eq(b:writeUInt16LE(0xbeef, 3), 5)
  t.eq(hex(b), 'fffeefbe00000080')
  t.eq(b:writeUInt32LE(1.7, 1), 5)
  t.eq(b:writeUInt32BE(1.7, 5), 9)
  t.eq(b:writeUInt32LE(0 / 0, 1), 5)
  t.eq(hex(b), '0000000000000001')
  t.eq(b:writeUint16BE(0x0102, 7), 9)
  t.eq(b:readUint16BE(7), 0x0102)
end)

t.test('variable-width integers of 1 to 6 bytes', function()
  local b = Buffer.alloc(8)
  t.eq(b:writeIntLE(-123456789012, 1, 6), 7)
  t.eq(hex(b), 'ece56641e3ff0000')
  t.eq(b:readIntLE(1, 6), -123456789012)
  t.eq(b:readUIntLE(1, 6), 281351519921644)
  t.eq(b:writeUIntBE(0x123456, 3, 3), 6)
  t.eq(hex(b), 'ece5123456ff0000')
  t.eq(b:readUIntBE(3, 3), 0x123456)
  t.eq(b:readIntBE(1, 2), -4891)
  t.eq(b:writeIntBE(-1, 7, 2), 9)
  t.eq(b:readUIntLE(7, 2), 0xffff)
  t.eq(b:writeUIntLE(0xffffffffffff, 1, 6), 7)
  t.eq(b:readIntBE(1, 6), -1)
  t.raises(function() b:readUIntLE(1, 7) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:readUIntLE(1, 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:readUIntLE(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:writeUIntLE(256, 1, 1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeIntLE(128, 1, 1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:readUIntLE(4, 6) end, 'ERR_OUT_OF_RANGE')
end)

t.test('floats and doubles', function()
  local b = Buffer.alloc(8)
  t.eq(b:writeFloatLE(1.5, 1), 5)
  t.eq(b:writeFloatBE(-2.25, 5), 9)
  t.eq(hex(b), '0000c03fc0100000')
  t.eq(b:readFloatLE(1), 1.5)
  t.eq(b:readFloatBE(5), -2.25)
  t.eq(b:writeDoubleBE(math.pi), 9)
  t.eq(hex(b), '400921fb54442d18')
  t.eq(b:readDoubleBE(1), math.pi)
  b:writeDoubleLE(-0.1)
  t.eq(hex(b), '9a9999999999b9bf')
  t.eq(b:readDoubleLE(), -0.1)
  b:writeDoubleLE(1 / 0)
  t.eq(b:readDoubleLE(1), 1 / 0)
  b:writeFloatLE(0 / 0)
  local nan = b:readFloatLE(1)
  t.ok(nan ~= nan)
  t.raises(function() b:writeDoubleLE('1') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:readDoubleLE(2) end, 'ERR_OUT_OF_RANGE')
end)

t.test('64-bit integers are LuaJIT int64_t / uint64_t', function()
  local b = Buffer.alloc(8)
  t.eq(b:writeBigInt64BE(-2LL, 1), 9)
  t.eq(hex(b), 'fffffffffffffffe')
  t.eq(b:readBigInt64BE(1), -2LL)
  t.ok(ffi.istype('int64_t', b:readBigInt64BE(1)))
  t.eq(b:readBigUInt64BE(1), 18446744073709551614ULL)
  t.ok(ffi.istype('uint64_t', b:readBigUInt64BE(1)))
  t.eq(b:readBigInt64LE(1), -72057594037927937LL)
  t.eq(b:writeBigUInt64LE(0x0102030405060708ULL), 9)
  t.eq(hex(b), '0807060504030201')
  t.eq(b:readBigUInt64LE(), 0x0102030405060708ULL)
  b:writeBigInt64LE(5)
  t.eq(b:readBigInt64LE(), 5LL)
  b:writeBigUInt64BE(2 ^ 53)
  t.eq(b:readBigUInt64BE(), 9007199254740992ULL)
  b:writeBigUint64LE(0xffffffffffffffffULL)
  t.eq(hex(b), 'ffffffffffffffff')
  t.raises(function() b:writeBigUInt64LE(-5LL) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeBigUInt64LE(-5) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeBigInt64LE(0xffffffffffffffffULL) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeBigInt64LE(1.5) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeBigInt64LE('1') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:readBigInt64LE(2) end, 'ERR_OUT_OF_RANGE')
end)

t.test('positions outside the Buffer raise like Node', function()
  local b = Buffer.alloc(5)
  local e = t.raises(function() b:readUInt32LE(3) end, 'ERR_OUT_OF_RANGE')
  t.match(e.message, '>= 1 and <= 2. Received 3')
  t.raises(function() b:readUInt32LE(0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:readUInt32LE(-1) end, 'ERR_OUT_OF_RANGE')
  e = t.raises(function() b:readUInt32LE(1.5) end, 'ERR_OUT_OF_RANGE')
  t.match(e.message, 'an integer')
  t.raises(function() b:readUInt32LE(0 / 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:readUInt32LE(1 / 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:readUInt32LE('1') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:readUInt8(6) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeUInt8(1, 6) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeDoubleLE(1, 1) end, 'ERR_BUFFER_OUT_OF_BOUNDS')
  t.raises(function() Buffer.alloc(2):readUInt32LE(1) end, 'ERR_BUFFER_OUT_OF_BOUNDS')
  t.raises(function() Buffer.alloc(0):readUInt8() end, 'ERR_BUFFER_OUT_OF_BOUNDS')
end)

t.test('write values out of range or of the wrong type raise', function()
  local b = Buffer.alloc(8)
  local e = t.raises(function() b:writeUInt32LE(-1) end, 'ERR_OUT_OF_RANGE')
  t.match(e.message, '>= 0 and <= 4294967295')
  t.raises(function() b:writeUInt32LE(2 ^ 32) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeInt8(200) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeInt16BE(40000) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeUInt16LE(-1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeInt32LE(2 ^ 31) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() b:writeUInt32LE('1') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:writeUInt8(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.eq(hex(b), '0000000000000000')
end)

------------------------------------------------------------------------------
-- Bad input for the constructors.

t.test('sizes: wrong type, negative, huge', function()
  t.raises(function() Buffer.alloc('5') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.alloc(nil) end, 'ERR_INVALID_ARG_TYPE')
  local e = t.raises(function() Buffer.alloc(-1) end, 'ERR_OUT_OF_RANGE')
  t.eq(e.message, 'The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -1')
  t.raises(function() Buffer.alloc(0 / 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.alloc(buffer.constants.MAX_LENGTH + 1) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.allocUnsafe(2 ^ 53) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.allocUnsafeSlow(1 / 0) end, 'ERR_OUT_OF_RANGE')
  t.raises(function() Buffer.alloc(4, {}) end, 'ERR_INVALID_ARG_TYPE')
  t.eq(buffer.kMaxLength, buffer.constants.MAX_LENGTH)
  t.eq(type(buffer.constants.MAX_STRING_LENGTH), 'number')
end)

t.test('a string longer than Lua allows raises ERR_STRING_TOO_LONG', function()
  -- calloc'ed pages are not touched, so this costs address space only.
  local ok, big = pcall(Buffer.alloc, 2 ^ 31)
  if not ok then
    t.eq(big.code, 'ERR_MEMORY_ALLOCATION_FAILED')
    return
  end
  t.raises(function() big:toString() end, 'ERR_STRING_TOO_LONG')
  t.raises(function() big:toString('hex', 1, 2 ^ 30 + 1) end, 'ERR_STRING_TOO_LONG')
  t.eq(big:toString('hex', 1, 2), '0000')
  big = nil
  collectgarbage()
end)

t.test('from: wrong types raise ERR_INVALID_ARG_TYPE', function()
  t.raises(function() Buffer.from(5) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.from(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.from(true) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.from(print) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.from({ 1, 'x' }) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Buffer.from(ffi.new('int[1]')) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('range arguments of the wrong type raise', function()
  local b = Buffer.from('abc')
  t.raises(function() b:slice('1') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:toString('utf8', {}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() b:fill('a', 1, '2x') end, 'ERR_UNKNOWN_ENCODING')
end)

------------------------------------------------------------------------------
-- Memory.

t.test('bytes live outside the Lua heap and are freed with the last user', function()
  for _ = 1, 3 do collectgarbage() end
  local base = buffer._external()
  local big = Buffer.alloc(10 * 1024 * 1024)
  t.ok(buffer._external() >= base + 10 * 1024 * 1024)
  t.ok(collectgarbage('count') < 10 * 1024, 'not in the Lua heap')
  if process and process.memoryUsage then
    t.ok(process.memoryUsage().external >= 10 * 1024 * 1024)
  end
  local s = big:slice(1, 10)
  big = nil
  for _ = 1, 3 do collectgarbage() end
  t.ok(buffer._external() >= base + 10 * 1024 * 1024, 'the slice keeps the block')
  t.eq(#s, 10)
  s = nil
  for _ = 1, 3 do collectgarbage() end
  t.ok(buffer._external() < base + 1024 * 1024, 'freed with the last slice')
end)

t.test('allocating many large Buffers drives the collector', function()
  local peak = 0
  for _ = 1, 300 do
    local b = Buffer.allocUnsafe(1024 * 1024)
    b[1] = 1
    peak = math.max(peak, buffer._external())
  end
  t.ok(peak < 200 * 1024 * 1024, 'external stayed bounded: ' .. peak)
end)

------------------------------------------------------------------------------
-- The same answers from compiled code (hot loops run as JIT traces).

t.test('hot loops agree with the interpreter', function()
  local b = Buffer.alloc(64)
  for i = 1, 64 do b[i] = i * 3 end
  local sum = 0
  for _ = 1, 200 do
    for i = 1, 65 do sum = sum + (b[i] or 1000) end
  end
  t.eq(sum, 200 * (3 * 64 * 65 / 2 + 1000))
  local w = Buffer.alloc(16)
  for r = 1, 300 do
    for pos = 1, 13, 4 do w:writeUInt32LE(r * 1000 + pos, pos) end
  end
  t.eq(w:readUInt32LE(13), 300013)
  local acc = 0
  for _ = 1, 300 do
    for pos = 1, 13 do acc = acc + w:readUInt32BE(pos) + w:readInt16LE(pos) end
  end
  local expect = 0
  for pos = 1, 13 do
    local s = w:toString('hex', pos, pos + 3)
    local i16 = w[pos] + w[pos + 1] * 256
    if i16 >= 32768 then i16 = i16 - 65536 end
    expect = expect + tonumber(s, 16) + i16
  end
  t.eq(acc, 300 * expect)
  -- Positions out of range still raise from compiled code.
  local raised = 0
  for i = 1, 300 do
    local ok = pcall(w.readUInt32LE, w, (i % 20) + 1)
    if not ok then raised = raised + 1 end
  end
  t.eq(raised, 105)
end)

t.test('a failed allocation raises ERR_MEMORY_ALLOCATION_FAILED', function()
  if ffi.os ~= 'Linux' then return end
  -- AddressSanitizer aborts on a failed allocation unless told otherwise.
  ffi.cdef [[ void lode_spec_asan_init(void) __asm__("__asan_init"); ]]
  if pcall(function() return ffi.C.lode_spec_asan_init end) then return end
  -- Lower the address-space limit so a 2 GiB request fails, then restore it.
  ffi.cdef [[
    struct lode_spec_rlimit { unsigned long cur, max; };
    int lode_spec_getrlimit(int res, struct lode_spec_rlimit *r) __asm__("getrlimit");
    int lode_spec_setrlimit(int res, const struct lode_spec_rlimit *r) __asm__("setrlimit");
  ]]
  local RLIMIT_AS = 9
  local old = ffi.new('struct lode_spec_rlimit')
  t.eq(ffi.C.lode_spec_getrlimit(RLIMIT_AS, old), 0)
  local f = assert(io.open('/proc/self/statm'))
  local pages = f:read('*n')
  f:close()
  local lim = ffi.new('struct lode_spec_rlimit')
  lim.cur = pages * 4096 + 512 * 1024 * 1024
  lim.max = old.max
  t.eq(ffi.C.lode_spec_setrlimit(RLIMIT_AS, lim), 0)
  local ok, err = pcall(Buffer.alloc, 2 ^ 31)
  local ok2, err2 = pcall(Buffer.allocUnsafe, 2 ^ 31 + 5)
  ffi.C.lode_spec_setrlimit(RLIMIT_AS, old)
  t.eq(ok, false)
  t.eq(type(err) == 'table' and err.code, 'ERR_MEMORY_ALLOCATION_FAILED')
  t.eq(ok2, false)
  t.eq(type(err2) == 'table' and err2.code, 'ERR_MEMORY_ALLOCATION_FAILED')
  -- Everything still works afterwards.
  t.eq(#Buffer.alloc(1024 * 1024), 1024 * 1024)
end)

t.test('read methods called on something that is not a Buffer raise ERR_INVALID_ARG_TYPE', function()
  local proto = buffer.Buffer.prototype
  for _, m in ipairs({ 'readUInt8', 'readInt8', 'readUInt16LE', 'readInt32BE', 'readUInt32LE',
      'readFloatLE', 'readDoubleBE', 'readBigInt64LE', 'readBigUInt64BE' }) do
    for _, bad in ipairs({ false, {}, ffi.new('int[3]') }) do
      t.raises(function() proto[m](bad, 1) end, 'ERR_INVALID_ARG_TYPE', m)
    end
    t.raises(function() proto[m](nil) end, 'ERR_INVALID_ARG_TYPE', m)
  end
  t.raises(function() proto.readUIntLE(nil, 1, 2) end, 'ERR_INVALID_ARG_TYPE')
end)
