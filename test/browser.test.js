// The server against a real browser: headless Chromium, driven by
// playwright-core, opens WebSockets from a page served on loopback to every
// target in test/helpers/targets.js (Node, and the Espruino modules on the
// emulated board), and to the small module on an emulated ESP8266.
// Chromium's WebSocket is strict: a frame it does not like fails the
// connection, so these tests also check our framing, closing handshake and
// pings against an independent implementation.
//
// Needs a Chromium executable (test/helpers/browser.js): CHROMIUM=/path, or
// /usr/bin/chromium (Debian's package `chromium`, which .ci/run installs).
// Without one, every test here is pending.
'use strict';
const assert = require('assert');
const { targets, espruinoTarget } = require('./helpers/targets');
const { Harness, delay, parseFrame } = require('./helpers/harness');
const net = require('net');
const { EventEmitter } = require('events');
const { CHROMIUM, openPage } = require('./helpers/browser');
const path = require('path');
const { pathToFileURL } = require('url');

const EXAMPLE = path.join(__dirname, '..', 'examples', 'browser', 'echo.html');

/** Waits until the element's text matches `re`; fails with the text seen. */
async function expectText(locator, re) {
  const deadline = Date.now() + 5000;
  let text;
  while (!re.test((text = await locator.textContent()))) {
    if (Date.now() > deadline) throw new Error('expected ' + re + ' in:\n' + text);
    await delay(20);
  }
}

/**
 * A loopback TCP proxy to the server on `port` that watches the WebSocket
 * frames going through: it emits 'ping' for each ping from the server and
 * 'pong' for each pong from the browser (with the payload), and counts them
 * in .pings and .pongs. Resolves once listening; .port is its own port.
 */
async function frameWatcher(port) {
  const w = new EventEmitter();
  w.pings = [];
  w.pongs = [];
  const sockets = [];
  // Frames of one direction, after the HTTP head.
  const reader = (opcode, list, event) => {
    let buf = Buffer.alloc(0), inHead = true;
    return (d) => {
      buf = Buffer.concat([buf, d]);
      if (inHead) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        buf = buf.subarray(end + 4);
        inHead = false;
      }
      let f;
      while ((f = parseFrame(buf))) {
        buf = buf.subarray(f.size);
        if (f.opcode === opcode) {
          list.push(f.payload);
          w.emit(event, f.payload);
        }
      }
    };
  };
  const srv = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    sockets.push(down, up);
    const fromServer = reader(9, w.pings, 'ping'), fromBrowser = reader(10, w.pongs, 'pong');
    up.on('data', (d) => {
      fromServer(d);
      down.write(d);
    });
    down.on('data', (d) => {
      fromBrowser(d);
      up.write(d);
    });
    up.on('end', () => down.end());
    down.on('end', () => up.end());
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  w.port = srv.address().port;
  /** Resolves once n pongs in all have come from the browser. */
  w.pongCount = (n) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the browser sent ' + w.pongs.length + ' pongs for ' +
      w.pings.length + ' pings, waiting for ' + n)), 10000);
    const check = () => {
      if (w.pongs.length < n) return;
      clearTimeout(timer);
      w.off('pong', check);
      resolve();
    };
    w.on('pong', check);
    check();
  });
  w.close = () => {
    for (const s of sockets) s.destroy();
    srv.close();
  };
  return w;
}

// Every target, and the small module on an emulated ESP8266 too (268-byte
// chunks and writes).
const TARGETS = targets.concat([espruinoTarget('espruino-emulated-esp8266', 'web-socket-server.js', false, 'ESP8266')]);

