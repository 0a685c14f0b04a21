-- util: format, inspect, isDeepStrictEqual, deprecate, inherits.
-- Expected strings are Node 20's output for the equivalent JS value.
local t = require('./helper')
local util = require('util')
local inspect, format = util.inspect, util.format

-------------------------------------------------------------------------------
-- util.format

t.test('format: a lone string is returned as is', function()
  t.eq(format('hello'), 'hello')
  t.eq(format('%s'), '%s')
  t.eq(format('%%'), '%%')
  t.eq(format(''), '')
  t.eq(format(), '')
end)

t.test('format: %s', function()
  t.eq(format('%s', 'a'), 'a')
  t.eq(format('%s:%s', 'a', 'b'), 'a:b')
  t.eq(format('%s:%s', 'a'), 'a:%s')
  t.eq(format('%s', 42), '42')
  t.eq(format('%s', 1.5), '1.5')
  t.eq(format('%s', -0.0), '-0')
  t.eq(format('%s', nil), 'nil')
  t.eq(format('%s', true), 'true')
  t.eq(format('%s', { a = { b = 1 } }), '{ a: [Object] }')
  t.eq(format('%s', { 1, { 2, { 3 } } }), '[ 1, [Array] ]')
  t.eq(format('%s', print), '[Function (anonymous)]')
  local withToString = setmetatable({}, { __tostring = function() return 'custom' end })
  t.eq(format('%s', withToString), 'custom')
  t.eq(format('%s!', 'x', 'extra'), 'x! extra')
end)

t.test('format: %d, %i, %f', function()
  t.eq(format('%d', 42), '42')
  t.eq(format('%d', 42.5), '42.5')
  t.eq(format('%d', '42'), '42')
  t.eq(format('%d', ' 42 '), '42')
  t.eq(format('%d', ''), '0')
  t.eq(format('%d', '0x10'), '16')
  t.eq(format('%d', 'abc'), 'NaN')
  t.eq(format('%d', {}), 'NaN')
  t.eq(format('%d', nil), 'NaN')
  t.eq(format('%d', true), '1')
  t.eq(format('%d', false), '0')
  t.eq(format('%d', 1 / 0), 'Infinity')
  t.eq(format('%d', -1 / 0), '-Infinity')
  t.eq(format('%d', 0 / 0), 'NaN')
  t.eq(format('%d', 2 ^ 53), '9007199254740992')
  t.eq(format('%i', 42.9), '42')
  t.eq(format('%i', -42.9), '-42')
  t.eq(format('%i', -0.5), '-0')
  t.eq(format('%i', '42.9px'), '42')
  t.eq(format('%i', '0x1f'), '31')
  t.eq(format('%i', 'px'), 'NaN')
  t.eq(format('%i', {}), 'NaN')
  t.eq(format('%f', 1.5), '1.5')
  t.eq(format('%f', '1.5e3xyz'), '1500')
  t.eq(format('%f', '-.5'), '-0.5')
  t.eq(format('%f', 'Infinity'), 'Infinity')
  t.eq(format('%f', 'abc'), 'NaN')
  t.eq(format('%f', nil), 'NaN')
  t.eq(format('%d %i %f', 1, 2, 3), '1 2 3')
end)

t.test('format: %j', function()
  t.eq(format('%j', { a = { 1, 2 }, b = 'x' }), '{"a":[1,2],"b":"x"}')
  t.eq(format('%j', 'a"b\n'), '"a\\"b\\n"')
  t.eq(format('%j', 42), '42')
  t.eq(format('%j', 0 / 0), 'null')
  t.eq(format('%j', nil), 'undefined')
  t.eq(format('%j', print), 'undefined')
  t.eq(format('%j', { 1, print, 3 }), '[1,null,3]')
  t.eq(format('%j', { f = print, x = 1 }), '{"x":1}')
  t.eq(format('%j', {}), '{}')
  t.eq(format('%j', { 1, 2, x = 3 }), '{"1":1,"2":2,"x":3}')
  t.eq(format('%j', { [true] = 1 }), '{"true":1}')
  t.eq(format('%j', { '\1' }), '["\\u0001"]')
  local c = {}
  c.c = c
  t.eq(format('%j', c), '[Circular]')
  local withJSON = { toJSON = function(self) return 'J' end }
  t.eq(format('%j', withJSON), '"J"')
end)

