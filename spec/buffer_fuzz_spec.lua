-- Randomized round trips of Buffer's decoders (utf8, hex, base64) and of
-- its ranges, checked against second, deliberately simple implementations
-- written here with plain string functions. Fixed seed, bounded work.
local t = require('./helper')
local jit = require('jit')

local byte, char, sub, format, concat = string.byte, string.char, string.sub, string.format,
  table.concat
local floor, random = math.floor, math.random

local SEED = 20240607
local ROUNDS = 5000

-- Random input -------------------------------------------------------------

local function randomBytes(n)
  local out = {}
  for i = 1, n do out[i] = char(random(0, 255)) end
  return concat(out)
end

local function utf8Char(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
    0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function randomCodePoint()
  local r = random(1, 4)
  if r == 1 then return random(0, 0x7F) end
  if r == 2 then return random(0x80, 0x7FF) end
  if r == 3 then
    local cp = random(0x800, 0xFFFF - 0x800)
    if cp >= 0xD800 then cp = cp + 0x800 end   -- skip the surrogates
    return cp
  end
  return random(0x10000, 0x10FFFF)
end

local function randomText(n)
  local out = {}
  for i = 1, n do out[i] = utf8Char(randomCodePoint()) end
  return concat(out)
end

-- Mostly-UTF-8 bytes with damage: cut sequences, stray continuation bytes,
-- surrogates, overlongs, bytes above F4.
local function randomDamagedUtf8(n)
  local out = {}
  for i = 1, n do
    local r = random(1, 10)
    if r <= 5 then
      out[i] = utf8Char(randomCodePoint())
    elseif r == 6 then
      local c = utf8Char(randomCodePoint())
      out[i] = sub(c, 1, random(1, #c))
    elseif r == 7 then
      out[i] = char(random(0x80, 0xBF))
    elseif r == 8 then
      out[i] = char(0xED, random(0xA0, 0xBF), random(0x80, 0xBF))
    elseif r == 9 then
      out[i] = char(({ 0xC0, 0xC1, 0xE0, 0xF0, 0xF4, 0xF5, 0xFF })[random(1, 7)], random(0x80, 0xBF))
    else
      out[i] = char(random(0, 255))
    end
  end
  return concat(out)
end

-- Reference implementations ------------------------------------------------

-- The WHATWG UTF-8 decoder as the Encoding Standard writes it (bytes
-- needed / seen, lower / upper boundary), one U+FFFD per error.
local function refUtf8Decode(s)
  local out = {}
  local needed, seen, cp, lower, upper = 0, 0, 0, 0x80, 0xBF
  local i, n = 1, #s
  while i <= n do
    local b = byte(s, i)
    local advance = true
    if needed == 0 then
      if b <= 0x7F then
        out[#out + 1] = char(b)
      elseif b >= 0xC2 and b <= 0xDF then
        needed, cp = 1, b - 0xC0
      elseif b >= 0xE0 and b <= 0xEF then
        if b == 0xE0 then lower = 0xA0 end
        if b == 0xED then upper = 0x9F end
        needed, cp = 2, b - 0xE0
      elseif b >= 0xF0 and b <= 0xF4 then
        if b == 0xF0 then lower = 0x90 end
        if b == 0xF4 then upper = 0x8F end
        needed, cp = 3, b - 0xF0
      else
        out[#out + 1] = '\239\191\189'
      end
    elseif b < lower or b > upper then
      needed, seen, cp, lower, upper = 0, 0, 0, 0x80, 0xBF
      out[#out + 1] = '\239\191\189'
      advance = false   -- the byte is read again
    else
      lower, upper = 0x80, 0xBF
      cp = cp * 64 + (b - 0x80)
      seen = seen + 1
      if seen == needed then
        out[#out + 1] = utf8Char(cp)
        needed, seen, cp = 0, 0, 0
      end
    end
    if advance then i = i + 1 end
  end
  if needed ~= 0 then out[#out + 1] = '\239\191\189' end
  return concat(out)
end

local function refHexEncode(s)
  return (s:gsub('.', function(c) return format('%02x', byte(c)) end))
end

-- Pairs of hex digits until the first pair that is not one.
local function refHexDecode(s)
  local out = {}
  for i = 1, #s - 1, 2 do
    local pair = sub(s, i, i + 1)
    if not pair:match('^%x%x$') then break end
    out[#out + 1] = char(tonumber(pair, 16))
  end
  return concat(out)
end

local ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local sextet = {}
for i = 1, 64 do sextet[sub(ALPHA, i, i)] = i - 1 end
sextet['-'], sextet['_'] = 62, 63

local function refBase64Encode(s, url)
  local alpha = url and (sub(ALPHA, 1, 62) .. '-_') or ALPHA
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local d = {}
    for k = 1, 4 do
      local x = floor(v / 2 ^ (6 * (4 - k))) % 64
      d[k] = sub(alpha, x + 1, x + 1)
    end
    if not b then d[3], d[4] = '=', '='
    elseif not c then d[4] = '=' end
    out[#out + 1] = concat(d)
  end
  local r = concat(out)
  if url then r = r:gsub('=', '') end
  return r
end

-- Node's rules: both alphabets, other characters skipped, '=' ends the
-- data; a last group of 2 or 3 characters gives 1 or 2 bytes.
local function refBase64Decode(s)
  local vals = {}
  for i = 1, #s do
    local c = sub(s, i, i)
    if c == '=' then break end
    if sextet[c] then vals[#vals + 1] = sextet[c] end
  end
  local out = {}
  local i = 1
  while i + 1 <= #vals do
    local a, b, c, d = vals[i], vals[i + 1], vals[i + 2], vals[i + 3]
    out[#out + 1] = char((a * 4 + floor(b / 16)) % 256)
    if c then out[#out + 1] = char((b * 16 + floor(c / 4)) % 256) end
    if d then out[#out + 1] = char((c * 64 + d) % 256) end
    i = i + 4
  end
  return concat(out)
end

-- string.sub run by the interpreter: the JIT of Debian's LuaJIT gets some
-- string.sub edge cases wrong (see DESIGN.md).
local refSub = function(s, i, j) return sub(s, i, j) end
jit.off(refSub)

local function hexOf(s) return refHexEncode(s) end

-- Cases --------------------------------------------------------------------

t.test('utf8: valid text round-trips; damaged bytes decode as WHATWG says', function()
  math.randomseed(SEED)
  for round = 1, ROUNDS do
    local text = randomText(random(0, 40))
    t.eq(Buffer.from(text):toString(), text, 'round trip')
    t.eq(Buffer.from(text):toString('utf8'), refUtf8Decode(text), 'reference on valid text')
    local damaged = randomDamagedUtf8(random(0, 40))
    local got = Buffer.from(damaged):toString()
    local want = refUtf8Decode(damaged)
    if got ~= want then
      t.eq(hexOf(got), hexOf(want), format('round %d, input %s', round, hexOf(damaged)))
    end
    -- A random slice of it decodes like the same bytes on their own.
    local n = #damaged
    local i, j = random(-n - 2, n + 2), random(-n - 2, n + 2)
    t.eq(Buffer.from(damaged):toString('utf8', i, j), refUtf8Decode(refSub(damaged, i, j)),
      format('range %d %d', i, j))
  end
end)

t.test('utf16le and latin1 round-trip UTF-8 text', function()
  math.randomseed(SEED + 1)
  for _ = 1, ROUNDS do
    local text = randomText(random(0, 30))
    t.eq(Buffer.from(text, 'utf16le'):toString('utf16le'), text)
    t.eq(#Buffer.from(text, 'ucs2'), Buffer.byteLength(text, 'ucs2'))
    local latin = {}
    for i = 1, random(0, 30) do latin[i] = utf8Char(random(0, 255)) end
    latin = concat(latin)
    t.eq(Buffer.from(latin, 'latin1'):toString('latin1'), latin)
    t.eq(#Buffer.from(latin, 'latin1'), Buffer.byteLength(latin, 'latin1'))
  end
end)

t.test('hex: encoder and decoder against the reference', function()
  math.randomseed(SEED + 2)
  local noise = '0123456789abcdefABCDEFxg -'
  for _ = 1, ROUNDS do
    local s = randomBytes(random(0, 64))
    local enc = Buffer.from(s):toString('hex')
    t.eq(enc, refHexEncode(s))
    t.eq(Buffer.from(enc, 'hex'):toString('latin1'), Buffer.from(s):toString('latin1'))
    t.eq(Buffer.from(enc:upper(), 'hex'), Buffer.from(s))
    -- Strings of mostly hex digits with some noise.
    local out = {}
    for i = 1, random(0, 40) do
      local k = random(1, #noise + 4)
      if k > #noise then k = random(1, 16) end
      out[i] = sub(noise, k, k)
    end
    local h = concat(out)
    t.eq(Buffer.from(h, 'hex'), Buffer.from(refHexDecode(h)), 'decode ' .. h)
  end
end)

t.test('base64 and base64url: encoders and decoders against the reference', function()
  math.randomseed(SEED + 3)
  local noise = ALPHA .. '-_= \n\t.!'
  for _ = 1, ROUNDS do
    local s = randomBytes(random(0, 64))
    local b = Buffer.from(s)
    local std, url = b:toString('base64'), b:toString('base64url')
    t.eq(std, refBase64Encode(s, false))
    t.eq(url, refBase64Encode(s, true))
    t.eq(Buffer.from(std, 'base64'), b)
    t.eq(Buffer.from(url, 'base64url'), b)
    t.eq(Buffer.from(url, 'base64'), b)
    -- Whitespace anywhere is ignored.
    local spaced = std:gsub('(....)', '%1\n')
    t.eq(Buffer.from(spaced, 'base64'), b)
    -- Random text over the alphabet, padding and junk.
    local out = {}
    for i = 1, random(0, 40) do
      local k = random(1, #noise)
      if random(1, 8) > 1 then k = random(1, 64) end
      out[i] = sub(noise, k, k)
    end
    local junk = concat(out)
    t.eq(Buffer.from(junk, 'base64'), Buffer.from(refBase64Decode(junk)), 'decode ' .. junk)
  end
end)

t.test('ranges follow string.sub; writes stay inside the Buffer', function()
  math.randomseed(SEED + 4)
  for _ = 1, ROUNDS do
    local s = randomBytes(random(0, 24))
    local n = #s
    local b = Buffer.from(s)
    local i, j = random(-n - 3, n + 3), random(-n - 3, n + 3)
    local want = refSub(s, i, j)
    local sl = b:slice(i, j)
    t.eq(sl:toString('latin1'), Buffer.from(want):toString('latin1'), format('slice(%d, %d)', i, j))
    t.eq(b:toString('hex', i, j), refHexEncode(want))
    -- fill only touches the range.
    local c = Buffer.from(s)
    c:fill(0x2a, i, j)
    local before = n - #refSub(s, i) -- bytes before the range start
    local expect = {}
    for k = 1, n do
      local inside = #want > 0 and k > before and k <= before + #want
      expect[k] = inside and 0x2a or byte(s, k)
    end
    t.eq(c, Buffer.from(expect), format('fill(%d, %d)', i, j))
    -- A random single-byte write lands where asked or raises.
    local pos = random(-2, n + 2)
    local ok, err = pcall(function() b[pos] = 7 end)
    if pos >= 1 and pos <= n then
      t.ok(ok)
      t.eq(b[pos], 7)
    else
      t.eq(ok, false)
      t.eq(err.code, 'ERR_OUT_OF_RANGE')
    end
  end
end)
