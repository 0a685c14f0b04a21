-- readline: lines from a Readable (process.stdin, a socket, a file
-- stream), Node's readline.Interface without line editing: the input is
-- split into lines as Node splits it (\n, \r\n and a lone \r, with
-- crlfDelay for a \r\n cut between two chunks), questions and prompts go
-- to the output, and the cursor functions write ANSI sequences.
--
-- A terminal (`terminal`, by default output.isTTY) keeps history and
-- 'history' events, but its line is edited by the terminal itself (cooked
-- mode), not by lode: the input is never put in raw mode.
local require = ...

local EventEmitter = require('events')
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local instanceof = require('internal/class').instanceof
local StringDecoder = require('string_decoder').StringDecoder

local type, error, rawget, tostring = type, error, rawget, tostring
local find, sub, byte, format = string.find, string.sub, string.byte, string.format
local max = math.max
local nextTick = ticks.nextTick

local readline = {}

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local Interface = EventEmitter:extend('Interface')
readline.Interface = Interface

local function checkThis(self)
  if not instanceof(self, Interface) or rawget(self, '_decoder') == nil then
    error(errors.ERR_INVALID_THIS('Interface'), 0)
  end
end

local function isStream(v)
  return type(v) == 'table' and type(v.on) == 'function'
end

local onLine, normalWrite

-- Interface:new(input, [output], [completer], [terminal]) or
-- Interface:new(options): Node's options input, output, completer,
-- terminal, history, historySize, removeHistoryDuplicates, prompt,
-- crlfDelay, tabSize.
function Interface:initialize(input, output, completer, terminal)
  local history, historySize, removeDups, prompt, crlfDelay, tabSize
  if type(input) == 'table' and rawget(input, 'input') ~= nil then
    local o = input
    input, output, completer, terminal = o.input, o.output, o.completer, o.terminal
    history, historySize, removeDups = o.history, o.historySize, o.removeHistoryDuplicates
    prompt, crlfDelay, tabSize = o.prompt, o.crlfDelay, o.tabSize
  end
  if not isStream(input) then
    error(errors.ERR_INVALID_ARG_TYPE('input', 'a readable stream', input), 0)
  end
  if output ~= nil and (type(output) ~= 'table' or type(output.write) ~= 'function') then
    error(errors.ERR_INVALID_ARG_TYPE('output', 'a writable stream', output), 0)
  end
  if completer ~= nil and type(completer) ~= 'function' then
    error(errors.ERR_INVALID_ARG_VALUE('completer', completer), 0)
  end
  if history == nil then
    history = {}
  elseif type(history) ~= 'table' then
    error(errors.ERR_INVALID_ARG_TYPE('history', 'an instance of Array', history), 0)
  end
  if historySize == nil then historySize = 30 end
  errors.checkNumber(historySize, 'historySize')
  if historySize ~= historySize or historySize < 0 then
    error(errors.ERR_OUT_OF_RANGE('historySize', '>= 0', historySize), 0)
  end
  if tabSize == nil then tabSize = 8 end
  errors.checkInteger(tabSize, 'tabSize', 1, 4294967295)
  if crlfDelay ~= nil then errors.checkNumber(crlfDelay, 'crlfDelay') end
  if terminal == nil and output ~= nil then terminal = output.isTTY == true end

  EventEmitter.initialize(self)
  self.input, self.output, self.completer = input, output, completer
  self.terminal = terminal and true or false
  self.history, self.historySize = history, historySize
  self.removeHistoryDuplicates = removeDups and true or false
  self.crlfDelay = crlfDelay and max(100, crlfDelay) or 100
  self.tabSize = tabSize
  self.line, self.cursor = '', 0
  self.paused, self.closed = false, false
  self._prompt = prompt == nil and '> ' or prompt
  self._decoder = StringDecoder:new('utf8')
  self._sawReturnAt = 0

  -- The input's listeners, removed at close.
  self._ondata = function(data) normalWrite(self, data) end
  self._onend = function()
    local rest = self._lineBuffer
    if type(rest) == 'string' and #rest > 0 then
      self._lineBuffer = nil
      self:emit('line', rest)
    end
    self:close()
  end
  self._onerror = function(err) self:emit('error', err) end
  input:on('error', self._onerror)
  input:on('data', self._ondata)
  input:on('end', self._onend)
  if type(input.resume) == 'function' then input:resume() end
