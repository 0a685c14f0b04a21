-- Buffer: Node's binary type on LuaJIT's FFI.
--
-- A Buffer is a `lode_buffer` cdata held by value: `{ data, len, block }`.
-- The first two fields are the header that C bindings read through
-- `lua_topointer` (see docs/buffer.md, "Passing bytes to C"); `block` points
-- at the reference-counted malloc'ed block the bytes live in. Every Buffer
-- and every slice holds one reference to its block and drops it in its
-- `ffi.gc` finalizer, so a slice keeps its parent's memory alive and the
-- block is freed with the last Buffer that uses it. Small allocations share
-- 8 KiB pool blocks, as in Node.
--
-- Positions are 1-based and ranges inclusive, following string.sub (see
-- ../shared/DESIGN.md). Hot paths (`buf[i]`, `read*`/`write*`) are written
-- so traces compile them to a bounds check plus a plain load or store: no
-- closures, no pcall, no string creation per call.
local require, binding = ...

local ffi = require('ffi')
local bit = require('bit')
local errors = require('internal/errors')

local type, tonumber, tostring, error, pairs = type, tonumber, tostring, error, pairs
local collectgarbage = collectgarbage
local floor, huge, min, max = math.floor, math.huge, math.min, math.max
local byte, lower, format, concat = string.byte, string.lower, string.format, table.concat
local band, bor, lshift, rshift, arshift, bswap =
  bit.band, bit.bor, bit.lshift, bit.rshift, bit.arshift, bit.bswap
local cast, istype, ffistring, fficopy, ffifill, ffigc =
  ffi.cast, ffi.istype, ffi.string, ffi.copy, ffi.fill, ffi.gc

-- Loading the module twice in one Lua state (say, from disk and from the
-- bundle) must not redefine the ctype or its metatype: the second load hands
-- back the first module.
local registry = debug.getregistry()
if registry['lode.buffer'] then return registry['lode.buffer'] end

-- `lode_buffer` is the only ctype scripts see. Its first two fields are the
-- header C reads; the Lua names carry a leading underscore so that
-- `buf.length` (a Lua number) goes through `__index` rather than returning
-- the raw size_t, and so that scripts do not mistake them for API.
-- The libc functions are declared under private names (asm labels), so that
-- another module declaring `malloc` cannot clash with this one.
ffi.cdef [[
typedef struct lode_buffer_block { double refs; double size; } lode_buffer_block;
typedef struct lode_buffer {
  uint8_t *_data;
  size_t _len;
  lode_buffer_block *_block;
} lode_buffer;
void *lode__buf_malloc(size_t n) __asm__("malloc");
void *lode__buf_calloc(size_t n, size_t m) __asm__("calloc");
void lode__buf_free(void *p) __asm__("free");
void *lode__buf_memmove(void *d, const void *s, size_t n) __asm__("memmove");
int lode__buf_memcmp(const void *a, const void *b, size_t n) __asm__("memcmp");
void *lode__buf_memchr(const void *s, int c, size_t n) __asm__("memchr");
]]

local C = ffi.C
local malloc, calloc, free = C.lode__buf_malloc, C.lode__buf_calloc, C.lode__buf_free
local memmove, memcmp, memchr = C.lode__buf_memmove, C.lode__buf_memcmp, C.lode__buf_memchr

local BufT = ffi.typeof('lode_buffer')
local blockp = ffi.typeof('lode_buffer_block *')
local u8p = ffi.typeof('uint8_t *')
local cu8p = ffi.typeof('const uint8_t *')
local u16p = ffi.typeof('uint16_t *')
local i16p = ffi.typeof('int16_t *')
local u32p = ffi.typeof('uint32_t *')
local i32p = ffi.typeof('int32_t *')
local i64p = ffi.typeof('int64_t *')
local u64p = ffi.typeof('uint64_t *')
local f32p = ffi.typeof('float *')
local f64p = ffi.typeof('double *')
local int64 = ffi.typeof('int64_t')
local uint64 = ffi.typeof('uint64_t')
local LE = ffi.abi('le')
local BLOCK_HEADER = ffi.sizeof('lode_buffer_block')

-- Node 20's limits on 64-bit machines, and LuaJIT's own limit on strings.
local MAX_LENGTH = 4294967296
local MAX_STRING_LENGTH = 0x7fffff00
local INSPECT_MAX_BYTES = 50

local M = {}        -- the module table
local Buffer = {}   -- the `Buffer` global: constructors and class functions
local proto = {}    -- methods, reached through the metatype's __index

----------------------------------------------------------------------------
-- Errors. Raised from small functions so the hot paths only hold a branch.

local function raise(e) error(e, 0) end

local function argType(name, expected, v)
  raise(errors.ERR_INVALID_ARG_TYPE(name, expected, v))
end

local function outOfRange(name, range, v)
  raise(errors.ERR_OUT_OF_RANGE(name, range, v))
end

local function allocFailed()
  raise(errors.new('RangeError', 'ERR_MEMORY_ALLOCATION_FAILED',
    'Array buffer allocation failed'))
end

local function stringTooLong()
  raise(errors.new('Error', 'ERR_STRING_TOO_LONG',
    format('Cannot create a string longer than 0x%x characters', MAX_STRING_LENGTH)))
end

-- Node's boundsError: the position of a fixed-size read or write is wrong.
local function boundsError(pos, n, size)
  if type(pos) ~= 'number' then argType('offset', 'of type number', pos) end
  if pos ~= pos or floor(pos) ~= pos then outOfRange('offset', 'an integer', pos) end
  if n < size then
    raise(errors.new('RangeError', 'ERR_BUFFER_OUT_OF_BOUNDS',
      'Attempt to access memory outside buffer bounds'))
  end
  outOfRange('offset', format('>= 1 and <= %d', n - size + 1), pos)
end

local function notBuffer(name, v)
  argType(name, 'an instance of Buffer', v)
