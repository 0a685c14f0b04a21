-- A chain of 1,000,000 process.nextTick: each callback queues the next.
local N = 1000000
local n = 0
local hrtime = process.hrtime
local t0 = hrtime()
local function step()
  n = n + 1
  if n < N then
    process.nextTick(step)
  else
    local d = hrtime(t0)
    print(('chain_ms: %.1f'):format(d[1] * 1e3 + d[2] / 1e6))
  end
end
process.nextTick(step)
