-- Text codecs over FFI pointers: the encodings Buffer, string_decoder and
-- stream decoding share (utf8, hex, base64, base64url, latin1, ascii,
-- utf16le), the names Node accepts for them, and the scratch area the
-- encoders and decoders write into. Kept apart from lua/buffer.lua so that
-- a module that only turns bytes into text does not load the Buffer API.
--
-- Bytes come in as (pointer, count), 0-based; text is a Lua string of
-- UTF-8 (see ../../shared/DESIGN.md, "Lua strings that hold text"). An
-- encoding is named by a small integer id (codecs.UTF8, ...) that
-- codecs.id(name) gives, so the hot paths compare numbers, not strings.
local require = ...

local ffi = require('ffi')
local bit = require('bit')
local errors = require('internal/errors')

-- Loading the module twice in one Lua state must not declare the libc
-- functions twice: the second load hands back the first module.
local registry = debug.getregistry()
if registry['lode.codecs'] then return registry['lode.codecs'] end

-- Declared under private names (asm labels), as lua/buffer.lua does, so
-- that no other module's declaration of malloc can clash with these.
ffi.cdef [[
void *lode__codec_malloc(size_t n) __asm__("malloc");
void lode__codec_free(void *p) __asm__("free");
]]

local type, error, collectgarbage = type, error, collectgarbage
local floor, max = math.floor, math.max
local byte, lower, format = string.byte, string.lower, string.format
local band, bor, lshift, rshift = bit.band, bit.bor, bit.lshift, bit.rshift
local cast, ffistring, fficopy, ffigc = ffi.cast, ffi.string, ffi.copy, ffi.gc
local malloc, free = ffi.C.lode__codec_malloc, ffi.C.lode__codec_free

local u8p = ffi.typeof('uint8_t *')
local cu8p = ffi.typeof('const uint8_t *')
local u32p = ffi.typeof('uint32_t *')

-- LuaJIT's own limit on strings, which is also Node's on 64-bit machines.
local MAX_STRING_LENGTH = 0x7fffff00

local function raise(e) error(e, 0) end

local function allocFailed()
  raise(errors.new('RangeError', 'ERR_MEMORY_ALLOCATION_FAILED',
    'Array buffer allocation failed'))
end

local function stringTooLong()
  raise(errors.new('Error', 'ERR_STRING_TOO_LONG',
    format('Cannot create a string longer than 0x%x characters', MAX_STRING_LENGTH)))
end

----------------------------------------------------------------------------
-- Scratch.

-- A growable scratch area for encoders and decoders. It is only used
-- between the start and the end of one encode or decode (nothing else runs
-- in between, finalizers included, since they never touch it).
local scratch, scratchCap = nil, 0

local function getScratch(n)
  if n > scratchCap then
    if scratch ~= nil then free(scratch) end
    scratch, scratchCap = nil, 0
    local cap = max(n, 4096)
    local p = malloc(cap)
    if p == nil then collectgarbage(); p = malloc(cap); if p == nil then allocFailed() end end
    scratch, scratchCap = cast(u8p, p), cap
  end
  return scratch
end

-- Large scratch areas are not kept between calls.
local function trimScratch()
  if scratchCap > 1048576 then
    free(scratch)
    scratch, scratchCap = nil, 0
  end
end

----------------------------------------------------------------------------
-- Encodings.

local UTF8, HEX, BASE64, BASE64URL, LATIN1, ASCII, UTF16LE = 1, 2, 3, 4, 5, 6, 7
local encodingIds = {
  utf8 = UTF8, ['utf-8'] = UTF8, hex = HEX, base64 = BASE64, base64url = BASE64URL,
  latin1 = LATIN1, binary = LATIN1, ascii = ASCII,
  utf16le = UTF16LE, ['utf-16le'] = UTF16LE, ucs2 = UTF16LE, ['ucs-2'] = UTF16LE,
}

local function encodingOf(enc)
  if enc == nil then return UTF8 end
  local id = encodingIds[enc]
  if id then return id end
  if type(enc) == 'string' then
    id = encodingIds[lower(enc)]
    if id then return id end
  end
  raise(errors.ERR_UNKNOWN_ENCODING(enc))
end

