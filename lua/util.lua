-- util: Node's util.format and util.inspect for Lua values, and the few
-- helpers around them (isDeepStrictEqual, deprecate, inherits, types).
--
-- inspect follows Node's lib/internal/util/inspect.js closely: the same
-- options, the same line breaking (breakLength, compact = 3, grouping of
-- long arrays), the same circular markers and the same colors. What Lua has
-- that JS does not (tables that are both array and map, non-string keys,
-- metatables, cdata) is mapped as docs/util.md describes.
local require, binding = ...

local errors = require('internal/errors')
local class = require('internal/class')

local type, tostring, tonumber, select, next = type, tostring, tonumber, select, next
local rawget, rawequal, getmetatable, setmetatable = rawget, rawequal, getmetatable, setmetatable
local pcall, error = pcall, error
local format, rep, find, sub, byte, gsub, match =
  string.format, string.rep, string.find, string.sub, string.byte, string.gsub, string.match
local concat, sort = table.concat, table.sort
local floor, huge, sqrt, max, min = math.floor, math.huge, math.sqrt, math.max, math.min

local ErrorMeta = errors.Error
local instanceof = class.instanceof

local M = {}

-- The key under which a value can carry its own inspect method, as Node's
-- Symbol.for('nodejs.util.inspect.custom'). A string, so a module can
-- define the method without loading util.
local customKey = 'nodejs.util.inspect.custom'

local defaultOptions = {
  showHidden = false,
  depth = 2,
  colors = false,
  customInspect = true,
  showProxy = false,
  maxArrayLength = 100,
  maxStringLength = 10000,
  breakLength = 80,
  compact = 3,
  sorted = false,
  getters = false,
  numericSeparator = false,
}

local optionNames = {}
for k in next, defaultOptions do optionNames[k] = true end

-- ANSI colors: { set, reset }, as Node's inspect.colors.
local colors = {
  reset = { 0, 0 }, bold = { 1, 22 }, dim = { 2, 22 }, italic = { 3, 23 },
  underline = { 4, 24 }, blink = { 5, 25 }, inverse = { 7, 27 }, hidden = { 8, 28 },
  strikethrough = { 9, 29 }, doubleunderline = { 21, 24 },
  black = { 30, 39 }, red = { 31, 39 }, green = { 32, 39 }, yellow = { 33, 39 },
  blue = { 34, 39 }, magenta = { 35, 39 }, cyan = { 36, 39 }, white = { 37, 39 },
  bgBlack = { 40, 49 }, bgRed = { 41, 49 }, bgGreen = { 42, 49 }, bgYellow = { 43, 49 },
  bgBlue = { 44, 49 }, bgMagenta = { 45, 49 }, bgCyan = { 46, 49 }, bgWhite = { 47, 49 },
  framed = { 51, 54 }, overlined = { 53, 55 },
  gray = { 90, 39 }, redBright = { 91, 39 }, greenBright = { 92, 39 },
  yellowBright = { 93, 39 }, blueBright = { 94, 39 }, magentaBright = { 95, 39 },
  cyanBright = { 96, 39 }, whiteBright = { 97, 39 },
  bgGray = { 100, 49 }, bgRedBright = { 101, 49 }, bgGreenBright = { 102, 49 },
  bgYellowBright = { 103, 49 }, bgBlueBright = { 104, 49 }, bgMagentaBright = { 105, 49 },
  bgCyanBright = { 106, 49 }, bgWhiteBright = { 107, 49 },
}
colors.grey = colors.gray
colors.blackBright = colors.gray
colors.bgGrey = colors.bgGray
colors.bgBlackBright = colors.bgGray
colors.faint = colors.dim
colors.crossedout = colors.strikethrough
colors.strikeThrough = colors.strikethrough
colors.crossedOut = colors.strikethrough
colors.swapcolors = colors.inverse
colors.swapColors = colors.inverse
colors.conceal = colors.hidden
colors.doubleUnderline = colors.doubleunderline

-- Which color each kind of value gets. `nil` uses the 'undefined' style.
local styles = {
  special = 'cyan',
  number = 'yellow',
  bigint = 'yellow',
  boolean = 'yellow',
  undefined = 'grey',
  null = 'bold',
  string = 'green',
  symbol = 'green',
  date = 'magenta',
  regexp = 'red',
  module = 'underline',
}

local function stylizeWithColor(str, styleType)
  local style = styles[styleType]
  if style ~= nil then
    local color = colors[style]
    if color ~= nil then
      return '\27[' .. color[1] .. 'm' .. str .. '\27[' .. color[2] .. 'm'
    end
  end
  return str
end

local function stylizeNoColor(str)
  return str
end

local kObjectType, kArrayType, kArrayExtrasType = 0, 1, 2

-- Tables nested deeper than this are not entered (Lua's stack would
-- overflow a few thousand levels down).
local maxNesting = 1000

-------------------------------------------------------------------------------
-- Numbers

