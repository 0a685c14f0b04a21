// Readable.from -> object-mode Transform -> Writable, 1 million numbers;
// twin of stream_from_transform.lua.
const { Readable, Transform, Writable, pipeline } = require('stream');

const N = 1000000;

function now() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

const t0 = now();
let sum = 0;
const source = Readable.from((function* () { for (let i = 1; i <= N; i++) yield i; })());
const inc = new Transform({ objectMode: true, transform(x, enc, cb) { cb(null, x + 1); } });
const sink = new Writable({ objectMode: true, write(x, enc, cb) { sum += x; cb(); } });
pipeline(source, inc, sink, (err) => {
  if (err) throw err;
  console.log(`from_transform_1m: ${(now() - t0).toFixed(1)} ms`);
  if (sum !== N * (N + 1) / 2 + N) console.log('unexpected sum', sum);
});
