-- console: Node's console on top of util.format / util.inspect.
--
-- The module returns the global console: a Console whose streams are
-- looked up at each call (`process.stdout`, `process.stderr`), so it works
-- whenever it is loaded. `console.Console` makes consoles on other streams
-- (anything with a `:write(s)` method).
--
-- Every method of a Console is also a field bound to its console, so it is
-- called with a dot, as a module's functions are: `console.log(x)`.
local require, binding = ...

local util = require('util')
local errors = require('internal/errors')
local class = require('internal/class')

local type, tostring, select, pcall, error =
  type, tostring, select, pcall, error
local format, rep, gsub, find, sub = string.format, string.rep, string.gsub, string.find, string.sub
local floor = math.floor
local concat = table.concat

local utilFormat = util.format
local formatWithOptions = util.formatWithOptions
local inspect = util.inspect
local formatNumber = util._formatNumber
local getStringWidth = util._getStringWidth

local Console = class.Object:extend()
Console.__name = 'Console'

local noColor = {}
local withColor = { colors = true }

-- Node's shouldColorize: FORCE_COLOR wins, else a TTY whose terminal is
-- not "dumb" and NO_COLOR / NODE_DISABLE_COLORS unset. The environment is
-- read once.
local envColor -- nil: not read yet; true / false: forced; 'tty': ask the stream
local function shouldColorize(stream)
  if envColor == nil then
    local force = os.getenv('FORCE_COLOR')
    if force ~= nil then
      envColor = not (force == '0' or force == 'false')
    elseif os.getenv('NO_COLOR') or os.getenv('NODE_DISABLE_COLORS') or os.getenv('TERM') == 'dumb' then
      envColor = false
    else
      envColor = 'tty'
    end
  end
  if envColor == 'tty' then
    return stream ~= nil and stream.isTTY == true
  end
  return envColor
end

local function stdoutOf(self)
  local s = self._stdout
  if s ~= nil then return s end
  local p = process
  if p ~= nil and p.stdout ~= nil then return p.stdout end
  return nil
end

local function stderrOf(self)
  local s = self._stderr
  if s ~= nil then return s end
  local p = process
  if p ~= nil and p.stderr ~= nil then return p.stderr end
  return nil
end

local function inspectOptions(self, stream)
  if self._inspectOptions ~= nil then return self._inspectOptions end
  local mode = self._colorMode
  local color
  if mode == 'auto' then
    color = shouldColorize(stream)
  else
    color = mode == true
  end
  return color and withColor or noColor
end

local function write(self, stream, fallback, s)
  local indent = self._groupIndent
  if indent ~= '' then
    if find(s, '\n', 1, true) then s = gsub(s, '\n', '\n' .. indent) end
    s = indent .. s
  end
  s = s .. '\n'
  if stream == nil then
    fallback:write(s)
    return
  end
  if not self._ignoreErrors then
    stream:write(s)
    return
  end
  -- As Node: errors of the stream itself (EPIPE, a closed stream) are
  -- ignored; anything else is a bug and goes on.
  local ok, err = pcall(stream.write, stream, s)
  if not ok and not (type(err) == 'table' and (err.errno ~= nil or err.syscall ~= nil)) then
    error(err, 0)
  end
end

local function formatFor(self, stream, n, ...)
  if n == 1 then
    local v = ...
    if type(v) == 'string' then return v end
  end
  local opts = inspectOptions(self, stream)
  if opts == noColor then return utilFormat(...) end
  return formatWithOptions(opts, ...)
end

local function writeOut(self, n, ...)
  local stream = stdoutOf(self)
  write(self, stream, io.stdout, formatFor(self, stream, n, ...))
end

local function writeErr(self, n, ...)
  local stream = stderrOf(self)
  write(self, stream, io.stderr, formatFor(self, stream, n, ...))
end

local function warning(msg)
  local p = process
  if p ~= nil and p.emitWarning ~= nil then
    p.emitWarning(msg)
  else
    io.stderr:write('Warning: ' .. msg .. '\n')
  end
end

-- Milliseconds from a monotonic clock.
local function now()
  local p = process
  if p ~= nil and p.hrtime ~= nil then
    local t = p.hrtime()
    return t[1] * 1e3 + t[2] / 1e6
  end
  return os.clock() * 1e3
end

local function toFixed3(x)
  return format('%.3f', x)
end

local function pad2(s)
  s = tostring(s)
  if #s < 2 then return '0' .. s end
  return s
