// URL parsing throughput; twin of url_parse.lua.
// Prints one `name: <ms> ms` line per case.
'use strict';
const url = require('url');
const querystring = require('querystring');

const N = 1000000;

let sum = 0;
function bench(name, fn) {
  fn(N / 10); // warm up
  const t0 = process.hrtime.bigint();
  fn(N);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${name}: ${ms.toFixed(1)} ms`);
}

const INPUTS = [
  'https://www.example.com/path/to/page.html?query=1&b=2#frag',
  'http://user:pw@127.0.0.1:8080/a/./b/../c?x=y',
  'file:///home/user/some%20file.txt',
];

bench('new_URL', (n) => {
  for (let i = 1; i <= n; i++) {
    const u = new URL(INPUTS[i % 3]);
    sum += u.pathname.length;
  }
});

bench('new_URL_relative', (n) => {
  const base = new URL('https://example.com/a/b/c');
  for (let i = 1; i <= n; i++) {
    const u = new URL('../d/e?f', base);
    sum += u.href.length;
  }
});

bench('searchParams', (n) => {
  for (let i = 1; i <= n / 10; i++) {
    const p = new URLSearchParams('a=1&b=two+words&c=%E2%82%AC&d=');
    p.append('e', 'x y');
    sum += p.toString().length;
  }
});

bench('url_parse', (n) => {
  for (let i = 1; i <= n; i++) {
    const u = url.parse(INPUTS[i % 3]);
    sum += u.pathname.length;
  }
});

bench('querystring', (n) => {
  for (let i = 1; i <= n / 10; i++) {
    const o = querystring.parse('a=1&b=two+words&c=%E2%82%AC&a=2');
    sum += querystring.stringify(o).length;
  }
});

if (sum === 0) console.log('unexpected sum');
