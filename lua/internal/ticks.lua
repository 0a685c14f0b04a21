-- process.nextTick's queue, and queueMicrotask's. C drains them after
-- every callback it makes into Lua (runtime.c, lode__call) while the
-- shared TICKS flag is set; timers and immediates drain them after each of
-- their callbacks. As in Node, the whole nextTick queue runs first, then
-- the microtasks (those they queue included), and again while either
-- queue has work.
local require = ...

local ffi = require('ffi')
local errors = require('internal/errors')
local options = require('internal/options')

local type, select, unpack, error = type, select, unpack, error
local shared = ffi.cast('double *', options.shared)
local TICKS, STOPPED = options.slots.TICKS, options.slots.STOPPED

local fns, args = {}, {}
local head, tail = 1, 0
local micro, microHead, microTail = {}, 1, 0

local function nextTick(fn, ...)
  if type(fn) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('callback', 'of type function', fn), 0)
  end
  tail = tail + 1
  fns[tail] = fn
  if select('#', ...) > 0 then args[tail] = { n = select('#', ...), ... } end
  shared[TICKS] = 1
end

local function queueMicrotask(fn)
  if type(fn) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('callback', 'of type function', fn), 0)
  end
  microTail = microTail + 1
  micro[microTail] = fn
  shared[TICKS] = 1
end

-- Runs the queues until both are empty. Each entry leaves its queue before
-- it runs, so when one raises, the next call goes on with the rest.
-- Indexes restart at 1 whenever a queue empties, so a long chain of ticks
-- reuses the same few slots.
local function processTicks()
  repeat
    while head <= tail do
      if shared[STOPPED] ~= 0 then return end
      local i = head
      local fn, a = fns[i], args[i]
      fns[i] = nil
      if a then args[i] = nil end
      if i == tail then head, tail = 1, 0 else head = i + 1 end
      if a then fn(unpack(a, 1, a.n)) else fn() end
    end
    while microHead <= microTail do
      if shared[STOPPED] ~= 0 then return end
      local i = microHead
      local fn = micro[i]
      micro[i] = nil
      if i == microTail then microHead, microTail = 1, 0 else microHead = i + 1 end
      fn()
    end
  until head > tail
  shared[TICKS] = 0
end

require('internal/hooks').processTicks = processTicks

return { nextTick = nextTick, queueMicrotask = queueMicrotask, processTicks = processTicks }