end

----------------------------------------------------------------------------
-- Memory. A block is `lode_buffer_block` followed by its bytes; `refs`
-- counts the Buffers that point into it (plus one while it is the pool).

local external = 0   -- bytes held in blocks, for process.memoryUsage()

-- The collector cannot see the bytes, so a loop allocating large Buffers
-- would grow without bound before the Lua heap grew enough to start a
-- cycle. Once the bytes held pass a limit, each MiB of new blocks drives
-- the collector as a MiB of Lua objects would; when a cycle completes the
-- limit becomes twice what is still held (Node tells V8 about external
-- memory for the same reason). Steps are incremental: no long pause.
local GC_MIN = 32 * 1048576
local gcLimit = GC_MIN
local gcDebt = 0

local function gcPressure(size)
  gcDebt = gcDebt + size
  if gcDebt >= 1048576 then
    local kb = floor(gcDebt / 1024)
    gcDebt = 0
    if collectgarbage('step', kb) then gcLimit = max(GC_MIN, 2 * external) end
  end
end

local function release(b)
  local blk = b._block
  local r = blk.refs - 1
  if r > 0 then
    blk.refs = r
  else
    external = external - blk.size
    free(blk)
  end
end

local function checkSize(size)
  if type(size) ~= 'number' then argType('size', 'of type number', size) end
  if not (size >= 0 and size <= MAX_LENGTH) then
    outOfRange('size', '>= 0 && <= ' .. MAX_LENGTH, size)
  end
  return floor(size)
end

-- A new block of `size` bytes with no reference yet, zeroed if asked.
local function newBlock(size, zero)
  if external + size > gcLimit then gcPressure(size) end
  local p
  if zero then p = calloc(1, BLOCK_HEADER + size) else p = malloc(BLOCK_HEADER + size) end
  if p == nil then
    -- Collect everything once and retry before giving up.
    collectgarbage()
    if zero then p = calloc(1, BLOCK_HEADER + size) else p = malloc(BLOCK_HEADER + size) end
    if p == nil then allocFailed() end
  end
  local blk = cast(blockp, p)
  blk.refs = 0
  blk.size = size
  external = external + size
  return blk
end

-- Wraps `len` bytes at `data` inside `blk` as a Buffer holding a reference.
local function wrap(data, len, blk)
  local b = BufT(data, len, blk)
  blk.refs = blk.refs + 1
  return ffigc(b, release)
end

-- Zero-length Buffers share no block; their data points at a static byte.
local emptyByte = ffi.new('uint8_t[1]')
local function emptyBuffer()
  return BufT(emptyByte, 0, nil)
end

-- The pool: small allocUnsafe/from/concat results are carved out of an
-- 8 KiB block, 8-byte aligned, as Node does. The module holds one
-- reference to the current pool; a full pool is dropped and lives on
-- while Buffers still point into it.
Buffer.poolSize = 8192
local pool, poolSize, poolOffset = nil, 8192, 0

local function newPool()
  if pool ~= nil then
    local r = pool.refs - 1
    if r > 0 then pool.refs = r else external = external - pool.size; free(pool) end
    pool = nil
  end
  poolSize = Buffer.poolSize
  if type(poolSize) ~= 'number' or not (poolSize >= 8 and poolSize <= 2 ^ 30) then
    poolSize = 8192
  end
  poolSize = floor(poolSize)
  pool = newBlock(poolSize, false)
  pool.refs = 1
  poolOffset = 0
end

-- An uninitialized Buffer of `size` bytes (size already checked).
local function allocate(size)
  if size == 0 then return emptyBuffer() end
  if size < rshift(poolSize, 1) then
    if pool == nil or poolOffset + size > poolSize then newPool() end
    local data = cast(u8p, pool + 1) + poolOffset
    local b = wrap(data, size, pool)
    poolOffset = band(poolOffset + size + 7, -8)
    return b
  end
  local blk = newBlock(size, false)
  return wrap(cast(u8p, blk + 1), size, blk)
end

local function allocateZeroed(size)
  if size == 0 then return emptyBuffer() end
  if size < rshift(poolSize, 1) then
    local b = allocate(size)
    ffifill(b._data, size, 0)
    return b
  end
  local blk = newBlock(size, true)
  return wrap(cast(u8p, blk + 1), size, blk)
end

local function allocateSlow(size)
  if size == 0 then return emptyBuffer() end
  local blk = newBlock(size, false)
  return wrap(cast(u8p, blk + 1), size, blk)
end

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

-- When the Lua state closes, every finalizer runs: this one drops the
-- module's reference to the pool and frees the scratch area, so a clean
-- run leaks nothing (the Buffers still in the pool drop theirs).
local function releaseModule()
  if pool ~= nil then
    local r = pool.refs - 1
    if r > 0 then pool.refs = r else external = external - pool.size; free(pool) end
    pool = nil
  end
  if scratch ~= nil then free(scratch) end
  scratch, scratchCap = nil, 0
end
local sentinel = ffigc(ffi.new('uint8_t[1]'), releaseModule)

----------------------------------------------------------------------------
-- Positions and ranges.

local function checkBuffer(v, name)
  if not istype(BufT, v) then notBuffer(name, v) end
  return v
end

-- Methods can be reached as plain functions (Buffer.prototype.x), so each
-- checks that `self` is a Buffer before it touches memory.
local function checkThis(self)
  if not istype(BufT, self) then notBuffer('this', self) end
end

-- A number for a range end as string.sub reads it: fractions truncate
-- toward zero, NaN is 0, the infinities clamp.
local function rangeNumber(v, name, default)
  if v == nil then return default end
  if type(v) ~= 'number' then argType(name, 'of type number', v) end
  if v ~= v then return 0 end
  if v >= 0 then return floor(v) end
  return -floor(-v)
end

