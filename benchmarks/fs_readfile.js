// readFile of a 64 MiB file, 20 times one after the other.
const fs = require('fs');
const os = require('os');
const ms = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6; };
const dir = fs.mkdtempSync(os.tmpdir() + '/lode-bench-');
const file = dir + '/big';
const SIZE = 64 * 1024 * 1024, N = 20;
fs.writeFileSync(file, 'x'.repeat(SIZE));
let i = 0; const t0 = ms();
function step(err, data) {
  if (err) throw err;
  if (i > 0 && data.length !== SIZE) throw new Error('short read');
  i++;
  if (i > N) {
    const dt = ms() - t0;
    console.log(`readfile_ms: ${dt.toFixed(1)}`);
    console.log(`readfile_MBps: ${(SIZE * N / 1048576 / (dt / 1000)).toFixed(0)}`);
    fs.rmSync(dir, { recursive: true });
    return;
  }
  fs.readFile(file, step);
}
step(null, '');
