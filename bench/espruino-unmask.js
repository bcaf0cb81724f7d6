// Unmasking cost on a real Espruino interpreter: this project's unmask
// (src/mask.ts: 32-bit Uint32Array XOR on aligned runs, bytes at the edges)
// against a plain `for` byte loop, on 536- and 65536-byte payloads, timed
// with getTime() inside Espruino (median of several runs, the two approaches
// interleaved so that noise on a shared machine hits both alike). Then the
// end-to-end echo round trip through the built bundle on the interpreter:
// 1000 sequential 64-byte text messages, and one 65535-byte message (binary,
// then text), timed from a Node `ws` client on loopback.
//
//   npm run build                     # the echo part loads dist/espruino/web-socket-server.js
//   ESPRUINO=/path/to/espruino node bench/espruino-unmask.js [--no-echo] [--compare OTHER-BUNDLE.js]
//
// --compare runs the echo part with another bundle too (for example one built
// from an earlier version), alternating, and prints the two side by side.
//
// Both unmask functions are compiled from source and minified the same way
// (TypeScript to ES5, then terser), since Espruino interprets the source text
// and the bundle ships minified. Absolute times on a PC say nothing about a
// board; the ratio between the approaches does.
'use strict';
const { freePort } = require('../test/helpers/free-port');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');

const ESPRUINO = process.env.ESPRUINO;
const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'dist', 'espruino', 'web-socket-server.js');

if (!ESPRUINO) {
  console.log('Measures unmasking and echo round trips on a real Espruino interpreter.');
  console.log('Usage: ESPRUINO=/path/to/espruino node bench/espruino-unmask.js [--no-echo]');
  console.log('(ESPRUINO: an Espruino interpreter executable for this machine, i.e. the Linux build;');
  console.log(' the echo part needs the bundle: npx rollup -c --silent)');
  process.exit(0);
}