-- Lookup tables.
local HEXDIGITS = '0123456789abcdef'
local hexPairs = ffi.new('uint8_t[512]')       -- byte -> two ASCII digits
local unhex = ffi.new('int8_t[256]')           -- ASCII -> 0..15, or -1
local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
local b64chars = ffi.new('uint8_t[64]', B64)
local b64urlchars = ffi.new('uint8_t[64]', B64URL)
local unb64 = ffi.new('uint8_t[256]')          -- 0..63, 64 = skip, 65 = '='
do
  for i = 0, 255 do
    hexPairs[2 * i] = byte(HEXDIGITS, rshift(i, 4) + 1)
    hexPairs[2 * i + 1] = byte(HEXDIGITS, band(i, 15) + 1)
    unhex[i] = -1
    unb64[i] = 64
  end
  for i = 0, 9 do unhex[48 + i] = i end
  for i = 0, 5 do unhex[97 + i] = 10 + i; unhex[65 + i] = 10 + i end
  for i = 0, 63 do
    unb64[byte(B64, i + 1)] = i
    unb64[byte(B64URL, i + 1)] = i
  end
  unb64[61] = 65
end

-- Decodes one UTF-8 sequence at p[i] (i < n) by the WHATWG rules. Returns
-- the code point and the index after it, or -1 and the index after the
-- maximal invalid subpart (one U+FFFD each, as Node and browsers do).
local function utf8Next(p, i, n)
  local c = p[i]
  if c < 0x80 then return c, i + 1 end
  local need, lo, hi, cp
  if c >= 0xC2 and c <= 0xDF then need, lo, hi, cp = 1, 0x80, 0xBF, c - 0xC0
  elseif c == 0xE0 then need, lo, hi, cp = 2, 0xA0, 0xBF, 0
  elseif c == 0xED then need, lo, hi, cp = 2, 0x80, 0x9F, 0xD
  elseif c >= 0xE1 and c <= 0xEF then need, lo, hi, cp = 2, 0x80, 0xBF, c - 0xE0
  elseif c == 0xF0 then need, lo, hi, cp = 3, 0x90, 0xBF, 0
  elseif c == 0xF4 then need, lo, hi, cp = 3, 0x80, 0x8F, 4
  elseif c >= 0xF1 and c <= 0xF3 then need, lo, hi, cp = 3, 0x80, 0xBF, c - 0xF0
  else return -1, i + 1 end
  i = i + 1
  for _ = 1, need do
    if i >= n then return -1, i end
    local d = p[i]
    if d < lo or d > hi then return -1, i end
    cp = cp * 64 + (d - 0x80)
    lo, hi = 0x80, 0xBF
    i = i + 1
  end
  return cp, i
end

-- Writes code point cp as UTF-8 at out[o]; returns the next index.
local function putUtf8(out, o, cp)
  if cp < 0x80 then
    out[o] = cp
    return o + 1
  elseif cp < 0x800 then
    out[o] = bor(0xC0, rshift(cp, 6))
    out[o + 1] = bor(0x80, band(cp, 63))
    return o + 2
  elseif cp < 0x10000 then
    out[o] = bor(0xE0, rshift(cp, 12))
    out[o + 1] = bor(0x80, band(rshift(cp, 6), 63))
    out[o + 2] = bor(0x80, band(cp, 63))
    return o + 3
  end
  out[o] = bor(0xF0, rshift(cp, 18))
  out[o + 1] = bor(0x80, band(rshift(cp, 12), 63))
  out[o + 2] = bor(0x80, band(rshift(cp, 6), 63))
  out[o + 3] = bor(0x80, band(cp, 63))
  return o + 4
end

-- Index of the first byte >= 0x80 in p[0..n-1], or n.
local function asciiPrefix(p, n)
  local i = 0
  -- Eight bytes at a time while aligned loads are possible.
  local n8 = n - 8
  while i <= n8 do
    local w = cast(u32p, p + i)
    if band(bor(w[0], w[1]), 0x80808080) ~= 0 then break end
    i = i + 8
  end
  while i < n and p[i] < 0x80 do i = i + 1 end
  return i
end

