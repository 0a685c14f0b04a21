-- querystring: the cases of Node's test-querystring.js, ported to Lua, and
-- what Lua's tables change (sorted keys, lists for repeated keys). Every
-- expected value is Node 20's for the same input.
local t = require('./helper')
local qs = require('querystring')

-- { query string, its canonical form, the parsed table }
local QS_CASES = {
  { 'foo=918854443121279438895193', 'foo=918854443121279438895193', { foo = '918854443121279438895193' } },
  { 'foo=bar', 'foo=bar', { foo = 'bar' } },
  { 'foo=bar&foo=quux', 'foo=bar&foo=quux', { foo = { 'bar', 'quux' } } },
  { 'foo=1&bar=2', 'bar=2&foo=1', { foo = '1', bar = '2' } },
  { 'my+weird+field=q1%212%22%27w%245%267%2Fz8%29%3F', "my%20weird%20field=q1!2%22'w%245%267%2Fz8)%3F",
    { ['my weird field'] = 'q1!2"\'w$5&7/z8)?' } },
  { 'foo%3Dbaz=bar', 'foo%3Dbaz=bar', { ['foo=baz'] = 'bar' } },
  { 'foo=baz=bar', 'foo=baz%3Dbar', { foo = 'baz=bar' } },
  { 'str=foo&arr=1&arr=2&arr=3&somenull=&undef=', 'arr=1&arr=2&arr=3&somenull=&str=foo&undef=',
    { str = 'foo', arr = { '1', '2', '3' }, somenull = '', undef = '' } },
  { ' foo = bar ', '%20foo%20=%20bar%20', { [' foo '] = ' bar ' } },
  { 'foo=%zx', 'foo=%25zx', { foo = '%zx' } },
  { 'foo=%EF%BF%BD', 'foo=%EF%BF%BD', { foo = '\239\191\189' } },
  { 'hasOwnProperty=x&toString=foo&valueOf=bar&__defineGetter__=baz',
    '__defineGetter__=baz&hasOwnProperty=x&toString=foo&valueOf=bar',
    { hasOwnProperty = 'x', toString = 'foo', valueOf = 'bar', __defineGetter__ = 'baz' } },
  { 'foo&bar=baz', 'bar=baz&foo=', { foo = '', bar = 'baz' } },
  { 'a=b&&c=d', 'a=b&c=d', { a = 'b', c = 'd' } },
  { '&', '', {} },
  { '&&&&', '', {} },
  { '&=&', '=', { [''] = '' } },
  { '&=&=', '=&=', { [''] = { '', '' } } },
  { '=', '=', { [''] = '' } },
  { '+', '%20=', { [' '] = '' } },
  { '+=', '%20=', { [' '] = '' } },
  { '+&', '%20=', { [' '] = '' } },
  { '=+', '=%20', { [''] = ' ' } },
  { 'a+b=c+d', 'a%20b=c%20d', { ['a b'] = 'c d' } },
  { 'a=%E2%82%AC&b=%C3%A9', 'a=%E2%82%AC&b=%C3%A9', { a = '€', b = 'é' } },
  { 'a=%FF', 'a=%EF%BF%BD', { a = '\239\191\189' } },
  { 'a=%', 'a=%25', { a = '%' } },
  { 'a=%4', 'a=%254', { a = '%4' } },
  { 'a=%41%zz', 'a=A%25zz', { a = 'A%zz' } },
}

-- { query string, its canonical form with ';' and ':', the parsed table }
local COLON_CASES = {
  { 'foo:bar', 'foo:bar', { foo = 'bar' } },
  { 'foo:bar;foo:quux', 'foo:bar;foo:quux', { foo = { 'bar', 'quux' } } },
  { 'foo:1&bar:2;baz:quux', 'baz:quux;foo:1%26bar%3A2', { foo = '1&bar:2', baz = 'quux' } },
  { 'foo%3Abaz:bar', 'foo%3Abaz:bar', { ['foo:baz'] = 'bar' } },
  { 'foo:baz:bar', 'foo:baz%3Abar', { foo = 'baz:bar' } },
}

