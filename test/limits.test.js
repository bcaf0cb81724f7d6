// Limits, send-queue policies, liveness timers and the server's own handshake
// checks (path, origins, verify, protocols, maxConnections), end to end against
// every target in test/helpers/targets.js, with the `ws` package and raw TCP
// sockets as clients. Timeouts are kept small so the suite stays fast; the
// tests assert what happens, not how long it takes.
'use strict';
const assert = require('assert');
const net = require('net');
const os = require('os');
const { targets } = require('./helpers/targets');
const { Harness, waitFor, delay, until, collect, upgradeRequest, newKey, frame, assertEcho, assertFailed } = require('./helpers/harness');
const raw = require('./helpers/raw-client');

const TEXT = 1, CLOSE = 8, PING = 9;

/** Size of each message in the send-queue tests, and the queue limit. */
const MSG = 64 * 1024;
const QUEUE = 256 * 1024;
/** Most messages a send-queue test sends while waiting for the queue to fill. */
const MAX_SENDS = 2000;

function closeCodeOf(f) {
  assert.strictEqual(f.opcode, CLOSE, 'expected a close frame, got opcode ' + f.opcode);
  assert.ok(f.payload.length >= 2, 'close frame without a status code');
  return f.payload.readUInt16BE(0);
}

/** A valid upgrade request for `port`, with extra header pairs. */
function requestWith(port, path, extra) {
  const key = newKey();
  const headers = [
    ['Host', '127.0.0.1:' + port],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13']
  ].concat(extra || []);
  return upgradeRequest(port, { path: path || '/', key, headers }).text;
}

/** Message number `seq` of a send-queue test: MSG bytes, the number in the
 *  first 4, the rest filled with a byte derived from it. */
function numbered(seq) {
  const b = Buffer.alloc(MSG, (seq * 7 + 1) & 0xff);
  b.writeUInt32BE(seq, 0);
  return b;
}

/** The binary messages a raw-client.js client has received. */
function binaries(c) {
  return c.events.filter((e) => e.type === 'binary');
}

/** Checks that each received message is intact and returns their numbers. */
function seqsOf(c) {
  return binaries(c).map((e) => {
    const seq = e.data.readUInt32BE(0);
    assert.strictEqual(e.data.length, MSG, 'message ' + seq + ' has ' + e.data.length + ' bytes');
    assert.ok(e.data.equals(numbered(seq)), 'message ' + seq + ' arrived damaged');
    return seq;
  });
}


/** A non-loopback IPv4 address of this machine, or null. */
function externalIPv4() {
  const all = os.networkInterfaces();
  for (const name of Object.keys(all)) {
    for (const a of all[name] || []) {
      if ((a.family === 'IPv4' || a.family === 4) && !a.internal) return a.address;
    }
  }
  return null;
}

/** 'connected', or 'error CODE', or 'no answer' after `ms`. */
function tryConnect(port, host, ms) {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    const timer = setTimeout(() => finish('no answer'), ms || 2000);
    function finish(what) {
      clearTimeout(timer);
      sock.destroy();
      resolve(what);
    }
    sock.on('connect', () => finish('connected'));
    sock.on('error', (e) => finish('error ' + e.code));
  });
}