end

-- The line after history, as Node's kAddHistory: newest first, at most
-- historySize, blank lines kept out; 'history' listeners may change it.
local function addHistory(self, line)
  local h = self.history
  if #line == 0 or self.historySize == 0 or not find(line, '%S') then return line end
  if h[1] ~= line then
    if self.removeHistoryDuplicates then
      for i = 1, #h do
        if h[i] == line then table.remove(h, i) break end
      end
    end
    table.insert(h, 1, line)
    while #h > self.historySize do h[#h] = nil end
  end
  self:emit('history', h)
  return h[1]
end

onLine = function(self, line)
  if self.terminal then line = addHistory(self, line) end
  local cb = rawget(self, '_questionCb')
  if cb then
    self._questionCb = nil
    self:setPrompt(self._oldPrompt)
    cb(line)
  else
    self:emit('line', line)
  end
end

-- Splits what came in into lines (Node's kNormalWrite): a line ends at
-- \n, \r\n or \r; a \r\n cut between two chunks ends one line when the
-- \n comes within crlfDelay ms. The unfinished rest waits in
-- _lineBuffer. Lines are cut before any is emitted, so a listener that
-- writes to the interface sees a consistent buffer.
normalWrite = function(self, b)
  if b == nil then return end
  local s = self._decoder:write(b)
  local at = self._sawReturnAt
  if at ~= 0 and now() - at <= self.crlfDelay then
    if byte(s, 1) == 10 then s = sub(s, 2) end
    self._sawReturnAt = 0
  end
  if not find(s, '[\r\n]') then
    if s ~= '' then
      local held = rawget(self, '_lineBuffer')
      self._lineBuffer = held and held .. s or s
    end
    return
  end
  local held = rawget(self, '_lineBuffer')
  if held then
    s = held .. s
    self._lineBuffer = nil
  end
  self._sawReturnAt = byte(s, -1) == 13 and now() or 0
  local lines, n, pos = {}, 0, 1
  while true do
    local i = find(s, '[\r\n]', pos)
    if not i then break end
    n = n + 1
    lines[n] = sub(s, pos, i - 1)
    if byte(s, i) == 13 and byte(s, i + 1) == 10 then pos = i + 2 else pos = i + 1 end
  end
  self._lineBuffer = sub(s, pos)
  for k = 1, n do onLine(self, lines[k]) end
end

local function writeToOutput(self, s)
  if type(s) ~= 'string' then error(errors.ERR_INVALID_ARG_TYPE('stringToWrite', 'of type string', s), 0) end
  local out = self.output
  if out ~= nil then out:write(s) end
end

function Interface:setPrompt(prompt)
  checkThis(self)
  self._prompt = prompt
end

function Interface:getPrompt()
  checkThis(self)
  return self._prompt
end

-- prompt([preserveCursor]): writes the prompt to the output, resuming
-- the input if it was paused.
function Interface:prompt(preserveCursor)
  checkThis(self)
  if self.paused then self:resume() end
  if not preserveCursor then self.cursor = 0 end
  writeToOutput(self, self._prompt)
end

-- question(query, [options], cb): writes query as the prompt; the next
-- line goes to cb(answer) instead of 'line'. A question asked while one
-- waits only prompts again.
function Interface:question(query, options, cb)
  checkThis(self)
  if type(options) == 'function' then cb = options end
  if type(cb) ~= 'function' then return end
  if self.closed then error(errors.ERR_USE_AFTER_CLOSE('readline'), 0) end
  if rawget(self, '_questionCb') then
    self:prompt()
  else
    self._oldPrompt = self._prompt
    self:setPrompt(query)
    self._questionCb = cb
    self:prompt()
  end
end

function Interface:pause()
  checkThis(self)
  if self.paused then return self end
  if type(self.input.pause) == 'function' then self.input:pause() end
  self.paused = true
  self:emit('pause')
  return self
end

function Interface:resume()
  checkThis(self)
  if not self.paused then return self end
  if type(self.input.resume) == 'function' then self.input:resume() end
  self.paused = false
  self:emit('resume')
  return self
end

-- write(data): data goes in as if the input had given it.
function Interface:write(data)
  checkThis(self)
  if self.paused then self:resume() end
  normalWrite(self, data)
end

-- close(): 'pause', then 'close'; the input is left paused, not ended.
function Interface:close()
  checkThis(self)
  if self.closed then return end
  self:pause()
  self.closed = true
  local input = self.input
  input:removeListener('data', self._ondata)
  input:removeListener('end', self._onend)
  input:removeListener('error', self._onerror)
  self:emit('close')
end

-- getCursorPos(): { rows, cols } of the cursor after the prompt and line.
function Interface:getCursorPos()
  checkThis(self)
  local text = tostring(self._prompt) .. sub(self.line, 1, self.cursor)
  local cols = self.output and self.output.columns
  local width = require('util')._getStringWidth(text)
  if type(cols) == 'number' and cols > 0 then
    return { rows = math.floor(width / cols), cols = width % cols }
  end
  return { rows = 0, cols = width }
end

-- createInterface(options) or createInterface(input, [output],
-- [completer], [terminal]).
function readline.createInterface(input, output, completer, terminal)
  return Interface:new(input, output, completer, terminal)
end

-- Cursor control ---------------------------------------------------------------

local CSI = '\27['

local function checkCallback(cb)
  if cb ~= nil then errors.checkFunction(cb, 'callback') end
end

local function nothing(cb)
  if cb ~= nil then nextTick(cb, nil) end
  return true
end

local function send(stream, data, cb)
  if type(stream) ~= 'table' or type(stream.write) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('stream', 'a writable stream', stream), 0)
  end
  return stream:write(data, cb)
