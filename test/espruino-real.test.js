// The built Espruino bundles (dist/espruino/web-socket-server.js and
// web-socket-server-full.js) on a real Espruino interpreter, driven by the
// `ws` client and raw TCP sockets.
//
// Runs only when ESPRUINO names an Espruino interpreter executable for this
// machine (the Linux build of Espruino); otherwise every test here is pending.
//
//   npx rollup -c --silent
//   ESPRUINO=/path/to/espruino npx mocha --no-config test/espruino-real.test.js
//
// The interpreter runs a small echo app that loads the bundle as a module
// (Modules.addCached, as the Web IDE and CLI do). Its console output is kept
// and shown when a test fails; an "Uncaught" error in it fails the last test.
'use strict';
const { freePort } = require('./helpers/free-port');
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const crypto = require('crypto');
const { spawn } = require('child_process');
const WebSocket = require('ws');
const { CHROMIUM, openPage } = require('./helpers/browser');

const ESPRUINO = process.env.ESPRUINO;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';


function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once a TCP connection to the port succeeds (the probe is closed at once). */
async function waitListening(port, ms, alive) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error('the interpreter exited before listening');
    if (Date.now() > deadline) throw new Error('nothing listening on port ' + port + ' after ' + ms + ' ms');
    await delay(50);
  }
}

/** The Espruino program: the bundle as a cached module, then the echo app. */
function echoApp(bundleSource, port) {
  return [
    'Modules.addCached("web-socket-server", ' + JSON.stringify(bundleSource) + ');',
    'var ws = require("web-socket-server");',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxPayload: 200000, maxQueue: 200000, maxConnections: 8});',
    // Echo; "memory?" answers the blocks in use (after a garbage collection),
    // "close me" closes from inside the handler, "throw" throws from it,
    // "this?" answers whether the listener's `this` is the socket; the
    // socket's 'error' sends the error's message back. (Binary messages are
    // never compared with ==: Espruino would turn the Uint8Array into
    // "1,2,3...".)
    's.on("connection", function (c) { c.on("message", function (m, bin) {',
    '  if (!bin && m == "memory?") c.send(String(process.memory().usage));',
    '  else if (!bin && m == "close me") c.close(4001, "bye");',
    '  else if (!bin && m == "throw") throw new Error("thrown by the listener");',
    '  else if (!bin && m == "this?") c.send(String(this === c));',
    '  else c.send(m);',
    '}); c.on("error", function (e) { c.send("error: " + e.message); }); });',
    's.on("error", function (e) { print("SERVER ERROR " + e); });',
    's.start();',
    ''
  ].join('\n');
}

/** A `ws` client with its messages queued, so a test can await them in order. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const w = new WebSocket('ws://127.0.0.1:' + port + '/');
    const queue = [], waiting = [];
    let closedWith = null;
    w.closed = new Promise((res) =>
      w.on('close', (code, reason) => {
        closedWith = { code, reason: reason.toString() };
        for (const f of waiting.splice(0)) f(null);
        res(closedWith);
      })
    );
    w.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiting.length) waiting.shift()(m);
      else queue.push(m);
    });
    /** The next message; rejects on a timeout or if the connection closes first. */
    w.next = function (ms = 5000) {
      if (queue.length) return Promise.resolve(queue.shift());
      const closedError = () => new Error('closed with ' + closedWith.code + ' "' + closedWith.reason + '" instead of a message');
      if (closedWith) return Promise.reject(closedError());
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('no message within ' + ms + ' ms')), ms);
        waiting.push((m) => {
          clearTimeout(t);
          if (m) res(m);
          else rej(closedError());
        });
      });
    };
    w.on('error', () => {}); // failures show up as a close code or a timeout
    w.once('open', () => resolve(w));
    w.once('unexpected-response', (req, res) => reject(new Error('handshake refused: ' + res.statusCode)));
    w.once('close', () => reject(new Error('closed before open')));
  });
}

function within(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(what + ': nothing within ' + ms + ' ms')), ms);
    })
  ]).finally(() => clearTimeout(t));
}

/** A raw TCP connection that collects every byte the server sends. */
function rawConnect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.buf = Buffer.alloc(0);
    s.ended = new Promise((res) => s.on('close', res));
    s.on('data', (d) => {
      s.buf = Buffer.concat([s.buf, d]);
      s.emit('more');
    });
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Waits until pred(s.buf) is truthy, returning its value. */
function rawWait(s, pred, ms = 5000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const v = pred(s.buf);
      if (v) {
        done();
        resolve(v);
      }
    };
    const t = setTimeout(() => {
      done();
      reject(new Error('timed out; got ' + JSON.stringify(s.buf.toString('latin1'))));
    }, ms);
    function done() {
      clearTimeout(t);
      s.removeListener('more', check);
      s.removeListener('close', check);
    }
    s.on('more', check);
    s.on('close', check);
    check();
  });
}

