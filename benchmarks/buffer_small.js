// Twin of buffer_small.lua: memory per small Buffer, one million live
// 16-byte Buffers from Buffer.alloc(16) and Buffer.from(<16-byte string>),
// as the growth of V8's heap plus external memory.
'use strict';
const N = 1000000;
const now = () => Number(process.hrtime.bigint()) / 1e6;
// A full collection: V8's gc(), exposed at run time under node; Bun's own
// under bun, which runs this twin unchanged otherwise.
let gc = global.gc;
if (!gc && typeof Bun !== 'undefined') {
  gc = () => Bun.gc(true);
} else if (!gc) {
  require('v8').setFlagsFromString('--expose-gc');
  gc = require('vm').runInNewContext('gc');
}
const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.external; };

function measure(name, make) {
  gc(); gc();
  const m0 = used();
  const t0 = now();
  let keep = new Array(N);
  for (let i = 0; i < N; i++) keep[i] = make(i);
  const t1 = now();
  gc();
  const m1 = used();
  console.log(`${name}: ${Math.round((m1 - m0) / keep.length)} bytes`);
  console.log(`${name}_time: ${(t1 - t0).toFixed(1)} ms`);
  keep = null;
  gc(); gc();
}

measure('bytes_per_buffer', () => Buffer.alloc(16));
const s = '0123456789abcdef';
measure('bytes_per_buffer_from', () => Buffer.from(s));