for (const target of targets) {
  describe('limits [' + target.name + ']', function () {
    this.timeout(20000);
    let h, boardBefore;

    before(function () {
      if (target.stats) boardBefore = target.stats();
    });

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    /** Sends `text` on a raw connection: the whole HTTP response, after which
     *  the server closes the TCP connection. */
    async function refused(port, text) {
      const r = await h.raw(port);
      await r.write(text);
      const head = await r.readHead();
      await r.closedByPeer();
      assert.match(head.statusLine, /^HTTP\/1\.1 \d{3} /, 'status line: ' + JSON.stringify(head.statusLine));
      return head;
    }

    /** Sends `text` on a raw connection and expects a 101. */
    async function upgraded(port, text) {
      const r = await h.raw(port);
      await r.write(text);
      const head = await r.readHead();
      assert.strictEqual(head.status, 101, 'status line: ' + head.statusLine);
      return { r, head };
    }

    /** A raw-client.js client (handshake done), cleaned up with the test. */
    async function rawClient(port, opts) {
      const c = await raw.RawClient.connect(port, opts);
      h.raws.push(c);
      return c;
    }

    // An optional feature: not in the small Espruino bundle.
    if (target.extras) describe('maxFragments', function () {
      it('delivers messages of exactly maxFragments frames; one frame more closes with 1009', async function () {
        const { port, conns } = await h.echoServer({ maxFragments: 4 });
        const client = await h.connect(port);
        const conn = await conns.next();
        // Two messages of 4 frames each: the count starts again with each message.
        for (const word of ['abcd', 'efgh']) {
          for (let i = 0; i < 4; i++) client.send(word[i], { fin: i === 3 });
        }
        const [m1] = await conn.messages.next();
        const [m2] = await conn.messages.next();
        assert.strictEqual(m1, 'abcd');
        assert.strictEqual(m2, 'efgh');
        assert.strictEqual((await client.messages.next())[0].toString(), 'abcd');
        assert.strictEqual((await client.messages.next())[0].toString(), 'efgh');
        assert.strictEqual(conn.socket.stats().received, 2);
        assert.strictEqual(conn.socket.stats().sent, 2);
        // Five frames.
        for (let i = 0; i < 5; i++) client.send('x', { fin: i === 4 });
        await assertFailed(client, conn, 1009);
        assert.strictEqual(conn.messages.items.length, 2);
      });

      it('does not count control frames between fragments', async function () {
        const { port, conns } = await h.echoServer({ maxFragments: 2 });
        const r = await h.rawHandshake(port);
        const conn = await conns.next();
        await r.write(Buffer.concat([
          frame(TEXT, 'one-', { fin: false }),
          frame(PING, 'a'),
          frame(PING, 'b'),
          frame(0, 'two', { fin: true })
        ]));
        const [m] = await conn.messages.next();
        assert.strictEqual(m, 'one-two');
        assert.strictEqual(conn.errors.items.length, 0);
        assert.strictEqual(conn.socket.isOpen(), true);
      });
    });

    describe('maxConnections', function () {
      it('answers a handshake past maxConnections with 503, keeps the others, accepts again after a close', async function () {
        const { port, conns } = await h.echoServer({ maxConnections: 2 });
        const a = await h.connect(port);
        const ca = await conns.next();
        const b = await h.connect(port);
        await conns.next();
        const head = await refused(port, requestWith(port));
        assert.match(head.statusLine, /^HTTP\/1\.1 503 /);
        assert.strictEqual(head.status, 503);
        assert.strictEqual(conns.items.length, 2, "no 'connection' for the refused client");
        await assertEcho(a, 'a still works');
        await assertEcho(b, 'b still works');
        // Once one closes (on the server too), a new client gets in.
        a.close(1000);
        await ca.closes.next();
        const c = await h.connect(port);
        await conns.next();
        await assertEcho(c, 'c is in');
        await assertEcho(b, 'b is fine');
        // And the limit still holds with c and b open.
        const again = await refused(port, requestWith(port));
        assert.strictEqual(again.status, 503);
      });
    });

    describe('handshakeTimeout', function () {
      it('drops a client that sends half a request line and one that sends nothing; an open client is unaffected', async function () {
        const { port, conns } = await h.echoServer({ handshakeTimeout: 200 });
        const half = await h.raw(port);
        await half.write('GET /cha');
        const silent = await h.raw(port);
        const client = await h.connect(port);
        await conns.next();
        await assertEcho(client, 'meanwhile');
        await half.closedByPeer(5000);
        await silent.closedByPeer(5000);
        // The open client has now been open past the handshake timeout.
        await delay(50);
        await assertEcho(client, 'after the timeout');
        assert.strictEqual(client.closes.items.length, 0);
        assert.strictEqual(conns.items.length, 1, "no 'connection' for the dropped clients");
      });
    });

    describe('closeTimeout', function () {
      it("cuts a client that never answers the server's close frame; 'close' reports 1006", async function () {
        const { port, conns } = await h.startServer({ closeTimeout: 200 });
        const r = await h.rawHandshake(port);
        const conn = await conns.next();
        conn.socket.close(4000);
        const f = await r.readFrame();
        assert.strictEqual(closeCodeOf(f), 4000);
        assert.ok(!r.ended && !r.closed, 'the connection is not cut at once');
        assert.strictEqual(conn.closes.items.length, 0);
        await r.closedByPeer(5000);
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 1006);
        assert.strictEqual(conn.socket.isOpen(), false);
      });

      it('also cuts a client that has stopped reading, with its close frame stuck behind queued messages', async function () {
        const { port, conns } = await h.startServer({ closeTimeout: 200, maxQueue: 0 });
        const c = await rawClient(port);
        c.sock.pause();
        const conn = await conns.next();
        const s = conn.socket;
        // Queue messages until the network takes no more: TCP buffers full.
        let last = -1;
        for (let i = 0; ; i++) {
          assert.ok(i < MAX_SENDS, 'the network kept taking data');
          if (s.bufferedAmount < 4 * MSG) {
            assert.strictEqual(s.send(numbered(i)), true);
            await delay(2);
            continue;
          }
          if (s.bufferedAmount === last) break;
          last = s.bufferedAmount;
          await delay(100);
        }
        conn.socket.close(4000);
        const [code] = await conn.closes.next(5000);
        assert.strictEqual(code, 1006);
        assert.strictEqual(s.isOpen(), false);
      });

      it("ends the TCP connection once the client answers the server's close frame, without waiting for closeTimeout", async function () {
        // closeTimeout is longer than this test may take: only the closing
        // handshake itself can end the connection here.
        const { port, conns } = await h.startServer({ closeTimeout: 60000 });
        const r = await h.rawHandshake(port);
        const conn = await conns.next();
        conn.socket.close(4000, 'done');
        const f = await r.readFrame();
        assert.strictEqual(closeCodeOf(f), 4000);
        await r.write(frame(CLOSE, Buffer.from([0x0f, 0xa0])));
        await r.closedByPeer(5000);
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 4000);
        assert.strictEqual(conn.socket.isOpen(), false);
      });
    });

    describe('heartbeat', function () {
      it('pings every pingInterval; a client that answers stays connected', async function () {
        const { port, conns } = await h.echoServer({ pingInterval: 100, pongTimeout: 100 });
        const client = await h.connect(port);
        const pings = collect(client, 'ping');
        const conn = await conns.next();
        await pings.count(4, 10000);
        // 'pong' events are an optional feature.
        if (target.extras) await conn.pongs.count(3, 10000);
        assert.strictEqual(client.readyState, 1, 'still open');
        assert.strictEqual(conn.closes.items.length, 0);
        assert.strictEqual(conn.socket.isOpen(), true);
        await assertEcho(client, 'alive');
      });

      it("cuts a client that does not answer the ping: 'close' reports 1006; others stay", async function () {
        const { port, conns } = await h.echoServer({ pingInterval: 100, pongTimeout: 100 });
        const good = await h.connect(port);
        await conns.next();
        const mute = await h.connect(port, '/', { autoPong: false });
        const conn = await conns.next();
        const pings = collect(mute, 'ping');
        const [code] = await conn.closes.next(10000);
        assert.strictEqual(code, 1006);
        assert.ok(pings.items.length >= 1, 'the client was pinged first');
        assert.strictEqual(conn.pongs.items.length, 0);
        const [ccode] = await mute.closes.next();
        assert.strictEqual(ccode, 1006);
        await assertEcho(good, 'the answering client stays');
      });

      // Node only: the emulated boards write into Node's loopback sockets,
      // whose buffers (about 4 MB here) a board's TCP stack does not have.
      if (target.name === 'node') it('keeps a client that reads a long message slowly and answers pings, though the ping waits behind it', async function () {
        // About 6 s of transfer at about 4 MB/s, against a pong timeout of
        // 3 s: the peer reads what the network holds (about 4 MB) in time.
        const size = 24 << 20, m = Buffer.alloc(size, 7);
        const { port, conns } = await h.startServer({ pingInterval: 200, pongTimeout: 3000, maxPayload: size });
        const client = await h.connect(port, '/', { maxPayload: size });
        const conn = await conns.next();
        const sock = client._socket;
        let budget = 0;
        const slowReader = (d) => {
          budget -= d.length;
          if (budget <= 0) sock.pause();
        };
        sock.on('data', slowReader);
        const pace = setInterval(() => {
          budget = 64 * 1024;
          sock.resume();
        }, 16);
        try {
          assert.strictEqual(conn.socket.send(m), true);
          const [data] = await client.messages.next(60000);
          assert.strictEqual(data.length, size);
          assert.ok(Buffer.from(data).equals(m));
        } finally {
          // Reads at full speed from here: a slow reader left in place
          // would pause the socket at the next ping.
          clearInterval(pace);
          sock.removeListener('data', slowReader);
          sock.resume();
        }
        assert.strictEqual(conn.closes.items.length, 0, 'not cut: ' + JSON.stringify(conn.closes.items));
        assert.strictEqual(client.readyState, 1);
        // The heartbeat goes on once the message is out: pinged and answered.
        const pings = collect(client, 'ping');
        await pings.count(2, 10000);
        assert.strictEqual(conn.socket.isOpen(), true);
      });

      it('cuts a client that stops reading in the middle of a long message (1006)', async function () {
        const { port, conns } = await h.startServer({ pingInterval: 100, pongTimeout: 300 });
        const client = await h.connect(port);
        const conn = await conns.next();
        client._socket.pause();
        assert.strictEqual(conn.socket.send(Buffer.alloc(32 << 20, 1)), true);
        const [code] = await conn.closes.next(10000);
        assert.strictEqual(code, 1006);
      });
    });

    // An optional feature: not in the small Espruino bundle.
    if (target.extras) describe('idleTimeout', function () {
      it('closes a client that sends nothing with 1001', async function () {
        const { port, conns } = await h.echoServer({ idleTimeout: 200 });
        const client = await h.connect(port);
        const conn = await conns.next();
        const [ccode] = await client.closes.next();
        assert.strictEqual(ccode, 1001);
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 1001);
      });

      it('keeps a client that sends a message every 50 ms open past several timeouts', async function () {
        const { port, conns } = await h.echoServer({ idleTimeout: 200 });
        const client = await h.connect(port);
        const conn = await conns.next();
        const start = Date.now();
        let n = 0;
        while (Date.now() - start < 800) {
          client.send('tick ' + n++);
          await delay(50);
        }
        await conn.messages.count(n);
        for (let i = 0; i < n; i++) assert.strictEqual((await client.messages.next())[0].toString(), 'tick ' + i);
        assert.strictEqual(client.closes.items.length, 0);
        assert.strictEqual(conn.closes.items.length, 0);
        assert.strictEqual(conn.socket.isOpen(), true);
        await assertEcho(client, 'still here');
        // Then silent: closed with 1001 after all.
        const [ccode] = await client.closes.next();
        assert.strictEqual(ccode, 1001);
      });
    });

    describe('maxQueue and queuePolicy', function () {
      /** A server with the policy, and a raw client whose socket does not read. */
      async function stalled(policy, extra) {
        const { port, conns } = await h.startServer(Object.assign({ maxQueue: QUEUE, queuePolicy: policy }, extra));
        const c = await rawClient(port);
        c.sock.pause();
        const conn = await conns.next();
        const s = conn.socket;
        const drains = [];
        s.on('drain', () => drains.push(s.bufferedAmount));
        return { c, conn, s, drains };
      }

      /** Sends numbered messages until send() returns false; returns how many it took. */
      async function fillUntilRefused(s) {
        for (let i = 0; i < MAX_SENDS; i++) {
          if (!s.send(numbered(i))) return i;
          await delay(1);
        }
        throw new Error('send() still accepted messages after ' + MAX_SENDS + ' of ' + MSG + ' bytes');
      }

      it("'fail': send() returns false and counts refused, the socket stays open, and every accepted message arrives in order", async function () {
        const { c, conn, s, drains } = await stalled('fail');
        const accepted = await fillUntilRefused(s);
        assert.ok(accepted >= 1, 'accepted ' + accepted);
        assert.ok(s.bufferedAmount > 0 && s.bufferedAmount <= QUEUE, 'bufferedAmount ' + s.bufferedAmount);
        // stats() is an optional feature.
        let st = target.extras && s.stats();
        if (st) {
          assert.strictEqual(st.sent, accepted);
          assert.strictEqual(st.refused, 1);
          assert.strictEqual(st.dropped, 0);
          assert.strictEqual(s.bufferedAmount, st.bufferedAmount);
        }
        // Still full: refused again, and still open.
        assert.strictEqual(s.send(numbered(accepted)), false);
        assert.strictEqual(s.send(numbered(accepted)), false);
        st = target.extras && s.stats();
        if (st) {
          assert.strictEqual(st.refused, 3);
          assert.strictEqual(st.sent, accepted);
        }
        assert.strictEqual(s.isOpen(), true);
        const drainsBefore = drains.length;
        c.sock.resume();
        await c.waitFor((x) => binaries(x).length >= accepted || x.closed, 20000, accepted + ' messages');
        const expected = [];
        for (let i = 0; i < accepted; i++) expected.push(i);
        assert.deepStrictEqual(seqsOf(c), expected);
        await until(() => drains.length > drainsBefore, "'drain'");
        assert.ok(drains.every((amount) => amount === 0), "bufferedAmount at 'drain': " + drains);
        assert.strictEqual(s.bufferedAmount, 0);
        if (target.extras) assert.strictEqual(s.stats().bufferedAmount, 0);
        assert.deepStrictEqual(c.violations, []);
        // The queue has room again.
        assert.strictEqual(s.send(numbered(accepted)), true);
        await c.waitEvents(accepted + 1, 10000);
        assert.strictEqual(seqsOf(c)[accepted], accepted);
        st = target.extras && s.stats();
        if (st) {
          assert.strictEqual(st.sent, accepted + 1);
          assert.strictEqual(st.refused, 3);
        }
        assert.strictEqual(s.isOpen(), true);
        assert.strictEqual(conn.closes.items.length, 0);
      });

      // The 'close' and 'latest' policies, and stats(), are optional features.
      if (target.extras) it("'close': send() returns false and the client gets the accepted messages, then close 1013", async function () {
        const { c, conn, s } = await stalled('close', { closeTimeout: 15000 });
        const accepted = await fillUntilRefused(s);
        assert.strictEqual(s.isOpen(), false, 'closing');
        assert.strictEqual(s.send(numbered(accepted)), false);
        const st = s.stats();
        assert.strictEqual(st.sent, accepted);
        assert.strictEqual(st.refused, 2);
        c.sock.resume();
        await c.waitFor((x) => !!x.closeFrame || x.closed, 20000, 'the close frame');
        assert.ok(c.closeFrame, 'a close frame arrived: ' + c.describe());
        assert.strictEqual(c.closeFrame.code, 1013);
        const expected = [];
        for (let i = 0; i < accepted; i++) expected.push(i);
        assert.deepStrictEqual(seqsOf(c), expected);
        assert.deepStrictEqual(c.violations, []);
        // Complete the closing handshake and end the TCP connection, as `ws` does
        // (so that this test does not depend on when the server ends it).
        c.sock.end(raw.frame({ opcode: CLOSE, payload: raw.closePayload(1013) }));
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 1013);
        await c.waitClosed();
      });

      // The 'close' and 'latest' policies, and stats(), are optional features.
      if (target.extras) it("a socket's own maxQueue and queuePolicy override the server's", async function () {
        // The server queues without limit; this one socket gets 'close' and QUEUE bytes.
        const { c, conn, s } = await stalled('fail', { maxQueue: 0, closeTimeout: 15000 });
        assert.strictEqual(s.maxQueue, 0);
        assert.strictEqual(s.queuePolicy, 'fail');
        s.maxQueue = QUEUE;
        s.queuePolicy = 'close';
        const accepted = await fillUntilRefused(s);
        assert.ok(accepted >= 1 && s.stats().sent === accepted);
        assert.strictEqual(s.isOpen(), false, 'closing, as its own policy says');
        c.sock.resume();
        await c.waitFor((x) => !!x.closeFrame || x.closed, 20000, 'the close frame');
        assert.ok(c.closeFrame, 'a close frame arrived: ' + c.describe());
        assert.strictEqual(c.closeFrame.code, 1013);
        c.sock.end(raw.frame({ opcode: CLOSE, payload: raw.closePayload(1013) }));
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 1013);
      });

      // The 'close' and 'latest' policies, and stats(), are optional features.
      if (target.extras) it("'latest': queued messages not yet started are dropped and counted; the client gets those in flight and the latest, never a dropped one", async function () {
        const { c, s, drains } = await stalled('latest');
        // alive: the accepted messages not dropped, in order. The queue is a
        // suffix of it, so a drop of k messages takes its last k.
        const alive = [], dropped = [];
        let drops = 0, i = 0;
        for (; i < MAX_SENDS && drops < 3; i++) {
          const before = s.stats().dropped;
          const ok = s.send(numbered(i));
          const k = s.stats().dropped - before;
          assert.strictEqual(ok, true, 'send(' + i + ') with the latest policy');
          assert.ok(k <= alive.length, 'dropped ' + k + ' of ' + alive.length);
          if (k) {
            drops++;
            dropped.push(...alive.splice(alive.length - k, k));
          }
          alive.push(i);
          assert.ok(s.bufferedAmount <= QUEUE, 'bufferedAmount ' + s.bufferedAmount);
          await delay(1);
        }
        assert.strictEqual(drops, 3, 'the queue overflowed three times within ' + MAX_SENDS + ' messages');
        const last = i - 1;
        const st = s.stats();
        assert.strictEqual(st.dropped, dropped.length);
        assert.ok(st.dropped > 0);
        assert.strictEqual(st.sent, i);
        assert.strictEqual(st.refused, 0);
        const drainsBefore = drains.length;
        c.sock.resume();
        await c.waitFor((x) => binaries(x).some((e) => e.data.readUInt32BE(0) === last) || x.closed, 20000,
          'message ' + last);
        await delay(20);
        const got = seqsOf(c);
        assert.strictEqual(got[0], 0, 'the first message (in flight) arrives');
        assert.strictEqual(got[got.length - 1], last, 'the latest arrives');
        for (const d of dropped) assert.ok(got.indexOf(d) < 0, 'dropped message ' + d + ' arrived');
        assert.deepStrictEqual(got, alive);
        await until(() => drains.length > drainsBefore, "'drain'");
        assert.ok(drains.every((amount) => amount === 0), "bufferedAmount at 'drain': " + drains);
        assert.strictEqual(s.bufferedAmount, 0);
        assert.strictEqual(s.stats().bufferedAmount, 0);
        assert.strictEqual(s.isOpen(), true);
        assert.deepStrictEqual(c.violations, []);
      });
    });

    // An optional feature: not in the small Espruino bundle.
    if (target.extras) describe('path', function () {
      it("{ path: '/ws' } accepts '/ws' and '/ws?x=1' and answers other paths with 404", async function () {
        const { port, conns } = await h.echoServer({ path: '/ws' });
        const a = await h.connect(port, '/ws');
        const ca = await conns.next();
        assert.strictEqual(ca.socket.request.path, '/ws');
        await assertEcho(a, 'on /ws');
        const b = await h.connect(port, '/ws?x=1');
        const cb = await conns.next();
        assert.strictEqual(cb.socket.request.path, '/ws?x=1');
        await assertEcho(b, 'on /ws?x=1');
        for (const p of ['/other', '/', '/wsx', '/ws/more']) {
          const head = await refused(port, requestWith(port, p));
          assert.strictEqual(head.status, 404, p);
        }
        assert.strictEqual(conns.items.length, 2);
      });
    });

    describe('origins', function () {
      it('matches exactly: a prefix or a shorter origin gets 403, and so does an empty Origin header', async function () {
        const { port, conns } = await h.echoServer({ origins: ['https://example.com'] });
        for (const origin of ['https://example.co', 'https://e', 'https://example.com.evil', 'HTTPS://EXAMPLE.COM', '']) {
          const head = await refused(port, requestWith(port, '/', [['Origin', origin]]));
          assert.strictEqual(head.status, 403, JSON.stringify(origin));
        }
        const ok = await upgraded(port, requestWith(port, '/', [['Origin', 'https://example.com']]));
        await conns.next();
        await ok.r.write(frame(TEXT, 'allowed'));
        assert.strictEqual((await ok.r.readFrame()).payload.toString(), 'allowed');
      });

      it('must be an array of strings: a string is a TypeError naming the option', function () {
        for (const bad of ['https://example.com', [42], { 0: 'https://example.com' }, true]) {
          assert.throws(() => new h.mod.Server(h.options({ origins: bad }, 0)),
            (e) => e instanceof TypeError && /origins/.test(e.message) && /array of strings/.test(e.message), JSON.stringify(bad));
        }
      });

      it("accepts a listed Origin and a request without one; answers another Origin with 403", async function () {
        const { port, conns } = await h.echoServer({ origins: ['http://good.example'] });
        const good = await h.connect(port, '/', { origin: 'http://good.example' });
        const cg = await conns.next();
        assert.strictEqual(cg.socket.request.headers.origin, 'http://good.example');
        await assertEcho(good, 'good origin');
        const none = await h.connect(port);
        const cn = await conns.next();
        assert.strictEqual(cn.socket.request.headers.origin, undefined);
        await assertEcho(none, 'no origin');
        for (const origin of ['http://evil.example', 'http://good.example.evil.example', 'https://good.example']) {
          const head = await refused(port, requestWith(port, '/', [['Origin', origin]]));
          assert.strictEqual(head.status, 403, origin);
        }
        assert.strictEqual(conns.items.length, 2);
      });
    });

    // An optional feature: not in the small Espruino bundle.
    if (target.extras) describe('verify', function () {
      it('false answers 403, a number that status, a throw 500; true or nothing accepts; it gets the request', async function () {
        const seen = [];
        const { port, conns } = await h.echoServer({
          verify(req) {
            seen.push({ path: String(req.path), method: String(req.method), token: req.headers['x-token'], host: req.headers['host'] });
            const p = String(req.path);
            if (p === '/false') return false;
            if (p === '/401') return 401;
            if (p === '/throw') throw new Error('verify exploded');
            if (p === '/true') return true;
            return undefined;
          }
        });
        const extra = [['X-Token', 'secret-42']];
        assert.strictEqual((await refused(port, requestWith(port, '/false', extra))).status, 403);
        assert.strictEqual((await refused(port, requestWith(port, '/401', extra))).status, 401);
        assert.strictEqual((await refused(port, requestWith(port, '/throw', extra))).status, 500);
        const t = await upgraded(port, requestWith(port, '/true', extra));
        const ct = await conns.next();
        assert.strictEqual(ct.socket.request.path, '/true');
        await t.r.write(frame(TEXT, 'verified'));
        assert.strictEqual((await t.r.readFrame()).payload.toString(), 'verified');
        const u = await h.connect(port, '/undefined', { headers: { 'X-Token': 'secret-42' } });
        await conns.next();
        await assertEcho(u, 'undefined accepts');
        assert.deepStrictEqual(seen.map((s) => s.path), ['/false', '/401', '/throw', '/true', '/undefined']);
        for (const s of seen) {
          assert.strictEqual(s.method, 'GET');
          assert.strictEqual(s.token, 'secret-42', 'headers reach verify (lower-cased names)');
          assert.strictEqual(s.host, '127.0.0.1:' + port);
        }
        assert.strictEqual(conns.items.length, 2);
      });

      it('awaits a promise: false gives 403, a status that status, a rejection 500, true a 101', async function () {
        const { port, conns } = await h.echoServer({
          verify(req) {
            const p = String(req.path);
            if (p === '/false') return Promise.resolve(false);
            if (p === '/451') return new Promise((resolve) => setTimeout(resolve, 20, 451));
            if (p === '/reject') return Promise.reject(new Error('no'));
            return new Promise((resolve) => setTimeout(resolve, 20, true));
          }
        });
        assert.strictEqual((await refused(port, requestWith(port, '/false'))).status, 403);
        assert.strictEqual((await refused(port, requestWith(port, '/451'))).status, 451);
        assert.strictEqual((await refused(port, requestWith(port, '/reject'))).status, 500);
        const client = await h.connect(port, '/true');
        await conns.next();
        await assertEcho(client, 'verified later');
        assert.strictEqual(conns.items.length, 1);
      });

      it('an async verify(): a frame sent right behind the request is read once it accepts', async function () {
        const { port } = await h.echoServer({ verify: () => new Promise((resolve) => setTimeout(resolve, 20, true)) });
        const r = await h.raw(port);
        await r.write(Buffer.concat([Buffer.from(requestWith(port, '/')), frame(TEXT, 'early')]));
        assert.strictEqual((await r.readHead()).status, 101);
        assert.strictEqual((await r.readFrame()).payload.toString(), 'early');
      });

      it('an async verify() that never settles is bounded by handshakeTimeout', async function () {
        const { port, conns } = await h.echoServer({ handshakeTimeout: 200, verify: () => new Promise(() => {}) });
        const r = await h.raw(port);
        await r.write(requestWith(port, '/'));
        await r.closedByPeer(5000);
        assert.strictEqual(r.buf.length, 0, 'no response: ' + r.buf.toString('latin1'));
        assert.strictEqual(conns.items.length, 0);
      });

      it('a status outside 400-599, or any other value, is answered with 500; never as a status line', async function () {
        const { port } = await h.echoServer({
          verify(req) {
            return { '/101': 101, '/200': 200, '/600': 600, '/string': 'yes', '/null': null, '/zero': 0 }[String(req.path)];
          }
        });
        for (const p of ['/101', '/200', '/600', '/string', '/null', '/zero']) {
          const head = await refused(port, requestWith(port, p));
          assert.strictEqual(head.statusLine, 'HTTP/1.1 500 Internal Server Error', p);
        }
      });

      it('a maxConnections slot taken while an async verify() ran gives 503', async function () {
        let release;
        const { port, conns } = await h.echoServer({
          maxConnections: 1,
          verify: (req) => (String(req.path) === '/slow' ? new Promise((resolve) => (release = resolve)) : true)
        });
        const r = await h.raw(port);
        await r.write(requestWith(port, '/slow'));
        await until(() => release, 'verify to be called');
        const fast = await h.connect(port, '/fast');
        await conns.next();
        release(true);
        assert.strictEqual((await r.readHead()).status, 503);
        await assertEcho(fast, 'the first to open keeps its slot');
      });
    });

    // An optional feature: not in the small Espruino bundle.
    if (target.extras) describe('protocols', function () {
      it("chooses the first of the server's protocols that the client offers", async function () {
        const { port, conns } = await h.echoServer({ protocols: ['chat.v2', 'chat'] });
        const client = await h.connect(port, '/', ['chat', 'chat.v2']);
        const conn = await conns.next();
        assert.strictEqual(client.protocol, 'chat.v2');
        assert.strictEqual(conn.socket.protocol, 'chat.v2');
        await assertEcho(client, 'speaking chat.v2');
        const only = await h.connect(port, '/', ['chat']);
        const co = await conns.next();
        assert.strictEqual(only.protocol, 'chat');
        assert.strictEqual(co.socket.protocol, 'chat');
      });

      it("answers with the chosen protocol alone, never the client's list", async function () {
        const { port, conns } = await h.echoServer({ protocols: ['chat.v2', 'chat'] });
        for (const offer of [[['Sec-WebSocket-Protocol', 'chat, chat.v2']], [['Sec-WebSocket-Protocol', 'chat,chat.v2']],
          [['Sec-WebSocket-Protocol', 'other'], ['Sec-WebSocket-Protocol', 'chat.v2']]]) {
          const { head } = await upgraded(port, requestWith(port, '/', offer));
          const conn = await conns.next();
          assert.strictEqual(head.headers['sec-websocket-protocol'], 'chat.v2', JSON.stringify(offer));
          assert.ok(head.raw.indexOf('chat, chat.v2') < 0 && head.raw.indexOf('chat,chat.v2') < 0, head.raw);
          assert.strictEqual(conn.socket.protocol, 'chat.v2');
        }
      });

      it('sends no Sec-WebSocket-Protocol when none matches or none is offered; the connection works', async function () {
        const { port, conns } = await h.echoServer({ protocols: ['chat.v2', 'chat'] });
        const { r, head } = await upgraded(port, requestWith(port, '/', [['Sec-WebSocket-Protocol', 'other']]));
        const conn = await conns.next();
        assert.strictEqual(head.headers['sec-websocket-protocol'], undefined, head.raw);
        assert.ok(!/other/.test(head.raw), 'the offer is not echoed: ' + head.raw);
        assert.strictEqual(conn.socket.protocol, '');
        await r.write(frame(TEXT, 'no protocol'));
        assert.strictEqual((await r.readFrame()).payload.toString(), 'no protocol');
        const plain = await h.connect(port);
        const cp = await conns.next();
        assert.strictEqual(plain.protocol, '');
        assert.strictEqual(cp.socket.protocol, '');
        await assertEcho(plain, 'plain');
      });
    });

    if (target.name === 'node') {
      describe('hostInterface', function () {
        /** A text echo server with no hostInterface given (or these options). */
        async function defaultServer(opts) {
          const server = new h.mod.Server(Object.assign({}, target.defaults, { port: 0, receiveType: 'text/plain', sendType: 'text/plain' }, opts));
          h.servers.push(server);
          server.on('connection', (s) => s.on('message', (m) => s.send(m)));
          const listening = waitFor(server, 'listening', { failOn: 'error' });
          server.start();
          const [port] = await listening;
          return port;
        }

        it("the default 'localhost' serves on 127.0.0.1", async function () {
          const port = await defaultServer();
          const client = await h.connect(port);
          await assertEcho(client, 'on loopback');
        });

        it('the default is not reachable on a non-loopback IPv4 address (skipped only if the machine has none)', async function () {
          const addr = externalIPv4();
          if (!addr) this.skip();
          // The address itself works: a server on every interface answers there.
          const control = net.createServer((s) => s.destroy());
          await new Promise((resolve, reject) => control.listen(0, '0.0.0.0', resolve).on('error', reject));
          try {
            assert.strictEqual(await tryConnect(control.address().port, addr), 'connected', 'control server on ' + addr);
          } finally {
            control.close();
          }
          const port = await defaultServer();
          const outcome = await tryConnect(port, addr);
          assert.notStrictEqual(outcome, 'connected', 'reachable on ' + addr + ':' + port);
        });

        it("an empty hostInterface is the default 'localhost': loopback, not every interface", async function () {
          const port = await defaultServer({ hostInterface: '' });
          await assertEcho(await h.connect(port), 'on loopback');
          const addr = externalIPv4();
          if (addr) assert.notStrictEqual(await tryConnect(port, addr), 'connected', 'reachable on ' + addr + ':' + port);
          assert.deepStrictEqual(h.servers[0]._l._servers.map((srv) => srv.address().address), ['127.0.0.1']);
        });

        it("'localhost' answers on every address the name resolves to, ::1 included", async function () {
          // This machine's resolver may give 127.0.0.1 only: give it both, as
          // many systems do (the server then listens on each).
          const dns = require('dns');
          const lookup = dns.lookup;
          dns.lookup = (name, opts, cb) => {
            if (name !== 'localhost' || !opts || !opts.all) return lookup.apply(dns, [name, opts, cb]);
            process.nextTick(cb, null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
          };
          let port;
          try {
            port = await defaultServer({ hostInterface: 'localhost' });
          } finally {
            dns.lookup = lookup;
          }
          assert.deepStrictEqual(h.servers[0]._l._servers.map((srv) => srv.address().address), ['::1', '127.0.0.1']);
          for (const host of ['[::1]', '127.0.0.1']) {
            const client = new (require('ws'))('ws://' + host + ':' + port + '/');
            h.clients.push(client);
            await waitFor(client, 'open', { failOn: 'error' });
            client.send('via ' + host);
            const [m] = await waitFor(client, 'message');
            assert.strictEqual(m.toString(), 'via ' + host);
          }
        });

        it("stop() before 'localhost' is resolved: no 'listening', nothing left listening", async function () {
          const dns = require('dns');
          const lookup = dns.lookup;
          let resolved;
          const answered = new Promise((r) => (resolved = r));
          // The product's lookup callback runs, then the test goes on.
          dns.lookup = (name, opts, cb) => lookup.call(dns, name, opts, (...args) => {
            cb(...args);
            resolved();
          });
          const server = new h.mod.Server(Object.assign({}, target.defaults, { port: 0 }));
          let listened = false;
          server.on('listening', () => (listened = true));
          try {
            server.start();
            const listener = server._l;
            server.stop();
            await answered;
            assert.deepStrictEqual(listener._servers, [], 'no server made after stop()');
          } finally {
            dns.lookup = lookup;
          }
          assert.strictEqual(listened, false);
        });
      });
    }

    describe('invalid options', function () {
      it("queuePolicy 'bogus' makes the constructor throw TypeError", function () {
        assert.throws(() => new h.mod.Server(h.options({ queuePolicy: 'bogus' }, 0)), TypeError);
        // Espruino's RegExp engine once let 'fails' through an alternation.
        assert.throws(() => new h.mod.Server(h.options({ queuePolicy: 'fails' }, 0)), TypeError);
        for (const policy of target.extras ? ['fail', 'close', 'latest'] : ['fail']) {
          assert.doesNotThrow(() => new h.mod.Server(h.options({ queuePolicy: policy }, 0)), policy);
        }
      });

      if (!target.extras) {
        it("the small bundle refuses the optional features' options with a TypeError that names them", function () {
          const given = {
            path: '/ws', verify: () => true, protocols: ['chat'],
            maxFragments: 8, idleTimeout: 1000, queuePolicy: 'close'
          };
          for (const k of Object.keys(given)) {
            assert.throws(() => new h.mod.Server(h.options({ [k]: given[k] }, 0)), (e) => e instanceof TypeError && e.message.indexOf(k == 'queuePolicy' ? 'close' : k) >= 0, k);
          }
          // Their "off" values are accepted.
          assert.doesNotThrow(() => new h.mod.Server(h.options({ path: null, verify: null, idleTimeout: 0, queuePolicy: 'fail' }, 0)));
        });

        it('the small bundle has no stats() and no ping()', async function () {
          const { port, conns } = await h.echoServer();
          const client = await h.connect(port);
          const conn = await conns.next();
          assert.strictEqual(typeof conn.socket.stats, 'undefined');
          assert.strictEqual(typeof conn.socket.ping, 'undefined');
          await assertEcho(client, 'still echoes');
        });
      }
    });

    if (target.stats) {
      describe('emulated board', function () {
        it('no uncaught exceptions or Espruino hazards during these tests', function () {
          const st = target.stats();
          assert.deepStrictEqual(st.uncaught.slice(boardBefore.uncaught.length), [], 'uncaught exceptions on the board');
          assert.deepStrictEqual(st.hazards.filter((x) => boardBefore.hazards.indexOf(x) < 0), [], 'Espruino hazards');
        });
      });
    }
  });
}
