// Twin of buffer_rw.lua: 100 million writeUInt32LE and readUInt32LE over
// a 64 KiB Buffer.
'use strict';
const N = 100 * 1000 * 1000;
const SIZE = 65536;
const buf = Buffer.alloc(SIZE);
const slots = SIZE / 4;
const passes = N / slots;
const now = () => Number(process.hrtime.bigint()) / 1e6;

let t0 = now();
for (let p = 1; p <= passes; p++) {
  for (let off = 0; off < SIZE - 3; off += 4) {
    buf.writeUInt32LE((off + 1 + p) >>> 0, off);
  }
}
let t1 = now();
console.log(`writeUInt32LE: ${(t1 - t0).toFixed(1)} ms`);

let sum = 0;
t0 = now();
for (let p = 1; p <= passes; p++) {
  for (let off = 0; off < SIZE - 3; off += 4) {
    sum += buf.readUInt32LE(off);
  }
}
t1 = now();
console.log(`readUInt32LE: ${(t1 - t0).toFixed(1)} ms`);
if (sum === 0) console.log('checksum', sum);
