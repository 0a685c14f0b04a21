-- http: Node's lib/http.js. The server is lua/internal/http_server.lua,
-- the client and its Agent lua/internal/http_client.lua, what both use
-- lua/internal/http_common.lua; the parser is llhttp, Node's own
-- (modules/http_parser.c).
local require = ...

local errors = require('internal/errors')
local common = require('internal/http_common')
local server = require('internal/http_server')
local client = require('internal/http_client')

local Server = server.Server

local function createServer(options, listener)
  return Server:new(options, listener)
end

return {
  Server = Server,
  ServerResponse = server.ServerResponse,
  IncomingMessage = common.IncomingMessage,
  OutgoingMessage = common.OutgoingMessage,
  createServer = createServer,
  ClientRequest = client.ClientRequest,
  Agent = client.Agent,
  globalAgent = client.globalAgent,
  request = client.request,
  get = client.get,
  STATUS_CODES = common.STATUS_CODES,
  METHODS = common.METHODS,
  maxHeaderSize = 16384,
  validateHeaderName = function(name, label)
    common.validateHeaderName(name, label)
  end,
  validateHeaderValue = function(name, value)
    common.validateHeaderValue(name, value)
  end,
}
