-- dns.lookup and dns.lookupService, on libuv's getaddrinfo and
-- getnameinfo (the system resolver, run in the thread pool), as Node's
-- lib/dns.js. The resolver calls (resolve4, ...) are not here.
local require, binding = ...

local errors = require('internal/errors')
local ticks = require('internal/ticks')
local db = binding('dns')
local errname = binding('errors').errname

local type, error, tostring, format = type, error, tostring, string.format
local nextTick = ticks.nextTick
local bit = require('bit')
local band, bnot, bor = bit.band, bit.bnot, bit.bor

local ADDRCONFIG, V4MAPPED, ALL = db.ADDRCONFIG, db.V4MAPPED, db.ALL
local EAI_NODATA, EAI_NONAME = db.EAI_NODATA, db.EAI_NONAME
local isIP = db.isIP

local dns = {
  ADDRCONFIG = ADDRCONFIG,
  V4MAPPED = V4MAPPED,
  ALL = ALL,
}

local verbatimDefault = true

-- Node's dnsException: 'getaddrinfo ENOTFOUND nosuch.invalid'.
-- EAI_NONAME and EAI_NODATA are both ENOTFOUND, a name Node made up long
-- ago and kept; other codes keep libuv's names (EAI_AGAIN, ...).
local function dnsException(errno, syscall, hostname)
  local code
  if errno == EAI_NONAME or errno == EAI_NODATA then
    code = 'ENOTFOUND'
  else
    code = errname(errno)
  end
  local msg = syscall .. ' ' .. code
  if hostname and hostname ~= '' then msg = msg .. ' ' .. hostname end
  local e = errors.new('Error', code, msg)
  e.errno, e.syscall = errno, syscall
  if hostname and hostname ~= '' then e.hostname = hostname end
  return e
end
dns._exception = dnsException

-- validateOneOf: "The property 'options.family' must be one of: 0, 4, 6."
local function badFamily(name, value)
  local what = name:find('%.') and 'property' or 'argument'
  local shown = type(value) == 'string' and format("'%s'", value) or tostring(value)
  return errors.new('TypeError', 'ERR_INVALID_ARG_VALUE',
    format("The %s '%s' must be one of: 0, 4, 6. Received %s", what, name, shown))
end

local function checkFamily(v, name)
  if v ~= 0 and v ~= 4 and v ~= 6 then error(badFamily(name, v), 0) end
  return v
end

local function checkBoolean(v, name)
  if type(v) ~= 'boolean' then
    error(errors.ERR_INVALID_ARG_TYPE(name, 'of type boolean', v), 0)
  end
  return v
end

-- The answers as {address, family} tables, for all = true.
local function toList(flat)
  local list = {}
  for i = 1, #flat, 2 do
    list[#list + 1] = { address = flat[i], family = flat[i + 1] }
  end
  return list
end

-- dns.lookup(hostname, [options | family], cb(err, address, family)).
function dns.lookup(hostname, options, cb)
  local family, hints, all, verbatim = 0, 0, false, verbatimDefault
  if hostname ~= nil and hostname ~= false then errors.checkString(hostname, 'hostname') end
  local to = type(options)
  if to == 'function' then
    cb = options
  elseif to == 'number' then
    errors.checkFunction(cb, 'callback')
    family = checkFamily(options, 'family')
  elseif options ~= nil and to ~= 'table' then
    errors.checkFunction(cb, 'callback')
    error(errors.ERR_INVALID_ARG_TYPE('options', 'of type object or integer', options), 0)
  else
    errors.checkFunction(cb, 'callback')
    if options then
      if options.hints ~= nil then
        errors.checkNumber(options.hints, 'options.hints')
        hints = options.hints
        if hints % 1 ~= 0 or hints < 0 or band(hints, bnot(bor(ADDRCONFIG, V4MAPPED, ALL))) ~= 0 then
          error(errors.ERR_INVALID_ARG_VALUE('hints', hints), 0)
        end
      end
      local f = options.family
      if f == 'IPv4' then
        family = 4
      elseif f == 'IPv6' then
        family = 6
      elseif f ~= nil then
        family = checkFamily(f, 'options.family')
      end
      if options.all ~= nil then all = checkBoolean(options.all, 'options.all') end
      if options.verbatim ~= nil then verbatim = checkBoolean(options.verbatim, 'options.verbatim') end
    end
  end

  if not hostname or hostname == '' then
    if all then
      nextTick(cb, nil, {})
    else
      nextTick(cb, nil, nil, family == 6 and 6 or 4)
    end
    return {}
  end

  local matched = isIP(hostname)
  if matched ~= 0 then
    if all then
      nextTick(cb, nil, { { address = hostname, family = matched } })
    else
      nextTick(cb, nil, hostname, matched)
    end
    return {}
  end

  local ok, errno = db.getaddrinfo(hostname, family, hints, verbatim, function(status, flat)
    if status ~= 0 then
      cb(dnsException(status, 'getaddrinfo', hostname))
    elseif all then
      cb(nil, toList(flat))
    elseif flat[1] == nil then
      cb(dnsException(EAI_NODATA, 'getaddrinfo', hostname))
    else
      cb(nil, flat[1], flat[2])
    end
  end)
  if not ok then nextTick(cb, dnsException(errno, 'getaddrinfo', hostname)) end
  return { hostname = hostname, family = family }
end

-- dns.lookupService(address, port, cb(err, hostname, service)).
function dns.lookupService(address, port, cb)
  if address == nil or port == nil or cb == nil then
    error(errors.new('TypeError', 'ERR_MISSING_ARGS',
      'The "address", "port", and "callback" arguments must be specified'), 0)
  end
  if isIP(address) == 0 then error(errors.ERR_INVALID_ARG_VALUE('address', address), 0) end
  if type(port) ~= 'number' or port ~= port or port % 1 ~= 0 or port < 0 or port > 65535 then
    error(errors.new('RangeError', 'ERR_SOCKET_BAD_PORT',
      'Port should be >= 0 and < 65536. ' .. errors.describe(port) .. '.'), 0)
  end
  errors.checkFunction(cb, 'callback')
  local ok, errno = db.getnameinfo(address, port, function(status, host, service)
    if status ~= 0 then
      cb(dnsException(status, 'getnameinfo', address))
    else
      cb(nil, host, service)
    end
  end)
  if not ok then error(dnsException(errno, 'getnameinfo', address), 0) end
  return {}
end

function dns.getDefaultResultOrder()
  return verbatimDefault and 'verbatim' or 'ipv4first'
end

function dns.setDefaultResultOrder(order)
  if order ~= 'verbatim' and order ~= 'ipv4first' then
    local shown = type(order) == 'string' and format("'%s'", order) or tostring(order)
    error(errors.new('TypeError', 'ERR_INVALID_ARG_VALUE',
      "The argument 'dnsOrder' must be one of: 'verbatim', 'ipv4first'. Received " .. shown), 0)
  end
  verbatimDefault = order == 'verbatim'
end

dns.isIP = isIP

return dns
