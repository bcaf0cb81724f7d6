// Echo round trips on a real Espruino interpreter: the module (the small
// one, loaded from Storage as on a board) against a minimal echo app written
// here, the floor of what any JavaScript WebSocket server must do on this
// interpreter: one `net` server, the handshake (accept key from
// crypto.SHA1), one masked client frame read from the bytes received so far
// (7-, 16- or 64-bit length; a frame split over 'data' chunks is
// accumulated), unmasked by a plain byte loop over E.toUint8Array of it, and
// sent back as one unmasked frame made with E.toString. It checks nothing,
// validates no UTF-8, keeps no state beyond the bytes, and knows no
// fragments, pings or close handshake.
//
// A `ws` client on loopback times, on one connection: 1,000 sequential
// 64-byte round trips, 200 of 1 KiB, 20 of 16 KiB and 5 of 64 KiB (65,536
// bytes: a 64-bit length), all text (ASCII) unless --binary. Each run is a
// fresh interpreter; runs alternate (module, minimal, module, minimal, ...),
// and the table gives the median ms per case and the ratio module / minimal.
//
// Each app runs twice over: with its code in Storage, as on a board (the
// module required from Storage, pretokenised as flash-scripts/install-storage.js
// writes it; the minimal app saved there as it is, and required),
// and with its code in RAM (the module's text given to Modules.addCached, as
// the Web IDE sends a module; the minimal app as the interpreter loads the
// app file). The Linux interpreters read Storage through a file, with an
// open, seek, read and close for every few bytes of code the interpreter
// reads, and it reads a function's whole text at every call: there, code
// from Storage runs several times slower than from RAM, and the two
// placements show how much of a time that is. The script also prints the
// blocks the module takes in each placement.
//
//   npm run build
//   ESPRUINO=/path/to/espruino node bench/espruino-echo.js [--rounds N] [--module FILE] [--compare OTHER.js [--plain-compare]] [--binary]
//
// --rounds N     runs of each app (default 5)
// --module FILE  the module to measure (default dist/espruino/web-socket-server.js)
// --compare FILE another build of the module, from Storage, in a last column (ratio to --module)
// --plain-compare the --compare module goes into Storage as it is, not
//                pretokenised: with --compare the same file as --module, it
//                shows what pretokenising gives
// --binary       binary messages instead of text (the module then skips UTF-8 checks)
//
// The module runs with its defaults for this interpreter, except maxPayload
// 65536 (to take 64 KiB) and maxQueue 8192; it sends 64 KiB as frames of
// its `fragment` size. Absolute times on a PC say nothing about a board;
// the ratios between the apps do.
'use strict';
const fs = require('fs');
const path = require('path');
const { ROOT, median, options, freePort, workDir, start, connect, roundTrip } = require('./espruino-run');

const ESPRUINO = process.env.ESPRUINO;
const OPTIONS = options({
  rounds: ['string', '5'],
  module: ['string', path.join(ROOT, 'dist', 'espruino', 'web-socket-server.js')],
  compare: ['string', null],
  'plain-compare': ['boolean', false],
  binary: ['boolean', false]
});
const ROUNDS = +OPTIONS.rounds;
const MODULE = path.resolve(OPTIONS.module);
const COMPARE = OPTIONS.compare;
const BINARY = OPTIONS.binary;
const CASES = [
  // [label, bytes per message, sequential round trips]
  ['64 B', 64, 1000],
  ['1 KiB', 1024, 200],
  ['16 KiB', 16384, 20],
  ['64 KiB', 65536, 5]
];

if (!ESPRUINO) {
  console.log('Times echo round trips through the module and through a minimal echo app on a real Espruino interpreter.');
  console.log('Usage: ESPRUINO=/path/to/espruino node bench/espruino-echo.js [--rounds N] [--module FILE] [--compare OTHER.js [--plain-compare]] [--binary]');
  process.exit(0);
}

/** The module's echo app: the module from Storage, or, given its `source`,
 *  from RAM. It prints the blocks the module takes once loaded. */
function moduleApp(port, source) {
  return [
    'var before, ws;',
    'function used() { process.memory(); return process.memory().usage; }',
    'require("Storage");',
    'before = used();',
    source ? 'Modules.addCached("web-socket-server", ' + JSON.stringify(source) + ');' : '',
    'ws = require("web-socket-server");',
    'print("LOADED " + (used() - before));',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxPayload: 65536, maxQueue: 8192});',
    's.on("connection", function (c) { c.on("message", function (m) { c.send(m); }); });',
    's.on("listening", function () { print("READY"); });',
    's.start();',
    ''
  ].join('\n');
}

/** The minimal echo app, from RAM. */
function minimalApp(port) {
  return `require("net").createServer(function (c) {
  var buf = "", open = false;
  c.on("data", function (d) {
    buf += d;
    if (!open) {
      var end = buf.indexOf("\\r\\n\\r\\n"), k = buf.indexOf("Sec-WebSocket-Key: ") + 19;
      if (end < 0) return;
      c.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " +
        btoa(require("crypto").SHA1(buf.substring(k, buf.indexOf("\\r\\n", k)) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) + "\\r\\n\\r\\n");
      open = true; buf = buf.substr(end + 4);
    }
    var n = buf.charCodeAt(1) & 127, o = n < 126 ? 6 : n == 126 ? 8 : 14, b, i;
    if (n == 126) n = buf.charCodeAt(2) << 8 | buf.charCodeAt(3);
    if (n == 127) n = buf.charCodeAt(6) << 24 | buf.charCodeAt(7) << 16 | buf.charCodeAt(8) << 8 | buf.charCodeAt(9);
    if (buf.length < o + n) return;
    b = E.toUint8Array(buf); buf = buf.substr(o + n);
    for (i = 0; i < n; i++) b[o + i] ^= b[o - 4 + (i & 3)];
    c.write(E.toString([b[0]].concat(n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 255] : [127, 0, 0, 0, 0, n >>> 24, n >> 16 & 255, n >> 8 & 255, n & 255]), b.subarray(o, o + n)));
  });
}).listen(${port});
print("READY");
`;
}