/** Runs an Espruino program file; resolves with its console output once `done` matches it. */
function runProgram(file, done, ms) {
  return new Promise((resolve, reject) => {
    // stdin stays an open pipe: at EOF the Linux build reads NUL characters in a loop.
    const p = spawn(ESPRUINO, [file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', finished = false;
    const finish = (err) => {
      if (finished) return;
      finished = true;
      clearTimeout(t);
      p.kill('SIGKILL');
      if (err) reject(Object.assign(err, { output: out }));
      else resolve(out);
    };
    const t = setTimeout(() => finish(new Error('no result within ' + ms + ' ms')), ms);
    const collect = (d) => {
      out += d.toString('latin1');
      if (done.test(out)) finish();
      else if (/Uncaught/.test(out)) setTimeout(() => finish(new Error('uncaught error on the interpreter')), 200);
    };
    p.stdout.on('data', collect);
    p.stderr.on('data', collect);
    p.on('error', (e) => finish(e));
    p.on('exit', () => setTimeout(() => finish(new Error('the interpreter exited')), 100));
  });
}

/** ES5 source of a function expression, minified like the bundle. */
async function es5(tsSource, name) {
  const ts = require('typescript');
  const { minify } = require('terser');
  const js = ts.transpileModule(tsSource.replace(/^export /gm, ''), {
    compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.None, removeComments: true }
  }).outputText;
  const wrapped = 'UNMASKERS.' + name + ' = (function () {\n' + js + '\nreturn unmask;\n})();';
  const r = await minify(wrapped, { ecma: 5, compress: { passes: 2 }, mangle: true, format: { ascii_only: true } });
  return r.code;
}

async function unmaskBench() {
  const word = await es5(fs.readFileSync(path.join(ROOT, 'src', 'incoming', 'mask.ts'), 'utf8'), 'word');
  const loop = await es5(
    'function unmask(b: Uint8Array, i: number, end: number, mask: Uint8Array, phase: number): number {\n' +
      '  for (; i < end; i++) b[i] ^= mask[phase++ & 3];\n  return phase & 3;\n}',
    'loop'
  );
  const program = `
// The timed buffers first, while memory is unfragmented: a typed array that
// does not get one contiguous (flat) block is far slower to index.
var BUFS = { 536: new Uint8Array(536), 65536: new Uint8Array(65536) };
var UNMASKERS = {};
${word}
${loop}
var MASK = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
function median(a) { a.sort(function (x, y) { return x - y; }); return a[a.length >> 1]; }
var out = { flat: {}, sizes: {}, same: true };
// Same result from both, for lengths around the 32-byte threshold, start offsets 0-4 and phases 0-3.
(function () {
  var a = new Uint8Array(90), b = new Uint8Array(90), lens = [0, 1, 3, 4, 5, 31, 32, 33, 34, 35, 36, 63, 64, 65, 80], n, o, ph, i, k;
  for (k = 0; k < lens.length; k++) for (o = 0; o < 5; o++) for (ph = 0; ph < 4; ph++) {
    n = lens[k];
    for (i = 0; i < 90; i++) a[i] = b[i] = (i * 7) & 255;
    if (UNMASKERS.word(a, o, o + n, MASK, ph) != UNMASKERS.loop(b, o, o + n, MASK, ph)) out.same = false;
    for (i = 0; i < 90; i++) if (a[i] != b[i]) out.same = false;
  }
})();
[[536, 20, 9], [65536, 1, 7]].forEach(function (c) {
  var size = c[0], reps = c[1], runs = c[2], b = BUFS[size];
  out.flat[size] = E.getAddressOf(b.buffer, true) != 0;
  var tw = [], tl = [], te = [];
  for (var k = 0; k < runs; k++) {
    var t0 = getTime();
    for (var r = 0; r < reps; r++) UNMASKERS.loop(b, 0, size, MASK, 0);
    var t1 = getTime();
    for (r = 0; r < reps; r++) UNMASKERS.word(b, 0, size, MASK, 0);
    var t2 = getTime();
    for (r = 0; r < reps; r++) for (var i = 0; i < size; i++);
    var t3 = getTime();
    tl.push((t1 - t0) * 1000 / reps); tw.push((t2 - t1) * 1000 / reps); te.push((t3 - t2) * 1000 / reps);
  }
  out.sizes[size] = { reps: reps, runs: runs, loop: median(tl), word: median(tw), emptyLoop: median(te) };
});
out.version = process.env.VERSION;
print("RESULT " + JSON.stringify(out));
print("END");
setTimeout(function () { quit(); }, 1);
`;
  const file = path.join(os.tmpdir(), 'espruino-unmask-' + process.pid + '.js');
  fs.writeFileSync(file, program);
  let res;
  try {
    const text = await runProgram(file, /\nEND\r?\n/, 300000);
    const line = text.split(/\r?\n/).find((l) => l.includes('RESULT '));
    res = JSON.parse(line.slice(line.indexOf('RESULT ') + 7).replace(/\s+$/, ''));
  } finally {
    fs.rmSync(file, { force: true });
  }
  console.log('Espruino ' + res.version + ' (' + ESPRUINO + ')');
  console.log('unmask, milliseconds per call (median of runs; both minified):');
  console.log('both give the same bytes and phase (lengths 0-80 around the 32-byte threshold, offsets 0-4, phases 0-3): ' + res.same);
  console.log('size     byte loop   word unmask   ratio   empty for-loop   flat buffer');
  for (const size of Object.keys(res.sizes)) {
    const s = res.sizes[size];
    console.log(
      size.padEnd(6) + s.loop.toFixed(3).padStart(12) + s.word.toFixed(3).padStart(14) +
        ((s.loop / s.word).toFixed(2) + 'x').padStart(8) + s.emptyLoop.toFixed(3).padStart(17) +
        String(res.flat[size]).padStart(14) +
        '   (' + s.runs + ' runs x ' + s.reps + ')'
    );
  }
}


/** One echo run on a fresh interpreter with the bundle `bundle`: the times
 *  in ms of 1000 sequential 64-byte text round trips, and of one 65535-byte
 *  binary and one 65535-byte text message. */
async function echoRun(bundle) {
  const WebSocket = require('ws');
  const port = await freePort();
  const file = path.join(os.tmpdir(), 'espruino-echo-bench-' + process.pid + '.js');
  fs.writeFileSync(
    file,
    'Modules.addCached("web-socket-server", ' + JSON.stringify(fs.readFileSync(bundle, 'utf8')) + ');\n' +
      'var ws = require("web-socket-server");\n' +
      'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxPayload: 200000, maxQueue: 200000, pingInterval: 0});\n' +
      's.on("connection", function (c) { c.on("message", function (m) { c.send(m); }); });\n' +
      's.on("listening", function () { print("LISTENING"); });\n' +
      's.start();\n'
  );
  const p = spawn(ESPRUINO, [file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d.toString('latin1')));
  p.stderr.on('data', (d) => (out += d.toString('latin1')));
  const stop = () => {
    p.kill('SIGKILL');
    fs.rmSync(file, { force: true });
  };
  try {
    const t0 = Date.now();
    while (!out.includes('LISTENING')) {
      if (Date.now() - t0 > 10000 || p.exitCode !== null) throw new Error('echo app did not start:\n' + out);
      await new Promise((r) => setTimeout(r, 20));
    }
    const w = new WebSocket('ws://127.0.0.1:' + port + '/');
    await new Promise((res, rej) => {
      w.once('open', res);
      w.once('error', rej);
    });
    const next = (ms) =>
      new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('no reply within ' + ms + ' ms\n' + out.slice(-1500))), ms);
        w.once('message', (d) => {
          clearTimeout(t);
          res(d);
        });
      });
    const r = {};
    const msg = 'x'.repeat(64);
    let t = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) {
      w.send(msg);
      const d = await next(5000);
      if (d.length != 64) throw new Error('bad echo');
    }
    r.small = Number(process.hrtime.bigint() - t) / 1e6;
    for (const binary of [true, false]) {
      const big = binary ? Buffer.alloc(65535, 0xa5) : '\u00e9'.repeat(32767) + 'x'; // 65535 bytes either way
      t = process.hrtime.bigint();
      w.send(big, { binary });
      const d = await next(60000);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const ok = binary ? Buffer.compare(d, big) == 0 : d.toString() === big;
      if (!ok) throw new Error('wrong echo of the ' + (binary ? 'binary' : 'text') + ' message');
      r[binary ? 'binary' : 'text'] = ms;
    }
    w.terminate();
    return r;
  } finally {
    stop();
  }
}

