-- 100 million writeUInt32LE and 100 million readUInt32LE over a 64 KiB
-- Buffer. Twin: buffer_rw.js. Prints one `name: <ms> ms` line per loop.
local Buffer = Buffer or require('buffer').Buffer
-- Wall-clock milliseconds on the monotonic clock, as the twin's
-- process.hrtime.bigint() reads it.
local hrtime = process.hrtime
local function now()
  local t = hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local N = 100 * 1000 * 1000
local SIZE = 65536
local buf = Buffer.alloc(SIZE)
local slots = SIZE / 4
local passes = N / slots

local t0 = now()
for p = 1, passes do
  for pos = 1, SIZE - 3, 4 do
    buf:writeUInt32LE(pos + p, pos)
  end
end
local t1 = now()
print(string.format('writeUInt32LE: %.1f ms', t1 - t0))

local sum = 0
t0 = now()
for _ = 1, passes do
  for pos = 1, SIZE - 3, 4 do
    sum = sum + buf:readUInt32LE(pos)
  end
end
t1 = now()
print(string.format('readUInt32LE: %.1f ms', t1 - t0))
if sum == 0 then print('checksum', sum) end
