// Object-mode Transform throughput; twin of stream_transform.lua.
const { Readable, Transform, Writable, pipeline } = require('stream');

const N = 1000000;

function now() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

const t0 = now();
let i = 0, sum = 0;
const source = new Readable({
  objectMode: true,
  read() {
    i++;
    if (i > N) this.push(null);
    else this.push({ id: i, name: 'item' });
  },
});
const double = new Transform({
  objectMode: true,
  transform(obj, enc, cb) { cb(null, { id: obj.id * 2, name: obj.name }); },
});
const sink = new Writable({
  objectMode: true,
  write(obj, enc, cb) { sum += obj.id; cb(); },
});
pipeline(source, double, sink, (err) => {
  if (err) throw err;
  console.log(`transform_1m_objects: ${(now() - t0).toFixed(1)} ms`);
  if (sum !== N * (N + 1)) console.log('unexpected sum', sum);
});
