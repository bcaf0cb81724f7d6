// Where the code read from Storage goes, per echoed message, on a real
// Espruino interpreter. From Storage, a function's text stays in flash, and
// the interpreter reads it, 16 bytes at a time, each time it runs it: a
// call reads the whole function, to its end, and each pass of a loop its
// text again (docs/design.md, Short functions on the path of a message). On
// the Linux builds of the interpreter every such fetch is a read of the file
// that holds Storage. This script counts them: it builds the module with a
// source map, writes it to Storage (pretokenised, as
// flash-scripts/install-storage.js does), runs an echo app under `strace`, and
// after a few round trips to warm up, counts the fetches made during N more
// 64-byte round trips, by the innermost function whose text they are in.
// The count hardly changes from run to run: it is not a time. (Where
// 'drain' comes after the next message, as on a loaded machine, a round trip
// runs writePiece and pull once more, about 10 fetches.)
//
//   ESPRUINO=/path/to/espruino node bench/espruino-flash-reads.js [--full] [--plain] [--messages N] [--size BYTES] [--binary] [--top K]
//
// --full      the full module (default: the small one)
// --plain     the module in Storage as it is, not pretokenised
// --messages  round trips counted (default 100)
// --size      bytes per message (default 64)
// --binary    binary messages instead of text
// --top       functions listed (default 20)
//
// Needs `strace` (Linux). The module is built here, from the same rollup
// configuration as `npm run build`; the script says whether it is the same
// as the file in dist/espruino.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { pathToFileURL } = require('url');
const acorn = require('acorn');
const { TraceMap, originalPositionFor } = require('@jridgewell/trace-mapping');
const { ROOT, delay, options, freePort, workDir, connect, roundTrip } = require('./espruino-run');
const { storageImage } = require('../flash-scripts/storage-image');

const ESPRUINO = process.env.ESPRUINO;
const OPTIONS = options({
  full: ['boolean', false],
  plain: ['boolean', false],
  messages: ['string', '100'],
  size: ['string', '64'],
  binary: ['boolean', false],
  top: ['string', '20']
});
const MESSAGES = +OPTIONS.messages, SIZE = +OPTIONS.size, TOP = +OPTIONS.top;
/** Round trips before the count starts: the first calls make what is made once. */
const WARM_UP = 20;
/** The size of a fetch, and of the reads of the C library under it (a fetch
 *  reads on from where it starts: the partial read before it only brings the
 *  file's position to the start of the page). */
const PAGE = 4096;

if (!ESPRUINO) {
  console.log('Counts the code read from Storage per echoed message, by function, on a real Espruino interpreter.');
  console.log('Usage: ESPRUINO=/path/to/espruino node bench/espruino-flash-reads.js [--full] [--plain] [--messages N] [--size BYTES] [--binary] [--top K]');
  process.exit(0);
}
if (spawnSync('strace', ['-V']).status !== 0) {
  console.log('This script needs strace, which is not installed.');
  process.exit(0);
}