end

-- cursorTo(stream, x, [y], [cb]): to column x (and row y), 0-based.
function readline.cursorTo(stream, x, y, cb)
  checkCallback(cb)
  if type(y) == 'function' then cb, y = y, nil end
  if x ~= x then error(errors.ERR_INVALID_ARG_VALUE('x', x), 0) end
  if y ~= y then error(errors.ERR_INVALID_ARG_VALUE('y', y), 0) end
  if stream == nil or (type(x) ~= 'number' and type(y) ~= 'number') then return nothing(cb) end
  if type(x) ~= 'number' then
    error(errors.new('TypeError', 'ERR_INVALID_CURSOR_POS', 'Cannot set cursor row without setting its column'), 0)
  end
  local data = type(y) ~= 'number' and format('%s%sG', CSI, tostring(x + 1))
    or format('%s%s;%sH', CSI, tostring(y + 1), tostring(x + 1))
  return send(stream, data, cb)
end

-- moveCursor(stream, dx, dy, [cb]): relative to where the cursor is.
function readline.moveCursor(stream, dx, dy, cb)
  checkCallback(cb)
  if type(dx) ~= 'number' or dx ~= dx then dx = 0 end
  if type(dy) ~= 'number' or dy ~= dy then dy = 0 end
  if stream == nil or (dx == 0 and dy == 0) then return nothing(cb) end
  local data = ''
  if dx < 0 then data = CSI .. tostring(-dx) .. 'D' elseif dx > 0 then data = CSI .. tostring(dx) .. 'C' end
  if dy < 0 then data = data .. CSI .. tostring(-dy) .. 'A' elseif dy > 0 then data = data .. CSI .. tostring(dy) .. 'B' end
  return send(stream, data, cb)
end

-- clearLine(stream, dir, [cb]): dir < 0 to the left of the cursor, > 0 to
-- the right, 0 the whole line.
function readline.clearLine(stream, dir, cb)
  checkCallback(cb)
  if stream == nil then return nothing(cb) end
  local n = type(dir) == 'number' and dir or 0
  return send(stream, n < 0 and CSI .. '1K' or n > 0 and CSI .. '0K' or CSI .. '2K', cb)
end

-- clearScreenDown(stream, [cb]): from the cursor down.
function readline.clearScreenDown(stream, cb)
  checkCallback(cb)
  if stream == nil then return nothing(cb) end
  return send(stream, CSI .. '0J', cb)
end

return readline
