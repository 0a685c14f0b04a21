-- Object-mode Transform throughput; twin of stream_transform.js.
-- Prints one `name: <ms> ms` line per case.
local stream = require('stream')
local Readable, Transform, Writable, pipeline =
  stream.Readable, stream.Transform, stream.Writable, stream.pipeline

local N = 1000000

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

local function source(n)
  local i = 0
  return Readable:new({
    objectMode = true,
    read = function(self)
      i = i + 1
      if i > n then
        self:push(nil)
      else
        self:push({ id = i, name = 'item' })
      end
    end,
  })
end

local function cases(n, report, done)
  local sum = 0
  local t0 = now()
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
  pipeline(source(n), double, sink, function(err)
    if err then error(err) end
    if report then print(string.format('transform_1m_objects: %.1f ms', now() - t0)) end
    if sum ~= n * (n + 1) then print('unexpected sum', sum) end
    local t1 = now()
    local count = 0
    local i = 0
    local from = Readable.from(function()
      i = i + 1
      if i <= n then return i end
    end)
    local pass = Transform:new({ objectMode = true, transform = function(self, x, enc, cb) cb(nil, x + 1) end })
    local sink2 = Writable:new({
      objectMode = true,
      write = function(self, x, enc, cb)
        count = count + x
        cb()
      end,
    })
    pipeline(from, pass, sink2, function(err2)
      if err2 then error(err2) end
      if report then print(string.format('from_transform_1m: %.1f ms', now() - t1)) end
      done()
    end)
  end)
end

cases(N / 10, false, function() cases(N, true, function() end) end)