t.test('format: %o, %O, %c, %%', function()
  t.eq(format('%O', { a = { b = { c = { d = 1 } } } }), '{ a: { b: { c: [Object] } } }')
  t.eq(format('%o', { a = { b = { c = { d = { e = { f = 1 } } } } } }),
    '{\n  a: {\n    b: { c: { d: { e: [Object] } } }\n  }\n}')
  t.eq(format('%O', 'str'), "'str'")
  t.eq(format('%c%s', 'color: red', 'x'), 'x')
  t.eq(format('%s%%%s', 1, 2, 3), '1%2 3')
  t.eq(format('%%s', 1), '%s 1')
  t.eq(format('100%'), '100%')
  t.eq(format('a%', 1), 'a% 1')
  t.eq(format('%x %s', 1), '%x 1')
  t.eq(format('%', 1), '% 1')
end)

t.test('format: extra arguments are appended, inspected unless strings', function()
  t.eq(format('a', 'b', 'c'), 'a b c')
  t.eq(format('a', 1, nil, true), 'a 1 nil true')
  t.eq(format('%s', 'a', { 1 }, 'b'), "a [ 1 ] b")
  t.eq(format('a', { x = 'y' }), "a { x: 'y' }")
  t.eq(format('%d', 1, '%d'), '1 %d')
end)

t.test('format: a first argument that is not a string', function()
  t.eq(format(1, 2, 'x'), '1 2 x')
  t.eq(format({ 1 }, 'x', 2), '[ 1 ] x 2')
  t.eq(format(nil), 'nil')
  t.eq(format(nil, nil), 'nil nil')
  t.eq(format(true, '%s'), 'true %s')
end)

t.test('formatWithOptions', function()
  t.eq(util.formatWithOptions({ colors = true }, 'n=%O', 5), 'n=\27[33m5\27[39m')
  t.eq(util.formatWithOptions({ colors = true }, 5), '\27[33m5\27[39m')
  t.eq(util.formatWithOptions({ depth = 0 }, { a = { b = 1 } }), '{ a: [Object] }')
  local e = t.raises(function() util.formatWithOptions('x', 'y') end, 'ERR_INVALID_ARG_TYPE')
  t.eq(e.message, 'The "inspectOptions" argument must be of type table. Received type string (\'x\')')
end)

-------------------------------------------------------------------------------
-- util.inspect: primitives

t.test('inspect: nil, booleans, numbers', function()
  t.eq(inspect(nil), 'nil')
  t.eq(inspect(true), 'true')
  t.eq(inspect(false), 'false')
  t.eq(inspect(42), '42')
  t.eq(inspect(-7), '-7')
  t.eq(inspect(1.5), '1.5')
  t.eq(inspect(0), '0')
  t.eq(inspect(-0.0), '-0')
  t.eq(inspect(0 / 0), 'NaN')
  t.eq(inspect(1 / 0), 'Infinity')
  t.eq(inspect(-1 / 0), '-Infinity')
  t.eq(inspect(1e15), '1000000000000000')
  t.eq(inspect(2 ^ 53 + 2), '9007199254740994')
  t.eq(inspect(1e20), '100000000000000000000')
  t.eq(inspect(1e21), '1e+21')
  t.eq(inspect(-1e300), '-1e+300')
  t.eq(inspect(0.1), '0.1')
  t.eq(inspect(1234567.5, { numericSeparator = true }), '1_234_567.5')
  t.eq(inspect(-1234567, { numericSeparator = true }), '-1_234_567')
  t.eq(inspect(0.0001234, { numericSeparator = true }), '0.000_123_4')
end)

