// The small module on an interpreter with an ESP8266's memory: the README's
// ESP8266 defaults (maxPayload 512, maxHeader 1024, maxQueue 1024, two
// connections) must fit in 1,700 blocks with the module in Storage.
//
// Runs only when ESPRUINO_SMALL names an Espruino interpreter executable for
// this machine (a Linux build of Espruino) whose memory is 2,000 blocks or
// fewer, as an ESP8266's 1,700 are; otherwise every test here is pending.
//
//   npx rollup -c --silent
//   ESPRUINO_SMALL=/path/to/espruino npx mocha --no-config test/espruino-small-heap.test.js
'use strict';
const { freePort } = require('./helpers/free-port');
const { until, delay } = require('./helpers/harness');
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const WebSocket = require('ws');
const { storm, KINDS } = require('./helpers/storm');
const { storageImage } = require('../flash-scripts/storage-image');

/** How long the misbehaving clients go on, at least: each phase of the
 *  storm goes on until each of its kinds has had the free slot once (the
 *  stalled ones never complete a handshake), and at most PHASE_CAP times
 *  its share of STORM_MS. (On a loaded machine the interpreter serves fewer
 *  connections in a phase's share.) */
const STORM_MS = 30000;
const PHASE_CAP = 3;

const ESPRUINO_SMALL = process.env.ESPRUINO_SMALL;
const BUNDLE = path.join(__dirname, '..', 'dist', 'espruino', 'web-socket-server.js');

// The ESP8266 column of the README's table (this interpreter's BOARD is not
// ESP8266, so they are given).
const ESP8266 = { maxPayload: 512, maxHeader: 1024, maxQueue: 1024, maxConnections: 2, writeSize: 268, fragment: 264 };

/** The app: the module from Storage, an echo server; "memory?" answers the
 *  free blocks and the total. */
function app(port) {
  return [
    'var ws = require("web-socket-server");',
    'var s = new ws.Server(' + JSON.stringify(Object.assign({ port, receiveType: 'text/plain', sendType: 'text/plain' }, ESP8266)) + ');',
    // The lowest free memory seen in a message handler, without a garbage
    // collection (what the application would have to work with).
    'var low = 1e9;',
    's.on("connection", function (c) { c.on("message", function (m, bin) {',
    '  var f = process.memory(false).free; if (f < low) low = f;',
    '  if (!bin && m == "memory?") { process.memory(); var p = process.memory(); c.send(p.free + " " + p.total); }',
    '  else if (!bin && m == "low?") { c.send(String(low)); low = 1e9; }',
    '  else c.send(m);',
    '}); });',
    's.start();',
    ''
  ].join('\n');
}

