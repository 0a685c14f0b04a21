// Object-mode Transform throughput; twin of stream_transform.lua.
// Prints one `name: <ms> ms` line per case.
const { Readable, Transform, Writable, pipeline } = require('stream');

const N = 1000000;

function now() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

function source(n) {
  let i = 0;
  return new Readable({
    objectMode: true,
    read() {
      i++;
      if (i > n) this.push(null);
      else this.push({ id: i, name: 'item' });
    },
  });
}

function cases(n, report, done) {
  let sum = 0;
  const t0 = now();
  const double = new Transform({
    objectMode: true,
    transform(obj, enc, cb) { cb(null, { id: obj.id * 2, name: obj.name }); },
  });
  const sink = new Writable({
    objectMode: true,
    write(obj, enc, cb) { sum += obj.id; cb(); },
  });
  pipeline(source(n), double, sink, (err) => {
    if (err) throw err;
    if (report) console.log(`transform_1m_objects: ${(now() - t0).toFixed(1)} ms`);
    if (sum !== n * (n + 1)) console.log('unexpected sum', sum);
    const t1 = now();
    let count = 0;
    const from = Readable.from((function* () { for (let i = 1; i <= n; i++) yield i; })());
    const pass = new Transform({ objectMode: true, transform(x, enc, cb) { cb(null, x + 1); } });
    const end = new Writable({ objectMode: true, write(x, enc, cb) { count += x; cb(); } });
    pipeline(from, pass, end, (err) => {
      if (err) throw err;
      if (report) console.log(`from_transform_1m: ${(now() - t1).toFixed(1)} ms`);
      done();
    });
  });
}

cases(N / 10, false, () => cases(N, true, () => {}));
