// 20,000 fs.statSync in a loop.
const fs = require('fs');
const ms = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6; };
const N = 20000; let size = 0;
const t0 = ms();
for (let i = 0; i < N; i++) size += fs.statSync(__filename).size;
console.log(`statsync_ms: ${(ms() - t0).toFixed(1)}`);
if (!(size > 0)) throw new Error();
