-- Copies a file chunk by chunk in the coroutine style, with backpressure:
-- coro.write waits for 'drain' when the writer's buffer is full.
--   lode examples/coro-file-copy.lua SOURCE DEST
local fs = require('fs')
local coro = require('coro')
local src, dst = process.argv[2], process.argv[3]
if not src or not dst then
  print('usage: lode examples/coro-file-copy.lua SOURCE DEST')
  process.exit(2)
end

coro.run(function()
  local size = coro.await(fs.stat, src).size
  local out = fs.createWriteStream(dst)
  for chunk in fs.createReadStream(src):iter() do coro.write(out, chunk) end
  coro.finish(out)
  print(('copied %d bytes from %s to %s'):format(size, src, dst))
end)