-- string.sub's rule for (i, j) over n bytes: returns the 0-based offset of
-- the first byte and the count.
local function subRange(n, i, j, iname, jname)
  i = rangeNumber(i, iname or 'start', 1)
  j = rangeNumber(j, jname or 'end', -1)
  if i < 0 then
    i = n + i + 1
    if i < 1 then i = 1 end
  elseif i == 0 then
    i = 1
  end
  if j < 0 then j = n + j + 1 elseif j > n then j = n end
  if i > j then return 0, 0 end
  return i - 1, j - i + 1
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
-- Making Buffers.

-- A pointer into a string or a Buffer does not keep it alive, and making
-- a Buffer may run the collector (and finalizers). The source of a copy is
-- anchored here while that can happen.
local anchor = nil

local function fromBytes(p, n, keep)
  anchor = keep
  local b = allocate(n)
  if n > 0 then fficopy(b._data, p, n) end
  anchor = nil
  return b
end

local function fromString(s, enc)
  local p, n = stringToBytes(s, encodingOf(enc))
  local b = fromBytes(p, n, s)
  trimScratch()
  return b
end

-- JS's ToUint8, used wherever Node stores a number into a byte: truncate
-- toward zero, wrap modulo 256, NaN and the infinities give 0.
local function toByte(v, name)
  if type(v) ~= 'number' then argType(name or 'value', 'of type number', v) end
  if v ~= v or v == huge or v == -huge then return 0 end
  if v < 0 then v = -floor(-v) else v = floor(v) end
  return v % 256
end

local function fromTable(t)
  if t.type == 'Buffer' and type(t.data) == 'table' then t = t.data end
  local n = #t
  checkSize(n)
  for i = 1, n do
    if type(t[i]) ~= 'number' then argType('value[' .. i .. ']', 'of type number', t[i]) end
  end
  local b = allocate(n)
  local d = b._data
  for i = 1, n do
    local v = t[i]
    if v >= 0 and v < 256 then d[i - 1] = v else d[i - 1] = toByte(v) end
  end
  return b
end

function Buffer.from(value, enc)
  local tv = type(value)
  if tv == 'string' then return fromString(value, enc) end
  if istype(BufT, value) then return fromBytes(value._data, tonumber(value._len), value) end
  if tv == 'table' then return fromTable(value) end
  argType('first argument', 'of type string or an instance of Buffer or table', value)
end

-- Fills d[0..n-1] with the pattern p[0..m-1] repeated.
local function fillPattern(d, n, p, m)
  if m == 1 then
    ffifill(d, n, p[0])
    return
  end
  local k = min(m, n)
  fficopy(d, p, k)
  -- Double the filled prefix until it covers the range.
  while k < n do
    local c = min(k, n - k)
    fficopy(d + k, d, c)
    k = k + c
  end
end

-- The bytes of a fill value: returns a pointer and a count, or nil and the
-- byte for a number. Checks everything, so callers can allocate after it.
-- A string pattern's bytes may live in the string (anchored by the caller)
-- or in the scratch area (the caller trims it).
local function patternOf(value, enc)
  local tv = type(value)
  if tv == 'number' then return nil, toByte(value) end
  if tv == 'string' then
    local id = encodingOf(enc)
    if #value == 0 then return nil, 0 end
    local p, m = stringToBytes(value, id)
    if m == 0 then
      trimScratch()
      raise(errors.ERR_INVALID_ARG_VALUE('value', value))
    end
    return p, m
  end
  if istype(BufT, value) then
    local m = tonumber(value._len)
    if m == 0 then raise(errors.ERR_INVALID_ARG_VALUE('value', tostring(value))) end
    -- The pattern may overlap the target: copy it aside.
    local tmp = getScratch(m)
    fficopy(tmp, value._data, m)
    return tmp, m
  end
  argType('value', 'one of type string, number or Buffer', value)
end

function Buffer.alloc(size, fill, enc)
  size = checkSize(size)
  if fill == nil or fill == 0 then return allocateZeroed(size) end
  local p, m = patternOf(fill, enc)
  anchor = fill
  local b = allocate(size)
  anchor = nil
  if p == nil then ffifill(b._data, size, m) else fillPattern(b._data, size, p, m) end
  trimScratch()
  return b
end

function Buffer.allocUnsafe(size)
  return allocate(checkSize(size))
end

function Buffer.allocUnsafeSlow(size)
  return allocateSlow(checkSize(size))
end

function Buffer.isBuffer(v)
  return istype(BufT, v)
end

function Buffer.isEncoding(enc)
  if type(enc) ~= 'string' then return false end
  return (encodingIds[enc] or encodingIds[lower(enc)]) ~= nil
end

function Buffer.byteLength(value, enc)
  if type(value) == 'string' then return byteLengthOf(value, encodingOf(enc)) end
  if istype(BufT, value) then return tonumber(value._len) end
  argType('string', 'of type string or an instance of Buffer', value)
end

local function compareBytes(p, n, q, m)
  local c = memcmp(p, q, min(n, m))
  if c < 0 then return -1 elseif c > 0 then return 1 end
  if n < m then return -1 elseif n > m then return 1 end
  return 0
end

function Buffer.compare(a, b)
  checkBuffer(a, 'buf1')
  checkBuffer(b, 'buf2')
  return compareBytes(a._data, tonumber(a._len), b._data, tonumber(b._len))
end

