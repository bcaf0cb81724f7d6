// Unmasking cost: this project's unmask (32-bit words on aligned runs) against
// a plain byte loop, on payloads of several sizes. Prints medians of repeated
// runs and the ratio, in one run, so noise on a shared machine cancels out.
//
//   npm run build:node && node bench/unmask.js
'use strict';
const path = require('path');
const { unmask } = require(path.join(__dirname, '..', 'dist/node/src/incoming/mask.js'));

function byteLoop(b, i, end, mask, phase) {
  for (; i < end; i++) b[i] ^= mask[phase++ & 3];
  return phase & 3;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn, buf, mask, reps) {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) fn(buf, 0, buf.length, mask, 0);
  return Number(process.hrtime.bigint() - t0) / reps;
}

const mask = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
console.log('size      byte loop (ns)   word unmask (ns)   speed-up   MB/s (word)');
for (const size of [16, 125, 536, 4096, 65536, 1048576]) {
  const buf = new Uint8Array(size).fill(7);
  const reps = Math.max(3, Math.floor(4e6 / size));
  const a = [], b = [];
  for (let k = 0; k < 15; k++) {
    a.push(time(byteLoop, buf, mask, reps));
    b.push(time(unmask, buf, mask, reps));
  }
  const ma = median(a), mb = median(b);
  console.log(
    String(size).padEnd(10) + ma.toFixed(0).padStart(14) + mb.toFixed(0).padStart(19) +
    (ma / mb).toFixed(2).padStart(11) + 'x' + (size / mb * 1e3).toFixed(0).padStart(13)
  );
}
