-- querystring: Node's querystring module (lib/querystring.js). Repeated
-- keys parse into a list; a record table stringifies with its keys sorted,
-- since a Lua table has no order of its own.
local require, binding = ...

local errors = require('internal/errors')
local codec = require('internal/urlcodec')

local type, tostring, error, pcall, next = type, tostring, error, pcall, next
local byte, sub, find, gsub = string.byte, string.sub, string.find, string.gsub
local concat, sort = table.concat, table.sort
local HEX, percentDecode, wellFormed, numberText =
  codec.HEX, codec.percentDecode, codec.wellFormed, codec.numberText

local M = {}

-- encodeURIComponent's unreserved set: A-Z a-z 0-9 - _ . ! ~ * ' ( ).
local ESCAPE = "[^A-Za-z0-9%-_%.!~%*'%(%)]"

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
  if not find(str, ESCAPE) then return str end
  return (gsub(str, ESCAPE, HEX))
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

-- A custom decoder that raises, or returns no string, falls back to
-- unescape, as Node's try/catch does.
local function decodeWith(decode, s)
  if decode == nil then return M.unescape(s) end
  local ok, r = pcall(decode, s)
  if ok and type(r) == 'string' then return r end
  return M.unescape(s)
end

-- Splits s on sep (plain text, any length), calling fn(piece) until it
-- returns false.
local function eachPiece(s, sep, fn)
  local start, n, len = 1, #sep, #s
  while start <= len + 1 do
    local k = find(s, sep, start, true)
    if fn(sub(s, start, k and k - 1 or len)) == false then return end
    if not k then return end
    start = k + n
  end
end

-- parse(str, [sep], [eq], [options]): a table of keys to values; a key
-- given more than once maps to a list of its values, in order.
function M.parse(qs, sep, eq, options)
  sep = checkSep(sep, 'sep', '&')
  eq = checkSep(eq, 'eq', '=')
  options = checkOptions(options)
  local obj = {}
  if type(qs) ~= 'string' or qs == '' then return obj end
  local maxKeys = 1000
  local decode = nil
  if options then
    if type(options.maxKeys) == 'number' then maxKeys = options.maxKeys end
    if type(options.decodeURIComponent) == 'function' and options.decodeURIComponent ~= M.unescape then
      decode = options.decodeURIComponent
    end
  end
  local count = 0
  eachPiece(qs, sep, function(piece)
    if piece == '' then return true end
    if maxKeys > 0 and count >= maxKeys then return false end
    count = count + 1
    local k = find(piece, eq, 1, true)
    local key, value
    if k then
      key, value = sub(piece, 1, k - 1), sub(piece, k + #eq)
    else
      key, value = piece, ''
    end
    if find(key, '+', 1, true) then key = gsub(key, '+', '%%20') end
    if find(value, '+', 1, true) then value = gsub(value, '+', '%%20') end
    if find(key, '%', 1, true) then key = decodeWith(decode, key) end
    if find(value, '%', 1, true) then value = decodeWith(decode, value) end
    local cur = obj[key]
    if cur == nil then
      obj[key] = value
    elseif type(cur) == 'table' then
      cur[#cur + 1] = value
    else
      obj[key] = { cur, value }
    end
    return true
  end)
  return obj
end

-- A value as stringify writes it: strings encoded, finite numbers and
-- booleans as text, anything else empty (as Node does).
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

-- stringify(obj, [sep], [eq], [options]): the keys of obj in sorted order;
-- a list value repeats its key once per element.
function M.stringify(obj, sep, eq, options)
  sep = checkSep(sep, 'sep', '&')
  eq = checkSep(eq, 'eq', '=')
  options = checkOptions(options)
  local encode = M.escape
  if options and type(options.encodeURIComponent) == 'function' then
    local custom = options.encodeURIComponent
    encode = function(s)
      local r = custom(s)
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
    local ks = stringified(keyText(k), encode) .. eq
    if type(v) == 'table' then
      for j = 1, #v do fields[#fields + 1] = ks .. stringified(v[j], encode) end
    else
      fields[#fields + 1] = ks .. stringified(v, encode)
    end
  end
  return concat(fields, sep)
end

M.decode = M.parse
M.encode = M.stringify

return M