end

-- Node's formatTime: '1.234ms', '1.500s', '1:02.500 (m:ss.mmm)',
-- '1:02:03.500 (h:mm:ss.mmm)'.
local function formatTime(ms)
  local hours, minutes, seconds = 0, 0, 0
  if ms >= 1000 then
    if ms >= 60000 then
      if ms >= 3600000 then
        hours = floor(ms / 3600000)
        ms = ms % 3600000
      end
      minutes = floor(ms / 60000)
      ms = ms % 60000
    end
    seconds = ms / 1000
  end
  if hours ~= 0 or minutes ~= 0 then
    local fixed = toFixed3(seconds)
    local dot = find(fixed, '.', 1, true)
    local secs, millis = sub(fixed, 1, dot - 1), sub(fixed, dot + 1)
    local res = hours ~= 0 and (hours .. ':' .. pad2(minutes)) or tostring(minutes)
    return res .. ':' .. pad2(secs) .. '.' .. millis ..
      ' (' .. (hours ~= 0 and 'h:m' or '') .. 'm:ss.mmm)'
  end
  if seconds ~= 0 then
    return toFixed3(seconds) .. 's'
  end
  return formatNumber(tonumber(toFixed3(ms))) .. 'ms'
end

local function labelOf(label)
  if label == nil then return 'default' end
  return tostring(label)
end

-- A method reached through the class (`Console.log(x)`) checks its object
-- first (so does initialize): the bound fields of an instance pass their own console.
local function checkThis(self)
  if not class.instanceof(self, Console) then error(errors.ERR_INVALID_THIS('Console'), 0) end
end

-------------------------------------------------------------------------------
-- Methods. Each takes the console first; `initialize` binds them.

local methods = {}

function methods.log(self, ...)
  writeOut(self, select('#', ...), ...)
end

function methods.warn(self, ...)
  writeErr(self, select('#', ...), ...)
end

methods.info = methods.log
methods.debug = methods.log
methods.dirxml = methods.log
methods.error = methods.warn

function methods.dir(self, object, options)
  local stream = stdoutOf(self)
  local opts = { customInspect = false }
  for k, v in pairs(inspectOptions(self, stream)) do opts[k] = v end
  if type(options) == 'table' then
    for k, v in pairs(options) do opts[k] = v end
  end
  write(self, stream, io.stdout, inspect(object, opts))
end

function methods.time(self, label)
  label = labelOf(label)
  if self._times[label] ~= nil then
    warning(format("Label '%s' already exists for console.time()", label))
    return
  end
  self._times[label] = now()
end

local function timeLogImpl(self, name, label, n, ...)
  local start = self._times[label]
  if start == nil then
    warning(format("No such label '%s' for console.%s()", label, name))
    return false
  end
  local formatted = formatTime(now() - start)
  writeOut(self, n + 3, '%s: %s', label, formatted, ...)
  return true
end

function methods.timeEnd(self, label)
  label = labelOf(label)
  if timeLogImpl(self, 'timeEnd', label, 0) then
    self._times[label] = nil
  end
end

function methods.timeLog(self, label, ...)
  label = labelOf(label)
  timeLogImpl(self, 'timeLog', label, select('#', ...), ...)
end

function methods.count(self, label)
  label = labelOf(label)
  local c = (self._counts[label] or 0) + 1
  self._counts[label] = c
  writeOut(self, 1, label .. ': ' .. c)
end

function methods.countReset(self, label)
  label = labelOf(label)
  if self._counts[label] == nil then
    warning(format("Count for '%s' does not exist", label))
    return
  end
  self._counts[label] = nil
end

function methods.assert(self, expression, ...)
  if expression then return end
  local n = select('#', ...)
  if n == 0 then
    writeErr(self, 1, 'Assertion failed')
  elseif type((...)) == 'string' then
    writeErr(self, n, 'Assertion failed: ' .. (...), select(2, ...))
  else
    writeErr(self, n + 1, 'Assertion failed:', ...)
  end
end

-- `level` is the stack level of the caller of console.trace.
local function traceImpl(self, level, ...)
  local n = select('#', ...)
  local msg = n > 0 and utilFormat(...) or ''
  local head = msg ~= '' and ('Trace: ' .. msg) or 'Trace'
  local stack = debug.traceback(head, level + 1)
  local stream = stderrOf(self)
  write(self, stream, io.stderr, stack)
end