t.test('inspect: strings', function()
  t.eq(inspect('str'), "'str'")
  t.eq(inspect(''), "''")
  t.eq(inspect("it's"), '"it\'s"')
  t.eq(inspect('a\'b"c'), '`a\'b"c`')
  t.eq(inspect('a\'b"c`d'), "'a\\'b\"c`d'")
  t.eq(inspect('\\'), "'\\\\'")
  t.eq(inspect('a\nb\tc\r\0\27\127'), "'a\\nb\\tc\\r\\x00\\x1B\\x7F'")
  t.eq(inspect('\b\f\v'), "'\\b\\f\\x0B'")
  t.eq(inspect('héllo ✓'), "'héllo ✓'")
  t.eq(inspect('\xff\xfe'), "'\\xFF\\xFE'")
  t.eq(inspect('\xc2\x85'), "'\\x85'")
  t.eq(inspect(string.rep('ab', 20), { maxStringLength = 5 }), "'ababa'... 35 more characters")
  t.eq(inspect('abcdef', { maxStringLength = 5 }), "'abcde'... 1 more character")
  t.eq(inspect('ééé', { maxStringLength = 3 }), "'é'... 4 more characters")
  local long = string.rep('x', 100) .. '\nz'
  t.eq(inspect(long), "'" .. string.rep('x', 100) .. "\\n' +\n  'z'")
  t.eq(inspect({ x = long }), "{\n  x: '" .. string.rep('x', 100) .. "\\n' +\n    'z'\n}")
end)

t.test('inspect: functions, cdata, threads', function()
  t.eq(inspect(print), '[Function (anonymous)]')
  t.eq(inspect(function() end), '[Function (anonymous)]')
  -- A function under a string key is named after the key, as JS names
  -- functions after the property they are assigned to.
  t.eq(inspect({ f = print }), '{ f: [Function: f] }')
  t.eq(inspect({ print }), '[ [Function (anonymous)] ]')
  local ffi = require('ffi')
  t.eq(inspect(ffi.new('int64_t', 5)), '5LL')
  t.eq(inspect({ n = ffi.new('uint64_t', 7) }), '{ n: 7ULL }')
  t.match(inspect(coroutine.create(print)), '^thread: ')
end)

if rawget(_G, 'Buffer') then
  t.test('inspect: Buffers print as tostring does', function()
    local buf = Buffer.from('ab')
    t.eq(inspect(buf), tostring(buf))
    t.eq(inspect({ b = buf }), '{ b: ' .. tostring(buf) .. ' }')
  end)
end

-------------------------------------------------------------------------------
-- util.inspect: tables

t.test('inspect: sequences, maps, mixes', function()
  t.eq(inspect({}), '{}')
  t.eq(inspect({ 1, 2, 3 }), '[ 1, 2, 3 ]')
  t.eq(inspect({ 'a', 'b' }), "[ 'a', 'b' ]")
  t.eq(inspect({ a = 1, b = 'x' }), "{ a: 1, b: 'x' }")
  t.eq(inspect({ 1, 2, x = 3 }), '[ 1, 2, x: 3 ]')
  t.eq(inspect({ {} }), '[ {} ]')
  t.eq(inspect({ a = {}, b = { 1 } }), '{ a: {}, b: [ 1 ] }')
  t.eq(inspect({ true, false, nil }), '[ true, false ]')
end)

t.test('inspect: keys', function()
  t.eq(inspect({ ['a-b'] = 1 }), "{ 'a-b': 1 }")
  t.eq(inspect({ ['1a'] = 1, _ok = 2, ['with space'] = 3 }), "{ '1a': 1, _ok: 2, 'with space': 3 }")
  t.eq(inspect({ [''] = 1 }), "{ '': 1 }")
  t.eq(inspect({ ["it's"] = 1 }), '{ "it\'s": 1 }')
  t.eq(inspect({ ['end'] = 1 }), '{ end: 1 }')
  t.eq(inspect({ [true] = 1 }), '{ [true]: 1 }')
  t.eq(inspect({ [5] = 1 }), '{ [5]: 1 }')
  t.eq(inspect({ ['5'] = 1 }), "{ '5': 1 }")
  t.eq(inspect({ [1.5] = 'x' }), "{ [1.5]: 'x' }")
  t.eq(inspect({ 1, 2, [4] = 4 }), '[ 1, 2, [4]: 4 ]')
  t.eq(inspect({ [{ 1 }] = 'v' }), "{ [[ 1 ]]: 'v' }")
end)

t.test('inspect: key order is stable (sequence, numbers, strings, others)', function()
  local tbl = { 'a', 'b', z = 1, y = 2, [10] = 3, [-1] = 4, [true] = 5, [false] = 6, B = 7 }
  -- more than 6 entries in an array: grouped in columns, as Node does
  t.eq(inspect(tbl), "[\n  'a',       'b',\n  [-1]: 4,   [10]: 3,\n  B: 7,      y: 2,\n" ..
    "  z: 1,      [false]: 6,\n  [true]: 5\n]")
  t.eq(inspect({ c = 1, a = 2, b = 3 }), '{ a: 2, b: 3, c: 1 }')
end)

