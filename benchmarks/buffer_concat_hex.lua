-- Buffer.concat of 1 MiB in 16-byte pieces, and toString('hex') of 1 MiB,
-- each repeated. Twin: buffer_concat_hex.js.
local Buffer = Buffer or require('buffer').Buffer
local clock = os.clock

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
local t0 = clock()
for _ = 1, REPS do
  local b = Buffer.concat(pieces)
  total = total + b[#b]
end
local t1 = clock()
print(string.format('concat_1MiB_16B_pieces: %.1f ms', (t1 - t0) * 1000))

local big = Buffer.concat(pieces)
t0 = clock()
for _ = 1, REPS do
  local s = big:toString('hex')
  total = total + #s
end
t1 = clock()
print(string.format('toString_hex_1MiB: %.1f ms', (t1 - t0) * 1000))
if total == 0 then print('checksum', total) end
