-- The spec runner: named cases run in order, expected-call counting, and
-- a check at exit that the file left no handle open. Each spec file is a
-- plain lode script that starts with `local t = require('./helper')`;
-- ctest runs each file in its own process with a timeout.
local t = {}

local cases, mustCalls = {}, {}
local passed, failed = 0, 0
local current = nil
local started = false
local finished = false
local util = require('util')

local function show(v)
  if type(v) == 'string' then return string.format('%q', v) end
  if type(v) == 'table' then return util.inspect(v) end
  return tostring(v)
end

-- Where the spec called the failing helper.
local function fail(msg, level)
  error(msg, (level or 1) + 2)
end

function t.ok(v, msg)
  if not v then fail(msg or ('expected a true value, got ' .. show(v))) end
  return v
end

function t.eq(actual, expected, msg)
  if actual ~= expected then
    fail((msg and msg .. ': ' or '') .. 'expected ' .. show(expected) .. ', got ' .. show(actual))
  end
  return actual
end

local function deepEqual(a, b, path, seen)
  if a == b then return nil end
  if type(a) ~= 'table' or type(b) ~= 'table' then
    return path .. ': expected ' .. show(b) .. ', got ' .. show(a)
  end
  if seen[a] == b then return nil end
  seen[a] = b
  for k, v in next, b do
    local d = deepEqual(a[k], v, path .. '[' .. show(k) .. ']', seen)
    if d then return d end
  end
  for k, v in next, a do
    if b[k] == nil then return path .. '[' .. show(k) .. ']: unexpected ' .. show(v) end
  end
  return nil
end

function t.same(actual, expected, msg)
  local d = deepEqual(actual, expected, 'value', {})
  if d then fail((msg and msg .. ': ' or '') .. d) end
  return actual
end

function t.near(a, b, eps, msg)
  eps = eps or 1e-9
  if type(a) ~= 'number' or math.abs(a - b) > eps then
    fail((msg and msg .. ': ' or '') .. 'expected ' .. show(b) .. ' +- ' .. eps .. ', got ' .. show(a))
  end
end

function t.match(s, pattern, msg)
  if type(s) ~= 'string' or not s:find(pattern) then
    fail((msg and msg .. ': ' or '') .. 'expected ' .. show(s) .. ' to match ' .. show(pattern))
  end
  return s
end

-- raises(fn, expect): fn must raise. A code-like expect ('ERR_X',
-- 'ENOENT', 'MODULE_NOT_FOUND') is compared with err.code; anything else
-- is a Lua pattern matched against tostring(err). Returns the error.
function t.raises(fn, expect, msg)
  local ok, err = pcall(fn)
  if ok then fail((msg and msg .. ': ' or '') .. 'expected an error' .. (expect and (' ' .. expect) or '')) end
  if expect then
    if expect:match('^[A-Z][A-Z0-9_]+$') then
      local code = type(err) == 'table' and err.code or nil
      if code ~= expect then
        fail((msg and msg .. ': ' or '') .. 'expected code ' .. expect .. ', got ' .. show(code) .. ' (' .. tostring(err) .. ')')
      end
    elseif not tostring(err):find(expect) then
      fail((msg and msg .. ': ' or '') .. 'expected error matching ' .. show(expect) .. ', got ' .. show(tostring(err)))
    end
  end
  return err
end

