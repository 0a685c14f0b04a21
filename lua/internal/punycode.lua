-- Punycode (RFC 3492) and the part of UTS #46 (IDNA) that the URL host
-- parser needs without Unicode's tables: a domain is turned into its ASCII
-- form label by label. The mapping is a small subset of UTS #46: ASCII,
-- Latin-1, Greek and Cyrillic capitals are lower-cased, full-width ASCII
-- becomes ASCII, the ideographic full stops become '.', the code points
-- UTS #46 ignores (soft hyphen, zero-width space, variation selectors...)
-- are dropped, and controls, U+FFFD and noncharacters fail. Any other code
-- point is taken as it is, so a domain that needs NFC normalization or a
-- mapping outside those ranges gives another result than Node's.
local require = ...

local byte, char, sub, find, lower, concat = string.byte, string.char, string.sub,
  string.find, string.lower, table.concat
local floor = math.floor

local BASE, TMIN, TMAX, SKEW, DAMP = 36, 1, 26, 38, 700
local INITIAL_BIAS, INITIAL_N = 72, 128

local function adapt(delta, numPoints, first)
  delta = first and floor(delta / DAMP) or floor(delta / 2)
  delta = delta + floor(delta / numPoints)
  local k = 0
  while delta > ((BASE - TMIN) * TMAX) / 2 do
    delta = floor(delta / (BASE - TMIN))
    k = k + BASE
  end
  return k + floor((BASE - TMIN + 1) * delta / (delta + SKEW))
end

local function threshold(k, bias)
  if k <= bias then return TMIN end
  if k >= bias + TMAX then return TMAX end
  return k - bias
end

local function digitChar(d)
  if d < 26 then return char(97 + d) end
  return char(22 + d) -- '0' is 48 = 26 + 22
end

local function digitValue(c)
  if c >= 48 and c <= 57 then return c - 22 end
  if c >= 65 and c <= 90 then return c - 65 end
  if c >= 97 and c <= 122 then return c - 97 end
  return nil
end

-- Code points of a UTF-8 string, or nil when it is not UTF-8.
local function decodeUTF8(s)
  local cps, n = {}, 0
  local i, len = 1, #s
  while i <= len do
    local c = byte(s, i)
    local cp, need
    if c < 0x80 then cp, need = c, 0
    elseif c >= 0xC2 and c <= 0xDF then cp, need = c - 0xC0, 1
    elseif c >= 0xE0 and c <= 0xEF then cp, need = c - 0xE0, 2
    elseif c >= 0xF0 and c <= 0xF4 then cp, need = c - 0xF0, 3
    else return nil end
    for k = 1, need do
      local d = byte(s, i + k)
      if d == nil or d < 0x80 or d > 0xBF then return nil end
      cp = cp * 64 + d - 0x80
    end
    if (need == 2 and (cp < 0x800 or (cp >= 0xD800 and cp <= 0xDFFF))) or
        (need == 3 and (cp < 0x10000 or cp > 0x10FFFF)) then
      return nil
    end
    n = n + 1
    cps[n] = cp
    i = i + need + 1
  end
  return cps
end

local function encodeUTF8(cps)
  local out = {}
  for i = 1, #cps do
    local cp = cps[i]
    if cp < 0x80 then out[i] = char(cp)
    elseif cp < 0x800 then out[i] = char(0xC0 + floor(cp / 64), 0x80 + cp % 64)
    elseif cp < 0x10000 then
      out[i] = char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
    else
      out[i] = char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
        0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
    end
  end
  return concat(out)
end

