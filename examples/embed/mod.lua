-- A mod that misbehaves, run by examples/embed/mod_host.c in a sandbox.
for _, try in ipairs({
  function() return io.open('/etc/passwd') end,
  function() return os.execute('rm -rf /') end,
  function() return require('ffi') end,
  function() return require('fs') end,
}) do
  local ok, err = pcall(try)
  print('refused: ' .. tostring(not ok) .. ' (' .. tostring(err.message or err):match('[^\n]*') .. ')')
end

local beats = 0
local iv = setInterval(function() beats = beats + 1 end, 5)
setTimeout(function() while true do end end, 10)                         -- hangs
setTimeout(function() local t = {} while true do t[#t + 1] = {} end end, 20) -- eats memory
setTimeout(function() error('a plain bug') end, 30)
setTimeout(function()
  clearInterval(iv)
  print('the mod kept beating: ' .. tostring(beats > 5))
end, 300)