-- Buffer.concat(list, totalLength): list items are Buffers (or strings,
-- lode's other byte type). A totalLength past the sum is zero-filled.
function Buffer.concat(list, totalLength)
  if type(list) ~= 'table' then argType('list', 'of type table', list) end
  local n = #list
  local total = 0
  for i = 1, n do
    local v = list[i]
    if istype(BufT, v) then
      total = total + tonumber(v._len)
    elseif type(v) == 'string' then
      total = total + #v
    else
      argType('list[' .. i .. ']', 'an instance of Buffer or a string', v)
    end
  end
  if totalLength ~= nil then
    if type(totalLength) ~= 'number' then argType('length', 'of type number', totalLength) end
    if not (totalLength >= 0 and totalLength <= MAX_LENGTH) or floor(totalLength) ~= totalLength then
      outOfRange('length', '>= 0 && <= ' .. MAX_LENGTH, totalLength)
    end
  else
    totalLength = total
  end
  if totalLength > MAX_LENGTH then outOfRange('length', '>= 0 && <= ' .. MAX_LENGTH, totalLength) end
  local b = allocate(totalLength)
  local d = b._data
  local pos = 0
  for i = 1, n do
    if pos >= totalLength then break end
    local v = list[i]
    local p, m
    if type(v) == 'string' then
      p, m = v, #v
    else
      p, m = v._data, tonumber(v._len)
    end
    if pos + m > totalLength then m = totalLength - pos end
    fficopy(d + pos, p, m)
    pos = pos + m
  end
  if pos < totalLength then ffifill(d + pos, totalLength - pos, 0) end
  return b
end

----------------------------------------------------------------------------
-- The metatype.

local mt = {}

-- buf[i]: the byte at position i, nil outside 1..#buf; buf.length; methods.
mt.__index = function(b, k)
  if type(k) == 'number' then
    if k >= 1 and k <= tonumber(b._len) and floor(k) == k then return b._data[k - 1] end
    return nil
  end
  if k == 'length' then return tonumber(b._len) end
  return proto[k]
end

local function newindexSlow(b, k, v)
  if type(k) ~= 'number' then
    raise(errors.new('TypeError', 'ERR_INVALID_ARG_TYPE',
      format('Cannot set field %s of a Buffer: the index must be of type number',
        tostring(k))))
  end
  local n = tonumber(b._len)
  if k >= 1 and k <= n and floor(k) == k then
    b._data[k - 1] = toByte(v)
    return
  end
  outOfRange('index', n > 0 and format('an integer >= 1 and <= %d', n)
    or 'within the buffer (the buffer is empty)', k)
end

-- buf[i] = v: a bounds-checked store of v, wrapped to a byte like Node.
mt.__newindex = function(b, k, v)
  if type(k) == 'number' and k >= 1 and k <= tonumber(b._len) and floor(k) == k
    and type(v) == 'number' and v > -2147483648 and v < 2147483648 then
    b._data[k - 1] = v   -- FFI truncates to int and keeps the low byte
    return
  end
  newindexSlow(b, k, v)
end

mt.__len = function(b)
  return tonumber(b._len)
end

-- Contents compare; comparing with anything but a Buffer is false.
mt.__eq = function(a, b)
  if not (istype(BufT, a) and istype(BufT, b)) then return false end
  local n = a._len
  if n ~= b._len then return false end
  return memcmp(a._data, b._data, n) == 0
end

mt.__lt = function(a, b)
  checkBuffer(a, 'buf1'); checkBuffer(b, 'buf2')
  return compareBytes(a._data, tonumber(a._len), b._data, tonumber(b._len)) < 0
end

mt.__le = function(a, b)
  checkBuffer(a, 'buf1'); checkBuffer(b, 'buf2')
  return compareBytes(a._data, tonumber(a._len), b._data, tonumber(b._len)) <= 0
end

-- Node's inspect form: <Buffer 68 65 6c 6c 6f>, cut after 50 bytes.
mt.__tostring = function(b)
  local n = tonumber(b._len)
  local m = min(n, INSPECT_MAX_BYTES)
  local parts = {}
  local d = b._data
  for i = 0, m - 1 do parts[i + 1] = format('%02x', d[i]) end
  local s = '<Buffer ' .. concat(parts, ' ')
  if n > m then
    s = s .. format(' ... %d more byte%s', n - m, n - m > 1 and 's' or '')
  end
  return s .. '>'
end

-- `..` with a Buffer gives a string, the Buffer read as UTF-8 (as `+` does
-- in JavaScript).
mt.__concat = function(a, b)
  if istype(BufT, a) then a = decodeUtf8(a._data, tonumber(a._len)) end
  if istype(BufT, b) then b = decodeUtf8(b._data, tonumber(b._len)) end
  return a .. b
end

----------------------------------------------------------------------------
-- Methods.

-- toString(enc, i, j)
function proto:toString(enc, i, j)
  checkThis(self)
  local id = encodingOf(enc)
  local off, n = subRange(tonumber(self._len), i, j)
  return bytesToString(self._data + off, n, id)
end
proto.toLocaleString = proto.toString

function proto:inspect()
  checkThis(self)
  return mt.__tostring(self)
end

function proto:toJSON()
  checkThis(self)
  local n = tonumber(self._len)
  local d = self._data
  local data = {}
  for i = 1, n do data[i] = d[i - 1] end
  return { type = 'Buffer', data = data }
end

function proto:equals(other)
  checkThis(self)
  checkBuffer(other, 'otherBuffer')
  local n = self._len
  if n ~= other._len then return false end
  return memcmp(self._data, other._data, n) == 0
end

-- compare(target, targetStart, targetEnd, sourceStart, sourceEnd): -1, 0, 1.
function proto:compare(target, ts, te, ss, se)
  checkThis(self)
  checkBuffer(target, 'target')
  local toff, tn = subRange(tonumber(target._len), ts, te, 'targetStart', 'targetEnd')
  local soff, sn = subRange(tonumber(self._len), ss, se, 'sourceStart', 'sourceEnd')
  return compareBytes(self._data + soff, sn, target._data + toff, tn)
end

-- slice(i, j) / subarray(i, j): a view sharing this Buffer's memory.
function proto:slice(i, j)
  checkThis(self)
  local off, n = subRange(tonumber(self._len), i, j)
  local blk = self._block
  if blk == nil then return emptyBuffer() end
  return wrap(self._data + off, n, blk)
end
proto.subarray = proto.slice

-- copy(target, targetStart, sourceStart, sourceEnd) -> bytes copied.
function proto:copy(target, targetStart, sourceStart, sourceEnd)
  checkThis(self)
  checkBuffer(target, 'target')
  local tn = tonumber(target._len)
  if targetStart == nil then
    targetStart = 1
  else
    if type(targetStart) ~= 'number' then argType('targetStart', 'of type number', targetStart) end
    if not (targetStart >= 1) or floor(targetStart) ~= targetStart then
      outOfRange('targetStart', 'an integer >= 1', targetStart)
    end
  end
  local soff, n = subRange(tonumber(self._len), sourceStart, sourceEnd,
    'sourceStart', 'sourceEnd')
  if targetStart > tn then return 0 end
  n = min(n, tn - targetStart + 1)
  if n > 0 then memmove(target._data + (targetStart - 1), self._data + soff, n) end
  return n
end

-- fill(value, i, j, enc) -> self. fill(value, enc) is allowed too.
function proto:fill(value, i, j, enc)
  checkThis(self)
  if type(i) == 'string' then i, j, enc = nil, nil, i
  elseif type(j) == 'string' then j, enc = nil, j end
  local off, n = subRange(tonumber(self._len), i, j, 'offset', 'end')
  local p, m = patternOf(value, enc)
  if n > 0 then
    if p == nil then ffifill(self._data + off, n, m) else fillPattern(self._data + off, n, p, m) end
  end
  trimScratch()
  return self
end

-- Bytes of a search needle: pointer, count and the value keeping it alive.
local needleByte = ffi.new('uint8_t[1]')
local function needleOf(value, enc)
  local tv = type(value)
  if tv == 'string' then
    local id = encodingOf(enc)
    if id == UTF8 then return cast(cu8p, value), #value, value end
    local p, m = stringToBytes(value, id)
    local b = fromBytes(p, m)
    trimScratch()
    return b._data, m, b
  elseif tv == 'number' then
    needleByte[0] = toByte(value)
    return needleByte, 1, nil
  elseif istype(BufT, value) then
    return value._data, tonumber(value._len), value
  end
  argType('value', 'one of type number or string or an instance of Buffer', value)
end

-- The start position for indexOf: like string.find's init.
local function searchStart(n, i)
  if i == nil then return 1 end
  if type(i) == 'string' then return 1 end
  i = rangeNumber(i, 'byteOffset', 1)
  if i < 0 then
    i = n + i + 1
    if i < 1 then i = 1 end
  elseif i == 0 then
    i = 1
  end
  return i
end

local function searchForward(d, n, p, m, start)
  if m == 0 then return min(start, n + 1) end
  local pos = start - 1                -- 0-based
  local last = n - m                   -- last 0-based start
  local first = p[0]
  while pos <= last do
    local q = memchr(d + pos, first, last - pos + 1)
    if q == nil then return nil end
    pos = tonumber(cast(u8p, q) - d)
    if m == 1 or memcmp(d + pos + 1, p + 1, m - 1) == 0 then return pos + 1 end
    pos = pos + 1
  end
  return nil
end

local function searchBackward(d, n, p, m, start)
  if m == 0 then return min(start, n + 1) end
  local pos = min(start, n - m + 1) - 1   -- 0-based
  local first = p[0]
  while pos >= 0 do
    if d[pos] == first and memcmp(d + pos, p, m) == 0 then return pos + 1 end
    pos = pos - 1
  end
  return nil
end

-- indexOf(value, i, enc) -> 1-based position or nil. A negative i counts
-- from the end, as string.find's init does.
function proto:indexOf(value, i, enc)
  checkThis(self)
  if type(i) == 'string' then enc = i end
  local n = tonumber(self._len)
  local p, m, keep = needleOf(value, enc)
  local start = searchStart(n, i)
  anchor = keep
  local r = searchForward(self._data, n, p, m, start)
  anchor = nil
  return r
end

-- lastIndexOf(value, i, enc): the last match starting at or before i
-- (default: anywhere).
function proto:lastIndexOf(value, i, enc)
  checkThis(self)
  if type(i) == 'string' then enc, i = i, nil end
  local n = tonumber(self._len)
  local p, m, keep = needleOf(value, enc)
  local start = n + 1
  if i ~= nil then
    start = rangeNumber(i, 'byteOffset', n + 1)
    if start < 0 then start = n + start + 1 elseif start == 0 then start = 1 end
    if start < 1 then return nil end
  end
  anchor = keep
  local r = searchBackward(self._data, n, p, m, start)
  anchor = nil
  return r
end

function proto:includes(value, i, enc)
  return proto.indexOf(self, value, i, enc) ~= nil
end

-- write(string, pos, length, enc) -> bytes written. Like Node, a character
-- that does not fit whole is not written.
function proto:write(s, pos, length, enc)
  checkThis(self)
  if type(s) ~= 'string' then argType('string', 'of type string', s) end
  if type(pos) == 'string' then pos, length, enc = nil, nil, pos
  elseif type(length) == 'string' then length, enc = nil, length end
  local n = tonumber(self._len)
  if pos == nil then
    pos = 1
  else
    if type(pos) ~= 'number' then argType('offset', 'of type number', pos) end
    if not (pos >= 1 and pos <= n + 1) or floor(pos) ~= pos then
      outOfRange('offset', format('>= 1 && <= %d', n + 1), pos)
    end
  end
  local avail = n - pos + 1
  if length ~= nil then
    if type(length) ~= 'number' then argType('length', 'of type number', length) end
    if not (length >= 0) or floor(length) ~= length then
      outOfRange('length', format('>= 0 && <= %d', avail), length)
    end
    if length < avail then avail = length end
  end
  local id = encodingOf(enc)
  local p, m = stringToBytes(s, id)
  if m > avail then
    local total = m
    m = avail
    if id == UTF8 then
      -- Do not write the first bytes of a character cut in two.
      local k = m
      while k > 0 and m - k < 3 and band(p[k], 0xC0) == 0x80 do k = k - 1 end
      if k < m and p[k] >= 0xC0 then
        local cp, j = utf8Next(p, k, total)
        if cp >= 0 and j > m then m = k end
      end
    elseif id == UTF16LE then
      m = m - m % 2
    end
  end
  if m > 0 then fficopy(self._data + (pos - 1), p, m) end
  trimScratch()
  return m
end

-- The length of a Buffer to swap in groups of `width` bytes, which must
-- divide it, as Node requires.
local function swapLength(self, width)
  checkThis(self)
  local n = tonumber(self._len)
  if n % width ~= 0 then
    raise(errors.new('RangeError', 'ERR_INVALID_BUFFER_SIZE',
      'Buffer size must be a multiple of ' .. width * 8 .. '-bits'))
  end
  return n
end

function proto:swap16()
  local n = swapLength(self, 2)
  local d = self._data
  for i = 0, n - 2, 2 do d[i], d[i + 1] = d[i + 1], d[i] end
  return self
end

function proto:swap32()
  local n = swapLength(self, 4)
  local d = self._data
  for i = 0, n - 4, 4 do
    d[i], d[i + 1], d[i + 2], d[i + 3] = d[i + 3], d[i + 2], d[i + 1], d[i]
  end
  return self
end

function proto:swap64()
  local n = swapLength(self, 8)
  local d = self._data
  for i = 0, n - 8, 8 do
    for k = 0, 3 do d[i + k], d[i + 7 - k] = d[i + 7 - k], d[i + k] end
  end
  return self
end

-- Iterators for a generic for.
local function entriesNext(b, i)
  i = i + 1
  if i <= tonumber(b._len) then return i, b._data[i - 1] end
end

local function keysNext(b, i)
  i = i + 1
  if i <= tonumber(b._len) then return i end
end

function proto:entries()
  checkThis(self)
  return entriesNext, self, 0
end
function proto:keys()
  checkThis(self)
  return keysNext, self, 0
end
function proto:values()
  checkThis(self)
  local i = 0
  return function()
    i = i + 1
    if i <= tonumber(self._len) then return self._data[i - 1] end
  end
end

----------------------------------------------------------------------------
-- read*/write*. Each checks its position, then loads or stores directly.

-- The 0-based offset of a `size`-byte access at position pos (default 1).
local function at(b, pos, size)
  if not istype(BufT, b) then notBuffer('this', b) end
  if pos == nil then pos = 1 end
  local n = tonumber(b._len)
  if type(pos) ~= 'number' or not (pos >= 1 and pos <= n - size + 1) or floor(pos) ~= pos then
    boundsError(pos, n, size)
  end
  return pos - 1
end

local function valueError(v, lo, hi)
  if type(v) ~= 'number' then argType('value', 'of type number', v) end
  outOfRange('value', format('>= %.0f and <= %.0f', lo, hi), v)
end

-- A value for an integer write: a number in [lo, hi], truncated toward
-- zero; NaN writes 0, as in Node.
local function checkValue(v, lo, hi)
  if type(v) ~= 'number' then valueError(v, lo, hi) end
  if v ~= v then return 0 end
  if v < lo or v > hi then valueError(v, lo, hi) end
  if v < 0 then return -floor(-v) end
  return floor(v)
end

function proto:readUInt8(pos)
  local off = at(self, pos, 1)
  return self._data[off]
end

function proto:readInt8(pos)
  local off = at(self, pos, 1)
  local v = self._data[off]
  if v >= 128 then return v - 256 end
  return v
end

function proto:writeUInt8(v, pos)
  local off = at(self, pos, 1)
  if type(v) ~= 'number' or not (v >= 0 and v <= 255) or floor(v) ~= v then v = checkValue(v, 0, 255) end
  self._data[off] = v
  return off + 2
end

function proto:writeInt8(v, pos)
  local off = at(self, pos, 1)
  if type(v) ~= 'number' or not (v >= -128 and v <= 127) or floor(v) ~= v then v = checkValue(v, -128, 127) end
  self._data[off] = v
  return off + 2
end

-- Each width exists twice: in the host's own byte order (a plain load or
-- store) and in the other order (swapped with bit.bswap). The LE methods
-- get the first set on a little-endian host and the second on a big-endian
-- one, and the BE methods the reverse, so both sets are exercised by the
-- tests on any host.
local native, swapped = {}, {}

