// The Node.js twin of http_client.lua: COUNT (10,000) sequential GETs of /
// to a server on 127.0.0.1 at the port given, over one keep-alive Agent
// holding one socket; each request starts when the previous response has
// ended. Prints reqs/s and stops by itself after the seconds given (60).
//
//   node http_client.js PORT [SECONDS] [COUNT]
const http = require('http');
const port = Number(process.argv[2]) || 9000;
const limit = Number(process.argv[3]) || 60;
const count = Number(process.argv[4]) || 10000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let done = 0;
let bytes = 0;
let t0;

function fail(msg) {
  console.error('http_client: ' + msg);
  process.exit(1);
}

function one() {
  const req = http.request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent }, (res) => {
    if (res.statusCode !== 200) fail('status ' + res.statusCode);
    res.on('data', (chunk) => { bytes += chunk.length; });
    res.on('end', () => {
      done++;
      if (done < count) return one();
      const t = process.hrtime(t0);
      const s = t[0] + t[1] / 1e9;
      console.log('reqs/s: ' + Math.round(count / s));
      console.log('body_bytes: ' + bytes);
      agent.destroy();
      process.exit(0);
    });
  });
  req.on('error', (err) => fail(err.message));
  req.end();
}

setTimeout(() => fail('not done after ' + limit + ' s'), limit * 1000).unref();
t0 = process.hrtime();
one();
