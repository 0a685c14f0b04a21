-- Service discovery over multicast on loopback: three "services" join a
-- group and answer every "who is there?" with their name; a seeker asks
-- the group and lists who answered within half a second, then everyone
-- closes and the process exits.
--
--   lode examples/multicast-discovery.lua
local dgram = require('dgram')

local GROUP, IFACE = '239.255.42.99', '127.0.0.1'
local NAMES = { 'alpha', 'beta', 'gamma' }

local services = {}
local port -- the group's port: the first service picks a free one

local function startService(name, ready)
  local sock = dgram.createSocket({ type = 'udp4', reuseAddr = true })
  sock:on('message', function(msg, rinfo)
    if msg == 'who is there?' then
      sock:send('I am ' .. name, rinfo.port, rinfo.address)
    end
  end)
  sock:bind(port or 0, function()
    port = sock:address().port
    local ok, err = pcall(sock.addMembership, sock, GROUP, IFACE)
    if not ok then
      print(('%s: cannot join %s (%s)'):format(name, GROUP, err.code))
    end
    ready()
  end)
  services[#services + 1] = sock
end

local function seek()
  local sock = dgram.createSocket('udp4')
  local found = {}
  sock:on('message', function(msg, rinfo)
    found[#found + 1] = msg:match('^I am (.+)$')
    print(('answer from %s:%d: %s'):format(rinfo.address, rinfo.port, msg))
  end)
  sock:bind(0, IFACE, function()
    sock:setMulticastInterface(IFACE)
    sock:setMulticastLoopback(true)
    sock:setMulticastTTL(1)
    print(('asking %s:%d'):format(GROUP, port))
    sock:send('who is there?', port, GROUP)
    setTimeout(function()
      table.sort(found)
      print(('%d services found: %s'):format(#found, table.concat(found, ', ')))
      sock:close()
      for _, s in ipairs(services) do s:close() end
    end, 500)
  end)
end

-- Services start one after another, so all share the first one's port.
local i = 0
local function startNext()
  i = i + 1
  if i > #NAMES then return seek() end
  startService(NAMES[i], startNext)
end
startNext()
