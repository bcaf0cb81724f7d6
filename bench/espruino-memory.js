// Memory that the Espruino modules take on real Espruino interpreters, in
// blocks (JsVars). Both modules, dist/espruino/web-socket-server.js (small)
// and web-socket-server-full.js (full), are require()d from Storage, as on a
// board (pretokenised, as flash-scripts/install-storage.js puts them there).
// One table:
//
//   1. the module, loaded;
//   2. a started server (new Server + start(), after 'listening'), beyond 1,
//      and what making it (new Server) left that only a garbage collection
//      frees (counted without one, against after one; 0 if nothing);
//      then the first connection ever: while open, and what it leaves once
//      it has echoed a message and closed (made once, mostly by the
//      interpreter: see the note the script prints);
//   3. each idle open connection: N more opened one after another, the mean
//      (and each one's figure if they differ); then what each adds once it
//      has echoed one message; then one opened with each browser's
//      handshake of test/fixtures/browser-heads.json (a `ws` client sends
//      few headers, a browser many, and the request is kept);
//   4. usage once those N have closed, against before they opened (0 if
//      nothing is left behind);
//   5. usage after C sequential connect/close cycles, against 4; then after
//      E cycles of connect, one 64-byte echo, close (0 if nothing grows);
//   6. on ESPRUINO_SMALL (an interpreter with an ESP8266's 1,700 blocks), the
//      small module with the ESP8266 defaults: one connection echoing
//      512-byte text messages for R rounds, then a second beside it, both
//      messages in flight at once, for R rounds: the lowest free blocks seen
//      in a message handler, with one and with two; the free blocks with
//      the connections idle (with two: before and after their echoes) and
//      with none.
//
//   npm run build
//   ESPRUINO=/path/to/espruino [ESPRUINO_SMALL=/path/to/espruino-1700] \
//     node bench/espruino-memory.js [--connections N] [--cycles C] [--echo-cycles E] [--rounds R] [--small FILE] [--full FILE]
//
// N defaults to 4, C to 1000, E to C, R to 20. --small and --full measure
// other builds of the two modules (a previous version's, say) in place of
// dist/espruino/web-socket-server.js and -full.js. Rows 1-5 run on ESPRUINO, a
// fresh interpreter per module; without ESPRUINO_SMALL row 6 is skipped, with
// a note. A run of the defaults takes about a minute on an idle machine, most
// of it the cycles (5 to 30 ms each; more when other processes want the
// cores, as the interpreter spins one even when idle).
//
// How it counts. `usage` is process.memory().usage after a garbage
// collection (process.memory() runs one; it is called twice). Row 1 is
// measured in the app's top-level code, just before and after require()
// (the app has called require() once already, so the interpreter's list of
// loaded modules exists). Then the app prints a report from an interval
// timer every TICK ms, and every other figure is the difference of two
// states, each the least usage of the five reports taken once the state has
// lasted an interval or more: the idle loop has run, handshake bytes are
// written, nothing is in flight. All these reports are taken in the same
// context, an interval callback once the top-level code has finished (the
// interpreter holds the app's source text while that runs). The reports
// leave out the app's own interval timer (see app()); the script says
// whether the five reports of every state agreed.
//
// The app's listeners are made once and shared: the module calls them with
// the connection as `this`. (A closure per connection would add its own
// blocks to row 3, a copy of its code included.) Its 'listening' and
// 'connection' listeners are in row 2; each connection's 'message' and
// 'close' listeners, as registered, in row 3.
//
// Row 6 gives the ESP8266 defaults as options: the Linux interpreter's
// process.env.BOARD does not name an ESP8266, so the module would take
// another board's. (The small module has no maxFragments option.) The lowest
// free blocks is process.memory(false).free, which skips the garbage
// collection (a collection per message would cost time, and an app works
// with what is there), read on entry to every message handler; the idle
// figures are after a collection.
//
// The Linux builds of Espruino keep Storage in ./espruino.flash and, as a
// board does, hand out a Storage file as a string of 1 block that refers to
// it; the script checks that, and says so if an interpreter copies the file.
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { ROOT, delay, freePort, options, workDir, start, connect, roundTrip, close } = require('./espruino-run');
const { storageImage } = require('../flash-scripts/storage-image');
const { browserRequest } = require('../test/helpers/harness');