-- mustCall(fn, n): a wrapper that must be called exactly n times (1 when
-- not given) before the process exits.
function t.mustCall(fn, n)
  local info = debug.getinfo(2, 'Sl')
  local rec = { expected = n or 1, count = 0, where = info.short_src .. ':' .. info.currentline }
  mustCalls[#mustCalls + 1] = rec
  return function(...)
    rec.count = rec.count + 1
    if fn then return fn(...) end
  end
end

function t.mustNotCall(msg)
  local info = debug.getinfo(2, 'Sl')
  local where = info.short_src .. ':' .. info.currentline
  return function()
    error('function called that must not be (' .. where .. ')' .. (msg and (': ' .. msg) or ''), 2)
  end
end

-- Small tools the specs share.

function t.nowMs()
  return tonumber(process.hrtime.bigint()) / 1e6
end

-- Keeps the CPU busy for ms milliseconds (the loop cannot run meanwhile).
function t.busyWait(ms)
  local stop = t.nowMs() + ms
  while t.nowMs() < stop do end
end

-- recorder() -> list, rec: rec(name[, fn]) returns a function that appends
-- name to list when called (then calls fn with its arguments).
function t.recorder()
  local list = {}
  return list, function(name, fn)
    return function(...)
      list[#list + 1] = name
      if fn then return fn(...) end
    end
  end
end

-- The non-empty lines of s.
function t.lines(s)
  local r = {}
  for l in s:gmatch('[^\n]+') do r[#r + 1] = l end
  return r
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
t.quote = quote

local function slurp(name)
  local f = io.open(name, 'rb')
  if not f then return '' end
  local s = f:read('*a')
  f:close()
  os.remove(name)
  return s
end

-- spawn(args, opts): runs `lode <args>` (args is shell text) as a child
-- and waits for it. opts: cwd (folder to start in), input (stdin text,
-- else /dev/null), exe (the executable as typed, for argv0; default the
-- running lode), unset (names of environment variables to remove).
-- Returns { out, err, code (nil when killed), signal (nil when it exited),
-- lines (out split in lines), ms (wall time), cmd }.
function t.spawn(args, opts)
  opts = opts or {}
  local outFile, errFile, inFile = os.tmpname(), os.tmpname(), '/dev/null'
  if opts.input then
    inFile = os.tmpname()
    local f = io.open(inFile, 'wb')
    f:write(opts.input)
    f:close()
  end
  local env = ''
  for _, name in ipairs(opts.unset or {}) do env = env .. 'env -u ' .. quote(name) .. ' ' end
  local cmd = (opts.cwd and ('cd ' .. quote(opts.cwd) .. ' && ') or '') .. 'exec ' .. env ..
    (opts.exe or quote(process.execPath)) .. ' ' .. args ..
    ' <' .. quote(inFile) .. ' >' .. quote(outFile) .. ' 2>' .. quote(errFile)
  local t0 = process.hrtime()
  -- LuaJIT without 5.2 compatibility: os.execute returns the raw wait
  -- status of `sh -c`, which exec made the status of lode itself.
  local status = os.execute(cmd)
  local d = process.hrtime(t0)
  local r = { out = slurp(outFile), err = slurp(errFile), cmd = cmd, ms = d[1] * 1e3 + d[2] / 1e6 }
  if opts.input then os.remove(inFile) end
  if status % 128 ~= 0 then r.signal = status % 128 else r.code = math.floor(status / 256) end
  r.lines = {}
  for line in r.out:gmatch('([^\n]*)\n') do r.lines[#r.lines + 1] = line end
  return r
end

local function report(case, err)
  if case.reported then return end
  case.reported = true
  if err == nil then
    passed = passed + 1
    print(('ok %d - %s'):format(case.index, case.name))
  else
    failed = failed + 1
    print(('not ok %d - %s'):format(case.index, case.name))
    for line in tostring(err):gmatch('[^\n]+') do print('  # ' .. line) end
  end
end

local function traceback(e)
  if type(e) == 'table' then return tostring(e) .. '\n' .. debug.traceback('', 2) end
  return debug.traceback(tostring(e), 2)
end

local runNext

-- Runs the cases one by one: a sync case (no parameter) ends when it
-- returns, an async one when it calls done(err) or after its timeout.
runNext = function()
  while true do
    local case = cases[(current and current.index or 0) + 1]
    current = case
    if not case then
      finished = true
      return
    end
    if debug.getinfo(case.fn, 'u').nparams == 0 then
      local ok, err = xpcall(case.fn, traceback)
      report(case, not ok and err or nil)
    else
      local timer
      local function done(err)
        if case.reported then return end
        clearTimeout(timer)
        report(case, err)
        setImmediate(runNext)
      end
      case.done = done
      timer = setTimeout(done, case.timeout or 5000, 'timed out after ' .. (case.timeout or 5000) .. ' ms')
      timer:unref()
      local ok, err = xpcall(case.fn, traceback, done)
      if not ok then done(err) end
      return
    end
  end
end

-- test(name, fn[, timeoutMs])
function t.test(name, fn, timeout)
  cases[#cases + 1] = { name = name, fn = fn, index = #cases + 1, timeout = timeout }
  if not started then
    started = true
    process.nextTick(runNext)
  end
end

-- An error raised later by a callback of the running async case fails
-- that case, unless the spec listens for uncaught errors itself.
process:on('uncaughtException', function(err)
  if process:listenerCount('uncaughtException') > 1 then return end
  if current and current.done and not current.reported then
    current.done(type(err) == 'table' and err.stack or tostring(err))
  else
    failed = failed + 1
    print('not ok - uncaught error outside a case')
    for line in tostring(err):gmatch('[^\n]+') do print('  # ' .. line) end
    if type(err) == 'table' and err.stack then print('  # ' .. err.stack) end
  end
end)

process:on('exit', function()
  for _, case in ipairs(cases) do
    if not case.reported then report(case, 'did not finish (the loop ran out of work first)') end
  end
  for _, rec in ipairs(mustCalls) do
    if rec.count ~= rec.expected then
      failed = failed + 1
      print(('not ok - mustCall at %s: expected %d calls, got %d'):format(rec.where, rec.expected, rec.count))
    end
  end
  local open = process._getActiveHandles()
  if #open > 0 then
    failed = failed + 1
    print('not ok - handles left open: ' .. table.concat(open, ', '))
  end
  print(('%d passed, %d failed'):format(passed, failed))
  if failed > 0 or not finished and #cases > 0 then process.exitCode = 1 end
end)

return t
