-- coro: the coroutine style. The same modules as the callback style, read
-- top to bottom: a coroutine that coro.run started suspends in coro's own
-- waits (await, sleep, once, all, race, write, finish, and the Readable
-- loops iter and lines) and is resumed from the loop when the callback or
-- event it waits for comes.
--
-- Every wait follows one protocol. The waiting coroutine records a token
-- (a value made for that wait, usually the callback itself) in `state`,
-- then yields WAIT. Whatever ends the wait calls wake(co, token, err, ...),
-- and step resumes the coroutine only while `state[co]` still holds that
-- very token, so:
--   - a callback that fires twice, or a cancelled wait's callback, resumes
--     nothing (the token was cleared or replaced when the wait ended);
--   - a dead coroutine is never resumed;
--   - a wake that comes while some coroutine runs (a callback called
--     synchronously from inside the call that started the wait, or an
--     event emitted by another coroutine) is deferred to a microtask, so a
--     wait is always resumed from the loop's own level;
--   - a coroutine that the script resumes itself (it yielded with its own
--     coroutine.yield, or the script calls coroutine.resume on a waiting
--     coroutine) is not taken for the end of a coro wait: a wait only
--     returns for its token and yields again otherwise.
local require = ...

local errors = require('internal/errors')
local ticks = require('internal/ticks')
local timers = require('timers')

local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield
local running, status = coroutine.running, coroutine.status
local type, select, unpack, error, tostring = type, select, unpack, error, tostring
local setmetatable, getmetatable = setmetatable, getmetatable
local find, sub, byte, concat = string.find, string.sub, string.byte, table.concat
local traceback = debug.traceback
local setTimeout, clearTimeout = timers.setTimeout, timers.clearTimeout
local nextTick, queueMicrotask = ticks.nextTick, ticks.queueMicrotask

-- What each coroutine is to coro (weak keys: a finished or abandoned
-- coroutine is collected with its entry):
--   nil    not coro's: coro never suspends it;
--   true   coro's, running (or stopped in a yield of the script's own);
--   false  cancelled by coro.all or coro.race: nothing resumes it again;
--   token  coro's, suspended in the wait that token stands for.
local state = setmetatable({}, { __mode = 'k' })

-- The function a coroutine of coro.all or coro.race reports its end to.
local parents = setmetatable({}, { __mode = 'k' })

-- What coro's waits yield. A script that resumes a waiting coroutine
-- itself gets this back, never a value of its own.
local WAIT = setmetatable({}, { __tostring = function() return 'coro wait' end })

local function outside(name)
  return errors.new('Error', 'ERR_CORO_OUTSIDE', name .. ' can only wait inside a coroutine ' ..
    'started by coro.run: call it from coro.run(function() ... end)')
end

local function prematureClose()
  return errors.new('Error', 'ERR_STREAM_PREMATURE_CLOSE', 'Premature close')
end

local function timedOut(name, ms)
  local e = errors.new('Error', 'ETIMEDOUT', ('%s timed out after %s ms'):format(name, tostring(ms)))
  e.syscall = name
  return e
end

-- The coroutine a wait may suspend, or ERR_CORO_OUTSIDE.
local function current(name)
  local co = running()
  if co == nil or state[co] ~= true then error(outside(name), 0) end
  return co
end

local function rethrow(err)
  error(err, 0)
end

-- A table error learns where in its coroutine it was raised: after the
-- coroutine died, its stack is still there for debug.traceback to read.
local function withStack(co, err)
  if type(err) == 'table' and err.stack == nil then
    local msg = err.message
    if getmetatable(err) ~= nil or msg == nil then msg = err end
    err.stack = traceback(co, tostring(msg))
  end
  return err
end

-- After a resume: a coroutine that ended is forgotten; its error goes to
-- its parent (all, race) or, from a tick of its own, to
-- process 'uncaughtException' as any callback's error would, so the
-- callback that resumed it is never cut short.
local function settle(co, ok, ...)
  if status(co) ~= 'dead' then return end
  state[co] = nil
  local parent = parents[co]
  if parent ~= nil then
    parents[co] = nil
    return parent(ok, ...)
  end
  if not ok then nextTick(rethrow, withStack(co, (...))) end