const ESPRUINO = process.env.ESPRUINO;
const ESPRUINO_SMALL = process.env.ESPRUINO_SMALL;
const OPTIONS = options({
  connections: ['string', '4'],
  cycles: ['string', '1000'],
  'echo-cycles': ['string', null],
  rounds: ['string', '20'],
  small: ['string', path.join(ROOT, 'dist', 'espruino', 'web-socket-server.js')],
  full: ['string', path.join(ROOT, 'dist', 'espruino', 'web-socket-server-full.js')]
});
const CONNECTIONS = +OPTIONS.connections;
const CYCLES = +OPTIONS.cycles;
const ECHO_CYCLES = OPTIONS['echo-cycles'] === null ? CYCLES : +OPTIONS['echo-cycles'];
const ROUNDS = +OPTIONS.rounds;
const TICK = 100;
// The report after which the app makes its server.
const SERVER_AT = 6;
const MODULES = [
  { name: 'small', file: path.resolve(OPTIONS.small) },
  { name: 'full', file: path.resolve(OPTIONS.full) }
];
// The browsers' handshakes, for row 3.
const BROWSERS = require('../test/fixtures/browser-heads.json');
// The ESP8266 column of the README's options table, for row 6.
const ESP8266 = { maxPayload: 512, maxHeader: 1024, maxQueue: 1024, maxConnections: 2, writeSize: 268, fragment: 264, minFree: 600 };

// What to undo if this script is interrupted or terminated: the interpreters
// running (one does not end by itself, not even at the end of its input, and
// spins a core for as long as it runs) and their folders.
const undo = new Set();
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    for (const f of undo) f();
    process.exit(code);
  });
}

if (!ESPRUINO || !(CONNECTIONS >= 1) || !(CYCLES >= 0) || !(ECHO_CYCLES >= 0) || !(ROUNDS >= 1)) {
  console.log('Measures the memory the Espruino modules take on real Espruino interpreters, in blocks.');
  console.log('Usage: ESPRUINO=/path/to/espruino [ESPRUINO_SMALL=/path/to/espruino-1700] node bench/espruino-memory.js [--connections N] [--cycles C] [--echo-cycles E] [--rounds R] [--small FILE] [--full FILE]');
  process.exit(0);
}

/** The app (ES5, as Espruino runs it; functions declared before use): loads
 *  the module from Storage at the top level (row 1, printed as LOADED), then
 *  reports from an interval: MEM seq open usage free low. The server is made
 *  and started in report SERVER_AT, after it is printed; 'listening' prints
 *  READY. Every connection echoes. `low` is the lowest free memory seen on
 *  entry to a message handler (-1: none yet).
 *
 *  The reports leave out the interval timer's own entry in the interpreter's
 *  timer list (usage less its size, free plus it): its size depends on when
 *  it is looked at. It holds its time relative to now, which packs into its
 *  name's block only while small, so a report that runs late, or a message
 *  handler run a while before the next report, would see a block more. The
 *  counters are kept in an Int32Array, whose size does not change with the
 *  values it holds. */
function app(options) {
  return [
    'var ws, s, before, loaded, mapped, iv, n = new Int32Array(3);',
    'function used() { process.memory(); return process.memory().usage; }',
    'function own() {',
    '  var t = global["\\xFF"].timers;',
    '  return t && t[iv] ? E.getSizeOf(t[iv]) : 0;',
    '}',
    'function onListening() { print("READY"); }',
    'function onMessage(m) {',
    '  var f = process.memory(false).free;',
    '  f += own();',
    '  if (n[2] < 0 || f < n[2]) n[2] = f;',
    '  this.send(m);',
    '}',
    'function onClose() { n[1]--; }',
    'function onConnection(c) {',
    '  n[1]++;',
    '  c.on("message", onMessage);',
    '  c.on("close", onClose);',
    '}',
    'function tick() {',
    '  var p, o;',
    '  n[0]++;',
    '  process.memory();',
    '  p = process.memory();',
    '  o = own();',
    '  print("MEM " + n[0] + " " + n[1] + " " + (p.usage - o) + " " + (p.free + o) + " " + n[2]);',
    '  if (n[0] == ' + SERVER_AT + ') {',
    '    process.memory();',
    '    s = new ws.Server(' + JSON.stringify(options) + ');',
    '    print("LEFT " + (process.memory(false).usage - process.memory().usage));',
    '    s.on("listening", onListening);',
    '    s.on("connection", onConnection);',
    '    s.start();',
    '  }',
    '}',
    'n[2] = -1;',
    'mapped = E.getSizeOf(require("Storage").read("web-socket-server"));',
    'used();',
    'before = used();',
    'ws = require("web-socket-server");',
    'loaded = used() - before;',
    'print("LOADED " + loaded + " " + mapped + " " + process.memory().total + " " + process.memory().blocksize + " " + process.env.BOARD);',
    'iv = setInterval(tick, ' + TICK + ');',
    ''
  ].join('\n');
}

