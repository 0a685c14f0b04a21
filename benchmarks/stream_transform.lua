-- Object-mode Transform throughput; twin of stream_transform.js.
-- One pipeline, a Readable pushing 1 million small tables -> a Transform
-- making a new table of each -> a Writable summing them, timed from its
-- creation to the pipeline's callback. No warm-up run: the two JITs warm
-- up inside the measured run (see docs/benchmarks.md for why a second
-- pipeline in the same process is slower in lode today).
local stream = require('stream')
local Readable, Transform, Writable, pipeline =
  stream.Readable, stream.Transform, stream.Writable, stream.pipeline

local N = 1000000

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local t0 = now()
local i, sum = 0, 0
local source = Readable:new({
  objectMode = true,
  read = function(self)
    i = i + 1
    if i > N then
      self:push(nil)
    else
      self:push({ id = i, name = 'item' })
    end
  end,
})
local double = Transform:new({
  objectMode = true,
  transform = function(self, obj, enc, cb) cb(nil, { id = obj.id * 2, name = obj.name }) end,
})
local sink = Writable:new({
  objectMode = true,
  write = function(self, obj, enc, cb)
    sum = sum + obj.id
    cb()
  end,
})
pipeline(source, double, sink, function(err)
  if err then error(err) end
  print(string.format('transform_1m_objects: %.1f ms', now() - t0))
  if sum ~= N * (N + 1) then print('unexpected sum', sum) end
end)
