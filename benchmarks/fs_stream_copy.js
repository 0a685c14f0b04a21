// Copies a file (1 GiB, or COPY_MB MiB) through
// createReadStream().pipe(createWriteStream()).
const fs = require('fs');
const os = require('os');
const ms = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6; };
const MB = Number(process.env.COPY_MB || '1024');
const dir = fs.mkdtempSync(os.tmpdir() + '/lode-bench-');
const src = dir + '/src', dst = dir + '/dst';
const fd = fs.openSync(src, 'w');
let block = Buffer.alloc(1048576, 'y');
for (let i = 0; i < MB; i++) fs.writeSync(fd, block);
fs.closeSync(fd);
block = null;
const t0 = ms();
const ws = fs.createWriteStream(dst);
fs.createReadStream(src).pipe(ws);
ws.on('close', () => {
  const dt = ms() - t0;
  if (fs.statSync(dst).size !== MB * 1048576) throw new Error('size');
  console.log(`copy_ms: ${dt.toFixed(1)}`);
  console.log(`copy_MBps: ${(MB / (dt / 1000)).toFixed(0)}`);
  fs.rmSync(dir, { recursive: true });
});
