-- The script of examples/embed/host.c: the host's `game` module, timers,
-- a TCP server and client, and a module reloaded when it changes.
local game = require('game')
local modPath = process.env.GAME_MOD

local weapon = require(modPath)
print('weapon damage ' .. weapon.damage)

local frames = 0
game.on('frame', function(n) frames = frames + 1 end)

game.on('reload', function()
  -- Forget the cached module, then load the changed file again.
  require.cache[require.resolve(modPath)] = nil
  weapon = require(modPath)
  print('reloaded: weapon damage ' .. weapon.damage)
end)

-- A TCP echo server and a client talking to it, on the same loop as the
-- frames.
local net = require('net')
local echoed = nil
local server = net.createServer(function(socket)
  socket:on('data', function(data) socket:write(data) end)
end)
server:listen(0, '127.0.0.1', function()
  local client = net.connect(server:address().port, '127.0.0.1')
  client:on('data', function(data)
    echoed = data
    print('echo: ' .. data)
    client:destroy()
  end)
  client:write('ping')
end)

setTimeout(function()
  print('timer fired at frame ' .. game.frame() .. ', frame events: ' .. frames)
  server:close()
  -- Without the echo the host never hears quit and fails the run.
  assert(echoed == 'ping', 'the TCP echo did not come back')
  game.quit()
end, 100)
