// The two objects per item that stream_transform's callbacks make, in a
// plain loop with no stream; twin of alloc_tables.lua.
const N = 1000000;

function now() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

const keep = [null, null];
let sum = 0;
const t0 = now();
for (let i = 1; i <= N; i++) {
  const a = { id: i, name: 'item' };
  keep[0] = a;
  const b = { id: a.id * 2, name: a.name };
  keep[1] = b;
  sum += b.id;
}
console.log(`alloc_2m_tables: ${(now() - t0).toFixed(1)} ms`);
if (sum !== N * (N + 1)) console.log('unexpected sum', sum);