-- Length of the valid UTF-8 prefix of p[0..n-1].
local function utf8ValidPrefix(p, n)
  local i = asciiPrefix(p, n)
  while i < n do
    local c = p[i]
    if c < 0x80 then
      i = i + 1
    else
      local cp, j = utf8Next(p, i, n)
      if cp < 0 then return i end
      i = j
    end
  end
  return n
end

-- Bytes -> Lua string, one function per encoding.

local function decodeUtf8(p, n)
  local valid = utf8ValidPrefix(p, n)
  if valid == n then return ffistring(p, n) end
  local out = getScratch(3 * n)
  fficopy(out, p, valid)
  local o, i = valid, valid
  while i < n do
    local c = p[i]
    if c < 0x80 then
      out[o] = c
      o, i = o + 1, i + 1
    else
      local cp, j = utf8Next(p, i, n)
      if cp < 0 then
        out[o], out[o + 1], out[o + 2] = 0xEF, 0xBF, 0xBD
        o = o + 3
      else
        fficopy(out + o, p + i, j - i)
        o = o + (j - i)
      end
      i = j
    end
  end
  local s = ffistring(out, o)
  trimScratch()
  return s
end

local function decodeHex(p, n)
  local out = getScratch(2 * n)
  for i = 0, n - 1 do
    local k = 2 * p[i]
    out[2 * i] = hexPairs[k]
    out[2 * i + 1] = hexPairs[k + 1]
  end
  local s = ffistring(out, 2 * n)
  trimScratch()
  return s
end

local function decodeBase64(p, n, url)
  local tab = url and b64urlchars or b64chars
  local out = getScratch(floor((n + 2) / 3) * 4)
  local o, i = 0, 0
  local n3 = n - n % 3
  while i < n3 do
    local v = bor(lshift(p[i], 16), lshift(p[i + 1], 8), p[i + 2])
    out[o] = tab[rshift(v, 18)]
    out[o + 1] = tab[band(rshift(v, 12), 63)]
    out[o + 2] = tab[band(rshift(v, 6), 63)]
    out[o + 3] = tab[band(v, 63)]
    o, i = o + 4, i + 3
  end
  local rest = n - n3
  if rest == 1 then
    local v = p[i]
    out[o] = tab[rshift(v, 2)]
    out[o + 1] = tab[band(lshift(v, 4), 63)]
    o = o + 2
    if not url then out[o], out[o + 1] = 61, 61; o = o + 2 end
  elseif rest == 2 then
    local v = bor(lshift(p[i], 8), p[i + 1])
    out[o] = tab[rshift(v, 10)]
    out[o + 1] = tab[band(rshift(v, 4), 63)]
    out[o + 2] = tab[band(lshift(v, 2), 63)]
    o = o + 3
    if not url then out[o] = 61; o = o + 1 end
  end
  local s = ffistring(out, o)
  trimScratch()
  return s
end

local function decodeLatin1(p, n)
  local i = asciiPrefix(p, n)
  if i == n then return ffistring(p, n) end
  local out = getScratch(2 * n)
  fficopy(out, p, i)
  local o = i
  while i < n do
    local c = p[i]
    if c < 0x80 then
      out[o] = c
      o = o + 1
    else
      out[o] = bor(0xC0, rshift(c, 6))
      out[o + 1] = bor(0x80, band(c, 63))
      o = o + 2
    end
    i = i + 1
  end
  local s = ffistring(out, o)
  trimScratch()
  return s
end

local function decodeAscii(p, n)
  local i = asciiPrefix(p, n)
  if i == n then return ffistring(p, n) end
  local out = getScratch(n)
  fficopy(out, p, i)
  while i < n do
    out[i] = band(p[i], 0x7F)
    i = i + 1
  end
  local s = ffistring(out, n)
  trimScratch()
  return s
end

local function decodeUtf16le(p, n)
  local units = rshift(n, 1)
  local out = getScratch(3 * units + 4)
  local o, k = 0, 0
  while k < units do
    local u = bor(p[2 * k], lshift(p[2 * k + 1], 8))
    k = k + 1
    if u >= 0xD800 and u <= 0xDFFF then
      local u2 = -1
      if u <= 0xDBFF and k < units then u2 = bor(p[2 * k], lshift(p[2 * k + 1], 8)) end
      if u2 >= 0xDC00 and u2 <= 0xDFFF then
        k = k + 1
        o = putUtf8(out, o, 0x10000 + (u - 0xD800) * 1024 + (u2 - 0xDC00))
      else
        -- A lone surrogate has no UTF-8 form: U+FFFD, as Node writes it.
        o = putUtf8(out, o, 0xFFFD)
      end
    else
      o = putUtf8(out, o, u)
    end
  end
  local s = ffistring(out, o)
  trimScratch()
  return s
