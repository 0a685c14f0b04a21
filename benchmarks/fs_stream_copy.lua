-- Copies a file (1 GiB, or COPY_MB MiB) through
-- createReadStream():pipe(createWriteStream()); the runner measures peak
-- memory.
local fs = require('fs')
local os = require('os')
local hrtime = process.hrtime
local function ms(t) return t[1] * 1e3 + t[2] / 1e6 end
local MB = tonumber(process.env.COPY_MB or '1024')
local dir = fs.mkdtempSync(os.tmpdir() .. '/lode-bench-')
local src, dst = dir .. '/src', dir .. '/dst'
local fd = fs.openSync(src, 'w')
local block = string.rep('y', 1048576)
for _ = 1, MB do fs.writeSync(fd, block) end
fs.closeSync(fd)
block = nil
collectgarbage()
local t0 = ms(hrtime())
local ws = fs.createWriteStream(dst)
fs.createReadStream(src):pipe(ws)
ws:on('close', function()
  local dt = ms(hrtime()) - t0
  assert(fs.statSync(dst).size == MB * 1048576)
  print(('copy_ms: %.1f'):format(dt))
  print(('copy_MBps: %.0f'):format(MB / (dt / 1000)))
  fs.rmSync(dir, { recursive = true })
end)