-- An integral double in [2^53, 1e21) the way JS prints it: the shortest
-- digits that read back as the same number, padded with zeros.
local function bigIntegral(n)
  for p = 15, 17 do
    local s = format('%.' .. (p - 1) .. 'e', n)
    if tonumber(s) == n then
      local sign, d1, frac, e = match(s, '^(-?)(%d)%.?(%d*)e([-+]%d+)$')
      local digits = d1 .. frac
      e = tonumber(e)
      if #digits > e + 1 then return tostring(n) end
      return sign .. digits .. rep('0', e + 1 - #digits)
    end
  end
  return tostring(n)
end

-- Integers print without a fraction or exponent below 1e21 (as in JS),
-- other numbers as Lua's tostring prints them; NaN, Infinity and -0 as JS.
local function formatNumberRaw(n)
  if n ~= n then return 'NaN' end
  if n == huge then return 'Infinity' end
  if n == -huge then return '-Infinity' end
  if n % 1 == 0 then
    if n == 0 then return 1 / n < 0 and '-0' or '0' end
    if n > -9007199254740992 and n < 9007199254740992 then return format('%d', n) end
    if n > -1e21 and n < 1e21 then return bigIntegral(n) end
  end
  return tostring(n)
end

local function addNumericSeparator(s)
  local result = ''
  local i = #s
  local start = sub(s, 1, 1) == '-' and 1 or 0
  while i >= start + 4 do
    result = '_' .. sub(s, i - 2, i) .. result
    i = i - 3
  end
  if i == #s then return s end
  return sub(s, 1, i) .. result
end

local function addNumericSeparatorEnd(s)
  local result = ''
  local i = 0
  while i < #s - 3 do
    result = result .. sub(s, i + 1, i + 3) .. '_'
    i = i + 3
  end
  if i == 0 then return s end
  return result .. sub(s, i + 1)
end

local function formatNumber(fn, n, numericSeparator)
  local s = formatNumberRaw(n)
  if not numericSeparator or n ~= n or n == huge or n == -huge or find(s, 'e', 1, true) then
    return fn(s, 'number')
  end
  local dot = find(s, '.', 1, true)
  if not dot then return fn(addNumericSeparator(s), 'number') end
  return fn(addNumericSeparator(sub(s, 1, dot - 1)) .. '.' ..
    addNumericSeparatorEnd(sub(s, dot + 1)), 'number')
end

local ffi
local int64, uint64
local function isInt64(v)
  if type(v) ~= 'cdata' then return false end
  if not ffi then
    ffi = require('ffi')
    int64, uint64 = ffi.typeof('int64_t'), ffi.typeof('uint64_t')
  end
  return ffi.istype(int64, v) or ffi.istype(uint64, v)
end

-------------------------------------------------------------------------------
-- Strings

local meta = {}
for i = 0, 31 do meta[i] = format('\\x%02X', i) end
meta[8], meta[9], meta[10], meta[12], meta[13] = '\\b', '\\t', '\\n', '\\f', '\\r'
meta[39], meta[92], meta[127] = "\\'", '\\\\', '\\x7F'

-- Length of the valid UTF-8 sequence starting at byte i (lead byte b) and
-- its code point, or nil when the bytes are not valid UTF-8.
local function utf8At(s, i, b)
  local n, cp, lo, hi
  if b >= 0xC2 and b <= 0xDF then
    n, cp, lo, hi = 2, b - 0xC0, 0x80, 0xBF
  elseif b >= 0xE0 and b <= 0xEF then
    n, cp = 3, b - 0xE0
    lo = b == 0xE0 and 0xA0 or 0x80
    hi = b == 0xED and 0x9F or 0xBF
  elseif b >= 0xF0 and b <= 0xF4 then
    n, cp = 4, b - 0xF0
    lo = b == 0xF0 and 0x90 or 0x80
    hi = b == 0xF4 and 0x8F or 0xBF
  else
    return nil
  end
  for k = 1, n - 1 do
    local c = byte(s, i + k)
    if c == nil or c < lo or c > hi then return nil end
    lo, hi = 0x80, 0xBF
    cp = cp * 64 + (c - 0x80)
  end
  return n, cp
end

-- Quotes a string as Node does: single quotes, or double quotes when it
-- holds a single quote, or backticks when it holds both. Control
-- characters, the backslash and the quote are escaped; bytes that are not
-- UTF-8 are shown as \xNN.
local function strEscape(s)
  local quote, q = 39, "'"
  if find(s, "'", 1, true) then
    if not find(s, '"', 1, true) then
      quote, q = 34, '"'
    elseif not find(s, '`', 1, true) and not find(s, '${', 1, true) then
      quote, q = 96, '`'
    end
  end
  local pattern = quote == 39 and "[%z\1-\31'\\\127-\255]" or '[%z\1-\31\\\127-\255]'
  if not find(s, pattern) then return q .. s .. q end
  local out, n = {}, 0
  local i, last, len = 1, 1, #s
  while i <= len do
    local b = byte(s, i)
    if b < 32 or b == 92 or b == 127 or (b == 39 and quote == 39) then
      n = n + 1; out[n] = sub(s, last, i - 1)
      n = n + 1; out[n] = meta[b]
      i = i + 1
      last = i
    elseif b >= 128 then
      local size, cp = utf8At(s, i, b)
      if size == nil then
        n = n + 1; out[n] = sub(s, last, i - 1)
        n = n + 1; out[n] = format('\\x%02X', b)
        i = i + 1
        last = i
      elseif cp <= 0x9F then
        n = n + 1; out[n] = sub(s, last, i - 1)
        n = n + 1; out[n] = format('\\x%02X', cp)
        i = i + size
        last = i
      else
        i = i + size
      end
    else
      i = i + 1
    end
  end
  n = n + 1; out[n] = sub(s, last)
  return q .. concat(out) .. q
end

-- Display width: UTF-8 characters, ANSI color sequences removed.
local function removeColors(s)
  return (gsub(s, '\27%[[%d;]*m', ''))
end

local function getStringWidth(s, removeControlChars)
  if removeControlChars then s = removeColors(s) end
  if not find(s, '[\128-\255]') then return #s end
  local _, n = gsub(s, '[^\128-\191]', '')
  return n
end

local function formatString(fn, value, ctx)
  local trailer = ''
  if #value > ctx.maxStringLength then
    local cut = ctx.maxStringLength
    -- Do not cut a UTF-8 character in two.
    while cut > 0 do
      local b = byte(value, cut + 1)
      if b == nil or b < 0x80 or b >= 0xC0 then break end
      cut = cut - 1
    end
    local remaining = #value - cut
    value = sub(value, 1, cut)
    trailer = '... ' .. remaining .. ' more character' .. (remaining > 1 and 's' or '')
  end
  if ctx.compact ~= true and #value > 16 and #value > ctx.breakLength - ctx.indentationLvl - 4 then
    -- Long strings are split after each newline, one quoted piece a line.
    local pieces, n, pos = {}, 0, 1
    while pos <= #value do
      local nl = find(value, '\n', pos, true)
      local e = nl or #value
      n = n + 1
      pieces[n] = fn(strEscape(sub(value, pos, e)), 'string')
      pos = e + 1
    end
    if n == 0 then pieces[1] = fn(strEscape(value), 'string') end
    return concat(pieces, ' +\n' .. rep(' ', ctx.indentationLvl + 2)) .. trailer
  end
  return fn(strEscape(value), 'string') .. trailer
end

-------------------------------------------------------------------------------
-- Tables

-- Order of keys that are not part of the sequence: numbers, then strings,
-- then booleans, then everything else (by type, then tostring).
local typeRank = { number = 1, string = 2, boolean = 3 }
local function safeToString(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == 'string' then return s end
  return type(v)
end
local function keyLess(a, b)
  local ta, tb = type(a), type(b)
  if ta == tb then
    if ta == 'number' or ta == 'string' then return a < b end
    if ta == 'boolean' then return (not a) and b end
    return safeToString(a) < safeToString(b)
  end
  local ra, rb = typeRank[ta] or 4, typeRank[tb] or 4
  if ra ~= rb then return ra < rb end
  return ta < tb
end

-- Error fields Node shows first, in its order.
local errorKeyOrder = { errno = 1, code = 2, syscall = 3, path = 4, dest = 5, address = 6, port = 7 }
local function errorKeyLess(a, b)
  local ra, rb = errorKeyOrder[a], errorKeyOrder[b]
  if ra and rb then return ra < rb end
  if ra then return true end
  if rb then return false end
  return keyLess(a, b)
end

-- Looks `key` up on a table and through its chain of __index tables, never
-- calling an __index function (a proxy must not run code when printed).
local function lookup(t, key)
  for _ = 1, 100 do
    local v = rawget(t, key)
    if v ~= nil then return v end
    local mt = getmetatable(t)
    if type(mt) ~= 'table' then return nil end
    local idx = rawget(mt, '__index')
    if type(idx) ~= 'table' then return nil end
    t = idx
  end
  return nil
end

-- The class name of a table: the `__name` (or `name`) string of its
-- metatable or of a metatable up its chain.
local function className(value)
  local mt = getmetatable(value)
  for _ = 1, 100 do
    if type(mt) ~= 'table' then return nil end
    local n = rawget(mt, '__name')
    if type(n) == 'string' then return n end
    n = rawget(mt, 'name')
    if type(n) == 'string' then return n end
    mt = getmetatable(mt)
  end
  return nil
end

local function isError(v)
  return type(v) == 'table' and (getmetatable(v) == ErrorMeta or instanceof(v, ErrorMeta))
end

local formatValue

local function formatProperty(ctx, value, recurseTimes, key, typ)
  local str
  local extra = ' '
  local diff = (ctx.compact ~= true or typ ~= kObjectType) and 2 or 3
  ctx.indentationLvl = ctx.indentationLvl + diff
  str = formatValue(ctx, value, recurseTimes, typ ~= kArrayType and key or nil)
  if diff == 3 and ctx.breakLength < getStringWidth(str, ctx.colors) then
    extra = '\n' .. rep(' ', ctx.indentationLvl)
  end
  ctx.indentationLvl = ctx.indentationLvl - diff
  if typ == kArrayType then return str end
  local name
  if type(key) == 'string' then
    if find(key, '^[%a_][%w_]*$') then
      name = ctx.stylize(key, 'name')
    else
      name = ctx.stylize(strEscape(key), 'string')
    end
  else
    ctx.indentationLvl = ctx.indentationLvl + diff
    name = '[' .. formatValue(ctx, key, recurseTimes) .. ']'
    ctx.indentationLvl = ctx.indentationLvl - diff
  end
  return name .. ':' .. extra .. str
end

local function isBelowBreakLength(ctx, output, start, base)
  local totalLength = #output + start
  if totalLength + #output > ctx.breakLength then return false end
  for i = 1, #output do
    if ctx.colors then
      totalLength = totalLength + #removeColors(output[i])
    else
      totalLength = totalLength + #output[i]
    end
    if totalLength > ctx.breakLength then return false end
  end
  return base == '' or not find(base, '\n', 1, true)
end

local function padStart(s, n)
  if #s >= n then return s end
  return rep(' ', n - #s) .. s
end

local function padEnd(s, n)
  if #s >= n then return s end
  return s .. rep(' ', n - #s)
end

local function round(x)
  return floor(x + 0.5)
end

-- Puts several short entries of a long array on one line, in columns.
local function groupArrayElements(ctx, output, vals)
  local totalLength, maxLength = 0, 0
  local outputLength = #output
  if ctx.maxArrayLength < #output then
    -- The "... n more items" entry is not part of the grid.
    outputLength = outputLength - 1
  end
  local separatorSpace = 2
  local dataLen = {}
  for i = 1, outputLength do
    local len = getStringWidth(output[i], ctx.colors)
    dataLen[i] = len
    totalLength = totalLength + len + separatorSpace
    if maxLength < len then maxLength = len end
  end
  local actualMax = maxLength + separatorSpace
  if actualMax * 3 + ctx.indentationLvl < ctx.breakLength and
      (totalLength / actualMax > 5 or maxLength <= 6) then
    local approxCharHeights = 2.5
    local averageBias = sqrt(actualMax - totalLength / #output)
    local biasedMax = max(actualMax - 3 - averageBias, 1)
    local columns = min(
      round(sqrt(approxCharHeights * biasedMax * outputLength) / biasedMax),
      floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      ctx.compact * 4,
      15)
    if columns <= 1 then return output end
    local tmp = {}
    local maxLineLength = {}
    for i = 1, columns do
      local lineMaxLength = 0
      for j = i, #output, columns do
        local d = dataLen[j]
        if d and d > lineMaxLength then lineMaxLength = d end
      end
      maxLineLength[i] = lineMaxLength + separatorSpace
    end
    local order = padStart
    if vals ~= nil then
      for i = 1, #output do
        local v = vals[i]
        if type(v) ~= 'number' and not isInt64(v) then
          order = padEnd
          break
        end
      end
    end
    for i = 1, outputLength, columns do
      local maxI = min(i + columns - 1, outputLength)
      local parts, np = {}, 0
      local j = i
      while j < maxI do
        local padding = maxLineLength[j - i + 1] + #output[j] - dataLen[j]
        np = np + 1
        parts[np] = order(output[j] .. ', ', padding)
        j = j + 1
      end
      np = np + 1
      if order == padStart then
        local padding = maxLineLength[j - i + 1] + #output[j] - dataLen[j] - separatorSpace
        parts[np] = padStart(output[j], padding)
      else
        parts[np] = output[j]
      end
      tmp[#tmp + 1] = concat(parts)
    end
    if ctx.maxArrayLength < #output then
      tmp[#tmp + 1] = output[outputLength + 1]
    end
    output = tmp
  end
  return output
end

local function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, vals)
  if ctx.compact ~= true then
    if type(ctx.compact) == 'number' and ctx.compact >= 1 then
      local entries = #output
      if extrasType == kArrayExtrasType and entries > 6 then
        output = groupArrayElements(ctx, output, vals)
      end
      if ctx.currentDepth - recurseTimes < ctx.compact and entries == #output then
        local start = #output + ctx.indentationLvl + #braces[1] + #base + 10
        if isBelowBreakLength(ctx, output, start, base) then
          local joined = concat(output, ', ')
          if not find(joined, '\n', 1, true) then
            return (base ~= '' and base .. ' ' or '') .. braces[1] .. ' ' .. joined .. ' ' .. braces[2]
          end
        end
      end
    end
    local indentation = '\n' .. rep(' ', ctx.indentationLvl)
    return (base ~= '' and base .. ' ' or '') .. braces[1] .. indentation .. '  ' ..
      concat(output, ',' .. indentation .. '  ') .. indentation .. braces[2]
  end
  if isBelowBreakLength(ctx, output, 0, base) then
    return braces[1] .. (base ~= '' and ' ' .. base or '') .. ' ' .. concat(output, ', ') .. ' ' .. braces[2]
  end
  local indentation = rep(' ', ctx.indentationLvl)
  local ln = (base == '' and #braces[1] == 1) and ' ' or
    ((base ~= '' and ' ' .. base or '') .. '\n' .. indentation .. '  ')
  return braces[1] .. ln .. concat(output, ',\n' .. indentation .. '  ') .. ' ' .. braces[2]
end

-- The text of an error: its stack when it has one, else `[tostring(err)]`.
-- Removes from `keys` the fields that text already shows.
local function formatError(ctx, err, keys)
  local ok, head = pcall(tostring, err)
  if not ok or type(head) ~= 'string' then
    head = tostring(rawget(err, 'name') or 'Error') .. ': ' .. tostring(rawget(err, 'message'))
  end
  local stack = rawget(err, 'stack')
  local text
  if type(stack) == 'string' and stack ~= '' then
    text = stack
    local msg = rawget(err, 'message')
    if type(msg) == 'string' and not find(stack, msg, 1, true) then
      text = head .. '\n' .. stack
    end
  else
    text = head
  end
  local i = 1
  while i <= #keys do
    local k = keys[i]
    local v = rawget(err, k)
    if (k == 'name' or k == 'message' or k == 'stack') and
        (type(v) == 'string' or type(v) == 'number') and find(text, tostring(v), 1, true) then
      table.remove(keys, i)
    else
      i = i + 1
    end
  end
  if text == head then text = '[' .. text .. ']' end
  if ctx.indentationLvl ~= 0 then
    text = gsub(text, '\n', '\n' .. rep(' ', ctx.indentationLvl))
  end
  return text
end

local function getUserOptions(ctx)
  local ret = {}
  for k in next, optionNames do ret[k] = ctx[k] end
  ret.stylize = ctx.stylize
  if ctx.userOptions then
    for k, v in next, ctx.userOptions do ret[k] = v end
  end
  return ret
end


-- A table's entries, copied through `pairs` (lode's, honouring __pairs, so
-- process.env shows its variables): the values, the length of the sequence
-- part (none when noSequence), and the other keys, unsorted.
local function entries(t, noSequence)
  local vals = {}
  for k, v in pairs(t) do vals[k] = v end
  local n = 0
  if not noSequence then
    while vals[n + 1] ~= nil do n = n + 1 end
  end
  local keys, nk = {}, 0
  for k in next, vals do
    if not (type(k) == 'number' and k >= 1 and k <= n and k % 1 == 0) then
      nk = nk + 1
      keys[nk] = k
    end
  end
  return vals, n, keys, nk
end

local function formatRaw(ctx, value, recurseTimes)
  local constructor = className(value)
  local isErr = isError(value)

  local vals, n, keys, nk = entries(value, isErr)
  sort(keys, isErr and errorKeyLess or keyLess)

  local base = ''
  local braces, extrasType
  if isErr then
    base = formatError(ctx, value, keys)
    nk = #keys
    if nk == 0 then return base end
    braces = { '{', '}' }
    extrasType = kObjectType
    constructor = tostring(rawget(value, 'name') or constructor or 'Error')
  elseif n > 0 then
    local prefix = constructor and (constructor .. '(' .. n .. ') ') or ''
    braces = { prefix .. '[', ']' }
    extrasType = kArrayExtrasType
  else
    local prefix = constructor and (constructor .. ' ') or ''
    if nk == 0 then
      -- An empty table whose metatable has __tostring (a sentinel such as
      -- events.errorMonitor) is best shown by it.
      if ctx.customInspect and rawget(value, '__index') ~= value then
        local mt = getmetatable(value)
        if type(mt) == 'table' and rawget(mt, '__tostring') ~= nil then
          local ok, s = pcall(tostring, value)
          if ok and type(s) == 'string' then
            return (gsub(s, '\n', '\n' .. rep(' ', ctx.indentationLvl)))
          end
        end
      end
      return prefix .. '{}'
    end
    braces = { prefix .. '{', '}' }
    extrasType = kObjectType
  end

  if recurseTimes > ctx.depth then
    return ctx.stylize('[' .. (constructor or (n > 0 and 'Array' or 'Object')) .. ']', 'special')
  end
  -- The stack of tables being shown is counted in ctx.nSeen rather than
  -- with #seen: Debian's LuaJIT snapshot has been seen to give a stale
  -- length for this push-and-pop table in compiled code.
  local seen, nSeen = ctx.seen, ctx.nSeen
  if nSeen >= maxNesting then
    -- Node's answer to a nesting deeper than its stack.
    return ctx.stylize('[' .. (constructor or (n > 0 and 'Array' or 'Object')) ..
      ': Inspection interrupted prematurely. Maximum call stack size exceeded.]', 'special')
  end
  recurseTimes = recurseTimes + 1

  nSeen = nSeen + 1
  seen[nSeen] = value
  ctx.nSeen = nSeen
  ctx.currentDepth = recurseTimes
  local output, no = {}, 0
  if n > 0 then
    local len = min(max(0, ctx.maxArrayLength), n)
    for i = 1, len do
      no = no + 1
      output[no] = formatProperty(ctx, vals[i], recurseTimes, i, kArrayType)
    end
    local remaining = n - len
    if remaining > 0 then
      no = no + 1
      output[no] = '... ' .. remaining .. ' more item' .. (remaining > 1 and 's' or '')
    end
  end
  for i = 1, nk do
    local k = keys[i]
    no = no + 1
    output[no] = formatProperty(ctx, vals[k], recurseTimes, k, extrasType)
  end
  if ctx.circular ~= nil then
    local index = ctx.circular[value]
    if index ~= nil then
      local reference = ctx.stylize('<ref *' .. index .. '>', 'special')
      if ctx.compact ~= true then
        base = base == '' and reference or (reference .. ' ' .. base)
      else
        braces[1] = reference .. ' ' .. braces[1]
      end
    end
  end
  seen[nSeen] = nil
  ctx.nSeen = nSeen - 1

  return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, vals)
end

local inspect

formatValue = function(ctx, value, recurseTimes, key)
  local tv = type(value)
  if tv == 'string' then return formatString(ctx.stylize, value, ctx) end
  if tv == 'number' then return formatNumber(ctx.stylize, value, ctx.numericSeparator) end
  if tv == 'nil' then return ctx.stylize('nil', 'undefined') end
  if tv == 'boolean' then return ctx.stylize(tostring(value), 'boolean') end
  if tv == 'function' then
    if type(key) == 'string' then
      return ctx.stylize('[Function: ' .. key .. ']', 'special')
    end
    return ctx.stylize('[Function (anonymous)]', 'special')
  end
  if tv == 'cdata' then
    local s = tostring(value)
    if isInt64(value) then return ctx.stylize(s, 'bigint') end
    return s
  end
  if tv ~= 'table' then
    -- userdata, thread
    return ctx.stylize(tostring(value), 'special')
  end

  if ctx.customInspect then
    local isClassTable = rawget(value, '__index') == value
    local custom = lookup(value, customKey)
    if type(custom) == 'function' and custom ~= inspect and not isClassTable then
      local depth = ctx.depth - recurseTimes
      local ret = custom(value, depth, getUserOptions(ctx), inspect)
      if not rawequal(ret, value) then
        if type(ret) ~= 'string' then
          return formatValue(ctx, ret, recurseTimes)
        end
        return (gsub(ret, '\n', '\n' .. rep(' ', ctx.indentationLvl)))
      end
    end
  end

  local seen = ctx.seen
  for i = 1, ctx.nSeen do
    if rawequal(seen[i], value) then
      local index = 1
      if ctx.circular == nil then
        ctx.circular = { [value] = 1 }
        ctx.circularCount = 1
      else
        index = ctx.circular[value]
        if index == nil then
          ctx.circularCount = ctx.circularCount + 1
          index = ctx.circularCount
          ctx.circular[value] = index
        end
      end
      return ctx.stylize('[Circular *' .. index .. ']', 'special')
    end
  end

  return formatRaw(ctx, value, recurseTimes)
end

local function newContext(opts)
  local ctx = {
    indentationLvl = 0,
    seen = {},
    nSeen = 0,
    currentDepth = 0,
    stylize = stylizeNoColor,
  }
  for k, v in next, defaultOptions do ctx[k] = v end
  if opts ~= nil then
    for k, v in pairs(opts) do
      if optionNames[k] or k == 'stylize' then
        ctx[k] = v
      elseif ctx.userOptions == nil then
        ctx.userOptions = opts
      end
    end
  end
  if type(ctx.depth) ~= 'number' then ctx.depth = huge end
  if ctx.colors and not (opts and opts.stylize) then ctx.stylize = stylizeWithColor end
  if type(ctx.maxArrayLength) ~= 'number' then ctx.maxArrayLength = huge end
  if type(ctx.maxStringLength) ~= 'number' then ctx.maxStringLength = huge end
  if type(ctx.breakLength) ~= 'number' then ctx.breakLength = huge end
  return ctx
end

-- util.inspect(value, [opts]) or the legacy util.inspect(value, showHidden,
-- depth, colors).
inspect = function(value, opts, ...)
  if type(opts) ~= 'table' then
    local o = {}
    if type(opts) == 'boolean' then o.showHidden = opts end
    local nargs = select('#', ...)
    if nargs >= 1 then
      local depth = ...
      if depth ~= nil then o.depth = depth end
    end
    if nargs >= 2 then
      local colorsOpt = select(2, ...)
      if colorsOpt ~= nil then o.colors = colorsOpt end
    end
    opts = o
  end
  local ctx = newContext(opts)
  return formatValue(ctx, value, 0)
end

local inspectTable = setmetatable({
  custom = customKey,
  defaultOptions = defaultOptions,
  colors = colors,
  styles = styles,
}, { __call = function(_, ...) return inspect(...) end })

M.inspect = inspectTable

-------------------------------------------------------------------------------
-- JSON for %j

local jsonEscapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}
local function jsonString(s)
  return '"' .. gsub(s, '[%z\1-\31"\\]', function(c)
    return jsonEscapes[c] or format('\\u%04x', byte(c))
  end) .. '"'
end

local CIRCULAR = {}

local function jsonNumber(n)
  if n ~= n or n == huge or n == -huge then return 'null' end
  if n == 0 then return '0' end
  return formatNumberRaw(n)
end

local function jsonValue(v, stack)
  local tv = type(v)
  if tv == 'string' then return jsonString(v) end
  if tv == 'number' then return jsonNumber(v) end
  if tv == 'boolean' then return tostring(v) end
  if tv == 'nil' or tv == 'function' then return nil end
  if tv ~= 'table' then return jsonString(tostring(v)) end
  for i = 1, #stack do
    if rawequal(stack[i], v) then error(CIRCULAR, 0) end
  end
  local toJSON = lookup(v, 'toJSON')
  if type(toJSON) == 'function' then
    return jsonValue(toJSON(v), stack)
  end
  stack[#stack + 1] = v
  local vals, n, keys, nk = entries(v, false)
  local out = {}
  if n > 0 and nk == 0 then
    for i = 1, n do
      out[i] = jsonValue(vals[i], stack) or 'null'
    end
    stack[#stack] = nil
    return '[' .. concat(out, ',') .. ']'
  end
  local all = {}
  for i = 1, n do all[i] = i end
  sort(keys, keyLess)
  for i = 1, nk do all[n + i] = keys[i] end
  local no = 0
  for i = 1, #all do
    local k = all[i]
    local s = jsonValue(vals[k], stack)
    if s ~= nil then
      local ks = type(k) == 'number' and jsonNumber(k) or tostring(k)
      no = no + 1
      out[no] = jsonString(ks) .. ':' .. s
    end
  end
  stack[#stack] = nil
  return '{' .. concat(out, ',') .. '}'
end

local function tryStringify(v)
  local ok, res = pcall(jsonValue, v, {})
  if ok then
    if res == nil then return 'undefined' end
    return res
  end
  if res == CIRCULAR then return '[Circular]' end
  error(res, 0)
end

-------------------------------------------------------------------------------
-- format

-- JS Number(v) for %d.
local function toNumber(v)
  local tv = type(v)
  if tv == 'number' then return v end
  if tv == 'boolean' then return v and 1 or 0 end
  if tv == 'string' then
    local s = match(v, '^%s*(.-)%s*$')
    if s == '' then return 0 end
    if s == 'Infinity' or s == '+Infinity' then return huge end
    if s == '-Infinity' then return -huge end
    if find(s, '^[+-]?%d*%.?%d*[eE]?[+-]?%d*$') and find(s, '%d') then
      local x = tonumber(s)
      if x then return x end
    end
    local hex = match(s, '^0[xX](%x+)$')
    if hex then return tonumber(hex, 16) end
    local bin = match(s, '^0[bB]([01]+)$')
    if bin then return tonumber(bin, 2) end
    local oct = match(s, '^0[oO]([0-7]+)$')
    if oct then return tonumber(oct, 8) end
    return 0 / 0
  end
  return 0 / 0
end

-- JS parseInt(String(v)) for %i.
local function toInteger(v)
  local tv = type(v)
  if tv == 'number' then
    if v ~= v or v == huge or v == -huge then return 0 / 0 end
    if v >= 0 then return floor(v) end
    local r = -floor(-v)
    if r == 0 then return -0.0 end
    return r
  end
  if tv == 'string' then
    local sign, hex = match(v, '^%s*([+-]?)0[xX](%x+)')
    if hex then
      local x = tonumber(hex, 16)
      return sign == '-' and -x or x
    end
    local d = match(v, '^%s*([+-]?%d+)')
    if d then
      local x = tonumber(d)
      if x == 0 and sub(d, 1, 1) == '-' then return -0.0 end
      return x
    end
  end
  return 0 / 0
end

-- JS parseFloat(String(v)) for %f.
local function toFloat(v)
  local tv = type(v)
  if tv == 'number' then return v end
  if tv == 'string' then
    local s = match(v, '^%s*(.*)$')
    if find(s, '^[+]?Infinity') then return huge end
    if find(s, '^%-Infinity') then return -huge end
    local m = match(s, '^[+-]?%d+%.?%d*') or match(s, '^[+-]?%.%d+')
    if m then
      local e = match(s, '^[eE][+-]?%d+', #m + 1)
      local x = tonumber(m .. (e or ''))
      if x then
        if x == 0 and sub(m, 1, 1) == '-' then return -0.0 end
        return x
      end
    end
  end
  return 0 / 0
end

local function stripInt64(v)
  return (gsub(tostring(v), 'U?LL$', ''))
end

-- %s: strings as they are, numbers as inspect prints them, tables with a
-- __tostring through it, other tables inspected with depth 0.
local function formatS(v, inspectOptions)
  local tv = type(v)
  if tv == 'string' then return v end
  if tv == 'number' then return formatNumberRaw(v) end
  if tv == 'nil' then return 'nil' end
  if tv == 'boolean' then return tostring(v) end
  if tv == 'cdata' then
    if isInt64(v) then return stripInt64(v) end
    return tostring(v)
  end
  if tv == 'table' then
    local mt = getmetatable(v)
    if type(mt) == 'table' and rawget(mt, '__tostring') ~= nil then
      local ok, s = pcall(tostring, v)
      if ok and type(s) == 'string' then return s end
    end
  end
  local o = {}
  if inspectOptions then for k, x in pairs(inspectOptions) do o[k] = x end end
  o.compact, o.colors, o.depth = 3, false, 0
  return inspect(v, o)
end


-- %d and %i: a 64-bit integer prints its digits, anything else goes
-- through `convert` (Number() or parseInt()) and Node's number format.
local function formatNumeric(x, convert, inspectOptions)
  if isInt64(x) then return stripInt64(x) end
  return formatNumber(stylizeNoColor, convert(x), inspectOptions and inspectOptions.numericSeparator)
end

local function formatWithOptionsInternal(inspectOptions, n, ...)
  local first = ...
  local a = 1
  local str = ''
  local join = ''
  if n == 0 then return '' end
  if type(first) == 'string' then
    if n == 1 then return first end
    local args = { ... }
    local parts, np = {}, 0
    local lastPos = 1
    local i = 1
    local len = #first
    while i < len do
      if byte(first, i) == 37 then -- '%'
        i = i + 1
        local c = byte(first, i)
        if a ~= n then
          local tempStr
          local matched = true
          if c == 115 then -- s
            a = a + 1
            tempStr = formatS(args[a], inspectOptions)
          elseif c == 106 then -- j
            a = a + 1
            tempStr = tryStringify(args[a])
          elseif c == 100 then -- d
            a = a + 1
            tempStr = formatNumeric(args[a], toNumber, inspectOptions)
          elseif c == 79 then -- O
            a = a + 1
            tempStr = inspect(args[a], inspectOptions or {})
          elseif c == 111 then -- o
            a = a + 1
            local o = {}
            if inspectOptions then for k, x in pairs(inspectOptions) do o[k] = x end end
            o.showHidden, o.showProxy, o.depth = true, true, 4
            tempStr = inspect(args[a], o)
          elseif c == 105 then -- i
            a = a + 1
            tempStr = formatNumeric(args[a], toInteger, inspectOptions)
          elseif c == 102 then -- f
            a = a + 1
            tempStr = formatNumber(stylizeNoColor, toFloat(args[a]),
              inspectOptions and inspectOptions.numericSeparator)
          elseif c == 99 then -- c
            a = a + 1
            tempStr = ''
          elseif c == 37 then -- %
            np = np + 1
            parts[np] = sub(first, lastPos, i - 1)
            lastPos = i + 1
            matched = false
          else
            matched = false
          end
          if matched then
            if lastPos ~= i - 1 then
              np = np + 1
              parts[np] = sub(first, lastPos, i - 2)
            end
            np = np + 1
            parts[np] = tempStr
            lastPos = i + 1
          end
        elseif c == 37 then
          np = np + 1
          parts[np] = sub(first, lastPos, i - 1)
          lastPos = i + 1
        end
      end
      i = i + 1
    end
    if lastPos ~= 1 then
      a = a + 1
      join = ' '
      if lastPos <= len then
        np = np + 1
        parts[np] = sub(first, lastPos)
      end
    else
      a = 1
    end
    str = concat(parts)
    if a > n then return str end
    local out, no = { str }, 1
    for k = a, n do
      local v = args[k]
      no = no + 1
      out[no] = join
      no = no + 1
      out[no] = type(v) == 'string' and v or inspect(v, inspectOptions or {})
      join = ' '
    end
    return concat(out)
  end
  local out = {}
  local opts = inspectOptions or {}
  for k = 1, n do
    local v = select(k, ...)
    out[k] = type(v) == 'string' and v or inspect(v, opts)
  end
  return concat(out, ' ')
end

function M.format(...)
  return formatWithOptionsInternal(nil, select('#', ...), ...)
end

function M.formatWithOptions(inspectOptions, ...)
  if type(inspectOptions) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('inspectOptions', 'of type table', inspectOptions), 0)
  end
  return formatWithOptionsInternal(inspectOptions, select('#', ...), ...)
end

-------------------------------------------------------------------------------
-- isDeepStrictEqual

local function deepEqual(a, b, memo)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return false end
  if ta ~= 'number' and rawequal(a, b) then return true end
  if ta == 'number' then
    if a ~= a and b ~= b then return true end -- NaN equals NaN
    if a == 0 and b == 0 then return 1 / a == 1 / b end -- 0 and -0 differ
    return a == b
  end
  if ta == 'cdata' then
    local ok, eq = pcall(function() return a == b end)
    if ok and eq then return true end
    local ok2, eq2 = pcall(function() return a:equals(b) end)
    return ok2 and eq2 == true
  end
  if ta ~= 'table' then return false end
  if getmetatable(a) ~= getmetatable(b) then return false end
  -- A pair already being compared counts as equal (cycles).
  local m = memo[a]
  if m and m[b] then return true end
  if not m then
    m = {}
    memo[a] = m
  end
  m[b] = true
  local bvals, count = {}, 0
  for k, v in pairs(b) do
    bvals[k] = v
    count = count + 1
  end
  for k, v in pairs(a) do
    count = count - 1
    local w = bvals[k]
    if w == nil or not deepEqual(v, w, memo) then return false end
  end
  return count == 0
end

function M.isDeepStrictEqual(a, b)
  return deepEqual(a, b, {})
end

-------------------------------------------------------------------------------
-- deprecate, inherits, debuglog, and the rest

local codesWarned = {}

function M.deprecate(fn, msg, code)
  errors.checkFunction(fn, 'fn')
  if code ~= nil then errors.checkString(code, 'code') end
  local warned = false
  return function(...)
    if not warned then
      warned = true
      local p = process
      if p and not p.noDeprecation then
        if code == nil or not codesWarned[code] then
          if code ~= nil then codesWarned[code] = true end
          if p.emitWarning then
            p.emitWarning(msg, 'DeprecationWarning', code)
          end
        end
      end
    end
    return fn(...)
  end
end

-- util.inherits(ctor, superCtor): makes the class table `ctor` inherit
-- from `superCtor` in lode's object model (its metatable becomes
-- superCtor, its instances find superCtor's methods).
function M.inherits(ctor, superCtor)
  if type(ctor) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('ctor', 'of type table', ctor), 0)
  end
  if type(superCtor) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('superCtor', 'of type table', superCtor), 0)
  end
  if rawget(superCtor, '__index') == nil then superCtor.__index = superCtor end
  if rawget(ctor, '__index') == nil then ctor.__index = ctor end
  ctor.super_ = superCtor
  if rawget(ctor, 'super') == nil then ctor.super = superCtor end
  setmetatable(ctor, superCtor)
end

local debugSections
function M.debuglog(section, cb)
  errors.checkString(section, 'section')
  local enabled
  local upper = section:upper()
  local function logger(...)
    if enabled == nil then
      if debugSections == nil then
        debugSections = {}
        local env = os.getenv('NODE_DEBUG') or ''
        for word in env:gmatch('[^,%s]+') do
          debugSections[#debugSections + 1] = '^' .. gsub(gsub(word:upper(), '%p', '%%%0'), '%%%*', '.*') .. '$'
        end
      end
      enabled = false
      for i = 1, #debugSections do
        if find(upper, debugSections[i]) then enabled = true end
      end
      if cb then cb(enabled and logger or function() end) end
    end
    if enabled then
      local p = process
      local pid = p and p.pid or 0
      local line = upper .. ' ' .. tostring(pid) .. ': ' .. M.format(...) .. '\n'
      if p and p.stderr then p.stderr:write(line) else io.stderr:write(line) end
    end
  end
  return logger
end
M.debug = M.debuglog

function M.stripVTControlCharacters(s)
  errors.checkString(s, 'str')
  s = gsub(s, '\27%[[%d;?]*[%a@`]', '')
  s = gsub(s, '\27%][^\7\27]*\7', '')
  s = gsub(s, '\27%][^\7\27]*\27\\', '')
  return s
end

M.types = {
  isNativeError = isError,
  isInt64 = isInt64,
}

M.isError = isError
M.Object = class.Object
M.instanceof = instanceof

-- Shared with console (not part of Node's API).
M._formatNumber = function(n)
  errors.checkNumber(n, 'n')
  return formatNumberRaw(n)
end
M._getStringWidth = function(s, removeControlChars)
  errors.checkString(s, 'str')
  return getStringWidth(s, removeControlChars)
end

return M