/** Reads the app's lines from a run's output. */
function reports(run) {
  const out = run.output(), all = [];
  for (const m of out.matchAll(/MEM (\d+) (\d+) (\d+) (\d+) (-?\d+)/g)) {
    all.push({ seq: +m[1], open: +m[2], usage: +m[3], free: +m[4], low: +m[5] });
  }
  const l = /LOADED (-?\d+) (\d+) (\d+) (\d+) (\S+)/.exec(out), left = /LEFT (-?\d+)/.exec(out);
  return { all, loaded: l && { blocks: +l[1], mapped: +l[2] == 1, total: +l[3], blocksize: +l[4], board: l[5] }, left: left && +left[1] };
}

/** The usages of the reports of each state in which they were not all the same. */
const unsteady = [];

/** Of `got`, the reports of one state, the one with the least usage. */
function least(got) {
  if (got.some((x) => x.usage !== got[0].usage)) unsteady.push(got.map((x) => x.usage).join(' '));
  return got.reduce((x, y) => (y.usage < x.usage ? y : x));
}

/** Waits until the app has printed `n` reports. */
async function reported(run, n) {
  const wait = (n - reports(run).all.length + 20) * TICK + 5000;
  for (const t0 = Date.now(); reports(run).all.length < n; await delay(20)) {
    if (run.exited()) throw new Error('the interpreter ended (' + run.exited() + ')');
    if (Date.now() - t0 > wait) throw new Error('the app stopped reporting');
  }
  return reports(run).all;
}

/** The state as it is now, once it has lasted: least() of the 2nd to 6th
 *  reports from now. Fails if the app's count of open connections in them
 *  is not `open`. */
async function settled(run, open) {
  const from = reports(run).all.length, got = (await reported(run, from + 6)).slice(from + 1, from + 6);
  if (got.some((x) => x.open !== open)) throw new Error('the app counts ' + got.map((x) => x.open).join('/') + ' open connections, the client ' + open);
  return least(got);
}

/** One echo of a 64-byte text message on each of `sockets`, one after another. */
async function echoEach(sockets) {
  const text = 'x'.repeat(64);
  for (const w of sockets) {
    const { m, isBinary } = await roundTrip(w, text, false, 30000);
    if (isBinary || String(m) !== text) throw new Error('wrong echo');
  }
}

/** Runs the app with options(port) on `exe`, the module `file` in its
 *  Storage, and resolves with what measure(run, port) gives; the
 *  interpreter's last output goes with an error, and the interpreter and its
 *  folder are let go either way. */
async function onInterpreter(exe, file, options, measure) {
  const dir = workDir(exe, file), port = await freePort();
  let run;
  const end = () => {
    if (run) run.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  undo.add(end);
  try {
    run = await start(exe, dir, app(options(port)));
    return await measure(run, port);
  } catch (e) {
    throw new Error(e.message + (run ? '\n' + run.output().slice(-1500) : ''));
  } finally {
    end();
    undo.delete(end);
  }
}

/** Rows 1-5 for one module on ESPRUINO. */
function measure(module) {
  return onInterpreter(ESPRUINO, module.file, (port) => ({ port, receiveType: 'text/plain', sendType: 'text/plain', maxConnections: CONNECTIONS + 2 }), async (run, port) => {
    const r = { loaded: reports(run).loaded, each: [] };
    // 2: the server is made right after report SERVER_AT.
    const pre = least((await reported(run, SERVER_AT)).slice(1, SERVER_AT));
    const listening = await settled(run, 0);
    r.server = listening.usage - pre.usage;
    r.left = reports(run).left;
    // The first connection: open, one echo, closed.
    const first = await connect(port);
    r.firstOpen = (await settled(run, 1)).usage - listening.usage;
    await echoEach([first]);
    await close(first);
    const idle = await settled(run, 0);
    r.firstLeft = idle.usage - listening.usage;
    // 3: one connection at a time, each figure once it is idle; then one echo each.
    const sockets = [];
    let last = idle.usage;
    for (let i = 0; i < CONNECTIONS; i++) {
      sockets.push(await connect(port));
      const now = (await settled(run, i + 1)).usage;
      r.each.push(now - last);
      last = now;
    }
    r.perConnection = (last - idle.usage) / CONNECTIONS;
    await echoEach(sockets);
    r.afterEcho = ((await settled(run, CONNECTIONS)).usage - last) / CONNECTIONS;
    // 4
    for (const w of sockets) await close(w);
    const back = await settled(run, 0);
    r.baseline = back.usage - idle.usage;
    // 3, a browser's handshake: one connection at a time, from the baseline.
    r.browsers = [];
    for (const b of BROWSERS) {
      const sock = await rawConnect(port, b);
      r.browsers.push((await settled(run, 1)).usage - back.usage);
      sock.destroy();
      await settled(run, 0);
    }
    // 5: connect/close; then connect, one echo, close.
    let t0 = Date.now();
    for (let i = 0; i < CYCLES; i++) await close(await connect(port));
    r.cyclesMs = Date.now() - t0;
    const cycled = await settled(run, 0);
    r.growth = cycled.usage - back.usage;
    t0 = Date.now();
    for (let i = 0; i < ECHO_CYCLES; i++) {
      const w = await connect(port);
      await echoEach([w]);
      await close(w);
    }
    r.echoCyclesMs = Date.now() - t0;
    r.echoGrowth = (await settled(run, 0)).usage - cycled.usage;
    return r;
  });
}

/** A connection opened by hand with a browser's handshake (from
 *  test/fixtures/browser-heads.json); resolves once the 101 is in, with the
 *  TCP socket. */
function rawConnect(port, browser) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let head = '';
    sock.on('error', reject);
    sock.on('connect', () => sock.write(browserRequest(browser, port).text));
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (head.indexOf('\r\n\r\n') < 0) return;
      if (!/^HTTP\/1\.1 101 /.test(head)) reject(new Error('refused: ' + head.split('\r\n')[0]));
      else resolve(sock);
    });
  });
}

