// 20,000 fs.stat calls issued at once, until every callback ran.
const fs = require('fs');
const ms = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6; };
const N = 20000; let left = N;
const t0 = ms();
function cb(err, st) {
  if (err) throw err;
  if (--left === 0) console.log(`stat_all_ms: ${(ms() - t0).toFixed(1)}`);
}
for (let i = 0; i < N; i++) fs.stat(__filename, cb);
