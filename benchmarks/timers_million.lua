-- 1,000,000 setTimeout with random 0-100 ms delays: the time to schedule
-- them and the time until the last has fired (peak memory is measured by
-- the runner).
local N = 1000000
local fired = 0
local hrtime = process.hrtime
local function ms(t) return t[1] * 1e3 + t[2] / 1e6 end
local t0 = ms(hrtime())
local t1
local random = math.random
local function cb()
  fired = fired + 1
  if fired == N then
    local t2 = ms(hrtime())
    print(('schedule_ms: %.1f'):format(t1 - t0))
    print(('all_fired_ms: %.1f'):format(t2 - t0))
  end
end
for _ = 1, N do setTimeout(cb, random() * 100) end
t1 = ms(hrtime())
