// Twin of buffer_concat_hex.lua: Buffer.concat of 1 MiB in 16-byte pieces,
// and toString('hex') of 1 MiB, each repeated.
'use strict';
const MIB = 1024 * 1024;
const PIECE = 16;
const REPS = 50;
const now = () => Number(process.hrtime.bigint()) / 1e6;

const pieces = [];
for (let i = 1; i <= MIB / PIECE; i++) {
  const p = Buffer.allocUnsafe(PIECE);
  for (let k = 1; k <= PIECE; k++) p[k - 1] = (i * 31 + k) % 256;
  pieces.push(p);
}

let total = 0;
let t0 = now();
for (let r = 0; r < REPS; r++) {
  const b = Buffer.concat(pieces);
  total += b[b.length - 1];
}
let t1 = now();
console.log(`concat_1MiB_16B_pieces: ${(t1 - t0).toFixed(1)} ms`);

const big = Buffer.concat(pieces);
t0 = now();
for (let r = 0; r < REPS; r++) {
  const s = big.toString('hex');
  total += s.length;
}
t1 = now();
console.log(`toString_hex_1MiB: ${(t1 - t0).toFixed(1)} ms`);
if (total === 0) console.log('checksum', total);
