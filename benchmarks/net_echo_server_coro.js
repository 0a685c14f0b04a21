// The echo server of benchmarks/net.sh in the async/await style (for
// await over the socket); twin of net_echo_server_coro.lua.
const net = require('net');
const { once } = require('events');
const readline = require('readline');
const port = Number(process.argv[2]) || 9000;
const limit = Number(process.argv[3]) || 60;
const lines = process.argv[4] === 'lines';
const server = net.createServer((sock) => {
  (async () => {
    if (lines) {
      for await (const line of readline.createInterface({ input: sock, crlfDelay: Infinity })) {
        if (!sock.write(line + '\n')) await once(sock, 'drain');
      }
    } else {
      for await (const chunk of sock) {
        if (!sock.write(chunk)) await once(sock, 'drain');
      }
    }
    sock.end();
  })().catch(() => {});
});
server.listen(port, '127.0.0.1', () => console.log('listening: ' + port));
setTimeout(() => process.exit(0), limit * 1000).unref();
