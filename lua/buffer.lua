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
local codecs = require('internal/codecs')

local type, tonumber, tostring, error, pairs = type, tonumber, tostring, error, pairs
local collectgarbage = collectgarbage
local floor, huge, min, max = math.floor, math.huge, math.min, math.max
local format, concat = string.format, table.concat
local band, bor, lshift, rshift, arshift, bswap =
  bit.band, bit.bor, bit.lshift, bit.rshift, bit.arshift, bit.bswap
local cast, istype, fficopy, ffifill, ffigc =
  ffi.cast, ffi.istype, ffi.copy, ffi.fill, ffi.gc

-- Loading the module twice in one Lua state (say, from disk and from the
-- bundle) must not redefine the ctype or its metatype: the second load hands
-- back the first module.
local registry = debug.getregistry()
if registry['lode.buffer'] then return registry['lode.buffer'] end

-- `lode_buffer` is the only ctype scripts see. Its fields are constant
-- integers, not pointers: a script can neither change a Buffer's length nor
-- follow its data or block pointer to read and write other memory (which a
-- sandbox must forbid); this module turns them back into pointers. The
-- leading underscore keeps `buf.length` going through `__index`, and tells
-- scripts that these are not API. The first two fields are the header C
-- reads.
-- The libc functions are declared under private names (asm labels), so that
-- another module declaring `malloc` cannot clash with this one.
ffi.cdef [[
typedef struct lode_buffer_block { double refs; double size; } lode_buffer_block;
typedef struct lode_buffer {
  const uintptr_t _data;
  const size_t _len;
  const uintptr_t _block;
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
local uintptr = ffi.typeof('uintptr_t')
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
local MAX_STRING_LENGTH = codecs.MAX_STRING_LENGTH
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
  local blk = cast(blockp, b._block)
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
  local b = BufT(cast(uintptr, data), len, cast(uintptr, blk))
  blk.refs = blk.refs + 1
  return ffigc(b, release)
end

-- Zero-length Buffers share no block; their data points at a static byte.
local emptyByte = ffi.new('uint8_t[1]')
local function emptyBuffer()
  return BufT(cast(uintptr, emptyByte), 0, 0)
end

-- C bindings take a cdata for a Buffer only when it has Buffer's ctype.
if not binding('runtime').bufferType(emptyBuffer(), tonumber(BufT)) then
  error('lode: this LuaJIT keeps cdata in a layout lode does not know')
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
    ffifill(cast(u8p, b._data), size, 0)
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

-- When the Lua state closes, every finalizer runs: this one drops the
-- module's reference to the pool, so a clean run leaks nothing (the
-- Buffers still in the pool drop theirs; codecs frees its scratch area).
local function releaseModule()
  if pool ~= nil then
    local r = pool.refs - 1
    if r > 0 then pool.refs = r else external = external - pool.size; free(pool) end
    pool = nil
  end
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
-- Encodings: lua/internal/codecs.lua, shared with stream decoding.

local UTF8, UTF16LE = codecs.UTF8, codecs.UTF16LE
local encodingOf, bytesToString, stringToBytes = codecs.id, codecs.decode, codecs.encode
local byteLengthOf, decodeUtf8, utf8Next = codecs.byteLength, codecs.decodeUtf8, codecs.utf8Next
local asciiPrefix, utf8ValidPrefix = codecs.asciiPrefix, codecs.utf8ValidPrefix
local getScratch, trimScratch = codecs.getScratch, codecs.trimScratch

----------------------------------------------------------------------------
-- Making Buffers.

-- A pointer into a string or a Buffer does not keep it alive, and making
-- a Buffer may run the collector (and finalizers). The source of a copy is
-- anchored here while that can happen.
local anchor = nil

local function fromBytes(p, n, keep)
  anchor = keep
  local b = allocate(n)
  if n > 0 then fficopy(cast(u8p, b._data), p, n) end
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
  local d = cast(u8p, b._data)
  for i = 1, n do
    local v = t[i]
    if v >= 0 and v < 256 then d[i - 1] = v else d[i - 1] = toByte(v) end
  end
  return b
end

function Buffer.from(value, enc)
  local tv = type(value)
  if tv == 'string' then return fromString(value, enc) end
  if istype(BufT, value) then return fromBytes(cast(u8p, value._data), tonumber(value._len), value) end
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
    fficopy(tmp, cast(u8p, value._data), m)
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
  if p == nil then ffifill(cast(u8p, b._data), size, m) else fillPattern(cast(u8p, b._data), size, p, m) end
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

Buffer.isEncoding = codecs.isEncoding

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
  return compareBytes(cast(u8p, a._data), tonumber(a._len), cast(u8p, b._data), tonumber(b._len))
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
  local d = cast(u8p, b._data)
  local pos = 0
  for i = 1, n do
    if pos >= totalLength then break end
    local v = list[i]
    local p, m
    if type(v) == 'string' then
      p, m = v, #v
    else
      p, m = cast(u8p, v._data), tonumber(v._len)
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
    if k >= 1 and k <= tonumber(b._len) and floor(k) == k then return cast(u8p, b._data)[k - 1] end
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
    cast(u8p, b._data)[k - 1] = toByte(v)
    return
  end
  outOfRange('index', n > 0 and format('an integer >= 1 and <= %d', n)
    or 'within the buffer (the buffer is empty)', k)
end

-- buf[i] = v: a bounds-checked store of v, wrapped to a byte like Node.
mt.__newindex = function(b, k, v)
  if type(k) == 'number' and k >= 1 and k <= tonumber(b._len) and floor(k) == k
    and type(v) == 'number' and v > -2147483648 and v < 2147483648 then
    cast(u8p, b._data)[k - 1] = v   -- FFI truncates to int and keeps the low byte
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
  return memcmp(cast(u8p, a._data), cast(u8p, b._data), n) == 0
end

mt.__lt = function(a, b)
  checkBuffer(a, 'buf1'); checkBuffer(b, 'buf2')
  return compareBytes(cast(u8p, a._data), tonumber(a._len), cast(u8p, b._data), tonumber(b._len)) < 0
end

mt.__le = function(a, b)
  checkBuffer(a, 'buf1'); checkBuffer(b, 'buf2')
  return compareBytes(cast(u8p, a._data), tonumber(a._len), cast(u8p, b._data), tonumber(b._len)) <= 0
end

-- Node's inspect form: <Buffer 68 65 6c 6c 6f>, cut after 50 bytes.
mt.__tostring = function(b)
  local n = tonumber(b._len)
  local m = min(n, INSPECT_MAX_BYTES)
  local parts = {}
  local d = cast(u8p, b._data)
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
  if istype(BufT, a) then a = decodeUtf8(cast(u8p, a._data), tonumber(a._len)) end
  if istype(BufT, b) then b = decodeUtf8(cast(u8p, b._data), tonumber(b._len)) end
  return a .. b
end

----------------------------------------------------------------------------
-- Methods.

-- toString(enc, i, j)
function proto:toString(enc, i, j)
  checkThis(self)
  local id = encodingOf(enc)
  local off, n = subRange(tonumber(self._len), i, j)
  return bytesToString(cast(u8p, self._data) + off, n, id)
end
proto.toLocaleString = proto.toString

function proto:inspect()
  checkThis(self)
  return mt.__tostring(self)
end

function proto:toJSON()
  checkThis(self)
  local n = tonumber(self._len)
  local d = cast(u8p, self._data)
  local data = {}
  for i = 1, n do data[i] = d[i - 1] end
  return { type = 'Buffer', data = data }
end

function proto:equals(other)
  checkThis(self)
  checkBuffer(other, 'otherBuffer')
  local n = self._len
  if n ~= other._len then return false end
  return memcmp(cast(u8p, self._data), cast(u8p, other._data), n) == 0
end

-- compare(target, targetStart, targetEnd, sourceStart, sourceEnd): -1, 0, 1.
function proto:compare(target, ts, te, ss, se)
  checkThis(self)
  checkBuffer(target, 'target')
  local toff, tn = subRange(tonumber(target._len), ts, te, 'targetStart', 'targetEnd')
  local soff, sn = subRange(tonumber(self._len), ss, se, 'sourceStart', 'sourceEnd')
  return compareBytes(cast(u8p, self._data) + soff, sn, cast(u8p, target._data) + toff, tn)
end

-- slice(i, j) / subarray(i, j): a view sharing this Buffer's memory.
function proto:slice(i, j)
  checkThis(self)
  local off, n = subRange(tonumber(self._len), i, j)
  local blk = cast(blockp, self._block)
  if blk == nil then return emptyBuffer() end
  return wrap(cast(u8p, self._data) + off, n, blk)
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
  if n > 0 then memmove(cast(u8p, target._data) + (targetStart - 1), cast(u8p, self._data) + soff, n) end
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
    if p == nil then ffifill(cast(u8p, self._data) + off, n, m) else fillPattern(cast(u8p, self._data) + off, n, p, m) end
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
    return cast(u8p, b._data), m, b
  elseif tv == 'number' then
    needleByte[0] = toByte(value)
    return needleByte, 1, nil
  elseif istype(BufT, value) then
    return cast(u8p, value._data), tonumber(value._len), value
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
  local r = searchForward(cast(u8p, self._data), n, p, m, start)
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
  local r = searchBackward(cast(u8p, self._data), n, p, m, start)
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
  if m > 0 then fficopy(cast(u8p, self._data) + (pos - 1), p, m) end
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
  local d = cast(u8p, self._data)
  for i = 0, n - 2, 2 do d[i], d[i + 1] = d[i + 1], d[i] end
  return self
end

function proto:swap32()
  local n = swapLength(self, 4)
  local d = cast(u8p, self._data)
  for i = 0, n - 4, 4 do
    d[i], d[i + 1], d[i + 2], d[i + 3] = d[i + 3], d[i + 2], d[i + 1], d[i]
  end
  return self
end

function proto:swap64()
  local n = swapLength(self, 8)
  local d = cast(u8p, self._data)
  for i = 0, n - 8, 8 do
    for k = 0, 3 do d[i + k], d[i + 7 - k] = d[i + 7 - k], d[i + k] end
  end
  return self
end

-- Iterators for a generic for.
local function entriesNext(b, i)
  i = i + 1
  if i <= tonumber(b._len) then return i, cast(u8p, b._data)[i - 1] end
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
    if i <= tonumber(self._len) then return cast(u8p, self._data)[i - 1] end
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
  return cast(u8p, self._data)[off]
end

function proto:readInt8(pos)
  local off = at(self, pos, 1)
  local v = cast(u8p, self._data)[off]
  if v >= 128 then return v - 256 end
  return v
end

function proto:writeUInt8(v, pos)
  local off = at(self, pos, 1)
  if type(v) ~= 'number' or not (v >= 0 and v <= 255) or floor(v) ~= v then v = checkValue(v, 0, 255) end
  cast(u8p, self._data)[off] = v
  return off + 2
end

function proto:writeInt8(v, pos)
  local off = at(self, pos, 1)
  if type(v) ~= 'number' or not (v >= -128 and v <= 127) or floor(v) ~= v then v = checkValue(v, -128, 127) end
  cast(u8p, self._data)[off] = v
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
  return cast(u16p, cast(u8p, self._data) + off)[0]
end
function native:readInt16(pos)
  local off = at(self, pos, 2)
  return cast(i16p, cast(u8p, self._data) + off)[0]
end
function native:readUInt32(pos)
  local off = at(self, pos, 4)
  return cast(u32p, cast(u8p, self._data) + off)[0]
end
function native:readInt32(pos)
  local off = at(self, pos, 4)
  return cast(i32p, cast(u8p, self._data) + off)[0]
end
function native:writeUInt16(v, pos)
  local off = at(self, pos, 2)
  cast(u16p, cast(u8p, self._data) + off)[0] = check16u(v)
  return off + 3
end
function native:writeInt16(v, pos)
  local off = at(self, pos, 2)
  cast(i16p, cast(u8p, self._data) + off)[0] = check16i(v)
  return off + 3
end
function native:writeUInt32(v, pos)
  local off = at(self, pos, 4)
  cast(u32p, cast(u8p, self._data) + off)[0] = check32u(v)
  return off + 5
end
function native:writeInt32(v, pos)
  local off = at(self, pos, 4)
  cast(i32p, cast(u8p, self._data) + off)[0] = check32i(v)
  return off + 5
end

function swapped:readUInt16(pos)
  local off = at(self, pos, 2)
  return rshift(bswap(cast(u16p, cast(u8p, self._data) + off)[0]), 16)
end
function swapped:readInt16(pos)
  local off = at(self, pos, 2)
  return arshift(bswap(cast(u16p, cast(u8p, self._data) + off)[0]), 16)
end
function swapped:readUInt32(pos)
  local off = at(self, pos, 4)
  return bswap(cast(i32p, cast(u8p, self._data) + off)[0]) % 4294967296
end
function swapped:readInt32(pos)
  local off = at(self, pos, 4)
  return bswap(cast(i32p, cast(u8p, self._data) + off)[0])
end
function swapped:writeUInt16(v, pos)
  local off = at(self, pos, 2)
  cast(u16p, cast(u8p, self._data) + off)[0] = rshift(bswap(check16u(v)), 16)
  return off + 3
end
function swapped:writeInt16(v, pos)
  local off = at(self, pos, 2)
  cast(u16p, cast(u8p, self._data) + off)[0] = rshift(bswap(check16i(v)), 16)
  return off + 3
end
function swapped:writeUInt32(v, pos)
  local off = at(self, pos, 4)
  cast(i32p, cast(u8p, self._data) + off)[0] = bswap(check32u(v))
  return off + 5
end
function swapped:writeInt32(v, pos)
  local off = at(self, pos, 4)
  cast(i32p, cast(u8p, self._data) + off)[0] = bswap(check32i(v))
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
  local d = cast(u8p, b._data) + off
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
  local d = cast(u8p, b._data) + off
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
  local v = cast(i64p, cast(u8p, self._data) + off)[0]
  if LE then return v end
  return bswap(v)
end
function proto:readBigInt64BE(pos)
  local off = at(self, pos, 8)
  local v = cast(i64p, cast(u8p, self._data) + off)[0]
  if LE then return bswap(v) end
  return v
end
function proto:readBigUInt64LE(pos)
  local off = at(self, pos, 8)
  local v = cast(u64p, cast(u8p, self._data) + off)[0]
  if LE then return v end
  return bswap(v)
end
function proto:readBigUInt64BE(pos)
  local off = at(self, pos, 8)
  local v = cast(u64p, cast(u8p, self._data) + off)[0]
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
  cast(u64p, cast(u8p, b._data) + off)[0] = v
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
  local d = cast(u8p, b._data) + off
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
  local d = cast(u8p, b._data) + off
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
  return utf8ValidPrefix(cast(u8p, b._data), n) == n
end

function M.isAscii(b)
  checkBuffer(b, 'input')
  local n = tonumber(b._len)
  return asciiPrefix(cast(u8p, b._data), n) == n
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
