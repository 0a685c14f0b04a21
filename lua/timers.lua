-- setTimeout, setInterval, setImmediate and their clear functions.
--
-- Timers: one queue per duration, as in Node. Timers of one duration
-- expire in the order they were scheduled, so each queue is sorted by
-- itself and scheduling is an append. A small binary heap orders the
-- queues by the expiry of their first timer, and C arms a single
-- uv_timer_t for the earliest. A cleared or refreshed timer leaves a stale
-- entry behind, skipped when it reaches the front.
--
-- A Timeout is an FFI struct, not a table: a million pending timers cost
-- about 60 bytes each instead of about 110. Its callback and arguments live
-- in arrays indexed by the struct's id. A fired timer can be refreshed for
-- as long as a script holds it, so an id is only reused once its struct
-- was collected: a weak table maps ids to structs, and when ids run out a
-- sweep takes back those whose struct is gone. (A finalizer per struct,
-- ffi.gc, would do the same at three times the cost of scheduling.)
local require, binding = ...

local ffi = require('ffi')
local bit = require('bit')
local errors = require('internal/errors')
local options = require('internal/options')
local ticks = require('internal/ticks')
local tb = binding('timers')

local band, bor, bnot = bit.band, bit.bor, bit.bnot
local type, select, unpack, error = type, select, unpack, error
local setmetatable, getmetatable = setmetatable, getmetatable
local floor = math.floor

local shared = ffi.cast('double *', options.shared)
local nowfn, nowarg = tb.nowfn()
local freshNow = ffi.cast('double (*)(void *)', nowfn)
nowarg = ffi.cast('void *', nowarg)
local NOW, TICKS, STOPPED = options.slots.NOW, options.slots.TICKS, options.slots.STOPPED
local processTicks = ticks.processTicks

local TIMEOUT_MAX = 2147483647

ffi.cdef [[
typedef struct lode_timeout {
  double start;      /* loop time (ms) when it was scheduled or refreshed */
  int32_t duration;  /* whole milliseconds, 1 .. 2^31-1 */
  int32_t flags;
  int32_t pos;       /* its slot in its duration's queue, 0 when none */
  int32_t id;        /* index into callbacks and arguments */
} lode_timeout;
]]

local ACTIVE, REFED, REPEAT, CLEARED = 1, 2, 4, 8

local callbacks, arguments = {}, {}
local objects = setmetatable({}, { __mode = 'v' }) -- id -> Timeout
local freeIds, nFree, nextId = {}, 0, 0
local isFree = {}
local sweepAt = 1024

-- Takes back the ids whose Timeout was collected; runs when ids run out
-- and at most once per doubling of the live ids, so its cost per timer is
-- constant.
local function sweep()
  for id = 1, nextId do
    if not isFree[id] and objects[id] == nil then
      callbacks[id], arguments[id] = nil, nil
      isFree[id] = true
      nFree = nFree + 1
      freeIds[nFree] = id
    end
  end
  local live = nextId - nFree
  sweepAt = live * 2 > 1024 and live * 2 or 1024
end

local function newId()
  if nFree == 0 and nextId >= sweepAt then sweep() end
  if nFree > 0 then
    local id = freeIds[nFree]
    freeIds[nFree] = nil
    nFree = nFree - 1
    isFree[id] = nil
    return id
  end
  nextId = nextId + 1
  return nextId
end

-- queues[duration] = { duration, head, tail, key, hidx, [head..tail] = timer }
local queues = {}
local heap, heapSize = {}, 0
local refed = 0     -- active timers that keep the loop alive
local armedAt = nil -- loop time the uv timer fires at, nil when stopped

-- A queue's key is the expiry of its front timer; between two queues
-- with the same expiry, the longer duration was scheduled first.
local function before(a, b)
  local ka, kb = a.key, b.key
  return ka < kb or (ka == kb and a.duration > b.duration)
end

local function siftUp(i)
  local q = heap[i]
  while i > 1 do
    local p = floor(i / 2)
    local pq = heap[p]
    if not before(q, pq) then break end
    heap[i], pq.hidx = pq, i
    i = p
  end
  heap[i], q.hidx = q, i
end

local function siftDown(i)
  local q = heap[i]
  while true do
    local c = i * 2
    if c > heapSize then break end
    local cq = heap[c]
    if c < heapSize and before(heap[c + 1], cq) then
      c = c + 1
      cq = heap[c]
    end
    if not before(cq, q) then break end
    heap[i], cq.hidx = cq, i
    i = c
  end
  heap[i], q.hidx = q, i
end

