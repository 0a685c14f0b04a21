-- querystring: Node's querystring module (lib/querystring.js). Repeated
-- keys parse into a list; a record table stringifies with its keys sorted,
-- since a Lua table has no order of its own.
local require, binding = ...

local errors = require('internal/errors')
local codec = require('internal/urlcodec')
local Buffer = require('buffer').Buffer

local type, tostring, error, pcall, next = type, tostring, error, pcall, next
local sub, find, gsub = string.sub, string.find, string.gsub
local concat, sort = table.concat, table.sort
local HEX, percentDecode, wellFormed, numberText =
  codec.HEX, codec.percentDecode, codec.wellFormed, codec.numberText
local makeSet, anyIn = codec.makeSet, codec.anyIn

local M = {}

-- All but encodeURIComponent's unreserved set: A-Z a-z 0-9 - _ . ! ~ * ' ( ).
local KEPT = {}
for c in ("-_.!~*'()"):gmatch('.') do KEPT[c:byte()] = true end
local ESCAPE = makeSet(function(c)
  return not ((c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122) or KEPT[c])
end)

local function toText(v, name)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return numberText(v) end
  if t == 'boolean' then return tostring(v) end
  error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string', v), 0)
end

-- escape(str): percent-encodes all but the unreserved characters, as
-- encodeURIComponent does (bytes, so UTF-8 text comes out as Node's).
function M.escape(str)
  str = toText(str, 'str')
  if not anyIn(str, ESCAPE) then return str end
  return (gsub(str, ESCAPE.pattern, HEX))
end

-- unescape(str): decodes each valid %XX and keeps every other '%' as it is;
-- bytes that are not UTF-8 become U+FFFD, as Node's Buffer decoding gives.
function M.unescape(str)
  str = toText(str, 'str')
  return wellFormed(percentDecode(str))
end

local function checkSep(v, name, default)
  if v == nil or v == '' or v == false then return default end
  if type(v) ~= 'string' then error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string', v), 0) end
  return v
end

local function checkOptions(options)
  if options ~= nil and type(options) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type table', options), 0)
  end
  return options
end

local unescape = M.unescape

-- A custom decoder that raises falls back to unescape, as Node's
-- try/catch does; one that returns no string gives its value as text.
local function decodeWith(decode, s)
  local ok, r = pcall(decode, s)
  if not ok then return unescape(s) end
  if type(r) ~= 'string' then return toText(r, 'decodeURIComponent()') end
  return r
end

local function addKeyVal(obj, key, value, custom, decode)
  if key ~= '' and (custom or find(key, '%%%x%x')) then key = decodeWith(decode, key) end
  if value ~= '' and (custom or find(value, '%%%x%x')) then value = decodeWith(decode, value) end
  local cur = obj[key]
  if cur == nil then
    obj[key] = value
  elseif type(cur) == 'table' then
    cur[#cur + 1] = value
  else
    obj[key] = { cur, value }
  end
end

-- parse(str, [sep], [eq], [options]): a table of keys to values; a key
-- given more than once maps to a list of its values, in order. Empty
-- pieces between separators count towards maxKeys, as in Node.
function M.parse(qs, sep, eq, options)
  sep = checkSep(sep, 'sep', '&')
  eq = checkSep(eq, 'eq', '=')
  options = checkOptions(options)
  local obj = {}
  if type(qs) ~= 'string' or qs == '' then return obj end
  local left = 1000
  -- M.unescape is looked up at each call, so a script may replace it.
  local decode = M.unescape
  if options then
    if type(options.maxKeys) == 'number' then left = options.maxKeys > 0 and options.maxKeys or -1 end
    if type(options.decodeURIComponent) == 'function' then decode = options.decodeURIComponent end
  end
  if type(decode) ~= 'function' then decode = unescape end
  local custom = decode ~= unescape
  -- A custom decoder sees '+' as '%20'; the built-in one gets a space.
  local plus = custom and '%%20' or ' '
  local start, len, sepLen, eqLen = 1, #qs, #sep, #eq
  while true do
    local k = find(qs, sep, start, true)
    local piece = sub(qs, start, k and k - 1 or len)
    if piece == '' then
      if not k then return obj end
    else
      local e = find(piece, eq, 1, true)
      local key, value
      if e then
        key, value = sub(piece, 1, e - 1), sub(piece, e + eqLen)
      else
        key, value = piece, ''
      end
      if find(key, '+', 1, true) then key = gsub(key, '+', plus) end
      if find(value, '+', 1, true) then value = gsub(value, '+', plus) end
      addKeyVal(obj, key, value, custom, decode)
    end
    left = left - 1
    if left == 0 or not k then return obj end
    start = k + sepLen
  end
end

-- A value as stringify writes it: strings encoded, finite numbers and
-- booleans as text, anything else empty (as Node does).
local escape = M.escape

local function stringified(v, encode)
  local t = type(v)
  if t == 'string' then return v ~= '' and encode(v) or '' end
  if t == 'number' then
    if v ~= v or v == math.huge or v == -math.huge then return '' end
    local s = numberText(v)
    if v >= 1e21 or v <= -1e21 then return encode(s) end
    return s
  end
  if t == 'boolean' then return tostring(v) end
  return ''
end

local function keyText(k)
  if type(k) == 'number' then return numberText(k) end
  return tostring(k)
end

-- What a custom encoder is given: the value as text, '' for what has none.
local function primitive(v)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then
    if v ~= v or v == math.huge or v == -math.huge then return '' end
    return numberText(v)
  end
  if t == 'boolean' then return tostring(v) end
  return ''
end

-- A list value: a table with a first element, or an empty table (Node's
-- empty array, which adds nothing).
local function isList(v)
  return type(v) == 'table' and (v[1] ~= nil or next(v) == nil)
end

-- stringify(obj, [sep], [eq], [options]): the keys of obj in sorted order
-- (numbers first, then strings); a list value repeats its key once per
-- element.
function M.stringify(obj, sep, eq, options)
  sep = checkSep(sep, 'sep', '&')
  eq = checkSep(eq, 'eq', '=')
  options = checkOptions(options)
  local encode = M.escape
  if options and type(options.encodeURIComponent) == 'function' then encode = options.encodeURIComponent end
  if type(encode) ~= 'function' then encode = escape end
  local convert
  if encode == escape then
    convert = stringified
  else
    convert = function(v)
      local r = encode(primitive(v))
      if type(r) ~= 'string' then return toText(r, 'encodeURIComponent()') end
      return r
    end
  end
  if type(obj) ~= 'table' then return '' end
  local keys = {}
  for k in next, obj do
    if type(k) == 'string' or type(k) == 'number' then keys[#keys + 1] = k end
  end
  sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta == 'number' end
    return a < b
  end)
  local fields = {}
  for i = 1, #keys do
    local k = keys[i]
    local v = obj[k]
    local ks = convert(keyText(k), encode) .. eq
    if isList(v) then
      for j = 1, #v do fields[#fields + 1] = ks .. convert(v[j], encode) end
    else
      fields[#fields + 1] = ks .. convert(v, encode)
    end
  end
  return concat(fields, sep)
end

-- unescapeBuffer(str, [decodeSpaces]): the bytes of str with each valid
-- %XX decoded ('+' as a space when decodeSpaces), as a Buffer.
function M.unescapeBuffer(str, decodeSpaces)
  str = toText(str, 'str')
  if decodeSpaces then str = gsub(str, '+', ' ') end
  return Buffer.from(percentDecode(str))
end

M.decode = M.parse
M.encode = M.stringify

return M
