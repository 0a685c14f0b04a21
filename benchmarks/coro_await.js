// What an await costs; twin of coro_await.lua.
const N = 1000000;

function now() {
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

function report(name, t0, n) {
  console.log(`${name}: ${((now() - t0) / n).toFixed(1)} ns/op`);
}

const syncCb = (cb) => cb(null, 1);
const immediateCb = (cb) => setImmediate(cb);
const promisify = (f) => () => new Promise((resolve, reject) => f((err, v) => err ? reject(err) : resolve(v)));
const syncP = promisify(syncCb);
const immediateP = promisify(immediateCb);

function callbackChain(n, done) {
  let i = 0;
  function step() {
    i++;
    if (i < n) setImmediate(step); else done();
  }
  setImmediate(step);
}

(async () => {
  let t0 = now();
  for (let i = 0; i < N; i++) await syncP();
  report('await_sync', t0, N);
  t0 = now();
  for (let i = 0; i < N / 4; i++) await immediateP();
  report('await_immediate', t0, N / 4);
  t0 = now();
  callbackChain(N / 4, () => report('callback_immediate', t0, N / 4));
})();
