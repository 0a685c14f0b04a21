local t = require('./helper')
local stream = require('stream')
local Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished =
  stream.Readable, stream.Writable, stream.Duplex, stream.Transform, stream.PassThrough,
  stream.pipeline, stream.finished

-- An error table like the ones streams pass around.
local function E(msg)
  return setmetatable({ message = msg }, { __tostring = function() return msg end })
end

-- Node's String(v) for the values the scenarios print: s for values
-- that went through Array.join (nil is ''), n for the others (nil is null).
local function s(v)
  if v == nil then return '' end
  return tostring(v)
end
local function n(v)
  if v == nil then return 'null' end
  return tostring(v)
end

-- Event orders checked against Node 20: each scenario logs what happens,
-- and the log must equal what the same script logs under node (the
-- expected strings were taken from node runs of twin JS scripts).
local expected = {
  writable_order = 'write a | write b | final | prefinish | sync done | cb a | end cb | finish | close',
  destroy_err_order = 'destroy cb x | sync | error x | close',
  hwm_drain = 'w1 true | w2 false | len 3 nd true | drain 0 | after',
  cork = 'corked 1 len 2 | writev ab | uncorked',
  paused_read = 'len 6 flowing null | read2 ab | read10 null | read cdef | read null | ended false | end true',
  readable_events = 'readable | got x1x2 | readable | readable | end | close',
  pause_resume = 'paused false true | pause | paused true | resume | data a | data b | resume | end',
  unshift = 'hello world',
  push_after_eof = 'push false | error ERR_STREAM_PUSH_AFTER_EOF | close',
  transform_flush = 'data A | data B | flush | data ! | end | finish | close',
  duplex_halfopen = 'end | finish | close',
  finished_premature = 'finished ERR_STREAM_PREMATURE_CLOSE',
  finished_ok = 'finish | close | finished undefined',
  pipeline_error = 'w close | r close | t close | cb bad truetruetrue',
  pipe_end_false = 'w a | ended false',
  multi_callback = 'error ERR_MULTIPLE_CALLBACK',
  not_impl = 'throws ERR_METHOD_NOT_IMPLEMENTED | error ERR_METHOD_NOT_IMPLEMENTED The _read() method is not implemented',
  object_mode = 'hwm 16 true 1 | push17 false len 17 | read 1',
  write_null = 'ERR_STREAM_NULL_VALUES May not write null values to stream | ERR_INVALID_ARG_TYPE',
  end_twice = 'end1 | end2 | finish | late end ERR_STREAM_ALREADY_FINISHED',
  readable_from = 'om true hwm 1 | data a | data b | data c | end | close',
  construct = 'sync | construct | write a | finish',
  sync_write_cb = 'sync | cb a | cb b | tick',
  backpressure = 'reads 4 rlen 10 wlen 10 writes 1 flowing false | reads 4 rlen 10 wlen 5 writes 1',
  emitclose_false = 'finish false | destroyed true closed true',
  autodestroy_false = 'finish | destroyed false',
  write_after_destroy = 'ret false | close | cb ERR_STREAM_DESTROYED',
  destroy_no_err = 'destroyed true readable false | close',
  state_fields = 'true,true,true,false,16,16384,0,0,false,false,false,,false,false,0,false,,true | after end false true false',
  unpipe = 'pipe true | w a | unpipe true | flowing false | len 1',
  transform_backpressure = 'transforms 2 rlen 2 wlen 9 | transforms 10',
  setencoding_hex = '6162',
  finish_cb_error = 'write cb wfail | end cb wfail | error wfail | close',
  final_error = 'error ffail | close',
  pipeline_ok = 'done undefined ab',
  readable_destroy_err = 'errored rr | error rr rr | close true',
  read0 = 'r0 null reads 1 | len 2 | reads 2',
  push_returns = 'true,false,false,5',
  end_event_once = 'ends 1 true',
}

-- run(name, fn): fn(L) sets up streams and logs with L; 100 ms later the
-- log, joined with ' | ', must equal expected[name].
local function run(name, fn)
  t.test('order: ' .. name, function(done)
    local log = {}
    fn(function(x) log[#log + 1] = tostring(x) end)
    setTimeout(function()
      local ok, err = pcall(t.eq, table.concat(log, ' | '), expected[name], name)
      done(not ok and err or nil)
    end, 100)
  end)
end

run('writable_order', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) L('write ' .. c); cb() end, final = function(self, cb) L('final'); cb() end })
  w:on('prefinish', function() L('prefinish') end); w:on('finish', function() L('finish') end); w:on('close', function() L('close') end)
  w:write('a', function() L('cb a') end); w:finish('b', function() L('end cb') end); L('sync done')