/** Opens a WebSocket over a raw socket; resolves with the socket after the 101. */
async function rawUpgrade(port) {
  const s = await rawConnect(port);
  const key = crypto.randomBytes(16).toString('base64');
  s.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1:' + port + '\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: ' + key + '\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
  const head = await rawWait(s, (b) => {
    const i = b.indexOf('\r\n\r\n');
    return i >= 0 && b.subarray(0, i + 4).toString('latin1');
  });
  assert.match(head, /^HTTP\/1\.1 101 /);
  const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
  assert.ok(head.includes('Sec-WebSocket-Accept: ' + accept + '\r\n'), 'accept key: ' + head);
  s.buf = s.buf.subarray(head.length);
  return s;
}

/** One client frame (masked unless mask === false). */
function frame(opcode, payload, mask = true) {
  const p = Buffer.from(payload);
  const h = [0x80 | opcode];
  if (p.length < 126) h.push((mask ? 0x80 : 0) | p.length);
  else h.push((mask ? 0x80 : 0) | 126, p.length >> 8, p.length & 255);
  if (!mask) return Buffer.concat([Buffer.from(h), p]);
  const key = crypto.randomBytes(4), m = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) m[i] = p[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(h), key, m]);
}

/** The first complete server frame in b, or null. */
function parseFrame(b) {
  if (b.length < 2) return null;
  let len = b[1] & 0x7f, i = 2;
  if (len == 126) {
    if (b.length < 4) return null;
    len = b.readUInt16BE(2);
    i = 4;
  }
  if (b[1] & 0x80 || b.length < i + len) return b[1] & 0x80 ? { masked: true } : null;
  return { fin: !!(b[0] & 0x80), opcode: b[0] & 15, payload: b.subarray(i, i + len) };
}

