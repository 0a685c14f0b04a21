-- url: Node's url module. The WHATWG URL Standard's parser for `URL` and
-- `URLSearchParams` (Node's `new URL`), and the legacy `url.parse`,
-- `url.format` and `url.resolve` of Node's lib/url.js.
--
-- A parsed URL is a record (scheme, username, password, host, port, path,
-- query, fragment) kept in the object's `_url` field; every property a
-- script reads (`u.href`, `u.pathname`) is computed from it by a getter,
-- and every assignment (`u.pathname = '/x'`) goes through a setter that
-- re-parses the value as the standard's state overrides do. Where Node 20
-- and the standard differ, Node 20's results are the reference (its
-- parser bugs aside; docs/url.md lists them).
--
-- The parser works on whole components, not code point by code point:
-- each is found and checked with byte loops over lookup tables (which
-- the JIT compiles, where it leaves pattern matching to the interpreter)
-- and percent-encoded with one gsub when it needs it, so a typical http
-- URL takes about a microsecond.
local require, binding = ...

local errors = require('internal/errors')
local class = require('internal/class')
local querystring = require('querystring')
local codec = require('internal/urlcodec')
local punycode = require('internal/punycode')
local process = require('process')

local type, tostring, tonumber, error = type, tostring, tonumber, error
local setmetatable, getmetatable, rawget, rawset = setmetatable, getmetatable, rawget, rawset
local byte, char, sub, find, lower, gsub, match, format =
  string.byte, string.char, string.sub, string.find, string.lower, string.gsub,
  string.match, string.format
local concat, sort, floor = table.concat, table.sort, math.floor

local SLASH, BACKSLASH, QUESTION, HASH, COLON, DOT = 47, 92, 63, 35, 58, 46
local LBRACKET, RBRACKET = 91, 93

-- The special schemes and their default ports (file has none).
local SPECIAL = { ftp = 21, file = false, http = 80, https = 443, ws = 80, wss = 443 }

local function isSpecial(scheme) return SPECIAL[scheme] ~= nil end

-- Percent-encoding ----------------------------------------------------------

local HEX, percentDecode, wellFormed = codec.HEX, codec.percentDecode, codec.wellFormed
local makeSet, anyIn = codec.makeSet, codec.anyIn

local function charsOf(s)
  local t = {}
  for i = 1, #s do t[byte(s, i)] = true end
  return t
end

local function setOf(base, extra)
  local x = charsOf(extra)
  return function(c) return base(c) or x[c] == true end
end

local function c0(c) return c < 0x20 or c > 0x7E end
local fragmentSet = setOf(c0, ' "<>`')
local querySet = setOf(c0, ' "#<>')
local specialQuerySet = setOf(querySet, "'")
local pathSet = setOf(querySet, '?`{}')
local userinfoSet = setOf(pathSet, '/:;=@[\\]^|')

local C0 = makeSet(c0)
local FRAGMENT = makeSet(fragmentSet)
local QUERY = makeSet(querySet)
local SPECIAL_QUERY = makeSet(specialQuerySet)
local PATH = makeSet(pathSet)
local USERINFO = makeSet(userinfoSet)
-- application/x-www-form-urlencoded: all but alphanumerics and *-._
-- (the space is turned into '+' afterwards).
local FORM = makeSet(function(c)
  return not ((c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122) or
    c == 42 or c == 45 or c == 46 or c == 95 or c == 32)
end)
local PLUS_OR_PERCENT = { [43] = true, [37] = true }
local SPACE = { [32] = true }

local function encode(s, set)
  if not anyIn(s, set) then return s end
  return (gsub(s, set.pattern, HEX))
end

local TABS = { [9] = true, [10] = true, [13] = true }

-- The position of the first byte of s in the set from init on, or nil.
local function findIn(s, set, init)
  for i = init or 1, #s do
    if set[byte(s, i)] then return i end
  end
  return nil
end

local QUERY_OR_FRAGMENT = { [QUESTION] = true, [HASH] = true }
local SLASHES = { [SLASH] = true, [BACKSLASH] = true }
local ONE_SLASH = { [SLASH] = true }
local END_OF_AUTHORITY = { [SLASH] = true, [QUESTION] = true, [HASH] = true }
local END_OF_SPECIAL_AUTHORITY = { [SLASH] = true, [BACKSLASH] = true, [QUESTION] = true, [HASH] = true }
local BRACKETS_OR_COLON = { [LBRACKET] = true, [RBRACKET] = true, [COLON] = true }

-- Removes every tab, line feed and carriage return.
local function removeTabs(s)
  if anyIn(s, TABS) then return (gsub(s, '[\t\n\r]', '')) end
  return s
end

-- Strips leading and trailing C0 controls and spaces, then removes tabs
-- and newlines: what the parser does first with its input.
local function prepare(s)
  local j = #s
  local i = 1
  while i <= j and byte(s, i) <= 32 do i = i + 1 end
  if i > j then return '' end
  while byte(s, j) <= 32 do j = j - 1 end
  if i > 1 or j < #s then s = sub(s, i, j) end
  return removeTabs(s)
end

-- Hosts ---------------------------------------------------------------------

local FORBIDDEN_HOST = charsOf('\0\t\n\r #/:<>?@[\\]^|')
local FORBIDDEN_DOMAIN = charsOf(' #/:<>?@[\\]^|%\127')
for c = 0, 31 do FORBIDDEN_DOMAIN[c] = true end

local DIGITS, OCTAL, HEXDIGITS = {}, {}, {}
for c = 48, 57 do DIGITS[c], HEXDIGITS[c] = true, true end
for c = 48, 55 do OCTAL[c] = true end
for c = 65, 70 do HEXDIGITS[c], HEXDIGITS[c + 32] = true, true end

-- True when every byte of s from position i is in the set.
local function allIn(s, set, i)
  for k = i or 1, #s do
    if not set[byte(s, k)] then return false end
  end
  return true
end

local function parseIPv4Number(s)
  if s == '' then return nil end
  local base, digits = 10, s
  local p = sub(s, 1, 2)
  if p == '0x' or p == '0X' then
    base, digits = 16, sub(s, 3)
    if digits == '' then return 0 end
    if not allIn(digits, HEXDIGITS) then return nil end
  elseif #s > 1 and byte(s, 1) == 48 then
    base, digits = 8, sub(s, 2)
    if not allIn(digits, OCTAL) then return nil end
  elseif not allIn(s, DIGITS) then
    return nil
  end
  return tonumber(digits, base)
end

-- True when the last label (a trailing empty one aside) is a number, so
-- the host must be an IPv4 address.
local function endsInNumber(domain)
  local j = #domain
  if byte(domain, j) == DOT then j = j - 1 end
  local i = j
  while i > 0 and byte(domain, i) ~= DOT do i = i - 1 end
  local last = sub(domain, i + 1, j)
  if last == '' then return false end
  if allIn(last, DIGITS) then return true end
  local x = byte(last, 2)
  return byte(last, 1) == 48 and (x == 120 or x == 88) and allIn(last, HEXDIGITS, 3)
end