(ESPRUINO_SMALL ? describe : describe.skip)('the small module in ' + (ESPRUINO_SMALL ? 'an ESP8266-sized interpreter (' + ESPRUINO_SMALL + ')' : 'an ESP8266-sized interpreter (set ESPRUINO_SMALL to run)'), function () {
  this.timeout(30000);
  let dir, proc, port, out = '', exited = false;
  const clients = [];

  /** A client that records its messages and its end. */
  function open(headers) {
    const w = new WebSocket('ws://127.0.0.1:' + port + '/', { headers });
    w.log = { open: false, messages: [], code: null, status: null };
    w.on('open', () => (w.log.open = true));
    w.on('message', (m, isBinary) => w.log.messages.push({ m, isBinary }));
    w.on('close', (code) => (w.log.code = code));
    w.on('unexpected-response', (req, res) => (w.log.status = res.statusCode));
    w.on('error', () => {});
    clients.push(w);
    return until(() => (w.log.open || w.log.status !== null || w.log.code !== null ? w : undefined), 'the handshake', 10000);
  }

  /** Sends m and resolves with the reply, failing if the connection ends first. */
  async function roundTrip(w, m) {
    const n = w.log.messages.length;
    w.send(m);
    await until(() => w.log.messages.length > n || w.log.code !== null, 'a reply', 10000);
    assert.strictEqual(w.log.code, null, 'the connection ended instead of replying');
    return w.log.messages[n];
  }

  async function freeBlocks(w) {
    return +String((await roundTrip(w, 'memory?')).m).split(' ')[0];
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-small-'));
    port = await freePort();
    // The module into Storage (./espruino.flash), read from a file so that
    // the interpreter holds one copy of it; pretokenised, as
    // flash-scripts/install-storage.js puts it on a board.
    fs.writeFileSync(path.join(dir, 'module.js'), storageImage(BUNDLE));
    fs.writeFileSync(path.join(dir, 'write.js'),
      'require("Storage").write("web-socket-server", require("fs").readFileSync("module.js")); quit();');
    spawnSync(ESPRUINO_SMALL, ['write.js'], { cwd: dir, stdio: 'ignore', timeout: 20000 });
    fs.writeFileSync(path.join(dir, 'app.js'), app(port));
    proc = spawn(ESPRUINO_SMALL, ['app.js'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => (out += d.toString('latin1')));
    proc.stderr.on('data', (d) => (out += d.toString('latin1')));
    proc.on('exit', () => (exited = true));
    let first;
    for (let i = 0; !first || !first.log.open; i++) {
      assert.ok(!exited && i < 100, 'the interpreter did not serve:\n' + out.slice(-2000));
      await delay(100);
      first = await open({}).catch(() => null);
    }
    const [, total] = String((await roundTrip(first, 'memory?')).m).split(' ');
    assert.ok(+total <= 2000, 'ESPRUINO_SMALL has ' + total + ' blocks: build it with an ESP8266\'s 1,700');
    first.terminate();
  });

  after(async function () {
    for (const w of clients) w.terminate();
    if (proc && !exited) proc.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest.state == 'failed') this.currentTest.err.message += '\n--- interpreter output ---\n' + out.slice(-1500);
    for (const w of clients.splice(0)) w.terminate();
    await delay(200);
  });

  it('two connections echo 512-byte text and binary messages at the same time, 20 rounds', async function () {
    const a = await open({}), b = await open({});
    let after1;
    for (let round = 0; round < 20; round++) {
      // From the first round on, what a round leaves is what the next takes.
      if (round == 1) after1 = await freeBlocks(a);
      await Promise.all([a, b].map(async (w, i) => {
        const text = '\u00e9' + String(i).repeat(510);
        const t = await roundTrip(w, text);
        assert.strictEqual(t.isBinary, false);
        assert.strictEqual(String(t.m), text);
        const bytes = Buffer.alloc(512, round * 2 + i);
        const r = await roundTrip(w, bytes);
        assert.strictEqual(r.isBinary, true);
        assert.ok(Buffer.from(r.m).equals(bytes), 'binary echo differs');
      }));
    }
    assert.strictEqual(await freeBlocks(a), after1, 'memory does not grow from round to round');
  });

  it('takes a 1 KB request head while another connection echoes 512-byte messages', async function () {
    const a = await open({});
    let go = true, echoes = 0;
    const traffic = (async () => {
      while (go) {
        await roundTrip(a, 'x'.repeat(512));
        echoes++;
      }
    })();
    try {
      for (let i = 0; i < 5; i++) {
        // ws's own head is about 200 bytes.
        const b = await open({ 'X-Pad': 'p'.repeat(1024 - 250) });
        assert.strictEqual(b.log.status, null, 'refused with HTTP ' + b.log.status);
        assert.ok(b.log.open, 'not opened');
        assert.strictEqual(String((await roundTrip(b, 'hi')).m), 'hi');
        b.terminate();
        await until(() => b.log.code !== null, 'the close');
      }
    } finally {
      go = false;
      await traffic;
    }
    assert.ok(echoes > 0);
  });

  it('refuses a third connection with 503 and keeps serving the two', async function () {
    const a = await open({}), b = await open({});
    const c = await open({});
    assert.strictEqual(c.log.status, 503);
    assert.strictEqual(String((await roundTrip(a, 'still')).m), 'still');
    assert.strictEqual(String((await roundTrip(b, 'here')).m), 'here');
  });

  it('never runs out of memory while 10 clients misbehave for at least 30 s beside one that echoes every 150 ms; serves a new client after', async function () {
    this.timeout(30000 + PHASE_CAP * STORM_MS);
    const good = await open({});
    assert.ok(good.log.open, 'the good client connects');
    await roundTrip(good, 'low?');
    // Six phases: each kind of misbehaviour on its own (a client that holds
    // the free slot would keep the others out), then all of them at once.
    const phases = KINDS.map((k) => [k]).concat([KINDS]);
    const totals = { connects: 0, upgraded: {}, refused: {}, closedBeforeResponse: 0, closeCodes: {} };
    let sent = 0;
    const share = STORM_MS / phases.length;
    for (const kinds of phases) {
      const attack = storm(port, 10, kinds);
      const start = Date.now();
      const allIn = () => kinds.every((k) => k == 'stall' || attack.stats.upgraded[k] > 0);
      try {
        // The good client's load: a 100-byte message every 150 ms, each one
        // answered before the next goes.
        while (Date.now() - start < share || (!allIn() && Date.now() - start < PHASE_CAP * share)) {
          assert.ok(!exited, 'the interpreter exited:\n' + out.slice(-1500));
          const m = 'g' + String(sent).padStart(4, '0') + 'x'.repeat(95);
          const r = await roundTrip(good, m);
          assert.strictEqual(String(r.m), m, 'echo ' + sent);
          sent++;
          await delay(150);
        }
      } finally {
        await attack.stop();
      }
      add(totals, attack.stats);
    }
    const low = +String((await roundTrip(good, 'low?')).m);
    assert.ok(!/MEMORY/.test(out), 'the interpreter ran out of memory:\n' + out.slice(-1500));
    assert.ok(!exited, 'the interpreter exited');
    console.log('      storm: ' + sent + ' echoes; lowest free ' + low + ' blocks; ' + totals.connects + ' connections: upgraded ' +
      JSON.stringify(totals.upgraded) + ', refused ' + JSON.stringify(totals.refused) + ', closed before an answer ' +
      totals.closedBeforeResponse + ', close codes ' + JSON.stringify(totals.closeCodes));
    assert.ok(sent >= STORM_MS / 300, sent + ' echoes');
    // Each kind got the free slot at least once (the stalled ones never
    // complete a handshake).
    for (const k of KINDS) if (k != 'stall') assert.ok(totals.upgraded[k] > 0, k + ' never got in: ' + JSON.stringify(totals.upgraded));
    good.terminate();
    await until(() => good.log.code !== null, 'the close');
    // Afterwards a new client connects and echoes.
    let fresh;
    for (let i = 0; i < 50 && !(fresh && fresh.log.open); i++) {
      fresh = await open({});
      if (!fresh.log.open) await until(() => fresh.log.code !== null || fresh.log.status !== null, 'the refusal');
    }
    assert.ok(fresh.log.open, 'a new client connects after the storm');
    assert.strictEqual(String((await roundTrip(fresh, 'after the storm')).m), 'after the storm');

    function add(t, st) {
      t.connects += st.connects;
      t.closedBeforeResponse += st.closedBeforeResponse;
      for (const f of ['upgraded', 'refused', 'closeCodes']) for (const k of Object.keys(st[f])) t[f][k] = (t[f][k] || 0) + st[f][k];
    }
  });

  it('serves the dashboard (examples/espruino/dashboard.js, its page from Storage) while a page reads its WebSocket', async function () {
    // Its own interpreter: the dashboard app with the ESP8266 defaults, the
    // module and the page in Storage.
    const pageFile = path.join(__dirname, '..', 'examples', 'dashboard', 'index.html');
    const page = fs.readFileSync(pageFile);
    const ddir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-dashboard-'));
    const dport = await freePort();
    let dout = '', dexited = false, dproc;
    try {
      fs.writeFileSync(path.join(ddir, 'module.js'), storageImage(BUNDLE));
      fs.copyFileSync(pageFile, path.join(ddir, 'page.html'));
      const app = fs.readFileSync(path.join(__dirname, '..', 'examples', 'espruino', 'dashboard.js'), 'latin1')
        .replace("var SSID = 'YOUR_WIFI_SSID';", "var SSID = '';")
        .replace('var PORT = 80;', 'var PORT = ' + dport + ';')
        .replace('new ws.Server({ port: PORT })', 'new ws.Server(' + JSON.stringify(Object.assign({ port: dport }, ESP8266)) + ')');
      fs.writeFileSync(path.join(ddir, 'app.js'), app);
      // The app too goes into Storage and runs from there, as an upload with
      // --save leaves it on a board: its code stays in flash.
      fs.writeFileSync(path.join(ddir, 'write.js'), 'var S = require("Storage"), f = require("fs");' +
        'S.write("web-socket-server", f.readFileSync("module.js")); S.write("dashboard.html", f.readFileSync("page.html"));' +
        'S.write("dashboard", f.readFileSync("app.js")); quit();');
      spawnSync(ESPRUINO_SMALL, ['write.js'], { cwd: ddir, stdio: 'ignore', timeout: 20000 });
      fs.writeFileSync(path.join(ddir, 'boot.js'), 'require("dashboard");');
      dproc = spawn(ESPRUINO_SMALL, ['boot.js'], { cwd: ddir, stdio: ['pipe', 'pipe', 'pipe'] });
      dproc.stdout.on('data', (d) => (dout += d.toString('latin1')));
      dproc.on('exit', () => (dexited = true));
      await until(() => /dashboard on port/.test(dout) || dexited, 'the dashboard to listen', 10000);
      assert.ok(!dexited, dout.slice(-1500));
      // A page's WebSocket: the readings say the board's free blocks, every second.
      const w = new WebSocket('ws://127.0.0.1:' + dport + '/');
      clients.push(w);
      const frees = [];
      w.on('message', (m) => {
        const r = JSON.parse(m);
        if (r.t == 'r') frees.push(parseInt(r.mem, 10));
      });
      w.on('error', () => {});
      await until(() => frees.length >= 1, 'a reading', 10000);
      // The page: after its first piece, reading stops until the board's
      // next reading, which is so taken while the page is being served.
      const before = frees.length;
      let afterReading = null;
      w.on('message', (m) => {
        if (afterReading && JSON.parse(m).t == 'r') {
          const f = afterReading;
          afterReading = null;
          f();
        }
      });
      const got = await new Promise((resolve, reject) => {
        const sock = require('net').connect(dport, '127.0.0.1');
        const parts = [];
        sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: board\r\n\r\n'));
        sock.on('data', (d) => {
          parts.push(d);
          if (parts.length > 1) return;
          sock.pause();
          afterReading = () => sock.resume();
        });
        sock.on('error', reject);
        sock.on('close', () => {
          afterReading = null;
          resolve(Buffer.concat(parts));
        });
      });
      assert.ok(got.subarray(got.indexOf('\r\n\r\n') + 4).equals(page), 'the page arrived whole');
      // And the first reading after it went out.
      const served = frees.length;
      await until(() => frees.length > served, 'a reading after the page', 10000);
      const low = Math.min.apply(null, frees.slice(before - 1));
      console.log('      dashboard on ' + path.basename(ESPRUINO_SMALL) + ': a ' + page.length + '-byte page from Storage; free blocks from the reading before its request to the first after it went out: ' +
        frees.join(', ') + ' (lowest ' + low + ')');
      assert.ok(!/MEMORY|Uncaught/.test(dout), dout.slice(-1500));
      assert.ok(low > 200, 'the lowest free memory: ' + low + ' blocks');
      w.terminate();
    } finally {
      if (dproc && !dexited) dproc.kill('SIGKILL');
      fs.rmSync(ddir, { recursive: true, force: true });
    }
  });

  it('serves a 20 KB page from Storage without copying it into RAM, while a WebSocket echoes', async function () {
    // Its own interpreter: an app that answers every plain request with the
    // Storage file, and tracks the lowest free memory from a timer.
    const page = Buffer.from(Array.from({ length: 20 * 1024 }, (_, i) => 0x20 + ((i * 7) % 95)));
    const pdir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-page-'));
    const pport = await freePort();
    let pout = '', pexited = false, pproc;
    const mainPort = port;
    try {
      fs.writeFileSync(path.join(pdir, 'module.js'), storageImage(BUNDLE));
      fs.writeFileSync(path.join(pdir, 'page.html'), page);
      // The page goes into Storage 1 KB at a time: it is larger than this
      // interpreter's free memory.
      fs.writeFileSync(path.join(pdir, 'write.js'), 'var S = require("Storage"), f = require("fs");' +
        'S.write("web-socket-server", f.readFileSync("module.js"));' +
        'var p = E.openFile("page.html", "r"), n = 0, d;' +
        'while ((d = p.read(1024)) !== undefined) { S.write("page.html", d, n, ' + page.length + '); n += d.length; }' +
        'p.close(); quit();');
      spawnSync(ESPRUINO_SMALL, ['write.js'], { cwd: pdir, stdio: 'ignore', timeout: 20000 });
      fs.writeFileSync(path.join(pdir, 'app.js'), [
        'var ws = require("web-socket-server");',
        'var s = new ws.Server(' + JSON.stringify(Object.assign({ port: pport, receiveType: 'text/plain', sendType: 'text/plain' }, ESP8266)) + ');',
        'var low = 1e9;',
        'setInterval(function () { var f = process.memory(false).free; if (f < low) low = f; }, 20);',
        's.on("request", function (req, res) { res.writeHead(200, {"Content-Type": "text/html"}); res.end(require("Storage").read("page.html")); });',
        's.on("connection", function (c) { c.on("message", function (m) { c.send(m == "low?" ? String(low) : m); }); });',
        's.on("listening", function () { print("READY"); });',
        's.start();',
        ''
      ].join('\n'));
      pproc = spawn(ESPRUINO_SMALL, ['app.js'], { cwd: pdir, stdio: ['pipe', 'pipe', 'pipe'] });
      pproc.stdout.on('data', (d) => (pout += d.toString('latin1')));
      pproc.on('exit', () => (pexited = true));
      await until(() => /READY/.test(pout) || pexited, 'the app to listen', 10000);
      assert.ok(!pexited, pout.slice(-1500));
      // open() connects to `port`: this app's, for this test.
      port = pport;
      const w = await open({});
      assert.ok(w.log.open, 'the WebSocket opens');
      // The page, read in 2 KB steps, each after an echo.
      let echoing = Promise.resolve();
      const got = await new Promise((resolve, reject) => {
        const sock = require('net').connect(pport, '127.0.0.1');
        const parts = [];
        let read = 0, next = 2048;
        sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: board\r\n\r\n'));
        sock.on('data', (d) => {
          parts.push(d);
          read += d.length;
          if (read < next) return;
          next += 2048;
          sock.pause();
          echoing = roundTrip(w, 'x'.repeat(100)).then(() => sock.resume(), reject);
        });
        sock.on('error', reject);
        sock.on('close', () => resolve(Buffer.concat(parts)));
      });
      const head = got.subarray(0, got.indexOf('\r\n\r\n')).toString();
      assert.match(head, /^HTTP\/1\.1 200 /);
      assert.match(head, /content-length: 20480/i);
      assert.ok(got.subarray(got.indexOf('\r\n\r\n') + 4).equals(page), 'the page arrived whole');
      await echoing;
      const low = +String((await roundTrip(w, 'low?')).m);
      console.log('      a 20 KB page from Storage on ' + path.basename(ESPRUINO_SMALL) + ': lowest free ' + low + ' blocks while it was served');
      // A copy of the page in RAM would take over 1,300 of the 1,700 blocks.
      assert.ok(low > 200, 'the lowest free memory: ' + low + ' blocks');
      assert.ok(!/MEMORY|Uncaught/.test(pout), pout.slice(-1500));
      w.terminate();
    } finally {
      port = mainPort;
      if (pproc && !pexited) pproc.kill('SIGKILL');
      fs.rmSync(pdir, { recursive: true, force: true });
    }
  });

  it('left no uncaught error or memory error on the interpreter console', function () {
    assert.ok(!/Uncaught|MEMORY|Interrupted/.test(out), out.slice(-1500));
  });
});