end

-- The coroutine coro resumed and that runs now (nil at the loop's level),
-- kept around every resume so the readers' hot path knows where it is
-- without coroutine.running, which LuaJIT does not compile. It is not the
-- whole truth: a script's own coroutine may run inside it, and one of
-- coro's that the script resumed itself runs with `cur` nil; the checks
-- that must be exact (current) still ask coroutine.running.
local cur = nil

local function resumed(co, prev, ok, ...)
  cur = prev
  -- A coroutine that yielded for a wait (WAIT) is suspended: the common
  -- case, told here without asking coroutine.status or calling settle
  -- (a vararg call costs a frame copy).
  if ok and (...) == WAIT then return end
  return settle(co, ok, ...)
end

-- Every resume of coro's goes through here.
local function enter(co, ...)
  local prev = cur
  cur = co
  return resumed(co, prev, resume(co, ...))
end

local function step(co, tok, ...)
  if state[co] ~= tok or status(co) ~= 'suspended' then return end
  state[co] = true
  return enter(co, tok, ...)
end

-- Wakes that came while a coroutine ran wait here for the loop's level:
-- flat triples (co, tok, n) each followed by its n values, from
-- laterHead + 1 to laterN, run in order by one microtask per batch, so a
-- deferred wake costs no table and no closure. Wakes added while the
-- batch runs join it; the indexes restart whenever the list empties, so a
-- long chain of deferred wakes reuses the same slots.
local later, laterHead, laterN, laterQueued = {}, 0, 0, false

local function runLater()
  while laterHead < laterN do
    local i = laterHead + 1
    local co, tok, n = later[i], later[i + 1], later[i + 2]
    local j = i + 3
    local last = j + n - 1
    local v1, v2, v3, rest = later[j], later[j + 1], later[j + 2], nil
    if n > 3 then rest = { unpack(later, j, last) } end
    for k = i, last do later[k] = nil end
    if last == laterN then laterHead, laterN = 0, 0 else laterHead = last end
    if n == 0 then step(co, tok)
    elseif n == 1 then step(co, tok, v1)
    elseif n == 2 then step(co, tok, v1, v2)
    elseif n == 3 then step(co, tok, v1, v2, v3)
    else step(co, tok, unpack(rest, 1, n)) end
  end
  laterQueued = false
end

-- Ends the wait `tok` of `co` with (err, ...): at once when called from
-- the loop's level (no coroutine runs), else from a microtask.
local function wake(co, tok, ...)
  local r, main = running()
  if r == nil or main then return step(co, tok, ...) end
  local n = select('#', ...)
  local k = laterN
  later[k + 1], later[k + 2], later[k + 3] = co, tok, n
  for i = 1, n do later[k + 3 + i] = (select(i, ...)) end
  laterN = k + 3 + n
  if not laterQueued then
    laterQueued = true
    queueMicrotask(runLater)
  end
end

-- wake, step and collect with one value, for the loops' hot path: a
-- vararg (`...`) forwarded through a call stops LuaJIT's trace recorder,
-- a fixed argument list does not.
local function stepOne(co, tok, err, v)
  -- Called when none of coro's coroutines runs (wakeOne): a coroutine
  -- whose state is this wait's token is suspended in it.
  if state[co] ~= tok then return end
  state[co] = true
  local prev = cur
  cur = co
  return resumed(co, prev, resume(co, tok, err, v))
end

-- The readers' wake: their waits are only ever woken from a stream's
-- events, so `cur` tells the loop's level well enough (a script's own
-- coroutine at the top resumes the reader's coroutine inside it, which
-- Lua allows).
local function wakeOne(co, tok, err, v)
  if cur == nil then return stepOne(co, tok, err, v) end
  return wake(co, tok, err, v)
end

local function collectOne(tok, got, err, v)
  if got ~= tok then return collectOne(tok, yield(WAIT)) end
  if err then error(err, 0) end
  return v
end

-- What a wait returns once resumed with its token: the results after
-- err, or err raised. Any other resume is a script's own and waits on.
local function collect(tok, got, err, ...)
  if got ~= tok then return collect(tok, yield(WAIT)) end
  if err then error(err, 0) end
  return ...
end