/** The bundle, as `npm run build` makes it, with its source map. */
async function build(full) {
  const { rollup } = require('rollup');
  const config = (await import(pathToFileURL(path.join(ROOT, 'rollup.config.mjs')).href)).default[full ? 1 : 0];
  const bundle = await rollup({ input: path.join(ROOT, config.input), plugins: config.plugins.filter((p) => p.name != 'size') });
  const { output } = await bundle.generate(Object.assign({}, config.output, { file: undefined, sourcemap: true }));
  await bundle.close();
  // (Without the comment that names the map: the module as `npm run build` writes it.)
  return { code: output[0].code.replace(/\/\/# sourceMappingURL=[^\n]*\n$/, ''), map: output[0].map, dist: path.join(ROOT, config.output.file) };
}

/** The functions of `code`: start and end offsets, and where each comes from. */
function functions(code, map) {
  const trace = new TraceMap(map), found = [];
  (function walk(node) {
    if (!node || typeof node.type != 'string') return;
    if (/Function/.test(node.type)) {
      // (The function's name, where it has one, maps more exactly than the
      // keyword before it.)
      const id = node.id && originalPositionFor(trace, { line: node.id.loc.start.line, column: node.id.loc.start.column });
      const at = id && id.source ? id : originalPositionFor(trace, { line: node.loc.start.line, column: node.loc.start.column });
      const source = at.source ? path.relative(ROOT, path.resolve(ROOT, at.source)) : '?';
      found.push({ start: node.start, end: node.end, where: source + ':' + at.line, name: (id && id.name) || '' });
    }
    for (const key in node) {
      const v = node[key];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type == 'string') walk(v);
    }
  })(acorn.parse(code, { ecmaVersion: 5, locations: true }));
  // Innermost first, so that a fetch is counted in the function it is in.
  return found.sort((a, b) => (a.end - a.start) - (b.end - b.start));
}

/** For each byte of `image`, the module's text pretokenised
 *  (flash-scripts/storage-image.js), the offset in `code` of what it stands
 *  for: a token's byte stands for the keyword or operator it replaces; the
 *  rest is the text as it was, but for the spaces between tokens. */
function imageOffsets(code, image) {
  const at = new Array(image.length).fill(0);
  let j = 0;
  for (const t of acorn.tokenizer(code, { ecmaVersion: 5 })) {
    while (j < image.length && (image[j] == 0x20 || image[j] == 0x0a)) at[j++] = t.start;
    if (image[j] >= 0x80) at[j++] = t.start;
    else {
      for (let c = t.start; c < t.end; c++, j++) {
        if (image[j] != code.charCodeAt(c)) throw new Error('the pretokenised module does not follow its text at ' + c);
        at[j] = c;
      }
    }
  }
  return at;
}

/** A line of source, trimmed, to name a function that has no name of its own. */
function sourceLine(where) {
  const [file, line] = where.split(':');
  try {
    return fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')[line - 1].trim().slice(0, 60);
  } catch (e) {
    return '';
  }
}

/** The fetches that strace output (-ttt: each line has its time) shows
 *  between the times `from` and `to` (s): offsets in the Storage file. (By
 *  time, not by the file's length then: strace buffers what it writes.) */
function fetches(trace, from, to) {
  const files = new Set(), at = [];
  let pos = null;
  for (const line of trace.split('\n')) {
    let m = /^\d+ +(\d+\.\d+) /.exec(line);
    if (!m || +m[1] < from || +m[1] > to) continue;
    if ((m = /openat\(.*"espruino\.flash".*\)\s*=\s*(\d+)/.exec(line))) files.add(m[1]);
    else if ((m = /lseek\((\d+), (\d+), SEEK_SET\)/.exec(line))) {
      if (files.has(m[1])) pos = +m[2];
    } else if ((m = /read\((\d+), .*\)\s*=\s*(\d+)/.exec(line))) {
      if (files.has(m[1]) && pos !== null) {
        if (+m[2] == PAGE) at.push(pos);
        pos += +m[2];
      }
    } else if ((m = /close\((\d+)\)/.exec(line))) files.delete(m[1]);
  }
  return at;
}

function app(port) {
  return [
    'var ws = require("web-socket-server");',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxPayload: 65536, maxQueue: 8192});',
    's.on("connection", function (c) { c.on("message", function (m) { c.send(m); }); });',
    's.on("listening", function () { print("READY"); });',
    's.start();',
    ''
  ].join('\n');
}

