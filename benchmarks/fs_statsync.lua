-- 20,000 fs.statSync in a loop.
local fs = require('fs')
local hrtime = process.hrtime
local function ms(t) return t[1] * 1e3 + t[2] / 1e6 end
local N, path, size = 20000, __filename, 0
local t0 = ms(hrtime())
for _ = 1, N do size = size + fs.statSync(path).size end
print(('statsync_ms: %.1f'):format(ms(hrtime()) - t0))
assert(size > 0)
