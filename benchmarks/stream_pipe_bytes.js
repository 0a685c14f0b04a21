// Byte-mode pipe throughput; twin of stream_pipe_bytes.lua.
const stream = require('stream');

const CHUNK = 65536;
const TOTAL = 512 * 1024 * 1024;

function now() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

const chunk = Buffer.alloc(CHUNK, 'x');
let sent = 0, got = 0;
const t0 = now();
const source = new stream.Readable({
  highWaterMark: CHUNK,
  read() {
    if (sent >= TOTAL) this.push(null);
    else { sent += CHUNK; this.push(chunk); }
  },
});
const sink = new stream.Writable({
  highWaterMark: CHUNK,
  write(c, enc, cb) { got += c.length; cb(); },
});
stream.pipeline(source, new stream.PassThrough({ highWaterMark: CHUNK }), sink, (err) => {
  if (err) throw err;
  const ms = now() - t0;
  console.log(`pipe_512mib: ${ms.toFixed(1)} ms`);
  console.log(`throughput: ${(TOTAL / 1048576 / (ms / 1000)).toFixed(0)} MiB/s`);
  if (got !== TOTAL) console.log('unexpected count', got);
});
