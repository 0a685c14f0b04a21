-- Buffer.concat of 1 MiB in 16-byte pieces, and toString('hex') of 1 MiB,
-- each repeated. Twin: buffer_concat_hex.js.
local Buffer = Buffer or require('buffer').Buffer
-- Wall-clock milliseconds on the monotonic clock, as the twin's
-- process.hrtime.bigint() reads it.
local hrtime = process.hrtime
local function now()
  local t = hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local MIB = 1024 * 1024
local PIECE = 16
local REPS = 50

local pieces = {}
for i = 1, MIB / PIECE do
  local p = Buffer.allocUnsafe(PIECE)
  for k = 1, PIECE do p[k] = (i * 31 + k) % 256 end
  pieces[i] = p
end

local total = 0
local t0 = now()
for _ = 1, REPS do
  local b = Buffer.concat(pieces)
  total = total + b[#b]
end
local t1 = now()
print(string.format('concat_1MiB_16B_pieces: %.1f ms', t1 - t0))

local big = Buffer.concat(pieces)
t0 = now()
for _ = 1, REPS do
  local s = big:toString('hex')
  total = total + #s
end
t1 = now()
print(string.format('toString_hex_1MiB: %.1f ms', t1 - t0))
if total == 0 then print('checksum', total) end
