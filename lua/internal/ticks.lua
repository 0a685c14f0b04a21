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

-- args[i] is the one argument of entry i, or the table of its arguments
-- when it has more (nargs[i] says how many): a tick with one argument,
-- the common case, costs no table.
local fns, args, nargs = {}, {}, {}
local head, tail = 1, 0
local micro, microHead, microTail = {}, 1, 0

local function nextTick(fn, ...)
  if type(fn) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('callback', 'of type function', fn), 0)
  end
  tail = tail + 1
  fns[tail] = fn
  local n = select('#', ...)
  nargs[tail] = n
  if n == 1 then args[tail] = ... elseif n > 1 then args[tail] = { ... } end
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
      local fn, a, n = fns[i], args[i], nargs[i]
      fns[i] = nil
      args[i] = nil
      if i == tail then head, tail = 1, 0 else head = i + 1 end
      if n == 0 then fn() elseif n == 1 then fn(a) else fn(unpack(a, 1, n)) end
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
