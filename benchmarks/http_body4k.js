// The Node.js twin of http_body4k.lua: http_hello.js with a 4096-byte
// text/plain body, keep-alive, on 127.0.0.1 at the port given; stops by
// itself after the seconds given (60).
const http = require('http');
const port = Number(process.argv[2]) || 9000;
const limit = Number(process.argv[3]) || 60;
const body = 'x'.repeat(4096);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(body);
});
server.keepAliveTimeout = 0;
server.listen(port, '127.0.0.1', () => console.log('listening: ' + port));
setTimeout(() => process.exit(0), limit * 1000).unref();