local function heapRemoveTop()
  local last = heap[heapSize]
  heap[heapSize] = nil
  heapSize = heapSize - 1
  if heapSize > 0 then
    heap[1] = last
    siftDown(1)
  end
end

local function setRefed(n)
  if (refed == 0) ~= (n == 0) then tb.ref(n > 0) end
  refed = n
end

local function arm(now)
  local top = heap[1]
  if not top then
    if armedAt then
      tb.stop()
      armedAt = nil
    end
    return
  end
  local at = top.key
  if armedAt ~= at then
    armedAt = at
    tb.start(at > now and at - now or 0)
  end
end

local function insert(t, now)
  local d = t.duration
  t.start = now
  local q = queues[d]
  if not q then
    q = { duration = d, head = 1, tail = 0, key = 0, hidx = 0 }
    queues[d] = q
  end
  local tail = q.tail + 1
  q[tail] = t
  q.tail = tail
  t.pos = tail
  if band(t.flags, ACTIVE) == 0 then
    t.flags = bor(t.flags, ACTIVE)
    if band(t.flags, REFED) ~= 0 then setRefed(refed + 1) end
  end
  if q.hidx == 0 then
    q.key = now + d
    heapSize = heapSize + 1
    heap[heapSize] = q
    siftUp(heapSize)
    if armedAt == nil or q.key < armedAt then arm(now) end
  end
end

local function deactivate(t)
  if band(t.flags, ACTIVE) ~= 0 then
    t.flags = band(t.flags, bnot(ACTIVE))
    t.pos = 0
    if band(t.flags, REFED) ~= 0 then setRefed(refed - 1) end
  end
end

-- Moves a long-lived queue's entries back to slot 1, so its indexes stay
-- in the table's array part.
local function compact(q)
  local head, tail, j = q.head, q.tail, 0
  for i = head, tail do
    local t = q[i]
    q[i] = nil
    if t.pos == i then
      j = j + 1
      q[j] = t
      t.pos = j
    end
  end
  q.head, q.tail = 1, j
end

local Timeout = {}
Timeout.__index = Timeout

local function delayOf(ms)
  if type(ms) ~= 'number' or not (ms >= 1 and ms <= TIMEOUT_MAX) then return 1 end
  return floor(ms)
end

local TimeoutT = ffi.metatype('lode_timeout', Timeout)

local function schedule(fn, ms, flags, ...)
  if type(fn) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('callback', 'of type function', fn), 0)
  end
  local id = newId()
  local t = TimeoutT(0, delayOf(ms), flags, 0, id)
  objects[id] = t
  callbacks[id] = fn
  if select('#', ...) > 0 then arguments[id] = { n = select('#', ...), ... } end
  insert(t, freshNow(nowarg))
  return t
end

local function setTimeout(fn, ms, ...)
  return schedule(fn, ms, REFED, ...)
end

local function setInterval(fn, ms, ...)
  return schedule(fn, ms, REFED + REPEAT, ...)
end

local function clearTimeout(t)
  if not ffi.istype(TimeoutT, t) then return end
  deactivate(t)
  t.flags = bor(t.flags, CLEARED)
  callbacks[t.id], arguments[t.id] = nil, nil
end

-- Methods can be reached as plain functions (Timeout.unref(x)), so each
-- checks its object first: a wrong one would change the loop's counts.
-- ffi.istype on a constant ctype costs nothing once compiled.
local function checkTimeout(self)
  if not ffi.istype(TimeoutT, self) then error(errors.ERR_INVALID_THIS('Timeout'), 0) end
end

function Timeout:ref()
  checkTimeout(self)
  if band(self.flags, REFED) == 0 then
    self.flags = bor(self.flags, REFED)
    if band(self.flags, ACTIVE) ~= 0 then setRefed(refed + 1) end
  end
  return self
end

function Timeout:unref()
  checkTimeout(self)
  if band(self.flags, REFED) ~= 0 then
    self.flags = band(self.flags, bnot(REFED))
    if band(self.flags, ACTIVE) ~= 0 then setRefed(refed - 1) end
  end
  return self
end

function Timeout:hasRef()
  checkTimeout(self)
  return band(self.flags, REFED) ~= 0
end

-- Starts the timer again from now with its duration; it then orders after
-- every timer made before the refresh. A cleared timer stays cleared.
function Timeout:refresh()
  checkTimeout(self)
  if band(self.flags, CLEARED) == 0 then insert(self, freshNow(nowarg)) end
  return self
end

function Timeout:close()
  checkTimeout(self)
  clearTimeout(self)
  return self
end

Timeout.__tostring = function(t)
  return ('Timeout (%dms%s%s)'):format(t.duration,
    band(t.flags, REPEAT) ~= 0 and ', repeat' or '',
    band(t.flags, ACTIVE) ~= 0 and '' or ', inactive')