end)
run('destroy_err_order', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w:on('error', function(e) L('error ' .. e.message) end); w:on('close', function() L('close') end)
  w:destroy(E('x'), function(e) L('destroy cb ' .. e.message) end); L('sync')
end)
run('hwm_drain', function(L)
  local cbs = {}
  local w = Writable:new({ highWaterMark = 3, write = function(self, c, e, cb) cbs[#cbs+1] = cb end })
  w:on('drain', function() L('drain ' .. w.writableLength) end)
  L('w1 ' .. n(w:write('ab'))); L('w2 ' .. n(w:write('c'))); L('len ' .. w.writableLength .. ' nd ' .. n(w.writableNeedDrain))
  setTimeout(function() table.remove(cbs, 1)(); setTimeout(function() table.remove(cbs, 1)(); L('after') end, 5) end, 5)
end)
run('cork', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) L('write ' .. c); cb() end, writev = function(self, chunks, cb) local t = {}; for i, x in ipairs(chunks) do t[i] = x.chunk end; L('writev ' .. table.concat(t)); cb() end })
  w:cork(); w:write('a'); w:write('b'); L('corked ' .. w.writableCorked .. ' len ' .. w.writableLength); w:uncork(); L('uncorked')
end)
run('paused_read', function(L)
  local r = Readable:new({ read = function() end })
  r:push('abc'); r:push('def')
  L('len ' .. r.readableLength .. ' flowing ' .. n(r.readableFlowing))
  L('read2 ' .. n(r:read(2))); L('read10 ' .. n(r:read(10))); L('read ' .. n(r:read())); L('read ' .. n(r:read()))
  r:push(nil); L('ended ' .. n(r.readableEnded))
  r:on('end', function() L('end ' .. n(r.readableEnded)) end)
  r:read()
end)
run('readable_events', function(L)
  local n = 0
  local r = Readable:new({ read = function(self) n = n + 1; if n <= 2 then self:push('x' .. n) else self:push(nil) end end })
  r:on('readable', function() L('readable'); while true do local c = r:read(); if c == nil then break end; L('got ' .. c) end end)
  r:on('end', function() L('end') end); r:on('close', function() L('close') end)
end)
run('pause_resume', function(L)
  local r = Readable:new({ read = function() end })
  r:on('data', function(c) L('data ' .. c) end); r:on('pause', function() L('pause') end); r:on('resume', function() L('resume') end)
  L('paused ' .. n(r:isPaused()) .. ' ' .. n(r.readableFlowing))
  r:push('a'); r:pause(); r:push('b'); L('paused ' .. n(r:isPaused()))
  setTimeout(function() r:resume(); r:push(nil) end, 5)
  r:on('end', function() L('end') end)
end)
run('unshift', function(L)
  local r = Readable:new({ read = function() end })
  r:push('world'); r:unshift('hello '); L(r:read())
end)
run('push_after_eof', function(L)
  local r = Readable:new({ read = function() end })
  r:on('error', function(e) L('error ' .. e.code) end); r:on('close', function() L('close') end)
  r:push(nil); L('push ' .. n(r:push('x')))
end)
run('transform_flush', function(L)
  local t = Transform:new({ transform = function(self, c, e, cb) cb(nil, c:upper()) end, flush = function(self, cb) L('flush'); cb(nil, '!') end })
  t:on('data', function(c) L('data ' .. c) end); t:on('end', function() L('end') end); t:on('finish', function() L('finish') end); t:on('close', function() L('close') end)
  t:write('a'); t:finish('b')
end)
run('duplex_halfopen', function(L)
  local d = Duplex:new({ allowHalfOpen = false, read = function() end, write = function(self, c, e, cb) cb() end })
  d:on('finish', function() L('finish') end); d:on('end', function() L('end') end); d:on('close', function() L('close') end)
  d:push(nil); d:resume()
end)
run('finished_premature', function(L)
  local r = Readable:new({ read = function() end })
  finished(r, function(err) L('finished ' .. n(err and err.code)) end)
  r:destroy()
end)
run('finished_ok', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w:on('finish', function() L('finish') end); w:on('close', function() L('close') end)
  finished(w, function(err) L('finished ' .. (err == nil and 'undefined' or tostring(err))) end); w:finish('x')
end)
run('pipeline_error', function(L)
  local r = Readable:new({ read = function() end })
  local t = PassThrough:new()
  local w = Writable:new({ write = function(self, c, e, cb) cb(E('bad')) end })
  r:on('close', function() L('r close') end); t:on('close', function() L('t close') end); w:on('close', function() L('w close') end)
  pipeline(r, t, w, function(err) L('cb ' .. err.message .. ' ' .. n(r.destroyed) .. n(t.destroyed) .. n(w.destroyed)) end)
  r:push('x')
end)
run('pipe_end_false', function(L)
  local r = Readable:new({ read = function() end })
  local w = Writable:new({ write = function(self, c, e, cb) L('w ' .. c); cb() end })
  w:on('finish', function() L('finish') end)
  r:pipe(w, { ['end'] = false }); r:push('a'); r:push(nil); r:on('end', function() setTimeout(function() L('ended ' .. n(w.writableEnded)) end, 1) end)
end)
run('multi_callback', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb(); cb() end })
  w:on('error', function(e) L('error ' .. e.code) end)
  w:write('a')
