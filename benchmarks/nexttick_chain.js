// A chain of 1,000,000 process.nextTick (twin of nexttick_chain.lua).
const N = 1000000;
let n = 0;
const t0 = process.hrtime();
function step() {
  n++;
  if (n < N) {
    process.nextTick(step);
  } else {
    const d = process.hrtime(t0);
    console.log(`chain_ms: ${(d[0] * 1e3 + d[1] / 1e6).toFixed(1)}`);
  }
}
process.nextTick(step);