t.test('inspect: depth', function()
  t.eq(inspect({ a = { b = { c = {} } } }), '{ a: { b: { c: {} } } }')
  t.eq(inspect({ a = { b = { c = { d = 1 } } } }), '{ a: { b: { c: [Object] } } }')
  t.eq(inspect({ { { { 1 } } } }), '[ [ [ [Array] ] ] ]')
  t.eq(inspect({ a = { b = { c = { d = { e = 1 } } } } }, { depth = 0 }), '{ a: [Object] }')
  t.eq(inspect({ a = { b = { c = { d = { e = 1 } } } } }, { depth = math.huge }),
    '{\n  a: {\n    b: { c: { d: { e: 1 } } }\n  }\n}')
  t.eq(inspect({ a = { 1 } }, { depth = -1 }), '[Object]')
  -- legacy form: inspect(value, showHidden, depth, colors)
  t.eq(inspect({ a = { b = 1 } }, false, 0), '{ a: [Object] }')
  t.eq(inspect({ 1 }, false, 2, true), '[ \27[33m1\27[39m ]')
end)

t.test('inspect: circular references', function()
  local a = {}
  a.self = a
  t.eq(inspect(a), '<ref *1> { self: [Circular *1] }')
  local b = { x = {} }
  b.x.y = b
  b.z = b.x
  t.eq(inspect(b), '<ref *1> { x: { y: [Circular *1] }, z: { y: [Circular *1] } }')
  local p, q = {}, {}
  p.q, q.p, p.self, q.self = q, p, p, q
  t.eq(inspect({ p, q }),
    '[\n  <ref *1> {\n    q: <ref *2> { p: [Circular *1], self: [Circular *2] },\n' ..
    '    self: [Circular *1]\n  },\n  <ref *2> {\n' ..
    '    p: <ref *1> { q: [Circular *2], self: [Circular *1] },\n    self: [Circular *2]\n  }\n]')
  local s = { 1, 2 }
  s[3] = s
  t.eq(inspect(s), '<ref *1> [ 1, 2, [Circular *1] ]')
  -- a table seen twice but not in a cycle is printed twice
  local shared = { 1 }
  t.eq(inspect({ shared, shared }), '[ [ 1 ], [ 1 ] ]')
end)

