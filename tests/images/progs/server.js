// A Node.js http server for the real-program tests (tests/e2e/kvm/real.sh),
// run by Debian's nodejs: it answers GET /NAME with the file ROOT/NAME,
// read per request (/ is /index.html), 404 when there is no such file.
//
//   node server.js [PORT [ROOT]]    (defaults: 8080, /srv/www)
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const port = Number(process.argv[2] || 8080);
const root = process.argv[3] || '/srv/www';

function fail(res, code, text) {
  res.writeHead(code, {'Content-Type': 'text/plain'});
  res.end(text + '\n');
}

http.createServer((req, res) => {
  const url = req.url === '/' ? '/index.html' : req.url;
  // (normalized from the root: no way out of it)
  const file = path.join(root, path.normalize('/' + url));
  if (req.method !== 'GET') return fail(res, 405, 'GET only');
  fs.readFile(file, (err, data) => {
    if (err) return fail(res, err.code === 'ENOENT' ? 404 : 500, String(err));
    res.writeHead(200, {'Content-Type': 'application/octet-stream'});
    res.end(data);
  });
}).listen(port, () => {
  console.log(`node ${process.version} serving ${root} on :${port}`);
});