for (const file of ['web-socket-server.js', 'web-socket-server-full.js']) {
  const BUNDLE = path.join(__dirname, '..', 'dist', 'espruino', file);
  const title = file + ' on a real interpreter (' + (ESPRUINO ? ESPRUINO : 'set ESPRUINO to run') + ')';

  (ESPRUINO ? describe : describe.skip)(title, function () {
    this.timeout(15000);
    let proc, port, out = '', appFile, exited = false;
    // A test waiting for a reply fails as soon as the interpreter reports an
    // uncaught error during that test, instead of timing out.
    let mark = 0, onUncaught = () => {};
    const uncaughtSinceMark = () => /Uncaught/.test(out.slice(mark));

    function log() {
      // Without the banner, escape codes, and the caret lines under stack frames.
      const text = out.slice(out.indexOf('Donate') >= 0 ? out.indexOf('Donate') + 7 : 0)
        .replace(/\x1b\[J/g, '')
        .replace(/^ *\^ *\r?$/gm, '')
        .replace(/(\r?\n)+/g, '\n');
      return '\n--- interpreter output ---\n' + text.slice(-3000);
    }

    before(async function () {
      this.timeout(20000);
      assert.ok(fs.existsSync(BUNDLE), BUNDLE + ' is missing: build it with `npx rollup -c --silent`');
      port = await freePort();
      appFile = path.join(os.tmpdir(), 'espruino-echo-' + process.pid + '-' + port + '.js');
      fs.writeFileSync(appFile, echoApp(fs.readFileSync(BUNDLE, 'utf8'), port));
      // stdin is a pipe that stays open: at EOF the Linux build reads NUL
      // characters in a loop and floods its input queue.
      proc = spawn(ESPRUINO, [appFile], { stdio: ['pipe', 'pipe', 'pipe'] });
      const collect = (d) => {
        out += d.toString('latin1');
        if (uncaughtSinceMark()) onUncaught(new Error('the interpreter reported an uncaught error'));
      };
      proc.stdout.on('data', collect);
      proc.stderr.on('data', collect);
      proc.on('exit', () => (exited = true));
      proc.on('error', (e) => {
        exited = true;
        out += '\nspawn error: ' + e.message;
      });
      try {
        await waitListening(port, 10000, () => !exited);
      } catch (e) {
        e.message += log();
        throw e;
      }
    });

    after(async function () {
      if (proc && !exited) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), delay(1000)]);
        if (!exited) proc.kill('SIGKILL');
      }
      if (appFile) fs.rmSync(appFile, { force: true });
    });

    beforeEach(function () {
      mark = out.length;
      onUncaught = () => {};
    });

    afterEach(function () {
      if (this.currentTest.state == 'failed') this.currentTest.err.message += log();
    });

    /** The next message on w, or a rejection if the interpreter reports an uncaught error first. */
    function reply(w, ms) {
      if (uncaughtSinceMark()) return Promise.reject(new Error('the interpreter reported an uncaught error'));
      return Promise.race([w.next(ms), new Promise((_, rej) => (onUncaught = rej))]);
    }

    async function echo(payload, options) {
      const w = await connect(port);
      try {
        w.send(payload, options);
        return await reply(w, 10000);
      } finally {
        w.terminate();
      }
    }

    it('echoes the text "hello"', async function () {
      const m = await echo('hello');
      assert.strictEqual(m.isBinary, false);
      assert.strictEqual(m.data.toString(), 'hello');
    });

    it('echoes UTF-8 text byte for byte ("héllo €")', async function () {
      const m = await echo('héllo €');
      assert.strictEqual(m.isBinary, false);
      assert.deepStrictEqual(m.data, Buffer.from('héllo €', 'utf8'));
    });

    for (const size of [0, 125, 126, 70000]) {
      it('echoes a ' + size + '-byte binary message', async function () {
        const data = Buffer.alloc(size);
        for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) & 255;
        const m = await echo(data);
        assert.strictEqual(m.isBinary, true);
        assert.strictEqual(m.data.length, size);
        assert.ok(m.data.equals(data), 'payload differs');
      });
    }

    it("sends what the 'message' listener throws to the socket's 'error', and keeps echoing; the listener's `this` is the socket", async function () {
      const w = await connect(port);
      try {
        // Both in one TCP write, most likely: the second is read after the throw.
        w.send('throw');
        w.send('this?');
        assert.strictEqual((await reply(w, 5000)).data.toString(), 'error: thrown by the listener');
        assert.strictEqual((await reply(w, 5000)).data.toString(), 'true');
      } finally {
        w.terminate();
      }
    });

    it('reassembles a fragmented message', async function () {
      const w = await connect(port);
      try {
        w.send('frag', { fin: false });
        w.send('men', { fin: false });
        w.send('ted €', { fin: true });
        const m = await w.next();
        assert.strictEqual(m.isBinary, false);
        assert.strictEqual(m.data.toString(), 'fragmented €');
      } finally {
        w.terminate();
      }
    });

    it('answers a ping with a pong carrying the same payload', async function () {
      const w = await connect(port);
      try {
        const payload = Buffer.from([1, 2, 3, 0xff, 0x80]);
        const pong = new Promise((r) => w.once('pong', r));
        w.ping(payload);
        assert.deepStrictEqual(await within(pong, 5000, 'pong'), payload);
      } finally {
        w.terminate();
      }
    });

    it('echoes close code 1000', async function () {
      const w = await connect(port);
      w.close(1000, 'bye');
      const c = await within(w.closed, 5000, 'close');
      assert.strictEqual(c.code, 1000);
    });

    it('keeps echoing on new connections after a client closed cleanly', async function () {
      const m = await echo('after a close');
      assert.strictEqual(m.data.toString(), 'after a close');
    });

    it('closes with 1007 on invalid UTF-8 in a text frame, and keeps serving others', async function () {
      const good = await connect(port);
      const bad = await connect(port);
      try {
        bad.send(Buffer.from([0x68, 0xc3, 0x28]), { binary: false });
        const c = await within(bad.closed, 5000, 'close');
        assert.strictEqual(c.code, 1007, 'closed with ' + c.code + ' "' + c.reason + '"');
        good.send('still here');
        assert.strictEqual((await good.next()).data.toString(), 'still here');
      } finally {
        good.terminate();
        bad.terminate();
      }
    });

    it('closes with 1002 on an unmasked frame', async function () {
      const s = await rawUpgrade(port);
      try {
        s.write(frame(1, 'hi', false));
        const f = await rawWait(s, parseFrame);
        assert.ok(!f.masked, 'the server masked its frame');
        assert.strictEqual(f.opcode, 8, 'expected a close frame');
        assert.strictEqual(f.payload.readUInt16BE(0), 1002);
        await within(s.ended, 5000, 'TCP close');
      } finally {
        s.destroy();
      }
    });

    it('answers the RFC 6455 section 1.3 example key dGhlIHNhbXBsZSBub25jZQ== with s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', async function () {
      const s = await rawConnect(port);
      try {
        s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
        const head = await rawWait(s, (b) => b.indexOf('\r\n\r\n') >= 0 && b.toString('latin1'));
        assert.match(head, /^HTTP\/1\.1 101 /);
        assert.ok(head.includes('\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'), head);
      } finally {
        s.destroy();
      }
    });

    it('answers a bad handshake (no Sec-WebSocket-Key) with HTTP 400', async function () {
      const s = await rawConnect(port);
      try {
        s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
        const head = await rawWait(s, (b) => b.indexOf('\r\n\r\n') >= 0 && b.toString('latin1'));
        assert.match(head, /^HTTP\/1\.1 400 /);
        await within(s.ended, 5000, 'TCP close');
      } finally {
        s.destroy();
      }
    });

    // Needs Chromium too (test/helpers/browser.js); pending without it.
    (CHROMIUM ? it : it.skip)('serves a page in headless Chromium: UTF-8 and binary echo, then a clean close from the board', async function () {
      this.timeout(30000);
      const b = await openPage();
      try {
        const r = await b.page.evaluate(async (u) => {
          const ws = await openSocket(u);
          const text = 'h\u00e9llo \u20ac \ud83d\ude00 '.repeat(100), bytes = pattern(20000);
          ws.send(text);
          const textBack = await ws.next();
          ws.send(bytes.buffer);
          const bytesBack = new Uint8Array(await ws.next());
          ws.send('close me');
          return { text: textBack === text, bytes: sameBytes(bytesBack, bytes), closed: await ws.closed };
        }, 'ws://127.0.0.1:' + port + '/');
        assert.deepStrictEqual(r, { text: true, bytes: true, closed: { code: 4001, reason: 'bye', wasClean: true } });
      } finally {
        await b.close();
      }
    });

    it('frees every connection: memory in use returns to its baseline after connections that echo and close', async function () {
      // Espruino counts an object's locks in 4 bits; an object locked 15 times
      // is never freed. A call chain that is too deep while the handler runs
      // would leave each connection's objects behind (hundreds of blocks).
      async function usage() {
        const w = await connect(port);
        w.send('memory?');
        const m = await w.next();
        w.close(1000);
        await w.closed;
        return Number(m.data.toString());
      }
      await usage();
      const base = await usage();
      for (let k = 0; k < 12; k++) {
        const w = await connect(port);
        for (let j = 0; j < 3; j++) {
          w.send('message ' + j);
          assert.strictEqual((await w.next()).data.toString(), 'message ' + j);
        }
        if (k % 3 == 0) w.send('close me');
        else if (k % 3 == 1) w.close(1000);
        else w.close(4000, 'bye');
        const closed = await w.closed;
        assert.strictEqual(closed.code, k % 3 == 0 ? 4001 : k % 3 == 1 ? 1000 : 4000);
      }
      // (The server lets go of a socket when Espruino reports it closed, on
      // an idle pass of its own: asked again, at most 20 times, until then.)
      let after;
      for (let k = 0; k < 20 && (after = await usage()) - base >= 100; k++);
      assert.ok(after - base < 100, 'blocks in use: ' + base + ' before, ' + after + ' after 12 connections');
    });

    it('an open connection costs at most 200 blocks of the interpreter\'s memory', async function () {
      // 155 (small bundle) and 165 (full) measured on a device-like build
      // (18-byte blocks), module loaded into RAM; the ws module in
      // EspruinoDocs takes 214-232 with far less.
      const probe = await connect(port);
      const ask = async () => {
        probe.send('memory?');
        return Number((await probe.next()).data.toString());
      };
      const before = await ask();
      const open = [];
      for (let k = 0; k < 4; k++) {
        const w = await connect(port);
        w.send('hello');
        assert.strictEqual((await w.next()).data.toString(), 'hello');
        open.push(w);
      }
      const after = await ask();
      for (const w of open) w.close(1000);
      await Promise.all(open.map((w) => w.closed));
      probe.close(1000);
      await probe.closed;
      const each = (after - before) / open.length;
      assert.ok(each > 0 && each <= 200, 'blocks per open connection: ' + each);
    });

    it('left no uncaught error on the interpreter console', async function () {
      await delay(100);
      assert.ok(!exited, 'the interpreter exited');
      assert.ok(!/Uncaught|SERVER ERROR/.test(out), 'the interpreter reported an error');
    });
  });
}