-- A checker for integers in [lo, hi]: the common case is one compare in
-- compiled code (lo and hi are constant upvalues), the rest goes to
-- checkValue, which coerces or raises as Node does.
local function rangeChecker(lo, hi)
  return function(v)
    if type(v) ~= 'number' or not (v >= lo and v <= hi) or floor(v) ~= v then
      v = checkValue(v, lo, hi)
    end
    return v
  end
end
local check16u = rangeChecker(0, 65535)
local check16i = rangeChecker(-32768, 32767)
local check32u = rangeChecker(0, 4294967295)
local check32i = rangeChecker(-2147483648, 2147483647)

function native:readUInt16(pos)
  local off = at(self, pos, 2)
  return cast(u16p, self._data + off)[0]
end
function native:readInt16(pos)
  local off = at(self, pos, 2)
  return cast(i16p, self._data + off)[0]
end
function native:readUInt32(pos)
  local off = at(self, pos, 4)
  return cast(u32p, self._data + off)[0]
end
function native:readInt32(pos)
  local off = at(self, pos, 4)
  return cast(i32p, self._data + off)[0]
end
function native:writeUInt16(v, pos)
  local off = at(self, pos, 2)
  cast(u16p, self._data + off)[0] = check16u(v)
  return off + 3
end
function native:writeInt16(v, pos)
  local off = at(self, pos, 2)
  cast(i16p, self._data + off)[0] = check16i(v)
  return off + 3