local function suspend(co, tok)
  state[co] = tok
  return collect(tok, yield(WAIT))
end

local coro = {}

function coro.isInside()
  local co = running()
  return co ~= nil and state[co] == true
end

function coro.run(fn, ...)
  errors.checkFunction(fn, 'fn')
  local co = create(fn)
  state[co] = true
  enter(co, ...)
  return co
end

local function await(f, ...)
  errors.checkFunction(f, 'fn')
  local co = current('coro.await')
  local cb
  cb = function(...) wake(co, cb, ...) end
  -- f(..., cb) would keep only the first of the arguments: the usual
  -- counts are spelled out, so only long argument lists cost a table.
  local n = select('#', ...)
  if n == 0 then
    f(cb)
  elseif n == 1 then
    f((...), cb)
  elseif n == 2 then
    local a, b = ...
    f(a, b, cb)
  elseif n == 3 then
    local a, b, c = ...
    f(a, b, c, cb)
  else
    local args = { ... }
    args[n + 1] = cb
    f(unpack(args, 1, n + 1))
  end
  return suspend(co, cb)
end
coro.await = await

function coro.wrap(f)
  errors.checkFunction(f, 'fn')
  return function(...) return await(f, ...) end
end

local function checkTimeout(ms, name)
  if ms ~= nil and (type(ms) ~= 'number' or ms ~= ms or ms < 0) then
    if type(ms) ~= 'number' then error(errors.ERR_INVALID_ARG_TYPE(name, 'of type number', ms), 0) end
    error(errors.ERR_OUT_OF_RANGE(name, '>= 0', ms), 0)
  end
end

function coro.sleep(ms)
  checkTimeout(ms, 'ms')
  local co = current('coro.sleep')
  local cb
  cb = function() wake(co, cb) end
  setTimeout(cb, ms)
  return suspend(co, cb)
end

local function checkEmitter(emitter, name)
  if type(emitter) ~= 'table' or type(emitter.on) ~= 'function'
      or type(emitter.removeListener) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE(name, 'an instance of EventEmitter', emitter), 0)
  end
end

-- Waits for one `name` event of `emitter` and returns its arguments. An
-- 'error' first raises it; a 'close' first (the emitter is gone: a
-- destroyed stream, a closed socket or server) raises
-- ERR_STREAM_PREMATURE_CLOSE, and so does an emitter already closed; the
-- timeout raises ETIMEDOUT. Every listener is removed when the wait ends.
--
-- A wait is one array (emitter, name, onEvent, onError, onClose, timer)
-- and a closure per listener, the event's own being the wait's token.
local function unlisten(w)
  local emitter = w[1]
  emitter:removeListener(w[2], w[3])
  if w[4] then emitter:removeListener('error', w[4]) end
  if w[5] then emitter:removeListener('close', w[5]) end
  if w[6] then clearTimeout(w[6]) end
end

local function waitEvent(what, emitter, name, ms)
  local co = current(what)
  local watchClose = name ~= 'close' and name ~= 'error'
  if watchClose and (emitter.closed == true or (emitter.closed == nil and emitter.destroyed == true)) then
    error(prematureClose(), 0)
  end
  local w = { emitter, name, false, false, false, false }
  local onEvent = function(...)
    unlisten(w)
    wake(co, w[3], nil, ...)
  end
  w[3] = onEvent
  emitter:on(name, onEvent)
  if name ~= 'error' then
    w[4] = function(err)
      unlisten(w)
      wake(co, onEvent, err == nil and errors.ERR_UNHANDLED_ERROR(err) or err)
    end
    emitter:on('error', w[4])
  end
  if watchClose then
    w[5] = function()
      unlisten(w)
      wake(co, onEvent, prematureClose())
    end
    emitter:on('close', w[5])
  end
  if ms ~= nil then
    w[6] = setTimeout(function()
      unlisten(w)
      wake(co, onEvent, timedOut(what, ms))
    end, ms)
  end
  return suspend(co, onEvent)
end

function coro.once(emitter, name, ms)
  checkEmitter(emitter, 'emitter')
  if name == nil or name ~= name then
    error(errors.ERR_INVALID_ARG_VALUE('name', name, 'must not be nil or NaN'), 0)
  end
  checkTimeout(ms, 'timeoutMs')
  return waitEvent('coro.once', emitter, name, ms)
