-- fs: Node's file system module, in callback and Sync form, over
-- modules/fs.c.
--
-- Each call checks its arguments (raising Node's error tables before
-- anything starts), then calls the binding: with a callback for the async
-- form, without one for Sync. A failure libuv reports at once reaches the
-- callback on the next tick, never synchronously.
--
-- Stats come from an array of doubles the binding fills (see
-- modules/fs.c); statSync is one FFI call, so a loop of them compiles.
--
-- The walks (mkdir recursive, rm recursive, cp, writeFile) are written once
-- over `op(name, ...)`, which is the binding called directly in Sync form
-- and, in the async form, the binding called with a callback from inside
-- a coroutine that waits for it: one algorithm, two drivers.
local require, binding = ...

local ffi = require('ffi')
local bit = require('bit')
local errors = require('internal/errors')
local ticks = require('internal/ticks')
local EventEmitter = require('events')
local Buffer = require('buffer').Buffer
local pathmod = require('path')
local timers = require('timers')
local uv = binding('fs')

local type, error, select, unpack, setmetatable, getmetatable =
  type, error, select, unpack, setmetatable, getmetatable
local find, format = string.find, string.format
local band, bor = bit.band, bit.bor
local istype = ffi.istype
local co_create, co_resume, co_yield, co_running = coroutine.create, coroutine.resume, coroutine.yield, coroutine.running
local nextTick = ticks.nextTick
local uvErr = errors.uv
local BufT = ffi.typeof('lode_buffer')

local fs = {}

-- Constants -----------------------------------------------------------------

local K = uv.constants()
local constants = {}
for _, k in ipairs({ 'O_RDONLY', 'O_WRONLY', 'O_RDWR', 'S_IFMT', 'S_IFREG', 'S_IFDIR',
  'S_IFCHR', 'S_IFBLK', 'S_IFIFO', 'S_IFLNK', 'S_IFSOCK', 'O_CREAT', 'O_EXCL',
  'UV_FS_O_FILEMAP', 'O_NOCTTY', 'O_TRUNC', 'O_APPEND', 'O_DIRECTORY', 'O_NOATIME',
  'O_NOFOLLOW', 'O_SYNC', 'O_DSYNC', 'O_DIRECT', 'O_NONBLOCK', 'S_IRWXU', 'S_IRUSR',
  'S_IWUSR', 'S_IXUSR', 'S_IRWXG', 'S_IRGRP', 'S_IWGRP', 'S_IXGRP', 'S_IRWXO',
  'S_IROTH', 'S_IWOTH', 'S_IXOTH', 'F_OK', 'R_OK', 'W_OK', 'X_OK', 'UV_FS_SYMLINK_DIR',
  'UV_FS_SYMLINK_JUNCTION', 'UV_FS_COPYFILE_EXCL', 'COPYFILE_EXCL',
  'UV_FS_COPYFILE_FICLONE', 'COPYFILE_FICLONE', 'UV_FS_COPYFILE_FICLONE_FORCE',
  'COPYFILE_FICLONE_FORCE', 'UV_DIRENT_UNKNOWN', 'UV_DIRENT_FILE', 'UV_DIRENT_DIR',
  'UV_DIRENT_LINK', 'UV_DIRENT_FIFO', 'UV_DIRENT_SOCKET', 'UV_DIRENT_CHAR',
  'UV_DIRENT_BLOCK' }) do
  constants[k] = K[k]
end
fs.constants = constants
fs.F_OK, fs.R_OK, fs.W_OK, fs.X_OK = K.F_OK, K.R_OK, K.W_OK, K.X_OK

local O_RDONLY, O_WRONLY, O_RDWR = K.O_RDONLY, K.O_WRONLY, K.O_RDWR
local O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC = K.O_CREAT, K.O_EXCL, K.O_TRUNC, K.O_APPEND, K.O_SYNC
local S_IFMT = K.S_IFMT

local FLAGS = {
  r = O_RDONLY, rs = bor(O_RDONLY, O_SYNC), sr = bor(O_RDONLY, O_SYNC),
  ['r+'] = O_RDWR, ['rs+'] = bor(O_RDWR, O_SYNC), ['sr+'] = bor(O_RDWR, O_SYNC),
  w = bor(O_TRUNC, O_CREAT, O_WRONLY), wx = bor(O_TRUNC, O_CREAT, O_WRONLY, O_EXCL),
  xw = bor(O_TRUNC, O_CREAT, O_WRONLY, O_EXCL),
  ['w+'] = bor(O_TRUNC, O_CREAT, O_RDWR), ['wx+'] = bor(O_TRUNC, O_CREAT, O_RDWR, O_EXCL),
  ['xw+'] = bor(O_TRUNC, O_CREAT, O_RDWR, O_EXCL),
  a = bor(O_APPEND, O_CREAT, O_WRONLY), ax = bor(O_APPEND, O_CREAT, O_WRONLY, O_EXCL),
  xa = bor(O_APPEND, O_CREAT, O_WRONLY, O_EXCL), as = bor(O_APPEND, O_CREAT, O_WRONLY, O_SYNC),
  sa = bor(O_APPEND, O_CREAT, O_WRONLY, O_SYNC),
  ['a+'] = bor(O_APPEND, O_CREAT, O_RDWR), ['ax+'] = bor(O_APPEND, O_CREAT, O_RDWR, O_EXCL),
  ['xa+'] = bor(O_APPEND, O_CREAT, O_RDWR, O_EXCL), ['as+'] = bor(O_APPEND, O_CREAT, O_RDWR, O_SYNC),
  ['sa+'] = bor(O_APPEND, O_CREAT, O_RDWR, O_SYNC),
}

-- Checks --------------------------------------------------------------------

local function raise(e) error(e, 0) end

local function checkPath(p, name)
  name = name or 'path'
  if istype(BufT, p) then p = p:toString() end
  if type(p) ~= 'string' then
    raise(errors.ERR_INVALID_ARG_TYPE(name, 'of type string or an instance of Buffer or URL', p))
  end
  if find(p, '\0', 1, true) then
    raise(errors.new('TypeError', 'ERR_INVALID_ARG_VALUE', format(
      "The argument '%s' must be a string, Uint8Array, or URL without null bytes. Received '%s'",
      name, (p:gsub('%z', '\\x00')))))
  end
  return p
