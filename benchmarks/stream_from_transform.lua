-- Readable.from -> object-mode Transform -> Writable, 1 million numbers;
-- twin of stream_from_transform.js. One pipeline, no warm-up run (as in
-- stream_transform.lua); no table is made per item, so this one measures
-- the streams' own path without the garbage collector.
local stream = require('stream')

local N = 1000000

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local t0 = now()
local i, sum = 0, 0
local source = stream.Readable.from(function()
  i = i + 1
  if i <= N then return i end
end)
local inc = stream.Transform:new({
  objectMode = true,
  transform = function(self, x, enc, cb) cb(nil, x + 1) end,
})
local sink = stream.Writable:new({
  objectMode = true,
  write = function(self, x, enc, cb)
    sum = sum + x
    cb()
  end,
})
stream.pipeline(source, inc, sink, function(err)
  if err then error(err) end
  print(string.format('from_transform_1m: %.1f ms', now() - t0))
  if sum ~= N * (N + 1) / 2 + N then print('unexpected sum', sum) end
end)
