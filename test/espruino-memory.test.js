// What the module, a server and a connection cost on a real Espruino
// interpreter, with the module required from Storage as on a board: blocks
// (JsVars) are counted exactly, so the figures are bounded here
// (bench/espruino-memory.js prints them all).
//
// Needs ESPRUINO (a Linux build of Espruino); pending without it.
'use strict';
const assert = require('assert');
const path = require('path');
const fs = require('fs');
const http = require('http');
const { workDir, start, connect, roundTrip, close, freePort } = require('../bench/espruino-run');

const ESPRUINO = process.env.ESPRUINO;
const DIST = path.join(__dirname, '..', 'dist', 'espruino');

// [bundle, most blocks an idle open connection may take]: measured here 82
// (small) and 93 (full), each connection having echoed once, on a build
// with an ESP32's 16,383 blocks (espruino-dev).
const MODULES = [
  ['web-socket-server.js', 85],
  ['web-socket-server-full.js', 96]
];
const OPENED = 4;

/** An echo app whose listeners are shared by every connection (a function
 *  made per connection would be counted as the module's); "memory?" answers
 *  the blocks in use after a garbage collection.
 *
 *  The count is taken from a timer, after the events of that turn, not in
 *  the 'message' listener: when the client's next message comes in the same
 *  network pass as the interpreter sends the previous answer, the 'drain'
 *  that pass queued is still waiting while 'data' runs, and is counted (7
 *  blocks). On a loaded machine that happened in runs of readings, and made
 *  a baseline 7 blocks high or low. */
function app(port) {
  return [
    'var ws = require("web-socket-server");',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxConnections: 8});',
    'function measure(c) { process.memory(); c.send(String(process.memory().usage)); }',
    'function onMessage(m) { if (m == "memory?") setTimeout(measure, 0, this); else this.send(m); }',
    's.on("connection", function (c) { c.on("message", onMessage); });',
    's.on("listening", function () { print("READY"); });',
    's.start();',
    ''
  ].join('\n');
}

// [bundle, most blocks the module may take once required from Storage, most
// a started server may take beyond it]: measured here 414 and 63 (small),
// 588 and 67 (full, which keeps the code of its message path in RAM), on
// espruino-dev. A count of blocks is exact, so the module's bound is what it
// measures: a block more is a decision, taken here.
const LOADED = [
  ['web-socket-server.js', 414, 68],
  ['web-socket-server-full.js', 588, 72]
];

/** An app that prints the blocks the module takes once required, then
 *  those a started server takes beyond it (its options, lists, the
 *  interpreter's listening socket, the app's 'listening' listener), after
 *  'listening', on a later turn of the event loop. */
function loadApp(port) {
  return [
    'var before, loaded, ws, s;',
    'function used() { process.memory(); return process.memory().usage; }',
    'function report() { print("MEMORY " + loaded + " " + (used() - before - loaded)); print("READY"); }',
    'function onListening() { setTimeout(report, 0); }',
    // (Storage is required once first, so that the interpreter's list of
    // loaded modules exists before the count.)
    'require("Storage");',
    'before = used();',
    'ws = require("web-socket-server");',
    'loaded = used() - before;',
    's = new ws.Server({port: ' + port + '});',
    's.on("listening", onListening);',
    's.start();',
    ''
  ].join('\n');
}

/** An app that makes a server with options of each kind that both
 *  modules take (a port as a string, strings, types, numbers, a list, a
 *  policy, true or false), and prints the blocks in use that only a garbage
 *  collection frees (a count without a collection, against one after it);
 *  then starts it, and once it is listening stops it, and prints those
 *  made from then until three turns later. */
function optionsApp(port) {
  return [
    'var ws = require("web-socket-server"), before, s;',
    'process.memory();',
    'before = process.memory(false).usage;',
    's = new ws.Server({port: "' + port + '", hostInterface: "0.0.0.0", receiveType: "text/csv", sendType: "application/octet-stream",',
    '  maxPayload: 1000, writeSize: 536, origins: ["http://a.example"], queuePolicy: "fail", sslTls: false, minFree: 0});',
    'print("LEFT " + (process.memory(false).usage - process.memory().usage) + " " + (process.memory().usage - before));',
    // (Each count collects what it counted; the interpreter lets go of
    // a closed server on an idle pass, so three turns are counted.)
    'function left() { return process.memory(false).usage - process.memory().usage; }',
    'function turn(k, sum) {',
    '  if (k == 3) { print("STOPPED " + sum); print("READY"); }',
    '  else setTimeout(function () { turn(k + 1, sum + left()); }, 0);',
    '}',
    's.on("listening", function () {',
    '  s.stop();',
    '  turn(0, left());',
    '});',
    's.start();',
    ''
  ].join('\n');
}

