// 1,000,000 setTimeout with random 0-100 ms delays (twin of timers_million.lua).
const N = 1000000;
let fired = 0;
const ms = (t) => t[0] * 1e3 + t[1] / 1e6;
const t0 = ms(process.hrtime());
let t1;
function cb() {
  fired++;
  if (fired === N) {
    const t2 = ms(process.hrtime());
    console.log(`schedule_ms: ${(t1 - t0).toFixed(1)}`);
    console.log(`all_fired_ms: ${(t2 - t0).toFixed(1)}`);
  }
}
for (let i = 0; i < N; i++) setTimeout(cb, Math.random() * 100);
t1 = ms(process.hrtime());