t.test('inspect: line breaking at breakLength 80', function()
  t.eq(inspect({ name = 'aaaaaaaaaaaaaaaaaaaaaaaa', other = 'ccccccccccccccccccc',
      value = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' }),
    "{\n  name: 'aaaaaaaaaaaaaaaaaaaaaaaa',\n  other: 'ccccccccccccccccccc',\n" ..
    "  value: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'\n}")
  t.eq(inspect({ aaaaaaaaaaaaaaaaaaaa = { bbbbbbbbbbbbbbbbbbbbbbbbbb = {
      ccccccccccccccccccccccccc = 1, dddddddddddddddddddd = 2 } } }),
    '{\n  aaaaaaaaaaaaaaaaaaaa: {\n    bbbbbbbbbbbbbbbbbbbbbbbbbb: ' ..
    '{ ccccccccccccccccccccccccc: 1, dddddddddddddddddddd: 2 }\n  }\n}')
  t.eq(inspect({ a = 1, b = 2, c = 3 }, { breakLength = 10 }), '{\n  a: 1,\n  b: 2,\n  c: 3\n}')
  t.eq(inspect({ a = 1, b = 2 }, { compact = false }), '{\n  a: 1,\n  b: 2\n}')
  t.eq(inspect({ a = 1, b = { c = 2 } }, { compact = true }), '{ a: 1, b: { c: 2 } }')
  t.eq(inspect({ a = { b = { c = 1 } }, d = { e = { f = 2 } }, g = { h = { i = 3 } },
      j = { k = { l = 4 } }, m = { n = { o = 5 } } }),
    '{\n  a: { b: { c: 1 } },\n  d: { e: { f: 2 } },\n  g: { h: { i: 3 } },\n' ..
    '  j: { k: { l: 4 } },\n  m: { n: { o: 5 } }\n}')
  -- compact = 3: objects nesting more than 3 levels deep break
  t.eq(inspect({ a = { b = { c = { d = { 1 } } } } }, { depth = 5 }),
    '{\n  a: {\n    b: { c: { d: [ 1 ] } }\n  }\n}')
end)

t.test('inspect: long arrays are grouped in columns', function()
  local nums = {}
  for i = 1, 30 do nums[i] = i end
  t.eq(inspect(nums), '[\n' ..
    '   1,  2,  3,  4,  5,  6,  7,  8,  9,\n' ..
    '  10, 11, 12, 13, 14, 15, 16, 17, 18,\n' ..
    '  19, 20, 21, 22, 23, 24, 25, 26, 27,\n' ..
    '  28, 29, 30\n]')
  t.eq(inspect({ 'a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'ggggggg', 'h' }),
    "[\n  'a',       'bb',\n  'ccc',     'dddd',\n  'eeeee',   'ffffff',\n  'ggggggg', 'h'\n]")
  local pairsList = {}
  for i = 1, 10 do pairsList[i] = { i, i * 2 } end
  t.eq(inspect(pairsList), '[\n' ..
    '  [ 1, 2 ],  [ 2, 4 ],\n  [ 3, 6 ],  [ 4, 8 ],\n  [ 5, 10 ], [ 6, 12 ],\n' ..
    '  [ 7, 14 ], [ 8, 16 ],\n  [ 9, 18 ], [ 10, 20 ]\n]')
end)

t.test('inspect: maxArrayLength', function()
  local big = {}
  for i = 1, 120 do big[i] = i end
  local s = inspect(big)
  t.match(s, '^%[\n   1,  2,  3,   4,')
  t.match(s, '  97, 98, 99, 100,\n  %.%.%. 20 more items\n%]$')
  t.eq(inspect({ 1, 2, 3, 4 }, { maxArrayLength = 2 }), '[ 1, 2, ... 2 more items ]')
  t.eq(inspect({ 1, 2, 3 }, { maxArrayLength = 2 }), '[ 1, 2, ... 1 more item ]')
  t.eq(inspect({ 1, 2, 3, 4 }, { maxArrayLength = 0 }), '[ ... 4 more items ]')
  t.eq(#inspect(big, { maxArrayLength = math.huge }) > #s, true)
end)

t.test('inspect: colors', function()
  t.eq(inspect({ 1, 2, 3 }, { colors = true }), '[ \27[33m1\27[39m, \27[33m2\27[39m, \27[33m3\27[39m ]')
  t.eq(inspect({ a = 'x', b = true, c = print }, { colors = true }),
    "{ a: \27[32m'x'\27[39m, b: \27[33mtrue\27[39m, c: \27[36m[Function: c]\27[39m }")
  t.eq(inspect(nil, { colors = true }), '\27[90mnil\27[39m')
  t.eq(inspect({ a = { b = { c = { 1 } } } }, { colors = true }), '{ a: { b: { c: \27[36m[Array]\27[39m } } }')
  local a = {}
  a.a = a
  t.eq(inspect(a, { colors = true }), '\27[36m<ref *1>\27[39m { a: \27[36m[Circular *1]\27[39m }')
  -- colors do not count in line lengths
  local nums = {}
  for i = 1, 7 do nums[i] = i end
  t.eq(inspect(nums, { colors = true }),
    '[\n  \27[33m1\27[39m, \27[33m2\27[39m, \27[33m3\27[39m, \27[33m4\27[39m,\n' ..
    '  \27[33m5\27[39m, \27[33m6\27[39m, \27[33m7\27[39m\n]')
end)

t.test('inspect: styles and colors tables can be changed', function()
  local saved = inspect.styles.number
  inspect.styles.number = 'red'
  local s = inspect(1, { colors = true })
  inspect.styles.number = saved
  t.eq(s, '\27[31m1\27[39m')
  t.eq(inspect.colors.green[1], 32)
end)

t.test('inspect: defaultOptions', function()
  local d = inspect.defaultOptions
  t.eq(d.depth, 2)
  t.eq(d.breakLength, 80)
  t.eq(d.maxArrayLength, 100)
  t.eq(d.maxStringLength, 10000)
  t.eq(d.compact, 3)
  t.eq(d.colors, false)
  d.depth = 0
  local s = inspect({ a = { b = 1 } })
  d.depth = 2
  t.eq(s, '{ a: [Object] }')
  t.eq(inspect({ a = { b = 1 } }), '{ a: { b: 1 } }')
end)

t.test('inspect: class instances show their class name', function()
  local Foo = util.Object:extend()
  Foo.__name = 'Foo'
  function Foo:initialize(x) self.x = x end
  t.eq(inspect(Foo:new(1)), 'Foo { x: 1 }')
  t.eq(inspect(setmetatable({}, { __name = 'Empty' })), 'Empty {}')
  t.eq(inspect(setmetatable({ 1, 2 }, { __name = 'List' })), 'List(2) [ 1, 2 ]')
  t.eq(inspect({ Foo:new({ y = 1 }) }, { depth = 0 }), '[ [Foo] ]')
  t.eq(inspect(setmetatable({}, { name = 'Named' })), 'Named {}')
  -- a subclass without a name of its own shows its parent's
  local Bar = Foo:extend()
  t.eq(inspect(Bar:new(2)), 'Foo { x: 2 }')
  Bar.__name = 'Bar'
  t.eq(inspect(Bar:new(2)), 'Bar { x: 2 }')
  -- metatables without a name add nothing
  t.eq(inspect(setmetatable({ a = 1 }, {})), '{ a: 1 }')
  t.eq(inspect(setmetatable({ a = 1 }, { __metatable = 'locked' })), '{ a: 1 }')
end)

t.test('inspect: very deep nesting is cut as in Node', function()
  local deep = {}
  local cur = deep
  for _ = 1, 5000 do
    cur.n = {}
    cur = cur.n
  end
  local ok, s = pcall(inspect, deep, { depth = math.huge, breakLength = math.huge })
  t.eq(ok, true, tostring(s))
  t.ok(s:find('n: [Object: Inspection interrupted prematurely. Maximum call stack size exceeded.]', 1, true),
    'no cut marker; the output ends with ' .. s:sub(-160))
  t.eq(select(2, s:gsub('n: ', '')), 1000)
end)

t.test('inspect: keys whose __tostring raises do not break sorting', function()
  local bad = setmetatable({}, { __tostring = function() error('no') end })
  local ok, s = pcall(inspect, { [bad] = 1, [{}] = 2, [print] = 3, x = 4 })
  t.eq(ok, true, tostring(s))
  t.match(s, '^{ x: 4, ')
end)

t.test('inspect: __index proxies are not called', function()
  local calls = 0
  local proxy = setmetatable({}, { __index = function() calls = calls + 1 return 1 end })
  t.eq(inspect(proxy), '{}')
  t.eq(calls, 0)
end)

t.test('inspect: __tostring is used for empty tables only', function()
  -- As Node ignores toString, a table with entries shows them...
  local Point = setmetatable({ x = 1, y = 2 }, { __tostring = function(p) return 'Point(' .. p.x .. ', ' .. p.y .. ')' end })
  t.eq(inspect(Point), '{ x: 1, y: 2 }')
  t.eq(inspect({ p = Point }), '{ p: { x: 1, y: 2 } }')
  -- ...but an empty one (a sentinel) is best shown by its __tostring.
  local sentinel = setmetatable({}, { __tostring = function() return 'Symbol(x)' end })
  t.eq(inspect(sentinel), 'Symbol(x)')
  t.eq(inspect({ s = sentinel }), '{ s: Symbol(x) }')
  t.eq(inspect(sentinel, { customInspect = false }), '{}')
  local bad = setmetatable({}, { __tostring = function() error('boom') end })
  t.eq(inspect(bad), '{}')
  -- %s does use __tostring, as Node's %s uses a user toString
  t.eq(format('%s', Point), 'Point(1, 2)')
end)

t.test('inspect: process.env shows its variables', function()
  local s = inspect(process.env, { breakLength = math.huge, maxStringLength = math.huge })
  t.eq(s:sub(1, 1), '{')
  local home = os.getenv('PATH')
  if home then t.ok(s:find('PATH: ' .. inspect(home), 1, true), s:sub(1, 200)) end
end)

t.test('inspect: util.inspect.custom', function()
  t.eq(type(inspect.custom), 'string')
  local obj = { [inspect.custom] = function(self, depth, opts, insp)
    return 'custom!' .. depth .. (opts.colors and 'c' or '') .. (insp == inspect and '' or '')
  end }
  t.eq(inspect(obj), 'custom!2')
  t.eq(inspect({ x = obj }), '{ x: custom!1 }')
  t.eq(inspect(obj, { colors = true }), 'custom!2c')
  local returnsTable = { [inspect.custom] = function() return { 1, 2 } end }
  t.eq(inspect({ x = returnsTable }), '{ x: [ 1, 2 ] }')
  local multiline = { [inspect.custom] = function() return 'a\nb' end }
  t.eq(inspect({ x = { y = multiline } }), '{\n  x: {\n    y: a\n    b\n  }\n}')
  local returnsSelf
  returnsSelf = { v = 1, [inspect.custom] = function(self) return self end }
  t.eq(inspect(returnsSelf),
    "{\n  'nodejs.util.inspect.custom': [Function: nodejs.util.inspect.custom],\n  v: 1\n}")
  t.eq(inspect(obj, { customInspect = false }):find('custom!'), nil)
  -- the method may live on the class
  local Cls = util.Object:extend()
  Cls[inspect.custom] = function(self) return 'Cls<' .. self.n .. '>' end
  function Cls:initialize(n) self.n = n end
  t.eq(inspect({ Cls:new(1), Cls:new(2) }), '[ Cls<1>, Cls<2> ]')
  -- user options reach the method
  local seen
  local probe = { [inspect.custom] = function(self, d, opts) seen = opts.myOption return 'p' end }
  inspect(probe, { myOption = 'yes' })
  t.eq(seen, 'yes')
end)

-- Error tables as lode's modules raise them (internal/errors is not
-- reachable from scripts): one caught, and others made with its metatable.
local function newError(name, code, message)
  local _, sample = pcall(require('path').join, 1)
  return setmetatable({ name = name, code = code, message = message }, getmetatable(sample))
end

t.test('inspect: error tables', function()
  local ok, e = pcall(require('path').dirname, 1)
  t.eq(ok, false)
  t.eq(inspect(e), '[TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. ' ..
    'Received type number (1)] {\n  code: \'ERR_INVALID_ARG_TYPE\'\n}')
  local plain = newError('Error', nil, 'boom')
  t.eq(inspect(plain), '[Error: boom]')
  t.eq(inspect({ err = plain }), '{ err: [Error: boom] }')
  local sys = newError('Error', 'ENOENT', "ENOENT: no such file or directory, open 'x'")
  sys.errno, sys.syscall, sys.path = -2, 'open', 'x'
  t.eq(inspect(sys), "[Error: ENOENT: no such file or directory, open 'x'] {\n" ..
    "  errno: -2,\n  code: 'ENOENT',\n  syscall: 'open',\n  path: 'x'\n}")
  local withStack = newError('Error', nil, 'boom')
  withStack.stack = 'Error: boom\nstack traceback:\n\tx.lua:1: in main chunk'
  t.eq(inspect(withStack), 'Error: boom\nstack traceback:\n\tx.lua:1: in main chunk')
  t.eq(inspect({ e = withStack }), '{\n  e: Error: boom\n  stack traceback:\n  \tx.lua:1: in main chunk\n}')
  t.eq(util.types.isNativeError(e), true)
  t.eq(util.types.isNativeError({}), false)
end)

-------------------------------------------------------------------------------
-- isDeepStrictEqual

t.test('isDeepStrictEqual', function()
  local eq = util.isDeepStrictEqual
  t.eq(eq(1, 1), true)
  t.eq(eq(1, '1'), false)
  t.eq(eq(0 / 0, 0 / 0), true)
  t.eq(eq(0, -0.0), false)
  t.eq(eq('a', 'a'), true)
  t.eq(eq(nil, nil), true)
  t.eq(eq(nil, false), false)
  t.eq(eq({}, {}), true)
  t.eq(eq({ 1, 2, { a = 3 } }, { 1, 2, { a = 3 } }), true)
  t.eq(eq({ 1, 2 }, { 1, 2, 3 }), false)
  t.eq(eq({ 1, 2, 3 }, { 1, 2 }), false)
  t.eq(eq({ a = 1 }, { a = 1, b = 2 }), false)
  t.eq(eq({ a = { b = 1 } }, { a = { b = 2 } }), false)
  t.eq(eq(print, print), true)
  t.eq(eq(function() end, function() end), false)
  local mt = {}
  t.eq(eq(setmetatable({}, mt), setmetatable({}, mt)), true)
  t.eq(eq(setmetatable({}, mt), {}), false)
  local a, b = { x = 1 }, { x = 1 }
  a.self, b.self = a, b
  t.eq(eq(a, b), true)
  b.x = 2
  t.eq(eq(a, b), false)
  local ffi = require('ffi')
  t.eq(eq(ffi.new('int64_t', 1), ffi.new('int64_t', 1)), true)
  t.eq(eq(ffi.new('int64_t', 1), ffi.new('int64_t', 2)), false)
end)

-------------------------------------------------------------------------------
-- deprecate, inherits, the rest

t.test('deprecate warns once and passes calls through', function()
  local saved = process.emitWarning
  local warnings = {}
  process.emitWarning = function(msg, typ, code) warnings[#warnings + 1] = { msg, typ, code } end
  local f = util.deprecate(function(a, b) return a + b, 'second' end, 'f() is deprecated', 'DEP_LODE_1')
  local ok, r1, r2 = pcall(f, 1, 2)
  local ok2, r3 = pcall(f, 3, 4)
  local g = util.deprecate(function() return 'g' end, 'g() is deprecated', 'DEP_LODE_1')
  local ok3 = pcall(g)
  local h = util.deprecate(function() return 'h' end, 'h() is deprecated')
  local ok4 = pcall(h)
  pcall(h)
  process.emitWarning = saved
  t.ok(ok and ok2 and ok3 and ok4)
  t.eq(r1, 3)
  t.eq(r2, 'second')
  t.eq(r3, 7)
  -- one warning for DEP_LODE_1 (shared by f and g), one for h
  t.eq(#warnings, 2)
  t.eq(warnings[1][1], 'f() is deprecated')
  t.eq(warnings[1][2], 'DeprecationWarning')
  t.eq(warnings[1][3], 'DEP_LODE_1')
  t.eq(warnings[2][1], 'h() is deprecated')
  t.raises(function() util.deprecate('x', 'msg') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() util.deprecate(print, 'msg', 5) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('inherits', function()
  local Base = {}
  Base.__index = Base
  function Base:hello() return 'hello ' .. self.name end
  local Child = {}
  util.inherits(Child, Base)
  t.eq(Child.super_, Base)
  t.eq(getmetatable(Child), Base)
  local c = setmetatable({ name = 'c' }, Child)
  t.eq(c:hello(), 'hello c')
  t.eq(util.instanceof(c, Base), true)
  t.eq(util.instanceof(c, Child), true)
  t.raises(function() util.inherits(nil, Base) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() util.inherits(Child, 'x') end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('Object, instanceof, types, stripVTControlCharacters', function()
  t.eq(type(util.Object.extend), 'function')
  local A = util.Object:extend()
  t.eq(A:new():instanceof(A), true)
  t.eq(A:new():instanceof(util.Object), true)
  t.eq(util.instanceof(A:new(), A), true)
  t.eq(util.instanceof({}, A), false)
  t.eq(util.stripVTControlCharacters('\27[31mred\27[39m plain'), 'red plain')
  t.raises(function() util.stripVTControlCharacters(1) end, 'ERR_INVALID_ARG_TYPE')
  local ffi = require('ffi')
  t.eq(util.types.isInt64(ffi.new('int64_t', 1)), true)
  t.eq(util.types.isInt64(1), false)
end)

t.test('debuglog is silent unless NODE_DEBUG names the section', function()
  local saved = process.stderr.write
  local written = {}
  process.stderr.write = function(self, s) written[#written + 1] = s end
  local log = util.debuglog('lode_spec_unlikely_section')
  log('hello %d', 1)
  process.stderr.write = saved
  t.eq(#written, os.getenv('NODE_DEBUG') and #written or 0)
  t.eq(type(log), 'function')
end)

t.test('Object.new and Object.extend on something that is not a class raise', function()
  for _, bad in ipairs({ 5, 'x', true }) do
    t.raises(function() util.Object.new(bad) end, 'ERR_INVALID_THIS')
    t.raises(function() util.Object.extend(bad) end, 'ERR_INVALID_THIS')
  end
  local instance = util.Object:new()
  t.raises(function() instance:new() end, 'ERR_INVALID_THIS') -- an instance is not a class
  t.raises(function() util.Object:extend(42) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() util._getStringWidth(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() util._formatNumber('1') end, 'ERR_INVALID_ARG_TYPE')
end)