t.test('parse (test-querystring.js)', function()
  for _, c in ipairs(QS_CASES) do
    t.same(qs.parse(c[1]), c[3], c[1])
  end
  for _, c in ipairs(COLON_CASES) do
    t.same(qs.parse(c[1], ';', ':'), c[3], c[1])
  end
  t.eq(qs.parse('id=918854443121279438895193').id, '918854443121279438895193')
  t.same(qs.parse(), {})
  t.same(qs.parse(nil), {})
  t.same(qs.parse(''), {})
  t.same(qs.parse(5), {})
  -- The nested qs-in-qs case.
  local f = qs.parse('a=b&q=x%3Dy%26y%3Dz')
  f.q = qs.parse(f.q)
  t.same(f, { a = 'b', q = { x = 'y', y = 'z' } })
  f = qs.parse('a:b;q:x%3Ay%3By%3Az', ';', ':')
  f.q = qs.parse(f.q, ';', ':')
  t.same(f, { a = 'b', q = { x = 'y', y = 'z' } })
  -- Separators of more than one character.
  t.same(qs.parse('a=>1<>b=>2', '<>', '=>'), { a = '1', b = '2' })
  t.same(qs.parse('a=1&b=2', '', ''), { a = '1', b = '2' })
end)

t.test('stringify (test-querystring.js)', function()
  for _, c in ipairs(QS_CASES) do
    t.eq(qs.stringify(c[3]), c[2], c[1])
  end
  for _, c in ipairs(COLON_CASES) do
    t.eq(qs.stringify(c[3], ';', ':'), c[2], c[1])
  end
  -- Numbers, booleans and what has no text (Node's weird objects).
  t.eq(qs.stringify({ foo = 0 }), 'foo=0')
  t.eq(qs.stringify({ foo = -0 }), 'foo=0')
  t.eq(qs.stringify({ foo = 3 }), 'foo=3')
  t.eq(qs.stringify({ foo = -72.42 }), 'foo=-72.42')
  t.eq(qs.stringify({ foo = 0.1 }), 'foo=0.1')
  t.eq(qs.stringify({ foo = 1e21 }), 'foo=1e%2B21')
  t.eq(qs.stringify({ foo = 0 / 0 }), 'foo=')
  t.eq(qs.stringify({ foo = math.huge }), 'foo=')
  t.eq(qs.stringify({ f = false, t = true }), 'f=false&t=true')
  t.eq(qs.stringify({ fn = function() end }), 'fn=')
  t.eq(qs.stringify({ o = { x = 1 } }), 'o=')
  t.eq(qs.stringify({ a = {}, b = {} }), '')
  t.eq(qs.stringify({ a = { 'x', 1, true } }), 'a=x&a=1&a=true')
  t.eq(qs.stringify({ [1] = 'a', [2] = 'b', z = 'c' }), '1=a&2=b&z=c')
  t.eq(qs.stringify('a=b'), '')
  t.eq(qs.stringify(nil), '')
  t.eq(qs.stringify({ ['a b'] = '€' }), 'a%20b=%E2%82%AC')
  -- The no-munge cases.
  t.eq(qs.stringify({}, '&', '='), '')
  t.eq(qs.stringify({ foo = { 'bar', 'baz' } }, '&', '='), 'foo=bar&foo=baz')
  t.eq(qs.stringify({ gragh = { '1', '3' }, goo = '2' }, '&', '='), 'goo=2&gragh=1&gragh=3')
  t.eq(qs.stringify({ frappucino = 'muffin', ['goat[]'] = 'scone', pond = 'moose' }),
    'frappucino=muffin&goat%5B%5D=scone&pond=moose')
  -- Nested.
  t.eq(qs.stringify({ a = 'b', q = qs.stringify({ x = 'y', y = 'z' }) }), 'a=b&q=x%3Dy%26y%3Dz')
  t.eq(qs.stringify({ a = 'b', q = qs.stringify({ x = 'y', y = 'z' }, ';', ':') }, ';', ':'), 'a:b;q:x%3Ay%3By%3Az')
end)

t.test('maxKeys', function()
  local n = 0
  for _ in pairs(qs.parse('a=1&b=1&c=1', nil, nil, { maxKeys = 1 })) do n = n + 1 end
  t.eq(n, 1)
  -- Empty pieces count, as in Node.
  t.same(qs.parse('a&&b&c', nil, nil, { maxKeys = 2 }), { a = '' })
  local query = {}
  for i = 1, 2000 do query[i] = i end
  local s = qs.stringify(query)
  n = 0
  for _ in pairs(qs.parse(s, nil, nil, { maxKeys = 0 })) do n = n + 1 end
  t.eq(n, 2000)
  n = 0
  for _ in pairs(qs.parse(s)) do n = n + 1 end
  t.eq(n, 1000)
end)

t.test('custom encode and decode', function()
  local function demoDecode(str) return str .. str end
  t.same(qs.parse('a=a&b=b&c=c', nil, nil, { decodeURIComponent = demoDecode }), { aa = 'aa', bb = 'bb', cc = 'cc' })
  -- A custom decoder sees '+' as '%20'; one that raises falls back to unescape.
  t.same(qs.parse('a+b=%41', nil, nil, { decodeURIComponent = function(s) return s end }), { ['a%20b'] = '%41' })
  t.same(qs.parse('a=%41', nil, nil, { decodeURIComponent = function() error('no') end }), { a = 'A' })
  local function demoEncode(str) return str:sub(1, 1) end
  t.eq(qs.stringify({ aa = 'aa', bb = 'bb', cc = 'cc' }, nil, nil, { encodeURIComponent = demoEncode }), 'a=a&b=b&c=c')
  t.eq(qs.stringify({ a = 1, b = false, c = {} }, nil, nil, { encodeURIComponent = function(s) return '<' .. s .. '>' end }),
    '<a>=<1>&<b>=<false>')
  -- Replacing qs.unescape changes what parse decodes with, as in Node.
  local prev = qs.unescape
  qs.unescape = function(str) return (str:gsub('o', '_')) end
  t.same(qs.parse('foo=bor'), { f__ = 'b_r' })
  qs.unescape = prev
  t.same(qs.parse('foo=bor'), { foo = 'bor' })
end)

t.test('escape, unescape, unescapeBuffer', function()
  t.eq(qs.escape("a b&c=d/e?f#g~!*'()-_."), "a%20b%26c%3Dd%2Fe%3Ff%23g~!*'()-_.")
  t.eq(qs.escape('é€😀'), '%C3%A9%E2%82%AC%F0%9F%98%80')
  t.eq(qs.escape(5), '5')
  t.eq(qs.escape(true), 'true')
  t.eq(qs.unescape('a%20b+c%zz%41'), 'a b+c%zzA')
  t.eq(qs.unescape('%E2%82%AC'), '€')
  t.eq(qs.unescape('%FF'), '\239\191\189')
  local b = qs.unescapeBuffer('%d3%f2Ug%1f6v%24%5e%98%cb%0d%ac%a2%2f%9d%eb%d8%a2%e6')
  local want = { 0xd3, 0xf2, 0x55, 0x67, 0x1f, 0x36, 0x76, 0x24, 0x5e, 0x98, 0xcb, 0x0d,
    0xac, 0xa2, 0x2f, 0x9d, 0xeb, 0xd8, 0xa2, 0xe6 }
  t.eq(#b, #want)
  for i = 1, #want do t.eq(b[i], want[i]) end
  t.eq(qs.unescapeBuffer('a+b', true):toString(), 'a b')
  t.eq(qs.decode, qs.parse)
  t.eq(qs.encode, qs.stringify)
end)

t.test('wrong argument types', function()
  t.raises(function() qs.escape({}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() qs.escape(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() qs.unescape(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() qs.parse('a', 1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() qs.parse('a', nil, {}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() qs.parse('a', nil, nil, 'x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() qs.stringify({}, 1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function()
    qs.stringify({ a = 'b' }, nil, nil, { encodeURIComponent = function() return {} end })
  end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('huge inputs return promptly', function()
  local started = os.clock()
  local big = string.rep('a', 1024 * 1024)
  t.eq(#qs.parse(big)[big], 0)
  t.eq(#qs.escape(big), #big)
  t.eq(qs.unescape(string.rep('%41', 300000)), string.rep('A', 300000))
  local many = qs.parse(string.rep('k=v&', 250000), nil, nil, { maxKeys = 0 })
  t.eq(#many.k, 250000)
  t.eq(#qs.stringify(many), 250000 * 4 - 1)
  t.eq(qs.parse(string.rep('&', 1024 * 1024), nil, nil, { maxKeys = 0 }).x, nil)
  local elapsed = os.clock() - started
  t.ok(elapsed < 10, ('huge inputs took %.1f s'):format(elapsed))
end)
