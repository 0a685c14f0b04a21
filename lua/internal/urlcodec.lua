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

local function hexByte(h) return char(tonumber(h, 16)) end

-- Decodes each valid %XX; anything else stays as it is.
local function percentDecode(s)
  if not find(s, '%', 1, true) then return s end
  return (gsub(s, '%%(%x%x)', hexByte))
end

-- UTF-8 with each ill-formed sequence replaced by U+FFFD, one per maximal
-- subpart, as the Encoding Standard's decoder does (Node's results for
-- percent-decoded bytes that are not UTF-8).
local REPLACEMENT = '\239\191\189'
local function wellFormed(s)
  if not find(s, '[\128-\255]') then return s end
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
