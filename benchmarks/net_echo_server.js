// The Node.js twin of net_echo_server.lua.
const net = require('net');
const port = Number(process.argv[2]) || 9000;
const limit = Number(process.argv[3]) || 60;
const server = net.createServer((sock) => {
  sock.on('data', (data) => sock.write(data));
  sock.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => console.log('listening: ' + port));
setTimeout(() => process.exit(0), limit * 1000).unref();
