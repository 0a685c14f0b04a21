-- string_decoder: Node's StringDecoder. Turns bytes arriving in pieces
-- into text without cutting a character in two: the bytes of a character
-- that is not complete yet are held back until the next write.
--
-- Input is a Buffer or a Lua string (Lua strings are bytes); output is a
-- Lua string holding UTF-8 text (hex, base64 and the like are ASCII).
-- The conversions themselves are Buffer's codecs, reached through its
-- public API (`Buffer.from(bytes):toString(enc)`); a UTF-8 or ASCII piece
-- with no byte above 127 is returned as it is, without a copy.
local require = ...

local ffi = require('ffi')
local errors = require('internal/errors')
local class = require('internal/class')
local Buffer = require('buffer').Buffer

local type, error, byte, find, sub, lower = type, error, string.byte, string.find, string.sub, string.lower
local istype, ffistring, cast = ffi.istype, ffi.string, ffi.cast
local instanceof = class.instanceof
local BufT = ffi.typeof('lode_buffer')
local u8p = ffi.typeof('const uint8_t *')

local names = {
  utf8 = 'utf8', ['utf-8'] = 'utf8',
  utf16le = 'utf16le', ['utf-16le'] = 'utf16le', ucs2 = 'utf16le', ['ucs-2'] = 'utf16le',
  base64 = 'base64', base64url = 'base64url', hex = 'hex',
  latin1 = 'latin1', binary = 'latin1', ascii = 'ascii',
}

-- The normalized name of an encoding, or raises ERR_UNKNOWN_ENCODING.
local function normalize(enc)
  if enc == nil then return 'utf8' end
  local n = names[enc]
  if n == nil and type(enc) == 'string' then n = names[lower(enc)] end
  if n == nil then error(errors.ERR_UNKNOWN_ENCODING(enc), 0) end
  return n
end

-- The bytes of a write's argument, as a Lua string.
local function bytesOf(buf)
  if type(buf) == 'string' then return buf end
  if istype(BufT, buf) then return ffistring(cast(u8p, buf._data), buf._len) end
  error(errors.ERR_INVALID_ARG_TYPE('buf', 'an instance of Buffer, TypedArray, or DataView', buf), 0)
end

local function convert(s, enc)
  if s == '' then return '' end
  if (enc == 'utf8' or enc == 'ascii') and not find(s, '[\128-\255]') then return s end
  return Buffer.from(s):toString(enc)
end

-- How many bytes at the end of `s` (n bytes) start a UTF-8 character that
-- is not complete. Lead bytes are told by their bit pattern alone, as
-- Node does; a sequence that turns out invalid becomes U+FFFD later.
local function utf8Tail(s, n)
  local j = n
  local stop = n - 3
  if stop < 1 then stop = 1 end
  while j >= stop do
    local c = byte(s, j)
    if c < 0x80 then return 0 end
    if c >= 0xC0 then
      local need
      if c >= 0xF8 then return 0
      elseif c >= 0xF0 then need = 4
      elseif c >= 0xE0 then need = 3
      else need = 2 end
      local have = n - j + 1
      if have < need then return have end
      return 0
    end
    j = j - 1
  end
  return 0
end

-- UTF-16LE: an odd byte, or a high surrogate, waits for what follows.
local function utf16Tail(n, s)
  local keep = n % 2
  local last = n - keep
  if last >= 2 then
    local hi = byte(s, last)
    if hi >= 0xD8 and hi <= 0xDB then keep = keep + 2 end
  end
  return keep
end

local StringDecoder = class.Object:extend('StringDecoder')

local function checkThis(self)
  if not instanceof(self, StringDecoder) then error(errors.ERR_INVALID_THIS('StringDecoder'), 0) end
end

function StringDecoder:initialize(encoding)
  checkThis(self)
  self.encoding = normalize(encoding)
  self._pending = ''
end

-- write(buf): the text of every character complete so far.
function StringDecoder:write(buf)
  checkThis(self)
  local s = bytesOf(buf)
  local enc = self.encoding
  local pending = self._pending
  if pending ~= '' then s = pending .. s end
  local n = #s
  local keep = 0
  if enc == 'utf8' then keep = utf8Tail(s, n)
  elseif enc == 'utf16le' then keep = utf16Tail(n, s)
  elseif enc == 'base64' or enc == 'base64url' then keep = n % 3
  end
  if keep == 0 then
    self._pending = ''
    return convert(s, enc)
  end
  self._pending = sub(s, n - keep + 1, n)
  return convert(sub(s, 1, n - keep), enc)
end

-- finish([buf]) (Node's end): writes buf, then gives what was held back:
-- U+FFFD for an incomplete UTF-8 character, the padded base64 of the last
-- bytes, a lone high surrogate in UTF-16.
function StringDecoder:finish(buf)
  checkThis(self)
  local r = ''
  if buf ~= nil then r = self:write(buf) end
  local pending = self._pending
  if pending == '' then return r end
  self._pending = ''
  local enc = self.encoding
  if enc == 'utf8' then return r .. '\239\191\189' end
  if enc == 'utf16le' then
    local n = #pending - #pending % 2
    if n == 0 then return r end
    return r .. convert(sub(pending, 1, n), enc)
  end
  return r .. convert(pending, enc)
end
StringDecoder['end'] = StringDecoder.finish

return { StringDecoder = StringDecoder }
