-- process.nextTick's queue. C drains it after every callback it makes
-- into Lua (runtime.c, lode__call) while the shared TICKS flag is set;
-- timers and immediates drain it after each of their callbacks.
local require = ...

local ffi = require('ffi')
local errors = require('internal/errors')
local options = require('internal/options')

local type, select, unpack, error = type, select, unpack, error
local shared = ffi.cast('double *', options.shared)
local TICKS, STOPPED = 1, 3

local fns, args = {}, {}
local head, tail = 1, 0

local function nextTick(fn, ...)
  if type(fn) ~= 'function' then
    error(errors.ERR_INVALID_ARG_TYPE('callback', 'of type function', fn), 0)
  end
  tail = tail + 1
  fns[tail] = fn
  if select('#', ...) > 0 then args[tail] = { n = select('#', ...), ... } end
  shared[TICKS] = 1
end

-- Runs the queue until it is empty, ticks queued meanwhile included. Each
-- entry leaves the queue before it runs, so when one raises, the next
-- call goes on with the rest. Indexes restart at 1 whenever the queue
-- empties, so a long chain of ticks reuses the same few slots.
local function processTicks()
  while head <= tail do
    if shared[STOPPED] ~= 0 then return end
    local i = head
    local fn, a = fns[i], args[i]
    fns[i] = nil
    if a then args[i] = nil end
    if i == tail then head, tail = 1, 0 else head = i + 1 end
    if a then fn(unpack(a, 1, a.n)) else fn() end
  end
  shared[TICKS] = 0
end

return { nextTick = nextTick, processTicks = processTicks }