/** n connections, one after another, each echoing once and closed. */
async function cycles(port, n) {
  for (let k = 0; k < n; k++) {
    const w = await connect(port);
    await roundTrip(w, Buffer.from('cycle ' + k));
    await close(w);
  }
}

/** The blocks in use, read until they are `before` (at most 20 times): the
 *  server lets go of a socket when Espruino reports it closed, on an idle
 *  pass of its own, and each answer is a pass later. */
async function settled(usage, before) {
  let now;
  for (let k = 0; k < 20 && (now = await usage()) != before; k++);
  return now;
}

/** Runs app(port) on ESPRUINO with `file` in Storage, then body(port, run);
 *  the interpreter and its folder go afterwards. */
async function onInterpreter(file, app, body) {
  const dir = workDir(ESPRUINO, path.join(DIST, file));
  let run;
  try {
    const port = await freePort();
    run = await start(ESPRUINO, dir, app(port));
    await body(port, run);
  } finally {
    if (run) run.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const [file, module, server] of LOADED) {
  describe('the module and a server on a real Espruino interpreter, from Storage [' + file + ']', function () {
    this.timeout(60000);

    it('the module takes at most ' + module + ' blocks, and a started server at most ' + server + ' more', async function () {
      if (!ESPRUINO) return this.skip();
      await onInterpreter(file, loadApp, async (port, run) => {
        const m = /MEMORY (\d+) (\d+)/.exec(run.output());
        assert.ok(m, 'the app printed no figures:\n' + run.output().slice(-500));
        assert.ok(+m[1] > 0 && +m[1] <= module, 'blocks of the module: ' + m[1]);
        assert.ok(+m[2] > 0 && +m[2] <= server, 'blocks of a started server: ' + m[2]);
      });
    });

    it('making a server, and stopping it, leave nothing that only the garbage collector frees', async function () {
      if (!ESPRUINO) return this.skip();
      await onInterpreter(file, optionsApp, async (port, run) => {
        const m = /LEFT (-?\d+) (-?\d+)/.exec(run.output()), stopped = /STOPPED (-?\d+)/.exec(run.output());
        assert.ok(m && stopped, 'the app printed no figures:\n' + run.output().slice(-500));
        assert.ok(+m[2] > 0, 'the server took no blocks: ' + m[2]);
        assert.strictEqual(+m[1], 0, 'blocks only a collection freed, once made');
        assert.strictEqual(+stopped[1], 0, 'blocks only a collection freed, once stopped');
      });
    });
  });
}

for (const [file, most] of MODULES) {
  describe('memory on a real Espruino interpreter, from Storage [' + file + ']', function () {
    this.timeout(60000);
    let dir, run, probe, port;

    before(async function () {
      if (!ESPRUINO) return this.skip();
      dir = workDir(ESPRUINO, path.join(DIST, file));
      port = await freePort();
      run = await start(ESPRUINO, dir, app(port));
      // The first connection makes what is made once (the interpreter's
      // built-ins it is the first to touch, the cached crypto module): not
      // a connection's cost.
      const first = await connect(port);
      await roundTrip(first, Buffer.from('warm'));
      await close(first);
      probe = await connect(port);
    });

    after(function () {
      if (run) run.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const usage = async () => Number((await roundTrip(probe, Buffer.from('memory?'))).m.toString());

    it('an idle open connection takes at most ' + most + ' blocks, and all of it is given back when it closes', async function () {
      const before = await usage();
      const open = [];
      for (let k = 0; k < OPENED; k++) {
        const w = await connect(port);
        const { m } = await roundTrip(w, Buffer.from('hello ' + k));
        assert.strictEqual(m.toString(), 'hello ' + k);
        open.push(w);
      }
      const each = ((await usage()) - before) / OPENED;
      assert.ok(each > 0 && each <= most, 'blocks per open connection: ' + each);
      for (const w of open) await close(w);
      assert.strictEqual(await settled(usage, before), before, 'blocks in use after the connections closed, against before they opened');
    });

    it('100 more connections, opened, echoing and closed one after another, leave nothing behind', async function () {
      const before = await usage();
      await cycles(port, 100);
      assert.strictEqual(await settled(usage, before), before, 'blocks in use after 100 cycles, against before');
    });
  });
}

/** GETs path from the server; resolves with the body once the connection
 *  has closed. */
function get(port, pathname) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (body += d));
      res.on('error', reject);
      res.socket.on('close', () => resolve(body));
    }).on('error', reject);
  });
}

