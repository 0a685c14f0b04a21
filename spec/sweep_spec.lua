-- The garbage sweep: every built-in module that require('module') lists
-- is called with bad values by spec/fixtures/sweep/module.lua, one child
-- process per module (see there for what is called and what is checked).
-- A module passes when its child ends by itself with code 0 within the
-- time limit, every error it raised was a table with a code, and no handle
-- was left open. A module added later is swept with no edit here.
local t = require('./helper')

local modules = require('module').builtinModules
local child = process.cwd() .. '/fixtures/sweep/module.lua'
local BUDGET_MS = 20000 -- CPU time per module before the pairs are cut
local LIMIT_S = 60      -- wall time per module before the child is killed

local function readLines(name)
  local f = io.open(name, 'rb')
  if not f then return {} end
  local lines = {}
  for l in f:lines() do lines[#lines + 1] = l end
  f:close()
  return lines
end

-- A scratch folder per run, so whatever a swept function creates by name
-- lands there and goes with it.
local function scratch()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute('mkdir ' .. t.quote(dir)) == 0)
  return dir
end

local totals = { calls = 0, errors = 0, failures = 0 }

for _, name in ipairs(modules) do
  t.test('sweep of ' .. name, function()
    local dir = scratch()
    local reportPath = dir .. '.report'
    -- stdout and stderr are thrown away: console.log of a 1 MiB string,
    -- many times, is part of the sweep.
    local cmd = ('cd %s && exec timeout -s KILL %d %s %s %s %s %d </dev/null >/dev/null 2>&1'):format(
      t.quote(dir), LIMIT_S, t.quote(process.execPath), t.quote(child), t.quote(name),
      t.quote(reportPath), BUDGET_MS)
    local status = os.execute(cmd)
    local lines = readLines(reportPath)
    os.remove(reportPath)
    os.execute('rm -rf ' .. t.quote(dir))
    local summary, exitLine, lastAt, fails, cut = nil, nil, nil, {}, nil
    for _, l in ipairs(lines) do
      if l:match('^summary ') then summary = l
      elseif l:match('^exit ') then exitLine = l
      elseif l:match('^at ') then lastAt = l
      elseif l:match('^cut ') then cut = l
      elseif l:match('^fail ') then fails[#fails + 1] = l end
    end
    local calls = summary and tonumber(summary:match('calls=(%d+)')) or 0
    local errs = summary and tonumber(summary:match('errors=(%d+)')) or 0
    local failures = summary and tonumber(summary:match('failures=(%d+)')) or 0
    local ms = summary and summary:match('ms=(%d+)') or '?'
    totals.calls, totals.errors, totals.failures =
      totals.calls + calls, totals.errors + errs, totals.failures + failures
    print(('# sweep %-8s calls %7d  errors raised %7d  failures %d  (%s ms%s)'):format(
      name, calls, errs, failures, ms, cut and ', pairs cut by the budget' or ''))
    t.ok(status == 0, ('the child of %s did not end cleanly (wait status %s); last step: %s'):format(
      name, tostring(status), tostring(lastAt)))
    t.ok(summary, 'no summary from the sweep of ' .. name .. '; last step: ' .. tostring(lastAt))
    t.ok(exitLine, 'the sweep of ' .. name .. " did not reach process 'exit'")
    t.eq(exitLine, 'exit handles=0', 'handles left open by the sweep of ' .. name)
    t.ok(calls > 0, 'nothing was called in ' .. name)
    if failures > 0 then
      error(('%d failures in %s, the first ones:\n%s'):format(failures, name,
        table.concat(fails, '\n', 1, math.min(#fails, 20))), 0)
    end
  end)
end

t.test('the sweep covered every module', function()
  t.ok(#modules >= 8, 'builtinModules lists ' .. #modules .. ' modules')
  print(('# sweep total    calls %7d  errors raised %7d  failures %d'):format(
    totals.calls, totals.errors, totals.failures))
end)