end
function native:writeUInt32(v, pos)
  local off = at(self, pos, 4)
  cast(u32p, self._data + off)[0] = check32u(v)
  return off + 5
end
function native:writeInt32(v, pos)
  local off = at(self, pos, 4)
  cast(i32p, self._data + off)[0] = check32i(v)
  return off + 5
end

function swapped:readUInt16(pos)
  local off = at(self, pos, 2)
  return rshift(bswap(cast(u16p, self._data + off)[0]), 16)
end
function swapped:readInt16(pos)
  local off = at(self, pos, 2)
  return arshift(bswap(cast(u16p, self._data + off)[0]), 16)
end
function swapped:readUInt32(pos)
  local off = at(self, pos, 4)
  return bswap(cast(i32p, self._data + off)[0]) % 4294967296
end
function swapped:readInt32(pos)
  local off = at(self, pos, 4)
  return bswap(cast(i32p, self._data + off)[0])
end
function swapped:writeUInt16(v, pos)
  local off = at(self, pos, 2)
  cast(u16p, self._data + off)[0] = rshift(bswap(check16u(v)), 16)
  return off + 3
end
function swapped:writeInt16(v, pos)
  local off = at(self, pos, 2)
  cast(u16p, self._data + off)[0] = rshift(bswap(check16i(v)), 16)
  return off + 3
