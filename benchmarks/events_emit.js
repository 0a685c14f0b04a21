// EventEmitter#emit throughput; twin of events_emit.lua.
// Prints one `name: <ms> ms` line per case.
'use strict';
const EventEmitter = require('events');

const N = 10000000;

let sum = 0;
function bench(name, fn) {
  fn(N / 10); // warm up
  const t0 = process.hrtime.bigint();
  fn(N);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${name}: ${ms.toFixed(1)} ms`);
}

function emitter(listeners) {
  const e = new EventEmitter();
  for (let i = 0; i < listeners; i++) e.on('data', (x) => { sum += x; });
  return e;
}

const e0 = new EventEmitter(), e1 = emitter(1), e3 = emitter(3);

bench('emit_0_listeners', (n) => {
  const e = e0;
  for (let i = 1; i <= n; i++) e.emit('data', i);
});

bench('emit_1_listener', (n) => {
  const e = e1;
  for (let i = 1; i <= n; i++) e.emit('data', i);
});

bench('emit_3_listeners', (n) => {
  const e = e3;
  for (let i = 1; i <= n; i++) e.emit('data', i);
});

bench('emit_1_listener_3_args', (n) => {
  const e = new EventEmitter();
  e.on('data', (a, b, c) => { sum += a + b + c; });
  for (let i = 1; i <= n; i++) e.emit('data', i, 1, 2);
});

bench('on_emit_off', (n) => {
  const e = new EventEmitter();
  const f = (x) => { sum += x; };
  for (let i = 1; i <= n / 10; i++) {
    e.on('data', f);
    e.emit('data', i);
    e.off('data', f);
  }
});

bench('once_emit', (n) => {
  const e = new EventEmitter();
  const f = (x) => { sum += x; };
  for (let i = 1; i <= n / 10; i++) {
    e.once('data', f);
    e.emit('data', i);
  }
});

if (sum === 0) console.log('unexpected sum');
