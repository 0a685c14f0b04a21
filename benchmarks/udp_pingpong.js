// UDP over loopback in one process; twin of udp_pingpong.lua.
//  pingpong: N round trips between two connected sockets, 64-byte datagrams.
//  burst: M 64-byte datagrams sent from one socket to another as fast as
//  the receiver keeps up (the sender waits when BATCH are in flight), counting
//  what arrived.
// Prints `label: <number> <unit>` lines.
'use strict';
const dgram = require('dgram');
const N = +(process.env.N || 100000);
const M = +(process.env.M || 1000000);
const BATCH = 256;
const payload = Buffer.alloc(64, 'x');

function now() { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6; }

function pingpong(next) {
  const a = dgram.createSocket('udp4'), b = dgram.createSocket('udp4');
  a.bind(0, '127.0.0.1', () => b.bind(0, '127.0.0.1', () => {
    a.connect(b.address().port, '127.0.0.1', () => b.connect(a.address().port, '127.0.0.1', () => {
      let n = 0, t0 = now();
      b.on('message', (msg) => b.send(msg));
      a.on('message', (msg) => {
        if (++n === N) {
          const ms = now() - t0;
          console.log(`pingpong: ${Math.round(N / ms * 1000)} round trips/s`);
          a.close(); b.close(next);
          return;
        }
        a.send(msg);
      });
      a.send(payload);
    }));
  }));
}

function burst() {
  const rx = dgram.createSocket('udp4'), tx = dgram.createSocket('udp4');
  rx.bind(0, '127.0.0.1', () => {
    rx.setRecvBufferSize(4 * 1024 * 1024);
    tx.connect(rx.address().port, '127.0.0.1', () => {
      let got = 0, sent = 0, acked = 0, t0 = now(), done = false;
      function finish() {
        if (done) return;
        done = true;
        const ms = now() - t0;
        console.log(`burst: ${Math.round(got / ms * 1000)} datagrams/s`);
        console.log(`burst arrived: ${(got / M * 100).toFixed(1)} %`);
        rx.close(); tx.close();
      }
      let idle;
      rx.on('message', () => {
        got++;
        if (got === M) finish();
        else if (got % BATCH === 0) pump();
      });
      function pump() {
        clearTimeout(idle);
        // Keep at most BATCH * 4 datagrams ahead of the receiver.
        while (sent < M && sent - got < BATCH * 4) { tx.send(payload); sent++; }
        if (sent === M) idle = setTimeout(finish, 200);
        else idle = setTimeout(pump, 1);
      }
      pump();
    });
  });
}

pingpong(burst);