/** The minimal echo app, saved to Storage and required from there. */
function minimalStorageApp(port) {
  return 'require("Storage").write("minimal-echo", ' + JSON.stringify(minimalApp(port)) + ');\nrequire("minimal-echo");\n';
}

function payload(size) {
  if (BINARY) return Buffer.from(Array.from({ length: size }, (_, i) => (i * 131 + 7) & 255));
  return Buffer.from(Array.from({ length: size }, (_, i) => 0x20 + ((i * 31 + 5) % 95)));
}

/** One run on a fresh interpreter: ms per case (and the blocks the module
 *  took, if the app says). */
async function run(dir, app) {
  const port = await freePort();
  const r = await start(ESPRUINO, dir, app(port));
  try {
    const w = await connect(port), ms = {}, loaded = /LOADED (\d+)/.exec(r.output());
    if (loaded) ms.loaded = +loaded[1];
    for (const [label, size, count] of CASES) {
      const data = payload(size);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < count; i++) {
        const { m, isBinary } = await roundTrip(w, data, BINARY, 60000);
        if (isBinary !== BINARY || m.length !== size || (i === 0 && !m.equals(data))) throw new Error('wrong echo of ' + label);
      }
      ms[label] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    w.terminate();
    return ms;
  } catch (e) {
    throw new Error(e.message + '\n' + r.output().slice(-1500));
  } finally {
    r.stop();
  }
}

(async () => {
  const source = fs.readFileSync(MODULE, 'utf8');
  const apps = [
    // (The table's ratios take the columns in this order.)
    { name: 'module', place: 'Storage', dir: workDir(ESPRUINO, MODULE), app: (port) => moduleApp(port) },
    { name: 'minimal', place: 'RAM', dir: workDir(ESPRUINO), app: minimalApp },
    { name: 'module', place: 'RAM', dir: workDir(ESPRUINO), app: (port) => moduleApp(port, source) },
    { name: 'minimal', place: 'Storage', dir: workDir(ESPRUINO), app: minimalStorageApp }
  ];
  if (COMPARE) apps.push({ name: 'compare', place: 'Storage', dir: workDir(ESPRUINO, path.resolve(COMPARE), OPTIONS['plain-compare']), app: (port) => moduleApp(port) });
  try {
    const times = apps.map(() => []);
    for (let k = 0; k < ROUNDS; k++) for (let i = 0; i < apps.length; i++) times[i].push(await run(apps[i].dir, apps[i].app));
    console.log('Echo on ' + ESPRUINO + ', ' + (BINARY ? 'binary' : 'text') + ' messages, one connection, sequential round trips;');
    console.log('ms per case, median of ' + ROUNDS + ' alternating runs, each on a fresh interpreter');
    console.log('  module:  ' + path.relative(process.cwd(), MODULE) + ', its code in Storage (as on a board) or in RAM (Modules.addCached)');
    console.log('  minimal: the minimal echo app (see the header of ' + path.relative(process.cwd(), __filename) + '), in RAM or in Storage');
    if (COMPARE) console.log('  compare: ' + path.relative(process.cwd(), path.resolve(COMPARE)) + ', from Storage' + (OPTIONS['plain-compare'] ? ', not pretokenised' : ''));
    console.log('  blocks the module takes once loaded: ' + apps.map((a, i) => a.name == 'minimal' ? '' : a.name + ' from ' + a.place + ' ' +
      median(times[i].map((t) => t.loaded))).filter(Boolean).join(', '));
    console.log('');
    console.log('                     ' + apps.map((a) => a.name.padStart(9)).join('') + '   module Storage  module Storage     module RAM' + (COMPARE ? '   compare/module' : ''));
    console.log('case                 ' + apps.map((a) => a.place.padStart(9)).join('') + '  / minimal RAM  / min. Storage  / minimal RAM');
    for (const [label, , count] of CASES) {
      const m = times.map((ts) => median(ts.map((t) => t[label])));
      console.log((count + ' x ' + label).padEnd(21) + m.map((x) => x.toFixed(0).padStart(9)).join('') +
        ((m[0] / m[1]).toFixed(2) + 'x').padStart(15) + ((m[0] / m[3]).toFixed(2) + 'x').padStart(16) + ((m[2] / m[1]).toFixed(2) + 'x').padStart(15) +
        (COMPARE ? ((m[4] / m[0]).toFixed(2) + 'x').padStart(17) : ''));
    }
    console.log('');
    console.log('per round trip (ms):');
    for (const [label, , count] of CASES) {
      const m = times.map((ts) => median(ts.map((t) => t[label])) / count);
      console.log('  ' + label.padEnd(19) + m.map((x) => x.toFixed(2).padStart(9)).join(''));
    }
  } finally {
    for (const a of apps) fs.rmSync(a.dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
