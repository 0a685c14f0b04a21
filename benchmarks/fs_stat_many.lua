-- 20,000 fs.stat calls issued at once, until every callback ran.
local fs = require('fs')
local hrtime = process.hrtime
local function ms(t) return t[1] * 1e3 + t[2] / 1e6 end
local N, left = 20000, 20000
local path = __filename
local t0 = ms(hrtime())
local function cb(err, st)
  if err then error(err) end
  left = left - 1
  if left == 0 then print(('stat_all_ms: %.1f'):format(ms(hrtime()) - t0)) end
end
for _ = 1, N do fs.stat(path, cb) end