/** An echo app written the usual way: a 'message' listener made for each
 *  connection, which refers to its socket; and a page on the same port.
 *  "usage?" answers the blocks in use without a garbage collection, counted
 *  from a timer (see app) made with a function that is no closure. */
function closureApp(port) {
  return [
    'var ws = require("web-socket-server");',
    'function measure(c) { c.send(String(process.memory(false).usage)); }',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxConnections: 8});',
    's.on("connection", function (c) {',
    '  c.on("message", function (m) { if (m == "usage?") setTimeout(measure, 0, c); else c.send(m); });',
    '});',
    's.on("request", function (req, res) { res.writeHead(200, {"Content-Type": "text/plain"}); res.write("a page "); res.end(req.path); });',
    's.on("listening", function () { print("READY"); });',
    's.start();',
    ''
  ].join('\n');
}

/** An app that, for any message, queues a 4 KB text message and then the
 *  blocks in use that it added, counted without a garbage collection. */
function queueApp(port) {
  return [
    'var ws = require("web-socket-server");',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxQueue: 8192});',
    'var text = E.toString(new Uint8Array(4096).fill(65));',
    's.on("connection", function (c) { c.on("message", function () {',
    '  process.memory(); var before = process.memory(false).usage;',
    '  c.send(text);',
    '  c.send(String(process.memory(false).usage - before));',
    '}); });',
    's.on("listening", function () { print("READY"); });',
    's.start();',
    ''
  ].join('\n');
}

for (const [file] of MODULES) {
  describe('memory counted without a garbage collection, on a real Espruino interpreter [' + file + ']', function () {
    this.timeout(60000);

    // Such a listener and its socket refer to each other through the
    // listener's scope: were the socket to keep its listeners after
    // 'close', the pair would stay until the garbage collector runs, which
    // on a board is when memory is nearly out.
    it('the connections, and those of pages, are freed as they close, without waiting for a garbage collection', async function () {
      if (!ESPRUINO) return this.skip();
      await onInterpreter(file, closureApp, async (port) => {
        // The first connection and the first page make what is made once
        // (see above).
        const first = await connect(port);
        await roundTrip(first, Buffer.from('warm'));
        await close(first);
        await get(port, '/');
        const probe = await connect(port);
        const usage = async () => Number((await roundTrip(probe, Buffer.from('usage?'))).m.toString());
        const before = await usage();
        await cycles(port, 5);
        assert.strictEqual(await settled(usage, before), before, 'blocks in use, without a collection, after 5 connections closed, against before');
        // And a page's connection, its request and its Response.
        for (let k = 0; k < 5; k++) assert.strictEqual(await get(port, '/page' + k), 'a page /page' + k);
        assert.strictEqual(await settled(usage, before), before, 'blocks in use, without a collection, after 5 pages were served, against before');
      });
    });

    // On a board strings are bytes, so the queue holds the message's string
    // itself; a copy as a Uint8Array would cost about 230 blocks for 4 KB.
    it('a text message waiting to go out costs the queue a few blocks, not a copy of its bytes', async function () {
      if (!ESPRUINO) return this.skip();
      await onInterpreter(file, queueApp, async (port) => {
        const w = await connect(port);
        const got = [];
        w.on('message', (m) => got.push(m.toString()));
        w.send('go');
        await new Promise((resolve) => w.on('message', () => got.length == 2 && resolve()));
        assert.strictEqual(got[0], 'A'.repeat(4096));
        assert.ok(+got[1] > 0 && +got[1] <= 20, 'blocks the queued message took: ' + got[1]);
        w.terminate();
      });
    });
  });
}
