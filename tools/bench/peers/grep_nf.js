// `grep -nF PATTERN FILE` in Node.js: the file read in 1 MiB blocks, cut into lines at '\n'
// (a line across two blocks is carried over), each line searched with Buffer.indexOf and the
// matching ones written numbered. Usage: node grep_nf.js PATTERN FILE
'use strict';
const fs = require('fs');
const pattern = Buffer.from(process.argv[2]);
const fd = fs.openSync(process.argv[3], 'r');
const block = Buffer.allocUnsafe(1 << 20);
let carry = Buffer.alloc(0);
let line = 1;
const out = [];
let found = false;
function scan(buf, last) {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl === -1) break;
    const l = buf.subarray(start, nl);
    if (l.indexOf(pattern) !== -1) { out.push(`${line}:`, l, '\n'); found = true; }
    line++;
    start = nl + 1;
  }
  const rest = buf.subarray(start);
  if (last && rest.length > 0 && rest.indexOf(pattern) !== -1) { out.push(`${line}:`, rest, '\n'); found = true; }
  return rest;
}
for (;;) {
  const got = fs.readSync(fd, block, 0, block.length, null);
  if (got === 0) break;
  carry = Buffer.from(scan(Buffer.concat([carry, block.subarray(0, got)]), false));
  if (out.length > 3000) { for (const x of out) process.stdout.write(x); out.length = 0; }
}
scan(carry, true);
for (const x of out) process.stdout.write(x);
process.exitCode = found ? 0 : 1;