function median(a) {
  const s = a.slice().sort((x, y) => x - y);
  return s[s.length >> 1];
}

/** Echo round trips through the bundle; with --compare FILE, also through
 *  another bundle (say, a build of an earlier version), in alternating
 *  rounds on fresh interpreters, so that noise hits both alike. */
async function echoBench() {
  const compare = process.argv.indexOf('--compare') >= 0 ? process.argv[process.argv.indexOf('--compare') + 1] : null;
  const bundles = [BUNDLE].concat(compare ? [path.resolve(compare)] : []);
  for (const b of bundles) {
    if (!fs.existsSync(b)) {
      console.log('echo: skipped, ' + b + ' is missing (npm run build)');
      return;
    }
  }
  const rounds = compare ? 3 : 1;
  const runs = bundles.map(() => []);
  for (let k = 0; k < rounds; k++) for (let i = 0; i < bundles.length; i++) runs[i].push(await echoRun(bundles[i]));
  const rows = [
    ['small', '1000 sequential 64-byte text round trips'],
    ['binary', 'one 65535-byte binary message'],
    ['text', 'one 65535-byte text (2-byte UTF-8) message']
  ];
  console.log('echo (ms, ' + (rounds > 1 ? 'median of ' + rounds + ' alternating rounds' : 'one run') + '):');
  for (const [key, what] of rows) {
    const m = runs.map((rs) => median(rs.map((r) => r[key])));
    console.log('  ' + what.padEnd(44) + m.map((x) => x.toFixed(0).padStart(8)).join('') +
      (compare ? '   ratio ' + (m[1] / m[0]).toFixed(2) + 'x (compared / this build)' : ''));
  }
  if (compare) console.log('  columns: ' + bundles.map((b) => path.relative(ROOT, b)).join(', '));
}

(async () => {
  await unmaskBench();
  if (!process.argv.includes('--no-echo')) await echoBench();
})().catch((e) => {
  console.error(e.message + (e.output ? '\n' + e.output.slice(-2000) : ''));
  process.exit(1);
});