-- The Punycode of a label's code points (without the 'xn--').
local function encode(cps)
  local out = {}
  local n, delta, bias = INITIAL_N, 0, INITIAL_BIAS
  for i = 1, #cps do
    if cps[i] < 0x80 then out[#out + 1] = char(cps[i]) end
  end
  local b = #out
  local h = b
  if b > 0 then out[#out + 1] = '-' end
  while h < #cps do
    local m = 0x110000
    for i = 1, #cps do
      local c = cps[i]
      if c >= n and c < m then m = c end
    end
    delta = delta + (m - n) * (h + 1)
    n = m
    for i = 1, #cps do
      local c = cps[i]
      if c < n then delta = delta + 1 end
      if c == n then
        local q, k = delta, BASE
        while true do
          local t = threshold(k, bias)
          if q < t then break end
          out[#out + 1] = digitChar(t + (q - t) % (BASE - t))
          q = floor((q - t) / (BASE - t))
          k = k + BASE
        end
        out[#out + 1] = digitChar(q)
        bias = adapt(delta, h + 1, h == b)
        delta = 0
        h = h + 1
      end
    end
    delta = delta + 1
    n = n + 1
  end
  return concat(out)
end

-- The code points of a Punycode string, or nil when it is malformed.
local function decode(s)
  local out = {}
  local d = nil
  for i = #s, 1, -1 do
    if byte(s, i) == 45 then d = i break end
  end
  local pos = 1
  if d then
    for i = 1, d - 1 do
      local c = byte(s, i)
      if c >= 0x80 then return nil end
      out[#out + 1] = c
    end
    pos = d + 1
  end
  local n, i, bias = INITIAL_N, 0, INITIAL_BIAS
  local len = #s
  while pos <= len do
    local oldi, w, k = i, 1, BASE
    while true do
      if pos > len then return nil end
      local digit = digitValue(byte(s, pos))
      pos = pos + 1
      if not digit then return nil end
      i = i + digit * w
      if i > 0x7FFFFFFF then return nil end
      local t = threshold(k, bias)
      if digit < t then break end
      w = w * (BASE - t)
      k = k + BASE
    end
    local count = #out + 1
    bias = adapt(i - oldi, count, oldi == 0)
    n = n + floor(i / count)
    i = i % count
    if n > 0x10FFFF or (n >= 0xD800 and n <= 0xDFFF) then return nil end
    table.insert(out, i + 1, n)
    i = i + 1
  end
  return out
end

-- What UTS #46 does with one code point, within the subset above: the
-- mapped code point, false to drop it, or nil when it is disallowed.
local IGNORED = { [0xAD] = true, [0x34F] = true, [0x180B] = true, [0x180C] = true, [0x180D] = true,
  [0x200B] = true, [0x2060] = true, [0xFEFF] = true }
local function map(cp)
  if cp < 0x80 then
    if cp >= 65 and cp <= 90 then return cp + 32 end
    return cp
  end
  if IGNORED[cp] or (cp >= 0xFE00 and cp <= 0xFE0F) then return false end
  if cp <= 0xA0 or cp == 0xFFFD or cp == 0x2028 or cp == 0x2029 or cp % 0x10000 >= 0xFFFE or
      (cp >= 0xFDD0 and cp <= 0xFDEF) or (cp >= 0xE000 and cp <= 0xF8FF) then
    return nil
  end
  if cp == 0x3002 or cp == 0xFF0E or cp == 0xFF61 then return 46 end
  if cp >= 0xFF01 and cp <= 0xFF5E then return map(cp - 0xFEE0) end
  if (cp >= 0xC0 and cp <= 0xDE and cp ~= 0xD7) or (cp >= 0x391 and cp <= 0x3A9 and cp ~= 0x3A2) or
      (cp >= 0x410 and cp <= 0x42F) then
    return cp + 32
  end
  if cp >= 0x400 and cp <= 0x40F then return cp + 80 end
  return cp
end

local function isASCII(cps)
  for i = 1, #cps do
    if cps[i] >= 0x80 then return false end
  end
  return true
end

local M = {}

-- A decoded 'xn--' label must be valid as it stands: well-formed, not
-- empty, and made of code points the mapping leaves alone.
local function validPunycode(label)
  -- Decoding inserts each code point into a list: quadratic, so a label
  -- far longer than DNS allows fails at once (as in toASCII).
  if #label > 1004 then return nil end
  local cps = decode(sub(label, 5))
  if not cps or #cps == 0 then return nil end
  for i = 1, #cps do
    local m = map(cps[i])
    if m ~= cps[i] then return nil end
  end
  return cps
end

-- The ASCII form of a domain (percent-decoded already), or nil.
local function hasNonASCII(s)
  for i = 1, #s do
    if byte(s, i) >= 0x80 then return true end
  end
  return false
end

function M.toASCII(domain)
  local labels
  if hasNonASCII(domain) then
    local cps = decodeUTF8(domain)
    if not cps then return nil end
    local mapped, n = {}, 0
    for i = 1, #cps do
      local m = map(cps[i])
      if m == nil then return nil end
      if m then
        n = n + 1
        mapped[n] = m
      end
    end
    labels = {}
    local cur = {}
    for i = 1, n do
      if mapped[i] == 46 then
        labels[#labels + 1] = cur
        cur = {}
      else
        cur[#cur + 1] = mapped[i]
      end
    end
    labels[#labels + 1] = cur
    for i = 1, #labels do
      local label = labels[i]
      if isASCII(label) then
        labels[i] = encodeUTF8(label)
      elseif label[1] == 120 and label[2] == 110 and label[3] == 45 and label[4] == 45 then
        -- 'xn--' followed by what Punycode never gives.
        return nil
      elseif #label > 1000 then
        -- Punycode costs (distinct code points) x (length): a label of
        -- this size is far past what DNS takes, so it fails at once.
        return nil
      else
        labels[i] = 'xn--' .. encode(label)
      end
    end
  else
    domain = lower(domain)
    if not find(domain, 'xn--', 1, true) then return domain end
    labels = {}
    for label in (domain .. '.'):gmatch('([^.]*)%.') do labels[#labels + 1] = label end
  end
  for i = 1, #labels do
    if sub(labels[i], 1, 4) == 'xn--' and not validPunycode(labels[i]) then return nil end
  end
  return concat(labels, '.')
end

-- The Unicode form of an ASCII domain: each valid 'xn--' label decoded.
function M.toUnicode(domain)
  local labels = {}
  for label in (domain .. '.'):gmatch('([^.]*)%.') do
    if sub(label, 1, 4) == 'xn--' then
      local cps = validPunycode(label)
      if cps then label = encodeUTF8(cps) end
    end
    labels[#labels + 1] = label
  end
  return concat(labels, '.')
end

M.encode = encode
M.decode = decode
M.decodeUTF8 = decodeUTF8
M.encodeUTF8 = encodeUTF8

return M