end

-- coro.all and coro.race: each function runs in a coroutine of its own,
-- started at once in order. The first to decide the outcome (the last
-- result of all, the first of race, the first error, the timeout) resumes
-- the caller; every coroutine still waiting is cancelled then, and one
-- not started yet is never started.
local function group(what, fns, ms, race)
  if type(fns) ~= 'table' then error(errors.ERR_INVALID_ARG_TYPE('fns', 'of type table', fns), 0) end
  local n = #fns
  for i = 1, n do
    if type(fns[i]) ~= 'function' then
      error(errors.ERR_INVALID_ARG_TYPE('fns[' .. i .. ']', 'of type function', fns[i]), 0)
    end
  end
  checkTimeout(ms, 'timeoutMs')
  local co = current(what)
  if n == 0 then return end
  local tok, children, results = {}, {}, {}
  local left, decided, timer = n, false, nil
  local function decide(...)
    if decided then return end
    decided = true
    if timer ~= nil then clearTimeout(timer) end
    for i = 1, n do
      local c = children[i]
      if c ~= nil and state[c] ~= nil then
        state[c] = false
        parents[c] = nil
      end
    end
    wake(co, tok, ...)
  end
  if ms ~= nil then
    timer = setTimeout(function() decide(timedOut(what, ms)) end, ms)
  end
  for i = 1, n do
    if decided then break end
    local c = create(fns[i])
    children[i] = c
    state[c] = true
    parents[c] = function(ok, ...)
      if not ok then return decide(withStack(c, (...))) end
      if race then return decide(nil, i, ...) end
      results[i] = (...)
      left = left - 1
      if left == 0 then decide(nil, unpack(results, 1, n)) end
    end
    enter(c)
  end
  return suspend(co, tok)
end

function coro.all(fns, ms)
  return group('coro.all', fns, ms, false)
end

function coro.race(fns, ms)
  return group('coro.race', fns, ms, true)
end

local function checkWritable(stream)
  if type(stream) ~= 'table' or type(stream.write) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('stream', 'an instance of Writable', stream), 0)
  end
end

-- Writes, and waits for 'drain' only when write asked the writer to wait
-- (it returned false), so backpressure holds without a callback.
-- The method is looked up once, for the check and the call (a socket's
-- lookups go through a function).
function coro.write(stream, chunk)
  local write = type(stream) == 'table' and stream.write
  if type(write) ~= 'function' then checkWritable(stream) end
  current('coro.write')
  if write(stream, chunk) == false then waitEvent('coro.write', stream, 'drain') end
end

-- Ends the stream (after chunk, when given) and waits for 'finish'.
function coro.finish(stream, chunk)
  checkWritable(stream)
  if type(stream.finish) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('stream', 'an instance of Writable', stream), 0)
  end
  current('coro.finish')
  if stream.writableFinished == true then return end
  if chunk == nil then stream:finish() else stream:finish(chunk) end
  if stream.writableFinished == true then return end
  waitEvent('coro.finish', stream, 'finish')
end

-- Readable loops: `for chunk in r:iter() do` and `for line in r:lines()
-- do`, Node's `for await`. One reader per stream (weak keys, so it goes
-- with its stream) takes the stream's 'data' in flowing mode: a chunk
-- that comes while the coroutine waits resumes it at once, with no queue
-- and nothing allocated; a chunk that comes while it is busy is queued
-- and the stream paused, so backpressure holds, and resumed when the loop
-- asks again. The reader outlives a loop left with `break`, so a second
-- loop over the same stream (lines, then iter) goes on where the first
-- stopped and nothing read is lost.
--
-- An idle connection holds a reader, so it is one array, not a table of
-- named fields (a dozen hash slots would cost more than the coroutine),
-- and two listeners: one for 'data', one for 'end', 'error' and 'close'.
local readers = setmetatable({}, { __mode = 'k' })

