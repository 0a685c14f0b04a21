-- The two tables per item that stream_transform's own callbacks make
-- (the pushed one and the transformed one), made in a plain loop with no
-- stream: what the allocator and the collector alone cost of that
-- benchmark. Twin of alloc_tables.js.
local N = 1000000

local function now()
  local t = process.hrtime()
  return t[1] * 1e3 + t[2] / 1e6
end

-- Each table escapes into `keep`, so the compiler cannot sink it away.
local keep = {}
local sum = 0
local t0 = now()
for i = 1, N do
  local a = { id = i, name = 'item' }
  keep[1] = a
  local b = { id = a.id * 2, name = a.name }
  keep[2] = b
  sum = sum + b.id
end
print(string.format('alloc_2m_tables: %.1f ms', now() - t0))
if sum ~= N * (N + 1) then print('unexpected sum', sum) end
