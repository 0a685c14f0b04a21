-- path: Node's path.posix, function for function (lib/path.js). Paths are
-- byte strings; only '/' separates. Misuse raises ERR_INVALID_ARG_TYPE.
local require, binding = ...

local errors = require('internal/errors')

local type, select, error = type, select, error
local byte, sub, gmatch, concat = string.byte, string.sub, string.gmatch, table.concat

local SLASH, DOT = 47, 46

local function checkString(v, name)
  if type(v) ~= 'string' then
    error(errors.ERR_INVALID_ARG_TYPE(name, 'of type string', v), 0)
  end
end

-- Resolves '.' and '..' segments; `allowAboveRoot` keeps leading '..'.
-- (Node's normalizeString, with 1-based positions.)
local function normalizeString(path, allowAboveRoot)
  -- Node's algorithm, on a stack of segments instead of a growing string:
  -- linear in the length of the path, however many segments it has.
  local stack, n = {}, 0
  for seg in gmatch(path, '[^/]+') do
    if seg == '..' then
      if n > 0 and stack[n] ~= '..' then
        stack[n] = nil
        n = n - 1
      elseif allowAboveRoot then
        n = n + 1
        stack[n] = '..'
      end
    elseif seg ~= '.' then
      n = n + 1
      stack[n] = seg
    end
  end
  return concat(stack, '/', 1, n)
end

local path = {}

local function cwd()
  local p = process
  if p ~= nil and p.cwd ~= nil then return p.cwd() end
  return '/'
end

-- path.resolve(...): right to left until an absolute path is formed, then
-- process.cwd() when none is.
function path.resolve(...)
  local n = select('#', ...)
  local resolvedPath = ''
  local resolvedAbsolute = false
  for i = n, 1, -1 do
    local p = (select(i, ...))
    checkString(p, 'paths[' .. i .. ']')
    if #p > 0 then
      resolvedPath = p .. '/' .. resolvedPath
      resolvedAbsolute = byte(p, 1) == SLASH
      if resolvedAbsolute then break end
    end
  end
  if not resolvedAbsolute then
    local c = cwd()
    resolvedPath = c .. '/' .. resolvedPath
    resolvedAbsolute = byte(c, 1) == SLASH
  end
  resolvedPath = normalizeString(resolvedPath, not resolvedAbsolute)
  if resolvedAbsolute then
    return '/' .. resolvedPath
  end
  return #resolvedPath > 0 and resolvedPath or '.'
end

function path.normalize(p)
  checkString(p, 'path')
  if #p == 0 then return '.' end
  local isAbsolute = byte(p, 1) == SLASH
  local trailingSeparator = byte(p, #p) == SLASH
  p = normalizeString(p, not isAbsolute)
  if #p == 0 then
    if isAbsolute then return '/' end
    return trailingSeparator and './' or '.'
  end
  if trailingSeparator then p = p .. '/' end
  return isAbsolute and ('/' .. p) or p
end

function path.isAbsolute(p)
  checkString(p, 'path')
  return #p > 0 and byte(p, 1) == SLASH
end

function path.join(...)
  local n = select('#', ...)
  if n == 0 then return '.' end
  local parts, np = {}, 0
  for i = 1, n do
    local arg = (select(i, ...))
    checkString(arg, 'path')
    if #arg > 0 then
      np = np + 1
      parts[np] = arg
    end
  end
  if np == 0 then return '.' end
  return path.normalize(concat(parts, '/'))
end

function path.relative(from, to)
  checkString(from, 'from')
  checkString(to, 'to')
  if from == to then return '' end
  from = path.resolve(from)
  to = path.resolve(to)
  if from == to then return '' end

  -- 0-based offsets as in Node; byte(s, off + 1) reads position `off`.
  local fromStart = 1
  local fromEnd = #from
  local fromLen = fromEnd - fromStart
  local toStart = 1
  local toLen = #to - toStart

  local length = fromLen < toLen and fromLen or toLen
  local lastCommonSep = -1
  local i = 0
  while i < length do
    local fromCode = byte(from, fromStart + i + 1)
    if fromCode ~= byte(to, toStart + i + 1) then
      break
    elseif fromCode == SLASH then
      lastCommonSep = i
    end
    i = i + 1
  end
  if i == length then
    if toLen > length then
      if byte(to, toStart + i + 1) == SLASH then
        -- `from` is the exact base path of `to`: from='/foo/bar'; to='/foo/bar/baz'
        return sub(to, toStart + i + 2)
      end
      if i == 0 then
        -- `from` is the root: from='/'; to='/foo'
        return sub(to, toStart + i + 1)
      end
    elseif fromLen > length then
      if byte(from, fromStart + i + 1) == SLASH then
        -- `to` is the exact base path of `from`: from='/foo/bar/baz'; to='/foo/bar'
        lastCommonSep = i
      elseif i == 0 then
        -- `to` is the root: from='/foo/bar'; to='/'
        lastCommonSep = 0
      end
    end
  end

  local out = ''
  for j = fromStart + lastCommonSep + 1, fromEnd do
    if j == fromEnd or byte(from, j + 1) == SLASH then
      out = #out == 0 and '..' or (out .. '/..')
    end
  end
  return out .. sub(to, toStart + lastCommonSep + 1)
end

function path.toNamespacedPath(p)
  return p
end
path._makeLong = path.toNamespacedPath

function path.dirname(p)
  checkString(p, 'path')
  if #p == 0 then return '.' end
  local hasRoot = byte(p, 1) == SLASH
  local e = -1
  local matchedSlash = true
  for i = #p, 2, -1 do
    if byte(p, i) == SLASH then
      if not matchedSlash then
        e = i
        break
      end
    else
      matchedSlash = false
    end
  end
  if e == -1 then return hasRoot and '/' or '.' end
  if hasRoot and e == 2 then return '//' end
  return sub(p, 1, e - 1)
end

-- path.basename(p, [suffix]): the last portion, without `suffix` when it
-- ends with it (and is not all of it).
function path.basename(p, suffix)
  if suffix ~= nil then checkString(suffix, 'suffix') end
  checkString(p, 'path')
  -- 0-based positions as in Node: `start` inclusive, `e` exclusive.
  local start = 0
  local e = -1
  local matchedSlash = true
  local len = #p
  if suffix ~= nil and #suffix > 0 and #suffix <= len then
    if suffix == p then return '' end
    local extIdx = #suffix - 1
    local firstNonSlashEnd = -1
    for i = len - 1, 0, -1 do
      local code = byte(p, i + 1)
      if code == SLASH then
        if not matchedSlash then
          start = i + 1
          break
        end
      else
        if firstNonSlashEnd == -1 then
          matchedSlash = false
          firstNonSlashEnd = i + 1
        end
        if extIdx >= 0 then
          if code == byte(suffix, extIdx + 1) then
            extIdx = extIdx - 1
            if extIdx == -1 then e = i end
          else
            extIdx = -1
            e = firstNonSlashEnd
          end
        end
      end
    end
    if start == e then
      e = firstNonSlashEnd
    elseif e == -1 then
      e = len
    end
    return sub(p, start + 1, e)
  end
  for i = len - 1, 0, -1 do
    if byte(p, i + 1) == SLASH then
      if not matchedSlash then
        start = i + 1
        break
      end
    elseif e == -1 then
      matchedSlash = false
      e = i + 1
    end
  end
  if e == -1 then return '' end
  return sub(p, start + 1, e)
end

-- Scans the last segment of p backwards, down to 0-based index `start`,
-- as Node's extname and parse do. Returns startDot (0-based index of the
-- extension's dot, or -1), startPart (where the segment starts), e (its
-- end, -1 when p is all slashes) and whether the dot starts an extension.
local function scanExt(p, start)
  local startDot, startPart, e = -1, 0, -1
  local matchedSlash = true
  local preDotState = 0
  for i = #p - 1, start, -1 do
    local code = byte(p, i + 1)
    if code == SLASH then
      if not matchedSlash then
        startPart = i + 1
        break
      end
    else
      if e == -1 then
        matchedSlash = false
        e = i + 1
      end
      if code == DOT then
        if startDot == -1 then
          startDot = i
        elseif preDotState ~= 1 then
          preDotState = 1
        end
      elseif startDot ~= -1 then
        preDotState = -1
      end
    end
  end
  local hasExt = not (startDot == -1 or e == -1 or preDotState == 0 or
    (preDotState == 1 and startDot == e - 1 and startDot == startPart + 1))
  return startDot, startPart, e, hasExt
end

function path.extname(p)
  checkString(p, 'path')
  local startDot, _, e, hasExt = scanExt(p, 0)
  if not hasExt then return '' end
  return sub(p, startDot + 1, e)
end

local function formatExt(ext)
  if ext == nil or ext == '' then return '' end
  if sub(ext, 1, 1) == '.' then return ext end
  return '.' .. ext
end

-- path.format({ root, dir, base, name, ext }): `dir` wins over `root`,
-- `base` over `name` + `ext`.
function path.format(pathObject)
  if type(pathObject) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('pathObject', 'of type table', pathObject), 0)
  end
  local root = pathObject.root
  local dir = pathObject.dir
  if dir == nil or dir == '' then dir = root end
  local base = pathObject.base
  if base == nil or base == '' then
    base = (pathObject.name or '') .. formatExt(pathObject.ext)
  end
  base = tostring(base)
  if dir == nil or dir == '' then return base end
  dir = tostring(dir)
  if dir == root then return dir .. base end
  return dir .. '/' .. base
end

-- path.parse(p) -> { root, dir, base, ext, name }
function path.parse(p)
  checkString(p, 'path')
  local ret = { root = '', dir = '', base = '', ext = '', name = '' }
  if #p == 0 then return ret end
  local isAbsolute = byte(p, 1) == SLASH
  local start
  if isAbsolute then
    ret.root = '/'
    start = 1
  else
    start = 0
  end
  local startDot, startPart, e, hasExt = scanExt(p, start)
  if e ~= -1 then
    local s = (startPart == 0 and isAbsolute) and 1 or startPart
    if not hasExt then
      ret.base = sub(p, s + 1, e)
      ret.name = ret.base
    else
      ret.name = sub(p, s + 1, startDot)
      ret.base = sub(p, s + 1, e)
      ret.ext = sub(p, startDot + 1, e)
    end
  end
  if startPart > 0 then
    ret.dir = sub(p, 1, startPart - 1)
  elseif isAbsolute then
    ret.dir = '/'
  end
  return ret
end

path.sep = '/'
path.delimiter = ':'
path.posix = path

return path