end

local function bytesToString(p, n, enc)
  if n > MAX_STRING_LENGTH then stringTooLong() end
  if enc == UTF8 then return decodeUtf8(p, n)
  elseif enc == HEX then
    if 2 * n > MAX_STRING_LENGTH then stringTooLong() end
    return decodeHex(p, n)
  elseif enc == BASE64 then return decodeBase64(p, n, false)
  elseif enc == BASE64URL then return decodeBase64(p, n, true)
  elseif enc == LATIN1 then return decodeLatin1(p, n)
  elseif enc == ASCII then return decodeAscii(p, n)
  end
  return decodeUtf16le(p, n)
end

-- Lua string -> bytes. Each returns a pointer and a count; the bytes stay
-- valid until the next use of the scratch area (or, for UTF-8, while the
-- string is alive: the caller keeps it).

local function encodeHex(s, n)
  local p = cast(cu8p, s)
  local m = rshift(n, 1)
  local out = getScratch(m)
  for i = 0, m - 1 do
    local hi, lo = unhex[p[2 * i]], unhex[p[2 * i + 1]]
    if hi < 0 or lo < 0 then return out, i end
    out[i] = hi * 16 + lo
  end
  return out, m
end

-- Node's base64 decoder: both alphabets, characters outside them skipped,
-- decoding stops at the first '='; a last group of 2 or 3 characters gives
-- 1 or 2 bytes, a single character nothing.
local function encodeBase64(s, n)
  local p = cast(cu8p, s)
  local out = getScratch(floor(n * 3 / 4) + 3)
  local acc, k, o = 0, 0, 0
  for i = 0, n - 1 do
    local v = unb64[p[i]]
    if v < 64 then
      acc = bor(lshift(acc, 6), v)
      k = k + 1
      if k == 4 then
        out[o] = rshift(acc, 16)
        out[o + 1] = band(rshift(acc, 8), 255)
        out[o + 2] = band(acc, 255)
        o, acc, k = o + 3, 0, 0
      end
    elseif v == 65 then
      break
    end
  end
  if k == 2 then
    out[o] = band(rshift(acc, 4), 255)
    o = o + 1
  elseif k == 3 then
    out[o] = band(rshift(acc, 10), 255)
    out[o + 1] = band(rshift(acc, 2), 255)
    o = o + 2
  end
  return out, o
end

-- latin1 and ascii: one byte per UTF-8 code point (code point & 0xFF). A
-- byte that is not part of valid UTF-8 stands for itself, so binary strings
-- pass through unchanged.
local function encodeLatin1(s, n)
  local p = cast(cu8p, s)
  local i = asciiPrefix(p, n)
  if i == n then return p, n end
  local out = getScratch(n)
  fficopy(out, p, i)
  local o = i
  while i < n do
    local c = p[i]
    if c < 0x80 then
      out[o] = c
      i = i + 1
    else
      local cp, j = utf8Next(p, i, n)
      if cp < 0 then out[o] = c; i = i + 1 else out[o] = band(cp, 255); i = j end
    end
    o = o + 1
  end
  return out, o
end

-- utf16le: UTF-8 text to UTF-16 units; invalid UTF-8 becomes U+FFFD.
local function encodeUtf16le(s, n)
  local p = cast(cu8p, s)
  local out = getScratch(2 * n)
  local o, i = 0, 0
  while i < n do
    local cp, j = utf8Next(p, i, n)
    if cp < 0 then cp = 0xFFFD end
    i = j
    if cp >= 0x10000 then
      local hi = 0xD800 + rshift(cp - 0x10000, 10)
      local lo = 0xDC00 + band(cp - 0x10000, 0x3FF)
      out[o], out[o + 1] = band(hi, 255), rshift(hi, 8)
      out[o + 2], out[o + 3] = band(lo, 255), rshift(lo, 8)
      o = o + 4
    else
      out[o], out[o + 1] = band(cp, 255), rshift(cp, 8)
      o = o + 2
    end
  end
  return out, o
