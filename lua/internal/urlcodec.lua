-- Percent-encoding helpers shared by url and querystring.
local require = ...

local byte, char, sub, find, gsub, format, tonumber = string.byte, string.char, string.sub,
  string.find, string.gsub, string.format, tonumber
local concat = table.concat

local M = {}

-- '%XX' for every byte, upper-case hex as the standard writes it.
local HEX = {}
for i = 0, 255 do HEX[char(i)] = format('%%%02X', i) end

M.HEX = HEX

-- A set is a table: set[byte] is true for each byte to encode, and
-- set.pattern a Lua pattern class matching them for gsub. The test runs
-- as a byte loop, which the JIT compiles (pattern matching it does not);
-- in the class, runs of bytes become ranges so that gsub tests each byte
-- against a handful of entries, not a hundred.
local function makeSet(inSet)
  local parts = {}
  local i = 0
  local function lit(c)
    if c == 0 then return '%z' end
    local ch = char(c)
    if ch:match('%w') then return ch end
    return '%' .. ch
  end
  while i <= 255 do
    if inSet(i) then
      local j = i
      while j < 255 and inSet(j + 1) do j = j + 1 end
      local a = i
      if a == 0 then parts[#parts + 1] = '%z'; a = 1 end
      if j - a >= 2 and not char(a):match('[%]%%%-%^]') and not char(j):match('[%]%%%-%^]') then
        parts[#parts + 1] = char(a) .. '-' .. char(j)
      else
        for c = a, j do parts[#parts + 1] = lit(c) end
      end
      i = j + 1
    else
      i = i + 1
    end
  end
  local set = { pattern = '[' .. concat(parts) .. ']' }
  for c = 0, 255 do set[c] = inSet(c) or nil end
  return set
end

-- True when some byte of s is in the set.
local function anyIn(s, set)
  for i = 1, #s do
    if set[byte(s, i)] then return true end
  end
  return false
end

M.makeSet = makeSet
M.anyIn = anyIn

-- The byte of each two hex digits, in either case, for gsub.
local HEX_PAIRS = {}
for i = 0, 255 do
  local h = format('%02X', i)
  HEX_PAIRS[h] = char(i)
  HEX_PAIRS[h:lower()] = char(i)
  HEX_PAIRS[h:sub(1, 1) .. h:sub(2, 2):lower()] = char(i)
  HEX_PAIRS[h:sub(1, 1):lower() .. h:sub(2, 2)] = char(i)
end

-- Decodes each valid %XX; anything else stays as it is.
local function percentDecode(s)
  if not find(s, '%', 1, true) then return s end
  return (gsub(s, '%%(%x%x)', HEX_PAIRS))
end

-- UTF-8 with each ill-formed sequence replaced by U+FFFD, one per maximal
-- subpart, as the Encoding Standard's decoder does (Node's results for
-- percent-decoded bytes that are not UTF-8).
local REPLACEMENT = '\239\191\189'
local function wellFormed(s)
  local ascii = true
  for i = 1, #s do
    if byte(s, i) >= 0x80 then ascii = false break end
  end
  if ascii then return s end
  local out, n = {}, 0
  local i, len, last = 1, #s, 1
  while i <= len do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local need, lo, hi = 0, 0x80, 0xBF
      if c >= 0xC2 and c <= 0xDF then need = 1
      elseif c >= 0xE0 and c <= 0xEF then
        need = 2
        if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
      elseif c >= 0xF0 and c <= 0xF4 then
        need = 3
        if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
      end
      local j, ok = i + 1, need > 0
      for k = 1, need do
        local d = byte(s, j)
        if d == nil or d < lo or d > hi then ok = false break end
        lo, hi = 0x80, 0xBF
        j = j + 1
      end
      if ok then
        i = j
      else
        if i > last then n = n + 1; out[n] = sub(s, last, i - 1) end
        n = n + 1; out[n] = REPLACEMENT
        if j == i then j = i + 1 end
        i, last = j, j
      end
    end
  end
  if n == 0 then return s end
  if last <= len then n = n + 1; out[n] = sub(s, last) end
  return concat(out)
end

-- A number as JavaScript's String(n) writes it: the shortest decimal that
-- reads back as the same number ('0.1', '1e+21', 'NaN', 'Infinity').
local function numberText(v)
  if v ~= v then return 'NaN' end
  if v == math.huge then return 'Infinity' end
  if v == -math.huge then return '-Infinity' end
  if v % 1 == 0 and v > -1e21 and v < 1e21 then return format('%d', v) end
  for p = 1, 17 do
    local s = format('%.' .. p .. 'g', v)
    if tonumber(s) == v then
      -- JavaScript writes exponents without leading zeros: 1e-7, 1e+21.
      return (gsub(s, 'e([+-])0*(%d)', 'e%1%2'))
    end
  end
  return format('%.17g', v)
end

M.numberText = numberText
M.percentDecode = percentDecode
M.wellFormed = wellFormed

return M