(async () => {
  const built = await build(OPTIONS.full);
  const moduleFile = path.join(require('os').tmpdir(), 'flash-reads-module-' + process.pid + '.js');
  fs.writeFileSync(moduleFile, built.code);
  const dir = workDir(ESPRUINO, moduleFile, OPTIONS.plain), image = OPTIONS.plain ? Buffer.from(built.code, 'latin1') : storageImage(moduleFile);
  fs.rmSync(moduleFile);
  const traceFile = path.join(dir, 'strace.txt'), port = await freePort();
  fs.writeFileSync(path.join(dir, 'app.js'), app(port));
  const p = spawn('strace', ['-f', '-ttt', '-e', 'trace=openat,lseek,read,close', '-o', traceFile, ESPRUINO, 'app.js'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  // The interpreter first, then strace: killed alone, strace would leave it
  // running (its pid begins every line strace writes).
  const stop = () => {
    const first = fs.existsSync(traceFile) ? /^(\d+) /.exec(fs.readFileSync(traceFile, 'latin1').slice(0, 100)) : null;
    try {
      if (first) process.kill(+first[1], 'SIGKILL');
    } catch (e) {}
    p.kill('SIGKILL');
  };
  try {
    for (const t0 = Date.now(); !/READY/.test(out); await delay(50)) if (Date.now() - t0 > 30000) throw new Error('the app did not start:\n' + out);
    const w = await Promise.race([connect(port), delay(30000).then(() => { throw new Error('no WebSocket connection within 30 s:\n' + out); })]);
    const data = OPTIONS.binary ? Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 131 + 7) & 255)) :
      Buffer.from(Array.from({ length: SIZE }, (_, i) => 0x20 + ((i * 31 + 5) % 95)));
    for (let i = 0; i < WARM_UP; i++) await roundTrip(w, data, OPTIONS.binary);
    const from = Date.now() / 1000;
    for (let i = 0; i < MESSAGES; i++) await roundTrip(w, data, OPTIONS.binary);
    const to = Date.now() / 1000;
    w.terminate();
    stop();
    await new Promise((resolve) => (p.exitCode !== null ? resolve() : p.once('exit', resolve)));
    // Storage is the file; the module's image is in it, as it was written.
    const flash = fs.readFileSync(path.join(dir, 'espruino.flash')), base = flash.indexOf(image.subarray(0, 64));
    const fns = functions(built.code, built.map), counts = new Map(), textAt = imageOffsets(built.code, image);
    let total = 0, inModule = 0;
    for (const pos of fetches(fs.readFileSync(traceFile, 'latin1'), from, to)) {
      total++;
      if (pos < base || pos >= base + image.length) continue;
      inModule++;
      const k = textAt[pos - base];
      const f = fns.find((x) => k >= x.start && k < x.end);
      if (f) counts.set(f, (counts.get(f) || 0) + 1);
    }
    const same = fs.existsSync(built.dist) && fs.readFileSync(built.dist, 'utf8') == built.code;
    console.log('Code fetched from Storage per round trip, ' + SIZE + '-byte ' + (OPTIONS.binary ? 'binary' : 'text') + ' messages, ' + MESSAGES + ' counted, on ' + ESPRUINO);
    console.log('module: the ' + (OPTIONS.full ? 'full' : 'small') + ' one, ' + built.code.length + ' bytes (' + (same ? 'the same as ' : 'not the same as ') + path.relative(process.cwd(), built.dist) + '), ' +
      (OPTIONS.plain ? 'in Storage as it is' : image.length + ' in Storage, pretokenised'));
    console.log('fetches per round trip: ' + (inModule / MESSAGES).toFixed(1) + ' in the module (' + (total / MESSAGES).toFixed(1) + ' in all)');
    console.log('');
    console.log('per trip  chars  function (chars: its minified text, before it is pretokenised)');
    [...counts].sort((a, b) => b[1] - a[1]).slice(0, TOP).forEach(([f, n]) => {
      console.log((n / MESSAGES).toFixed(1).padStart(8) + String(f.end - f.start).padStart(7) + '  ' + f.where + '  ' + (f.name || sourceLine(f.where)));
    });
  } finally {
    stop();
    await delay(200);
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
