-- Byte-mode pipe throughput; twin of stream_pipe_bytes.js. A Readable
-- pushing 512 MiB in 64 KiB chunks, piped through a PassThrough into a
-- Writable that counts the bytes (highWaterMark 64 KiB everywhere, as
-- file streams have).
local stream = require('stream')

local CHUNK = 65536
local TOTAL = 512 * 1024 * 1024

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local chunk = string.rep('x', CHUNK)
local sent, got = 0, 0
local t0 = now()
local source = stream.Readable:new({
  highWaterMark = CHUNK,
  read = function(self)
    if sent >= TOTAL then
      self:push(nil)
    else
      sent = sent + CHUNK
      self:push(chunk)
    end
  end,
})
local sink = stream.Writable:new({
  highWaterMark = CHUNK,
  write = function(self, c, enc, cb)
    got = got + #c
    cb()
  end,
})
stream.pipeline(source, stream.PassThrough:new({ highWaterMark = CHUNK }), sink, function(err)
  if err then error(err) end
  local ms = now() - t0
  print(string.format('pipe_512mib: %.1f ms', ms))
  print(string.format('throughput: %.0f MiB/s', TOTAL / 1048576 / (ms / 1000)))
  if got ~= TOTAL then print('unexpected count', got) end
end)