end
function swapped:writeUInt32(v, pos)
  local off = at(self, pos, 4)
  cast(i32p, self._data + off)[0] = bswap(check32u(v))
  return off + 5
end
function swapped:writeInt32(v, pos)
  local off = at(self, pos, 4)
  cast(i32p, self._data + off)[0] = bswap(check32i(v))
  return off + 5
end

do
  local little, big = native, swapped
  if not LE then little, big = swapped, native end
  for name, fn in pairs(little) do proto[name .. 'LE'] = fn end
  for name, fn in pairs(big) do proto[name .. 'BE'] = fn end
end

-- Floats. The native order is read directly; the other one is swapped as
-- an integer and reinterpreted through a union (no loop, so calls inline
-- into the caller's trace).
local stage = ffi.new('union { int32_t i32; float f; uint64_t u64; double d; }')

local function readFloatN(b, pos, size, native)
  local off = at(b, pos, size)
  local d = b._data + off
  if size == 4 then
    if native then return cast(f32p, d)[0] end
    stage.i32 = bswap(cast(i32p, d)[0])
    return stage.f
  end
  if native then return cast(f64p, d)[0] end
  stage.u64 = bswap(cast(u64p, d)[0])
  return stage.d
end

local function writeFloatN(b, v, pos, size, native)
  local off = at(b, pos, size)
  if type(v) ~= 'number' then argType('value', 'of type number', v) end
  local d = b._data + off
  if size == 4 then
    if native then
      cast(f32p, d)[0] = v
    else
      stage.f = v
      cast(i32p, d)[0] = bswap(stage.i32)
    end
  elseif native then
    cast(f64p, d)[0] = v
  else
    stage.d = v
    cast(u64p, d)[0] = bswap(stage.u64)
  end
  return off + size + 1
end

function proto:readFloatLE(pos) return readFloatN(self, pos, 4, LE) end
function proto:readFloatBE(pos) return readFloatN(self, pos, 4, not LE) end
function proto:readDoubleLE(pos) return readFloatN(self, pos, 8, LE) end
function proto:readDoubleBE(pos) return readFloatN(self, pos, 8, not LE) end
function proto:writeFloatLE(v, pos) return writeFloatN(self, v, pos, 4, LE) end
function proto:writeFloatBE(v, pos) return writeFloatN(self, v, pos, 4, not LE) end
function proto:writeDoubleLE(v, pos) return writeFloatN(self, v, pos, 8, LE) end
function proto:writeDoubleBE(v, pos) return writeFloatN(self, v, pos, 8, not LE) end

-- 64-bit integers: LuaJIT's int64_t / uint64_t cdata, as Node's BigInt.
function proto:readBigInt64LE(pos)
  local off = at(self, pos, 8)
  local v = cast(i64p, self._data + off)[0]
  if LE then return v end
  return bswap(v)
end
function proto:readBigInt64BE(pos)
  local off = at(self, pos, 8)
  local v = cast(i64p, self._data + off)[0]
  if LE then return bswap(v) end
  return v
end
function proto:readBigUInt64LE(pos)
  local off = at(self, pos, 8)
  local v = cast(u64p, self._data + off)[0]
  if LE then return v end
  return bswap(v)
end
function proto:readBigUInt64BE(pos)
  local off = at(self, pos, 8)
  local v = cast(u64p, self._data + off)[0]
  if LE then return bswap(v) end
  return v
end

local TWO63 = 9223372036854775808
local TWO64 = 18446744073709551616

-- A 64-bit value as a cdata of the target type, range-checked.
local function bigValue(v, signed)
  if type(v) == 'number' then
    if v ~= v or floor(v) ~= v or (signed and (v < -TWO63 or v >= TWO63))
      or (not signed and (v < 0 or v >= TWO64)) then
      outOfRange('value', signed and '>= -(2 ** 63) and < 2 ** 63' or '>= 0 and < 2 ** 64', v)
    end
    if signed then return int64(v) end
    return uint64(v)
  end
  if istype(int64, v) then
    if not signed and v < 0 then outOfRange('value', '>= 0 and < 2 ** 64', v) end
    return v
  elseif istype(uint64, v) then
    if signed and v > 0x7fffffffffffffffULL then
      outOfRange('value', '>= -(2 ** 63) and < 2 ** 63', v)
    end
    return v
  end
  argType('value', 'of type number or a 64-bit integer cdata', v)
end

local function writeBig(b, v, pos, signed, swap)
  local off = at(b, pos, 8)
  v = bigValue(v, signed)
  if swap then v = bswap(v) end
  cast(u64p, b._data + off)[0] = v
  return off + 9
end

function proto:writeBigInt64LE(v, pos) return writeBig(self, v, pos, true, not LE) end
function proto:writeBigInt64BE(v, pos) return writeBig(self, v, pos, true, LE) end
function proto:writeBigUInt64LE(v, pos) return writeBig(self, v, pos, false, not LE) end
function proto:writeBigUInt64BE(v, pos) return writeBig(self, v, pos, false, LE) end

-- Variable-width integers of 1 to 6 bytes.
local function checkByteLength(bl)
  if type(bl) ~= 'number' then argType('byteLength', 'of type number', bl) end
  if not (bl >= 1 and bl <= 6) or floor(bl) ~= bl then
    outOfRange('byteLength', '>= 1 and <= 6', bl)
  end
  return bl
end

-- Straight-line code rather than loops, so these inline into the caller's
-- trace too.
local function readUIntN(b, pos, bl, little)
  bl = checkByteLength(bl)
  local off = at(b, pos, bl)
  local d = b._data + off
  local v
  if little then
    v = d[bl - 1]
    if bl >= 2 then v = v * 256 + d[bl - 2] end
    if bl >= 3 then v = v * 256 + d[bl - 3] end
    if bl >= 4 then v = v * 256 + d[bl - 4] end
    if bl >= 5 then v = v * 256 + d[bl - 5] end
    if bl >= 6 then v = v * 256 + d[bl - 6] end
  else
    v = d[0]
    if bl >= 2 then v = v * 256 + d[1] end
    if bl >= 3 then v = v * 256 + d[2] end
    if bl >= 4 then v = v * 256 + d[3] end
    if bl >= 5 then v = v * 256 + d[4] end
    if bl >= 6 then v = v * 256 + d[5] end
  end
  return v, bl
end

-- Stores the low byte of v at byte k (0 = least significant) of a
-- bl-byte integer at d; returns v without that byte.
local function putByte(d, k, bl, little, v)
  local lowByte = v % 256
  if little then d[k] = lowByte else d[bl - 1 - k] = lowByte end
  return (v - lowByte) / 256
end

local function writeIntN(b, v, pos, bl, little, signed)
  bl = checkByteLength(bl)
  local off = at(b, pos, bl)
  local lim = 2 ^ (8 * bl)
  if signed then
    v = checkValue(v, -lim / 2, lim / 2 - 1)
  else
    v = checkValue(v, 0, lim - 1)
  end
  if v < 0 then v = v + lim end
  local d = b._data + off
  v = putByte(d, 0, bl, little, v)
  if bl >= 2 then v = putByte(d, 1, bl, little, v) end
  if bl >= 3 then v = putByte(d, 2, bl, little, v) end
  if bl >= 4 then v = putByte(d, 3, bl, little, v) end
  if bl >= 5 then v = putByte(d, 4, bl, little, v) end
  if bl >= 6 then putByte(d, 5, bl, little, v) end
  return off + bl + 1
end

function proto:readUIntLE(pos, bl) return (readUIntN(self, pos, bl, true)) end
function proto:readUIntBE(pos, bl) return (readUIntN(self, pos, bl, false)) end
function proto:readIntLE(pos, bl)
  local v, n = readUIntN(self, pos, bl, true)
  local lim = 2 ^ (8 * n)
  if v >= lim / 2 then v = v - lim end
  return v
end
function proto:readIntBE(pos, bl)
  local v, n = readUIntN(self, pos, bl, false)
  local lim = 2 ^ (8 * n)
  if v >= lim / 2 then v = v - lim end
  return v
end
function proto:writeUIntLE(v, pos, bl) return writeIntN(self, v, pos, bl, true, false) end
function proto:writeUIntBE(v, pos, bl) return writeIntN(self, v, pos, bl, false, false) end
function proto:writeIntLE(v, pos, bl) return writeIntN(self, v, pos, bl, true, true) end
function proto:writeIntBE(v, pos, bl) return writeIntN(self, v, pos, bl, false, true) end

-- Node's lower-case aliases (readUint32LE, writeBigUint64BE, ...).
do
  local aliases = {}
  for name, fn in pairs(proto) do
    local alias = name:gsub('UInt', 'Uint')
    if alias ~= name then aliases[alias] = fn end
  end
  for name, fn in pairs(aliases) do proto[name] = fn end
end

ffi.metatype(BufT, mt)

Buffer.prototype = proto

----------------------------------------------------------------------------
-- The module.

M.Buffer = Buffer
M._sentinel = sentinel   -- referenced here so it lives as long as the module
M.constants = { MAX_LENGTH = MAX_LENGTH, MAX_STRING_LENGTH = MAX_STRING_LENGTH }
M.kMaxLength = MAX_LENGTH
M.kStringMaxLength = MAX_STRING_LENGTH
M.INSPECT_MAX_BYTES = INSPECT_MAX_BYTES

-- Bytes held outside the Lua heap, for process.memoryUsage().external.
function M._external()
  return external
end

function M.isUtf8(b)
  checkBuffer(b, 'input')
  local n = tonumber(b._len)
  return utf8ValidPrefix(b._data, n) == n
end

function M.isAscii(b)
  checkBuffer(b, 'input')
  local n = tonumber(b._len)
  return asciiPrefix(b._data, n) == n
end

-- btoa/atob work on "binary strings": here, UTF-8 text whose code points
-- are all below 256.
function M.btoa(s)
  if type(s) ~= 'string' then argType('data', 'of type string', s) end
  return fromString(s, 'latin1'):toString('base64')
end

function M.atob(s)
  if type(s) ~= 'string' then argType('data', 'of type string', s) end
  return fromString(s, 'base64'):toString('latin1')
end

registry['lode.buffer'] = M
return M
