-- Hot reload: a running program picks up new code without restarting.
-- It watches a module file with fs.watch; when the file changes, it
-- deletes the module's entry from require.cache and requires it again.
--
-- This demo runs by itself and ends: it writes a module, loads it,
-- rewrites it twice, shows the new value each time, then exits.
local fs = require('fs')
local os = require('os')

local dir = fs.mkdtempSync(os.tmpdir() .. '/lode-hot-')
local file = dir .. '/greeting.lua'

local function writeModule(version)
  fs.writeFileSync(file, ("return { version = %d, text = 'hello from version %d' }\n"):format(version, version))
end

writeModule(1)
local key = fs.realpathSync(file) -- require.cache is keyed by real path
local greeting = require(file)
print('loaded:   ' .. greeting.text)

local watcher
local versions = { 2, 3 }
local reloads = 0

local function reload()
  require.cache[key] = nil
  local ok, fresh = pcall(require, file)
  if not ok or fresh.version == greeting.version then return end -- half-written or no change yet
  greeting = fresh
  reloads = reloads + 1
  print('reloaded: ' .. greeting.text)
  if reloads == #versions then
    watcher:close()
    fs.rmSync(dir, { recursive = true })
  else
    setTimeout(writeModule, 50, versions[reloads + 1])
  end
end

-- Editors often replace the file (a 'rename'), so watch the folder and
-- look for the file's name.
watcher = fs.watch(dir, function(_, filename)
  if filename == 'greeting.lua' then reload() end
end)

setTimeout(writeModule, 50, versions[1])