/** A 512-byte ASCII message, different for each client and round. */
function message(client, round) {
  let s = client + ':' + round + ':';
  for (let i = 0; s.length < 512; i++) s += String.fromCharCode(0x21 + ((i * 7 + client * 13 + round) % 94));
  return s;
}

/** Row 6: the small module on ESPRUINO_SMALL with the ESP8266 defaults. */
function measureSmall() {
  return onInterpreter(ESPRUINO_SMALL, MODULES[0].file, (port) => Object.assign({ port, receiveType: 'text/plain', sendType: 'text/plain' }, ESP8266), async (run, port) => {
    const r = { loaded: reports(run).loaded };
    const echoes = async (sockets) => {
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(sockets.map(async (w, i) => {
          const text = message(i, round), { m, isBinary } = await roundTrip(w, text, false, 30000);
          if (isBinary || String(m) !== text) throw new Error('wrong echo in round ' + round);
        }));
      }
    };
    r.noConnection = (await settled(run, 0)).free;
    // One connection alone first: the lowest free the app sees can only go
    // down, so its figure is read before the second connection opens.
    const a = await connect(port);
    r.idleOne = (await settled(run, 1)).free;
    await echoes([a]);
    r.lowOne = (await settled(run, 1)).low;
    const b = await connect(port);
    r.idleBefore = (await settled(run, 2)).free;
    await echoes([a, b]);
    const after = await settled(run, 2);
    r.low = after.low;
    r.idleAfter = after.free;
    await close(a);
    await close(b);
    return r;
  });
}