end

-- Runs every due timer, earliest first, then arms the uv timer for the
-- next. Called by C when the uv timer fires; when a callback raises, C
-- reports the error and calls this again, which picks up where it was.
local function processTimers()
  local now = shared[NOW]
  armedAt = nil
  while heapSize > 0 and shared[STOPPED] == 0 do
    local q = heap[1]
    local head, tail = q.head, q.tail
    local t = q[head]
    while t ~= nil and t.pos ~= head do
      q[head] = nil
      head = head + 1
      t = q[head]
    end
    if t == nil then
      -- Nothing but stale entries: the queue goes away.
      q.head, q.tail = head, tail
      q.hidx = 0
      queues[q.duration] = nil
      heapRemoveTop()
    else
      local key = t.start + q.duration
      if key ~= q.key then
        q.key, q.head = key, head
        siftDown(1)
      elseif key > now then
        q.head = head
        break
      else
        q[head] = nil
        q.head = head + 1
        if head > 1024 and head * 2 > tail then compact(q) end
        deactivate(t)
        local id = t.id
        local fn, args = callbacks[id], arguments[id]
        if band(t.flags, REPEAT) ~= 0 then insert(t, freshNow(nowarg)) end
        if args then fn(unpack(args, 1, args.n)) else fn() end
        if shared[TICKS] ~= 0 then processTicks() end
      end
    end
  end
  arm(now)
end

-- Immediates: a queue run in the check phase. Only those queued before
-- the phase started run in it; the rest wait for the next iteration.
local Immediate = {}
Immediate.__index = Immediate

local imm, immHead, immTail = {}, 1, 0
local immediates -- double[1] in C: immCount, read by the check handle
local immCount, immRefed = 0, 0

local function setImmRefed(n)
  if (immRefed == 0) ~= (n == 0) then tb.immediateRef(n > 0) end
  immRefed = n
end

local function setImmediate(fn, ...)
  if type(fn) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('callback', 'of type function', fn), 0)
  end
  local args = nil
  if select('#', ...) > 0 then args = { n = select('#', ...), ... } end
  local i = setmetatable({ fn, args, true }, Immediate) -- [3]: refed
  immTail = immTail + 1
  imm[immTail] = i
  immCount = immCount + 1
  immediates[0] = immCount
  setImmRefed(immRefed + 1)
  return i
end

local function finish(i)
  i[1], i[2] = nil, nil
  immCount = immCount - 1
  immediates[0] = immCount
  if i[3] then setImmRefed(immRefed - 1) end
end

local function clearImmediate(i)
  if getmetatable(i) ~= Immediate or i[1] == nil then return end
  finish(i)
end

-- An Immediate is a table { fn, args, refed } with this metatable; the
-- refed slot must hold a boolean, so a table of another shape is refused.
local function checkImmediate(self)
  if getmetatable(self) ~= Immediate or type(self[3]) ~= 'boolean' then
    error(errors.ERR_INVALID_THIS('Immediate'), 0)
  end
end

function Immediate:ref()
  checkImmediate(self)
  if not self[3] then
    self[3] = true
    if self[1] then setImmRefed(immRefed + 1) end
  end
  return self
end

function Immediate:unref()
  checkImmediate(self)
  if self[3] then
    self[3] = false
    if self[1] then setImmRefed(immRefed - 1) end
  end
  return self
end

function Immediate:hasRef()
  checkImmediate(self)
  return self[3]
end

Immediate.__tostring = function() return 'Immediate' end

local function processImmediates()
  local last = immTail
  while immHead <= last and shared[STOPPED] == 0 do
    local i = imm[immHead]
    imm[immHead] = nil
    immHead = immHead + 1
    local fn, args = i[1], i[2]
    if fn then
      finish(i)
      if args then fn(unpack(args, 1, args.n)) else fn() end
      if shared[TICKS] ~= 0 then processTicks() end
    end
  end
  if immHead > immTail then immHead, immTail = 1, 0 end
end

-- C runs the two queues from its timer and check handles (out of a
-- script's reach: a script calling them would run callbacks out of their
-- phase); the count of queued immediates is C's too, so an idle loop
-- makes no call into Lua.
immediates = ffi.cast('double *', tb.init(processTimers, processImmediates))

return {
  setTimeout = setTimeout,
  setInterval = setInterval,
  setImmediate = setImmediate,
  clearTimeout = clearTimeout,
  clearInterval = clearTimeout,
  clearImmediate = clearImmediate,
  Timeout = Timeout,
  Immediate = Immediate,
}