function methods.trace(self, ...)
  traceImpl(self, 2, ...)
  return
end

function methods.group(self, ...)
  local n = select('#', ...)
  if n > 0 then writeOut(self, n, ...) end
  self._groupIndent = self._groupIndent .. rep(' ', self._groupIndentation)
end
methods.groupCollapsed = methods.group

function methods.groupEnd(self)
  local indent = self._groupIndent
  self._groupIndent = sub(indent, 1, #indent - self._groupIndentation)
end

function methods.clear(self)
  local stream = stdoutOf(self)
  if stream ~= nil and stream.isTTY and os.getenv('TERM') ~= 'dumb' then
    stream:write('\27[1;1H\27[0J')
  end
end

-- console.table: Node's layout with box-drawing characters.
local function renderRow(row, widths)
  local out = { '│ ' }
  for i = 1, #row do
    local cell = row[i]
    out[#out + 1] = cell .. rep(' ', widths[i] - getStringWidth(cell, true))
    if i ~= #row then out[#out + 1] = ' │ ' end
  end
  out[#out + 1] = ' │'
  return concat(out)
end

local function renderTable(head, columns)
  local widths = {}
  local longest = 0
  for i = 1, #head do
    widths[i] = getStringWidth(head[i], true)
    if columns[i].n > longest then longest = columns[i].n end
  end
  local rows = {}
  for i = 1, #head do
    local column = columns[i]
    for j = 1, longest do
      rows[j] = rows[j] or {}
      local v = column[j] or ''
      rows[j][i] = v
      local w = getStringWidth(v, true)
      if w > widths[i] then widths[i] = w end
    end
  end
  local divider = {}
  for i = 1, #widths do divider[i] = rep('─', widths[i] + 2) end
  local out = {
    '┌' .. concat(divider, '┬') .. '┐',
    renderRow(head, widths),
    '├' .. concat(divider, '┼') .. '┤',
  }
  for j = 1, #rows do out[#out + 1] = renderRow(rows[j], widths) end
  out[#out + 1] = '└' .. concat(divider, '┴') .. '┘'
  return concat(out, '\n')
end

local function sortedKeys(t)
  local seq, n = {}, 0
  while rawget(t, n + 1) ~= nil do
    n = n + 1
    seq[n] = n
  end
  local rest = {}
  for k in pairs(t) do
    if not (type(k) == 'number' and k >= 1 and k <= n and k % 1 == 0) then
      rest[#rest + 1] = k
    end
  end
  table.sort(rest, function(a, b)
    local ta, tb = type(a), type(b)
    if ta == tb and (ta == 'number' or ta == 'string') then return a < b end
    if ta ~= tb then
      if ta == 'number' then return true end
      if tb == 'number' then return false end
      if ta == 'string' then return true end
      if tb == 'string' then return false end
      return ta < tb
    end
    return tostring(a) < tostring(b)
  end)
  for i = 1, #rest do seq[n + i] = rest[i] end
  return seq
end

function methods.table(self, data, properties)
  if properties ~= nil and type(properties) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('properties', 'of type table', properties), 0)
  end
  if type(data) ~= 'table' then
    return writeOut(self, 1, data)
  end
  local stream = stdoutOf(self)
  local base = inspectOptions(self, stream)
  local function fmt(v)
    local opts = { depth = 0, maxArrayLength = 3, breakLength = math.huge }
    if type(v) == 'table' then
      local count = 0
      for _ in pairs(v) do count = count + 1 end
      if count > 2 and rawget(v, 1) == nil then opts.depth = -1 end
    end
    for k, x in pairs(base) do opts[k] = x end
    return inspect(v, opts)
  end
  local indexKeys = sortedKeys(data)
  local colNames, columns = {}, {}
  local function column(name)
    local c = columns[name]
    if c == nil then
      c = { n = 0 }
      columns[name] = c
      colNames[#colNames + 1] = name
    end
    return c
  end
  local values = { n = 0 }
  local hasPrimitives = false
  for i = 1, #indexKeys do
    local item = data[indexKeys[i]]
    local primitive = type(item) ~= 'table'
    if properties == nil and primitive then
      hasPrimitives = true
      values[i] = fmt(item)
      values.n = i
    else
      local keys = properties or sortedKeys(item)
      for _, key in ipairs(keys) do
        local c = column(key)
        if primitive or rawget(item, key) == nil then
          c[i] = ''
        else
          c[i] = fmt(item[key])
        end
        c.n = i
      end
    end
  end
  local head = { '(index)' }
  local cols = { { n = #indexKeys } }
  for i = 1, #indexKeys do
    local k = indexKeys[i]
    cols[1][i] = type(k) == 'string' and k or fmt(k)
  end
  for _, name in ipairs(colNames) do
    head[#head + 1] = type(name) == 'string' and name or fmt(name)
    cols[#cols + 1] = columns[name]
  end
  if hasPrimitives then
    head[#head + 1] = 'Values'
    values.n = #indexKeys
    cols[#cols + 1] = values
  end
  write(self, stream, io.stdout, renderTable(head, cols))
end

-------------------------------------------------------------------------------
-- The class

-- Console:new(stdout, [stderr], [ignoreErrors]) or Console:new(options)
-- with Node's options: stdout, stderr, ignoreErrors, colorMode,
-- inspectOptions, groupIndentation. With no stream at all the console
-- writes to process.stdout / process.stderr, looked up at each call.
function Console:initialize(stdout, stderr, ignoreErrors)
  checkThis(self)
  local options
  if type(stdout) == 'table' and type(stdout.write) ~= 'function' and stderr == nil then
    options = stdout
    stdout, stderr, ignoreErrors = options.stdout, options.stderr, options.ignoreErrors
  else
    options = {}
  end
  if stdout ~= nil and (type(stdout) ~= 'table' and type(stdout) ~= 'userdata' or
      type(stdout.write) ~= 'function') then
    error(errors.new('TypeError', 'ERR_CONSOLE_WRITABLE_STREAM',
      'Console expects a writable stream instance for stdout'), 0)
  end
  if stderr == nil then
    stderr = stdout
  elseif (type(stderr) ~= 'table' and type(stderr) ~= 'userdata') or type(stderr.write) ~= 'function' then
    error(errors.new('TypeError', 'ERR_CONSOLE_WRITABLE_STREAM',
      'Console expects a writable stream instance for stderr'), 0)
  end
  local colorMode = options.colorMode
  if colorMode == nil then colorMode = 'auto' end
  if colorMode ~= 'auto' and colorMode ~= true and colorMode ~= false then
    error(errors.ERR_INVALID_ARG_VALUE('colorMode', colorMode), 0)
  end
  local inspectOpts = options.inspectOptions
  if inspectOpts ~= nil then
    if type(inspectOpts) ~= 'table' then
      error(errors.ERR_INVALID_ARG_TYPE('options.inspectOptions', 'of type table', inspectOpts), 0)
    end
    if inspectOpts.colors ~= nil and options.colorMode ~= nil then
      error(errors.new('TypeError', 'ERR_INCOMPATIBLE_OPTION_PAIR',
        'Option "options.inspectOptions.color" cannot be used in combination with option "colorMode"'), 0)
    end
  end
  local groupIndentation = options.groupIndentation
  if groupIndentation == nil then
    groupIndentation = 2
  else
    errors.checkInteger(groupIndentation, 'groupIndentation', 0, 1000)
  end

  self._stdout = stdout
  self._stderr = stderr
  self._ignoreErrors = ignoreErrors ~= false
  self._colorMode = colorMode
  self._inspectOptions = inspectOpts
  self._groupIndentation = groupIndentation
  self._groupIndent = ''
  self._times = {}
  self._counts = {}

  for name, fn in pairs(methods) do
    if name == 'trace' then
      -- Not tail calls: traceImpl counts this frame.
      self.trace = function(...)
        traceImpl(self, 2, ...)
      end
    else
      self[name] = function(...)
        return fn(self, ...)
      end
    end
  end
end

-- The class also carries the methods (called with a colon on a Console or
-- with the console as first argument).
for name, fn in pairs(methods) do
  if name == 'trace' then
    -- Not a tail call: traceImpl counts this frame, as in the bound trace.
    Console.trace = function(self, ...)
      checkThis(self)
      traceImpl(self, 2, ...)
    end
  else
    Console[name] = function(self, ...)
      checkThis(self)
      return fn(self, ...)
    end
  end
end

local console = Console:new()
console.Console = Console
console._formatTime = function(ms)
  errors.checkNumber(ms, 'ms')
  if ms ~= ms or ms == math.huge or ms == -math.huge then
    error(errors.ERR_OUT_OF_RANGE('ms', 'a finite number', ms), 0)
  end
  return formatTime(ms)
end

return console