/** What went wrong, on one line: the cause and the interpreter's last line. */
function brief(e) {
  const lines = e.message.split(/\r?\n/).map((l) => l.replace(/\x1b\[J|^>/g, '').trim()).filter((l) => l);
  return lines[0] + (lines.length > 1 ? ' (the interpreter\'s last line: ' + lines[lines.length - 1] + ')' : '');
}

(async () => {
  const t0 = Date.now(), results = [];
  for (const m of MODULES) {
    try {
      results.push(await measure(m));
    } catch (e) {
      results.push({ error: brief(e) });
    }
  }
  let small = null;
  if (ESPRUINO_SMALL) {
    try {
      small = await measureSmall();
    } catch (e) {
      small = { error: brief(e) };
    }
  }

  const rel = (p) => path.relative(process.cwd(), p) || '.';
  const args = process.argv.slice(2).join(' ');
  console.log('Memory of the Espruino modules, in blocks (JsVars), both require()d from Storage as on a board');
  console.log('  command: ESPRUINO=' + ESPRUINO + (ESPRUINO_SMALL ? ' ESPRUINO_SMALL=' + ESPRUINO_SMALL : '') +
    ' node ' + rel(__filename) + (args ? ' ' + args : ''));
  const info = results.find((r) => r.loaded);
  if (info) console.log('  rows 1-5: ' + ESPRUINO + ' (BOARD ' + info.loaded.board + ', ' + info.loaded.total + ' blocks of ' + info.loaded.blocksize + ' bytes)');
  if (small && small.loaded) console.log('  row 6:    ' + ESPRUINO_SMALL + ' (BOARD ' + small.loaded.board + ', ' + small.loaded.total + ' blocks of ' + small.loaded.blocksize + ' bytes)');
  for (const m of MODULES) console.log('  ' + m.name.padEnd(6) + rel(m.file) + ' (' + fs.statSync(m.file).size + ' bytes; in Storage, pretokenised: ' + storageImage(m.file).length + ')');
  console.log('  usage = process.memory().usage after a collection; rows 2-6 from the app\'s reports, five in each state, from ' + TICK + ' ms into it');
  console.log('');

  const W = 66, col = (v) => String(v).padStart(13);
  const row = (label, f) => console.log(label.padEnd(W) + results.map((r) => col(r.error ? 'failed' : f(r))).join(''));
  console.log(''.padEnd(W) + MODULES.map((m) => col(m.name)).join(''));
  row('1 module, loaded', (r) => r.loaded.blocks);
  row('2 server started (after \'listening\'), beyond the module', (r) => r.server);
  row('    left by making it, until a garbage collection', (r) => r.left);
  row('  the first connection: while open', (r) => r.firstOpen);
  row('    left after it echoed once and closed (see below)', (r) => r.firstLeft);
  row('3 per idle open connection, mean of ' + CONNECTIONS + ' opened after it', (r) => r.perConnection);
  if (results.some((r) => r.each && r.each.some((x) => x !== r.each[0]))) row('    each, in the order opened', (r) => r.each.join('/'));
  row('    more per connection once each has echoed one message', (r) => r.afterEcho);
  row('    one opened with the handshake of ' + BROWSERS.map((b) => b.name).join(' / '), (r) => r.browsers.join(' / '));
  row('4 after the ' + CONNECTIONS + ' close, against before they opened', (r) => r.baseline);
  row('5 after ' + CYCLES + ' connect/close cycles, against row 4', (r) => r.growth);
  row('    after ' + ECHO_CYCLES + ' more with one 64 B echo each, against that', (r) => r.echoGrowth);
  row('    time of those ' + CYCLES + ' / ' + ECHO_CYCLES + ' cycles (s)', (r) => (r.cyclesMs / 1000).toFixed(1) + ' / ' + (r.echoCyclesMs / 1000).toFixed(1));
  if (!small) {
    console.log('6 ESP8266-sized (1,700 blocks): skipped, ESPRUINO_SMALL is not set');
  } else if (small.error) {
    console.log('6 ESP8266-sized, small module: failed: ' + small.error);
  } else {
    console.log('6 ESP8266-sized, small module, ESP8266 defaults: free blocks of ' + small.loaded.total);
    console.log(('    lowest in a message handler, 2 x ' + ROUNDS + ' rounds of 512 B text at once').padEnd(W) + col(small.low) + col('-'));
    console.log('    2 connections idle, before those echoes / after'.padEnd(W) + col(small.idleBefore + '/' + small.idleAfter) + col('-'));
    console.log(('    one connection alone: lowest in its handler, ' + ROUNDS + ' rounds / idle').padEnd(W) + col(small.lowOne + '/' + small.idleOne) + col('-'));
    console.log('    server listening, no connection'.padEnd(W) + col(small.noConnection) + col('-'));
  }
  console.log('');
  console.log('  What the first connection leaves is made once, mostly by the interpreter (E.getSizeOf(global, 1) shows it):');
  console.log('  built-ins its code is the first to touch (Socket, Math, RegExp, ...) get an entry in the root, the list of');
  console.log('  client sockets is made, and require("crypto") is cached.');
  for (let i = 0; i < results.length; i++) if (results[i].error) console.log('  ' + MODULES[i].name + ' failed: ' + results[i].error);
  console.log(unsteady.length ? '  In ' + unsteady.length + ' states the reports differed (the least was taken): ' + unsteady.join(', ') + '.'
    : '  In every state all the reports agreed.');
  const copied = results.concat(small || []).some((r) => r.loaded && !r.loaded.mapped);
  if (copied) console.log('  Note: an interpreter copied the Storage file into RAM (not what a board does): row 1 includes the code.');
  console.log('');
  console.log('  ' + ((Date.now() - t0) / 1000).toFixed(0) + ' s in all');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