(CHROMIUM ? describe : describe.skip)('a real browser (' + (CHROMIUM || 'set CHROMIUM or install chromium to run') + ')', function () {
  this.timeout(30000);
  let browser, page, origin;

  before(async function () {
    browser = await openPage();
    page = browser.page;
    origin = browser.origin;
  });

  after(async function () {
    if (browser) await browser.close();
  });

  for (const target of TARGETS) {
    describe('[' + target.name + ']', function () {
      let h;

      beforeEach(function () {
        h = new Harness(target);
      });

      afterEach(async function () {
        await h.cleanup();
      });

      const url = (port) => 'ws://127.0.0.1:' + port + '/';

      it('exchanges JSON both ways with the default types, and declines compression', async function () {
        const { port, conns } = await h.startServer({}, {
          onSocket: (s) => s.on('message', (m) => s.send({ ok: true, got: m }))
        });
        const r = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          ws.send(JSON.stringify({ n: 1, list: [1, 2, 'three'] }));
          return { reply: await ws.next(), extensions: ws.extensions };
        }, url(port));
        assert.deepStrictEqual(JSON.parse(r.reply), { ok: true, got: { n: 1, list: [1, 2, 'three'] } });
        // Chromium offers permessage-deflate; the answer must not accept it.
        assert.strictEqual(r.extensions, '');
        const c = await conns.next();
        assert.deepStrictEqual(await c.messages.next(), [{ n: 1, list: [1, 2, 'three'] }, false]);
        assert.strictEqual(c.socket.request.headers.origin, origin);
        assert.match(c.socket.request.headers['user-agent'], /Chrome/);
      });

      it('echoes UTF-8 text with 1- to 4-byte characters over several frames and chunks', async function () {
        const { port } = await h.echoServer();
        const r = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          const text = 'h\u00e9llo \u20ac \ud83d\ude00 '.repeat(300);
          ws.send(text);
          const back = await ws.next();
          return { same: back === text, bytes: new TextEncoder().encode(text).length, type: typeof back };
        }, url(port));
        assert.strictEqual(r.type, 'string');
        assert.ok(r.bytes > 4000, 'the text spans several 536-byte writes');
        assert.ok(r.same, 'the echo differs from the text sent');
      });

      it('echoes a 100,000-byte binary message', async function () {
        const { port, conns } = await h.echoServer();
        const r = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          const sent = pattern(100000);
          ws.send(sent.buffer);
          const back = await ws.next();
          return { binary: back instanceof ArrayBuffer, same: sameBytes(new Uint8Array(back), sent) };
        }, url(port));
        assert.ok(r.binary, 'binary stays binary');
        assert.ok(r.same, 'the echo differs from the bytes sent');
        const [m, isBinary] = await (await conns.next()).messages.next();
        assert.strictEqual(isBinary, true);
        assert.strictEqual(m.length, 100000);
      });

      it("closes cleanly when the page closes, and the server gets the page's code and reason", async function () {
        const { port, conns } = await h.startServer();
        const r = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          ws.close(4000, 'bye');
          return ws.closed;
        }, url(port));
        // The server's answering close frame echoes the code, without a reason.
        assert.deepStrictEqual(r, { code: 4000, reason: '', wasClean: true });
        assert.deepStrictEqual(await (await conns.next()).closes.next(), [4000, 'bye']);
      });

      it("closes cleanly when the server closes, and the page gets the server's code and reason", async function () {
        const { port, conns } = await h.startServer({ receiveType: 'text/plain' }, {
          onSocket: (s) => s.on('message', () => s.close(4001, 'done'))
        });
        const r = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          ws.send('close, please');
          return ws.closed;
        }, url(port));
        assert.deepStrictEqual(r, { code: 4001, reason: 'done', wasClean: true });
        assert.deepStrictEqual(await (await conns.next()).closes.next(), [4001, 'done']);
      });

      it('refuses a page from an origin not in `origins`, and accepts one that is', async function () {
        const refusing = await h.startServer({ origins: ['http://example.com'] });
        const r = await page.evaluate(async (u) => {
          try {
            await openSocket(u);
            return 'opened';
          } catch (close) {
            return close;
          }
        }, url(refusing.port));
        // A refused handshake is a failed connection to the page: 1006.
        assert.deepStrictEqual(r, { code: 1006, reason: '', wasClean: false });
        // The 403 that the page saw is the server's decision: no 'connection' can follow it.
        assert.strictEqual(refusing.conns.items.length, 0, 'no connection event');
        const accepting = await h.startServer({ origins: ['http://example.com', origin] });
        const opened = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          ws.close();
          return ws.readyState;
        }, url(accepting.port));
        assert.strictEqual(opened, 2, 'the socket had opened and was closing');
        assert.strictEqual((await accepting.conns.next()).socket.request.headers.origin, origin);
      });

      it('closes with 1009 when the page sends a message over maxPayload', async function () {
        const { port, conns } = await h.startServer({ maxPayload: 1000, receiveType: 'text/plain' });
        const r = await page.evaluate(async (u) => {
          const ws = await openSocket(u);
          ws.send('x'.repeat(2000));
          return ws.closed;
        }, url(port));
        assert.strictEqual(r.code, 1009);
        const c = await conns.next();
        const [err] = await c.errors.next();
        assert.strictEqual(err.closeCode, 1009);
        assert.strictEqual(c.messages.items.length, 0, 'nothing delivered');
      });

      it('examples/browser/echo.html, opened from disk, connects, echoes text and binary, and closes', async function () {
        const { port } = await h.echoServer();
        const example = await browser.newPage();
        try {
          await example.goto(pathToFileURL(EXAMPLE).href + '#ws://127.0.0.1:' + port + '/');
          const log = example.locator('#log');
          await example.click('#connect');
          await expectText(log, /^open$/m);
          await example.fill('#text', 'h\u00e9llo \u20ac');
          await example.click('#send');
          await expectText(log, /^< h\u00e9llo \u20ac$/m);
          // Its UTF-8 bytes in a binary frame, echoed as binary.
          await example.click('#binary');
          await expectText(log, /^< binary 68 c3 a9 6c 6c 6f 20 e2 82 ac$/m);
          await example.click('#close');
          await expectText(log, /^closed: 1000$/m);
        } finally {
          await example.close();
        }
      });

      it("stays open through heartbeat pings, which the browser answers", async function () {
        // The pings and pongs are counted on the wire, through a proxy: the
        // small module has no 'pong' event. Five answered pings take at
        // least 500 ms, past the 400 ms after which the connection would be
        // cut without pongs.
        const PINGS = 5;
        const { port, conns } = await h.echoServer({ pingInterval: 100, pongTimeout: 300 });
        const watch = await frameWatcher(port);
        try {
          await page.evaluate(async (u) => {
            window.heartbeatSocket = await openSocket(u);
          }, url(watch.port));
          await watch.pongCount(PINGS);
          const r = await page.evaluate(async () => {
            const ws = window.heartbeatSocket;
            const state = ws.readyState;
            ws.send('still here');
            const back = await Promise.race([ws.next(), ws.closed]);
            return { state, back };
          });
          assert.deepStrictEqual(r, { state: 1, back: 'still here' });
          assert.ok(watch.pings.length >= PINGS, 'pings: ' + watch.pings.length);
          // Heartbeat pings are empty, and so are the browser's answers.
          assert.deepStrictEqual(watch.pings.concat(watch.pongs).filter((p) => p.length), []);
          const c = await conns.next();
          assert.strictEqual(c.socket.isOpen(), true);
          assert.strictEqual(c.closes.items.length, 0);
          // 'pong' events come with the optional features (full module, Node).
          if (target.extras) assert.ok(c.pongs.items.length >= PINGS, 'pong events: ' + c.pongs.items.length);
        } finally {
          await page.evaluate(() => window.heartbeatSocket && window.heartbeatSocket.close());
          watch.close();
        }
      });
    });
  }
});
