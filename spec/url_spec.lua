-- url: the WHATWG URL parser and URLSearchParams against rows of the web
-- platform tests (urltestdata.json, setters_tests.json: the ASCII rows on
-- which Node 20 and the tests agree), and the legacy url.parse, url.format
-- and url.resolve against the cases of Node's test-url-parse-format.js,
-- test-url-format.js and test-url-relative.js. Every expected value is the
-- one Node 20 gives for the same input.
local t = require('./helper')
local url = require('url')
local URL, URLSearchParams = url.URL, url.URLSearchParams

local function show(v)
  if type(v) == 'string' then return string.format('%q', v) end
  return tostring(v)
end

-- Checks every row, then reports every mismatch at once.
local function check(failures)
  t.eq(#failures, 0, table.concat(failures, '\n', 1, math.min(#failures, 40)))
end

-- { input, base (false: none), href, protocol, username, password,
--   hostname, port, pathname, search, hash, origin }, or
-- { input, base, false } when the input is not a valid URL.
local PARSE_ROWS = {
  { 'http://example\t.\norg', 'http://example.org/foo/bar', 'http://example.org/', 'http:', '', '', 'example.org', '', '/', '', '', 'http://example.org' },
  { 'http://user:pass@foo:21/bar;par?b#c', 'http://example.org/foo/bar', 'http://user:pass@foo:21/bar;par?b#c', 'http:', 'user', 'pass', 'foo', '21', '/bar;par', '?b', '#c', 'http://foo:21' },
  { 'https://test:@test', false, 'https://test@test/', 'https:', 'test', '', 'test', '', '/', '', '', 'https://test' },
  { 'https://:@test', false, 'https://test/', 'https:', '', '', 'test', '', '/', '', '', 'https://test' },
  { 'non-special://test:@test/x', false, 'non-special://test@test/x', 'non-special:', 'test', '', 'test', '', '/x', '', '', 'null' },
  { 'http:foo.com', 'http://example.org/foo/bar', 'http://example.org/foo/foo.com', 'http:', '', '', 'example.org', '', '/foo/foo.com', '', '', 'http://example.org' },
  { '\t   :foo.com   \n', 'http://example.org/foo/bar', 'http://example.org/foo/:foo.com', 'http:', '', '', 'example.org', '', '/foo/:foo.com', '', '', 'http://example.org' },
  { ' foo.com  ', 'http://example.org/foo/bar', 'http://example.org/foo/foo.com', 'http:', '', '', 'example.org', '', '/foo/foo.com', '', '', 'http://example.org' },
  { 'http://f:21/ b ? d # e ', 'http://example.org/foo/bar', 'http://f:21/%20b%20?%20d%20#%20e', 'http:', '', '', 'f', '21', '/%20b%20', '?%20d%20', '#%20e', 'http://f:21' },
  { 'lolscheme:x x#x x', false, 'lolscheme:x x#x%20x', 'lolscheme:', '', '', '', '', 'x x', '', '#x%20x', 'null' },
  { 'http://f:/c', 'http://example.org/foo/bar', 'http://f/c', 'http:', '', '', 'f', '', '/c', '', '', 'http://f' },
  { 'http://f:0/c', 'http://example.org/foo/bar', 'http://f:0/c', 'http:', '', '', 'f', '0', '/c', '', '', 'http://f:0' },
  { 'http://f:00000000000000/c', 'http://example.org/foo/bar', 'http://f:0/c', 'http:', '', '', 'f', '0', '/c', '', '', 'http://f:0' },
  { 'http://f:00000000000000000000080/c', 'http://example.org/foo/bar', 'http://f/c', 'http:', '', '', 'f', '', '/c', '', '', 'http://f' },
  { 'http://f:b/c', 'http://example.org/foo/bar', false },
  { 'http://f: /c', 'http://example.org/foo/bar', false },
  { 'http://f:\n/c', 'http://example.org/foo/bar', 'http://f/c', 'http:', '', '', 'f', '', '/c', '', '', 'http://f' },
  { 'non-special://f:999999/c', 'http://example.org/foo/bar', false },
  { 'http://f: 21 / b ? d # e ', 'http://example.org/foo/bar', false },
  { '', 'http://example.org/foo/bar', 'http://example.org/foo/bar', 'http:', '', '', 'example.org', '', '/foo/bar', '', '', 'http://example.org' },
  { '  \t', 'http://example.org/foo/bar', 'http://example.org/foo/bar', 'http:', '', '', 'example.org', '', '/foo/bar', '', '', 'http://example.org' },
  { ':foo.com/', 'http://example.org/foo/bar', 'http://example.org/foo/:foo.com/', 'http:', '', '', 'example.org', '', '/foo/:foo.com/', '', '', 'http://example.org' },
  { ':foo.com\\', 'http://example.org/foo/bar', 'http://example.org/foo/:foo.com/', 'http:', '', '', 'example.org', '', '/foo/:foo.com/', '', '', 'http://example.org' },
  { ':', 'http://example.org/foo/bar', 'http://example.org/foo/:', 'http:', '', '', 'example.org', '', '/foo/:', '', '', 'http://example.org' },
  { ':a', 'http://example.org/foo/bar', 'http://example.org/foo/:a', 'http:', '', '', 'example.org', '', '/foo/:a', '', '', 'http://example.org' },
  { ':/', 'http://example.org/foo/bar', 'http://example.org/foo/:/', 'http:', '', '', 'example.org', '', '/foo/:/', '', '', 'http://example.org' },
  { ':\\', 'http://example.org/foo/bar', 'http://example.org/foo/:/', 'http:', '', '', 'example.org', '', '/foo/:/', '', '', 'http://example.org' },
  { ':#', 'http://example.org/foo/bar', 'http://example.org/foo/:#', 'http:', '', '', 'example.org', '', '/foo/:', '', '', 'http://example.org' },
  { '#', 'http://example.org/foo/bar', 'http://example.org/foo/bar#', 'http:', '', '', 'example.org', '', '/foo/bar', '', '', 'http://example.org' },
  { '#/', 'http://example.org/foo/bar', 'http://example.org/foo/bar#/', 'http:', '', '', 'example.org', '', '/foo/bar', '', '#/', 'http://example.org' },
  { '#\\', 'http://example.org/foo/bar', 'http://example.org/foo/bar#\\', 'http:', '', '', 'example.org', '', '/foo/bar', '', '#\\', 'http://example.org' },
  { '#;?', 'http://example.org/foo/bar', 'http://example.org/foo/bar#;?', 'http:', '', '', 'example.org', '', '/foo/bar', '', '#;?', 'http://example.org' },
  { '?', 'http://example.org/foo/bar', 'http://example.org/foo/bar?', 'http:', '', '', 'example.org', '', '/foo/bar', '', '', 'http://example.org' },
  { '/', 'http://example.org/foo/bar', 'http://example.org/', 'http:', '', '', 'example.org', '', '/', '', '', 'http://example.org' },
  { ':23', 'http://example.org/foo/bar', 'http://example.org/foo/:23', 'http:', '', '', 'example.org', '', '/foo/:23', '', '', 'http://example.org' },
  { '/:23', 'http://example.org/foo/bar', 'http://example.org/:23', 'http:', '', '', 'example.org', '', '/:23', '', '', 'http://example.org' },
  { '\\x', 'http://example.org/foo/bar', 'http://example.org/x', 'http:', '', '', 'example.org', '', '/x', '', '', 'http://example.org' },
  { '\\\\x\\hello', 'http://example.org/foo/bar', 'http://x/hello', 'http:', '', '', 'x', '', '/hello', '', '', 'http://x' },
  { '::', 'http://example.org/foo/bar', 'http://example.org/foo/::', 'http:', '', '', 'example.org', '', '/foo/::', '', '', 'http://example.org' },
  { '::23', 'http://example.org/foo/bar', 'http://example.org/foo/::23', 'http:', '', '', 'example.org', '', '/foo/::23', '', '', 'http://example.org' },
  { 'http://a:b@c:29/d', 'http://example.org/foo/bar', 'http://a:b@c:29/d', 'http:', 'a', 'b', 'c', '29', '/d', '', '', 'http://c:29' },
  { 'http::@c:29', 'http://example.org/foo/bar', 'http://example.org/foo/:@c:29', 'http:', '', '', 'example.org', '', '/foo/:@c:29', '', '', 'http://example.org' },
  { 'http://&a:foo(b]c@d:2/', 'http://example.org/foo/bar', 'http://&a:foo(b%5Dc@d:2/', 'http:', '&a', 'foo(b%5Dc', 'd', '2', '/', '', '', 'http://d:2' },
  { 'http://::@c@d:2', 'http://example.org/foo/bar', 'http://:%3A%40c@d:2/', 'http:', '', '%3A%40c', 'd', '2', '/', '', '', 'http://d:2' },
  { 'http://foo.com:b@d/', 'http://example.org/foo/bar', 'http://foo.com:b@d/', 'http:', 'foo.com', 'b', 'd', '', '/', '', '', 'http://d' },
  { 'http://foo.com/\\@', 'http://example.org/foo/bar', 'http://foo.com//@', 'http:', '', '', 'foo.com', '', '//@', '', '', 'http://foo.com' },
  { 'http:\\\\foo.com\\', 'http://example.org/foo/bar', 'http://foo.com/', 'http:', '', '', 'foo.com', '', '/', '', '', 'http://foo.com' },
  { 'http:\\\\a\\b:c\\d@foo.com\\', 'http://example.org/foo/bar', 'http://a/b:c/d@foo.com/', 'http:', '', '', 'a', '', '/b:c/d@foo.com/', '', '', 'http://a' },
  { 'http://a:b@c\\', false, 'http://a:b@c/', 'http:', 'a', 'b', 'c', '', '/', '', '', 'http://c' },
  { 'ws://a@b\\c', false, 'ws://a@b/c', 'ws:', 'a', '', 'b', '', '/c', '', '', 'ws://b' },
  { 'foo:/', 'http://example.org/foo/bar', 'foo:/', 'foo:', '', '', '', '', '/', '', '', 'null' },
  { 'foo://///////', 'http://example.org/foo/bar', 'foo://///////', 'foo:', '', '', '', '', '///////', '', '', 'null' },
  { 'foo://///////bar.com/', 'http://example.org/foo/bar', 'foo://///////bar.com/', 'foo:', '', '', '', '', '///////bar.com/', '', '', 'null' },
  { 'c:/foo', 'http://example.org/foo/bar', 'c:/foo', 'c:', '', '', '', '', '/foo', '', '', 'null' },
  { '//foo/bar', 'http://example.org/foo/bar', 'http://foo/bar', 'http:', '', '', 'foo', '', '/bar', '', '', 'http://foo' },
  { 'http://foo/path;a??e#f#g', 'http://example.org/foo/bar', 'http://foo/path;a??e#f#g', 'http:', '', '', 'foo', '', '/path;a', '??e', '#f#g', 'http://foo' },
  { 'http://foo/abcd?efgh?ijkl', 'http://example.org/foo/bar', 'http://foo/abcd?efgh?ijkl', 'http:', '', '', 'foo', '', '/abcd', '?efgh?ijkl', '', 'http://foo' },
  { 'http://foo/abcd#foo?bar', 'http://example.org/foo/bar', 'http://foo/abcd#foo?bar', 'http:', '', '', 'foo', '', '/abcd', '', '#foo?bar', 'http://foo' },
  { '[61:24:74]:98', 'http://example.org/foo/bar', 'http://example.org/foo/[61:24:74]:98', 'http:', '', '', 'example.org', '', '/foo/[61:24:74]:98', '', '', 'http://example.org' },
  { 'http:[61:27]/:foo', 'http://example.org/foo/bar', 'http://example.org/foo/[61:27]/:foo', 'http:', '', '', 'example.org', '', '/foo/[61:27]/:foo', '', '', 'http://example.org' },
  { 'http://2001::1]', 'http://example.org/foo/bar', false },
  { 'http://2001::1]:80', 'http://example.org/foo/bar', false },
  { 'http://[2001::1]', 'http://example.org/foo/bar', 'http://[2001::1]/', 'http:', '', '', '[2001::1]', '', '/', '', '', 'http://[2001::1]' },
  { 'http://[::127.0.0.1]', 'http://example.org/foo/bar', 'http://[::7f00:1]/', 'http:', '', '', '[::7f00:1]', '', '/', '', '', 'http://[::7f00:1]' },
  { 'http://[::127.0.0.1.]', 'http://example.org/foo/bar', false },
  { 'http://[0:0:0:0:0:0:13.1.68.3]', 'http://example.org/foo/bar', 'http://[::d01:4403]/', 'http:', '', '', '[::d01:4403]', '', '/', '', '', 'http://[::d01:4403]' },
  { 'http://[2001::1]:80', 'http://example.org/foo/bar', 'http://[2001::1]/', 'http:', '', '', '[2001::1]', '', '/', '', '', 'http://[2001::1]' },
  { 'http:/example.com/', 'http://example.org/foo/bar', 'http://example.org/example.com/', 'http:', '', '', 'example.org', '', '/example.com/', '', '', 'http://example.org' },
  { 'http:/', 'http://example.com/', 'http://example.com/', 'http:', '', '', 'example.com', '', '/', '', '', 'http://example.com' },
  { 'ftp:/example.com/', 'http://example.org/foo/bar', 'ftp://example.com/', 'ftp:', '', '', 'example.com', '', '/', '', '', 'ftp://example.com' },
  { 'https:/example.com/', 'http://example.org/foo/bar', 'https://example.com/', 'https:', '', '', 'example.com', '', '/', '', '', 'https://example.com' },
  { 'file:/example.com/', 'http://example.org/foo/bar', 'file:///example.com/', 'file:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'file://example:1/', false, false },
  { 'file://example:test/', false, false },
  { 'file://example%/', false, false },
  { 'file://[example]/', false, false },
  { 'ftps:/example.com/', 'http://example.org/foo/bar', 'ftps:/example.com/', 'ftps:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'gopher:/example.com/', 'http://example.org/foo/bar', 'gopher:/example.com/', 'gopher:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'ws:/example.com/', 'http://example.org/foo/bar', 'ws://example.com/', 'ws:', '', '', 'example.com', '', '/', '', '', 'ws://example.com' },
  { 'wss:/example.com/', 'http://example.org/foo/bar', 'wss://example.com/', 'wss:', '', '', 'example.com', '', '/', '', '', 'wss://example.com' },
  { 'data:/example.com/', 'http://example.org/foo/bar', 'data:/example.com/', 'data:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'javascript:/example.com/', 'http://example.org/foo/bar', 'javascript:/example.com/', 'javascript:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'mailto:/example.com/', 'http://example.org/foo/bar', 'mailto:/example.com/', 'mailto:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'http:example.com/', 'http://example.org/foo/bar', 'http://example.org/foo/example.com/', 'http:', '', '', 'example.org', '', '/foo/example.com/', '', '', 'http://example.org' },
  { 'ftp:example.com/', 'http://example.org/foo/bar', 'ftp://example.com/', 'ftp:', '', '', 'example.com', '', '/', '', '', 'ftp://example.com' },
  { 'https:example.com/', 'http://example.org/foo/bar', 'https://example.com/', 'https:', '', '', 'example.com', '', '/', '', '', 'https://example.com' },
  { 'madeupscheme:example.com/', 'http://example.org/foo/bar', 'madeupscheme:example.com/', 'madeupscheme:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'ftps:example.com/', 'http://example.org/foo/bar', 'ftps:example.com/', 'ftps:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'gopher:example.com/', 'http://example.org/foo/bar', 'gopher:example.com/', 'gopher:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'ws:example.com/', 'http://example.org/foo/bar', 'ws://example.com/', 'ws:', '', '', 'example.com', '', '/', '', '', 'ws://example.com' },
  { 'wss:example.com/', 'http://example.org/foo/bar', 'wss://example.com/', 'wss:', '', '', 'example.com', '', '/', '', '', 'wss://example.com' },
  { 'data:example.com/', 'http://example.org/foo/bar', 'data:example.com/', 'data:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'javascript:example.com/', 'http://example.org/foo/bar', 'javascript:example.com/', 'javascript:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'mailto:example.com/', 'http://example.org/foo/bar', 'mailto:example.com/', 'mailto:', '', '', '', '', 'example.com/', '', '', 'null' },
  { '/a/b/c', 'http://example.org/foo/bar', 'http://example.org/a/b/c', 'http:', '', '', 'example.org', '', '/a/b/c', '', '', 'http://example.org' },
  { '/a/ /c', 'http://example.org/foo/bar', 'http://example.org/a/%20/c', 'http:', '', '', 'example.org', '', '/a/%20/c', '', '', 'http://example.org' },
  { '/a%2fc', 'http://example.org/foo/bar', 'http://example.org/a%2fc', 'http:', '', '', 'example.org', '', '/a%2fc', '', '', 'http://example.org' },
  { '/a/%2f/c', 'http://example.org/foo/bar', 'http://example.org/a/%2f/c', 'http:', '', '', 'example.org', '', '/a/%2f/c', '', '', 'http://example.org' },
  { 'data:text/html,test#test', 'http://example.org/foo/bar', 'data:text/html,test#test', 'data:', '', '', '', '', 'text/html,test', '', '#test', 'null' },
  { 'tel:1234567890', 'http://example.org/foo/bar', 'tel:1234567890', 'tel:', '', '', '', '', '1234567890', '', '', 'null' },
  { 'file:c:\\foo\\bar.html', 'file:///tmp/mock/path', 'file:///c:/foo/bar.html', 'file:', '', '', '', '', '/c:/foo/bar.html', '', '', 'null' },
  { '  File:c|////foo\\bar.html', 'file:///tmp/mock/path', 'file:///c:////foo/bar.html', 'file:', '', '', '', '', '/c:////foo/bar.html', '', '', 'null' },
  { 'C|/foo/bar', 'file:///tmp/mock/path', 'file:///C:/foo/bar', 'file:', '', '', '', '', '/C:/foo/bar', '', '', 'null' },
  { '/C|\\foo\\bar', 'file:///tmp/mock/path', 'file:///C:/foo/bar', 'file:', '', '', '', '', '/C:/foo/bar', '', '', 'null' },
  { '//C|/foo/bar', 'file:///tmp/mock/path', 'file:///C:/foo/bar', 'file:', '', '', '', '', '/C:/foo/bar', '', '', 'null' },
  { '//server/file', 'file:///tmp/mock/path', 'file://server/file', 'file:', '', '', 'server', '', '/file', '', '', 'null' },
  { '\\\\server\\file', 'file:///tmp/mock/path', 'file://server/file', 'file:', '', '', 'server', '', '/file', '', '', 'null' },
  { '/\\server/file', 'file:///tmp/mock/path', 'file://server/file', 'file:', '', '', 'server', '', '/file', '', '', 'null' },
  { 'file:///foo/bar.txt', 'file:///tmp/mock/path', 'file:///foo/bar.txt', 'file:', '', '', '', '', '/foo/bar.txt', '', '', 'null' },
  { 'file:///home/me', 'file:///tmp/mock/path', 'file:///home/me', 'file:', '', '', '', '', '/home/me', '', '', 'null' },
  { '//', 'file:///tmp/mock/path', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '///', 'file:///tmp/mock/path', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '///test', 'file:///tmp/mock/path', 'file:///test', 'file:', '', '', '', '', '/test', '', '', 'null' },
  { 'file://test', 'file:///tmp/mock/path', 'file://test/', 'file:', '', '', 'test', '', '/', '', '', 'null' },
  { 'file://localhost', 'file:///tmp/mock/path', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { 'file://localhost/', 'file:///tmp/mock/path', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { 'file://localhost/test', 'file:///tmp/mock/path', 'file:///test', 'file:', '', '', '', '', '/test', '', '', 'null' },
  { 'test', 'file:///tmp/mock/path', 'file:///tmp/mock/test', 'file:', '', '', '', '', '/tmp/mock/test', '', '', 'null' },
  { 'file:test', 'file:///tmp/mock/path', 'file:///tmp/mock/test', 'file:', '', '', '', '', '/tmp/mock/test', '', '', 'null' },
  { 'file:///w|m', false, 'file:///w|m', 'file:', '', '', '', '', '/w|m', '', '', 'null' },
  { 'file:///w||m', false, 'file:///w||m', 'file:', '', '', '', '', '/w||m', '', '', 'null' },
  { 'file:///w|/m', false, 'file:///w:/m', 'file:', '', '', '', '', '/w:/m', '', '', 'null' },
  { 'file:C|/m/', false, 'file:///C:/m/', 'file:', '', '', '', '', '/C:/m/', '', '', 'null' },
  { 'file:C||/m/', false, 'file:///C||/m/', 'file:', '', '', '', '', '/C||/m/', '', '', 'null' },
  { 'http://example.com/././foo', false, 'http://example.com/foo', 'http:', '', '', 'example.com', '', '/foo', '', '', 'http://example.com' },
  { 'http://example.com/./.foo', false, 'http://example.com/.foo', 'http:', '', '', 'example.com', '', '/.foo', '', '', 'http://example.com' },
  { 'http://example.com/foo/.', false, 'http://example.com/foo/', 'http:', '', '', 'example.com', '', '/foo/', '', '', 'http://example.com' },
  { 'http://example.com/foo/./', false, 'http://example.com/foo/', 'http:', '', '', 'example.com', '', '/foo/', '', '', 'http://example.com' },
  { 'http://example.com/foo/bar/..', false, 'http://example.com/foo/', 'http:', '', '', 'example.com', '', '/foo/', '', '', 'http://example.com' },
  { 'http://example.com/foo/bar/../', false, 'http://example.com/foo/', 'http:', '', '', 'example.com', '', '/foo/', '', '', 'http://example.com' },
  { 'http://example.com/foo/..bar', false, 'http://example.com/foo/..bar', 'http:', '', '', 'example.com', '', '/foo/..bar', '', '', 'http://example.com' },
  { 'http://example.com/foo/bar/../ton', false, 'http://example.com/foo/ton', 'http:', '', '', 'example.com', '', '/foo/ton', '', '', 'http://example.com' },
  { 'http://example.com/foo/bar/../ton/../../a', false, 'http://example.com/a', 'http:', '', '', 'example.com', '', '/a', '', '', 'http://example.com' },
  { 'http://example.com/foo/../../..', false, 'http://example.com/', 'http:', '', '', 'example.com', '', '/', '', '', 'http://example.com' },
  { 'http://example.com/foo/../../../ton', false, 'http://example.com/ton', 'http:', '', '', 'example.com', '', '/ton', '', '', 'http://example.com' },
  { 'http://example.com/foo/%2e', false, 'http://example.com/foo/', 'http:', '', '', 'example.com', '', '/foo/', '', '', 'http://example.com' },
  { 'http://example.com/foo/%2e%2', false, 'http://example.com/foo/%2e%2', 'http:', '', '', 'example.com', '', '/foo/%2e%2', '', '', 'http://example.com' },
  { 'http://example.com/foo/%2e./%2e%2e/.%2e/%2e.bar', false, 'http://example.com/%2e.bar', 'http:', '', '', 'example.com', '', '/%2e.bar', '', '', 'http://example.com' },
  { 'http://example.com////../..', false, 'http://example.com//', 'http:', '', '', 'example.com', '', '//', '', '', 'http://example.com' },
  { 'http://example.com/foo/bar//../..', false, 'http://example.com/foo/', 'http:', '', '', 'example.com', '', '/foo/', '', '', 'http://example.com' },
  { 'http://example.com/foo/bar//..', false, 'http://example.com/foo/bar/', 'http:', '', '', 'example.com', '', '/foo/bar/', '', '', 'http://example.com' },
  { 'http://example.com/foo', false, 'http://example.com/foo', 'http:', '', '', 'example.com', '', '/foo', '', '', 'http://example.com' },
  { 'http://example.com/%20foo', false, 'http://example.com/%20foo', 'http:', '', '', 'example.com', '', '/%20foo', '', '', 'http://example.com' },
  { 'http://example.com/foo%', false, 'http://example.com/foo%', 'http:', '', '', 'example.com', '', '/foo%', '', '', 'http://example.com' },
  { 'http://example.com/foo%2', false, 'http://example.com/foo%2', 'http:', '', '', 'example.com', '', '/foo%2', '', '', 'http://example.com' },
  { 'http://example.com/foo%2zbar', false, 'http://example.com/foo%2zbar', 'http:', '', '', 'example.com', '', '/foo%2zbar', '', '', 'http://example.com' },
  { 'http://example.com/foo%41%7a', false, 'http://example.com/foo%41%7a', 'http:', '', '', 'example.com', '', '/foo%41%7a', '', '', 'http://example.com' },
  { 'http://example.com/foo%00%51', false, 'http://example.com/foo%00%51', 'http:', '', '', 'example.com', '', '/foo%00%51', '', '', 'http://example.com' },
  { 'http://example.com/(%28:%3A%29)', false, 'http://example.com/(%28:%3A%29)', 'http:', '', '', 'example.com', '', '/(%28:%3A%29)', '', '', 'http://example.com' },
  { 'http://example.com/%3A%3a%3C%3c', false, 'http://example.com/%3A%3a%3C%3c', 'http:', '', '', 'example.com', '', '/%3A%3a%3C%3c', '', '', 'http://example.com' },
  { 'http://example.com/foo\tbar', false, 'http://example.com/foobar', 'http:', '', '', 'example.com', '', '/foobar', '', '', 'http://example.com' },
  { 'http://example.com\\\\foo\\\\bar', false, 'http://example.com//foo//bar', 'http:', '', '', 'example.com', '', '//foo//bar', '', '', 'http://example.com' },
  { 'http://example.com/%7Ffp3%3Eju%3Dduvgw%3Dd', false, 'http://example.com/%7Ffp3%3Eju%3Dduvgw%3Dd', 'http:', '', '', 'example.com', '', '/%7Ffp3%3Eju%3Dduvgw%3Dd', '', '', 'http://example.com' },
  { 'http://example.com/@asdf%40', false, 'http://example.com/@asdf%40', 'http:', '', '', 'example.com', '', '/@asdf%40', '', '', 'http://example.com' },
  { 'http://www.google.com/foo?bar=baz#', false, 'http://www.google.com/foo?bar=baz#', 'http:', '', '', 'www.google.com', '', '/foo', '?bar=baz', '', 'http://www.google.com' },
  { 'http://www.google.com', false, 'http://www.google.com/', 'http:', '', '', 'www.google.com', '', '/', '', '', 'http://www.google.com' },
  { 'http://192.0x00A80001', false, 'http://192.168.0.1/', 'http:', '', '', '192.168.0.1', '', '/', '', '', 'http://192.168.0.1' },
  { 'http://www/foo%2Ehtml', false, 'http://www/foo%2Ehtml', 'http:', '', '', 'www', '', '/foo%2Ehtml', '', '', 'http://www' },
  { 'http://www/foo/%2E/html', false, 'http://www/foo/html', 'http:', '', '', 'www', '', '/foo/html', '', '', 'http://www' },
  { 'http://user:pass@/', false, false },
  { 'http://%25DOMAIN:foobar@foodomain.com/', false, 'http://%25DOMAIN:foobar@foodomain.com/', 'http:', '%25DOMAIN', 'foobar', 'foodomain.com', '', '/', '', '', 'http://foodomain.com' },
  { 'http:\\\\www.google.com\\foo', false, 'http://www.google.com/foo', 'http:', '', '', 'www.google.com', '', '/foo', '', '', 'http://www.google.com' },
  { 'http://foo:80/', false, 'http://foo/', 'http:', '', '', 'foo', '', '/', '', '', 'http://foo' },
  { 'http://foo:81/', false, 'http://foo:81/', 'http:', '', '', 'foo', '81', '/', '', '', 'http://foo:81' },
  { 'http://foo:-80/', false, false },
  { 'https://foo:443/', false, 'https://foo/', 'https:', '', '', 'foo', '', '/', '', '', 'https://foo' },
  { 'https://foo:80/', false, 'https://foo:80/', 'https:', '', '', 'foo', '80', '/', '', '', 'https://foo:80' },
  { 'ftp://foo:21/', false, 'ftp://foo/', 'ftp:', '', '', 'foo', '', '/', '', '', 'ftp://foo' },
  { 'ftp://foo:80/', false, 'ftp://foo:80/', 'ftp:', '', '', 'foo', '80', '/', '', '', 'ftp://foo:80' },
  { 'gopher://foo:443/', false, 'gopher://foo:443/', 'gopher:', '', '', 'foo', '443', '/', '', '', 'null' },
  { 'ws://foo:80/', false, 'ws://foo/', 'ws:', '', '', 'foo', '', '/', '', '', 'ws://foo' },
  { 'ws://foo:81/', false, 'ws://foo:81/', 'ws:', '', '', 'foo', '81', '/', '', '', 'ws://foo:81' },
  { 'ws://foo:443/', false, 'ws://foo:443/', 'ws:', '', '', 'foo', '443', '/', '', '', 'ws://foo:443' },
  { 'ws://foo:815/', false, 'ws://foo:815/', 'ws:', '', '', 'foo', '815', '/', '', '', 'ws://foo:815' },
  { 'wss://foo:80/', false, 'wss://foo:80/', 'wss:', '', '', 'foo', '80', '/', '', '', 'wss://foo:80' },
  { 'wss://foo:81/', false, 'wss://foo:81/', 'wss:', '', '', 'foo', '81', '/', '', '', 'wss://foo:81' },
  { 'wss://foo:443/', false, 'wss://foo/', 'wss:', '', '', 'foo', '', '/', '', '', 'wss://foo' },
  { 'wss://foo:815/', false, 'wss://foo:815/', 'wss:', '', '', 'foo', '815', '/', '', '', 'wss://foo:815' },
  { 'http:/example.com/', false, 'http://example.com/', 'http:', '', '', 'example.com', '', '/', '', '', 'http://example.com' },
  { 'ftp:/example.com/', false, 'ftp://example.com/', 'ftp:', '', '', 'example.com', '', '/', '', '', 'ftp://example.com' },
  { 'https:/example.com/', false, 'https://example.com/', 'https:', '', '', 'example.com', '', '/', '', '', 'https://example.com' },
  { 'file:/example.com/', false, 'file:///example.com/', 'file:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'gopher:/example.com/', false, 'gopher:/example.com/', 'gopher:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'ws:/example.com/', false, 'ws://example.com/', 'ws:', '', '', 'example.com', '', '/', '', '', 'ws://example.com' },
  { 'wss:/example.com/', false, 'wss://example.com/', 'wss:', '', '', 'example.com', '', '/', '', '', 'wss://example.com' },
  { 'data:/example.com/', false, 'data:/example.com/', 'data:', '', '', '', '', '/example.com/', '', '', 'null' },
  { 'http:example.com/', false, 'http://example.com/', 'http:', '', '', 'example.com', '', '/', '', '', 'http://example.com' },
  { 'ftp:example.com/', false, 'ftp://example.com/', 'ftp:', '', '', 'example.com', '', '/', '', '', 'ftp://example.com' },
  { 'https:example.com/', false, 'https://example.com/', 'https:', '', '', 'example.com', '', '/', '', '', 'https://example.com' },
  { 'ftps:example.com/', false, 'ftps:example.com/', 'ftps:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'ws:example.com/', false, 'ws://example.com/', 'ws:', '', '', 'example.com', '', '/', '', '', 'ws://example.com' },
  { 'wss:example.com/', false, 'wss://example.com/', 'wss:', '', '', 'example.com', '', '/', '', '', 'wss://example.com' },
  { 'javascript:example.com/', false, 'javascript:example.com/', 'javascript:', '', '', '', '', 'example.com/', '', '', 'null' },
  { 'https://example.com/aaa/bbb/%2e%2e?query', false, 'https://example.com/aaa/?query', 'https:', '', '', 'example.com', '', '/aaa/', '?query', '', 'https://example.com' },
  { 'http:@www.example.com', false, 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http:/@www.example.com', false, 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http://@www.example.com', false, 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http:a:b@www.example.com', false, 'http://a:b@www.example.com/', 'http:', 'a', 'b', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http:/a:b@www.example.com', false, 'http://a:b@www.example.com/', 'http:', 'a', 'b', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http://a:b@www.example.com', false, 'http://a:b@www.example.com/', 'http:', 'a', 'b', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http://@pple.com', false, 'http://pple.com/', 'http:', '', '', 'pple.com', '', '/', '', '', 'http://pple.com' },
  { 'http::b@www.example.com', false, 'http://:b@www.example.com/', 'http:', '', 'b', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http:/:b@www.example.com', false, 'http://:b@www.example.com/', 'http:', '', 'b', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http://:b@www.example.com', false, 'http://:b@www.example.com/', 'http:', '', 'b', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http:/:@/www.example.com', false, false },
  { 'http://user@/www.example.com', false, false },
  { 'http:@/www.example.com', false, false },
  { 'http:/@/www.example.com', false, false },
  { 'http://@/www.example.com', false, false },
  { 'https:@/www.example.com', false, false },
  { 'http:a:b@/www.example.com', false, false },
  { 'http:/a:b@/www.example.com', false, false },
  { 'http://a:b@/www.example.com', false, false },
  { 'http::@/www.example.com', false, false },
  { 'http:a:@www.example.com', false, 'http://a@www.example.com/', 'http:', 'a', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http:/a:@www.example.com', false, 'http://a@www.example.com/', 'http:', 'a', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http://a:@www.example.com', false, 'http://a@www.example.com/', 'http:', 'a', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'http://www.@pple.com', false, 'http://www.@pple.com/', 'http:', 'www.', '', 'pple.com', '', '/', '', '', 'http://pple.com' },
  { 'http:@:www.example.com', false, false },
  { 'http:/@:www.example.com', false, false },
  { 'http://@:www.example.com', false, false },
  { 'http://:@www.example.com', false, 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { '/', 'http://www.example.com/test', 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { '/test.txt', 'http://www.example.com/test', 'http://www.example.com/test.txt', 'http:', '', '', 'www.example.com', '', '/test.txt', '', '', 'http://www.example.com' },
  { '.', 'http://www.example.com/test', 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { '..', 'http://www.example.com/test', 'http://www.example.com/', 'http:', '', '', 'www.example.com', '', '/', '', '', 'http://www.example.com' },
  { 'test.txt', 'http://www.example.com/test', 'http://www.example.com/test.txt', 'http:', '', '', 'www.example.com', '', '/test.txt', '', '', 'http://www.example.com' },
  { './test.txt', 'http://www.example.com/test', 'http://www.example.com/test.txt', 'http:', '', '', 'www.example.com', '', '/test.txt', '', '', 'http://www.example.com' },
  { '../test.txt', 'http://www.example.com/test', 'http://www.example.com/test.txt', 'http:', '', '', 'www.example.com', '', '/test.txt', '', '', 'http://www.example.com' },
  { '../aaa/test.txt', 'http://www.example.com/test', 'http://www.example.com/aaa/test.txt', 'http:', '', '', 'www.example.com', '', '/aaa/test.txt', '', '', 'http://www.example.com' },
  { '../../test.txt', 'http://www.example.com/test', 'http://www.example.com/test.txt', 'http:', '', '', 'www.example.com', '', '/test.txt', '', '', 'http://www.example.com' },
  { 'http://www.example2.com', 'http://www.example.com/test', 'http://www.example2.com/', 'http:', '', '', 'www.example2.com', '', '/', '', '', 'http://www.example2.com' },
  { '//www.example2.com', 'http://www.example.com/test', 'http://www.example2.com/', 'http:', '', '', 'www.example2.com', '', '/', '', '', 'http://www.example2.com' },
  { 'file:...', 'http://www.example.com/test', 'file:///...', 'file:', '', '', '', '', '/...', '', '', 'null' },
  { 'file:..', 'http://www.example.com/test', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { 'file:a', 'http://www.example.com/test', 'file:///a', 'file:', '', '', '', '', '/a', '', '', 'null' },
  { 'file:.', false, 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { 'file:.', 'http://www.example.com/test', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { 'http://ExAmPlE.CoM', 'http://other.com/', 'http://example.com/', 'http:', '', '', 'example.com', '', '/', '', '', 'http://example.com' },
  { 'http://[]', 'http://other.com/', false },
  { 'http://[:]', 'http://other.com/', false },
  { '\000\027\004\018 http://example.com/\031 \r ', false, 'http://example.com/', 'http:', '', '', 'example.com', '', '/', '', '', 'http://example.com' },
  { 'non-special:opaque  ', false, 'non-special:opaque', 'non-special:', '', '', '', '', 'opaque', '', '', 'null' },
  { 'non-special:opaque  x?hi', false, 'non-special:opaque  x?hi', 'non-special:', '', '', '', '', 'opaque  x', '?hi', '', 'null' },
  { 'http://%ef%b7%90zyx.com', 'http://other.com/', false },
  { 'https://%EF%BF%BD', false, false },
  { 'http://%ef%bc%85%ef%bc%94%ef%bc%91.com', 'http://other.com/', false },
  { 'http://%ef%bc%85%ef%bc%90%ef%bc%90.com', 'http://other.com/', false },
  { 'http://hello%00', 'http://other.com/', false },
  { 'http://%30%78%63%30%2e%30%32%35%30.01', 'http://other.com/', 'http://192.168.0.1/', 'http:', '', '', '192.168.0.1', '', '/', '', '', 'http://192.168.0.1' },
  { 'http://%30%78%63%30%2e%30%32%35%30.01%2e', 'http://other.com/', 'http://192.168.0.1/', 'http:', '', '', '192.168.0.1', '', '/', '', '', 'http://192.168.0.1' },
  { 'http://192.168.0.257', 'http://other.com/', false },
  { 'http://%3g%78%63%30%2e%30%32%35%30%2E.01', 'http://other.com/', false },
  { 'https://x x:12', false, false },
  { 'http://./', false, 'http://./', 'http:', '', '', '.', '', '/', '', '', 'http://.' },
  { 'http://../', false, 'http://../', 'http:', '', '', '..', '', '/', '', '', 'http://..' },
  { 'http://[www.google.com]/', false, false },
  { 'http://[google.com]', 'http://other.com/', false },
  { 'http://[::1.2.3.4x]', 'http://other.com/', false },
  { 'http://[::1.2.3.]', 'http://other.com/', false },
  { 'http://[::1.2.]', 'http://other.com/', false },
  { 'http://[::.1]', 'http://other.com/', false },
  { 'http://[::%31]', 'http://other.com/', false },
  { 'http://%5B::1]', 'http://other.com/', false },
  { '#', 'test:test?test', 'test:test?test#', 'test:', '', '', '', '', 'test', '?test', '', 'null' },
  { 'https://@test@test@example:800/', 'http://doesnotmatter/', 'https://%40test%40test@example:800/', 'https:', '%40test%40test', '', 'example', '800', '/', '', '', 'https://example:800' },
  { 'https://@@@example', 'http://doesnotmatter/', 'https://%40%40@example/', 'https:', '%40%40', '', 'example', '', '/', '', '', 'https://example' },
  { 'http://`{}:`{}@h/`{}?`{}', 'http://doesnotmatter/', 'http://%60%7B%7D:%60%7B%7D@h/%60%7B%7D?`{}', 'http:', '%60%7B%7D', '%60%7B%7D', 'h', '', '/%60%7B%7D', '?`{}', '', 'http://h' },
  { 'http://host/?\'', false, 'http://host/?%27', 'http:', '', '', 'host', '', '/', '?%27', '', 'http://host' },
  { '/some/path', 'http://user@example.org/smth', 'http://user@example.org/some/path', 'http:', 'user', '', 'example.org', '', '/some/path', '', '', 'http://example.org' },
  { '', 'http://user:pass@example.org:21/smth', 'http://user:pass@example.org:21/smth', 'http:', 'user', 'pass', 'example.org', '21', '/smth', '', '', 'http://example.org:21' },
  { '/some/path', 'http://user:pass@example.org:21/smth', 'http://user:pass@example.org:21/some/path', 'http:', 'user', 'pass', 'example.org', '21', '/some/path', '', '', 'http://example.org:21' },
  { 'i', 'sc:sd/sd', false },
  { 'i', 'sc:/pa/pa', 'sc:/pa/i', 'sc:', '', '', '', '', '/pa/i', '', '', 'null' },
  { 'i', 'sc://ho/pa', 'sc://ho/i', 'sc:', '', '', 'ho', '', '/i', '', '', 'null' },
  { '../i', 'sc:sd/sd', false },
  { '/i', 'sc:///pa/pa', 'sc:///i', 'sc:', '', '', '', '', '/i', '', '', 'null' },
  { '?i', 'sc:sd', false },
  { '?i', 'sc://ho/pa', 'sc://ho/pa?i', 'sc:', '', '', 'ho', '', '/pa', '?i', '', 'null' },
  { '#i', 'sc:sd', 'sc:sd#i', 'sc:', '', '', '', '', 'sd', '', '#i', 'null' },
  { '#i', 'sc:sd/sd', 'sc:sd/sd#i', 'sc:', '', '', '', '', 'sd/sd', '', '#i', 'null' },
  { '#i', 'sc:/pa/pa', 'sc:/pa/pa#i', 'sc:', '', '', '', '', '/pa/pa', '', '#i', 'null' },
  { 'data:/../', false, 'data:/', 'data:', '', '', '', '', '/', '', '', 'null' },
  { 'javascript:/../', false, 'javascript:/', 'javascript:', '', '', '', '', '/', '', '', 'null' },
  { 'mailto:/../', false, 'mailto:/', 'mailto:', '', '', '', '', '/', '', '', 'null' },
  { 'sc://%/', false, 'sc://%/', 'sc:', '', '', '%', '', '/', '', '', 'null' },
  { 'sc://@/', false, false },
  { 'sc://te@s:t@/', false, false },
  { 'sc://:/', false, false },
  { 'sc://:12/', false, false },
  { 'sc://a\000b/', false, false },
  { 'sc://a b/', false, false },
  { 'sc://a<b', false, false },
  { 'sc://a>b', false, false },
  { 'sc://a[b/', false, false },
  { 'sc://a\\b/', false, false },
  { 'sc://a]b/', false, false },
  { 'sc://a^b', false, false },
  { 'sc://a|b/', false, false },
  { 'foo://ho\nst/', false, 'foo://host/', 'foo:', '', '', 'host', '', '/', '', '', 'null' },
  { 'http://a\000b/', false, false },
  { 'http://a\001b/', false, false },
  { 'http://a\002b/', false, false },
  { 'http://a\003b/', false, false },
  { 'http://a\004b/', false, false },
  { 'http://a\005b/', false, false },
  { 'http://a\006b/', false, false },
  { 'http://a\007b/', false, false },
  { 'http://a\008b/', false, false },
  { 'http://a\011b/', false, false },
  { 'http://a\012b/', false, false },
  { 'http://a\014b/', false, false },
  { 'http://a\015b/', false, false },
  { 'http://a\016b/', false, false },
  { 'http://a\017b/', false, false },
  { 'http://a\018b/', false, false },
  { 'http://a\019b/', false, false },
  { 'http://a\020b/', false, false },
  { 'http://a\021b/', false, false },
  { 'http://a\022b/', false, false },
  { 'http://a\023b/', false, false },
  { 'http://a\024b/', false, false },
  { 'http://a\025b/', false, false },
  { 'http://a\026b/', false, false },
  { 'http://a\027b/', false, false },
  { 'http://a\028b/', false, false },
  { 'http://a\029b/', false, false },
  { 'http://a\030b/', false, false },
  { 'http://a\031b/', false, false },
  { 'http://a b/', false, false },
  { 'http://a%b/', false, false },
  { 'http://a<b', false, false },
  { 'http://a>b', false, false },
  { 'http://a[b/', false, false },
  { 'http://a]b/', false, false },
  { 'http://a^b', false, false },
  { 'http://a|b/', false, false },
  { 'http://a\127b/', false, false },
  { 'http://ho\tst/', false, 'http://host/', 'http:', '', '', 'host', '', '/', '', '', 'http://host' },
  { 'http://ho\nst/', false, 'http://host/', 'http:', '', '', 'host', '', '/', '', '', 'http://host' },
  { 'http://ho\rst/', false, 'http://host/', 'http:', '', '', 'host', '', '/', '', '', 'http://host' },
  { 'http://ho%00st/', false, false },
  { 'http://ho%01st/', false, false },
  { 'http://ho%02st/', false, false },
  { 'http://ho%03st/', false, false },
  { 'http://ho%04st/', false, false },
  { 'http://ho%05st/', false, false },
  { 'http://ho%06st/', false, false },
  { 'http://ho%07st/', false, false },
  { 'http://ho%08st/', false, false },
  { 'http://ho%09st/', false, false },
  { 'http://ho%0Ast/', false, false },
  { 'http://ho%0Bst/', false, false },
  { 'http://ho%0Cst/', false, false },
  { 'http://ho%0Dst/', false, false },
  { 'http://ho%0Est/', false, false },
  { 'http://ho%0Fst/', false, false },
  { 'http://ho%10st/', false, false },
  { 'http://ho%11st/', false, false },
  { 'http://ho%12st/', false, false },
  { 'http://ho%13st/', false, false },
  { 'http://ho%14st/', false, false },
  { 'http://ho%15st/', false, false },
  { 'http://ho%16st/', false, false },
  { 'http://ho%17st/', false, false },
  { 'http://ho%18st/', false, false },
  { 'http://ho%19st/', false, false },
  { 'http://ho%1Ast/', false, false },
  { 'http://ho%1Bst/', false, false },
  { 'http://ho%1Cst/', false, false },
  { 'http://ho%1Dst/', false, false },
  { 'http://ho%1Est/', false, false },
  { 'http://ho%1Fst/', false, false },
  { 'http://ho%20st/', false, false },
  { 'http://ho%23st/', false, false },
  { 'http://ho%25st/', false, false },
  { 'http://ho%2Fst/', false, false },
  { 'http://ho%3Ast/', false, false },
  { 'http://ho%3Cst/', false, false },
  { 'http://ho%3Est/', false, false },
  { 'http://ho%3Fst/', false, false },
  { 'http://ho%40st/', false, false },
  { 'http://ho%5Bst/', false, false },
  { 'http://ho%5Cst/', false, false },
  { 'http://ho%5Dst/', false, false },
  { 'http://ho%7Cst/', false, false },
  { 'http://ho%7Fst/', false, false },
  { 'http://!"$&\'()*+,-.;=_`{}~/', false, 'http://!"$&\'()*+,-.;=_`{}~/', 'http:', '', '', '!"$&\'()*+,-.;=_`{}~', '', '/', '', '', 'http://!"$&\'()*+,-.;=_`{}~' },
  { 'ftp://example.com%80/', false, false },
  { 'ftp://example.com%A0/', false, false },
  { 'https://example.com%80/', false, false },
  { 'https://example.com%A0/', false, false },
  { 'ftp://%e2%98%83', false, 'ftp://xn--n3h/', 'ftp:', '', '', 'xn--n3h', '', '/', '', '', 'ftp://xn--n3h' },
  { 'https://%e2%98%83', false, 'https://xn--n3h/', 'https:', '', '', 'xn--n3h', '', '/', '', '', 'https://xn--n3h' },
  { 'http://127.0.0.1:10100/relative_import.html', false, 'http://127.0.0.1:10100/relative_import.html', 'http:', '', '', '127.0.0.1', '10100', '/relative_import.html', '', '', 'http://127.0.0.1:10100' },
  { 'http://facebook.com/?foo=%7B%22abc%22', false, 'http://facebook.com/?foo=%7B%22abc%22', 'http:', '', '', 'facebook.com', '', '/', '?foo=%7B%22abc%22', '', 'http://facebook.com' },
  { 'https://localhost:3000/jqueryui@1.2.3', false, 'https://localhost:3000/jqueryui@1.2.3', 'https:', '', '', 'localhost', '3000', '/jqueryui@1.2.3', '', '', 'https://localhost:3000' },
  { 'h\tt\nt\rp://h\to\ns\rt:9\t0\n0\r0/p\ta\nt\rh?q\tu\ne\rry#f\tr\na\rg', false, 'http://host:9000/path?query#frag', 'http:', '', '', 'host', '9000', '/path', '?query', '#frag', 'http://host:9000' },
  { '?a=b&c=d', 'http://example.org/foo/bar', 'http://example.org/foo/bar?a=b&c=d', 'http:', '', '', 'example.org', '', '/foo/bar', '?a=b&c=d', '', 'http://example.org' },
  { '??a=b&c=d', 'http://example.org/foo/bar', 'http://example.org/foo/bar??a=b&c=d', 'http:', '', '', 'example.org', '', '/foo/bar', '??a=b&c=d', '', 'http://example.org' },
  { 'http:', 'http://example.org/foo/bar', 'http://example.org/foo/bar', 'http:', '', '', 'example.org', '', '/foo/bar', '', '', 'http://example.org' },
  { 'http:', 'https://example.org/foo/bar', false },
  { 'sc:', 'https://example.org/foo/bar', 'sc:', 'sc:', '', '', '', '', '', '', '', 'null' },
  { 'http://foo.bar/baz?qux#foo\008bar', false, 'http://foo.bar/baz?qux#foo%08bar', 'http:', '', '', 'foo.bar', '', '/baz', '?qux', '#foo%08bar', 'http://foo.bar' },
  { 'http://foo.bar/baz?qux#foo"bar', false, 'http://foo.bar/baz?qux#foo%22bar', 'http:', '', '', 'foo.bar', '', '/baz', '?qux', '#foo%22bar', 'http://foo.bar' },
  { 'http://foo.bar/baz?qux#foo<bar', false, 'http://foo.bar/baz?qux#foo%3Cbar', 'http:', '', '', 'foo.bar', '', '/baz', '?qux', '#foo%3Cbar', 'http://foo.bar' },
  { 'http://foo.bar/baz?qux#foo>bar', false, 'http://foo.bar/baz?qux#foo%3Ebar', 'http:', '', '', 'foo.bar', '', '/baz', '?qux', '#foo%3Ebar', 'http://foo.bar' },
  { 'http://foo.bar/baz?qux#foo`bar', false, 'http://foo.bar/baz?qux#foo%60bar', 'http:', '', '', 'foo.bar', '', '/baz', '?qux', '#foo%60bar', 'http://foo.bar' },
  { 'http://1.2.3.4/', 'http://other.com/', 'http://1.2.3.4/', 'http:', '', '', '1.2.3.4', '', '/', '', '', 'http://1.2.3.4' },
  { 'http://1.2.3.4./', 'http://other.com/', 'http://1.2.3.4/', 'http:', '', '', '1.2.3.4', '', '/', '', '', 'http://1.2.3.4' },
  { 'http://192.168.257', 'http://other.com/', 'http://192.168.1.1/', 'http:', '', '', '192.168.1.1', '', '/', '', '', 'http://192.168.1.1' },
  { 'http://192.168.257.', 'http://other.com/', 'http://192.168.1.1/', 'http:', '', '', '192.168.1.1', '', '/', '', '', 'http://192.168.1.1' },
  { 'http://192.168.257.com', 'http://other.com/', 'http://192.168.257.com/', 'http:', '', '', '192.168.257.com', '', '/', '', '', 'http://192.168.257.com' },
  { 'http://256', 'http://other.com/', 'http://0.0.1.0/', 'http:', '', '', '0.0.1.0', '', '/', '', '', 'http://0.0.1.0' },
  { 'http://256.com', 'http://other.com/', 'http://256.com/', 'http:', '', '', '256.com', '', '/', '', '', 'http://256.com' },
  { 'http://999999999', 'http://other.com/', 'http://59.154.201.255/', 'http:', '', '', '59.154.201.255', '', '/', '', '', 'http://59.154.201.255' },
  { 'http://999999999.', 'http://other.com/', 'http://59.154.201.255/', 'http:', '', '', '59.154.201.255', '', '/', '', '', 'http://59.154.201.255' },
  { 'http://999999999.com', 'http://other.com/', 'http://999999999.com/', 'http:', '', '', '999999999.com', '', '/', '', '', 'http://999999999.com' },
  { 'http://10000000000', 'http://other.com/', false },
  { 'http://10000000000.com', 'http://other.com/', 'http://10000000000.com/', 'http:', '', '', '10000000000.com', '', '/', '', '', 'http://10000000000.com' },
  { 'http://4294967295', 'http://other.com/', 'http://255.255.255.255/', 'http:', '', '', '255.255.255.255', '', '/', '', '', 'http://255.255.255.255' },
  { 'http://18446744073709551616', 'http://other.com/', false },
  { 'http://18446744075840258049', 'http://other.com/', false },
  { 'http://0xffffffff', 'http://other.com/', 'http://255.255.255.255/', 'http:', '', '', '255.255.255.255', '', '/', '', '', 'http://255.255.255.255' },
  { 'http://256.256.256.256', 'http://other.com/', false },
  { 'https://0x.0x.0', false, 'https://0.0.0.0/', 'https:', '', '', '0.0.0.0', '', '/', '', '', 'https://0.0.0.0' },
  { 'https://0x.0x.0x.0x', false, 'https://0.0.0.0/', 'https:', '', '', '0.0.0.0', '', '/', '', '', 'https://0.0.0.0' },
  { 'https://00.00.00.00', false, 'https://0.0.0.0/', 'https:', '', '', '0.0.0.0', '', '/', '', '', 'https://0.0.0.0' },
  { 'https://0000000000000000000000000000000000000000177.0.0.1', false, 'https://127.0.0.1/', 'https:', '', '', '127.0.0.1', '', '/', '', '', 'https://127.0.0.1' },
  { 'https://0x100000000/test', false, false },
  { 'https://256.0.0.1/test', false, false },
  { 'file:///C%3A/', false, 'file:///C%3A/', 'file:', '', '', '', '', '/C%3A/', '', '', 'null' },
  { 'file:///C%7C/', false, 'file:///C%7C/', 'file:', '', '', '', '', '/C%7C/', '', '', 'null' },
  { 'file://%43%3A', false, false },
  { 'file://%43%7C', false, false },
  { 'file://%43|', false, false },
  { 'file://C%7C', false, false },
  { 'file://%43%7C/', false, false },
  { 'https://%43%7C/', false, false },
  { 'asdf://%43|/', false, false },
  { 'asdf://%43%7C/', false, 'asdf://%43%7C/', 'asdf:', '', '', '%43%7C', '', '/', '', '', 'null' },
  { 'pix/submit.gif', 'file:///C:/Users/Domenic/Dropbox/GitHub/tmpvar/jsdom/test/level2/html/files/anchor.html', 'file:///C:/Users/Domenic/Dropbox/GitHub/tmpvar/jsdom/test/level2/html/files/pix/submit.gif', 'file:', '', '', '', '', '/C:/Users/Domenic/Dropbox/GitHub/tmpvar/jsdom/test/level2/html/files/pix/submit.gif', '', '', 'null' },
  { '..', 'file:///C:/', 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { '..', 'file:///', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '/', 'file:///C:/a/b', 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { '/', 'file://h/C:/a/b', 'file://h/C:/', 'file:', '', '', 'h', '', '/C:/', '', '', 'null' },
  { '/', 'file://h/a/b', 'file://h/', 'file:', '', '', 'h', '', '/', '', '', 'null' },
  { '//d:', 'file:///C:/a/b', 'file:///d:', 'file:', '', '', '', '', '/d:', '', '', 'null' },
  { '//d:/..', 'file:///C:/a/b', 'file:///d:/', 'file:', '', '', '', '', '/d:/', '', '', 'null' },
  { '..', 'file:///ab:/', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '..', 'file:///1:/', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '', 'file:///test?test#test', 'file:///test?test', 'file:', '', '', '', '', '/test', '?test', '', 'null' },
  { 'file:', 'file:///test?test#test', 'file:///test?test', 'file:', '', '', '', '', '/test', '?test', '', 'null' },
  { '?x', 'file:///test?test#test', 'file:///test?x', 'file:', '', '', '', '', '/test', '?x', '', 'null' },
  { 'file:?x', 'file:///test?test#test', 'file:///test?x', 'file:', '', '', '', '', '/test', '?x', '', 'null' },
  { '#x', 'file:///test?test#test', 'file:///test?test#x', 'file:', '', '', '', '', '/test', '?test', '#x', 'null' },
  { 'file:#x', 'file:///test?test#test', 'file:///test?test#x', 'file:', '', '', '', '', '/test', '?test', '#x', 'null' },
  { 'file:\\\\//', false, 'file:////', 'file:', '', '', '', '', '//', '', '', 'null' },
  { 'file:\\\\\\\\', false, 'file:////', 'file:', '', '', '', '', '//', '', '', 'null' },
  { 'file:\\\\\\\\?fox', false, 'file:////?fox', 'file:', '', '', '', '', '//', '?fox', '', 'null' },
  { 'file:\\\\\\\\#guppy', false, 'file:////#guppy', 'file:', '', '', '', '', '//', '', '#guppy', 'null' },
  { 'file://spider///', false, 'file://spider///', 'file:', '', '', 'spider', '', '///', '', '', 'null' },
  { 'file:\\\\localhost//', false, 'file:////', 'file:', '', '', '', '', '//', '', '', 'null' },
  { 'file:///localhost//cat', false, 'file:///localhost//cat', 'file:', '', '', '', '', '/localhost//cat', '', '', 'null' },
  { 'file://\\/localhost//cat', false, 'file:////localhost//cat', 'file:', '', '', '', '', '//localhost//cat', '', '', 'null' },
  { 'file://localhost//a//../..//', false, 'file://///', 'file:', '', '', '', '', '///', '', '', 'null' },
  { '/////mouse', 'file:///elephant', 'file://///mouse', 'file:', '', '', '', '', '///mouse', '', '', 'null' },
  { '\\//pig', 'file://lion/', 'file:///pig', 'file:', '', '', '', '', '/pig', '', '', 'null' },
  { '\\/localhost//pig', 'file://lion/', 'file:////pig', 'file:', '', '', '', '', '//pig', '', '', 'null' },
  { '//localhost//pig', 'file://lion/', 'file:////pig', 'file:', '', '', '', '', '//pig', '', '', 'null' },
  { '/..//localhost//pig', 'file://lion/', 'file://lion//localhost//pig', 'file:', '', '', 'lion', '', '//localhost//pig', '', '', 'null' },
  { 'file://', 'file://ape/', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '/rooibos', 'file://tea/', 'file://tea/rooibos', 'file:', '', '', 'tea', '', '/rooibos', '', '', 'null' },
  { '/?chai', 'file://tea/', 'file://tea/?chai', 'file:', '', '', 'tea', '', '/', '?chai', '', 'null' },
  { 'C|', 'file://host/dir/file', 'file://host/C:', 'file:', '', '', 'host', '', '/C:', '', '', 'null' },
  { 'C|', 'file://host/D:/dir1/dir2/file', 'file://host/C:', 'file:', '', '', 'host', '', '/C:', '', '', 'null' },
  { 'C|#', 'file://host/dir/file', 'file://host/C:#', 'file:', '', '', 'host', '', '/C:', '', '', 'null' },
  { 'C|?', 'file://host/dir/file', 'file://host/C:?', 'file:', '', '', 'host', '', '/C:', '', '', 'null' },
  { 'C|/', 'file://host/dir/file', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { 'C|\n/', 'file://host/dir/file', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { 'C|\\', 'file://host/dir/file', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { 'C', 'file://host/dir/file', 'file://host/dir/C', 'file:', '', '', 'host', '', '/dir/C', '', '', 'null' },
  { 'C|a', 'file://host/dir/file', 'file://host/dir/C|a', 'file:', '', '', 'host', '', '/dir/C|a', '', '', 'null' },
  { '/c:/foo/bar', 'file:///c:/baz/qux', 'file:///c:/foo/bar', 'file:', '', '', '', '', '/c:/foo/bar', '', '', 'null' },
  { '/c|/foo/bar', 'file:///c:/baz/qux', 'file:///c:/foo/bar', 'file:', '', '', '', '', '/c:/foo/bar', '', '', 'null' },
  { 'file:\\c:\\foo\\bar', 'file:///c:/baz/qux', 'file:///c:/foo/bar', 'file:', '', '', '', '', '/c:/foo/bar', '', '', 'null' },
  { '/c:/foo/bar', 'file://host/path', 'file://host/c:/foo/bar', 'file:', '', '', 'host', '', '/c:/foo/bar', '', '', 'null' },
  { '..', 'abc://x/y/z/C:/', 'abc://x/y/z/', 'abc:', '', '', 'x', '', '/y/z/', '', '', 'null' },
  { '..', 'file://x/C:/', 'file://x/C:/', 'file:', '', '', 'x', '', '/C:/', '', '', 'null' },
  { 'file://example.net/C:/', false, 'file://example.net/C:/', 'file:', '', '', 'example.net', '', '/C:/', '', '', 'null' },
  { 'file://1.2.3.4/C:/', false, 'file://1.2.3.4/C:/', 'file:', '', '', '1.2.3.4', '', '/C:/', '', '', 'null' },
  { 'file://[1::8]/C:/', false, 'file://[1::8]/C:/', 'file:', '', '', '[1::8]', '', '/C:/', '', '', 'null' },
  { 'C|/', 'file://host/', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { '/C:/', 'file://host/', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { 'file:C:/', 'file://host/', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { 'file:/C:/', 'file://host/', 'file://host/C:/', 'file:', '', '', 'host', '', '/C:/', '', '', 'null' },
  { '//C:/', 'file://host/', 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { 'file://C:/', 'file://host/', 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { '///C:/', 'file://host/', 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { 'file:///C:/', 'file://host/', 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { 'file:/C|/', false, 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { 'file://C|/', false, 'file:///C:/', 'file:', '', '', '', '', '/C:/', '', '', 'null' },
  { 'file:', false, 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { 'file:?q=v', false, 'file:///?q=v', 'file:', '', '', '', '', '/', '?q=v', '', 'null' },
  { 'file:#frag', false, 'file:///#frag', 'file:', '', '', '', '', '/', '', '#frag', 'null' },
  { 'file:///Y:', false, 'file:///Y:', 'file:', '', '', '', '', '/Y:', '', '', 'null' },
  { 'file:///Y:/', false, 'file:///Y:/', 'file:', '', '', '', '', '/Y:/', '', '', 'null' },
  { 'file:///./Y', false, 'file:///Y', 'file:', '', '', '', '', '/Y', '', '', 'null' },
  { 'file:///./Y:', false, 'file:///Y:', 'file:', '', '', '', '', '/Y:', '', '', 'null' },
  { '\\\\\\.\\Y:', false, false },
  { 'file:///y:', false, 'file:///y:', 'file:', '', '', '', '', '/y:', '', '', 'null' },
  { 'file:///y:/', false, 'file:///y:/', 'file:', '', '', '', '', '/y:/', '', '', 'null' },
  { 'file:///./y', false, 'file:///y', 'file:', '', '', '', '', '/y', '', '', 'null' },
  { 'file:///./y:', false, 'file:///y:', 'file:', '', '', '', '', '/y:', '', '', 'null' },
  { '\\\\\\.\\y:', false, false },
  { 'file://localhost//a//../..//foo', false, 'file://///foo', 'file:', '', '', '', '', '///foo', '', '', 'null' },
  { 'file://localhost////foo', false, 'file://////foo', 'file:', '', '', '', '', '////foo', '', '', 'null' },
  { 'file:////foo', false, 'file:////foo', 'file:', '', '', '', '', '//foo', '', '', 'null' },
  { 'file:///one/two', 'file:///', 'file:///one/two', 'file:', '', '', '', '', '/one/two', '', '', 'null' },
  { 'file:////one/two', 'file:///', 'file:////one/two', 'file:', '', '', '', '', '//one/two', '', '', 'null' },
  { '//one/two', 'file:///', 'file://one/two', 'file:', '', '', 'one', '', '/two', '', '', 'null' },
  { '///one/two', 'file:///', 'file:///one/two', 'file:', '', '', '', '', '/one/two', '', '', 'null' },
  { '////one/two', 'file:///', 'file:////one/two', 'file:', '', '', '', '', '//one/two', '', '', 'null' },
  { 'file:///.//', 'file:////', 'file:////', 'file:', '', '', '', '', '//', '', '', 'null' },
  { 'file:.//p', false, 'file:////p', 'file:', '', '', '', '', '//p', '', '', 'null' },
  { 'file:/.//p', false, 'file:////p', 'file:', '', '', '', '', '//p', '', '', 'null' },
  { 'http://[1:0::]', 'http://example.net/', 'http://[1::]/', 'http:', '', '', '[1::]', '', '/', '', '', 'http://[1::]' },
  { 'http://[0:1:2:3:4:5:6:7:8]', 'http://example.net/', false },
  { 'https://[0::0::0]', false, false },
  { 'https://[0:.0]', false, false },
  { 'https://[0:0:]', false, false },
  { 'https://[0:1:2:3:4:5:6:7.0.0.0.1]', false, false },
  { 'https://[0:1.00.0.0.0]', false, false },
  { 'https://[0:1.290.0.0.0]', false, false },
  { 'https://[0:1.23.23]', false, false },
  { 'http://?', false, false },
  { 'http://#', false, false },
  { 'http://f:4294967377/c', 'http://example.org/', false },
  { 'http://f:18446744073709551697/c', 'http://example.org/', false },
  { 'sc://?', false, 'sc://?', 'sc:', '', '', '', '', '', '', '', 'null' },
  { 'sc://#', false, 'sc://#', 'sc:', '', '', '', '', '', '', '', 'null' },
  { '///', 'sc://x/', 'sc:///', 'sc:', '', '', '', '', '/', '', '', 'null' },
  { '////', 'sc://x/', 'sc:////', 'sc:', '', '', '', '', '//', '', '', 'null' },
  { '////x/', 'sc://x/', 'sc:////x/', 'sc:', '', '', '', '', '//x/', '', '', 'null' },
  { 'tftp://foobar.com/someconfig;mode=netascii', false, 'tftp://foobar.com/someconfig;mode=netascii', 'tftp:', '', '', 'foobar.com', '', '/someconfig;mode=netascii', '', '', 'null' },
  { 'telnet://user:pass@foobar.com:23/', false, 'telnet://user:pass@foobar.com:23/', 'telnet:', 'user', 'pass', 'foobar.com', '23', '/', '', '', 'null' },
  { 'ut2004://10.10.10.10:7777/Index.ut2', false, 'ut2004://10.10.10.10:7777/Index.ut2', 'ut2004:', '', '', '10.10.10.10', '7777', '/Index.ut2', '', '', 'null' },
  { 'git://github.com/foo/bar.git', false, 'git://github.com/foo/bar.git', 'git:', '', '', 'github.com', '', '/foo/bar.git', '', '', 'null' },
  { 'ldap://localhost:389/ou=People,o=JNDITutorial', false, 'ldap://localhost:389/ou=People,o=JNDITutorial', 'ldap:', '', '', 'localhost', '389', '/ou=People,o=JNDITutorial', '', '', 'null' },
  { 'git+https://github.com/foo/bar', false, 'git+https://github.com/foo/bar', 'git+https:', '', '', 'github.com', '', '/foo/bar', '', '', 'null' },
  { 'urn:ietf:rfc:2648', false, 'urn:ietf:rfc:2648', 'urn:', '', '', '', '', 'ietf:rfc:2648', '', '', 'null' },
  { 'non-spec:/.//', false, 'non-spec:/.//', 'non-spec:', '', '', '', '', '//', '', '', 'null' },
  { 'non-spec:/..//path', false, 'non-spec:/.//path', 'non-spec:', '', '', '', '', '//path', '', '', 'null' },
  { '..//path', 'non-spec:/p', 'non-spec:/.//path', 'non-spec:', '', '', '', '', '//path', '', '', 'null' },
  { '', 'non-spec:/..//p', 'non-spec:/.//p', 'non-spec:', '', '', '', '', '//p', '', '', 'null' },
  { '../path', 'non-spec:/.//p', 'non-spec:/path', 'non-spec:', '', '', '', '', '/path', '', '', 'null' },
  { 'non-special://H%4fSt/path', false, 'non-special://H%4fSt/path', 'non-special:', '', '', 'H%4fSt', '', '/path', '', '', 'null' },
  { 'non-special://[1:2:0:0:5:0:0:0]/', false, 'non-special://[1:2:0:0:5::]/', 'non-special:', '', '', '[1:2:0:0:5::]', '', '/', '', '', 'null' },
  { 'non-special://[:80/', false, false },
  { 'blob:https://example.com:443/', false, 'blob:https://example.com:443/', 'blob:', '', '', '', '', 'https://example.com:443/', '', '', 'https://example.com' },
  { 'blob:http://example.org:88/', false, 'blob:http://example.org:88/', 'blob:', '', '', '', '', 'http://example.org:88/', '', '', 'http://example.org:88' },
  { 'blob:d3958f5c-0777-0845-9dcf-2cb28783acaf', false, 'blob:d3958f5c-0777-0845-9dcf-2cb28783acaf', 'blob:', '', '', '', '', 'd3958f5c-0777-0845-9dcf-2cb28783acaf', '', '', 'null' },
  { 'blob:', false, 'blob:', 'blob:', '', '', '', '', '', '', '', 'null' },
  { 'blob:blob:', false, 'blob:blob:', 'blob:', '', '', '', '', 'blob:', '', '', 'null' },
  { 'blob:blob:https://example.org/', false, 'blob:blob:https://example.org/', 'blob:', '', '', '', '', 'blob:https://example.org/', '', '', 'null' },
  { 'blob:about:blank', false, 'blob:about:blank', 'blob:', '', '', '', '', 'about:blank', '', '', 'null' },
  { 'blob:file://host/path', false, 'blob:file://host/path', 'blob:', '', '', '', '', 'file://host/path', '', '', 'null' },
  { 'blob:ftp://host/path', false, 'blob:ftp://host/path', 'blob:', '', '', '', '', 'ftp://host/path', '', '', 'null' },
  { 'blob:ws://example.org/', false, 'blob:ws://example.org/', 'blob:', '', '', '', '', 'ws://example.org/', '', '', 'null' },
  { 'blob:wss://example.org/', false, 'blob:wss://example.org/', 'blob:', '', '', '', '', 'wss://example.org/', '', '', 'null' },
  { 'blob:http%3a//example.org/', false, 'blob:http%3a//example.org/', 'blob:', '', '', '', '', 'http%3a//example.org/', '', '', 'null' },
  { 'http://0x7f.0.0.0x7g', false, 'http://0x7f.0.0.0x7g/', 'http:', '', '', '0x7f.0.0.0x7g', '', '/', '', '', 'http://0x7f.0.0.0x7g' },
  { 'http://0X7F.0.0.0X7G', false, 'http://0x7f.0.0.0x7g/', 'http:', '', '', '0x7f.0.0.0x7g', '', '/', '', '', 'http://0x7f.0.0.0x7g' },
  { 'http://[::127.0.0.0.1]', false, false },
  { 'http://[0:1:0:1:0:1:0:1]', false, 'http://[0:1:0:1:0:1:0:1]/', 'http:', '', '', '[0:1:0:1:0:1:0:1]', '', '/', '', '', 'http://[0:1:0:1:0:1:0:1]' },
  { 'http://[1:0:1:0:1:0:1:0]', false, 'http://[1:0:1:0:1:0:1:0]/', 'http:', '', '', '[1:0:1:0:1:0:1:0]', '', '/', '', '', 'http://[1:0:1:0:1:0:1:0]' },
  { 'http://example.org/test?"', false, 'http://example.org/test?%22', 'http:', '', '', 'example.org', '', '/test', '?%22', '', 'http://example.org' },
  { 'http://example.org/test?#', false, 'http://example.org/test?#', 'http:', '', '', 'example.org', '', '/test', '', '', 'http://example.org' },
  { 'http://example.org/test?<', false, 'http://example.org/test?%3C', 'http:', '', '', 'example.org', '', '/test', '?%3C', '', 'http://example.org' },
  { 'http://example.org/test?>', false, 'http://example.org/test?%3E', 'http:', '', '', 'example.org', '', '/test', '?%3E', '', 'http://example.org' },
  { 'http://example.org/test?%23%23', false, 'http://example.org/test?%23%23', 'http:', '', '', 'example.org', '', '/test', '?%23%23', '', 'http://example.org' },
  { 'http://example.org/test?%GH', false, 'http://example.org/test?%GH', 'http:', '', '', 'example.org', '', '/test', '?%GH', '', 'http://example.org' },
  { 'http://example.org/test?a#%EF', false, 'http://example.org/test?a#%EF', 'http:', '', '', 'example.org', '', '/test', '?a', '#%EF', 'http://example.org' },
  { 'http://example.org/test?a#%GH', false, 'http://example.org/test?a#%GH', 'http:', '', '', 'example.org', '', '/test', '?a', '#%GH', 'http://example.org' },
  { 'a', false, false },
  { 'a/', false, false },
  { 'a//', false, false },
  { 'test-a-colon.html', 'a:', false },
  { 'test-a-colon-slash.html', 'a:/', 'a:/test-a-colon-slash.html', 'a:', '', '', '', '', '/test-a-colon-slash.html', '', '', 'null' },
  { 'test-a-colon-slash-slash-b.html', 'a://b', 'a://b/test-a-colon-slash-slash-b.html', 'a:', '', '', 'b', '', '/test-a-colon-slash-slash-b.html', '', '', 'null' },
  { 'http://example.org/test?a#b\000c', false, 'http://example.org/test?a#b%00c', 'http:', '', '', 'example.org', '', '/test', '?a', '#b%00c', 'http://example.org' },
  { 'non-spec://example.org/test?a#b\000c', false, 'non-spec://example.org/test?a#b%00c', 'non-spec:', '', '', 'example.org', '', '/test', '?a', '#b%00c', 'null' },
  { 'non-spec:/test?a#b\000c', false, 'non-spec:/test?a#b%00c', 'non-spec:', '', '', '', '', '/test', '?a', '#b%00c', 'null' },
  { '10.0.0.7:8080/foo.html', 'file:///some/dir/bar.html', 'file:///some/dir/10.0.0.7:8080/foo.html', 'file:', '', '', '', '', '/some/dir/10.0.0.7:8080/foo.html', '', '', 'null' },
  { 'a!@$*=/foo.html', 'file:///some/dir/bar.html', 'file:///some/dir/a!@$*=/foo.html', 'file:', '', '', '', '', '/some/dir/a!@$*=/foo.html', '', '', 'null' },
  { 'file://%C2%AD/p', false, false },
  { '#link', 'https://example.org/##link', 'https://example.org/#link', 'https:', '', '', 'example.org', '', '/', '', '#link', 'https://example.org' },
  { 'non-special:cannot-be-a-base-url-!"$%&\'()*+,-.;<=>@[\\]^_`{|}~@/', false, 'non-special:cannot-be-a-base-url-!"$%&\'()*+,-.;<=>@[\\]^_`{|}~@/', 'non-special:', '', '', '', '', 'cannot-be-a-base-url-!"$%&\'()*+,-.;<=>@[\\]^_`{|}~@/', '', '', 'null' },
  { 'https://www.example.com/path{\127path.html?query\'\127=query#fragment<\127fragment', false, 'https://www.example.com/path%7B%7Fpath.html?query%27%7F=query#fragment%3C%7Ffragment', 'https:', '', '', 'www.example.com', '', '/path%7B%7Fpath.html', '?query%27%7F=query', '#fragment%3C%7Ffragment', 'https://www.example.com' },
  { 'https://user:pass[\127@foo/bar', 'http://example.org', 'https://user:pass%5B%7F@foo/bar', 'https:', 'user', 'pass%5B%7F', 'foo', '', '/bar', '', '', 'https://foo' },
  { 'wss:// !"$%&\'()*+,-.;<=>@[]^_`{|}~@host/', false, 'wss://%20!%22$%&\'()*+,-.%3B%3C%3D%3E%40%5B%5D%5E_%60%7B%7C%7D~@host/', 'wss:', '%20!%22$%&\'()*+,-.%3B%3C%3D%3E%40%5B%5D%5E_%60%7B%7C%7D~', '', 'host', '', '/', '', '', 'wss://host' },
  { 'wss://joe: !"$%&\'()*+,-.:;<=>@[]^_`{|}~@host/', false, 'wss://joe:%20!%22$%&\'()*+,-.%3A%3B%3C%3D%3E%40%5B%5D%5E_%60%7B%7C%7D~@host/', 'wss:', 'joe', '%20!%22$%&\'()*+,-.%3A%3B%3C%3D%3E%40%5B%5D%5E_%60%7B%7C%7D~', 'host', '', '/', '', '', 'wss://host' },
  { 'wss://!"$&\'()*+,-.;=_`{}~/', false, 'wss://!"$&\'()*+,-.;=_`{}~/', 'wss:', '', '', '!"$&\'()*+,-.;=_`{}~', '', '/', '', '', 'wss://!"$&\'()*+,-.;=_`{}~' },
  { 'foo://host/dir/? !"$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', false, 'foo://host/dir/?%20!%22$%&\'()*+,-./:;%3C=%3E?@[\\]^_`{|}~', 'foo:', '', '', 'host', '', '/dir/', '?%20!%22$%&\'()*+,-./:;%3C=%3E?@[\\]^_`{|}~', '', 'null' },
  { 'wss://host/dir/? !"$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', false, 'wss://host/dir/?%20!%22$%&%27()*+,-./:;%3C=%3E?@[\\]^_`{|}~', 'wss:', '', '', 'host', '', '/dir/', '?%20!%22$%&%27()*+,-./:;%3C=%3E?@[\\]^_`{|}~', '', 'wss://host' },
  { 'wss://host/dir/# !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', false, 'wss://host/dir/#%20!%22#$%&\'()*+,-./:;%3C=%3E?@[\\]^_%60{|}~', 'wss:', '', '', 'host', '', '/dir/', '', '#%20!%22#$%&\'()*+,-./:;%3C=%3E?@[\\]^_%60{|}~', 'wss://host' },
  { 'abc:/rooted', 'abc://host/path', 'abc:/rooted', 'abc:', '', '', '', '', '/rooted', '', '', 'null' },
  { '#', false, false },
  { '?', false, false },
  { 'http://1.2.3.4.5', 'http://other.com/', false },
  { 'http://1.2.3.4.5.', 'http://other.com/', false },
  { 'http://0..0x300/', false, false },
  { 'http://0..0x300./', false, false },
  { 'http://256.256.256.256.256.', 'http://other.com/', false },
  { 'http://1.2.3.08', false, false },
  { 'http://1.2.3.08.', false, false },
  { 'http://1.2.3.09', false, false },
  { 'http://09.2.3.4', false, false },
  { 'http://09.2.3.4.', false, false },
  { 'http://01.2.3.4.5', false, false },
  { 'http://01.2.3.4.5.', false, false },
  { 'http://0x100.2.3.4', false, false },
  { 'http://0x100.2.3.4.', false, false },
  { 'http://0x1.2.3.4.5', false, false },
  { 'http://0x1.2.3.4.5.', false, false },
  { 'http://foo.1.2.3.4', false, false },
  { 'http://foo.1.2.3.4.', false, false },
  { 'http://foo.2.3.4', false, false },
  { 'http://foo.2.3.4.', false, false },
  { 'http://foo.09', false, false },
  { 'http://foo.09.', false, false },
  { 'http://foo.0x4', false, false },
  { 'http://foo.0x4.', false, false },
  { 'http://foo.09..', false, 'http://foo.09../', 'http:', '', '', 'foo.09..', '', '/', '', '', 'http://foo.09..' },
  { 'http://0999999999999999999/', false, false },
  { 'http://foo.0x', false, false },
  { 'http://foo.0XFfFfFfFfFfFfFfFfFfAcE123', false, false },
  { 'https://\000y', false, false },
  { 'https://x/\000y', false, 'https://x/%00y', 'https:', '', '', 'x', '', '/%00y', '', '', 'https://x' },
  { 'https://x/?\000y', false, 'https://x/?%00y', 'https:', '', '', 'x', '', '/', '?%00y', '', 'https://x' },
  { 'https://x/?#\000y', false, 'https://x/?#%00y', 'https:', '', '', 'x', '', '/', '', '#%00y', 'https://x' },
  { 'non-special:\000y', false, 'non-special:%00y', 'non-special:', '', '', '', '', '%00y', '', '', 'null' },
  { 'non-special:x/\000y', false, 'non-special:x/%00y', 'non-special:', '', '', '', '', 'x/%00y', '', '', 'null' },
  { 'non-special:x/?#\000y', false, 'non-special:x/?#%00y', 'non-special:', '', '', '', '', 'x/', '', '#%00y', 'null' },
  { '', false, false },
  { 'https://example.com/"quoted"', false, 'https://example.com/%22quoted%22', 'https:', '', '', 'example.com', '', '/%22quoted%22', '', '', 'https://example.com' },
  { 'https://%C2%AD/', false, false },
  { 'data://example.com:8080/pathname?search#hash', false, 'data://example.com:8080/pathname?search#hash', 'data:', '', '', 'example.com', '8080', '/pathname', '?search', '#hash', 'null' },
  { 'data:///test', false, 'data:///test', 'data:', '', '', '', '', '/test', '', '', 'null' },
  { 'data://:443', false, false },
  { 'data://test:test', false, false },
  { 'data://[:1]', false, false },
  { 'javascript:///test', false, 'javascript:///test', 'javascript:', '', '', '', '', '/test', '', '', 'null' },
  { 'javascript://test/a/../b', false, 'javascript://test/b', 'javascript:', '', '', 'test', '', '/b', '', '', 'null' },
  { 'javascript://:443', false, false },
  { 'javascript://test:test', false, false },
  { 'javascript://[:1]', false, false },
  { 'mailto://example.com:8080/pathname?search#hash', false, 'mailto://example.com:8080/pathname?search#hash', 'mailto:', '', '', 'example.com', '8080', '/pathname', '?search', '#hash', 'null' },
  { 'mailto://:443', false, false },
  { 'mailto://test:test', false, false },
  { 'mailto://[:1]', false, false },
  { 'intent://example.com:8080/pathname?search#hash', false, 'intent://example.com:8080/pathname?search#hash', 'intent:', '', '', 'example.com', '8080', '/pathname', '?search', '#hash', 'null' },
  { 'intent:///test', false, 'intent:///test', 'intent:', '', '', '', '', '/test', '', '', 'null' },
  { 'intent://:443', false, false },
  { 'intent://test:test', false, false },
  { 'intent://[:1]', false, false },
  { 'urn://test/a/../b', false, 'urn://test/b', 'urn:', '', '', 'test', '', '/b', '', '', 'null' },
  { 'urn://:443', false, false },
  { 'urn://test:test', false, false },
  { 'urn://[:1]', false, false },
  { 'turn://test/a/../b', false, 'turn://test/b', 'turn:', '', '', 'test', '', '/b', '', '', 'null' },
  { 'turn://:443', false, false },
  { 'turn://test:test', false, false },
  { 'turn://[:1]', false, false },
  { 'stun:///test', false, 'stun:///test', 'stun:', '', '', '', '', '/test', '', '', 'null' },
  { 'stun://:443', false, false },
  { 'stun://test:test', false, false },
  { 'stun://[:1]', false, false },
  { 'w://x:0', false, 'w://x:0', 'w:', '', '', 'x', '0', '', '', '', 'null' },
  { 'west://x:0', false, 'west://x:0', 'west:', '', '', 'x', '0', '', '', '', 'null' },
  { 'drivefs://x:0/a', false, 'drivefs://x:0/a', 'drivefs:', '', '', 'x', '0', '/a', '', '', 'null' },
  { 'android-app://x:0', false, 'android-app://x:0', 'android-app:', '', '', 'x', '0', '', '', '', 'null' },
  { 'chrome-distiller://x:0', false, 'chrome-distiller://x:0', 'chrome-distiller:', '', '', 'x', '0', '', '', '', 'null' },
  { 'chrome-extension://x:0', false, 'chrome-extension://x:0', 'chrome-extension:', '', '', 'x', '0', '', '', '', 'null' },
  { 'isolated-app://x:0', false, 'isolated-app://x:0', 'isolated-app:', '', '', 'x', '0', '', '', '', 'null' },
  { '///test', 'http://example.org/', 'http://test/', 'http:', '', '', 'test', '', '/', '', '', 'http://test' },
  { '///\\//\\//test', 'http://example.org/', 'http://test/', 'http:', '', '', 'test', '', '/', '', '', 'http://test' },
  { '///example.org/path', 'http://example.org/', 'http://example.org/path', 'http:', '', '', 'example.org', '', '/path', '', '', 'http://example.org' },
  { '///example.org/../path', 'http://example.org/', 'http://example.org/path', 'http:', '', '', 'example.org', '', '/path', '', '', 'http://example.org' },
  { '///example.org/../../', 'http://example.org/', 'http://example.org/', 'http:', '', '', 'example.org', '', '/', '', '', 'http://example.org' },
  { '///example.org/../path/../../', 'http://example.org/', 'http://example.org/', 'http:', '', '', 'example.org', '', '/', '', '', 'http://example.org' },
  { '///example.org/../path/../../path', 'http://example.org/', 'http://example.org/path', 'http:', '', '', 'example.org', '', '/path', '', '', 'http://example.org' },
  { '/\\/\\//example.org/../path', 'http://example.org/', 'http://example.org/path', 'http:', '', '', 'example.org', '', '/path', '', '', 'http://example.org' },
  { '///abcdef/../', 'file:///', 'file:///', 'file:', '', '', '', '', '/', '', '', 'null' },
  { '/\\//\\/a/../', 'file:///', 'file://////', 'file:', '', '', '', '', '////', '', '', 'null' },
  { '//a/../', 'file:///', 'file://a/', 'file:', '', '', 'a', '', '/', '', '', 'null' },
  { 'non-special:\\\\opaque/path', false, 'non-special:\\\\opaque/path', 'non-special:', '', '', '', '', '\\\\opaque/path', '', '', 'null' },
  { 'non-special:\\\\opaque\\path', false, 'non-special:\\\\opaque\\path', 'non-special:', '', '', '', '', '\\\\opaque\\path', '', '', 'null' },
  { 'non-special:\\/opaque', false, 'non-special:\\/opaque', 'non-special:', '', '', '', '', '\\/opaque', '', '', 'null' },
  { 'non-special://host\\a', false, false },
  { '\\/a', 'foo://foo/a', 'foo://foo/\\/a', 'foo:', '', '', 'foo', '', '/\\/a', '', '', 'null' },
  { 'about:blank#<foo> <bar>', false, 'about:blank#%3Cfoo%3E%20%3Cbar%3E', 'about:', '', '', '', '', 'blank', '', '#%3Cfoo%3E%20%3Cbar%3E', 'null' },
}

local PROPS = { 'href', 'protocol', 'username', 'password', 'hostname', 'port', 'pathname',
  'search', 'hash', 'origin' }

t.test('URL:new parses as the WHATWG standard does (web platform test rows)', function()
  local failures = {}
  for _, row in ipairs(PARSE_ROWS) do
    local input, base = row[1], row[2] or nil
    local ok, u = pcall(URL.new, URL, input, base)
    local label = show(input) .. (base and (' against ' .. show(base)) or '')
    if row[3] == false then
      if ok then
        failures[#failures + 1] = label .. ': expected Invalid URL, got ' .. show(u.href)
      elseif type(u) ~= 'table' or u.code ~= 'ERR_INVALID_URL' then
        failures[#failures + 1] = label .. ': raised ' .. tostring(u)
      end
      if URL.canParse(input, base) then failures[#failures + 1] = label .. ': canParse is true' end
    elseif not ok then
      failures[#failures + 1] = label .. ': raised ' .. tostring(u)
    else
      for i, p in ipairs(PROPS) do
        local want = row[i + 2]
        if u[p] ~= want then
          failures[#failures + 1] = ('%s: %s is %s, expected %s'):format(label, p, show(u[p]), show(want))
        end
      end
      local host = row[7] .. (row[8] ~= '' and (':' .. row[8]) or '')
      if u.host ~= host then failures[#failures + 1] = label .. ': host is ' .. show(u.host) end
      if not URL.canParse(input, base) then failures[#failures + 1] = label .. ': canParse is false' end
      -- The href parses back to itself.
      local again = URL:new(u.href)
      if again.href ~= u.href then failures[#failures + 1] = label .. ': href does not parse back' end
    end
  end
  check(failures)
  print(('# %d parser rows'):format(#PARSE_ROWS))
end)

t.test('the examples of the brief and of Node\'s documentation', function()
  local u = URL:new('https://user:pass@sub.example.com:8080/p/a/t/h?query=string#hash')
  t.eq(u.href, 'https://user:pass@sub.example.com:8080/p/a/t/h?query=string#hash')
  t.eq(u.protocol, 'https:')
  t.eq(u.username, 'user')
  t.eq(u.password, 'pass')
  t.eq(u.host, 'sub.example.com:8080')
  t.eq(u.hostname, 'sub.example.com')
  t.eq(u.port, '8080')
  t.eq(u.pathname, '/p/a/t/h')
  t.eq(u.search, '?query=string')
  t.eq(u.hash, '#hash')
  t.eq(u.origin, 'https://sub.example.com:8080')
  t.eq(u:toString(), u.href)
  t.eq(u:toJSON(), u.href)
  t.eq(tostring(u), u.href)
  t.eq('<' .. u .. '>', '<' .. u.href .. '>')
  t.eq(URL:new('http://a:80/').port, '')
  t.eq(URL:new('HTTP://EXAMPLE.COM:80/').href, 'http://example.com/')
  t.eq(URL:new('http://0x7f.1/').hostname, '127.0.0.1')
  t.eq(URL:new('http://0177.0.0.1/').hostname, '127.0.0.1')
  t.eq(URL:new('http://2130706433/').hostname, '127.0.0.1')
  t.eq(URL:new('http://[0:0:0:0:0:0:0:1]/').host, '[::1]')
  t.eq(URL:new('http://[1:0:0:2::3:0]/').host, '[1::2:0:0:3:0]')
  t.eq(URL:new('http://[::ffff:192.168.0.1]/').host, '[::ffff:c0a8:1]')
  t.eq(URL:new('http:\\\\host\\a\\b').href, 'http://host/a/b')
  t.eq(URL:new('http://h/a/./b/../c/%2e%2E/d').pathname, '/a/d')
  t.eq(URL:new('  \t http://h/\na\tb \0').href, 'http://h/ab')
  t.eq(URL:new('../x', 'http://h/a/b/c').href, 'http://h/a/x')
  t.eq(URL:new('?q', 'http://h/a/b?z#f').href, 'http://h/a/b?q')
  t.eq(URL:new('#h', 'http://h/a/b?z#f').href, 'http://h/a/b?z#h')
  t.eq(URL:new('//other/p', 'https://h/a/b').href, 'https://other/p')
  t.eq(URL:new('mailto:x@y.z').pathname, 'x@y.z')
  t.eq(URL:new('mailto:x@y.z').origin, 'null')
  t.eq(URL:new('data:text/plain,hi there').href, 'data:text/plain,hi there')
  t.eq(URL:new('blob:https://example.com:443/uuid').origin, 'https://example.com')
  t.eq(URL:new('blob:file:///x').origin, 'null')
  t.eq(URL:new('file:///C:/a/../../b').href, 'file:///C:/b')
  t.eq(URL:new('http://h/?a b&c=\'d\'').search, '?a%20b&c=%27d%27')
  t.eq(URL:new('sc://h/?a b&c=\'d\'').search, "?a%20b&c='d'")
  t.eq(URL:new('http://h/#a b<>`').hash, '#a%20b%3C%3E%60')
  t.eq(URL:new('http://a b:c@h/').href, 'http://a%20b:c@h/')
  t.eq(URL:new('http://h/{}|').pathname, '/%7B%7D|')
  t.eq(URL:new(URL:new('http://h/x')).href, 'http://h/x')
  t.eq(URL:new('y', URL:new('http://h/x')).href, 'http://h/y')
end)

t.test('invalid URLs raise ERR_INVALID_URL with the input', function()
  for _, input in ipairs({ '', 'nope', 'http://', 'http://a b/', 'http://[::1/', 'http://1.2.3.4.5/',
    'http://256.0.0.1/', 'http://h:65536/', 'http://h:x/', 'http://user@/', 'sc://:80/' }) do
    local e = t.raises(function() URL:new(input) end, 'ERR_INVALID_URL')
    t.eq(e.name, 'TypeError')
    t.eq(e.message, 'Invalid URL')
    t.eq(e.input, input)
    t.eq(tostring(e), 'TypeError [ERR_INVALID_URL]: Invalid URL')
    t.eq(URL.canParse(input), false)
    t.eq(URL.parse(input), nil)
  end
  local e = t.raises(function() URL:new('x', 'not a base') end, 'ERR_INVALID_URL')
  t.eq(e.input, 'x')
  t.eq(e.base, 'not a base')
  t.raises(function() URL:new('x', 'mailto:y') end, 'ERR_INVALID_URL')
  t.eq(URL.canParse('x', 'http://h/'), true)
  t.eq(URL.parse('x', 'http://h/').href, 'http://h/x')
end)

t.test('wrong argument types', function()
  t.raises(function() URL:new() end, 'ERR_MISSING_ARGS')
  t.raises(function() URL:new(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URL:new({}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URL:new('http://h/', 5) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URL.canParse() end, 'ERR_MISSING_ARGS')
  t.raises(function() URL.toString({}) end, 'ERR_INVALID_THIS')
  t.raises(function() URL.initialize({}, 'http://h/') end, 'ERR_INVALID_THIS')
  local u = URL:new('http://h/')
  t.raises(function() u.pathname = {} end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() u.href = 'nope' end, 'ERR_INVALID_URL')
  t.eq(u.href, 'http://h/')
  t.raises(function() url.parse(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() url.format(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() url.resolve('a', nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() url.fileURLToPath(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() url.pathToFileURL(nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() url.domainToASCII(1) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URLSearchParams:new(5) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URLSearchParams:new({ { 'a' } }) end, 'ERR_INVALID_TUPLE')
  t.raises(function() URLSearchParams:new({ a = {} }) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URLSearchParams:new():append('a') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() URLSearchParams.get({}, 'a') end, 'ERR_INVALID_THIS')
  t.raises(function() URLSearchParams:new():forEach(1) end, 'ERR_INVALID_ARG_TYPE')
end)

-- { property, href, new value, href after, property after }
local SETTER_ROWS = {
  { 'protocol', 'a://example.net', '', 'a://example.net', 'a:' },
  { 'protocol', 'a://example.net', 'b', 'b://example.net', 'b:' },
  { 'protocol', 'javascript:alert(1)', 'defuse', 'defuse:alert(1)', 'defuse:' },
  { 'protocol', 'a://example.net', 'B', 'b://example.net', 'b:' },
  { 'protocol', 'a://example.net', '0b', 'a://example.net', 'a:' },
  { 'protocol', 'a://example.net', '+b', 'a://example.net', 'a:' },
  { 'protocol', 'a://example.net', 'bC0+-.', 'bc0+-.://example.net', 'bc0+-.:' },
  { 'protocol', 'a://example.net', 'b,c', 'a://example.net', 'a:' },
  { 'protocol', 'http://test@example.net', 'file', 'http://test@example.net/', 'http:' },
  { 'protocol', 'https://example.net:1234', 'file', 'https://example.net:1234/', 'https:' },
  { 'protocol', 'wss://x:x@example.net:1234', 'file', 'wss://x:x@example.net:1234/', 'wss:' },
  { 'protocol', 'file://localhost/', 'http', 'file:///', 'file:' },
  { 'protocol', 'file:///test', 'https', 'file:///test', 'file:' },
  { 'protocol', 'file:', 'wss', 'file:///', 'file:' },
  { 'protocol', 'http://example.net', 'b', 'http://example.net/', 'http:' },
  { 'protocol', 'file://hi/path', 's', 'file://hi/path', 'file:' },
  { 'protocol', 'https://example.net', 's', 'https://example.net/', 'https:' },
  { 'protocol', 'ftp://example.net', 'test', 'ftp://example.net/', 'ftp:' },
  { 'protocol', 'mailto:me@example.net', 'http', 'mailto:me@example.net', 'mailto:' },
  { 'protocol', 'ssh://me@example.net', 'http', 'ssh://me@example.net', 'ssh:' },
  { 'protocol', 'ssh://me@example.net', 'https', 'ssh://me@example.net', 'ssh:' },
  { 'protocol', 'ssh://me@example.net', 'file', 'ssh://me@example.net', 'ssh:' },
  { 'protocol', 'ssh://example.net', 'file', 'ssh://example.net', 'ssh:' },
  { 'protocol', 'nonsense:///test', 'https', 'nonsense:///test', 'nonsense:' },
  { 'protocol', 'http://example.net', 'https:foo : bar', 'https://example.net/', 'https:' },
  { 'protocol', 'data:text/html,<p>Test', 'view-source+data:foo : bar', 'view-source+data:text/html,<p>Test', 'view-source+data:' },
  { 'protocol', 'http://foo.com:443/', 'https', 'https://foo.com/', 'https:' },
  { 'protocol', 'http://test/', 'h\r\ntt\tps', 'https://test/', 'https:' },
  { 'protocol', 'http://test/', 'https\r', 'https://test/', 'https:' },
  { 'protocol', 'http://test/', 'https\000', 'http://test/', 'http:' },
  { 'protocol', 'http://test/', 'https\012', 'http://test/', 'http:' },
  { 'protocol', 'http://test/', 'https\014', 'http://test/', 'http:' },
  { 'protocol', 'http://test/', 'https ', 'http://test/', 'http:' },
  { 'username', 'file:///home/you/index.html', 'me', 'file:///home/you/index.html', '' },
  { 'username', 'unix:/run/foo.socket', 'me', 'unix:/run/foo.socket', '' },
  { 'username', 'mailto:you@example.net', 'me', 'mailto:you@example.net', '' },
  { 'username', 'javascript:alert(1)', 'wario', 'javascript:alert(1)', '' },
  { 'username', 'http://example.net', 'me', 'http://me@example.net/', 'me' },
  { 'username', 'http://:secret@example.net', 'me', 'http://me:secret@example.net/', 'me' },
  { 'username', 'http://me@example.net', '', 'http://example.net/', '' },
  { 'username', 'http://me:secret@example.net', '', 'http://:secret@example.net/', '' },
  { 'username', 'sc:///', 'x', 'sc:///', '' },
  { 'username', 'javascript://x/', 'wario', 'javascript://wario@x/', 'wario' },
  { 'username', 'file://test/', 'test', 'file://test/', '' },
  { 'password', 'file:///home/me/index.html', 'secret', 'file:///home/me/index.html', '' },
  { 'password', 'unix:/run/foo.socket', 'secret', 'unix:/run/foo.socket', '' },
  { 'password', 'mailto:me@example.net', 'secret', 'mailto:me@example.net', '' },
  { 'password', 'http://example.net', 'secret', 'http://:secret@example.net/', 'secret' },
  { 'password', 'http://me@example.net', 'secret', 'http://me:secret@example.net/', 'secret' },
  { 'password', 'http://:secret@example.net', '', 'http://example.net/', '' },
  { 'password', 'http://me:secret@example.net', '', 'http://me@example.net/', '' },
  { 'password', 'sc:///', 'x', 'sc:///', '' },
  { 'password', 'javascript://x/', 'bowser', 'javascript://:bowser@x/', 'bowser' },
  { 'password', 'file://test/', 'test', 'file://test/', '' },
  { 'host', 'sc://x/', '\000', 'sc://x/', 'x' },
  { 'host', 'sc://x/', '\t', 'sc:///', '' },
  { 'host', 'sc://x/', '\n', 'sc:///', '' },
  { 'host', 'sc://x/', '\r', 'sc:///', '' },
  { 'host', 'sc://x/', ' ', 'sc://x/', 'x' },
  { 'host', 'sc://x/', '#', 'sc:///', '' },
  { 'host', 'sc://x/', '/', 'sc:///', '' },
  { 'host', 'sc://x/', '?', 'sc:///', '' },
  { 'host', 'sc://x/', '@', 'sc://x/', 'x' },
  { 'host', 'mailto:me@example.net', 'example.com', 'mailto:me@example.net', '' },
  { 'host', 'data:text/plain,Stuff', 'example.net', 'data:text/plain,Stuff', '' },
  { 'host', 'http://example.net', 'example.com:8080', 'http://example.com:8080/', 'example.com:8080' },
  { 'host', 'http://example.net:8080', 'example.com', 'http://example.com:8080/', 'example.com:8080' },
  { 'host', 'http://example.net:8080', 'example.com:', 'http://example.com:8080/', 'example.com:8080' },
  { 'host', 'http://example.net', '', 'http://example.net/', 'example.net' },
  { 'host', 'view-source+http://example.net/foo', '', 'view-source+http:///foo', '' },
  { 'host', 'a:/foo', 'example.net', 'a://example.net/foo', 'example.net' },
  { 'host', 'http://example.net', '0x7F000001:8080', 'http://127.0.0.1:8080/', '127.0.0.1:8080' },
  { 'host', 'http://example.net', '[::0:01]:2', 'http://[::1]:2/', '[::1]:2' },
  { 'host', 'http://example.net', '[2001:db8::2]:4002', 'http://[2001:db8::2]:4002/', '[2001:db8::2]:4002' },
  { 'host', 'http://example.net', 'example.com:80', 'http://example.com/', 'example.com' },
  { 'host', 'https://example.net', 'example.com:443', 'https://example.com/', 'example.com' },
  { 'host', 'https://example.net', 'example.com:80', 'https://example.com:80/', 'example.com:80' },
  { 'host', 'http://example.net:8080', 'example.com:80', 'http://example.com/', 'example.com' },
  { 'host', 'http://example.net/path', 'example.com/stuff', 'http://example.com/path', 'example.com' },
  { 'host', 'http://example.net/path', 'example.com:8080/stuff', 'http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'http://example.net/path', 'example.com?stuff', 'http://example.com/path', 'example.com' },
  { 'host', 'http://example.net/path', 'example.com?stuff:8080', 'http://example.com/path', 'example.com' },
  { 'host', 'http://example.net/path', 'example.com:8080?stuff', 'http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'http://example.net/path', 'example.com#stuff', 'http://example.com/path', 'example.com' },
  { 'host', 'http://example.net/path', 'example.com:8080#stuff', 'http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'http://example.net/path', 'example.com\\stuff', 'http://example.com/path', 'example.com' },
  { 'host', 'http://example.net/path', 'example.com:8080\\stuff', 'http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'view-source+http://example.net/path', 'example.com\\stuff', 'view-source+http://example.net/path', 'example.net' },
  { 'host', 'view-source+http://example.net/path', 'example.com:8080stuff2', 'view-source+http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'http://example.net/path', 'example.com:8080stuff2', 'http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'http://example.net/path', 'example.com:8080+2', 'http://example.com:8080/path', 'example.com:8080' },
  { 'host', 'http://example.net:8080', 'example.com:invalid', 'http://example.com:8080/', 'example.com:8080' },
  { 'host', 'http://example.net:8080/test', '[::1]:invalid', 'http://[::1]:8080/test', '[::1]:8080' },
  { 'host', 'http://example.net:8080/test', '[::1]', 'http://[::1]:8080/test', '[::1]:8080' },
  { 'host', 'http://example.net/path', 'example.com:65535', 'http://example.com:65535/path', 'example.com:65535' },
  { 'host', 'http://example.net/path', 'example.com:65536', 'http://example.com/path', 'example.com' },
  { 'host', 'http://example.net/', '[google.com]', 'http://example.net/', 'example.net' },
  { 'host', 'http://example.net/', '[::1.2.3.4x]', 'http://example.net/', 'example.net' },
  { 'host', 'http://example.net/', '[::1.2.3.]', 'http://example.net/', 'example.net' },
  { 'host', 'http://example.net/', '[::1.2.]', 'http://example.net/', 'example.net' },
  { 'host', 'http://example.net/', '[::1.]', 'http://example.net/', 'example.net' },
  { 'host', 'file://y/', 'x:123', 'file://y/', 'y' },
  { 'host', 'file://y/', 'loc%41lhost', 'file:///', '' },
  { 'host', 'file://hi/x', '', 'file:///x', '' },
  { 'host', 'sc://test@test/', '', 'sc://test@test/', 'test' },
  { 'host', 'sc://test:12/', '', 'sc://test:12/', 'test:12' },
  { 'host', 'http://example.com/', '///bad.com', 'http://example.com/', 'example.com' },
  { 'host', 'sc://example.com/', '///bad.com', 'sc:///', '' },
  { 'host', 'https://example.com/', '%C2%AD', 'https://example.com/', 'example.com' },
  { 'host', 'https://test.invalid/', '*', 'https://*/', '*' },
  { 'host', 'https://test.invalid/', 'x@x', 'https://test.invalid/', 'test.invalid' },
  { 'host', 'https://test.invalid/', 'foo\t\r\nbar', 'https://foobar/', 'foobar' },
  { 'host', 'https://test.invalid/', '><', 'https://test.invalid/', 'test.invalid' },
  { 'host', 'https://test.invalid/', 'test/@aaa', 'https://test/', 'test' },
  { 'host', 'https://test.invalid/', 'test/:aaa', 'https://test/', 'test' },
  { 'hostname', 'sc://x/', '\000', 'sc://x/', 'x' },
  { 'hostname', 'sc://x/', '\t', 'sc:///', '' },
  { 'hostname', 'sc://x/', '\n', 'sc:///', '' },
  { 'hostname', 'sc://x/', '\r', 'sc:///', '' },
  { 'hostname', 'sc://x/', ' ', 'sc://x/', 'x' },
  { 'hostname', 'sc://x/', '#', 'sc:///', '' },
  { 'hostname', 'sc://x/', '/', 'sc:///', '' },
  { 'hostname', 'sc://x/', '?', 'sc:///', '' },
  { 'hostname', 'sc://x/', '@', 'sc://x/', 'x' },
  { 'hostname', 'mailto:me@example.net', 'example.com', 'mailto:me@example.net', '' },
  { 'hostname', 'data:text/plain,Stuff', 'example.net', 'data:text/plain,Stuff', '' },
  { 'hostname', 'http://example.net:8080', 'example.com', 'http://example.com:8080/', 'example.com' },
  { 'hostname', 'http://example.net', '', 'http://example.net/', 'example.net' },
  { 'hostname', 'view-source+http://example.net/foo', '', 'view-source+http:///foo', '' },
  { 'hostname', 'a:/foo', 'example.net', 'a://example.net/foo', 'example.net' },
  { 'hostname', 'http://example.net:8080', '0x7F000001', 'http://127.0.0.1:8080/', '127.0.0.1' },
  { 'hostname', 'http://example.net', '[::0:01]', 'http://[::1]/', '[::1]' },
  { 'hostname', 'http://example.net/path', 'example.com:8080', 'http://example.net/path', 'example.net' },
  { 'hostname', 'http://example.net:8080/path', 'example.com:', 'http://example.net:8080/path', 'example.net' },
  { 'hostname', 'http://example.net/path', 'example.com/stuff', 'http://example.com/path', 'example.com' },
  { 'hostname', 'http://example.net/path', 'example.com?stuff', 'http://example.com/path', 'example.com' },
  { 'hostname', 'http://example.net/path', 'example.com#stuff', 'http://example.com/path', 'example.com' },
  { 'hostname', 'http://example.net/path', 'example.com\\stuff', 'http://example.com/path', 'example.com' },
  { 'hostname', 'view-source+http://example.net/path', 'example.com\\stuff', 'view-source+http://example.net/path', 'example.net' },
  { 'hostname', 'http://example.net/', '[google.com]', 'http://example.net/', 'example.net' },
  { 'hostname', 'http://example.net/', '[::1.2.3.4x]', 'http://example.net/', 'example.net' },
  { 'hostname', 'http://example.net/', '[::1.2.3.]', 'http://example.net/', 'example.net' },
  { 'hostname', 'http://example.net/', '[::1.2.]', 'http://example.net/', 'example.net' },
  { 'hostname', 'http://example.net/', '[::1.]', 'http://example.net/', 'example.net' },
  { 'hostname', 'file://y/', 'x:123', 'file://y/', 'y' },
  { 'hostname', 'file://y/', 'loc%41lhost', 'file:///', '' },
  { 'hostname', 'file://hi/x', '', 'file:///x', '' },
  { 'hostname', 'sc://test@test/', '', 'sc://test@test/', 'test' },
  { 'hostname', 'sc://test:12/', '', 'sc://test:12/', 'test' },
  { 'hostname', 'non-spec:/.//p', 'h', 'non-spec://h//p', 'h' },
  { 'hostname', 'non-spec:/.//p', '', 'non-spec:////p', '' },
  { 'hostname', 'http://example.com/', '///bad.com', 'http://example.com/', 'example.com' },
  { 'hostname', 'sc://example.com/', '///bad.com', 'sc:///', '' },
  { 'hostname', 'https://example.com/', '%C2%AD', 'https://example.com/', 'example.com' },
  { 'hostname', 'https://test.invalid/', '*', 'https://*/', '*' },
  { 'hostname', 'https://test.invalid/', 'x@x', 'https://test.invalid/', 'test.invalid' },
  { 'hostname', 'https://test.invalid/', 'foo\t\r\nbar', 'https://foobar/', 'foobar' },
  { 'hostname', 'https://test.invalid/', '><', 'https://test.invalid/', 'test.invalid' },
  { 'hostname', 'https://test.invalid/', 'test/@aaa', 'https://test/', 'test' },
  { 'hostname', 'https://test.invalid/', 'test/:aaa', 'https://test/', 'test' },
  { 'port', 'http://example.net', '8080', 'http://example.net:8080/', '8080' },
  { 'port', 'http://example.net:8080', '', 'http://example.net/', '' },
  { 'port', 'http://example.net:8080', '80', 'http://example.net/', '' },
  { 'port', 'https://example.net:4433', '443', 'https://example.net/', '' },
  { 'port', 'https://example.net', '80', 'https://example.net:80/', '80' },
  { 'port', 'http://example.net/path', '8080/stuff', 'http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net/path', '8080?stuff', 'http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net/path', '8080#stuff', 'http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net/path', '8080\\stuff', 'http://example.net:8080/path', '8080' },
  { 'port', 'view-source+http://example.net/path', '8080stuff2', 'view-source+http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net/path', '8080stuff2', 'http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net/path', '8080+2', 'http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net/path', '65535', 'http://example.net:65535/path', '65535' },
  { 'port', 'http://example.net:8080/path', '65536', 'http://example.net:8080/path', '8080' },
  { 'port', 'http://example.net:8080/path', 'randomstring', 'http://example.net:8080/path', '8080' },
  { 'port', 'non-special://example.net:8080/path', '65536', 'non-special://example.net:8080/path', '8080' },
  { 'port', 'file://test/', '12', 'file://test/', '' },
  { 'port', 'file://localhost/', '12', 'file:///', '' },
  { 'port', 'non-base:value', '12', 'non-base:value', '' },
  { 'port', 'sc:///', '12', 'sc:///', '' },
  { 'port', 'sc://x/', '12', 'sc://x:12/', '12' },
  { 'port', 'javascript://x/', '12', 'javascript://x:12/', '12' },
  { 'port', 'https://domain.com:443', '\t8080', 'https://domain.com:8080/', '8080' },
  { 'port', 'wpt++://domain.com:443', '\t8080', 'wpt++://domain.com:8080', '8080' },
  { 'port', 'https://www.google.com:4343', '4wpt', 'https://www.google.com:4/', '4' },
  { 'port', 'https://domain.com:3000', '\n\t80\n\t80\n\t', 'https://domain.com:8080/', '8080' },
  { 'pathname', 'mailto:me@example.net', '/foo', 'mailto:me@example.net', 'me@example.net' },
  { 'pathname', 'data:original', 'new value', 'data:original', 'original' },
  { 'pathname', 'sc:original', 'new value', 'sc:original', 'original' },
  { 'pathname', 'file:///some/path', '', 'file:///', '/' },
  { 'pathname', 'foo://somehost/some/path', '', 'foo://somehost', '' },
  { 'pathname', 'foo:///some/path', '', 'foo://', '' },
  { 'pathname', 'foo:/some/path', '', 'foo:/', '/' },
  { 'pathname', 'foo:/some/path', 'test', 'foo:/test', '/test' },
  { 'pathname', 'unix:/run/foo.socket?timeout=10', '/var/log/../run/bar.socket', 'unix:/var/run/bar.socket?timeout=10', '/var/run/bar.socket' },
  { 'pathname', 'https://example.net#nav', 'home', 'https://example.net/home#nav', '/home' },
  { 'pathname', 'https://example.net#nav', '../home', 'https://example.net/home#nav', '/home' },
  { 'pathname', 'http://example.net/home?lang=fr#nav', '\\a\\%2E\\b\\%2e.\\c', 'http://example.net/a/c?lang=fr#nav', '/a/c' },
  { 'pathname', 'view-source+http://example.net/home?lang=fr#nav', '\\a\\%2E\\b\\%2e.\\c', 'view-source+http://example.net/\\a\\%2E\\b\\%2e.\\c?lang=fr#nav', '/\\a\\%2E\\b\\%2e.\\c' },
  { 'pathname', 'http://example.net', '?', 'http://example.net/%3F', '/%3F' },
  { 'pathname', 'http://example.net', '#', 'http://example.net/%23', '/%23' },
  { 'pathname', 'sc://example.net', '?', 'sc://example.net/%3F', '/%3F' },
  { 'pathname', 'sc://example.net', '#', 'sc://example.net/%23', '/%23' },
  { 'pathname', 'file://monkey/', '\\\\', 'file://monkey//', '//' },
  { 'pathname', 'file:///unicorn', '//\\/', 'file://////', '////' },
  { 'pathname', 'file:///unicorn', '//monkey/..//', 'file://///', '///' },
  { 'pathname', 'non-spec:/', '/.//p', 'non-spec:/.//p', '//p' },
  { 'pathname', 'non-spec:/', '/..//p', 'non-spec:/.//p', '//p' },
  { 'pathname', 'non-spec:/', '//p', 'non-spec:/.//p', '//p' },
  { 'pathname', 'non-spec:/.//', 'p', 'non-spec:/p', '/p' },
  { 'pathname', 'data:/nospace', 'space ', 'data:/space%20', '/space%20' },
  { 'pathname', 'sc:/nospace', 'space ', 'sc:/space%20', '/space%20' },
  { 'pathname', 'http://example.net', ' ', 'http://example.net/%20', '/%20' },
  { 'pathname', 'http://example.net', '\000', 'http://example.net/%00', '/%00' },
  { 'search', 'https://example.net#nav', 'lang=fr', 'https://example.net/?lang=fr#nav', '?lang=fr' },
  { 'search', 'https://example.net?lang=en-US#nav', 'lang=fr', 'https://example.net/?lang=fr#nav', '?lang=fr' },
  { 'search', 'https://example.net?lang=en-US#nav', '?lang=fr', 'https://example.net/?lang=fr#nav', '?lang=fr' },
  { 'search', 'https://example.net?lang=en-US#nav', '??lang=fr', 'https://example.net/??lang=fr#nav', '??lang=fr' },
  { 'search', 'https://example.net?lang=en-US#nav', '?', 'https://example.net/?#nav', '' },
  { 'search', 'https://example.net?lang=en-US#nav', '', 'https://example.net/#nav', '' },
  { 'search', 'https://example.net?lang=en-US', '', 'https://example.net/', '' },
  { 'search', 'https://example.net', '', 'https://example.net/', '' },
  { 'search', 'http://example.net', ' ', 'http://example.net/?%20', '?%20' },
  { 'search', 'http://example.net', '\000', 'http://example.net/?%00', '?%00' },
  { 'hash', 'https://example.net', 'main', 'https://example.net/#main', '#main' },
  { 'hash', 'https://example.net#nav', 'main', 'https://example.net/#main', '#main' },
  { 'hash', 'https://example.net?lang=en-US', '##nav', 'https://example.net/?lang=en-US##nav', '##nav' },
  { 'hash', 'https://example.net?lang=en-US#nav', '#main', 'https://example.net/?lang=en-US#main', '#main' },
  { 'hash', 'https://example.net?lang=en-US#nav', '#', 'https://example.net/?lang=en-US#', '' },
  { 'hash', 'https://example.net?lang=en-US#nav', '', 'https://example.net/?lang=en-US', '' },
  { 'hash', 'http://example.net', '#foo bar', 'http://example.net/#foo%20bar', '#foo%20bar' },
  { 'hash', 'http://example.net', '#foo"bar', 'http://example.net/#foo%22bar', '#foo%22bar' },
  { 'hash', 'http://example.net', '#foo<bar', 'http://example.net/#foo%3Cbar', '#foo%3Cbar' },
  { 'hash', 'http://example.net', '#foo>bar', 'http://example.net/#foo%3Ebar', '#foo%3Ebar' },
  { 'hash', 'http://example.net', '#foo`bar', 'http://example.net/#foo%60bar', '#foo%60bar' },
  { 'hash', 'http://example.net', 'a\000b', 'http://example.net/#a%00b', '#a%00b' },
  { 'hash', 'non-spec:/', 'a\000b', 'non-spec:/#a%00b', '#a%00b' },
  { 'hash', 'javascript:alert(1)', 'castle', 'javascript:alert(1)#castle', '#castle' },
  { 'hash', 'http://example.net', ' ', 'http://example.net/#%20', '#%20' },
  { 'hash', 'http://example.net', '\000', 'http://example.net/#%00', '#%00' },
  { 'hash', 'data:text/plain,test', '#<foo> <bar>', 'data:text/plain,test#%3Cfoo%3E%20%3Cbar%3E', '#%3Cfoo%3E%20%3Cbar%3E' },
  { 'hash', 'about:blank', '#<foo> <bar>', 'about:blank#%3Cfoo%3E%20%3Cbar%3E', '#%3Cfoo%3E%20%3Cbar%3E' },
  { 'href', 'file:///var/log/system.log', 'http://0300.168.0xF0', 'http://192.168.0.240/', 'http://192.168.0.240/' },
}

t.test('setters re-parse as the standard does (web platform test rows)', function()
  local failures = {}
  for _, row in ipairs(SETTER_ROWS) do
    local prop, href, value, wantHref, wantProp = row[1], row[2], row[3], row[4], row[5]
    local u = URL:new(href)
    local ok, err = pcall(function() u[prop] = value end)
    local label = ('%s = %s on %s'):format(prop, show(value), show(href))
    if not ok then
      failures[#failures + 1] = label .. ': raised ' .. tostring(err)
    else
      if u.href ~= wantHref then failures[#failures + 1] = label .. ': href ' .. show(u.href) .. ', expected ' .. show(wantHref) end
      if u[prop] ~= wantProp then failures[#failures + 1] = label .. ': ' .. prop .. ' ' .. show(u[prop]) .. ', expected ' .. show(wantProp) end
    end
  end
  check(failures)
  print(('# %d setter rows'):format(#SETTER_ROWS))
end)

t.test('setters: the examples of Node\'s documentation', function()
  local u = URL:new('https://example.org/abc/xyz?123')
  u.pathname = '/a b/c'
  t.eq(u.href, 'https://example.org/a%20b/c?123')
  u.search = 'x=1'
  t.eq(u.href, 'https://example.org/a%20b/c?x=1')
  u.hash = 'baz'
  t.eq(u.href, 'https://example.org/a%20b/c?x=1#baz')
  u.port = '8080'
  t.eq(u.host, 'example.org:8080')
  u.port = 443
  t.eq(u.port, '')
  u.port = 'abc'
  t.eq(u.port, '')
  u.hostname = 'EXAMPLE.com'
  t.eq(u.href, 'https://example.com/a%20b/c?x=1#baz')
  u.host = 'other.org:81'
  t.eq(u.host, 'other.org:81')
  u.protocol = 'http'
  t.eq(u.href, 'http://other.org:81/a%20b/c?x=1#baz')
  u.protocol = 'mailto'
  t.eq(u.protocol, 'http:')
  u.username = 'us er'
  u.password = 'p@ss'
  t.eq(u.href, 'http://us%20er:p%40ss@other.org:81/a%20b/c?x=1#baz')
  u.href = 'ws://x/y'
  t.eq(u.origin, 'ws://x')
  u.origin = 'http://ignored'
  t.eq(u.origin, 'ws://x')
  u.custom = 5
  t.eq(u.custom, 5)
  -- The leading '?' or '#' is dropped before tabs and newlines are.
  local q = URL:new('http://h/')
  q.search = '\n?x'
  t.eq(q.href, 'http://h/??x')
  q.hash = '\t#y'
  t.eq(q.href, 'http://h/??x##y')
  local f = URL:new('file:///tmp/x')
  f.username = 'no'
  f.port = '1'
  t.eq(f.href, 'file:///tmp/x')
end)

t.test('searchParams writes through to its URL', function()
  local u = URL:new('https://example.org/?a=b c&d=%26')
  local p = u.searchParams
  t.eq(rawequal(p, u.searchParams), true)
  t.eq(p:get('a'), 'b c')
  t.eq(p:get('d'), '&')
  p:append('e', 'f g')
  t.eq(u.search, '?a=b+c&d=%26&e=f+g')
  t.eq(u.href, 'https://example.org/?a=b+c&d=%26&e=f+g')
  p:delete('a')
  t.eq(u.search, '?d=%26&e=f+g')
  p:set('d', 'x')
  t.eq(u.href, 'https://example.org/?d=x&e=f+g')
  u.search = '?z=1'
  t.eq(rawequal(p, u.searchParams), true)
  t.eq(p:get('z'), '1')
  t.eq(p:get('d'), nil)
  u.href = 'http://h/?k=v'
  t.eq(p:get('k'), 'v')
  p:delete('k')
  t.eq(u.href, 'http://h/')
  t.eq(u.search, '')
  u.search = ''
  t.eq(p.size, 0)
  local o = URL:new('sc:opaque  ?q=1')
  o.searchParams:delete('q')
  t.eq(o.href, 'sc:opaque')
  -- Node 20 strips them on any update when there is no fragment.
  o = URL:new('sc:x ?a')
  o.searchParams:append('c', 'd')
  t.eq(o.href, 'sc:x?a=&c=d')
  o = URL:new('sc:x ?a#f')
  o.searchParams:append('c', 'd')
  t.eq(o.href, 'sc:x ?a=&c=d#f')
end)

t.test('URLSearchParams', function()
  local p = URLSearchParams:new('?a=1&b=2&a=3')
  t.eq(p:toString(), 'a=1&b=2&a=3')
  t.eq(p.size, 3)
  t.eq(p:get('a'), '1')
  t.eq(p:get('zz'), nil)
  t.same(p:getAll('a'), { '1', '3' })
  t.same(p:getAll('zz'), {})
  t.eq(p:has('b'), true)
  t.eq(p:has('b', '3'), false)
  t.eq(p:has('a', '3'), true)
  p:delete('a', '1')
  t.eq(p:toString(), 'b=2&a=3')
  p:set('c', 'x y')
  t.eq(p:toString(), 'b=2&a=3&c=x+y')
  p:set('b', 9)
  t.eq(p:toString(), 'b=9&a=3&c=x+y')
  p:append('b', '10')
  p:set('b', 'one')
  t.eq(p:toString(), 'b=one&a=3&c=x+y')
  local names, values = {}, {}
  for name, value in p:entries() do
    names[#names + 1] = name
    values[#values + 1] = value
  end
  t.same(names, { 'b', 'a', 'c' })
  t.same(values, { 'one', '3', 'x y' })
  local keys = {}
  for k in p:keys() do keys[#keys + 1] = k end
  t.same(keys, { 'b', 'a', 'c' })
  local vals = {}
  for v in p:values() do vals[#vals + 1] = v end
  t.same(vals, { 'one', '3', 'x y' })
  local seen = {}
  p:forEach(function(value, name, params)
    seen[#seen + 1] = name .. '=' .. value
    t.eq(params, p)
  end)
  t.same(seen, { 'b=one', 'a=3', 'c=x y' })

  -- sort is stable, by name.
  local s = URLSearchParams:new('z=1&a=2&z=0&a=1&b=')
  s:sort()
  t.eq(s:toString(), 'a=2&a=1&b=&z=1&z=0')

  -- The serializer: space is '+', only *-._ and alphanumerics stay.
  t.eq(URLSearchParams:new({ { 'a b', '~!@#$%^&*()+=' } }):toString(), 'a+b=%7E%21%40%23%24%25%5E%26*%28%29%2B%3D')
  t.eq(URLSearchParams:new({ { 'é', '€' } }):toString(), '%C3%A9=%E2%82%AC')
  t.eq(URLSearchParams:new('a=%zz&b=%E2%82%AC&c=%FF&+=+'):toString(), 'a=%25zz&b=%E2%82%AC&c=%EF%BF%BD&+=+')
  t.eq(URLSearchParams:new('&&a&=b&').toString ~= nil, true)
  t.eq(URLSearchParams:new('&&a&=b&'):toString(), 'a=&=b')

  -- Tables: pairs in order, records by sorted key.
  t.eq(URLSearchParams:new({ { 'b', '1' }, { 'a', '2' } }):toString(), 'b=1&a=2')
  t.eq(URLSearchParams:new({ b = '1', a = 2, c = true }):toString(), 'a=2&b=1&c=true')
  t.eq(URLSearchParams:new({}):toString(), '')
  t.eq(URLSearchParams:new():toString(), '')
  local copy = URLSearchParams:new(p)
  copy:append('n', 'm')
  t.eq(p:has('n'), false)
  t.eq(tostring(copy), 'b=one&a=3&c=x+y&n=m')

  -- The iterators see changes made while they run, as Node's do.
  local live = URLSearchParams:new('a=1&b=2')
  local got = {}
  for k in live:keys() do
    got[#got + 1] = k
    if k == 'a' then live:append('c', '3') end
  end
  t.same(got, { 'a', 'b', 'c' })
end)

-- { input, fields of url.parse(input) that are not nil, parseQueryString, slashesDenoteHost }
local LEGACY_PARSE_ROWS = {
  { '//some_path', { pathname = '//some_path', path = '//some_path', href = '//some_path' } },
  { 'http:\\\\evil-phisher\\foo.html#h\\a\\s\\h', { protocol = 'http:', slashes = true, host = 'evil-phisher', hostname = 'evil-phisher', hash = '#h%5Ca%5Cs%5Ch', pathname = '/foo.html', path = '/foo.html', href = 'http://evil-phisher/foo.html#h%5Ca%5Cs%5Ch' } },
  { 'http:\\\\evil-phisher\\foo.html?json="\\"foo\\""#h\\a\\s\\h', { protocol = 'http:', slashes = true, host = 'evil-phisher', hostname = 'evil-phisher', hash = '#h%5Ca%5Cs%5Ch', search = '?json=%22%5C%22foo%5C%22%22', query = 'json=%22%5C%22foo%5C%22%22', pathname = '/foo.html', path = '/foo.html?json=%22%5C%22foo%5C%22%22', href = 'http://evil-phisher/foo.html?json=%22%5C%22foo%5C%22%22#h%5Ca%5Cs%5Ch' } },
  { 'http:\\\\evil-phisher\\foo.html#h\\a\\s\\h?blarg', { protocol = 'http:', slashes = true, host = 'evil-phisher', hostname = 'evil-phisher', hash = '#h%5Ca%5Cs%5Ch?blarg', pathname = '/foo.html', path = '/foo.html', href = 'http://evil-phisher/foo.html#h%5Ca%5Cs%5Ch?blarg' } },
  { 'http:\\\\evil-phisher\\foo.html', { protocol = 'http:', slashes = true, host = 'evil-phisher', hostname = 'evil-phisher', pathname = '/foo.html', path = '/foo.html', href = 'http://evil-phisher/foo.html' } },
  { 'HTTP://www.example.com/', { protocol = 'http:', slashes = true, host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://www.example.com/' } },
  { 'HTTP://www.example.com', { protocol = 'http:', slashes = true, host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://www.example.com/' } },
  { 'http://www.ExAmPlE.com/', { protocol = 'http:', slashes = true, host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://www.example.com/' } },
  { 'http://user:pw@www.ExAmPlE.com/', { protocol = 'http:', slashes = true, auth = 'user:pw', host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://user:pw@www.example.com/' } },
  { 'http://USER:PW@www.ExAmPlE.com/', { protocol = 'http:', slashes = true, auth = 'USER:PW', host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://USER:PW@www.example.com/' } },
  { 'http://user@www.example.com/', { protocol = 'http:', slashes = true, auth = 'user', host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://user@www.example.com/' } },
  { 'http://user%3Apw@www.example.com/', { protocol = 'http:', slashes = true, auth = 'user:pw', host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://user:pw@www.example.com/' } },
  { 'http://x.com/path?that\'s#all, folks', { protocol = 'http:', slashes = true, host = 'x.com', hostname = 'x.com', hash = '#all,%20folks', search = '?that%27s', query = 'that%27s', pathname = '/path', path = '/path?that%27s', href = 'http://x.com/path?that%27s#all,%20folks' } },
  { 'HTTP://X.COM/Y', { protocol = 'http:', slashes = true, host = 'x.com', hostname = 'x.com', pathname = '/Y', path = '/Y', href = 'http://x.com/Y' } },
  { ' http://www.example.com/', { protocol = 'http:', slashes = true, host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://www.example.com/' } },
  { 'http://x.y.com+a/b/c', { protocol = 'http:', slashes = true, host = 'x.y.com+a', hostname = 'x.y.com+a', pathname = '/b/c', path = '/b/c', href = 'http://x.y.com+a/b/c' } },
  { 'HtTp://x.y.cOm;a/b/c?d=e#f g<h>i', { protocol = 'http:', slashes = true, host = 'x.y.com', hostname = 'x.y.com', hash = '#f%20g%3Ch%3Ei', search = '?d=e', query = 'd=e', pathname = ';a/b/c', path = ';a/b/c?d=e', href = 'http://x.y.com/;a/b/c?d=e#f%20g%3Ch%3Ei' } },
  { 'HtTp://x.y.cOm;A/b/c?d=e#f g<h>i', { protocol = 'http:', slashes = true, host = 'x.y.com', hostname = 'x.y.com', hash = '#f%20g%3Ch%3Ei', search = '?d=e', query = 'd=e', pathname = ';A/b/c', path = ';A/b/c?d=e', href = 'http://x.y.com/;A/b/c?d=e#f%20g%3Ch%3Ei' } },
  { 'http://x...y...#p', { protocol = 'http:', slashes = true, host = 'x...y...', hostname = 'x...y...', hash = '#p', pathname = '/', path = '/', href = 'http://x...y.../#p' } },
  { 'http://x/p/"quoted"', { protocol = 'http:', slashes = true, host = 'x', hostname = 'x', pathname = '/p/%22quoted%22', path = '/p/%22quoted%22', href = 'http://x/p/%22quoted%22' } },
  { '<http://goo.corn/bread> Is a URL!', { pathname = '%3Chttp://goo.corn/bread%3E%20Is%20a%20URL!', path = '%3Chttp://goo.corn/bread%3E%20Is%20a%20URL!', href = '%3Chttp://goo.corn/bread%3E%20Is%20a%20URL!' } },
  { 'http://www.narwhaljs.org/blog/categories?id=news', { protocol = 'http:', slashes = true, host = 'www.narwhaljs.org', hostname = 'www.narwhaljs.org', search = '?id=news', query = 'id=news', pathname = '/blog/categories', path = '/blog/categories?id=news', href = 'http://www.narwhaljs.org/blog/categories?id=news' } },
  { 'http://mt0.google.com/vt/lyrs=m@114&hl=en&src=api&x=2&y=2&z=3&s=', { protocol = 'http:', slashes = true, host = 'mt0.google.com', hostname = 'mt0.google.com', pathname = '/vt/lyrs=m@114&hl=en&src=api&x=2&y=2&z=3&s=', path = '/vt/lyrs=m@114&hl=en&src=api&x=2&y=2&z=3&s=', href = 'http://mt0.google.com/vt/lyrs=m@114&hl=en&src=api&x=2&y=2&z=3&s=' } },
  { 'http://mt0.google.com/vt/lyrs=m@114???&hl=en&src=api&x=2&y=2&z=3&s=', { protocol = 'http:', slashes = true, host = 'mt0.google.com', hostname = 'mt0.google.com', search = '???&hl=en&src=api&x=2&y=2&z=3&s=', query = '??&hl=en&src=api&x=2&y=2&z=3&s=', pathname = '/vt/lyrs=m@114', path = '/vt/lyrs=m@114???&hl=en&src=api&x=2&y=2&z=3&s=', href = 'http://mt0.google.com/vt/lyrs=m@114???&hl=en&src=api&x=2&y=2&z=3&s=' } },
  { 'http://user:pass@mt0.google.com/vt/lyrs=m@114???&hl=en&src=api&x=2&y=2&z=3&s=', { protocol = 'http:', slashes = true, auth = 'user:pass', host = 'mt0.google.com', hostname = 'mt0.google.com', search = '???&hl=en&src=api&x=2&y=2&z=3&s=', query = '??&hl=en&src=api&x=2&y=2&z=3&s=', pathname = '/vt/lyrs=m@114', path = '/vt/lyrs=m@114???&hl=en&src=api&x=2&y=2&z=3&s=', href = 'http://user:pass@mt0.google.com/vt/lyrs=m@114???&hl=en&src=api&x=2&y=2&z=3&s=' } },
  { 'file:///etc/passwd', { protocol = 'file:', slashes = true, host = '', hostname = '', pathname = '/etc/passwd', path = '/etc/passwd', href = 'file:///etc/passwd' } },
  { 'file://localhost/etc/passwd', { protocol = 'file:', slashes = true, host = 'localhost', hostname = 'localhost', pathname = '/etc/passwd', path = '/etc/passwd', href = 'file://localhost/etc/passwd' } },
  { 'file://foo/etc/passwd', { protocol = 'file:', slashes = true, host = 'foo', hostname = 'foo', pathname = '/etc/passwd', path = '/etc/passwd', href = 'file://foo/etc/passwd' } },
  { 'file:///etc/node/', { protocol = 'file:', slashes = true, host = '', hostname = '', pathname = '/etc/node/', path = '/etc/node/', href = 'file:///etc/node/' } },
  { 'file://localhost/etc/node/', { protocol = 'file:', slashes = true, host = 'localhost', hostname = 'localhost', pathname = '/etc/node/', path = '/etc/node/', href = 'file://localhost/etc/node/' } },
  { 'file://foo/etc/node/', { protocol = 'file:', slashes = true, host = 'foo', hostname = 'foo', pathname = '/etc/node/', path = '/etc/node/', href = 'file://foo/etc/node/' } },
  { 'http:/baz/../foo/bar', { protocol = 'http:', pathname = '/baz/../foo/bar', path = '/baz/../foo/bar', href = 'http:/baz/../foo/bar' } },
  { 'http://user:pass@example.com:8000/foo/bar?baz=quux#frag', { protocol = 'http:', slashes = true, auth = 'user:pass', host = 'example.com:8000', port = '8000', hostname = 'example.com', hash = '#frag', search = '?baz=quux', query = 'baz=quux', pathname = '/foo/bar', path = '/foo/bar?baz=quux', href = 'http://user:pass@example.com:8000/foo/bar?baz=quux#frag' } },
  { '//user:pass@example.com:8000/foo/bar?baz=quux#frag', { slashes = true, auth = 'user:pass', host = 'example.com:8000', port = '8000', hostname = 'example.com', hash = '#frag', search = '?baz=quux', query = 'baz=quux', pathname = '/foo/bar', path = '/foo/bar?baz=quux', href = '//user:pass@example.com:8000/foo/bar?baz=quux#frag' } },
  { '/foo/bar?baz=quux#frag', { hash = '#frag', search = '?baz=quux', query = 'baz=quux', pathname = '/foo/bar', path = '/foo/bar?baz=quux', href = '/foo/bar?baz=quux#frag' } },
  { 'http:/foo/bar?baz=quux#frag', { protocol = 'http:', hash = '#frag', search = '?baz=quux', query = 'baz=quux', pathname = '/foo/bar', path = '/foo/bar?baz=quux', href = 'http:/foo/bar?baz=quux#frag' } },
  { 'mailto:foo@bar.com?subject=hello', { protocol = 'mailto:', auth = 'foo', host = 'bar.com', hostname = 'bar.com', search = '?subject=hello', query = 'subject=hello', path = '?subject=hello', href = 'mailto:foo@bar.com?subject=hello' } },
  { 'javascript:alert(\'hello\');', { protocol = 'javascript:', pathname = 'alert(\'hello\');', path = 'alert(\'hello\');', href = 'javascript:alert(\'hello\');' } },
  { 'xmpp:isaacschlueter@jabber.org', { protocol = 'xmpp:', auth = 'isaacschlueter', host = 'jabber.org', hostname = 'jabber.org', href = 'xmpp:isaacschlueter@jabber.org' } },
  { 'http://atpass:foo%40bar@127.0.0.1:8080/path?search=foo#bar', { protocol = 'http:', slashes = true, auth = 'atpass:foo@bar', host = '127.0.0.1:8080', port = '8080', hostname = '127.0.0.1', hash = '#bar', search = '?search=foo', query = 'search=foo', pathname = '/path', path = '/path?search=foo', href = 'http://atpass:foo%40bar@127.0.0.1:8080/path?search=foo#bar' } },
  { 'svn+ssh://foo/bar', { protocol = 'svn+ssh:', slashes = true, host = 'foo', hostname = 'foo', pathname = '/bar', path = '/bar', href = 'svn+ssh://foo/bar' } },
  { 'dash-test://foo/bar', { protocol = 'dash-test:', slashes = true, host = 'foo', hostname = 'foo', pathname = '/bar', path = '/bar', href = 'dash-test://foo/bar' } },
  { 'dash-test:foo/bar', { protocol = 'dash-test:', host = 'foo', hostname = 'foo', pathname = '/bar', path = '/bar', href = 'dash-test:foo/bar' } },
  { 'dot.test://foo/bar', { protocol = 'dot.test:', slashes = true, host = 'foo', hostname = 'foo', pathname = '/bar', path = '/bar', href = 'dot.test://foo/bar' } },
  { 'dot.test:foo/bar', { protocol = 'dot.test:', host = 'foo', hostname = 'foo', pathname = '/bar', path = '/bar', href = 'dot.test:foo/bar' } },
  { 'http://bucket_name.s3.amazonaws.com/image.jpg', { protocol = 'http:', slashes = true, host = 'bucket_name.s3.amazonaws.com', hostname = 'bucket_name.s3.amazonaws.com', pathname = '/image.jpg', path = '/image.jpg', href = 'http://bucket_name.s3.amazonaws.com/image.jpg' } },
  { 'git+http://github.com/joyent/node.git', { protocol = 'git+http:', slashes = true, host = 'github.com', hostname = 'github.com', pathname = '/joyent/node.git', path = '/joyent/node.git', href = 'git+http://github.com/joyent/node.git' } },
  { 'local1@domain1', { pathname = 'local1@domain1', path = 'local1@domain1', href = 'local1@domain1' } },
  { 'www.example.com', { pathname = 'www.example.com', path = 'www.example.com', href = 'www.example.com' } },
  { '[fe80::1]', { pathname = '[fe80::1]', path = '[fe80::1]', href = '[fe80::1]' } },
  { 'coap://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]', { protocol = 'coap:', slashes = true, host = '[fedc:ba98:7654:3210:fedc:ba98:7654:3210]', hostname = 'fedc:ba98:7654:3210:fedc:ba98:7654:3210', pathname = '/', path = '/', href = 'coap://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]/' } },
  { 'coap://[1080:0:0:0:8:800:200C:417A]:61616/', { protocol = 'coap:', slashes = true, host = '[1080:0:0:0:8:800:200c:417a]:61616', port = '61616', hostname = '1080:0:0:0:8:800:200c:417a', pathname = '/', path = '/', href = 'coap://[1080:0:0:0:8:800:200c:417a]:61616/' } },
  { 'http://user:password@[3ffe:2a00:100:7031::1]:8080', { protocol = 'http:', slashes = true, auth = 'user:password', host = '[3ffe:2a00:100:7031::1]:8080', port = '8080', hostname = '3ffe:2a00:100:7031::1', pathname = '/', path = '/', href = 'http://user:password@[3ffe:2a00:100:7031::1]:8080/' } },
  { 'coap://u:p@[::192.9.5.5]:61616/.well-known/r?n=Temperature', { protocol = 'coap:', slashes = true, auth = 'u:p', host = '[::192.9.5.5]:61616', port = '61616', hostname = '::192.9.5.5', search = '?n=Temperature', query = 'n=Temperature', pathname = '/.well-known/r', path = '/.well-known/r?n=Temperature', href = 'coap://u:p@[::192.9.5.5]:61616/.well-known/r?n=Temperature' } },
  { 'http://example.com:', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', pathname = '/', path = '/', href = 'http://example.com/' } },
  { 'http://example.com:/a/b.html', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', pathname = '/a/b.html', path = '/a/b.html', href = 'http://example.com/a/b.html' } },
  { 'http://example.com:?a=b', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', search = '?a=b', query = 'a=b', pathname = '/', path = '/?a=b', href = 'http://example.com/?a=b' } },
  { 'http://example.com:#abc', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', hash = '#abc', pathname = '/', path = '/', href = 'http://example.com/#abc' } },
  { 'http://[fe80::1]:/a/b?a=b#abc', { protocol = 'http:', slashes = true, host = '[fe80::1]', hostname = 'fe80::1', hash = '#abc', search = '?a=b', query = 'a=b', pathname = '/a/b', path = '/a/b?a=b', href = 'http://[fe80::1]/a/b?a=b#abc' } },
  { 'http://-lovemonsterz.tumblr.com/rss', { protocol = 'http:', slashes = true, host = '-lovemonsterz.tumblr.com', hostname = '-lovemonsterz.tumblr.com', pathname = '/rss', path = '/rss', href = 'http://-lovemonsterz.tumblr.com/rss' } },
  { 'http://-lovemonsterz.tumblr.com:80/rss', { protocol = 'http:', slashes = true, host = '-lovemonsterz.tumblr.com:80', port = '80', hostname = '-lovemonsterz.tumblr.com', pathname = '/rss', path = '/rss', href = 'http://-lovemonsterz.tumblr.com:80/rss' } },
  { 'http://user:pass@-lovemonsterz.tumblr.com/rss', { protocol = 'http:', slashes = true, auth = 'user:pass', host = '-lovemonsterz.tumblr.com', hostname = '-lovemonsterz.tumblr.com', pathname = '/rss', path = '/rss', href = 'http://user:pass@-lovemonsterz.tumblr.com/rss' } },
  { 'http://_jabber._tcp.google.com:80/test', { protocol = 'http:', slashes = true, host = '_jabber._tcp.google.com:80', port = '80', hostname = '_jabber._tcp.google.com', pathname = '/test', path = '/test', href = 'http://_jabber._tcp.google.com:80/test' } },
  { 'http://x:1/\' <>"`/{}|\\^~`/', { protocol = 'http:', slashes = true, host = 'x:1', port = '1', hostname = 'x', pathname = '/%27%20%3C%3E%22%60/%7B%7D%7C/%5E~%60/', path = '/%27%20%3C%3E%22%60/%7B%7D%7C/%5E~%60/', href = 'http://x:1/%27%20%3C%3E%22%60/%7B%7D%7C/%5E~%60/' } },
  { 'http://a@b@c/', { protocol = 'http:', slashes = true, auth = 'a@b', host = 'c', hostname = 'c', pathname = '/', path = '/', href = 'http://a%40b@c/' } },
  { 'http://a@b?@c', { protocol = 'http:', slashes = true, auth = 'a', host = 'b', hostname = 'b', search = '?@c', query = '@c', pathname = '/', path = '/?@c', href = 'http://a@b/?@c' } },
  { 'http://a.b/\tbc\ndr\ref g"hq\'j<kl>?mn\\op^q=r`99{st|uv}wz', { protocol = 'http:', slashes = true, host = 'a.b', hostname = 'a.b', search = '?mn%5Cop%5Eq=r%6099%7Bst%7Cuv%7Dwz', query = 'mn%5Cop%5Eq=r%6099%7Bst%7Cuv%7Dwz', pathname = '/%09bc%0Adr%0Def%20g%22hq%27j%3Ckl%3E', path = '/%09bc%0Adr%0Def%20g%22hq%27j%3Ckl%3E?mn%5Cop%5Eq=r%6099%7Bst%7Cuv%7Dwz', href = 'http://a.b/%09bc%0Adr%0Def%20g%22hq%27j%3Ckl%3E?mn%5Cop%5Eq=r%6099%7Bst%7Cuv%7Dwz' } },
  { 'http://a\r" \t\n<\'b:b@c\r\nd/e?f', { protocol = 'http:', slashes = true, auth = 'a" <\'b:b', host = 'cd', hostname = 'cd', search = '?f', query = 'f', pathname = '/e', path = '/e?f', href = 'http://a%22%20%3C\'b:b@cd/e?f' } },
  { 'git+ssh://git@github.com:npm/npm', { protocol = 'git+ssh:', slashes = true, auth = 'git', host = 'github.com', hostname = 'github.com', pathname = '/:npm/npm', path = '/:npm/npm', href = 'git+ssh://git@github.com/:npm/npm' } },
  { 'https://*', { protocol = 'https:', slashes = true, host = '*', hostname = '*', pathname = '/', path = '/', href = 'https://*/' } },
  { 'javascript:alert(1);a=\'@white-listed.com\'', { protocol = 'javascript:', pathname = 'alert(1);a=\'@white-listed.com\'', path = 'alert(1);a=\'@white-listed.com\'', href = 'javascript:alert(1);a=\'@white-listed.com\'' } },
  { 'javAscript:alert(1);a=\'@white-listed.com\'', { protocol = 'javascript:', pathname = 'alert(1);a=\'@white-listed.com\'', path = 'alert(1);a=\'@white-listed.com\'', href = 'javascript:alert(1);a=\'@white-listed.com\'' } },
  { 'ws://www.example.com', { protocol = 'ws:', slashes = true, host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'ws://www.example.com/' } },
  { 'wss://www.example.com', { protocol = 'wss:', slashes = true, host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'wss://www.example.com/' } },
  { 'http://example.com?', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', search = '?', query = '', pathname = '/', path = '/?', href = 'http://example.com/?' } },
  { 'http://example.com?foo=bar#frag', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', hash = '#frag', search = '?foo=bar', query = 'foo=bar', pathname = '/', path = '/?foo=bar', href = 'http://example.com/?foo=bar#frag' } },
  { 'http://example.com?foo=@bar#frag', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', hash = '#frag', search = '?foo=@bar', query = 'foo=@bar', pathname = '/', path = '/?foo=@bar', href = 'http://example.com/?foo=@bar#frag' } },
  { 'http://example.com?foo=/bar/#frag', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', hash = '#frag', search = '?foo=/bar/', query = 'foo=/bar/', pathname = '/', path = '/?foo=/bar/', href = 'http://example.com/?foo=/bar/#frag' } },
  { 'http://example.com?foo=?bar/#frag', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', hash = '#frag', search = '?foo=?bar/', query = 'foo=?bar/', pathname = '/', path = '/?foo=?bar/', href = 'http://example.com/?foo=?bar/#frag' } },
  { 'http://example.com#frag=?bar/#frag', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', hash = '#frag=?bar/#frag', pathname = '/', path = '/', href = 'http://example.com/#frag=?bar/#frag' } },
  { 'http://google.com" onload="alert(42)/', { protocol = 'http:', slashes = true, host = 'google.com', hostname = 'google.com', pathname = '%22%20onload=%22alert(42)/', path = '%22%20onload=%22alert(42)/', href = 'http://google.com/%22%20onload=%22alert(42)/' } },
  { 'http://atslash%2F%40:%2F%40@foo/', { protocol = 'http:', slashes = true, auth = 'atslash/@:/@', host = 'foo', hostname = 'foo', pathname = '/', path = '/', href = 'http://atslash%2F%40:%2F%40@foo/' } },
  { '/path/to/%%23%3F+=&.txt?foo=theA1#bar', { hash = '#bar', search = '?foo=theA1', query = 'foo=theA1', pathname = '/path/to/%%23%3F+=&.txt', path = '/path/to/%%23%3F+=&.txt?foo=theA1', href = '/path/to/%%23%3F+=&.txt?foo=theA1#bar' } },
  { 'http://ex.com/foo%3F100%m%23r?abc=the%231?&foo=bar#frag', { protocol = 'http:', slashes = true, host = 'ex.com', hostname = 'ex.com', hash = '#frag', search = '?abc=the%231?&foo=bar', query = 'abc=the%231?&foo=bar', pathname = '/foo%3F100%m%23r', path = '/foo%3F100%m%23r?abc=the%231?&foo=bar', href = 'http://ex.com/foo%3F100%m%23r?abc=the%231?&foo=bar#frag' } },
  { 'http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com/node', { protocol = 'http:', slashes = true, host = '', hostname = '', pathname = '/node', path = '/node', href = 'http:///node' } },
  { 'http://www.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzexample.com/node', { protocol = 'http:', slashes = true, host = 'www.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzexample.com', hostname = 'www.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzexample.com', pathname = '/node', path = '/node', href = 'http://www.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzexample.com/node' } },
  { 'http://%F0%9F%98%80@www.example.com/', { protocol = 'http:', slashes = true, auth = '\240\159\152\128', host = 'www.example.com', hostname = 'www.example.com', pathname = '/', path = '/', href = 'http://%F0%9F%98%80@www.example.com/' } },
  { '/p/a/t/h?query=string', { search = '?query=string', query = 'query=string', pathname = '/p/a/t/h', path = '/p/a/t/h?query=string', href = '/p/a/t/h?query=string' } },
  { 'http://a/b?x=1&x=2&y=', { protocol = 'http:', slashes = true, host = 'a', hostname = 'a', search = '?x=1&x=2&y=', query = 'x=1&x=2&y=', pathname = '/b', path = '/b?x=1&x=2&y=', href = 'http://a/b?x=1&x=2&y=' } },
  -- With parseQueryString
  { 'http://a/b?x=1&x=2&y=', { protocol = 'http:', slashes = true, host = 'a', hostname = 'a', search = '?x=1&x=2&y=', query = {['x'] = {'1', '2'}, ['y'] = ''}, pathname = '/b', path = '/b?x=1&x=2&y=', href = 'http://a/b?x=1&x=2&y=' }, true },
  { '/p?a=%20b+c', { search = '?a=%20b+c', query = {['a'] = ' b c'}, pathname = '/p', path = '/p?a=%20b+c', href = '/p?a=%20b+c' }, true },
  { 'http://example.com', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', query = {}, pathname = '/', path = '/', href = 'http://example.com/' }, true },
  { 'http://example.com?', { protocol = 'http:', slashes = true, host = 'example.com', hostname = 'example.com', search = '?', query = {}, pathname = '/', path = '/?', href = 'http://example.com/?' }, true },
  -- With slashesDenoteHost
  { '//foo/bar', { slashes = true, host = 'foo', hostname = 'foo', pathname = '/bar', path = '/bar', href = '//foo/bar' }, false, true },
  { '//user:pass@host:8080/p?q#h', { slashes = true, auth = 'user:pass', host = 'host:8080', port = '8080', hostname = 'host', hash = '#h', search = '?q', query = 'q', pathname = '/p', path = '/p?q', href = '//user:pass@host:8080/p?q#h' }, false, true },
  { 'foo/bar', { pathname = 'foo/bar', path = 'foo/bar', href = 'foo/bar' }, false, true },
}

local FIELDS = { 'protocol', 'slashes', 'auth', 'host', 'port', 'hostname', 'hash', 'search',
  'query', 'pathname', 'path', 'href' }

t.test('url.parse gives Node\'s fields (test-url-parse-format.js, test-url-format.js)', function()
  local failures = {}
  for _, row in ipairs(LEGACY_PARSE_ROWS) do
    local input, want = row[1], row[2]
    local ok, got = pcall(url.parse, input, row[3], row[4])
    if not ok then
      failures[#failures + 1] = show(input) .. ': raised ' .. tostring(got)
    else
      for _, f in ipairs(FIELDS) do
        local a, b = got[f], want[f]
        if type(b) == 'table' then
          local d = {}
          for k, v in pairs(b) do if type(v) == 'table' then d[k] = table.concat(v, ',') else d[k] = v end end
          for k, v in pairs(a) do
            local vs = type(v) == 'table' and table.concat(v, ',') or v
            if d[k] ~= vs then failures[#failures + 1] = show(input) .. ': query.' .. k end
            d[k] = nil
          end
          if next(d) then failures[#failures + 1] = show(input) .. ': query lacks ' .. next(d) end
        elseif a ~= b then
          failures[#failures + 1] = ('%s: %s is %s, expected %s'):format(show(input), f, show(a), show(b))
        end
      end
      -- The whitespace around is trimmed.
      local spaced = url.parse('     \t  ' .. input .. '\n\t', row[3], row[4])
      if spaced.href ~= want.href then failures[#failures + 1] = show(input) .. ': spaced href ' .. show(spaced.href) end
      -- format gives the href back.
      if url.format(got) ~= want.href then failures[#failures + 1] = show(input) .. ': format ' .. show(url.format(got)) end
    end
  end
  check(failures)
  print(('# %d url.parse rows'):format(#LEGACY_PARSE_ROWS))
end)

t.test('url.format (test-url-format.js)', function()
  local rows = {
    { { protocol = 'http', host = 'a.com', pathname = 'a/b/c', hash = 'h', search = 's' }, 'http://a.com/a/b/c?s#h' },
    { { protocol = 'xmpp:', host = 'jabber.org', auth = 'isaacschlueter', hostname = 'jabber.org' }, 'xmpp:isaacschlueter@jabber.org' },
    { { auth = 'atpass:foo@bar', hostname = '127.0.0.1', protocol = 'http:', pathname = '/' }, 'http://atpass:foo%40bar@127.0.0.1/' },
    { { auth = 'atslash/@:/@', hostname = 'foo', protocol = 'http:', pathname = '/' }, 'http://atslash%2F%40:%2F%40@foo/' },
    { { hostname = 'foo', protocol = 'svn+ssh:', pathname = '/bar', slashes = true }, 'svn+ssh://foo/bar' },
    { { hostname = 'foo', protocol = 'dash-test:', pathname = '/bar' }, 'dash-test:foo/bar' },
    { { protocol = 'coap:', auth = 'u:p', hostname = '::1', port = '61616', pathname = '/.well-known/r', search = 'n=Temperature' }, 'coap:u:p@[::1]:61616/.well-known/r?n=Temperature' },
    { { protocol = 'coap', host = '[fedc:ba98:7654:3210:fedc:ba98:7654:3210]:61616', pathname = '/s/stopButton' }, 'coap:[fedc:ba98:7654:3210:fedc:ba98:7654:3210]:61616/s/stopButton' },
    { { pathname = '/path/to/%#?+=&.txt', query = { foo = 'theA1' }, hash = '#bar' }, '/path/to/%%23%3F+=&.txt?foo=theA1#bar' },
    { { pathname = '/path/to/%#?+=&.txt', query = { foo = 'the#1' }, hash = '#bar' }, '/path/to/%%23%3F+=&.txt?foo=the%231#bar' },
    { { protocol = 'http:', hostname = 'ex.com', hash = '#frag', search = '?abc=the#1?&foo=bar', pathname = '/foo?100%m#r' }, 'http://ex.com/foo%3F100%m%23r?abc=the%231?&foo=bar#frag' },
    { { protocol = 'file', pathname = '/home/user', path = '/home/user' }, 'file:///home/user' },
    { { protocol = 'http:', host = 'example.com', query = { a = { '1', '2' }, b = 'x y' } }, 'http://example.com?a=1&a=2&b=x%20y' },
    { { protocol = 'http:', hostname = 'h', port = 8080, pathname = '/p' }, 'http://h:8080/p' },
    { {}, '' },
  }
  local failures = {}
  for i, row in ipairs(rows) do
    local got = url.format(row[1])
    if got ~= row[2] then failures[#failures + 1] = ('row %d: %s, expected %s'):format(i, show(got), show(row[2])) end
  end
  check(failures)
  t.eq(url.format('HTTP://A.com/x?y#z'), 'http://a.com/x?y#z')
  local u = URL:new('http://user:pw@h.com:81/p?q=1#f')
  t.eq(url.format(u), 'http://user:pw@h.com:81/p?q=1#f')
  t.eq(url.format(u, { auth = false, search = false, fragment = false }), 'http://h.com:81/p')
  local idn = URL:new('http://xn--mnchen-3ya.de/a?b#c')
  t.eq(url.format(idn, { unicode = true }), 'http://münchen.de/a?b#c')
  t.eq(url.format(idn), 'http://xn--mnchen-3ya.de/a?b#c')
end)

-- { from, to, url.resolve(from, to) }
local RESOLVE_ROWS = {
  { '/foo/bar/baz', 'quux', '/foo/bar/quux' },
  { '/foo/bar/baz', 'quux/asdf', '/foo/bar/quux/asdf' },
  { '/foo/bar/baz', 'quux/baz', '/foo/bar/quux/baz' },
  { '/foo/bar/baz', '../quux/baz', '/foo/quux/baz' },
  { '/foo/bar/baz', '/bar', '/bar' },
  { '/foo/bar/baz/', 'quux', '/foo/bar/baz/quux' },
  { '/foo/bar/baz/', 'quux/baz', '/foo/bar/baz/quux/baz' },
  { '/foo/bar/baz', '../../../../../../../../quux/baz', '/quux/baz' },
  { '/foo/bar/baz', '../../../../../../../quux/baz', '/quux/baz' },
  { '/foo', '.', '/' },
  { '/foo', '..', '/' },
  { '/foo/', '.', '/foo/' },
  { '/foo/', '..', '/' },
  { '/foo/bar', '.', '/foo/' },
  { '/foo/bar', '..', '/' },
  { '/foo/bar/', '.', '/foo/bar/' },
  { '/foo/bar/', '..', '/foo/' },
  { 'foo/bar', '../../../baz', '../../baz' },
  { 'foo/bar/', '../../../baz', '../baz' },
  { 'http://example.com/b//c//d;p?q#blarg', 'https:#hash2', 'https:///#hash2' },
  { 'http://example.com/b//c//d;p?q#blarg', 'https:/p/a/t/h?s#hash2', 'https://p/a/t/h?s#hash2' },
  { 'http://example.com/b//c//d;p?q#blarg', 'https://u:p@h.com/p/a/t/h?s#hash2', 'https://u:p@h.com/p/a/t/h?s#hash2' },
  { 'http://example.com/b//c//d;p?q#blarg', 'https:/a/b/c/d', 'https://a/b/c/d' },
  { 'http://example.com/b//c//d;p?q#blarg', 'http:#hash2', 'http://example.com/b//c//d;p?q#hash2' },
  { 'http://example.com/b//c//d;p?q#blarg', 'http:/p/a/t/h?s#hash2', 'http://example.com/p/a/t/h?s#hash2' },
  { 'http://example.com/b//c//d;p?q#blarg', 'http://u:p@h.com/p/a/t/h?s#hash2', 'http://u:p@h.com/p/a/t/h?s#hash2' },
  { 'http://example.com/b//c//d;p?q#blarg', 'http:/a/b/c/d', 'http://example.com/a/b/c/d' },
  { '/foo/bar/baz', '/../etc/passwd', '/etc/passwd' },
  { 'http://localhost', 'file:///Users/foo', 'file:///Users/foo' },
  { 'http://localhost', 'file://foo/Users', 'file://foo/Users' },
  { '/one/two/three', 'four', '/one/two/four' },
  { 'http://example.com/', '/one', 'http://example.com/one' },
  { 'http://example.com/one', '/two', 'http://example.com/two' },
  { 'foo:a/b', '../c', 'foo:c' },
  { 'foo:a', 'foo:.', 'foo:' },
  { 'zz:abc', '/foo/../../../bar', 'zz:/bar' },
  { 'zz:abc', '/foo/../bar', 'zz:/bar' },
  { 'zz:abc', 'foo/../../../bar', 'zz:bar' },
  { 'zz:abc', 'foo/../bar', 'zz:bar' },
  { 'zz:abc', 'zz:.', 'zz:' },
  { 'http://a/b/c/d;p?q', '/.', 'http://a/' },
  { 'http://a/b/c/d;p?q', '/.foo', 'http://a/.foo' },
  { 'http://a/b/c/d;p?q', '.foo', 'http://a/b/c/.foo' },
  { 'http://a/b/c/d;p?q', 'g:h', 'g:h' },
  { 'http://a/b/c/d;p?q', 'g', 'http://a/b/c/g' },
  { 'http://a/b/c/d;p?q', './g', 'http://a/b/c/g' },
  { 'http://a/b/c/d;p?q', 'g/', 'http://a/b/c/g/' },
  { 'http://a/b/c/d;p?q', '/g', 'http://a/g' },
  { 'http://a/b/c/d;p?q', '//g', 'http://g/' },
  { 'http://a/b/c/d;p?q', '?y', 'http://a/b/c/d;p?y' },
  { 'http://a/b/c/d;p?q', 'g?y', 'http://a/b/c/g?y' },
  { 'http://a/b/c/d;p?q', '#s', 'http://a/b/c/d;p?q#s' },
  { 'http://a/b/c/d;p?q', 'g#s', 'http://a/b/c/g#s' },
  { 'http://a/b/c/d;p?q', 'g?y#s', 'http://a/b/c/g?y#s' },
  { 'http://a/b/c/d;p?q', ';x', 'http://a/b/c/;x' },
  { 'http://a/b/c/d;p?q', 'g;x', 'http://a/b/c/g;x' },
  { 'http://a/b/c/d;p?q', 'g;x?y#s', 'http://a/b/c/g;x?y#s' },
  { 'http://a/b/c/d;p?q', '', 'http://a/b/c/d;p?q' },
  { 'http://a/b/c/d;p?q', '.', 'http://a/b/c/' },
  { 'http://a/b/c/d;p?q', './', 'http://a/b/c/' },
  { 'http://a/b/c/d;p?q', '..', 'http://a/b/' },
  { 'http://a/b/c/d;p?q', '../', 'http://a/b/' },
  { 'http://a/b/c/d;p?q', '../g', 'http://a/b/g' },
  { 'http://a/b/c/d;p?q', '../..', 'http://a/' },
  { 'http://a/b/c/d;p?q', '../../', 'http://a/' },
  { 'http://a/b/c/d;p?q', '../../g', 'http://a/g' },
  { 'http://a/b/c/d;p?q', '../../../g', 'http://a/g' },
  { 'http://a/b/c/d;p?q', '../../../../g', 'http://a/g' },
  { 'http://a/b/c/d;p?q', '/./g', 'http://a/g' },
  { 'http://a/b/c/d;p?q', '/../g', 'http://a/g' },
  { 'http://a/b/c/d;p?q', 'g.', 'http://a/b/c/g.' },
  { 'http://a/b/c/d;p?q', '.g', 'http://a/b/c/.g' },
  { 'http://a/b/c/d;p?q', 'g..', 'http://a/b/c/g..' },
  { 'http://a/b/c/d;p?q', '..g', 'http://a/b/c/..g' },
  { 'http://a/b/c/d;p?q', './../g', 'http://a/b/g' },
  { 'http://a/b/c/d;p?q', './g/.', 'http://a/b/c/g/' },
  { 'http://a/b/c/d;p?q', 'g/./h', 'http://a/b/c/g/h' },
  { 'http://a/b/c/d;p?q', 'g/../h', 'http://a/b/c/h' },
  { 'http://a/b/c/d;p?q', 'g;x=1/./y', 'http://a/b/c/g;x=1/y' },
  { 'http://a/b/c/d;p?q', 'g;x=1/../y', 'http://a/b/c/y' },
  { 'http://a/b/c/d;p?q', 'g?y/./x', 'http://a/b/c/g?y/./x' },
  { 'http://a/b/c/d;p?q', 'g?y/../x', 'http://a/b/c/g?y/../x' },
  { 'http://a/b/c/d;p?q', 'g#s/./x', 'http://a/b/c/g#s/./x' },
  { 'http://a/b/c/d;p?q', 'g#s/../x', 'http://a/b/c/g#s/../x' },
  { 'http://a/b/c/d;p?q', 'http:g', 'http://a/b/c/g' },
  { 'http://a/b/c/d;p?q', 'http:', 'http://a/b/c/d;p?q' },
  { 'http://a/b/c/d;p?q', '/a/b/c/./../../g', 'http://a/a/g' },
  { 'http://a/b/c/d;p?q=1/2', 'g', 'http://a/b/c/g' },
  { 'http://a/b/c/d;p?q=1/2', './g', 'http://a/b/c/g' },
  { 'http://a/b/c/d;p?q=1/2', 'g/', 'http://a/b/c/g/' },
  { 'http://a/b/c/d;p?q=1/2', '/g', 'http://a/g' },
  { 'http://a/b/c/d;p?q=1/2', '//g', 'http://g/' },
  { 'http://a/b/c/d;p?q=1/2', '?y', 'http://a/b/c/d;p?y' },
  { 'http://a/b/c/d;p?q=1/2', 'g?y', 'http://a/b/c/g?y' },
  { 'http://a/b/c/d;p?q=1/2', 'g?y/./x', 'http://a/b/c/g?y/./x' },
  { 'http://a/b/c/d;p?q=1/2', 'g?y/../x', 'http://a/b/c/g?y/../x' },
  { 'http://a/b/c/d;p?q=1/2', 'g#s', 'http://a/b/c/g#s' },
  { 'http://a/b/c/d;p?q=1/2', 'g#s/./x', 'http://a/b/c/g#s/./x' },
  { 'http://a/b/c/d;p?q=1/2', 'g#s/../x', 'http://a/b/c/g#s/../x' },
  { 'http://a/b/c/d;p?q=1/2', './', 'http://a/b/c/' },
  { 'http://a/b/c/d;p?q=1/2', '../', 'http://a/b/' },
  { 'http://a/b/c/d;p?q=1/2', '../g', 'http://a/b/g' },
  { 'http://a/b/c/d;p?q=1/2', '../../', 'http://a/' },
  { 'http://a/b/c/d;p?q=1/2', '../../g', 'http://a/g' },
  { 'http://a/b/c/d;p=1/2?q', 'g', 'http://a/b/c/d;p=1/g' },
  { 'http://a/b/c/d;p=1/2?q', './g', 'http://a/b/c/d;p=1/g' },
  { 'http://a/b/c/d;p=1/2?q', 'g/', 'http://a/b/c/d;p=1/g/' },
  { 'http://a/b/c/d;p=1/2?q', 'g?y', 'http://a/b/c/d;p=1/g?y' },
  { 'http://a/b/c/d;p=1/2?q', ';x', 'http://a/b/c/d;p=1/;x' },
  { 'http://a/b/c/d;p=1/2?q', 'g;x', 'http://a/b/c/d;p=1/g;x' },
  { 'http://a/b/c/d;p=1/2?q', 'g;x=1/./y', 'http://a/b/c/d;p=1/g;x=1/y' },
  { 'http://a/b/c/d;p=1/2?q', 'g;x=1/../y', 'http://a/b/c/d;p=1/y' },
  { 'http://a/b/c/d;p=1/2?q', './', 'http://a/b/c/d;p=1/' },
  { 'http://a/b/c/d;p=1/2?q', '../', 'http://a/b/c/' },
  { 'http://a/b/c/d;p=1/2?q', '../g', 'http://a/b/c/g' },
  { 'http://a/b/c/d;p=1/2?q', '../../', 'http://a/b/' },
  { 'http://a/b/c/d;p=1/2?q', '../../g', 'http://a/b/g' },
  { 'fred:///s//a/b/c', 'g:h', 'g:h' },
  { 'fred:///s//a/b/c', 'g', 'fred:///s//a/b/g' },
  { 'fred:///s//a/b/c', './g', 'fred:///s//a/b/g' },
  { 'fred:///s//a/b/c', 'g/', 'fred:///s//a/b/g/' },
  { 'fred:///s//a/b/c', '/g', 'fred:///g' },
  { 'fred:///s//a/b/c', '//g', 'fred://g' },
  { 'fred:///s//a/b/c', '//g/x', 'fred://g/x' },
  { 'fred:///s//a/b/c', '///g', 'fred:///g' },
  { 'fred:///s//a/b/c', './', 'fred:///s//a/b/' },
  { 'fred:///s//a/b/c', '../', 'fred:///s//a/' },
  { 'fred:///s//a/b/c', '../g', 'fred:///s//a/g' },
  { 'fred:///s//a/b/c', '../../', 'fred:///s//' },
  { 'fred:///s//a/b/c', '../../g', 'fred:///s//g' },
  { 'fred:///s//a/b/c', '../../../g', 'fred:///s/g' },
  { 'fred:///s//a/b/c', '../../../../g', 'fred:///g' },
  { 'http:///s//a/b/c', 'g:h', 'g:h' },
  { 'http:///s//a/b/c', 'g', 'http:///s//a/b/g' },
  { 'http:///s//a/b/c', './g', 'http:///s//a/b/g' },
  { 'http:///s//a/b/c', 'g/', 'http:///s//a/b/g/' },
  { 'http:///s//a/b/c', '/g', 'http:///g' },
  { 'http:///s//a/b/c', '//g', 'http://g/' },
  { 'http:///s//a/b/c', '//g/x', 'http://g/x' },
  { 'http:///s//a/b/c', '///g', 'http:///g' },
  { 'http:///s//a/b/c', './', 'http:///s//a/b/' },
  { 'http:///s//a/b/c', '../', 'http:///s//a/' },
  { 'http:///s//a/b/c', '../g', 'http:///s//a/g' },
  { 'http:///s//a/b/c', '../../', 'http:///s//' },
  { 'http:///s//a/b/c', '../../g', 'http:///s//g' },
  { 'http:///s//a/b/c', '../../../g', 'http:///s/g' },
  { 'http:///s//a/b/c', '../../../../g', 'http:///g' },
  { 'foo:xyz', 'bar:abc', 'bar:abc' },
  { 'http://example/x/y/z', '../abc', 'http://example/x/abc' },
  { 'http://example2/x/y/z', 'http://example/x/abc', 'http://example/x/abc' },
  { 'http://ex/x/y/z', '../r', 'http://ex/x/r' },
  { 'http://ex/x/y', 'q/r', 'http://ex/x/q/r' },
  { 'http://ex/x/y', 'q/r#s', 'http://ex/x/q/r#s' },
  { 'http://ex/x/y', 'q/r#s/t', 'http://ex/x/q/r#s/t' },
  { 'http://ex/x/y', 'ftp://ex/x/q/r', 'ftp://ex/x/q/r' },
  { 'http://ex/x/y', '', 'http://ex/x/y' },
  { 'http://ex/x/y/', '', 'http://ex/x/y/' },
  { 'http://ex/x/y/pdq', '', 'http://ex/x/y/pdq' },
  { 'http://ex/x/y/', 'z/', 'http://ex/x/y/z/' },
  { 'file:/swap/test/animal.rdf', '#Animal', 'file:///swap/test/animal.rdf#Animal' },
  { 'file:/e/x/y/z', '../abc', 'file:///e/x/abc' },
  { 'file:/example2/x/y/z', '/example/x/abc', 'file:///example/x/abc' },
  { 'file:/ex/x/y/z', '../r', 'file:///ex/x/r' },
  { 'file:/ex/x/y/z', '/r', 'file:///r' },
  { 'file:/ex/x/y', 'q/r', 'file:///ex/x/q/r' },
  { 'file:/ex/x/y', 'q/r#s', 'file:///ex/x/q/r#s' },
  { 'file:/ex/x/y', 'q/r#', 'file:///ex/x/q/r#' },
  { 'file:/ex/x/y', 'q/r#s/t', 'file:///ex/x/q/r#s/t' },
  { 'file:/ex/x/y', 'ftp://ex/x/q/r', 'ftp://ex/x/q/r' },
  { 'file:/ex/x/y', '', 'file:///ex/x/y' },
  { 'file:/ex/x/y/', '', 'file:///ex/x/y/' },
  { 'file:/ex/x/y/pdq', '', 'file:///ex/x/y/pdq' },
  { 'file:/ex/x/y/', 'z/', 'file:///ex/x/y/z/' },
  { 'file:/devel/WWW/2000/10/swap/test/reluri-1.n3', 'file://meetings.example.com/cal#m1', 'file://meetings.example.com/cal#m1' },
  { 'file:/some/dir/foo', './#blort', 'file:///some/dir/#blort' },
  { 'file:/some/dir/foo', './#', 'file:///some/dir/#' },
  { 'http://example/x/abc.efg', './', 'http://example/x/' },
  { 'http://ex/x/y', './q:r', 'http://ex/x/q:r' },
  { 'http://ex/x/y', './p=q:r', 'http://ex/x/p=q:r' },
  { 'http://ex/x/y?pp/qq', '?pp/rr', 'http://ex/x/y?pp/rr' },
  { 'http://ex/x/y?pp/qq', 'y/z', 'http://ex/x/y/z' },
  { 'mailto:local', 'local/qual@domain.org#frag', 'mailto:local/qual@domain.org#frag' },
  { 'mailto:local/qual1@domain1.org', 'more/qual2@domain2.org#frag', 'mailto:local/more/qual2@domain2.org#frag' },
  { 'http://ex/x/y?q', 'y?q', 'http://ex/x/y?q' },
  { 'http://ex?p', '/x/y?q', 'http://ex/x/y?q' },
  { 'foo:a/b', 'c/d', 'foo:a/c/d' },
  { 'foo:a/b', '/c/d', 'foo:/c/d' },
  { 'foo:a/b?c#d', '', 'foo:a/b?c' },
  { 'foo:a', 'b/c', 'foo:b/c' },
  { 'foo:/a/y/z', '../b/c', 'foo:/a/b/c' },
  { 'foo:a', './b/c', 'foo:b/c' },
  { 'foo:a', '/./b/c', 'foo:/b/c' },
  { 'foo://a//b/c', '../../d', 'foo://a/d' },
  { 'foo:a', '.', 'foo:' },
  { 'foo:a', '..', 'foo:' },
  { 'http://example/x/y%2Fz', 'abc', 'http://example/x/abc' },
  { 'http://example/a/x/y/z', '../../x%2Fabc', 'http://example/a/x%2Fabc' },
  { 'http://example/a/x/y%2Fz', '../x%2Fabc', 'http://example/a/x%2Fabc' },
  { 'http://example/x%2Fy/z', 'abc', 'http://example/x%2Fy/abc' },
  { 'http://ex/x/y', 'q%3Ar', 'http://ex/x/q%3Ar' },
  { 'http://example/x/y%2Fz', '/x%2Fabc', 'http://example/x%2Fabc' },
  { 'http://example/x/y/z', '/x%2Fabc', 'http://example/x%2Fabc' },
  { 'mailto:local1@domain1?query1', 'local2@domain2', 'mailto:local2@domain2' },
  { 'mailto:local1@domain1', 'local2@domain2?query2', 'mailto:local2@domain2?query2' },
  { 'mailto:local1@domain1?query1', 'local2@domain2?query2', 'mailto:local2@domain2?query2' },
  { 'mailto:local@domain?query1', '?query2', 'mailto:local@domain?query2' },
  { 'mailto:?query1', 'local@domain?query2', 'mailto:local@domain?query2' },
  { 'foo:bar', 'http://example/a/b?c/../d', 'http://example/a/b?c/../d' },
  { 'foo:bar', 'http://example/a/b#c/../d', 'http://example/a/b#c/../d' },
  { 'http://example.org/base/uri', 'http:this', 'http://example.org/base/this' },
  { 'http:base', 'http:this', 'http:this' },
  { 'f:/a', './/g', 'f://g' },
  { 'f://example.org/base/a', 'b/c//d/e', 'f://example.org/base/b/c//d/e' },
  { 'mid:m@example.ord/c@example.org', 'm2@example.ord/c2@example.org', 'mid:m@example.ord/m2@example.ord/c2@example.org' },
  { 'file:///C:/DEV/Haskell/lib/HXmlToolbox-3.01/examples/', 'mini1.xml', 'file:///C:/DEV/Haskell/lib/HXmlToolbox-3.01/examples/mini1.xml' },
  { 'foo:a/y/z', '../b/c', 'foo:a/b/c' },
  { 'http://asdf:qwer@www.example.com', 'http://diff:auth@www.example.com', 'http://diff:auth@www.example.com/' },
  { 'https://example.com:82/', 'https://example.com:81/', 'https://example.com:81/' },
  { 'https://user:password@example.org/', 'https://another.host.com/', 'https://another.host.com/' },
  { 'https://user:password@example.org/', '//another.host.com/', 'https://another.host.com/' },
  { 'https://user:password@example.org/', 'http://another.host.com/', 'http://another.host.com/' },
  { 'mailto:user@example.org', 'mailto:another.host.com', 'mailto:another.host.com' },
  { 'https://user:password@example.com', 'https://example.com/foo', 'https://user:password@example.com/foo' },
  { '#hash2', '#hash1', '#hash1' },
  { '?query', '#hash', '?query#hash' },
}

t.test('url.resolve (test-url-relative.js)', function()
  local failures = {}
  for _, row in ipairs(RESOLVE_ROWS) do
    local ok, got = pcall(url.resolve, row[1], row[2])
    if not ok or got ~= row[3] then
      failures[#failures + 1] = ('resolve(%s, %s): %s, expected %s'):format(show(row[1]), show(row[2]),
        ok and show(got) or tostring(got), show(row[3]))
    end
  end
  check(failures)
  -- url.parse gives a Url, with Node's methods.
  local parsed = url.parse('http://a.com/b/c?d#e')
  t.eq(getmetatable(parsed), url.Url)
  t.eq(parsed:format(), 'http://a.com/b/c?d#e')
  t.eq(parsed:resolve('../x'), 'http://a.com/x')
  t.eq(parsed:resolveObject('//other/p').href, 'http://other/p')
  t.eq(url.Url:new():parse('/p?q').search, '?q')
  t.raises(function() url.Url.parse({}, 'x') end, 'ERR_INVALID_THIS')
  local r = url.resolveObject('http://nodejs.org/', "jAvascript:alert(1);a='@white-listed.com'")
  t.eq(r.href, "javascript:alert(1);a='@white-listed.com'")
  t.eq(r.protocol, 'javascript:')
  t.eq(r.host, nil)
  print(('# %d url.resolve rows'):format(#RESOLVE_ROWS))
end)

t.test('fileURLToPath and pathToFileURL', function()
  t.eq(url.fileURLToPath('file:///tmp/a%20b/c%23d'), '/tmp/a b/c#d')
  t.eq(url.fileURLToPath(URL:new('file://localhost/etc/passwd')), '/etc/passwd')
  t.eq(url.fileURLToPath('file:///%E2%82%AC'), '/€')
  t.raises(function() url.fileURLToPath('http://h/x') end, 'ERR_INVALID_URL_SCHEME')
  t.raises(function() url.fileURLToPath('file://host/x') end, 'ERR_INVALID_FILE_URL_HOST')
  t.raises(function() url.fileURLToPath('file:///a%2fb') end, 'ERR_INVALID_FILE_URL_PATH')
  t.raises(function() url.fileURLToPath('file:///a%2Fb') end, 'ERR_INVALID_FILE_URL_PATH')
  t.raises(function() url.fileURLToPath('nope') end, 'ERR_INVALID_URL')
  t.eq(url.pathToFileURL('/tmp/a b').href, 'file:///tmp/a%20b')
  t.eq(url.pathToFileURL('/tmp/%?#\n\r\t\\').href, 'file:///tmp/%25%3F%23%0A%0D%09%5C')
  t.eq(url.pathToFileURL('/tmp/é€').href, 'file:///tmp/%C3%A9%E2%82%AC')
  t.eq(url.pathToFileURL('/tmp/[x]{}|^`"<>~ !$&\'()*+,;=:@').href,
    "file:///tmp/%5Bx%5D%7B%7D%7C%5E%60%22%3C%3E%7E%20!$&'()*+,;=:@")
  t.eq(url.pathToFileURL('/tmp/x ').href, 'file:///tmp/x%20')
  t.eq(url.pathToFileURL('/tmp/x\1').href, 'file:///tmp/x')
  t.eq(url.pathToFileURL('/C:/x').href, 'file:///C:/x')
  t.eq(url.pathToFileURL('/tmp/dir/').href, 'file:///tmp/dir/')
  t.eq(url.pathToFileURL('/a/./b/../c//d').href, 'file:///a/c/d')
  t.eq(url.pathToFileURL('rel/x').href, 'file://' .. process.cwd() .. '/rel/x')
  t.eq(url.pathToFileURL('/').href, 'file:///')
  local p = '/tmp/x y/%41?#'
  t.eq(url.fileURLToPath(url.pathToFileURL(p)), p)
end)

t.test('domainToASCII and domainToUnicode', function()
  t.eq(url.domainToASCII('münchen.de'), 'xn--mnchen-3ya.de')
  t.eq(url.domainToASCII('ÄÖ.com'), 'xn--4ca0b.com')
  t.eq(url.domainToASCII('xn--zz'), '')
  t.eq(url.domainToUnicode('xn--mnchen-3ya.de'), 'münchen.de')
  t.eq(url.domainToUnicode('ÄÖ.com'), 'äö.com')
  t.eq(URL:new('http://Bücher.example/').host, 'xn--bcher-kva.example')
  t.eq(URL:new('http://日本語.jp/').host, 'xn--wgv71a119e.jp')
  t.eq(URL:new('http://%e2%98%83/').host, 'xn--n3h')
  t.eq(URL:new('https://a%C2%ADb/').host, 'ab')
  t.eq(URL:new('http://ＧＯ.com/').host, 'go.com')
  t.eq(url.parse('http://www.Äffchen.com/').host, 'www.xn--ffchen-9ta.com')
  t.eq(url.domainToASCII('EXAMPLE.com'), 'example.com')
  t.eq(url.domainToASCII('xn--iñvalid.com'), '')
  t.eq(url.domainToASCII('a b'), '')
  t.eq(url.domainToASCII('0x7f.1'), '127.0.0.1')
  t.eq(url.domainToUnicode('EXAMPLE.com'), 'example.com')
  t.eq(url.domainToUnicode('a b'), '')
end)

t.test('urlToHttpOptions', function()
  local o = url.urlToHttpOptions(URL:new('https://a:b@[::1]:8443/p?q=1#h'))
  t.eq(o.protocol, 'https:')
  t.eq(o.hostname, '::1')
  t.eq(o.port, 8443)
  t.eq(o.path, '/p?q=1')
  t.eq(o.auth, 'a:b')
  t.eq(o.hash, '#h')
end)

t.test('huge inputs return or raise promptly', function()
  local big = string.rep('a', 1024 * 1024)
  local started = os.clock()
  local u = URL:new('http://h/' .. big .. '?' .. big .. '#' .. big)
  t.eq(#u.pathname, #big + 1)
  t.eq(URL:new('http://' .. big).hostname, big)
  t.raises(function() URL:new(big) end, 'ERR_INVALID_URL')
  t.raises(function() URL:new('http://' .. string.rep('1.', 500000)) end, 'ERR_INVALID_URL')
  t.raises(function() URL:new('http://[' .. string.rep(':', 500000) .. ']') end, 'ERR_INVALID_URL')
  t.raises(function() URL:new('http://' .. string.rep('@', 500000)) end, 'ERR_INVALID_URL')
  t.eq(URL:new('http://h/' .. string.rep('../', 300000)).pathname, '/')
  t.eq(URL:new('http://h/' .. string.rep('%2e%2e/', 200000) .. 'x').pathname, '/x')
  t.eq(#URL:new('http://h/' .. string.rep('a/', 400000)).pathname, 800001)
  t.eq(URL:new(string.rep(' ', 500000) .. 'http://h/' .. string.rep(' ', 500000)).href, 'http://h/')
  t.eq(#url.parse('http://h/' .. big).pathname, #big + 1)
  t.eq(url.resolve('http://a/' .. string.rep('./', 100000), string.rep('b/', 100000)):sub(1, 12), 'http://a/b/b')
  t.eq(url.resolve('http://a/' .. string.rep('a/', 100000), string.rep('../', 100000)), 'http://a/')
  t.eq(#url.pathToFileURL('/' .. string.rep('a/', 300000)).href, 600008)
  t.raises(function() URL:new('http://' .. string.rep('é', 500000)) end, 'ERR_INVALID_URL')
  t.eq(#URL:new('http://' .. string.rep('é.', 300000)).host, 300000 * 8)
  t.raises(function() URL:new('http://xn--' .. string.rep('ba', 500000)) end, 'ERR_INVALID_URL')
  t.eq(#url.domainToUnicode(string.rep('xn--mnchen-3ya.', 60000)), 60000 * 9)
  local p = URLSearchParams:new(string.rep('b=1&a=2&', 100000))
  p:sort()
  t.eq(p.size, 200000)
  t.eq(p:get('a'), '2')
  local elapsed = os.clock() - started
  t.ok(elapsed < 10, ('huge inputs took %.1f s'):format(elapsed))
end)
