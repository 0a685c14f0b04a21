-- URL parsing throughput; twin of url_parse.js.
-- Prints one `name: <ms> ms` line per case.
local url = require('url')
local querystring = require('querystring')
local URL, URLSearchParams = url.URL, url.URLSearchParams

local N = 1000000

-- Wall-clock milliseconds on the monotonic clock, as the twin's
-- process.hrtime.bigint() reads it.
local hrtime = process.hrtime
local function now()
  local t = hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local sum = 0
local function bench(name, fn)
  fn(N / 10) -- warm up
  local t0 = now()
  fn(N)
  print(string.format('%s: %.1f ms', name, now() - t0))
end

local INPUTS = {
  'https://www.example.com/path/to/page.html?query=1&b=2#frag',
  'http://user:pw@127.0.0.1:8080/a/./b/../c?x=y',
  'file:///home/user/some%20file.txt',
}

bench('new_URL', function(n)
  for i = 1, n do
    local u = URL:new(INPUTS[i % 3 + 1])
    sum = sum + #u.pathname
  end
end)

bench('new_URL_relative', function(n)
  local base = URL:new('https://example.com/a/b/c')
  for i = 1, n do
    local u = URL:new('../d/e?f', base)
    sum = sum + #u.href
  end
end)

bench('searchParams', function(n)
  for i = 1, n / 10 do
    local p = URLSearchParams:new('a=1&b=two+words&c=%E2%82%AC&d=')
    p:append('e', 'x y')
    sum = sum + #p:toString()
  end
end)

bench('url_parse', function(n)
  for i = 1, n do
    local u = url.parse(INPUTS[i % 3 + 1])
    sum = sum + #u.pathname
  end
end)

bench('querystring', function(n)
  for i = 1, n / 10 do
    local o = querystring.parse('a=1&b=two+words&c=%E2%82%AC&a=2')
    sum = sum + #querystring.stringify(o)
  end
end)

if sum == 0 then print('unexpected sum') end
