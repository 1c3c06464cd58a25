// `wc -l FILE...` in Node.js: synchronous reads of 1 MiB into one Buffer, newlines counted
// with indexOf, one line per file and a total. Usage: node wc_l.js FILE...
'use strict';
const fs = require('fs');
const buf = Buffer.allocUnsafe(1 << 20);
function count(path) {
  const fd = fs.openSync(path, 'r');
  let n = 0;
  for (;;) {
    const got = fs.readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    for (let i = buf.indexOf(10, 0); i !== -1 && i < got; i = buf.indexOf(10, i + 1)) n++;
  }
  fs.closeSync(fd);
  return n;
}
const files = process.argv.slice(2);
const counts = files.map((p) => [count(p), p]);
const total = counts.reduce((a, [c]) => a + c, 0);
const width = files.length === 1 ? 1 : String(total).length;
let out = counts.map(([c, p]) => `${String(c).padStart(width)} ${p}\n`).join('');
if (files.length > 1) out += `${String(total).padStart(width)} total\n`;
process.stdout.write(out);