local STREAM = 1   -- the stream
local WAITING = 2  -- the coroutine in the loop, while it waits
local Q = 3        -- queued chunks (an array made on first use) ...
local QH = 4       -- ... from index QH (false when none is queued) ...
local QT = 5       -- ... to QT
local PAUSED = 6   -- the reader paused the stream
local ENDED = 7    -- 'end' came
local ERR = 8      -- the error every later step raises
local BUF = 9      -- the chunk lines is cutting ...
local POS = 10     -- ... from POS on
local PARTS = 11   -- the start of a line split across chunks
local ONDATA = 12
local ONSTATE = 13 -- or TAPPED: the reader is the socket's tap (READER_TAP)
local OWNER = 14   -- the coroutine that made the newest loop over it
local TAPPED = {}

local function unlistenReader(r)
  local stream = r[STREAM]
  -- A tapped reader stays the socket's tap: it is how a later loop finds
  -- what this one left, and its events after the end change nothing.
  if r[ONSTATE] == TAPPED then return end
  stream:removeListener('data', r[ONDATA])
  stream:removeListener('end', r[ONSTATE])
  stream:removeListener('error', r[ONSTATE])
  stream:removeListener('close', r[ONSTATE])
end

local function onData(r, chunk)
  local co = r[WAITING]
  if co and not r[QH] then
    r[WAITING] = false
    return wakeOne(co, r, nil, chunk)
  end
  local q = r[Q]
  if not q then
    q = {}
    r[Q] = q
  end
  if not r[QH] then
    r[QH], r[QT] = 1, 1
    q[1] = chunk
  else
    local qt = r[QT] + 1
    r[QT] = qt
    q[qt] = chunk
  end
  if not r[PAUSED] then
    r[PAUSED] = true
    r[STREAM]:pause()
  end
end

-- 'end', 'error' and 'close' share a listener: 'error' is the one with a
-- value ('close' may give a boolean, 'end' nothing), and 'end' has set
-- readableEnded by the time it is emitted.
local function onState(r, v)
  local stream = r[STREAM]
  if v ~= nil and type(v) ~= 'boolean' then
    if not r[ERR] then r[ERR] = v end
  elseif stream.readableEnded == true then
    r[ENDED] = true
  elseif not r[ERR] then
    r[ERR] = stream.errored or prematureClose()
  end
  unlistenReader(r)
  local co = r[WAITING]
  if co then
    r[WAITING] = false
    wakeOne(co, r, r[ERR] or nil, nil)
  end
end