end

local function checkCb(cb)
  if type(cb) ~= 'function' then raise(errors.ERR_INVALID_ARG_TYPE('cb', 'of type function', cb)) end
  return cb
end

local function checkFd(fd)
  return errors.checkInteger(fd, 'fd', 0, 2147483647)
end

local function flagsOf(f, def)
  if f == nil then return def end
  if type(f) == 'number' then return f end
  local n = type(f) == 'string' and FLAGS[f]
  if not n then raise(errors.ERR_INVALID_ARG_VALUE('flags', f)) end
  return n
end

local function modeOf(m, def, name)
  if m == nil and def ~= nil then return def end
  if type(m) == 'string' and find(m, '^[0-7]+$') then return tonumber(m, 8) end
  if type(m) ~= 'number' then raise(errors.ERR_INVALID_ARG_TYPE(name or 'mode', 'of type number', m)) end
  return errors.checkInteger(m, name or 'mode', 0, 4294967295)
end

local function optsOf(o, name)
  if o == nil or type(o) == 'function' then return {} end
  if type(o) == 'string' then return { encoding = o } end
  if type(o) ~= 'table' then raise(errors.ERR_INVALID_ARG_TYPE(name or 'options', 'of type object', o)) end
  return o
end

-- Calling the binding ---------------------------------------------------------

-- The async shapes: cb(err) and cb(err, value).
local function done0(cb, syscall, path, dest)
  return function(e)
    if e then cb(uvErr(e, syscall, path, dest)) else cb(nil) end
  end
end

local function done1(cb, syscall, path, dest)
  return function(e, v)
    if e then cb(uvErr(e, syscall, path, dest)) else cb(nil, v) end
  end
end

-- After an async start: a refusal reaches the callback on the next tick.
local function started(ok, e, cb, syscall, path, dest)
  if not ok then nextTick(cb, uvErr(e, syscall, path, dest)) end
end

local function sync(r, e, syscall, path, dest)
  if r == nil then raise(uvErr(e, syscall, path, dest)) end
  return r
end

-- fs.jsname and fs.jsnameSync for a call whose arguments `check` checks
-- and returns as the binding takes them (at most three).
local function defineSync(name, syscall, nres, check, hasPath, hasDest)
  local f = uv[name]
  return function(...)
    local a, b, c = check(...)
    local r, e = f(a, b, c)
    if r == nil then raise(uvErr(e, syscall, hasPath and a or nil, hasDest and b or nil)) end
    if nres == 0 then return nil end
    return r
  end
end

-- The callback goes right after the checked arguments.
local function count(...) return select('#', ...), ... end

local function defineAsync(name, syscall, nres, check, hasPath, hasDest)
  local f = uv[name]
  local done = nres == 0 and done0 or done1
  return function(...)
    local n = select('#', ...)
    local cb = n > 0 and select(n, ...) or nil
    checkCb(cb)
    local n, a, b, c = count(check(...))
    local p, d = hasPath and a or nil, hasDest and b or nil
    local w = done(cb, syscall, p, d)
    local ok, e
    if n == 1 then ok, e = f(a, w)
    elseif n == 2 then ok, e = f(a, b, w)
    else ok, e = f(a, b, c, w) end
    started(ok, e, cb, syscall, p, d)
  end
end

local function both(name, jsname, syscall, nres, check, hasPath, hasDest)
  fs[jsname] = defineAsync(name, syscall, nres, check, hasPath, hasDest)
  fs[jsname .. 'Sync'] = defineSync(name, syscall, nres, check, hasPath, hasDest)
end

local function argPath(p) return checkPath(p) end
local function argFd(fd) return checkFd(fd) end
local function argTwo(a, b) return checkPath(a, 'oldPath'), checkPath(b, 'newPath') end

both('close', 'close', 'close', 0, argFd)
both('fsync', 'fsync', 'fsync', 0, argFd)
both('fdatasync', 'fdatasync', 'fdatasync', 0, argFd)
both('rmdir', 'rmdir', 'rmdir', 0, argPath, true)
both('unlink', 'unlink', 'unlink', 0, argPath, true)
both('readlink', 'readlink', 'readlink', 1, argPath, true)
both('rename', 'rename', 'rename', 0, argTwo, true, true)
both('link', 'link', 'link', 0, function(a, b) return checkPath(a, 'existingPath'), checkPath(b, 'newPath') end, true, true)
both('chmod', 'chmod', 'chmod', 0, function(p, m) return checkPath(p), modeOf(m, nil, 'mode') end, true)
both('fchmod', 'fchmod', 'fchmod', 0, function(fd, m) return checkFd(fd), modeOf(m, nil, 'mode') end)
local function ids(u, g)
  return errors.checkInteger(u, 'uid', -1, 4294967295), errors.checkInteger(g, 'gid', -1, 4294967295)
end
both('chown', 'chown', 'chown', 0, function(p, u, g) local a, b = ids(u, g) return checkPath(p), a, b end, true)
both('lchown', 'lchown', 'lchown', 0, function(p, u, g) local a, b = ids(u, g) return checkPath(p), a, b end, true)
both('fchown', 'fchown', 'fchown', 0, function(fd, u, g) local a, b = ids(u, g) return checkFd(fd), a, b end)

