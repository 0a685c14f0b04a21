// The Node.js twin of http_hello.lua: 'Hello World' as text/plain on
// 127.0.0.1 at the port given, keep-alive (Node's default), and stops by
// itself after the seconds given (60). Idle keep-alive connections are kept
// for the server's whole life (keepAliveTimeout 0), so benchmarks/http.sh
// can count the bytes each one costs.
const http = require('http');
const port = Number(process.argv[2]) || 9000;
const limit = Number(process.argv[3]) || 60;
const body = 'Hello World';
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(body);
});
server.keepAliveTimeout = 0;
server.listen(port, '127.0.0.1', () => console.log('listening: ' + port));
setTimeout(() => process.exit(0), limit * 1000).unref();
