-- readFile of a 64 MiB file, 20 times one after the other (made in a temp
-- dir and removed at the end).
local fs = require('fs')
local os = require('os')
local hrtime = process.hrtime
local function ms(t) return t[1] * 1e3 + t[2] / 1e6 end
local dir = fs.mkdtempSync(os.tmpdir() .. '/lode-bench-')
local file = dir .. '/big'
local SIZE, N = 64 * 1024 * 1024, 20
fs.writeFileSync(file, string.rep('x', SIZE))
local i, t0 = 0, ms(hrtime())
local function step(err, data)
  if err then error(err) end
  if i > 0 and #data ~= SIZE then error('short read') end
  i = i + 1
  if i > N then
    local dt = ms(hrtime()) - t0
    print(('readfile_ms: %.1f'):format(dt))
    print(('readfile_MBps: %.0f'):format(SIZE * N / 1048576 / (dt / 1000)))
    fs.rmSync(dir, { recursive = true })
    return
  end
  fs.readFile(file, step)
end
step(nil, '')