-- Times: numbers are seconds (Node's rule; a Date has no Lua form).
local function secs(t, name)
  if type(t) == 'string' and tonumber(t) then return tonumber(t) end
  if type(t) ~= 'number' then raise(errors.ERR_INVALID_ARG_TYPE(name, 'of type number', t)) end
  return t
end
both('utime', 'utimes', 'utime', 0, function(p, a, m) return checkPath(p), secs(a, 'atime'), secs(m, 'mtime') end, true)
both('lutime', 'lutimes', 'lutime', 0, function(p, a, m) return checkPath(p), secs(a, 'atime'), secs(m, 'mtime') end, true)
both('futime', 'futimes', 'futime', 0, function(fd, a, m) return checkFd(fd), secs(a, 'atime'), secs(m, 'mtime') end)

local function argCopy(a, b, mode)
  if type(mode) == 'function' then mode = nil end
  return checkPath(a, 'src'), checkPath(b, 'dest'), modeOf(mode, 0, 'mode')
end
both('copyfile', 'copyFile', 'copyfile', 0, argCopy, true, true)

local function argSymlink(target, p, typ)
  if type(typ) == 'function' then typ = nil end
  local flags = 0
  if typ == 'dir' then flags = K.UV_FS_SYMLINK_DIR
  elseif typ == 'junction' then flags = K.UV_FS_SYMLINK_JUNCTION end
  return checkPath(target, 'target'), checkPath(p), flags
end
both('symlink', 'symlink', 'symlink', 0, argSymlink, true, true)

local function argRealpath(p) return checkPath(p) end
both('realpath', 'realpath', 'realpath', 1, argRealpath, true)

local function argAccess(p, mode)
  if type(mode) == 'function' then mode = nil end
  return checkPath(p), modeOf(mode, K.F_OK, 'mode')
end
both('access', 'access', 'access', 0, argAccess, true)

local function argMkdtemp(prefix)
  return checkPath(prefix, 'prefix') .. 'XXXXXX'
end
both('mkdtemp', 'mkdtemp', 'mkdtemp', 1, argMkdtemp, true)

-- open(path, [flags], [mode], cb) -> fd.
local function argOpen(p, flags, mode)
  if type(flags) == 'function' then flags, mode = nil, nil end
  if type(mode) == 'function' then mode = nil end
  return checkPath(p), flagsOf(flags, O_RDONLY), modeOf(mode, 438)
end
both('open', 'open', 'open', 1, argOpen, true)

-- Stats -----------------------------------------------------------------------

local statfn, statloop, statarr = uv.statfn()
local fastStat = ffi.cast('int (*)(void *, const char *, int, int, double *)', statfn)
local S = ffi.cast('double *', statarr)
statloop = ffi.cast('void *', statloop)

local Stats = {}
Stats.__index = Stats
Stats.__name = 'Stats'
fs.Stats = Stats

local function kindIs(t)
  return function(self)
    if getmetatable(self) ~= Stats then raise(errors.ERR_INVALID_THIS('Stats')) end
    return band(self.mode, S_IFMT) == t
  end
end
Stats.isFile = kindIs(K.S_IFREG)
Stats.isDirectory = kindIs(K.S_IFDIR)
Stats.isSymbolicLink = kindIs(K.S_IFLNK)
Stats.isFIFO = kindIs(K.S_IFIFO)
Stats.isSocket = kindIs(K.S_IFSOCK)
Stats.isBlockDevice = kindIs(K.S_IFBLK)
Stats.isCharacterDevice = kindIs(K.S_IFCHR)

-- The stat at S[o .. o+13] of an array of doubles as a Stats. atime, mtime, ctime and birthtime
-- are the same milliseconds as the *Ms fields (Lua has no Date).
local function makeStatsAt(S, o)
  local at, mt, ct, bt = S[o + 10], S[o + 11], S[o + 12], S[o + 13]
  return setmetatable({
    dev = S[o], mode = S[o + 1], nlink = S[o + 2], uid = S[o + 3], gid = S[o + 4],
    rdev = S[o + 5], blksize = S[o + 6], ino = S[o + 7], size = S[o + 8], blocks = S[o + 9],
    atimeMs = at, mtimeMs = mt, ctimeMs = ct, birthtimeMs = bt,
    atime = at, mtime = mt, ctime = ct, birthtime = bt,
  }, Stats)
end

local function makeStats(o) return makeStatsAt(S, o) end

local function statDone(cb, syscall, p)
  return function(e)
    if e then cb(uvErr(e, syscall, p)) else cb(nil, makeStats(0)) end
  end
end

local function statAsync(name, syscall, check)
  local f = uv[name]
  return function(p, opts, cb)
    if cb == nil then cb = opts end
    checkCb(cb)
    p = check(p)
    local ok, e = f(p, statDone(cb, syscall, type(p) == 'string' and p or nil))
    started(ok, e, cb, syscall, type(p) == 'string' and p or nil)
  end
end
fs.fstat = statAsync('fstat', 'fstat', checkFd)

-- stat and lstat by path are batched: those issued in one tick go to the
-- thread pool as jobs of up to BATCH paths each (binding's statbatch), so
-- 20,000 stats issued at once cost 160 hand-offs to a thread, not 20,000.
-- The callbacks of a batch run in order; when one raises, the rest run on
-- the next tick and the error goes on to uncaughtException.
local BATCH = 128
local ROW = 15
local batches = { [0] = { paths = {}, cbs = {}, n = 0 }, [1] = { paths = {}, cbs = {}, n = 0 } }
local flushQueued = false

local function deliver(b)
  local cbs, res, errs = b.cbs, b.res, b.errs
  while b.i <= b.n do
    local i = b.i
    b.i = i + 1
    if errs[i] then cbs[i](res[i]) else cbs[i](nil, res[i]) end
  end
end

local function deliverSafely(b)
  local ok, err = pcall(deliver, b)
  if not ok then
    nextTick(deliverSafely, b)
    error(err, 0)
  end
end

local function submit(kind)
  local q = batches[kind]
  if q.n == 0 then return end
  local paths, cbs, n = q.paths, q.cbs, q.n
  batches[kind] = { paths = {}, cbs = {}, n = 0 }
  local syscall = kind == 1 and 'lstat' or 'stat'
  local ok, e = uv.statbatch(paths, kind == 1, function(rows, count)
    local R = ffi.cast('double *', rows)
    local res, errs = {}, {}
    for i = 1, count do
      local o = (i - 1) * ROW
      local st = R[o]
      if st == 0 then
        res[i] = makeStatsAt(R, o + 1)
      else
        res[i], errs[i] = uvErr(st, syscall, paths[i]), true
      end
    end
    deliverSafely({ cbs = cbs, res = res, errs = errs, i = 1, n = count })
  end)
  if not ok then
    for i = 1, n do nextTick(cbs[i], uvErr(e, syscall, paths[i])) end
  end
end

local function flush()
  flushQueued = false
  submit(0)
  submit(1)
end

local function batchedStat(kind)
  return function(p, opts, cb)
    if cb == nil then cb = opts end
    checkCb(cb)
    p = checkPath(p)
    local q = batches[kind]
    local n = q.n + 1
    q.paths[n], q.cbs[n], q.n = p, cb, n
    if n == BATCH then
      submit(kind)
    elseif not flushQueued then
      flushQueued = true
      nextTick(flush)
    end
  end
end
fs.stat = batchedStat(0)
fs.lstat = batchedStat(1)

local function statSyncOf(kind, syscall)
  return function(p, opts)
    local fd = 0
    if kind == 2 then fd = checkFd(p) p = nil else p = checkPath(p) end
    local st = fastStat(statloop, p, kind, fd, S)
    if st ~= 0 then
      if type(opts) == 'table' and opts.throwIfNoEntry == false and st == -2 then return nil end
      raise(uvErr(st, syscall, p))
    end
    return makeStats(0)
  end
end
fs.statSync = statSyncOf(0, 'stat')
fs.lstatSync = statSyncOf(1, 'lstat')
fs.fstatSync = statSyncOf(2, 'fstat')

function fs.statfs(p, opts, cb)
  if cb == nil then cb = opts end
  checkCb(cb)
  p = checkPath(p)
  started(uv.statfs(p, done1(cb, 'statfs', p)), cb, 'statfs', p)
end

function fs.statfsSync(p)
  p = checkPath(p)
  local r, e = uv.statfs(p)
  return sync(r, e, 'statfs', p)
end

-- exists: Node's lenient pair.
function fs.existsSync(p)
  if istype(BufT, p) then p = p:toString() end
  if type(p) ~= 'string' or find(p, '\0', 1, true) then return false end
  return fastStat(statloop, p, 0, 0, S) == 0
end

function fs.exists(p, cb)
  checkCb(cb)
  if istype(BufT, p) then p = p:toString() end
  if type(p) ~= 'string' or find(p, '\0', 1, true) then
    nextTick(cb, false)
    return
  end
  local ok = uv.access(p, K.F_OK, function(e) cb(e == nil) end)
  if not ok then nextTick(cb, false) end
end

-- read and write --------------------------------------------------------------

local function notBuffer(v)
  raise(errors.ERR_INVALID_ARG_TYPE('buffer', 'an instance of Buffer, TypedArray, or DataView', v))
end

-- offset (1-based, default 1) and length (default: the rest) checked
-- against a Buffer of blen bytes.
local function span(blen, offset, length)
  if offset == nil then offset = 1 end
  errors.checkInteger(offset, 'offset')
  if offset < 1 or offset > blen + 1 then
    raise(errors.ERR_OUT_OF_RANGE('offset', format('>= 1 && <= %d', blen + 1), offset))
  end
  if length == nil then length = blen - offset + 1 end
  errors.checkInteger(length, 'length')
  if length < 0 or length > blen - offset + 1 then
    raise(errors.ERR_OUT_OF_RANGE('length', format('>= 0 && <= %d', blen - offset + 1), length))
  end
  return offset, length
end

-- The read arguments after fd, in any of Node's shapes, checked: returns
-- buffer, offset (1-based), length, position.
local function readArgs(buffer, offset, length, position)
  if type(buffer) == 'table' and offset == nil then
    local o = buffer
    buffer, offset, length, position = o.buffer, o.offset, o.length, o.position
    if buffer == nil then buffer = Buffer.alloc(16384) end
  elseif type(offset) == 'table' then
    local o = offset
    offset, length, position = o.offset, o.length, o.position
  end
  if not istype(BufT, buffer) then notBuffer(buffer) end
  offset, length = span(#buffer, offset, length)
  if position == nil then position = -1 end
  if type(position) == 'cdata' then position = tonumber(position) end
  errors.checkInteger(position, 'position', -1)
  return buffer, offset, length, position
end

function fs.read(fd, ...)
  local n = select('#', ...)
  local cb = n > 0 and select(n, ...) or nil
  checkFd(fd)
  local buffer, offset, length, position
  if n == 1 then
    buffer, offset, length, position = readArgs({})
  else
    local a, b, c, d = ...
    if n < 5 then
      if n == 2 then b = nil elseif n == 3 then c = nil elseif n == 4 then d = nil end
    end
    buffer, offset, length, position = readArgs(a, b, c, d)
  end
  checkCb(cb)
  if length == 0 then
    nextTick(cb, nil, 0, buffer)
    return
  end
  local ok, e = uv.read(fd, buffer, offset - 1, length, position, function(e, nr)
    if e then cb(uvErr(e, 'read')) else cb(nil, nr, buffer) end
  end)
  started(ok, e, cb, 'read')
end

function fs.readSync(fd, buffer, offset, length, position)
  checkFd(fd)
  if not istype(BufT, buffer) then notBuffer(buffer) end
  buffer, offset, length, position = readArgs(buffer, offset, length, position)
  if length == 0 then return 0 end
  local r, e = uv.read(fd, buffer, offset - 1, length, position)
  return sync(r, e, 'read')
end

-- The write arguments after fd: returns data, offset (0-based), length,
-- position.
local function writeArgs(data, a, b, c)
  if type(data) == 'string' then
    -- write(fd, string, [position], [encoding])
    local position, enc = a, b
    if type(position) == 'string' then position, enc = nil, position end
    if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' then data = Buffer.from(data, enc) end
    if position == nil then position = -1 end
    errors.checkInteger(position, 'position', -1)
    return data, 0, #data, position
  end
  if not istype(BufT, data) then
    raise(errors.ERR_INVALID_ARG_TYPE('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', data))
  end
  local offset, length, position = a, b, c
  if type(offset) == 'table' then
    local o = offset
    offset, length, position = o.offset, o.length, o.position
  end
  offset, length = span(#data, offset, length)
  if position == nil then position = -1 end
  errors.checkInteger(position, 'position', -1)
  return data, offset - 1, length, position
end

function fs.write(fd, data, ...)
  local n = select('#', ...)
  local cb = n > 0 and select(n, ...) or nil
  checkCb(cb)
  checkFd(fd)
  local a, b, c
  if n >= 2 then a = ... end
  if n >= 3 then b = select(2, ...) end
  if n >= 4 then c = select(3, ...) end
  local orig = data
  local d, off, len, pos = writeArgs(data, a, b, c)
  local ok, e = uv.write(fd, d, off, len, pos, function(e, nw)
    if e then cb(uvErr(e, 'write')) else cb(nil, nw, orig) end
  end)
  started(ok, e, cb, 'write')
end

function fs.writeSync(fd, data, a, b, c)
  checkFd(fd)
  local d, off, len, pos = writeArgs(data, a, b, c)
  local r, e = uv.write(fd, d, off, len, pos)
  return sync(r, e, 'write')
end

local function vecArgs(list, position, writing)
  if type(list) ~= 'table' then
    raise(errors.ERR_INVALID_ARG_TYPE('buffers', 'an ArrayBufferView[]', list))
  end
  for i = 1, #list do
    local v = list[i]
    if not istype(BufT, v) and not (writing and type(v) == 'string') then
      raise(errors.ERR_INVALID_ARG_TYPE('buffers', 'an ArrayBufferView[]', list))
    end
  end
  if type(position) == 'function' or position == nil then position = -1 end
  errors.checkInteger(position, 'position', -1)
  return position
end

local function vecAsync(name, writing)
  return function(fd, list, position, cb)
    if cb == nil then cb = position end
    checkCb(cb)
    checkFd(fd)
    position = vecArgs(list, position, writing)
    local ok, e = uv[name](fd, list, position, function(e, nb)
      if e then cb(uvErr(e, name)) else cb(nil, nb, list) end
    end)
    started(ok, e, cb, name)
  end
end
fs.readv = vecAsync('readv', false)
fs.writev = vecAsync('writev', true)

function fs.readvSync(fd, list, position)
  checkFd(fd)
  position = vecArgs(list, position, false)
  local r, e = uv.readv(fd, list, position)
  return sync(r, e, 'read')
end

function fs.writevSync(fd, list, position)
  checkFd(fd)
  position = vecArgs(list, position, true)
  local r, e = uv.writev(fd, list, position)
  return sync(r, e, 'write')
end

-- ftruncate/truncate.
local function lenOf(len)
  if len == nil or type(len) == 'function' then return 0 end
  errors.checkInteger(len, 'len')
  return len < 0 and 0 or len
end

function fs.ftruncate(fd, len, cb)
  if cb == nil then cb = len end
  checkCb(cb)
  checkFd(fd)
  started(uv.ftruncate(fd, lenOf(len), done0(cb, 'ftruncate')), cb, 'ftruncate')
end

function fs.ftruncateSync(fd, len)
  checkFd(fd)
  local r, e = uv.ftruncate(fd, lenOf(len))
  sync(r, e, 'ftruncate')
end

-- The two drivers ---------------------------------------------------------------

-- Sync: the binding itself.
local function syncOp(name, ...)
  return uv[name](...)
end

-- Async: the binding with a callback that resumes this coroutine. Returns
-- what the Sync form returns: the values, or nil and an errno.
local function resumer(co)
  return function(...)
    local ok, err = co_resume(co, ...)
    if not ok then error(err, 0) end
  end
end

local function asyncOp(name, ...)
  local n = select('#', ...)
  local args = { ... }
  args[n + 1] = resumer(co_running())
  local ok, e = uv[name](unpack(args, 1, n + 1))
  if not ok then return nil, e end
  local err, a, b = co_yield()
  if err then return nil, err end
  return a, b
end

-- Runs walk(op, ...) in a coroutine from the next tick; cb(err, result).
local function runAsync(cb, walk, ...)
  local n, args = select('#', ...), { ... }
  local co = co_create(function()
    local ok, r = pcall(walk, asyncOp, unpack(args, 1, n))
    if ok then cb(nil, r) else cb(r) end
  end)
  nextTick(resumer(co))
end

local function check(op, syscall, path, dest, r, e, ...)
  if r == nil then raise(uvErr(e, syscall, path, dest)) end
  return r, e, ...
end

-- writeFile and appendFile -------------------------------------------------------

local function dataOf(data, enc)
  if type(data) == 'string' then
    if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' then return Buffer.from(data, enc) end
    return data
  end
  if istype(BufT, data) then return data end
  raise(errors.ERR_INVALID_ARG_TYPE('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data))
end

-- Writes all of data to fd; a short write goes on from where it stopped,
-- and any failure is the result (never a half-written file reported as
-- written).
local function writeAll(op, fd, data, pos)
  local off, len = 0, #data
  while off < len do
    local n, e = op('write', fd, data, off, len - off, pos)
    if n == nil then raise(uvErr(e, 'write')) end
    off = off + n
    if pos >= 0 then pos = pos + n end
  end
end

local function writeFileWalk(op, file, data, flags, mode)
  if type(file) == 'number' then
    writeAll(op, file, data, -1)
    return
  end
  local fd, e = op('open', file, flags, mode)
  if fd == nil then raise(uvErr(e, 'open', file)) end
  local ok, err = pcall(writeAll, op, fd, data, -1)
  local r, ce = op('close', fd)
  if not ok then raise(err) end
  if r == nil then raise(uvErr(ce, 'close')) end
end

local function fileArg(file)
  if type(file) == 'number' then return checkFd(file) end
  return checkPath(file)
end

local function writeFileArgs(file, data, opts, defFlag)
  file = fileArg(file)
  local o = optsOf(opts)
  return file, dataOf(data, o.encoding), flagsOf(o.flag, defFlag), modeOf(o.mode, 438)
end

-- writeFile and appendFile differ only in their default flag.
local function writers(defFlag)
  return function(file, data, opts, cb)
    if cb == nil then cb = opts opts = nil end
    checkCb(cb)
    local f, d, flags, mode = writeFileArgs(file, data, opts, defFlag)
    runAsync(function(err) cb(err) end, writeFileWalk, f, d, flags, mode)
  end, function(file, data, opts)
    writeFileWalk(syncOp, writeFileArgs(file, data, opts, defFlag))
  end
end
fs.writeFile, fs.writeFileSync = writers(FLAGS.w)
fs.appendFile, fs.appendFileSync = writers(FLAGS.a)

-- readFile ------------------------------------------------------------------------

-- Without an encoding the bytes come as a string; 'utf8' gives the same
-- string unchecked; another encoding decodes it through a Buffer.
local function decoded(s, enc)
  if enc == nil or enc == 'utf8' or enc == 'utf-8' then return s end
  if enc == 'buffer' then return Buffer.from(s) end
  return Buffer.from(s):toString(enc)
end

local function readErr(e, syscall, file)
  return uvErr(e, syscall, syscall == 'open' and file or nil)
end

-- A big file (1 MiB or more) is read into a mapping that the binding
-- keeps for the next big one, so reading big files again and again costs
-- no page faults; once no big read came for a second, it is dropped.
local BIG_FILE = uv.bigfile
local spareTimer = nil

local function keepSpare(s)
  if #s + 1 < BIG_FILE then return end
  if spareTimer == nil then
    spareTimer = timers.setTimeout(uv.dropspare, 1000)
    spareTimer:unref()
  else
    spareTimer:refresh()
  end
end

function fs.readFile(file, opts, cb)
  if cb == nil then cb = opts opts = nil end
  checkCb(cb)
  file = fileArg(file)
  local o = optsOf(opts)
  local enc = o.encoding
  if enc ~= nil and enc ~= 'buffer' and not Buffer.isEncoding(enc) then raise(errors.ERR_UNKNOWN_ENCODING(enc)) end
  local flags = flagsOf(o.flag, O_RDONLY)
  local ok, e = uv.readfile(file, flags, function(err, v)
    if err then return cb(readErr(err, v, file)) end
    keepSpare(v)
    cb(nil, decoded(v, enc))
  end)
  if not ok then nextTick(cb, uvErr(e, 'open', file)) end
end

function fs.readFileSync(file, opts)
  file = fileArg(file)
  local o = optsOf(opts)
  local enc = o.encoding
  if enc ~= nil and enc ~= 'buffer' and not Buffer.isEncoding(enc) then raise(errors.ERR_UNKNOWN_ENCODING(enc)) end
  local s, e, syscall = uv.readfile(file, flagsOf(o.flag, O_RDONLY))
  if s == nil then raise(readErr(e, syscall, file)) end
  keepSpare(s)
  return decoded(s, enc)
end

-- Directories -----------------------------------------------------------------------

local function mkdirWalk(op, p, mode, recursive)
  if not recursive then
    check(op, 'mkdir', p, nil, op('mkdir', p, mode))
    return nil
  end
  -- Recursive: the first folder made, or nil when all existed.
  local function make(dir)
    local r, e = op('mkdir', dir, mode)
    if r then return dir end
    if e == -2 then -- ENOENT: make the parent first
      local parent = pathmod.dirname(dir)
      if parent == dir then raise(uvErr(e, 'mkdir', p)) end
      local first = make(parent)
      r, e = op('mkdir', dir, mode)
      if r then return first or dir end
    end
    if e == -17 then -- EEXIST: fine when it is a folder
      local st = op('stat', dir)
      if st and band(S[1], S_IFMT) == K.S_IFDIR then return nil end
      raise(uvErr(dir == p and -17 or -20, 'mkdir', p))
    end
    raise(uvErr(e, 'mkdir', p))
  end
  return make(p)
end

local function mkdirArgs(p, opts)
  p = checkPath(p)
  local mode, recursive = 511, false
  if type(opts) == 'number' or type(opts) == 'string' then mode = modeOf(opts, 511)
  elseif type(opts) == 'table' then
    recursive = opts.recursive == true
    mode = modeOf(opts.mode, 511)
  end
  return p, mode, recursive
end

function fs.mkdir(p, opts, cb)
  if cb == nil then cb = opts opts = nil end
  checkCb(cb)
  local a, b, c = mkdirArgs(p, opts)
  if not c then
    started(uv.mkdir(a, b, done0(cb, 'mkdir', a)), cb, 'mkdir', a)
    return
  end
  runAsync(cb, mkdirWalk, a, b, c)
end

function fs.mkdirSync(p, opts)
  return mkdirWalk(syncOp, mkdirArgs(p, opts))
end

-- Dirent
local Dirent = {}
Dirent.__index = Dirent
Dirent.__name = 'Dirent'
fs.Dirent = Dirent
local function direntIs(t)
  return function(self)
    if getmetatable(self) ~= Dirent then raise(errors.ERR_INVALID_THIS('Dirent')) end
    return self._type == t
  end
end
Dirent.isFile = direntIs(K.UV_DIRENT_FILE)
Dirent.isDirectory = direntIs(K.UV_DIRENT_DIR)
Dirent.isSymbolicLink = direntIs(K.UV_DIRENT_LINK)
Dirent.isFIFO = direntIs(K.UV_DIRENT_FIFO)
Dirent.isSocket = direntIs(K.UV_DIRENT_SOCKET)
Dirent.isCharacterDevice = direntIs(K.UV_DIRENT_CHAR)
Dirent.isBlockDevice = direntIs(K.UV_DIRENT_BLOCK)

local DTYPE = {
  [K.S_IFREG] = K.UV_DIRENT_FILE, [K.S_IFDIR] = K.UV_DIRENT_DIR, [K.S_IFLNK] = K.UV_DIRENT_LINK,
  [K.S_IFIFO] = K.UV_DIRENT_FIFO, [K.S_IFSOCK] = K.UV_DIRENT_SOCKET, [K.S_IFCHR] = K.UV_DIRENT_CHAR,
  [K.S_IFBLK] = K.UV_DIRENT_BLOCK,
}

local function dirent(name, typ, dir)
  if typ == K.UV_DIRENT_UNKNOWN then
    -- Some file systems do not say: ask lstat, as Node does.
    if fastStat(statloop, dir .. '/' .. name, 1, 0, S) == 0 then
      typ = DTYPE[band(S[1], S_IFMT)] or typ
    end
  end
  return setmetatable({ name = name, path = dir, _type = typ }, Dirent)
end

local function readdirResult(names, types, dir, o)
  if o.withFileTypes then
    local list = {}
    for i = 1, #names do list[i] = dirent(names[i], types[i], dir) end
    table.sort(list, function(a, b) return a.name < b.name end)
    return list
  end
  table.sort(names)
  if o.encoding == 'buffer' then
    for i = 1, #names do names[i] = Buffer.from(names[i]) end
  end
  return names
end

function fs.readdir(p, opts, cb)
  if cb == nil then cb = opts opts = nil end
  checkCb(cb)
  p = checkPath(p)
  local o = optsOf(opts)
  local ok, e = uv.scandir(p, function(err, names, types)
    if err then cb(uvErr(err, 'scandir', p)) else cb(nil, readdirResult(names, types, p, o)) end
  end)
  started(ok, e, cb, 'scandir', p)
end

function fs.readdirSync(p, opts)
  p = checkPath(p)
  local o = optsOf(opts)
  local names, types = uv.scandir(p)
  if names == nil then raise(uvErr(types, 'scandir', p)) end
  return readdirResult(names, types, p, o)
end

-- Dir: opendir's handle. Entries come from the binding in batches.
local Dir = {}
Dir.__index = Dir
Dir.__name = 'Dir'
fs.Dir = Dir

local function newDir(h, p)
  return setmetatable({ _h = h, path = p, _q = {}, _qh = 1 }, Dir)
end

local function dirClosed()
  return errors.new('Error', 'ERR_DIR_CLOSED', 'Directory handle was closed')
end

local function checkDir(self)
  if getmetatable(self) ~= Dir then raise(errors.ERR_INVALID_ARG_TYPE('this', 'a Dir', self)) end
  if self._closed then raise(dirClosed()) end
end

local function queueBatch(self, names, types)
  local q = {}
  for i = 1, #names do q[i] = dirent(names[i], types[i], self.path) end
  self._q, self._qh = q, 1
end

function Dir:readSync()
  checkDir(self)
  if self._qh > #self._q then
    local names, types = self._h:read()
    if names == nil then raise(uvErr(types, 'readdir', self.path)) end
    queueBatch(self, names, types)
  end
  local d = self._q[self._qh]
  if d then self._qh = self._qh + 1 end
  return d
end

function Dir:read(cb)
  checkDir(self)
  checkCb(cb)
  if self._qh <= #self._q then
    local d = self._q[self._qh]
    self._qh = self._qh + 1
    nextTick(cb, nil, d)
    return
  end
  local ok, e = self._h:read(function(err, names, types)
    if err then cb(uvErr(err, 'readdir', self.path)) return end
    queueBatch(self, names, types)
    local d = self._q[1]
    if d then self._qh = 2 end
    cb(nil, d)
  end)
  started(ok, e, cb, 'readdir', self.path)
end

-- for dirent in dir:entries() do ... end: reads synchronously and closes
-- the Dir at the end.
function Dir:entries()
  checkDir(self)
  return function()
    if self._closed then return nil end
    local d = self:readSync()
    if d == nil then self:closeSync() end
    return d
  end
end

function Dir:closeSync()
  checkDir(self)
  self._closed = true
  local r, e = self._h:close()
  sync(r, e, 'closedir', self.path)
end

function Dir:close(cb)
  if cb ~= nil then checkCb(cb) end
  checkDir(self)
  self._closed = true
  cb = cb or function(err) if err then error(err, 0) end end
  started(self._h:close(done0(cb, 'closedir', self.path)), cb, 'closedir', self.path)
end

function fs.opendir(p, opts, cb)
  if cb == nil then cb = opts opts = nil end
  checkCb(cb)
  p = checkPath(p)
  local ok, e = uv.opendir(p, function(err, h)
    if err then cb(uvErr(err, 'opendir', p)) else cb(nil, newDir(h, p)) end
  end)
  started(ok, e, cb, 'opendir', p)
end

function fs.opendirSync(p)
  p = checkPath(p)
  local h, e = uv.opendir(p)
  return newDir(sync(h, e, 'opendir', p), p)
end

-- rm and cp ---------------------------------------------------------------------------

local function isDirMode(m) return band(m, S_IFMT) == K.S_IFDIR end

local function rmWalk(op, p, recursive, force)
  local st, e = op('lstat', p)
  if st == nil then
    if e == -2 and force then return end
    raise(uvErr(e, 'lstat', p))
  end
  if not isDirMode(S[1]) then
    check(op, 'rm', p, nil, op('unlink', p))
    return
  end
  if not recursive then
    local err = uvErr(-21, 'rm', p)
    err.code, err.message = 'ERR_FS_EISDIR', format('Path is a directory: rm returned EISDIR (is a directory) %s', p)
    err.name = 'SystemError'
    raise(err)
  end
  local function remove(dir)
    local names, types = op('scandir', dir)
    if names == nil then raise(uvErr(types, 'scandir', dir)) end
    for i = 1, #names do
      local child = dir .. '/' .. names[i]
      if types[i] == K.UV_DIRENT_DIR then remove(child)
      else check(op, 'rm', child, nil, op('unlink', child)) end
    end
    check(op, 'rmdir', dir, nil, op('rmdir', dir))
  end
  remove(p)
end

local function rmArgs(p, opts)
  p = checkPath(p)
  local o = type(opts) == 'table' and opts or {}
  return p, o.recursive == true, o.force == true
end

function fs.rm(p, opts, cb)
  if cb == nil then cb = opts opts = nil end
  checkCb(cb)
  local a, b, c = rmArgs(p, opts)
  runAsync(function(err) cb(err) end, rmWalk, a, b, c)
end

function fs.rmSync(p, opts)
  rmWalk(syncOp, rmArgs(p, opts))
end

local function cpWalk(op, src, dest, recursive, force, errorOnExist)
  local flags = (force and 0) or K.COPYFILE_EXCL
  local function copy(s, d)
    local st, e = op('lstat', s)
    if st == nil then raise(uvErr(e, 'lstat', s)) end
    local mode = S[1]
    if isDirMode(mode) then
      if not recursive then
        local err = errors.new('SystemError', 'ERR_FS_EISDIR',
          format('Recursive option is required to copy a directory: cp returned EISDIR (%s is a directory (not copied)) %s', s, s))
        raise(err)
      end
      local r, me = op('mkdir', d, band(mode, 4095))
      if r == nil and me ~= -17 then raise(uvErr(me, 'mkdir', d)) end
      local names, types = op('scandir', s)
      if names == nil then raise(uvErr(types, 'scandir', s)) end
      for i = 1, #names do copy(s .. '/' .. names[i], d .. '/' .. names[i]) end
    elseif band(mode, S_IFMT) == K.S_IFLNK then
      local target = check(op, 'readlink', s, nil, op('readlink', s))
      local r, le = op('symlink', target, d, 0)
      if r == nil and not (le == -17 and not errorOnExist) then raise(uvErr(le, 'symlink', target, d)) end
    else
      local r, ce = op('copyfile', s, d, flags)
      if r == nil then
        if ce == -17 and not errorOnExist then return end
        raise(uvErr(ce, 'copyfile', s, d))
      end
    end
  end
  copy(src, dest)
end

local function cpArgs(src, dest, opts)
  src, dest = checkPath(src, 'src'), checkPath(dest, 'dest')
  local o = type(opts) == 'table' and opts or {}
  return src, dest, o.recursive == true, o.force ~= false, o.errorOnExist == true
end

function fs.cp(src, dest, opts, cb)
  if cb == nil then cb = opts opts = nil end
  checkCb(cb)
  local a, b, c, d, e = cpArgs(src, dest, opts)
  runAsync(function(err) cb(err) end, cpWalk, a, b, c, d, e)
end

function fs.cpSync(src, dest, opts)
  cpWalk(syncOp, cpArgs(src, dest, opts))
end

function fs.truncate(p, len, cb)
  if cb == nil then cb = len len = nil end
  checkCb(cb)
  if type(p) == 'number' then return fs.ftruncate(p, len, cb) end
  p = checkPath(p)
  len = lenOf(len)
  runAsync(function(err) cb(err) end, function(op)
    local fd = check(op, 'open', p, nil, op('open', p, O_WRONLY, 438))
    local r, e = op('ftruncate', fd, len)
    op('close', fd)
    if r == nil then raise(uvErr(e, 'ftruncate')) end
  end)
end

function fs.truncateSync(p, len)
  if type(p) == 'number' then return fs.ftruncateSync(p, len) end
  p = checkPath(p)
  local fd = fs.openSync(p, 'r+')
  local ok, err = pcall(fs.ftruncateSync, fd, len)
  fs.closeSync(fd)
  if not ok then raise(err) end
end

-- Watching ------------------------------------------------------------------------------

local FSWatcher = EventEmitter:extend('FSWatcher')
fs.FSWatcher = FSWatcher

function FSWatcher:initialize()
  EventEmitter.initialize(self)
end

local function checkWatcher(self, cls)
  if not (type(self) == 'table' and self.instanceof and self:instanceof(cls)) then
    raise(errors.ERR_INVALID_THIS(cls.__name))
  end
end

function FSWatcher:close()
  checkWatcher(self, FSWatcher)
  if self._h == nil then return end
  local h = self._h
  self._h = nil
  h:close()
  nextTick(function() self:emit('close') end)
end

function FSWatcher:ref()
  checkWatcher(self, FSWatcher)
  if self._h then self._h:ref(true) end
  return self
end

function FSWatcher:unref()
  checkWatcher(self, FSWatcher)
  if self._h then self._h:ref(false) end
  return self
end

function fs.watch(p, opts, listener)
  if type(opts) == 'function' then listener, opts = opts, nil end
  p = checkPath(p, 'filename')
  local o = optsOf(opts)
  if listener ~= nil then checkCb(listener) end
  local w = FSWatcher:new()
  local h, e = uv.event(p, o.recursive == true, function(status, events, filename)
    if status < 0 then
      w:emit('error', uvErr(status, 'watch', p))
      w:close()
      return
    end
    local kind = band(events, K.UV_FS_EVENT_RENAME) ~= 0 and 'rename' or 'change'
    if filename ~= nil and o.encoding == 'buffer' then filename = Buffer.from(filename) end
    w:emit('change', kind, filename)
  end)
  if h == nil then raise(uvErr(e, 'watch', p)) end
  w._h = h
  if o.persistent == false then h:ref(false) end
  if listener then w:on('change', listener) end
  return w
end

-- watchFile: one StatWatcher per path, shared by its listeners.
local StatWatcher = EventEmitter:extend('StatWatcher')
fs.StatWatcher = StatWatcher
local statWatchers = {}

function StatWatcher:initialize() EventEmitter.initialize(self) end
function StatWatcher:ref()
  checkWatcher(self, StatWatcher)
  if self._h then self._h:ref(true) end
  return self
end

function StatWatcher:unref()
  checkWatcher(self, StatWatcher)
  if self._h then self._h:ref(false) end
  return self
end

function StatWatcher:stop()
  checkWatcher(self, StatWatcher)
  if self._h == nil then return end
  self._h:close()
  self._h = nil
  nextTick(function() self:emit('stop') end)
end

function fs.watchFile(p, opts, listener)
  if type(opts) == 'function' then listener, opts = opts, nil end
  p = checkPath(p, 'filename')
  checkCb(listener)
  local o = optsOf(opts)
  local interval = o.interval or 5007
  errors.checkInteger(interval, 'interval', 0)
  local w = statWatchers[p]
  if w == nil then
    w = StatWatcher:new()
    local h, e = uv.poll(p, interval, function()
      w:emit('change', makeStats(0), makeStats(14))
    end)
    if h == nil then raise(uvErr(e, 'watch', p)) end
    w._h = h
    if o.persistent == false then h:ref(false) end
    statWatchers[p] = w
  end
  w:on('change', listener)
  return w
end

function fs.unwatchFile(p, listener)
  p = checkPath(p, 'filename')
  local w = statWatchers[p]
  if w == nil then return end
  if listener ~= nil then w:removeListener('change', listener) else w:removeAllListeners('change') end
  if w:listenerCount('change') == 0 then
    w:stop()
    statWatchers[p] = nil
  end
end

-- Streams are in internal/fs_streams.lua (they need stream, which needs
-- fs only through these).
local streams
local function loadStreams()
  streams = streams or require('internal/fs_streams')(fs, { flags = flagsOf, checkPath = checkPath, checkFd = checkFd })
  return streams
end
function fs.createReadStream(p, opts) return loadStreams().createReadStream(p, opts) end
function fs.createWriteStream(p, opts) return loadStreams().createWriteStream(p, opts) end
setmetatable(fs, { __index = function(t, k)
  if k == 'ReadStream' or k == 'WriteStream' then return loadStreams()[k] end
end })

return fs