end

local function stringToBytes(s, enc)
  local n = #s
  if enc == UTF8 then return cast(cu8p, s), n
  elseif enc == HEX then return encodeHex(s, n)
  elseif enc == BASE64 or enc == BASE64URL then return encodeBase64(s, n)
  elseif enc == LATIN1 or enc == ASCII then return encodeLatin1(s, n)
  end
  return encodeUtf16le(s, n)
end

-- Number of UTF-8 code points in s, invalid bytes counting one each.
local function countCodePoints(s)
  local p, n = cast(cu8p, s), #s
  local i = asciiPrefix(p, n)
  local count = i
  while i < n do
    if p[i] < 0x80 then
      i = i + 1
    else
      local cp, j = utf8Next(p, i, n)
      if cp < 0 then i = i + 1 else i = j end
    end
    count = count + 1
  end
  return count
end

local function byteLengthOf(s, enc)
  local n = #s
  if enc == UTF8 then return n
  elseif enc == HEX then return rshift(n, 1)
  elseif enc == BASE64 or enc == BASE64URL then
    -- Node's estimate: padding is not counted, other characters are.
    if n > 0 and byte(s, n) == 61 then n = n - 1 end
    if n > 1 and byte(s, n) == 61 then n = n - 1 end
    return floor(n * 3 / 4)
  elseif enc == LATIN1 or enc == ASCII then return countCodePoints(s)
  end
  local _, m = encodeUtf16le(s, n)
  trimScratch()
  return m
end

----------------------------------------------------------------------------
-- The module.

-- When the Lua state closes, every finalizer runs: this one frees the
-- scratch area, so a clean run leaks nothing.
local function releaseScratch()
  if scratch ~= nil then free(scratch) end
  scratch, scratchCap = nil, 0
end

-- The canonical name of each id, for normalize().
local names = { 'utf8', 'hex', 'base64', 'base64url', 'latin1', 'ascii', 'utf16le' }

local M = {
  UTF8 = UTF8, HEX = HEX, BASE64 = BASE64, BASE64URL = BASE64URL,
  LATIN1 = LATIN1, ASCII = ASCII, UTF16LE = UTF16LE,
  MAX_STRING_LENGTH = MAX_STRING_LENGTH,
  _sentinel = ffigc(ffi.new('uint8_t[1]'), releaseScratch),
}

-- id(enc): the id of an encoding name, any case ('UTF-8', 'binary', ...);
-- nil means utf8; anything else raises ERR_UNKNOWN_ENCODING.
M.id = encodingOf

-- normalize(enc): Node's canonical name of an encoding ('utf8', 'latin1',
-- 'utf16le', ...), or nil when it is not one. nil and '' are utf8, as in
-- Node's normalizeEncoding.
function M.normalize(enc)
  if enc == nil or enc == '' then return 'utf8' end
  local id = encodingIds[enc]
  if not id and type(enc) == 'string' then id = encodingIds[lower(enc)] end
  return id and names[id] or nil
end

function M.isEncoding(enc)
  if type(enc) ~= 'string' then return false end
  return (encodingIds[enc] or encodingIds[lower(enc)]) ~= nil
end

-- decode(p, n, id): n bytes at p as text.
M.decode = bytesToString
-- encode(s, id): the bytes of s in that encoding, as (pointer, count);
-- they stay valid until the next use of the scratch area (for utf8, the
-- pointer is into s itself, which the caller keeps alive). Call
-- trimScratch() once they are copied.
M.encode = stringToBytes
-- byteLength(s, id): the byte count encode would give, as Node counts it.
M.byteLength = byteLengthOf
M.decodeUtf8 = decodeUtf8
M.utf8Next = utf8Next
M.putUtf8 = putUtf8
M.asciiPrefix = asciiPrefix
M.utf8ValidPrefix = utf8ValidPrefix
M.countCodePoints = countCodePoints
M.getScratch = getScratch
M.trimScratch = trimScratch

registry['lode.codecs'] = M
return M
