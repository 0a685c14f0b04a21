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