end)
run('not_impl', function(L)
  local r = Readable:new()
  r:on('error', function(e) L('error ' .. e.code .. ' ' .. e.message) end)
  r:read()
  local w = Writable:new()
  w:on('error', function(e) L('werror ' .. e.code .. ' ' .. e.message) end)
  local ok, e = pcall(w.write, w, 'x'); if not ok then L('throws ' .. e.code) end
end)
run('object_mode', function(L)
  local r = Readable:new({ objectMode = true, read = function() end })
  L('hwm ' .. r.readableHighWaterMark .. ' ' .. n(r:push(1)) .. ' ' .. r.readableLength)
  for i = 0, 14 do r:push(i) end
  L('push17 ' .. n(r:push('x')) .. ' len ' .. r.readableLength)
  L('read ' .. n(r:read()))
end)
run('write_null', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  local ok, e = pcall(w.write, w, nil); L(e.code .. ' ' .. e.message)
  ok, e = pcall(w.write, w, 3); L(e.code)
end)
run('end_twice', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w:on('finish', function() L('finish'); w:finish(function(e) L('late end ' .. n(e and e.code)) end) end)
  w:finish(function() L('end1') end); w:finish(function() L('end2') end)
end)
run('readable_from', function(L)
  local r = Readable.from({ 'a', 'b', 'c' })
  r:on('data', function(c) L('data ' .. c) end); r:on('end', function() L('end') end); r:on('close', function() L('close') end)
  L('om ' .. n(r.readableObjectMode) .. ' hwm ' .. r.readableHighWaterMark)
end)
run('construct', function(L)
  local w = Writable:new({ construct = function(self, cb) L('construct'); setTimeout(cb, 2) end, write = function(self, c, e, cb) L('write ' .. c); cb() end })
  w:write('a'); L('sync')
  w:on('finish', function() L('finish') end); w:finish()
end)
run('sync_write_cb', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w:write('a', function() L('cb a') end); w:write('b', function() L('cb b') end); L('sync')
  process.nextTick(function() L('tick') end)
end)
run('backpressure', function(L)
  local reads, pushed = 0, 0
  local r = Readable:new({ highWaterMark = 10, read = function(self) reads = reads + 1; pushed = pushed + 5; self:push(('x'):rep(5)) end })
  local cbs = {}
  local w = Writable:new({ highWaterMark = 10, write = function(self, c, e, cb) cbs[#cbs+1] = cb end })
  r:pipe(w)
  setTimeout(function()
    L('reads ' .. reads .. ' rlen ' .. r.readableLength .. ' wlen ' .. w.writableLength .. ' writes ' .. #cbs .. ' flowing ' .. s(r.readableFlowing))
    table.remove(cbs, 1)()
    setTimeout(function() L('reads ' .. reads .. ' rlen ' .. r.readableLength .. ' wlen ' .. w.writableLength .. ' writes ' .. #cbs); r:destroy(); w:destroy() end, 5)
  end, 10)
end)
run('emitclose_false', function(L)
  local w = Writable:new({ emitClose = false, write = function(self, c, e, cb) cb() end })
  w:on('close', function() L('close') end); w:on('finish', function() L('finish ' .. s(w.destroyed)) end)
  w:finish('x'); setTimeout(function() L('destroyed ' .. s(w.destroyed) .. ' closed ' .. s(w.closed)) end, 5)
end)
run('autodestroy_false', function(L)
  local w = Writable:new({ autoDestroy = false, write = function(self, c, e, cb) cb() end })
  w:on('close', function() L('close') end); w:on('finish', function() L('finish') end)
  w:finish('x'); setTimeout(function() L('destroyed ' .. s(w.destroyed)) end, 5)
end)
run('write_after_destroy', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w:on('error', function(e) L('error ' .. e.code) end); w:on('close', function() L('close') end)
  w:destroy(); L('ret ' .. s(w:write('x', function(e) L('cb ' .. e.code) end)))
end)
run('destroy_no_err', function(L)
  local r = Readable:new({ read = function() end })
  r:on('close', function() L('close') end); r:on('end', function() L('end') end); r:on('error', function() L('error') end)
  r:push('a'); r:destroy(); L('destroyed ' .. s(r.destroyed) .. ' readable ' .. s(r.readable))
end)
run('state_fields', function(L)
  local d = Duplex:new({ readableObjectMode = true, read = function() end, write = function(self, c, e, cb) cb() end })
  local f = { d.readable, d.writable, d.readableObjectMode, d.writableObjectMode, d.readableHighWaterMark, d.writableHighWaterMark, d.readableLength, d.writableLength, d.readableEnded, d.writableEnded, d.writableFinished, d.readableFlowing, d.destroyed, d.writableNeedDrain, d.writableCorked, d.closed, d.errored, d.allowHalfOpen }
  local t = {}; for i = 1, 18 do t[i] = s(f[i]) end
  L(table.concat(t, ','))
  d:finish(); L('after end ' .. s(d.writable) .. ' ' .. s(d.writableEnded) .. ' ' .. s(d.writableFinished))
end)
run('unpipe', function(L)
  local r = Readable:new({ read = function() end })
  local w = Writable:new({ write = function(self, c, e, cb) L('w ' .. c); cb() end })
  w:on('pipe', function(x) L('pipe ' .. s(x == r)) end); w:on('unpipe', function(x) L('unpipe ' .. s(x == r)) end)
  r:pipe(w); r:push('a')
  setTimeout(function() r:unpipe(w); L('flowing ' .. s(r.readableFlowing)); r:push('b'); setTimeout(function() L('len ' .. r.readableLength) end, 2) end, 2)
end)
run('transform_backpressure', function(L)
  local transforms = 0
  local t = Transform:new({ highWaterMark = 2, objectMode = true, transform = function(self, c, e, cb) transforms = transforms + 1; cb(nil, c) end })
  for i = 0, 9 do t:write(i) end
  setTimeout(function() L('transforms ' .. transforms .. ' rlen ' .. t.readableLength .. ' wlen ' .. t.writableLength); t:resume(); setTimeout(function() L('transforms ' .. transforms) end, 2) end, 2)
end)
run('setencoding_hex', function(L)
  local r = Readable:new({ read = function() end })
  r:setEncoding('hex'); r:on('data', function(c) L(c) end); r:push('ab'); r:push(nil)
end)
run('finish_cb_error', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb(E('wfail')) end })
  w:on('error', function(e) L('error ' .. e.message) end); w:on('close', function() L('close') end)
  w:write('a', function(e) L('write cb ' .. e.message) end); w:finish(function(e) L('end cb ' .. s(e and e.message)) end)
end)
run('final_error', function(L)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end, final = function(self, cb) cb(E('ffail')) end })
  w:on('error', function(e) L('error ' .. e.message) end); w:on('finish', function() L('finish') end); w:on('close', function() L('close') end)
  w:finish()
end)
run('pipeline_ok', function(L)
  local out = {}
  pipeline(Readable.from({ 'a', 'b' }), PassThrough:new({ objectMode = true }), Writable:new({ objectMode = true, write = function(self, c, e, cb) out[#out+1] = c; cb() end }), function(err) L('done ' .. (err == nil and 'undefined' or tostring(err)) .. ' ' .. table.concat(out)) end)
end)
run('readable_destroy_err', function(L)
  local r = Readable:new({ read = function() end })
  r:on('error', function(e) L('error ' .. e.message .. ' ' .. r.errored.message) end); r:on('close', function() L('close ' .. s(r.closed)) end)
  r:destroy(E('rr')); L('errored ' .. s(r.errored and r.errored.message))
end)
run('read0', function(L)
  local reads = 0
  local r = Readable:new({ highWaterMark = 4, read = function() reads = reads + 1 end })
  L('r0 ' .. (r:read(0) == nil and 'null' or '?') .. ' reads ' .. reads)
  r:push('ab'); L('len ' .. r.readableLength)
  setTimeout(function() L('reads ' .. reads) end, 2)
end)
run('push_returns', function(L)
  local r = Readable:new({ highWaterMark = 4, read = function() end })
  L(table.concat({ s(r:push('ab')), s(r:push('cd')), s(r:push('e')), s(r.readableLength) }, ','))
end)
run('end_event_once', function(L)
  local ends = 0
  local r = Readable:new({ read = function() end })
  r:on('end', function() ends = ends + 1 end)
  r:push('a'); r:push(nil); r:resume()
  setTimeout(function() r:read(); r:read(); L('ends ' .. ends .. ' ' .. s(r.readableEnded)) end, 5)
end)

-- Module shape ------------------------------------------------------------------

t.test('the module exports the classes and functions', function()
  local EventEmitter = require('events')
  for _, name in ipairs({ 'Stream', 'Readable', 'Writable', 'Duplex', 'Transform', 'PassThrough' }) do
    t.eq(type(stream[name]), 'table', name)
  end
  t.eq(type(pipeline), 'function')
  t.eq(type(finished), 'function')
  t.eq(type(Readable.from), 'function')
  t.ok(stream.Stream:new():instanceof(EventEmitter))
  t.ok(Readable:new():instanceof(stream.Stream))
  t.ok(Transform:new():instanceof(Duplex))
  t.ok(PassThrough:new():instanceof(Transform))
  t.eq(Writable['end'], Writable.finish)
  t.eq(Duplex['end'], Writable.finish)
  t.eq(stream.getDefaultHighWaterMark(false), 16384)
  t.eq(stream.getDefaultHighWaterMark(true), 16)
end)

t.test('default marks: 16 KiB of bytes or 16 objects', function()
  local r, w = Readable:new(), Writable:new()
  t.eq(r.readableHighWaterMark, 16384)
  t.eq(w.writableHighWaterMark, 16384)
  t.eq(Readable:new({ objectMode = true }).readableHighWaterMark, 16)
  local d = Duplex:new({ writableObjectMode = true, readableHighWaterMark = 5 })
  t.eq(d.writableHighWaterMark, 16)
  t.eq(d.writableObjectMode, true)
  t.eq(d.readableObjectMode, false)
  t.eq(d.readableHighWaterMark, 5)
  t.eq(Readable:new({ highWaterMark = 0 }).readableHighWaterMark, 0)
end)

t.test('bad options raise at once', function()
  t.raises(function() Readable:new({ highWaterMark = -1 }) end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() Writable:new({ highWaterMark = 'x' }) end, 'ERR_INVALID_ARG_VALUE')
  t.raises(function() Readable:new('x') end, 'ERR_INVALID_ARG_TYPE')
  local e = t.raises(function() Writable:new({ highWaterMark = -1 }) end, 'ERR_INVALID_ARG_VALUE')
  t.eq(e.message, "The property 'options.highWaterMark' is invalid. Received -1")
end)

t.test('methods called on the wrong object raise ERR_INVALID_THIS', function()
  local r, w = Readable:new(), Writable:new()
  t.raises(function() r.push({}, 'x') end, 'ERR_INVALID_THIS')
  t.raises(function() r.read(w) end, 'ERR_INVALID_THIS')
  t.raises(function() w.write(r, 'x') end, 'ERR_INVALID_THIS')
  t.raises(function() w.finish(nil) end, 'ERR_INVALID_THIS')
  t.raises(function() w.cork(5) end, 'ERR_INVALID_THIS')
end)

-- Bytes and encodings ---------------------------------------------------------

t.test('a byte-mode Readable emits strings, also for pushed Buffers', function(done)
  local r = Readable:new({ read = function() end })
  local got = {}
  r:on('data', function(c)
    t.eq(type(c), 'string')
    got[#got + 1] = c
  end)
  r:on('end', function()
    t.same(got, { 'abc', 'def' })
    done()
  end)
  r:push(Buffer.from('abc'))
  r:push('def')
  r:push(nil)
end)

t.test('buffers = true makes a byte-mode Readable hand out Buffers', function(done)
  local r = Readable:new({ buffers = true, read = function() end })
  r:push('ab')
  r:push(Buffer.from('cd'))
  local c = r:read()
  t.ok(Buffer.isBuffer(c))
  t.eq(c:toString(), 'abcd')
  r:on('data', function(x)
    t.ok(Buffer.isBuffer(x))
    t.eq(x:toString(), 'ef')
    done()
  end)
  r:push('ef')
end)

t.test('push with an encoding converts to bytes', function()
  local r = Readable:new({ read = function() end })
  r:push('6869', 'hex')
  r:push('IQ==', 'base64')
  t.eq(r:read(), 'hi!')
end)

t.test('setEncoding keeps multi-byte characters whole across chunks', function(done)
  local r = Readable:new({ read = function() end })
  r:setEncoding('utf8')
  t.eq(r.readableEncoding, 'utf8')
  local got = {}
  r:on('data', function(c) got[#got + 1] = c end)
  r:on('end', function()
    t.same(got, { 'a', '\226\130\172', '\240\159\152\128b' })
    done()
  end)
  -- '€' = E2 82 AC and U+1F600 = F0 9F 98 80, cut inside both.
  r:push('a\226')
  r:push('\130\172')
  r:push('\240\159')
  r:push('\152\128b')
  r:push(nil)
end)

t.test('setEncoding decodes what is already buffered', function()
  local r = Readable:new({ read = function() end })
  r:push('\226\130')
  r:push('\172!')
  r:setEncoding('utf8')
  t.eq(r:read(), '\226\130\172!')
end)

t.test('an incomplete character at the end becomes U+FFFD', function(done)
  local r = Readable:new({ encoding = 'utf8', read = function() end })
  local got = {}
  r:on('data', function(c) got[#got + 1] = c end)
  r:on('end', function()
    t.eq(table.concat(got), 'x\239\191\189')
    done()
  end)
  r:push('x\226\130')
  r:push(nil)
end)

t.test('pushing a non-string in byte mode errors the stream', function(done)
  local r = Readable:new({ read = function() end })
  r:on('error', function(e)
    t.eq(e.code, 'ERR_INVALID_ARG_TYPE')
    t.match(e.message, 'The "chunk" argument must be of type string or an instance of Buffer')
    done()
  end)
  t.eq(r:push(42), false)
end)

t.test('write hands the hook each chunk as written, with its encoding', function(done)
  local seen = {}
  local w = Writable:new({
    write = function(self, chunk, enc, cb)
      seen[#seen + 1] = { type(chunk) == 'string' and chunk or 'Buffer:' .. chunk:toString(), enc }
      cb()
    end,
  })
  w:write('a')
  w:write('6869', 'hex')
  w:write(Buffer.from('b'))
  w:finish('c', 'latin1', function()
    t.same(seen, { { 'a', 'utf8' }, { '6869', 'hex' }, { 'Buffer:b', 'buffer' }, { 'c', 'latin1' } })
    done()
  end)
end)

t.test('decodeStrings = true turns strings into Buffers for the hook', function(done)
  local w = Writable:new({
    decodeStrings = true,
    write = function(self, chunk, enc, cb)
      t.ok(Buffer.isBuffer(chunk))
      t.eq(chunk:toString(), 'hi')
      t.eq(enc, 'buffer')
      cb()
      done()
    end,
  })
  w:write('6869', 'hex')
end)

t.test('setDefaultEncoding changes the encoding the hook sees', function(done)
  local w = Writable:new({
    write = function(self, chunk, enc, cb)
      t.eq(enc, 'hex')
      cb()
      done()
    end,
  })
  t.eq(w:setDefaultEncoding('HEX'), w)
  t.raises(function() w:setDefaultEncoding('nope') end, 'ERR_UNKNOWN_ENCODING')
  w:write('ab')
end)

t.test('write raises for nil, a bad chunk, a bad encoding or callback', function()
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  t.raises(function() w:write(nil) end, 'ERR_STREAM_NULL_VALUES')
  t.raises(function() w:write({}) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() w:write(true) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() w:write('x', 'nope') end, 'ERR_UNKNOWN_ENCODING')
  t.raises(function() w:write('x', 'utf8', 5) end, 'ERR_INVALID_ARG_TYPE')
  t.eq(w.writableLength, 0)
  local o = Writable:new({ objectMode = true, write = function(self, c, e, cb) cb() end })
  t.raises(function() o:write(nil) end, 'ERR_STREAM_NULL_VALUES')
  t.eq(o:write({}), true)
  t.eq(o:write(false), true)
end)

t.test('writableLength counts bytes of strings and Buffers', function()
  local w = Writable:new({ highWaterMark = 5, write = function() end })
  t.eq(w:write('abc'), true)
  t.eq(w.writableLength, 3)
  t.eq(w:write(Buffer.from('de')), false)
  t.eq(w.writableLength, 5)
  t.eq(w.writableNeedDrain, true)
  w:destroy()
end)

-- Write after end ---------------------------------------------------------------

t.test('write after finish: ERR_STREAM_WRITE_AFTER_END to the callback and error', function(done)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  local order = {}
  w:on('error', function(e)
    order[#order + 1] = 'error'
    t.eq(e.code, 'ERR_STREAM_WRITE_AFTER_END')
    t.eq(e.message, 'write after end')
  end)
  w:on('close', function()
    t.same(order, { 'cb', 'error' })
    done()
  end)
  w:finish()
  t.eq(w:write('x', function(e)
    order[#order + 1] = 'cb'
    t.eq(e.code, 'ERR_STREAM_WRITE_AFTER_END')
  end), false)
  t.eq(w.writableEnded, true)
end)

t.test("stream['end'] is finish", function(done)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w['end'](w, 'x', t.mustCall(function() done() end))
end)

-- Subclasses ---------------------------------------------------------------

local Counter = Readable:extend('Counter')

function Counter:initialize(max, opts)
  Readable.initialize(self, opts)
  self.max, self.n = max, 0
end

function Counter:_read()
  self.n = self.n + 1
  if self.n > self.max then self:push(nil) else self:push(tostring(self.n)) end
end

local Upper = Transform:extend('Upper')

function Upper:_transform(chunk, enc, cb)
  cb(nil, chunk:upper())
end

function Upper:_flush(cb)
  self:push('<END>')
  cb()
end

local Collect = Writable:extend('Collect')

function Collect:initialize(opts)
  Writable.initialize(self, opts)
  self.parts = {}
end

function Collect:_write(chunk, enc, cb)
  self.parts[#self.parts + 1] = chunk
  cb()
end

function Collect:_final(cb)
  self.finalized = true
  cb()
end

t.test('subclasses define _read, _transform, _flush, _write and _final', function(done)
  local src = Counter:new(3)
  local sink = Collect:new({ objectMode = true })
  pipeline(src, Upper:new(), sink, function(err)
    t.eq(err, nil)
    t.same(sink.parts, { '1', '2', '3', '<END>' })
    t.ok(sink.finalized)
    done()
  end)
end)

t.test('writev gets the buffered chunks in one call', function(done)
  local calls = {}
  local w = Writable:new({
    write = function(self, c, e, cb)
      calls[#calls + 1] = 'write:' .. c
      setTimeout(cb, 1)
    end,
    writev = function(self, chunks, cb)
      local parts = {}
      for i, c in ipairs(chunks) do parts[i] = c.chunk .. '/' .. c.encoding end
      calls[#calls + 1] = 'writev:' .. table.concat(parts, ',')
      cb()
    end,
  })
  w:write('a')
  w:write('b')
  w:write('c', 'latin1', t.mustCall())
  w:finish(function()
    t.same(calls, { 'write:a', 'writev:b/utf8,c/latin1' })
    done()
  end)
end)

t.test('only _writev: a single write goes through it', function(done)
  local w = Writable:new({
    writev = function(self, chunks, cb)
      t.eq(#chunks, 1)
      t.eq(chunks[1].chunk, 'x')
      cb()
      done()
    end,
  })
  w:write('x')
end)

-- Backpressure -------------------------------------------------------------

t.test('a slow writable keeps its readable at most one mark ahead', function(done)
  local reads, maxAhead = 0, 0
  local produced, consumed = 0, 0
  local total = 200
  local src = Readable:new({
    highWaterMark = 100,
    read = function(self)
      reads = reads + 1
      if produced >= total * 10 then
        self:push(nil)
        return
      end
      produced = produced + 10
      self:push(('x'):rep(10))
    end,
  })
  local sink = Writable:new({
    highWaterMark = 100,
    write = function(self, chunk, enc, cb)
      consumed = consumed + #chunk
      local ahead = produced - consumed
      if ahead > maxAhead then maxAhead = ahead end
      setTimeout(cb, 0)
    end,
  })
  sink:on('finish', function()
    t.eq(consumed, total * 10)
    -- What the source made but the sink has not taken: at most the
    -- readable's buffer plus the writable's.
    t.ok(maxAhead <= 200 + 10, 'ahead ' .. maxAhead)
    t.ok(reads <= total + 2)
    done()
  end)
  src:pipe(sink)
end)

t.test("pipe stops at write()'s false and goes on at 'drain'", function(done)
  local cbs = {}
  local src = Readable:new({ highWaterMark = 4, read = function() end })
  local sink = Writable:new({ highWaterMark = 4, write = function(self, c, e, cb) cbs[#cbs + 1] = cb end })
  src:pipe(sink)
  src:push('aaaa')
  src:push('bbbb')
  setTimeout(function()
    t.eq(src.readableFlowing, false)
    t.eq(#cbs, 1)
    t.eq(sink.writableNeedDrain, true)
    sink:on('drain', t.mustCall(function() t.eq(src.readableFlowing, true) end, 2))
    table.remove(cbs, 1)()
    setTimeout(function()
      -- The second chunk went out and filled the sink again (as in node).
      t.eq(#cbs, 1)
      t.eq(src.readableFlowing, false)
      t.eq(src.readableLength, 0)
      t.eq(sink.writableLength, 4)
      table.remove(cbs, 1)()
      src:destroy()
      sink:destroy()
      done()
    end, 5)
  end, 5)
end)

-- Readable.from, pipeline and finished -----------------------------------------

t.test('Readable.from takes an array, an iterator function or a string', function(done)
  local got = {}
  local i = 0
  local r = Readable.from(function()
    i = i + 1
    if i <= 3 then return i * 10 end
  end)
  r:on('data', function(v) got[#got + 1] = v end)
  r:on('end', function()
    t.same(got, { 10, 20, 30 })
    local one = Readable.from('whole')
    one:on('data', t.mustCall(function(v) t.eq(v, 'whole') end))
    one:on('end', done)
  end)
  t.raises(function() Readable.from(5) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('Readable.from keeps false as a value', function(done)
  local got = {}
  local r = Readable.from({ true, false, 'x' })
  r:on('data', function(v) got[#got + 1] = v end)
  r:on('end', function()
    t.same(got, { true, false, 'x' })
    done()
  end)
end)

t.test('pipeline takes a list, returns the last stream', function(done)
  local sink = Collect:new()
  local ret = pipeline({ Readable.from({ 'a', 'b' }), PassThrough:new({ objectMode = true }), sink }, function(err)
    t.eq(err, nil)
    t.same(sink.parts, { 'a', 'b' })
    done()
  end)
  t.eq(ret, sink)
end)

t.test('pipeline checks its arguments', function()
  t.raises(function() pipeline(Readable:new(), Writable:new()) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() pipeline(Readable:new(), function() end) end, 'ERR_MISSING_ARGS')
  t.raises(function() pipeline(Readable:new(), 5, function() end) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('pipeline: a destroyed middle stream gives ERR_STREAM_PREMATURE_CLOSE', function(done)
  local r = Readable:new({ read = function() end })
  local p = PassThrough:new()
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  pipeline(r, p, w, function(err)
    t.eq(err.code, 'ERR_STREAM_PREMATURE_CLOSE')
    t.ok(r.destroyed and p.destroyed and w.destroyed)
    done()
  end)
  p:destroy()
end)

t.test('pipeline: an error of the source reaches the callback', function(done)
  local r = Readable:new({ read = function() end })
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  pipeline(r, w, function(err)
    t.eq(err.message, 'src')
    t.ok(w.destroyed)
    done()
  end)
  r:destroy(E('src'))
end)

t.test('finished: writable side only, and the cleanup function', function(done)
  local d = Duplex:new({ read = function() end, write = function(self, c, e, cb) cb() end })
  local cleanup = finished(d, { readable = false }, function(err)
    t.eq(err, nil)
    t.eq(d.writableFinished, true)
    done()
  end)
  t.eq(type(cleanup), 'function')
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  local off = finished(w, t.mustNotCall())
  off()
  w:finish()
  d:finish('x')
end)

t.test('finished checks its arguments', function()
  t.raises(function() finished(Readable:new()) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() finished({}, function() end) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('finished on an already ended stream calls back on a later tick', function(done)
  local r = Readable.from({ 'a' })
  r:resume()
  r:on('close', function()
    local sync = true
    finished(r, function(err)
      t.eq(err, nil)
      t.eq(sync, false)
      done()
    end)
    sync = false
  end)
end)

-- Duplex -------------------------------------------------------------------

t.test('Duplex keeps two independent sides', function(done)
  local written = {}
  local d = Duplex:new({
    read = function() end,
    write = function(self, c, e, cb)
      written[#written + 1] = c
      cb()
    end,
  })
  local got = {}
  d:on('data', function(c) got[#got + 1] = c end)
  d:write('in')
  d:push('out')
  d:finish()
  d:on('finish', function()
    t.eq(d.readable, true)
    t.eq(d.writable, false)
    d:push(nil)
  end)
  d:on('close', function()
    t.same(written, { 'in' })
    t.same(got, { 'out' })
    done()
  end)
end)

t.test('Duplex readable = false / writable = false', function()
  local d = Duplex:new({ readable = false, write = function(self, c, e, cb) cb() end })
  t.eq(d.readable, false)
  t.eq(d.readableEnded, true)
  local d2 = Duplex:new({ writable = false, read = function() end })
  t.eq(d2.writable, false)
  t.eq(d2.writableFinished, true)
  d:destroy()
  d2:destroy()
end)

t.test('unshift after the end event errors the stream', function(done)
  local r = Readable:new({ read = function() end })
  r:on('error', function(e)
    t.eq(e.code, 'ERR_STREAM_UNSHIFT_AFTER_END_EVENT')
    done()
  end)
  r:on('end', function() r:unshift('x') end)
  r:push(nil)
  r:resume()
end)

t.test("'readable' and read(n) take exact byte counts", function(done)
  local r = Readable:new({ read = function() end })
  r:push('hello world')
  r:push(nil)
  local got = {}
  r:on('readable', function()
    while true do
      local c = r:read(4)
      if c == nil then break end
      got[#got + 1] = c
    end
  end)
  r:on('end', function()
    -- At the end, read(4) hands out the 3 bytes that are left.
    t.same(got, { 'hell', 'o wo', 'rld' })
    done()
  end)
end)

t.test('cork and uncork: nested corks need as many uncorks', function()
  local writes = {}
  local w = Writable:new({ write = function(self, c, e, cb) writes[#writes + 1] = c; cb() end })
  w:cork()
  w:cork()
  w:write('a')
  w:uncork()
  t.eq(#writes, 0)
  t.eq(w.writableCorked, 1)
  w:uncork()
  t.same(writes, { 'a' })
  w:cork()
  w:write('b')
  w:finish() -- finish uncorks
  t.same(writes, { 'a', 'b' })
end)

t.test('destroy twice calls the second callback at once, emits close once', function(done)
  local r = Readable:new({ read = function() end })
  local closes = 0
  r:on('close', function() closes = closes + 1 end)
  r:destroy()
  local called = false
  r:destroy(nil, function() called = true end)
  t.ok(called)
  setTimeout(function()
    t.eq(closes, 1)
    done()
  end, 5)
end)

t.test('a destroy hook runs with the error and can replace it', function(done)
  local w = Writable:new({
    write = function(self, c, e, cb) cb() end,
    destroy = function(self, err, cb)
      t.eq(err.message, 'a')
      cb(E('b'))
    end,
  })
  w:on('error', function(e)
    t.eq(e.message, 'b')
    t.eq(w.errored.message, 'a')
    done()
  end)
  w:destroy(E('a'))
end)

t.test('construct delays _read until it calls back', function(done)
  local order = {}
  local r = Readable:new({
    construct = function(self, cb)
      order[#order + 1] = 'construct'
      setTimeout(function() cb() end, 2)
    end,
    read = function(self)
      order[#order + 1] = 'read'
      self:push(nil)
    end,
  })
  r:on('end', function()
    t.same(order, { 'construct', 'read' })
    done()
  end)
  r:resume()
end)

t.test('a construct error destroys the stream', function(done)
  local w = Writable:new({
    construct = function(self, cb) cb(E('nope')) end,
    write = t.mustNotCall(),
  })
  w:write('x', function(e) t.eq(e.message, 'nope') end)
  w:on('error', function(e)
    t.eq(e.message, 'nope')
    w:on('close', done)
  end)
end)

t.test('PassThrough passes bytes through a pipe', function(done)
  local sink = Collect:new()
  local p = PassThrough:new()
  p:pipe(sink)
  p:write('a')
  p:write(Buffer.from('b'))
  p:finish('c')
  sink:on('finish', function()
    t.same(sink.parts, { 'a', 'b', 'c' })
    done()
  end)
end)

t.test('a Transform callback called twice: ERR_MULTIPLE_CALLBACK', function(done)
  local tr = Transform:new({ transform = function(self, c, e, cb) cb(); cb() end })
  tr:on('error', function(e)
    t.eq(e.code, 'ERR_MULTIPLE_CALLBACK')
    done()
  end)
  tr:write('x')
end)

t.test('Writable:pipe errors with ERR_STREAM_CANNOT_PIPE', function(done)
  local w = Writable:new()
  w:on('error', function(e)
    t.eq(e.code, 'ERR_STREAM_CANNOT_PIPE')
    done()
  end)
  w:pipe(Writable:new())
end)

t.test('constructors and hooks check self and their arguments', function()
  t.raises(function() Readable.initialize({ 1, 2, 3 }) end, 'ERR_INVALID_THIS')
  t.raises(function() Writable.initialize(Readable:new()) end, 'ERR_INVALID_THIS')
  t.raises(function() Transform._write(Writable:new(), 'x', 'utf8', function() end) end, 'ERR_INVALID_THIS')
  t.raises(function() stream.Stream._destroy(Readable:new(), nil, nil) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Readable:new():pipe(true) end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() Readable:new():pipe(Writable:new(), 'x') end, 'ERR_INVALID_ARG_TYPE')
  t.raises(function() finished(Readable:new(), 5, function() end) end, 'ERR_INVALID_ARG_TYPE')
end)

t.test('pipe into any emitter with write and finish', function(done)
  local EventEmitter = require('events')
  local sink = EventEmitter:new()
  local got = {}
  function sink:write(c)
    got[#got + 1] = c
    return true
  end
  function sink:finish()
    t.eq(table.concat(got), 'ab')
    done()
  end
  Readable.from({ 'a', 'b' }, { objectMode = false }):pipe(sink)
end)

t.test('what _read, _final, _destroy and _construct raise errors the stream (as in node)', function(done)
  local got = {}
  local function watch(s, name)
    s:on('error', function(e) got[#got + 1] = name .. ' error ' .. e.message end)
    s:on('close', function() got[#got + 1] = name .. ' close' end)
  end
  local r = Readable:new({ read = function() error(E('rthrow')) end })
  watch(r, 'r')
  r:resume()
  local w = Writable:new({ write = function(self, c, e, cb) cb() end, final = function() error(E('fthrow')) end })
  watch(w, 'w')
  w:finish()
  local w2 = Writable:new({ destroy = function() error(E('dthrow')) end })
  watch(w2, 'w2')
  w2:destroy()
  local w3 = Writable:new({ construct = function() error(E('cthrow')) end })
  watch(w3, 'w3')
  setTimeout(function()
    t.same(got, { 'w error fthrow', 'w close', 'w2 error dthrow', 'w2 close', 'r error rthrow', 'r close',
      'w3 error cthrow', 'w3 close' })
    done()
  end, 20)
end)

t.test('what _write raises goes up to the caller of write, as in node', function()
  local w = Writable:new({ write = function() error(E('wthrow')) end })
  t.raises(function() w:write('x') end, 'wthrow')
end)

t.test('finished: ended with nothing buffered, then destroyed, is not premature', function(done)
  local r = Readable:new({ read = function() end })
  r:push(nil)
  local w = Writable:new({ write = function(self, c, e, cb) cb() end })
  w:finish()
  local n = 0
  local function check(err)
    t.eq(err, nil)
    n = n + 1
    if n == 2 then done() end
  end
  finished(r, check)
  finished(w, check)
  r:destroy()
  w:destroy()
end)

t.test('pipe into process.stdout', function()
  local code = "require('stream').Readable.from({ 'hello ', 'world' }, { objectMode = false })"
    .. ':pipe(process.stdout)'
  local r = t.spawn('-e ' .. t.quote(code))
  t.eq(r.code, 0)
  t.eq(r.out, 'hello world')
end)

t.test('a Duplex, a Transform and a PassThrough are Writables too', function()
  t.ok(Duplex:new():instanceof(Writable))
  t.ok(Transform:new():instanceof(Writable))
  t.ok(PassThrough:new():instanceof(Readable))
  t.ok(not Readable:new():instanceof(Writable))
end)
