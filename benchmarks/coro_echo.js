// TCP echo on 127.0.0.1, the server in the callback style and in the
// async/await style (for await over the socket); twin of coro_echo.lua.
const net = require('net');
const { once } = require('events');

const CLIENTS = 50, MESSAGES = 200000, IDLE = 300;
const LINE = 'x'.repeat(63) + '\n';

function now() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

const servers = {
  callback(sock) {
    sock.on('data', (chunk) => sock.write(chunk));
  },
  coro(sock) {
    (async () => {
      for await (const chunk of sock) {
        if (!sock.write(chunk)) await once(sock, 'drain');
      }
      sock.end();
    })().catch(() => {});
  },
  coro_lines(sock) {
    (async () => {
      const rl = require('readline').createInterface({ input: sock, crlfDelay: Infinity });
      for await (const line of rl) {
        if (!sock.write(line + '\n')) await once(sock, 'drain');
      }
      sock.end();
    })().catch(() => {});
  },
};

function load(port, done) {
  let left = MESSAGES, open = CLIENTS;
  const t0 = now();
  for (let i = 0; i < CLIENTS; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('connect', () => c.write(LINE));
    c.on('data', () => {
      left--;
      if (left > 0) c.write(LINE); else c.destroy();
    });
    c.on('close', () => {
      open--;
      if (open === 0) done(MESSAGES / (now() - t0) * 1e3);
    });
  }
}

function idle(port, server, done) {
  let accepted = 0;
  const clients = [];
  global.gc && global.gc();
  const before = process.memoryUsage().heapUsed;
  server.on('connection', () => {
    accepted++;
    if (accepted === IDLE) {
      setTimeout(() => {
        global.gc && global.gc();
        const per = (process.memoryUsage().heapUsed - before) / IDLE;
        for (const c of clients) c.destroy();
        done(per);
      }, 20);
    }
  });
  for (let i = 0; i < IDLE; i++) clients.push(net.connect(port, '127.0.0.1'));
}

const order = ['callback', 'coro', 'coro_lines'];
function run(i) {
  const style = order[i];
  if (!style) return;
  const server = net.createServer(servers[style]);
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    load(port, (rate) => {
      console.log(`${style}: ${rate.toFixed(0)} msg/s`);
      idle(port, server, (per) => {
        console.log(`${style}_idle: ${per.toFixed(0)} B/conn`);
        server.close();
        setTimeout(run, 10, i + 1);
      });
    });
  });
}
run(0);