-- A net.Socket takes its reader as its tap (net's _setTap): the reader
-- array itself, called through its metatable, so a socket in a loop holds
-- no listener, no closure and no entry in `readers`.
local READER_TAP = {
  __call = function(r, kind, v)
    if kind == 'data' then return onData(r, v) end
    return onState(r, v)
  end,
}

local function readerOf(stream, name)
  if type(stream) ~= 'table' or type(stream.on) ~= 'function' or type(stream.pause) ~= 'function' then
    error(errors.ERR_INVALID_THIS('Readable'), 0)
  end
  local co = current(name)
  local tapped = type(rawget(stream, '_sf')) == 'number' and type(stream._setTap) == 'function'
  local r
  if tapped then
    r = rawget(stream, '_tap')
    if getmetatable(r) == READER_TAP then
      r[OWNER] = co
      return r
    end
  else
    r = readers[stream]
    if r ~= nil then
      r[OWNER] = co
      return r
    end
  end
  r = { stream, false, false, false, false, false, false, false, false, false, false, false, false, co }
  if not tapped then readers[stream] = r end
  if stream.readableEnded == true then
    r[ENDED] = true
  elseif stream.destroyed == true then
    r[ERR] = stream.errored or prematureClose()
  elseif tapped then
    r[ONSTATE] = TAPPED
    setmetatable(r, READER_TAP)
    stream:_setTap(r)
    stream:resume()
  else
    r[ONDATA] = function(chunk) return onData(r, chunk) end
    r[ONSTATE] = function(v) return onState(r, v) end
    stream:on('data', r[ONDATA])
    stream:on('end', r[ONSTATE])
    stream:on('error', r[ONSTATE])
    stream:on('close', r[ONSTATE])
    stream:resume()
  end
  return r
end

-- The next chunk (nil at the end), waiting for it when none is queued;
-- co is the coroutine that runs, when the caller knows it.
local function nextChunk(r, name, co)
  local qh = r[QH]
  if qh then
    local q = r[Q]
    local chunk = q[qh]
    q[qh] = nil
    if qh == r[QT] then r[QH] = false else r[QH] = qh + 1 end
    return chunk
  end
  if r[ERR] then error(r[ERR], 0) end
  if r[ENDED] then return nil end
  if co == nil then co = current(name) end
  r[WAITING] = co
  if r[PAUSED] then
    r[PAUSED] = false
    r[STREAM]:resume()
  end
  state[co] = r
  return collectOne(r, yield(WAIT))
end

-- What lines had cut from a chunk and not given out yet, as one string.
local function leftover(r)
  local buf, parts = r[BUF], r[PARTS]
  local rest = ''
  if buf and r[POS] <= #buf then rest = sub(buf, r[POS]) end
  if parts then
    parts[#parts + 1] = rest
    rest = concat(parts)
  end
  r[BUF], r[PARTS] = false, false
  return rest
end

local function chomp(line)
  local n = #line
  if n > 0 and byte(line, n) == 13 then
    if n == 1 then return '' end
    return sub(line, 1, n - 1)
  end
  return line
end

-- The next line without its '\n' or '\r\n'; the last line without
-- a newline too; nil at the end. A line split across chunks is kept as
-- parts until its end comes, so a long line costs one concatenation.
local function nextLine(r, co)
  while true do
    local buf = r[BUF]
    if buf then
      local pos = r[POS]
      local i = find(buf, '\n', pos, true)
      if i ~= nil then
        r[POS] = i + 1
        local line = i > pos and sub(buf, pos, i - 1) or ''
        local parts = r[PARTS]
        if parts then
          r[PARTS] = false
          parts[#parts + 1] = line
          line = concat(parts)
        end
        return chomp(line)
      end
      if pos <= #buf then
        local parts = r[PARTS]
        if not parts then
          parts = {}
          r[PARTS] = parts
        end
        parts[#parts + 1] = pos == 1 and buf or sub(buf, pos)
      end
      r[BUF] = false
    end
    local chunk = nextChunk(r, 'readable:lines', co)
    if chunk == nil then
      if not r[PARTS] then return nil end
      return chomp(leftover(r))
    end
    if type(chunk) ~= 'string' then
      chunk = type(chunk) == 'cdata' and chunk:toString() or tostring(chunk)
    end
    r[BUF], r[POS] = chunk, 1
  end
end

local function iterStep(r, co)
  if r[BUF] or r[PARTS] then
    local rest = leftover(r)
    if rest ~= '' then return rest end
  end
  return nextChunk(r, 'readable:iter', co)
end

-- for chunk in readable:iter() do ... end: each chunk as 'data' gives it;
-- the loop ends at 'end' and raises the stream's error, or
-- ERR_STREAM_PREMATURE_CLOSE when it closes before its end. The function
-- returned can also be called by itself, as io.lines' can.
--
-- Both loops return the reader as the for loop's state. A call with it is
-- a for loop's, whose frame stays in one coroutine: while `cur` is the
-- coroutine that made the newest loop over the reader, that loop is the
-- one running, and its wait needs no coroutine.running (a trace exit per
-- chunk). Any other call (the function called by itself, a loop of an
-- older iter) checks. The one case this cannot tell: a coroutine of the
-- script's own, inside that coroutine, running a for loop over the pair
-- iter returned to it. The two closures are spelled out rather than made
-- by one helper: a step function as a second upvalue costs every idle
-- connection in a loop another 48 bytes.
local function iter(self)
  local r = readerOf(self, 'readable:iter')
  return function(s)
    if s == r and cur == r[OWNER] then return iterStep(r, cur) end
    return iterStep(r, nil)
  end, r
end

-- for line in readable:lines() do ... end: the stream cut in lines.
local function lines(self)
  local r = readerOf(self, 'readable:lines')
  return function(s)
    if s == r and cur == r[OWNER] then return nextLine(r, cur) end
    return nextLine(r, nil)
  end, r
end

-- Every Readable gets the loops, and so does net.Socket, a readable of
-- its own making.
local Readable = require('stream').Readable
Readable.iter, Readable.lines = iter, lines
local Socket = require('net').Socket
Socket.iter, Socket.lines = iter, lines

return coro
