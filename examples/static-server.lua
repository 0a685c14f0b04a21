-- Serves the files of a folder over HTTP: content types by extension,
-- index.html for folders, 404 for what is not there, 405 for methods
-- other than GET and HEAD, and no way out of the folder.
--
--   lode examples/static-server.lua [folder] [port]
local http = require('http')
local fs = require('fs')
local path = require('path')

local root = path.resolve(process.argv[2] or '.')
local port = tonumber(process.argv[3]) or 8080

local types = {
  html = 'text/html; charset=utf-8', css = 'text/css', js = 'text/javascript',
  json = 'application/json', txt = 'text/plain; charset=utf-8', png = 'image/png',
  jpg = 'image/jpeg', jpeg = 'image/jpeg', gif = 'image/gif', svg = 'image/svg+xml',
  lua = 'text/plain; charset=utf-8', md = 'text/markdown; charset=utf-8',
}

local function fail(res, code)
  local body = code .. ' ' .. http.STATUS_CODES[code] .. '\n'
  res:writeHead(code, { ['Content-Type'] = 'text/plain', ['Content-Length'] = #body })
  res:finish(body)
end

-- '/a%20b/../c' -> a path under root, or nil when it would leave it.
local function resolve(url)
  local p = url:match('^[^?#]*')
  p = p:gsub('%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end)
  if p:find('%z') then return nil end
  local full = path.join(root, path.normalize('/' .. p))
  if full ~= root and full:sub(1, #root + 1) ~= root .. '/' then return nil end
  return full
end

local function send(req, res, file, stat)
  local ext = file:match('%.([%w]+)$')
  res:writeHead(200, {
    ['Content-Type'] = types[ext and ext:lower()] or 'application/octet-stream',
    ['Content-Length'] = stat.size,
  })
  if req.method == 'HEAD' then return res:finish() end
  local stream = fs.createReadStream(file)
  stream:on('error', function() res:destroy() end)
  stream:pipe(res)
end

local server = http.createServer(function(req, res)
  if req.method ~= 'GET' and req.method ~= 'HEAD' then return fail(res, 405) end
  local file = resolve(req.url)
  if not file then return fail(res, 404) end
  fs.stat(file, function(err, stat)
    if err then return fail(res, 404) end
    if stat:isDirectory() then
      file = path.join(file, 'index.html')
      return fs.stat(file, function(err2, stat2)
        if err2 or not stat2:isFile() then return fail(res, 404) end
        send(req, res, file, stat2)
      end)
    end
    send(req, res, file, stat)
  end)
end)

server:listen(port, '127.0.0.1', function()
  print(('serving %s on http://127.0.0.1:%d/'):format(root, server:address().port))
end)