local function parseIPv4(domain)
  local parts, n = {}, 0
  local start = 1
  while true do
    local dot = find(domain, '.', start, true)
    n = n + 1
    if n > 5 then return nil end
    parts[n] = sub(domain, start, dot and dot - 1 or #domain)
    if not dot then break end
    start = dot + 1
  end
  if parts[n] == '' and n > 1 then parts[n] = nil; n = n - 1 end
  if n > 4 then return nil end
  local numbers = {}
  for i = 1, n do
    local v = parseIPv4Number(parts[i])
    if v == nil then return nil end
    numbers[i] = v
  end
  for i = 1, n - 1 do
    if numbers[i] > 255 then return nil end
  end
  if numbers[n] >= 256 ^ (5 - n) then return nil end
  local ipv4 = numbers[n]
  for i = 1, n - 1 do ipv4 = ipv4 + numbers[i] * 256 ^ (4 - i) end
  return format('%d.%d.%d.%d', floor(ipv4 / 16777216) % 256, floor(ipv4 / 65536) % 256,
    floor(ipv4 / 256) % 256, ipv4 % 256)
end

local function hexValue(c)
  if c == nil then return nil end
  if c >= 48 and c <= 57 then return c - 48 end
  if c >= 97 and c <= 102 then return c - 87 end
  if c >= 65 and c <= 70 then return c - 55 end
  return nil
end

-- The standard's IPv6 parser: eight 16-bit pieces, or nil.
local function parseIPv6(s)
  local a = { 0, 0, 0, 0, 0, 0, 0, 0 }
  local piece, compress = 1, nil
  local p, n = 1, #s
  if byte(s, 1) == COLON then
    if byte(s, 2) ~= COLON then return nil end
    p, piece, compress = 3, 2, 2
  end
  while p <= n do
    if piece == 9 then return nil end
    if byte(s, p) == COLON then
      if compress then return nil end
      p = p + 1
      piece = piece + 1
      compress = piece
    else
      local value, length = 0, 0
      while length < 4 do
        local h = hexValue(byte(s, p))
        if not h then break end
        value = value * 16 + h
        p, length = p + 1, length + 1
      end
      local c = byte(s, p)
      if c == DOT then
        if length == 0 or piece > 7 then return nil end
        p = p - length
        local seen = 0
        while p <= n do
          if seen > 0 then
            if byte(s, p) == DOT and seen < 4 then p = p + 1 else return nil end
          end
          local d = byte(s, p)
          if d == nil or d < 48 or d > 57 then return nil end
          local v = nil
          while d and d >= 48 and d <= 57 do
            if v == nil then v = d - 48
            elseif v == 0 then return nil
            else v = v * 10 + d - 48 end
            if v > 255 then return nil end
            p = p + 1
            d = byte(s, p)
          end
          a[piece] = a[piece] * 256 + v
          seen = seen + 1
          if seen == 2 or seen == 4 then piece = piece + 1 end
        end
        if seen ~= 4 then return nil end
        break
      elseif c == COLON then
        p = p + 1
        if p > n then return nil end
      elseif c ~= nil then
        return nil
      end
      a[piece] = value
      piece = piece + 1
    end
  end
  if compress then
    local swaps = piece - compress
    piece = 8
    while piece ~= 1 and swaps > 0 do
      local k = compress + swaps - 1
      a[piece], a[k] = a[k], a[piece]
      piece, swaps = piece - 1, swaps - 1
    end
  elseif piece ~= 9 then
    return nil
  end
  return a
end

-- Lower-case hex pieces, the first longest run of two or more zero pieces
-- written as '::'.
local function serializeIPv6(a)
  local best, bestLen, i = nil, 1, 1
  while i <= 8 do
    if a[i] == 0 then
      local j = i
      while j < 8 and a[j + 1] == 0 do j = j + 1 end
      if j - i + 1 > bestLen then best, bestLen = i, j - i + 1 end
      i = j + 1
    else
      i = i + 1
    end
  end
  local out, ignore0 = {}, false
  for k = 1, 8 do
    if not (ignore0 and a[k] == 0) then
      ignore0 = false
      if best == k then
        out[#out + 1] = k == 1 and '::' or ':'
        ignore0 = true
      else
        out[#out + 1] = format('%x', a[k])
        if k ~= 8 then out[#out + 1] = ':' end
      end
    end
  end
  return concat(out)
end

-- The host parser: the serialized host, or nil for failure. A domain that
-- is not ASCII is turned into Punycode with the subset of IDNA mapping
-- that internal/punycode.lua describes.
local function parseHost(input, opaque)
  if byte(input, 1) == LBRACKET then
    if byte(input, #input) ~= RBRACKET then return nil end
    local a = parseIPv6(sub(input, 2, #input - 1))
    if not a then return nil end
    return '[' .. serializeIPv6(a) .. ']'
  end
  if opaque then
    if anyIn(input, FORBIDDEN_HOST) then return nil end
    return encode(input, C0)
  end
  local domain = percentDecode(input)
  if domain == '' then return nil end
  domain = punycode.toASCII(domain)
  if not domain or domain == '' then return nil end
  if anyIn(domain, FORBIDDEN_DOMAIN) then return nil end
  if endsInNumber(domain) then return parseIPv4(domain) end
  return domain
end

-- Paths ---------------------------------------------------------------------

local function isDriveLetter(s)
  if #s ~= 2 then return false end
  local a, b = byte(s, 1, 2)
  return ((a >= 65 and a <= 90) or (a >= 97 and a <= 122)) and (b == COLON or b == 124)
end

local function isNormalizedDrive(s)
  return isDriveLetter(s) and byte(s, 2) == COLON
end

-- s from position p starts with a drive letter followed by nothing or by
-- one of / \ ? #.
local function startsWithDrive(s, p)
  if not isDriveLetter(sub(s, p, p + 1)) then return false end
  local c = byte(s, p + 2)
  return c == nil or c == SLASH or c == BACKSLASH or c == QUESTION or c == HASH
end

local function shorten(url)
  local p = url.path
  local n = #p
  if url.scheme == 'file' and n == 1 and isNormalizedDrive(p[1]) then return end
  p[n] = nil
end

local function isSingleDot(s)
  return s == '.' or (#s == 3 and lower(s) == '%2e')
end

local function isDoubleDot(s)
  local n = #s
  if n == 2 then return s == '..' end
  if n ~= 4 and n ~= 6 then return false end
  s = lower(s)
  return s == '.%2e' or s == '%2e.' or s == '%2e%2e'
end

-- Appends the segments of `p` (split on '/', and '\' in special URLs) to
-- the path, resolving '.' and '..' as the path state does.
local function addSegments(url, p, special)
  local list = url.path
  local isFile = url.scheme == 'file'
  local sep = special and SLASHES or ONE_SLASH
  local start = 1
  while true do
    local k = findIn(p, sep, start)
    local seg = sub(p, start, k and k - 1 or #p)
    seg = encode(seg, PATH)
    if isDoubleDot(seg) then
      shorten(url)
      if not k then list[#list + 1] = '' end
    elseif isSingleDot(seg) then
      if not k then list[#list + 1] = '' end
    else
      if isFile and #list == 0 and isDriveLetter(seg) then seg = sub(seg, 1, 1) .. ':' end
      list[#list + 1] = seg
    end
    if not k then break end
    start = k + 1
  end
end

-- The parser ----------------------------------------------------------------

local function newRecord(scheme)
  return { scheme = scheme, username = '', password = '', host = nil, port = nil,
    path = {}, opaque = nil, query = nil, fragment = nil }
end

local function copyPath(p)
  local t = {}
  for i = 1, #p do t[i] = p[i] end
  return t
end

-- The query and the fragment, from the '?' or '#' at q.
local function parseQueryFragment(s, q, url, special)
  if byte(s, q) == QUESTION then
    local h = find(s, '#', q + 1, true)
    url.query = encode(sub(s, q + 1, h and h - 1 or #s), special and SPECIAL_QUERY or QUERY)
    q = h
  end
  if q then url.fragment = encode(sub(s, q + 1), FRAGMENT) end
  return url
end

-- The path from position pos, then the query and the fragment. With
-- `start` set this is the path start state: one leading slash is
-- dropped, and a non-special URL may have no path at all.
local function parseTail(s, pos, url, special, start)
  local q = findIn(s, QUERY_OR_FRAGMENT, pos)
  local pathEnd = q and q - 1 or #s
  if start then
    local c = byte(s, pos)
    if special then
      if pos <= pathEnd and (c == SLASH or c == BACKSLASH) then pos = pos + 1 end
      addSegments(url, sub(s, pos, pathEnd), true)
    elseif pos <= pathEnd then
      if c == SLASH then pos = pos + 1 end
      addSegments(url, sub(s, pos, pathEnd), false)
    end
  else
    addSegments(url, sub(s, pos, pathEnd), special)
  end
  if q then parseQueryFragment(s, q, url, special) end
  return url
end

-- Position of the first ':' outside square brackets, or nil.
local function hostColon(s)
  local inside, i = false, 1
  while true do
    local k = findIn(s, BRACKETS_OR_COLON, i)
    if not k then return nil end
    local c = byte(s, k)
    if c == LBRACKET then inside = true
    elseif c == RBRACKET then inside = false
    elseif not inside then return k end
    i = k + 1
  end
end

-- A port string: false for failure, else true and the port (nil for none
-- or the scheme's default).
local function parsePort(digits, scheme)
  if digits == '' then return true, nil end
  if not allIn(digits, DIGITS) then return false end
  local n = tonumber(digits)
  if n > 65535 then return false end
  if n == SPECIAL[scheme] then return true, nil end
  return true, n
end

local function parseAuthority(s, pos, url)
  local special = isSpecial(url.scheme)
  local e = findIn(s, special and END_OF_SPECIAL_AUTHORITY or END_OF_AUTHORITY, pos)
  local authEnd = e and e - 1 or #s
  local auth = sub(s, pos, authEnd)
  local at = nil
  for i = #auth, 1, -1 do
    if byte(auth, i) == 64 then at = i break end
  end
  if at then
    local userinfo = sub(auth, 1, at - 1)
    local colon = find(userinfo, ':', 1, true)
    if colon then
      url.username = encode(sub(userinfo, 1, colon - 1), USERINFO)
      url.password = encode(sub(userinfo, colon + 1), USERINFO)
    else
      url.username = encode(userinfo, USERINFO)
    end
    auth = sub(auth, at + 1)
    if auth == '' then return nil end
  end
  local colon = hostColon(auth)
  local hostText = colon and sub(auth, 1, colon - 1) or auth
  if hostText == '' then
    if colon or special then return nil end
    url.host = ''
  else
    local h = parseHost(hostText, not special)
    if not h then return nil end
    url.host = h
  end
  if colon then
    local ok, port = parsePort(sub(auth, colon + 1), url.scheme)
    if not ok then return nil end
    url.port = port
  end
  return parseTail(s, authEnd + 1, url, special, true)
end

local function skipSlashes(s, pos)
  local c = byte(s, pos)
  while c == SLASH or c == BACKSLASH do
    pos = pos + 1
    c = byte(s, pos)
  end
  return pos
end

local function parseFile(s, pos, url, base)
  url.scheme, url.host = 'file', ''
  local baseFile = base ~= nil and base.scheme == 'file'
  local c = byte(s, pos)
  if c == SLASH or c == BACKSLASH then
    local c2 = byte(s, pos + 1)
    if c2 == SLASH or c2 == BACKSLASH then
      -- The file host state.
      local e = findIn(s, END_OF_SPECIAL_AUTHORITY, pos + 2)
      local hostEnd = e and e - 1 or #s
      local buf = sub(s, pos + 2, hostEnd)
      if isDriveLetter(buf) then
        -- file://C:/x: the drive letter is the path's first segment.
        return parseTail(s, pos + 2, url, true, false)
      end
      if buf ~= '' then
        local h = parseHost(buf, false)
        if not h then return nil end
        if h == 'localhost' then h = '' end
        url.host = h
      end
      return parseTail(s, hostEnd + 1, url, true, true)
    end
    if baseFile then
      url.host = base.host
      if not startsWithDrive(s, pos + 1) and base.path[1] and isNormalizedDrive(base.path[1]) then
        url.path[1] = base.path[1]
      end
    end
    return parseTail(s, pos + 1, url, true, false)
  end
  if baseFile then
    url.host, url.path, url.query = base.host, copyPath(base.path), base.query
    if c == QUESTION or c == HASH then
      return parseQueryFragment(s, pos, url, true)
    elseif c ~= nil then
      url.query = nil
      if startsWithDrive(s, pos) then url.path = {} else shorten(url) end
      return parseTail(s, pos, url, true, false)
    end
    return url
  end
  return parseTail(s, pos, url, true, false)
end

local function parseRelative(s, pos, url, base)
  local special = isSpecial(url.scheme)
  local c = byte(s, pos)
  if c == SLASH or (special and c == BACKSLASH) then
    local c2 = byte(s, pos + 1)
    if special and (c2 == SLASH or c2 == BACKSLASH) then
      return parseAuthority(s, skipSlashes(s, pos + 2), url)
    elseif not special and c2 == SLASH then
      return parseAuthority(s, pos + 2, url)
    end
    url.username, url.password, url.host, url.port = base.username, base.password, base.host, base.port
    return parseTail(s, pos + 1, url, special, false)
  end
  url.username, url.password, url.host, url.port = base.username, base.password, base.host, base.port
  url.path, url.query = copyPath(base.path), base.query
  if c == QUESTION or c == HASH then
    return parseQueryFragment(s, pos, url, special)
  elseif c ~= nil then
    url.query = nil
    shorten(url)
    return parseTail(s, pos, url, special, false)
  end
  return url
end

local ALPHA, SCHEME_CHARS = {}, {}
for c = 65, 90 do ALPHA[c], ALPHA[c + 32] = true, true end
for c in pairs(ALPHA) do SCHEME_CHARS[c] = true end
for c = 48, 57 do SCHEME_CHARS[c] = true end
SCHEME_CHARS[43], SCHEME_CHARS[45], SCHEME_CHARS[46] = true, true, true

-- The end of the scheme at the start of s (a letter, then letters,
-- digits, '+', '-' or '.'), or nil when s does not start with one.
local function schemeEnd(s)
  if not ALPHA[byte(s, 1)] then return nil end
  local i = 2
  while SCHEME_CHARS[byte(s, i)] do i = i + 1 end
  return i - 1
end

-- The basic URL parser without a state override: the record, or nil.
local function basicParse(input, base)
  local s = prepare(input)
  local e = schemeEnd(s)
  if e and byte(s, e + 1) ~= COLON then e = nil end
  if e then
    local scheme = lower(sub(s, 1, e))
    local url = newRecord(scheme)
    local pos = e + 2
    if scheme == 'file' then
      return parseFile(s, pos, url, base)
    elseif isSpecial(scheme) then
      if base and base.scheme == scheme then
        if byte(s, pos) == SLASH and byte(s, pos + 1) == SLASH then
          return parseAuthority(s, skipSlashes(s, pos + 2), url)
        end
        return parseRelative(s, pos, url, base)
      end
      return parseAuthority(s, skipSlashes(s, pos), url)
    elseif byte(s, pos) == SLASH then
      if byte(s, pos + 1) == SLASH then return parseAuthority(s, pos + 2, url) end
      return parseTail(s, pos + 1, url, false, false)
    end
    -- An opaque path: 'mailto:x', 'data:...'.
    local q = findIn(s, QUERY_OR_FRAGMENT, pos)
    url.path = nil
    url.opaque = encode(sub(s, pos, q and q - 1 or #s), C0)
    if q then parseQueryFragment(s, q, url, false) end
    return url
  end
  if not base then return nil end
  if base.opaque then
    if byte(s, 1) ~= HASH then return nil end
    local url = newRecord(base.scheme)
    url.path, url.opaque, url.query = nil, base.opaque, base.query
    url.fragment = encode(sub(s, 2), FRAGMENT)
    return url
  end
  if base.scheme == 'file' then return parseFile(s, 1, newRecord('file'), base) end
  return parseRelative(s, 1, newRecord(base.scheme), base)
end

-- Serializing ---------------------------------------------------------------

local function pathString(url)
  if url.opaque then return url.opaque end
  local p = url.path
  if #p == 0 then return '' end
  return '/' .. concat(p, '/')
end

local function hostString(url)
  local h = url.host
  if h == nil then return '' end
  if url.port then return h .. ':' .. url.port end
  return h
end

local function serialize(url, noFragment, noAuth, noSearch)
  local out = { url.scheme, ':' }
  local n = 2
  if url.host then
    out[n + 1] = '//'
    n = n + 1
    if not noAuth and (url.username ~= '' or url.password ~= '') then
      out[n + 1] = url.username
      n = n + 1
      if url.password ~= '' then
        out[n + 1], out[n + 2] = ':', url.password
        n = n + 2
      end
      out[n + 1] = '@'
      n = n + 1
    end
    out[n + 1] = hostString(url)
    n = n + 1
  elseif not url.opaque and #url.path > 1 and url.path[1] == '' then
    -- A path starting with '//' and no host would read back as a host.
    out[n + 1] = '/.'
    n = n + 1
  end
  out[n + 1] = pathString(url)
  n = n + 1
  if url.query and not noSearch then
    out[n + 1], out[n + 2] = '?', url.query
    n = n + 2
  end
  if url.fragment and not noFragment then
    out[n + 1], out[n + 2] = '#', url.fragment
  end
  return concat(out)
end

local function origin(url)
  local s = url.scheme
  if s == 'blob' then
    local inner = basicParse(pathString(url))
    if inner and (inner.scheme == 'http' or inner.scheme == 'https') then return origin(inner) end
    return 'null'
  end
  if SPECIAL[s] and s ~= 'file' then return s .. '://' .. hostString(url) end
  return 'null'
end

-- Trailing spaces of an opaque path go when nothing follows them any more
-- ('sc:a ?q' with its query removed is 'sc:a'), as a new parse of the href
-- would strip them.
local function stripTrailingSpaces(url, evenWithQuery)
  local p = url.opaque
  if not p or url.fragment or (url.query and not evenWithQuery) then return end
  local j = #p
  while j > 0 and byte(p, j) == 32 do j = j - 1 end
  if j < #p then url.opaque = sub(p, 1, j) end
end

-- application/x-www-form-urlencoded ----------------------------------------

local function formDecode(s)
  if anyIn(s, PLUS_OR_PERCENT) then
    s = gsub(s, '+', ' ')
    s = percentDecode(s)
  end
  return wellFormed(s)
end

-- Parses into a flat list: name, value, name, value, ...
local function parseForm(s, list)
  list = list or {}
  local n = 0
  for seq in s:gmatch('[^&]+') do
    local eq = find(seq, '=', 1, true)
    local name, value
    if eq then
      name, value = sub(seq, 1, eq - 1), sub(seq, eq + 1)
    else
      name, value = seq, ''
    end
    list[n + 1], list[n + 2] = formDecode(name), formDecode(value)
    n = n + 2
  end
  return list
end

local function formEncode(s)
  if anyIn(s, FORM) then s = gsub(s, FORM.pattern, HEX) end
  if anyIn(s, SPACE) then s = gsub(s, ' ', '+') end
  return s
end

local function serializeForm(list)
  local out = {}
  for i = 1, #list, 2 do
    out[#out + 1] = formEncode(list[i]) .. '=' .. formEncode(list[i + 1])
  end
  return concat(out, '&')
end

-- Errors and arguments ------------------------------------------------------

local function invalidURL(input, base)
  local e = errors.new('TypeError', 'ERR_INVALID_URL', 'Invalid URL')
  e.input = input
  if base ~= nil then e.base = base end
  return e
end

local M = {}

local URL = class.Object:extend('URL')
local URLSearchParams = class.Object:extend('URLSearchParams')
M.URL = URL
M.URLSearchParams = URLSearchParams

local function isURL(v)
  return type(v) == 'table' and getmetatable(v) == URL and rawget(v, '_url') ~= nil
end

local function isParams(v)
  return type(v) == 'table' and getmetatable(v) == URLSearchParams and rawget(v, '_list') ~= nil
end

local function checkURL(self)
  if not isURL(self) then error(errors.ERR_INVALID_THIS('URL'), 0) end
  return rawget(self, '_url')
end

local function checkParams(self)
  if not isParams(self) then error(errors.ERR_INVALID_THIS('URLSearchParams'), 0) end
  return rawget(self, '_list')
end

-- A value given to a setter or a method: JavaScript converts it to a
-- string; here a string or a number is taken, anything else raises.
local function text(v, name)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return codec.numberText(v) end
  error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string', v), 0)
end

-- The input of `new URL`: a string or a URL.
local function urlText(v, name)
  if type(v) == 'string' then return v end
  if isURL(v) then return serialize(rawget(v, '_url')) end
  if v == nil then error(errors.ERR_MISSING_ARGS(name), 0) end
  error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string or an instance of URL', v), 0)
end

-- The checked arguments of new, canParse and parse: the input as text,
-- the base as text, or as the URL object it is.
local function parseArgs(input, base)
  input = urlText(input, 'url')
  if base ~= nil then
    if isURL(base) then return input, nil, base end
    base = urlText(base, 'base')
  end
  return input, base, nil
end

-- Parses input against base (both already checked): the record or nil.
-- A URL object as base lends its record, which the parser only reads.
local function parseWithBase(input, base, baseObject)
  local baseRecord = nil
  if baseObject then
    baseRecord = rawget(baseObject, '_url')
  elseif base ~= nil then
    baseRecord = basicParse(base)
    if not baseRecord then return nil end
  end
  return basicParse(input, baseRecord)
end

-- URL -------------------------------------------------------------------------

local getters, setters = {}, {}

function URL:initialize(input, base)
  if type(self) ~= 'table' or getmetatable(self) ~= URL or rawget(self, '_url') ~= nil then
    error(errors.ERR_INVALID_THIS('URL'), 0)
  end
  local baseObject
  input, base, baseObject = parseArgs(input, base)
  local rec = parseWithBase(input, base, baseObject)
  if not rec then
    if baseObject then base = serialize(rawget(baseObject, '_url')) end
    error(invalidURL(input, base), 0)
  end
  rawset(self, '_url', rec)
end

URL.__index = function(self, k)
  local g = getters[k]
  if g then return g(rawget(self, '_url'), self) end
  return URL[k]
end

-- Assigning a property runs its setter; a read-only one (origin,
-- searchParams) ignores the assignment, as JavaScript outside strict mode
-- does; any other name is stored on the object.
URL.__newindex = function(self, k, v)
  local set = setters[k]
  if set then
    set(self, rawget(self, '_url'), v)
  elseif getters[k] == nil then
    rawset(self, k, v)
  end
end

URL.__tostring = function(self)
  if not isURL(self) then return 'URL {}' end
  return serialize(rawget(self, '_url'))
end

URL.__concat = function(a, b)
  return (isURL(a) and serialize(rawget(a, '_url')) or a) .. (isURL(b) and serialize(rawget(b, '_url')) or b)
end

URL.__eq = function(a, b)
  return isURL(a) and isURL(b) and serialize(rawget(a, '_url')) == serialize(rawget(b, '_url'))
end

-- A URL object around a record, without the checks of `new`.
local function newURL(rec)
  local u = setmetatable({}, URL)
  rawset(u, '_url', rec)
  return u
end

function URL:toString()
  return serialize(checkURL(self))
end

function URL:toJSON()
  return serialize(checkURL(self))
end

-- URL.canParse(input, [base]): true when `URL:new(input, base)` would work.
function URL.canParse(input, base)
  local baseObject
  input, base, baseObject = parseArgs(input, base)
  return parseWithBase(input, base, baseObject) ~= nil
end

-- URL.parse(input, [base]): the URL, or nil where `new` would raise.
function URL.parse(input, base)
  local baseObject
  input, base, baseObject = parseArgs(input, base)
  local rec = parseWithBase(input, base, baseObject)
  if not rec then return nil end
  return newURL(rec)
end

-- The URL's searchParams, made when first read.
local function paramsOf(self, rec)
  local p = rawget(self, '_params')
  if p then return p end
  p = setmetatable({}, URLSearchParams)
  rawset(p, '_list', parseForm(rec.query or ''))
  rawset(p, '_owner', self)
  rawset(self, '_params', p)
  return p
end

-- After the query changed: the searchParams list follows it.
local function refreshParams(self)
  local p = rawget(self, '_params')
  if p then
    local rec = rawget(self, '_url')
    rawset(p, '_list', parseForm(rec.query or ''))
  end
end

function getters.href(rec) return serialize(rec) end
function getters.protocol(rec) return rec.scheme .. ':' end
function getters.username(rec) return rec.username end
function getters.password(rec) return rec.password end
function getters.host(rec) return hostString(rec) end
function getters.hostname(rec) return rec.host or '' end
function getters.port(rec) return rec.port and tostring(rec.port) or '' end
function getters.pathname(rec) return pathString(rec) end
function getters.search(rec)
  if rec.query == nil or rec.query == '' then return '' end
  return '?' .. rec.query
end
function getters.hash(rec)
  if rec.fragment == nil or rec.fragment == '' then return '' end
  return '#' .. rec.fragment
end
function getters.origin(rec) return origin(rec) end
function getters.searchParams(rec, self) return paramsOf(self, rec) end

function setters.href(self, rec, v)
  v = text(v, 'href')
  local r = basicParse(v)
  if not r then error(invalidURL(v), 0) end
  rawset(self, '_url', r)
  refreshParams(self)
end

function setters.protocol(self, rec, v)
  v = removeTabs(text(v, 'protocol'))
  local e = schemeEnd(v)
  if not e then return end
  local nextByte = byte(v, e + 1)
  if nextByte ~= nil and nextByte ~= COLON then return end
  local scheme = lower(sub(v, 1, e))
  if isSpecial(rec.scheme) ~= isSpecial(scheme) then return end
  if scheme == 'file' and (rec.username ~= '' or rec.password ~= '' or rec.port) then return end
  if rec.scheme == 'file' and rec.host == '' then return end
  rec.scheme = scheme
  if rec.port and rec.port == SPECIAL[scheme] then rec.port = nil end
end

local function cannotHaveCredentials(rec)
  return rec.host == nil or rec.host == '' or rec.scheme == 'file'
end

function setters.username(self, rec, v)
  v = text(v, 'username')
  if cannotHaveCredentials(rec) then return end
  rec.username = encode(v, USERINFO)
end

function setters.password(self, rec, v)
  v = text(v, 'password')
  if cannotHaveCredentials(rec) then return end
  rec.password = encode(v, USERINFO)
end

-- The host state with a state override (host, or hostname when
-- `hostnameOnly`). As in the standard the record changes in place, so
-- 'example.com:99999' sets the host and leaves the port.
local function setHost(rec, v, hostnameOnly)
  if rec.opaque then return end
  v = removeTabs(v)
  local special = isSpecial(rec.scheme)
  local e = find(v, special and '[/\\?#]' or '[/?#]')
  local part = sub(v, 1, e and e - 1 or #v)
  if rec.scheme == 'file' then
    if part == '' then rec.host = '' return end
    local h = parseHost(part, false)
    if not h then return end
    if h == 'localhost' then h = '' end
    rec.host = h
    return
  end
  local colon = hostColon(part)
  local buf = colon and sub(part, 1, colon - 1) or part
  if colon then
    if buf == '' or hostnameOnly then return end
  else
    if special and buf == '' then return end
    if buf == '' and (rec.username ~= '' or rec.password ~= '' or rec.port) then return end
  end
  local h = parseHost(buf, not special)
  if not h then return end
  rec.host = h
  if colon then
    local digits = match(v, '^%d*', colon + 1)
    if digits ~= '' then
      local n = tonumber(digits)
      if n > 65535 then return end
      rec.port = n ~= SPECIAL[rec.scheme] and n or nil
    end
  end
end

function setters.host(self, rec, v) setHost(rec, text(v, 'host'), false) end
function setters.hostname(self, rec, v) setHost(rec, text(v, 'hostname'), true) end

function setters.port(self, rec, v)
  v = removeTabs(text(v, 'port'))
  if cannotHaveCredentials(rec) then return end
  if v == '' then rec.port = nil return end
  local digits = match(v, '^%d*')
  if digits == '' then return end
  local n = tonumber(digits)
  if n > 65535 then return end
  rec.port = n ~= SPECIAL[rec.scheme] and n or nil
end

function setters.pathname(self, rec, v)
  v = removeTabs(text(v, 'pathname'))
  if rec.opaque then return end
  rec.path = {}
  local special = isSpecial(rec.scheme)
  local c = byte(v, 1)
  if special then
    if c == SLASH or c == BACKSLASH then v = sub(v, 2) end
    addSegments(rec, v, true)
  elseif c ~= nil then
    if c == SLASH then v = sub(v, 2) end
    addSegments(rec, v, false)
  elseif rec.host == nil then
    rec.path[1] = ''
  end
end

function setters.search(self, rec, v)
  v = text(v, 'search')
  if v == '' then
    rec.query = nil
    stripTrailingSpaces(rec)
    refreshParams(self)
    return
  end
  -- The leading '?' goes before tabs and newlines do, as the standard says.
  if byte(v, 1) == QUESTION then v = sub(v, 2) end
  v = removeTabs(v)
  rec.query = encode(v, isSpecial(rec.scheme) and SPECIAL_QUERY or QUERY)
  refreshParams(self)
end

function setters.hash(self, rec, v)
  v = text(v, 'hash')
  if v == '' then
    rec.fragment = nil
    stripTrailingSpaces(rec)
    return
  end
  if byte(v, 1) == HASH then v = sub(v, 2) end
  v = removeTabs(v)
  rec.fragment = encode(v, FRAGMENT)
end

-- URLSearchParams -------------------------------------------------------------

-- A table given to `new`: a list of { name, value } pairs, or a record
-- whose keys are sorted (a Lua table has no order of its own).
local function listFromTable(init)
  local list = {}
  if init[1] ~= nil then
    for i = 1, #init do
      local pair = init[i]
      if type(pair) ~= 'table' or #pair ~= 2 then
        error(errors.new('TypeError', 'ERR_INVALID_TUPLE', 'Each query pair must be an iterable [name, value] tuple'), 0)
      end
      list[#list + 1] = text(pair[1], 'init[' .. i .. '][1]')
      list[#list + 1] = text(pair[2], 'init[' .. i .. '][2]')
    end
    return list
  end
  local keys = {}
  for k, v in next, init do
    if type(k) ~= 'string' then
      error(errors.ERR_INVALID_ARG_TYPE('init', 'a table of string keys', k), 0)
    end
    local tv = type(v)
    if tv ~= 'string' and tv ~= 'number' and tv ~= 'boolean' then
      error(errors.ERR_INVALID_ARG_TYPE('init.' .. k, 'of type string', v), 0)
    end
    keys[#keys + 1] = k
  end
  sort(keys)
  for i = 1, #keys do
    local v = init[keys[i]]
    list[#list + 1] = keys[i]
    list[#list + 1] = type(v) == 'boolean' and tostring(v) or text(v, 'init')
  end
  return list
end

function URLSearchParams:initialize(init)
  if type(self) ~= 'table' or getmetatable(self) ~= URLSearchParams or rawget(self, '_list') ~= nil then
    error(errors.ERR_INVALID_THIS('URLSearchParams'), 0)
  end
  local list
  if init == nil then
    list = {}
  elseif type(init) == 'string' then
    if byte(init, 1) == QUESTION then init = sub(init, 2) end
    list = parseForm(init)
  elseif isParams(init) then
    list = copyPath(rawget(init, '_list'))
  elseif type(init) == 'table' and getmetatable(init) == nil then
    list = listFromTable(init)
  else
    error(errors.ERR_INVALID_ARG_TYPE('init', 'a string, a table or a URLSearchParams', init), 0)
  end
  rawset(self, '_list', list)
end

URLSearchParams.__index = function(self, k)
  if k == 'size' then
    local list = rawget(self, '_list')
    return list and #list / 2 or nil
  end
  return URLSearchParams[k]
end

URLSearchParams.__newindex = function(self, k, v)
  if k ~= 'size' then rawset(self, k, v) end
end

-- Writes the list back to the URL it belongs to, if any.
local function update(self, list)
  local owner = rawget(self, '_owner')
  if not owner then return end
  local rec = rawget(owner, '_url')
  local s = serializeForm(list)
  if s == '' then s = nil end
  rec.query = s
  -- Node 20 strips an opaque path's trailing spaces on every update from
  -- searchParams, with or without a query left ('sc:x ?a' with a pair
  -- appended is 'sc:x?a=&c=d').
  stripTrailingSpaces(rec, true)
end

function URLSearchParams:append(name, value)
  local list = checkParams(self)
  name, value = text(name, 'name'), text(value, 'value')
  list[#list + 1] = name
  list[#list + 1] = value
  update(self, list)
end

-- Removes the pairs named `name` (and with `value`, when given).
function URLSearchParams:delete(name, value)
  local list = checkParams(self)
  name = text(name, 'name')
  if value ~= nil then value = text(value, 'value') end
  local j = 0
  local n = #list
  for i = 1, n, 2 do
    if not (list[i] == name and (value == nil or list[i + 1] == value)) then
      list[j + 1], list[j + 2] = list[i], list[i + 1]
      j = j + 2
    end
  end
  for i = n, j + 1, -1 do list[i] = nil end
  update(self, list)
end

function URLSearchParams:get(name)
  local list = checkParams(self)
  name = text(name, 'name')
  for i = 1, #list, 2 do
    if list[i] == name then return list[i + 1] end
  end
  return nil
end

function URLSearchParams:getAll(name)
  local list = checkParams(self)
  name = text(name, 'name')
  local out = {}
  for i = 1, #list, 2 do
    if list[i] == name then out[#out + 1] = list[i + 1] end
  end
  return out
end

function URLSearchParams:has(name, value)
  local list = checkParams(self)
  name = text(name, 'name')
  if value ~= nil then value = text(value, 'value') end
  for i = 1, #list, 2 do
    if list[i] == name and (value == nil or list[i + 1] == value) then return true end
  end
  return false
end

-- Sets the first pair named `name` to value and removes the others; adds
-- the pair at the end when there was none.
function URLSearchParams:set(name, value)
  local list = checkParams(self)
  name, value = text(name, 'name'), text(value, 'value')
  local found = false
  local j, n = 0, #list
  for i = 1, n, 2 do
    if list[i] == name then
      if not found then
        found = true
        list[j + 1], list[j + 2] = name, value
        j = j + 2
      end
    else
      list[j + 1], list[j + 2] = list[i], list[i + 1]
      j = j + 2
    end
  end
  for i = n, j + 1, -1 do list[i] = nil end
  if not found then
    list[j + 1], list[j + 2] = name, value
  end
  update(self, list)
end

-- A stable sort by name (byte order, which is code point order for UTF-8).
function URLSearchParams:sort()
  local list = checkParams(self)
  local pairsList = {}
  for i = 1, #list, 2 do pairsList[#pairsList + 1] = { list[i], list[i + 1], i } end
  sort(pairsList, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    return a[3] < b[3]
  end)
  for i = 1, #pairsList do
    local p = pairsList[i]
    list[2 * i - 1], list[2 * i] = p[1], p[2]
  end
  update(self, list)
end

function URLSearchParams:toString()
  return serializeForm(checkParams(self))
end

URLSearchParams.__tostring = function(self)
  if not isParams(self) then return 'URLSearchParams {}' end
  return serializeForm(rawget(self, '_list'))
end

-- forEach(fn): fn(value, name, params) for each pair, as in Node.
function URLSearchParams:forEach(fn)
  local list = checkParams(self)
  errors.checkFunction(fn, 'callback')
  local i = 1
  while i <= #list do
    fn(list[i + 1], list[i], self)
    i = i + 2
    list = rawget(self, '_list')
  end
end

-- The iterators follow the list as it is when each step runs, as Node's
-- do: `for name, value in params:entries() do`.
local function iterator(self, what)
  local i = -1
  return function()
    i = i + 2
    local list = rawget(self, '_list')
    local name = list[i]
    if name == nil then return nil end
    if what == 'keys' then return name end
    if what == 'values' then return list[i + 1] end
    return name, list[i + 1]
  end
end

function URLSearchParams:entries()
  checkParams(self)
  return iterator(self, 'entries')
end

function URLSearchParams:keys()
  checkParams(self)
  return iterator(self, 'keys')
end

function URLSearchParams:values()
  checkParams(self)
  return iterator(self, 'values')
end

-- File URLs -------------------------------------------------------------------

local function fileURLToPath(u)
  local rec
  if type(u) == 'string' then
    rec = basicParse(u)
    if not rec then error(invalidURL(u), 0) end
  elseif isURL(u) then
    rec = rawget(u, '_url')
  else
    error(errors.ERR_INVALID_ARG_TYPE('path', 'of type string or an instance of URL', u), 0)
  end
  if rec.scheme ~= 'file' then
    error(errors.new('TypeError', 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file'), 0)
  end
  if rec.host ~= '' then
    error(errors.new('TypeError', 'ERR_INVALID_FILE_URL_HOST',
      'File URL host must be "localhost" or empty on linux'), 0)
  end
  local p = pathString(rec)
  if find(p, '%%2[fF]') then
    error(errors.new('TypeError', 'ERR_INVALID_FILE_URL_PATH',
      'File URL path must not include encoded / characters'), 0)
  end
  return percentDecode(p)
end
M.fileURLToPath = fileURLToPath

-- path.resolve(p), in time linear in the length of p: process.cwd() in
-- front of a relative path, then '.', '..' and empty segments resolved.
local function resolvePath(p)
  if byte(p, 1) ~= SLASH then p = process.cwd() .. '/' .. p end
  local out = {}
  for seg in p:gmatch('[^/]+') do
    if seg == '..' then
      out[#out] = nil
    elseif seg ~= '.' then
      out[#out + 1] = seg
    end
  end
  return '/' .. concat(out, '/')
end

-- What Node 20's pathToFileURL escapes itself before it parses
-- 'file://' .. path; the parser then encodes the rest of the path set.
local FILE_PATH_ESCAPES = {}
for c in ('%\\\n\r\t #?[]^|~'):gmatch('.') do FILE_PATH_ESCAPES[c] = HEX[c] end
local FILE_PATH_SET = '[%%\\\n\r\t #?%[%]^|~]'

-- pathToFileURL(path): the file URL of the absolute form of path; a
-- trailing slash is kept. As in Node, the result is parsed, so trailing
-- C0 controls are stripped.
function M.pathToFileURL(p)
  errors.checkString(p, 'path')
  local resolved = resolvePath(p)
  if byte(p, #p) == SLASH and byte(resolved, #resolved) ~= SLASH then resolved = resolved .. '/' end
  resolved = gsub(resolved, FILE_PATH_SET, FILE_PATH_ESCAPES)
  return newURL(basicParse('file://' .. resolved))
end

-- Domains ---------------------------------------------------------------------

function M.domainToASCII(domain)
  errors.checkString(domain, 'domain')
  return parseHost(domain, false) or ''
end

function M.domainToUnicode(domain)
  errors.checkString(domain, 'domain')
  local h = parseHost(domain, false)
  if not h then return '' end
  return punycode.toUnicode(h)
end

-- The legacy API (lib/url.js) -------------------------------------------------

local FIELDS = { 'protocol', 'slashes', 'auth', 'host', 'port', 'hostname', 'hash', 'search',
  'query', 'pathname', 'path', 'href' }

local slashedProtocol = { http = true, ['http:'] = true, https = true, ['https:'] = true,
  ftp = true, ['ftp:'] = true, gopher = true, ['gopher:'] = true, file = true, ['file:'] = true,
  ws = true, ['ws:'] = true, wss = true, ['wss:'] = true }
local hostlessProtocol = { javascript = true, ['javascript:'] = true }
local unsafeProtocol = hostlessProtocol

-- JavaScript's truthiness, for the fields the legacy code tests.
local function truthy(v)
  return v ~= nil and v ~= false and v ~= '' and v ~= 0
end

local AUTO_ESCAPE = {
  ['\t'] = '%09', ['\n'] = '%0A', ['\r'] = '%0D', [' '] = '%20', ['"'] = '%22', ["'"] = '%27',
  ['<'] = '%3C', ['>'] = '%3E', ['\\'] = '%5C', ['^'] = '%5E', ['`'] = '%60', ['{'] = '%7B',
  ['|'] = '%7C', ['}'] = '%7D',
}
local AUTO_ESCAPE_SET = makeSet(function(c) return AUTO_ESCAPE[char(c)] ~= nil end)

-- Characters that end the host part of `rest`, and those never allowed in
-- a hostname (RFC 2396), which end it too unless an '@' follows.
local NON_HOST = {}
for c in ('\t\n\r "%\';<>\\^`{|}'):gmatch('.') do NON_HOST[byte(c)] = true end

local FORBIDDEN_LEGACY = charsOf('\0\t\n\r #%/:<>?@[\\]^|')
local FORBIDDEN_LEGACY_V6 = charsOf('\0\t\n\r #%/<>?@\\^|')
local NOT_IN_HOSTNAME = charsOf('/\\#?:')
local HOST_STOP = charsOf('#/?')
local PATH_ESCAPED = charsOf('#?')
local HASH_SET = charsOf('#')

local legacyFormat

-- The legacy parser's result: a table of Node's fields whose metatable
-- gives it Node's Url methods (format, resolve, resolveObject).
local Url = class.Object:extend('Url')
M.Url = Url

-- JavaScript's decodeURIComponent: a '%' without two hex digits, or
-- bytes that are not UTF-8 once decoded, raise URIError.
local function decodeURIComponent(s)
  if not find(s, '%', 1, true) then return s end
  local d = percentDecode(s)
  if find(gsub(s, '%%%x%x', ''), '%', 1, true) or wellFormed(d) ~= d then
    error(errors.new('URIError', 'ERR_INVALID_URI', 'URI malformed'), 0)
  end
  return d
end

local function legacyParse(url, parseQueryString, slashesDenoteHost)
  errors.checkString(url, 'url')
  local u = setmetatable({}, Url)
  -- Trims whitespace and turns backslashes into slashes before the first
  -- '?' or '#'.
  local first = find(url, '[^%z\1- ]')
  local rest = ''
  local hasHash, hasAt = false, false
  if first then
    local last = #url
    while byte(url, last) <= 32 do last = last - 1 end
    rest = sub(url, first, last)
    local split = findIn(rest, QUERY_OR_FRAGMENT)
    local head = split and sub(rest, 1, split - 1) or rest
    hasAt = find(head, '@', 1, true) ~= nil
    hasHash = find(rest, '#', 1, true) ~= nil
    if find(head, '\\', 1, true) then
      rest = gsub(head, '\\', '/') .. (split and sub(rest, split) or '')
    end
  end

  if not slashesDenoteHost and not hasHash and not hasAt then
    -- A simple path: /p/a/t/h?query, with no whitespace.
    if byte(rest, 1) == SLASH and sub(rest, 1, 3) ~= '///' then
      local q = find(rest, '?', 1, true)
      local pathname = q and sub(rest, 1, q - 1) or rest
      if not find(rest, '[\t\n\v\f\r ]') then
        u.path, u.href, u.pathname = rest, rest, pathname
        if q then
          u.search = sub(rest, q)
          u.query = parseQueryString and querystring.parse(sub(rest, q + 1)) or sub(rest, q + 1)
        elseif parseQueryString then
          u.search, u.query = nil, {}
        end
        return u
      end
    end
  end

  local proto = match(rest, '^[A-Za-z0-9.+-]+:')
  local lowerProto
  if proto then
    lowerProto = lower(proto)
    u.protocol = lowerProto
    rest = sub(rest, #proto + 1)
  end

  local slashes
  if slashesDenoteHost or proto or find(rest, '^//[^@/]+@[^@/]+') then
    slashes = byte(rest, 1) == SLASH and byte(rest, 2) == SLASH
    if slashes and not (proto and hostlessProtocol[lowerProto]) then
      rest = sub(rest, 3)
      u.slashes = true
    end
  end

  if not hostlessProtocol[lowerProto or ''] and (slashes or (proto and not slashedProtocol[proto])) then
    -- Tabs and newlines go from the part scanned for the host, as the
    -- WHATWG parser removes them.
    local stop = findIn(rest, HOST_STOP)
    if anyIn(rest, TABS) then
      local head = removeTabs(stop and sub(rest, 1, stop - 1) or rest)
      rest = stop and head .. sub(rest, stop) or head
    end
    local hostEnd, atSign, nonHost = nil, nil, nil
    for i = 1, #rest do
      local c = byte(rest, i)
      if NON_HOST[c] then
        nonHost = nonHost or i
      elseif c == HASH or c == SLASH or c == QUESTION then
        nonHost = nonHost or i
        hostEnd = i
        break
      elseif c == 64 then
        atSign = i
        nonHost = nil
      end
    end
    local start = 1
    if atSign then
      u.auth = decodeURIComponent(sub(rest, 1, atSign - 1))
      start = atSign + 1
    end
    if nonHost then
      u.host = sub(rest, start, nonHost - 1)
      rest = sub(rest, nonHost)
    else
      u.host = sub(rest, start)
      rest = ''
    end
    -- The port: ':digits' at the end of host.
    local host = u.host
    local port = match(host, ':%d*$')
    if port then
      if port ~= ':' then u.port = sub(port, 2) end
      host = sub(host, 1, #host - #port)
    end
    if host ~= '' then u.hostname = host end
    if type(u.hostname) ~= 'string' then u.hostname = '' end
    local hostname = u.hostname
    local ipv6 = byte(hostname, 1) == LBRACKET and byte(hostname, #hostname) == RBRACKET
    if not ipv6 then
      local bad = findIn(hostname, NOT_IN_HOSTNAME)
      if bad then
        u.hostname = sub(hostname, 1, bad - 1)
        rest = '/' .. sub(hostname, bad) .. rest
      end
    end
    if #u.hostname > 255 then u.hostname = '' else u.hostname = lower(u.hostname) end
    if u.hostname ~= '' then
      if not ipv6 then
        -- Node's toASCII: Punycode for what is not ASCII; a domain IDNA
        -- rejects makes the URL invalid.
        local ascii = punycode.toASCII(u.hostname)
        if not ascii then error(invalidURL(url), 0) end
        u.hostname = ascii
      end
      if anyIn(u.hostname, ipv6 and FORBIDDEN_LEGACY_V6 or FORBIDDEN_LEGACY) then
        error(invalidURL(url), 0)
      end
    end
    u.host = u.hostname .. (truthy(u.port) and (':' .. u.port) or '')
    if ipv6 then
      u.hostname = sub(u.hostname, 2, #u.hostname - 1)
      if byte(rest, 1) ~= SLASH then rest = '/' .. rest end
    end
  end

  if not unsafeProtocol[lowerProto or ''] then
    if anyIn(rest, AUTO_ESCAPE_SET) then rest = gsub(rest, AUTO_ESCAPE_SET.pattern, AUTO_ESCAPE) end
  end

  local hashIdx = find(rest, '#', 1, true)
  local questionIdx = find(rest, '?', 1, true)
  if questionIdx and hashIdx and questionIdx > hashIdx then questionIdx = nil end
  if hashIdx then u.hash = sub(rest, hashIdx) end
  if questionIdx then
    local stop = hashIdx and hashIdx - 1 or #rest
    u.search = sub(rest, questionIdx, stop)
    u.query = sub(rest, questionIdx + 1, stop)
    if parseQueryString then u.query = querystring.parse(u.query) end
  elseif parseQueryString then
    u.search, u.query = nil, {}
  end
  local firstIdx = questionIdx or hashIdx
  if not firstIdx then
    if #rest > 0 then u.pathname = rest end
  elseif firstIdx > 1 then
    u.pathname = sub(rest, 1, firstIdx - 1)
  end
  if slashedProtocol[lowerProto or ''] and truthy(u.hostname) and not truthy(u.pathname) then
    u.pathname = '/'
  end
  if truthy(u.pathname) or truthy(u.search) then
    u.path = (u.pathname or '') .. (u.search or '')
  end
  u.href = legacyFormat(u)
  return u
end

-- encodeURIComponent's unreserved set and ':' stay as they are in auth.
local AUTH_KEPT = charsOf("-_.!~*'():")
local AUTH_ESCAPE = makeSet(function(c)
  return not ((c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122) or AUTH_KEPT[c])
end)

legacyFormat = function(u)
  local auth = u.auth
  if truthy(auth) then
    auth = tostring(auth)
    if anyIn(auth, AUTH_ESCAPE) then auth = gsub(auth, AUTH_ESCAPE.pattern, HEX) end
    auth = auth .. '@'
  else
    auth = ''
  end
  local protocol = truthy(u.protocol) and tostring(u.protocol) or ''
  local pathname = truthy(u.pathname) and tostring(u.pathname) or ''
  local hash = truthy(u.hash) and tostring(u.hash) or ''
  local host = ''
  local query = ''
  if truthy(u.host) then
    host = auth .. tostring(u.host)
  elseif truthy(u.hostname) then
    local hn = tostring(u.hostname)
    local v6 = byte(hn, 1) == LBRACKET and byte(hn, #hn) == RBRACKET
    host = auth .. ((find(hn, ':', 1, true) and not v6) and ('[' .. hn .. ']') or hn)
    if truthy(u.port) then host = host .. ':' .. tostring(u.port) end
  end
  if type(u.query) == 'table' then query = querystring.stringify(u.query) end
  local search = truthy(u.search) and tostring(u.search) or (query ~= '' and ('?' .. query)) or ''
  if protocol ~= '' and byte(protocol, #protocol) ~= COLON then protocol = protocol .. ':' end
  if anyIn(pathname, PATH_ESCAPED) then pathname = gsub(pathname, '[#?]', HEX) end
  if truthy(u.slashes) or slashedProtocol[protocol] then
    if truthy(u.slashes) or host ~= '' then
      if pathname ~= '' and byte(pathname, 1) ~= SLASH then pathname = '/' .. pathname end
      host = '//' .. host
    elseif #protocol >= 4 and sub(protocol, 1, 4) == 'file' then
      host = '//'
    end
  end
  if anyIn(search, HASH_SET) then search = gsub(search, '#', '%%23') end
  if hash ~= '' and byte(hash, 1) ~= HASH then hash = '#' .. hash end
  if search ~= '' and byte(search, 1) ~= QUESTION then search = '?' .. search end
  return protocol .. host .. pathname .. search .. hash
end

local function split(s, sep)
  local out = {}
  local start = 1
  while true do
    local k = find(s, sep, start, true)
    out[#out + 1] = sub(s, start, k and k - 1 or #s)
    if not k then return out end
    start = k + 1
  end
end

local function copyFields(dst, src, except)
  for i = 1, #FIELDS do
    local k = FIELDS[i]
    if k ~= except then dst[k] = src[k] end
  end
end

-- Shifts the host back out of the path of a URL without slashes
-- ('mailto:a@b'), splitting off an auth caught in it.
local function hostFromPath(result, h)
  result.hostname, result.host = h, h
  if type(h) == 'string' then
    local at = find(h, '@', 1, true)
    if at and at > 1 then
      local parts = split(h, '@')
      result.auth = parts[1]
      result.host, result.hostname = parts[2], parts[2]
    end
  end
end

local function resolveObject(source, relative)
  local result = setmetatable({}, Url)
  copyFields(result, source)
  result.hash = relative.hash
  if relative.href == '' then
    result.href = legacyFormat(result)
    return result
  end

  if truthy(relative.slashes) and not truthy(relative.protocol) then
    copyFields(result, relative, 'protocol')
    if slashedProtocol[result.protocol or ''] and truthy(result.hostname) and not truthy(result.pathname) then
      result.path, result.pathname = '/', '/'
    end
    result.href = legacyFormat(result)
    return result
  end

  if truthy(relative.protocol) and relative.protocol ~= result.protocol then
    if not slashedProtocol[relative.protocol] then
      copyFields(result, relative)
      result.href = legacyFormat(result)
      return result
    end
    result.protocol = relative.protocol
    if not truthy(relative.host) and not find(relative.protocol, '^file:?$') and
        not hostlessProtocol[relative.protocol] then
      local relPath = split(relative.pathname or '', '/')
      repeat
        relative.host = table.remove(relPath, 1)
      until #relPath == 0 or truthy(relative.host)
      if not truthy(relative.host) then relative.host = '' end
      if not truthy(relative.hostname) then relative.hostname = '' end
      if relPath[1] ~= '' then table.insert(relPath, 1, '') end
      if #relPath < 2 then table.insert(relPath, 1, '') end
      result.pathname = concat(relPath, '/')
    else
      result.pathname = relative.pathname
    end
    result.search = relative.search
    result.query = relative.query
    result.host = truthy(relative.host) and relative.host or ''
    result.auth = relative.auth
    result.hostname = truthy(relative.hostname) and relative.hostname or relative.host
    result.port = relative.port
    if truthy(result.pathname) or truthy(result.search) then
      result.path = (result.pathname or '') .. (result.search or '')
    end
    result.slashes = truthy(result.slashes) and result.slashes or relative.slashes
    result.href = legacyFormat(result)
    return result
  end

  local isSourceAbs = truthy(result.pathname) and byte(result.pathname, 1) == SLASH
  local isRelAbs = truthy(relative.host) or (truthy(relative.pathname) and byte(relative.pathname, 1) == SLASH)
  local mustEndAbs = isRelAbs or isSourceAbs or (truthy(result.host) and truthy(relative.pathname))
  local removeAllDots = mustEndAbs
  local srcPath = truthy(result.pathname) and split(result.pathname, '/') or {}
  local relPath = truthy(relative.pathname) and split(relative.pathname, '/') or {}
  local noLeadingSlashes = truthy(result.protocol) and not slashedProtocol[result.protocol]

  if noLeadingSlashes then
    result.hostname = ''
    result.port = nil
    if truthy(result.host) then
      if srcPath[1] == '' then srcPath[1] = result.host else table.insert(srcPath, 1, result.host) end
    end
    result.host = ''
    if truthy(relative.protocol) then
      relative.hostname = nil
      relative.port = nil
      result.auth = nil
      if truthy(relative.host) then
        if relPath[1] == '' then relPath[1] = relative.host else table.insert(relPath, 1, relative.host) end
      end
      relative.host = nil
    end
    mustEndAbs = mustEndAbs and (relPath[1] == '' or srcPath[1] == '')
  end

  if isRelAbs then
    if truthy(relative.host) or relative.host == '' then
      if result.host ~= relative.host then result.auth = nil end
      result.host = relative.host
      result.port = relative.port
    end
    if truthy(relative.hostname) or relative.hostname == '' then
      if result.hostname ~= relative.hostname then result.auth = nil end
      result.hostname = relative.hostname
    end
    result.search = relative.search
    result.query = relative.query
    srcPath = relPath
  elseif #relPath > 0 then
    srcPath[#srcPath] = nil
    for i = 1, #relPath do srcPath[#srcPath + 1] = relPath[i] end
    result.search = relative.search
    result.query = relative.query
  elseif relative.search ~= nil then
    if noLeadingSlashes then hostFromPath(result, table.remove(srcPath, 1)) end
    result.search = relative.search
    result.query = relative.query
    if result.pathname ~= nil or result.search ~= nil then
      result.path = (truthy(result.pathname) and result.pathname or '') ..
        (truthy(result.search) and result.search or '')
    end
    result.href = legacyFormat(result)
    return result
  end

  if #srcPath == 0 then
    result.pathname = nil
    if truthy(result.search) then result.path = '/' .. result.search else result.path = nil end
    result.href = legacyFormat(result)
    return result
  end

  local last = srcPath[#srcPath]
  local hasTrailingSlash = ((truthy(result.host) or truthy(relative.host) or #srcPath > 1) and
    (last == '.' or last == '..')) or last == ''

  -- Drops '.' and resolves '..' from the end, counting in `up` the '..'
  -- that go above the first segment; built as a new list so that a long
  -- path costs linear time.
  local up = 0
  local kept = {}
  for i = #srcPath, 1, -1 do
    last = srcPath[i]
    if last == '.' then
      -- dropped
    elseif last == '..' then
      up = up + 1
    elseif up > 0 then
      up = up - 1
    else
      kept[#kept + 1] = last
    end
  end
  local lead = (not mustEndAbs and not removeAllDots) and up or 0
  local newPath = {}
  for _ = 1, lead do newPath[#newPath + 1] = '..' end
  for i = #kept, 1, -1 do newPath[#newPath + 1] = kept[i] end
  srcPath = newPath

  if mustEndAbs and srcPath[1] ~= '' and (not truthy(srcPath[1]) or byte(srcPath[1], 1) ~= SLASH) then
    table.insert(srcPath, 1, '')
  end

  if hasTrailingSlash and sub(concat(srcPath, '/'), -1) ~= '/' then
    srcPath[#srcPath + 1] = ''
  end

  local isAbsolute = srcPath[1] == '' or (truthy(srcPath[1]) and byte(srcPath[1], 1) == SLASH)

  if noLeadingSlashes then
    local h = ''
    if not isAbsolute and #srcPath > 0 then h = table.remove(srcPath, 1) end
    hostFromPath(result, h)
  end

  mustEndAbs = mustEndAbs or (truthy(result.host) and #srcPath > 0)
  if mustEndAbs and not isAbsolute then table.insert(srcPath, 1, '') end

  if #srcPath > 0 then
    result.pathname = concat(srcPath, '/')
  else
    result.pathname = nil
    result.path = nil
  end
  if result.pathname ~= nil or result.search ~= nil then
    result.path = (truthy(result.pathname) and result.pathname or '') ..
      (truthy(result.search) and result.search or '')
  end
  result.auth = truthy(relative.auth) and relative.auth or result.auth
  result.slashes = truthy(result.slashes) and result.slashes or relative.slashes
  result.href = legacyFormat(result)
  return result
end

-- url.parse(s, [parseQueryString], [slashesDenoteHost]): Node's legacy
-- parser. Absent fields are nil (Node's null).
function M.parse(url, parseQueryString, slashesDenoteHost)
  if isURL(url) then url = serialize(rawget(url, '_url')) end
  return legacyParse(url, parseQueryString, slashesDenoteHost)
end

-- url.format(obj or URL or string, [options]).
function M.format(obj, options)
  if type(obj) == 'string' then
    return legacyFormat(legacyParse(obj))
  end
  if isURL(obj) then
    local rec = rawget(obj, '_url')
    local noAuth, noFragment, noSearch = false, false, false
    if options ~= nil then
      errors.checkTable(options, 'options')
      noAuth = options.auth == false
      noFragment = options.fragment == false
      noSearch = options.search == false
      if options.unicode == true and rec.host and not rec.opaque then
        -- The host's xn-- labels decoded, on a copy of the record.
        local copy = {}
        for k, v in next, rec do copy[k] = v end
        copy.host = punycode.toUnicode(rec.host)
        rec = copy
      end
    end
    return serialize(rec, noFragment, noAuth, noSearch)
  end
  if type(obj) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('urlObject', 'of type table or string', obj), 0)
  end
  return legacyFormat(obj)
end

-- url.resolve(from, to): resolves `to` against `from` as a browser
-- resolves a link, with Node's legacy rules.
function M.resolve(from, to)
  errors.checkString(from, 'from')
  errors.checkString(to, 'to')
  return resolveObject(legacyParse(from, false, true), legacyParse(to, false, true)).href
end

-- The relative side of a resolve: parsed when a string, else a copy of
-- the fields (resolveObject changes the relative it works on).
local function relativeOf(to)
  if type(to) == 'string' then return legacyParse(to, false, true) end
  errors.checkTable(to, 'relative')
  local rel = {}
  copyFields(rel, to)
  return rel
end

function M.resolveObject(from, to)
  errors.checkString(from, 'from')
  return resolveObject(legacyParse(from, false, true), relativeOf(to))
end

local function checkUrl(self)
  if type(self) ~= 'table' or getmetatable(self) ~= Url then error(errors.ERR_INVALID_THIS('Url'), 0) end
  return self
end

-- Url:new() is an empty Url; Url:parse(s, ...) fills it as url.parse does.
function Url:parse(s, parseQueryString, slashesDenoteHost)
  checkUrl(self)
  local u = legacyParse(s, parseQueryString, slashesDenoteHost)
  for i = 1, #FIELDS do
    local k = FIELDS[i]
    self[k] = u[k]
  end
  return self
end

function Url:format()
  return legacyFormat(checkUrl(self))
end

function Url:resolve(relative)
  checkUrl(self)
  errors.checkString(relative, 'relative')
  return resolveObject(self, relativeOf(relative)).href
end

function Url:resolveObject(relative)
  checkUrl(self)
  return resolveObject(self, relativeOf(relative))
end

-- url.urlToHttpOptions(url): the options table http.request takes.
function M.urlToHttpOptions(u)
  local rec = checkURL(u)
  local hostname = rec.host or ''
  if byte(hostname, 1) == LBRACKET then hostname = sub(hostname, 2, #hostname - 1) end
  local o = {
    protocol = rec.scheme .. ':',
    hostname = hostname,
    hash = getters.hash(rec),
    search = getters.search(rec),
    pathname = pathString(rec),
    path = pathString(rec) .. getters.search(rec),
    href = serialize(rec),
  }
  if rec.port then o.port = rec.port end
  if rec.username ~= '' or rec.password ~= '' then
    o.auth = percentDecode(rec.username) .. ':' .. percentDecode(rec.password)
  end
  return o
end

return M
