// Behaviour of the web-socket-server v2 implementation, end to end, against
// every target in test/helpers/targets.js, with the `ws` package (and raw TCP
// sockets where `ws` cannot produce the input) as the client.
'use strict';
const assert = require('assert');
const net = require('net');
const crypto = require('crypto');
const { targets } = require('./helpers/targets');
const {
  Harness,
  waitFor,
  delay,
  acceptFor,
  newKey,
  upgradeRequest,
  browserRequest,
  frame,
  assertEcho,
  assertFailed,
  utf8Text
} = require('./helpers/harness');

const handshakeFx = require('./fixtures/unit/handshake.json');
const browserHeads = require('./fixtures/browser-heads.json');

const TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10;
const SIZES = [0, 125, 126, 65535, 65536, 1048576];
const TYPES = ['application/json', 'text/plain', 'application/octet-stream'];

function bytes(v) {
  assert.ok(v instanceof Uint8Array, 'expected a Uint8Array, got ' + Object.prototype.toString.call(v));
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function closeCodeOf(f) {
  assert.strictEqual(f.opcode, CLOSE, 'expected a close frame, got opcode ' + f.opcode);
  assert.ok(f.payload.length >= 2, 'close frame without a status code');
  return f.payload.readUInt16BE(0);
}

for (const target of targets) {
  describe('behaviour [' + target.name + ']', function () {
    this.timeout(20000);
    let h;

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    describe('echo', function () {
      for (const size of SIZES) {
        it('echoes a ' + size + '-byte text message byte for byte, as text', async function () {
          const { port } = await h.echoServer({ maxPayload: 2 * 1024 * 1024 });
          const client = await h.connect(port);
          const text = utf8Text(size);
          assert.strictEqual(Buffer.byteLength(text), size);
          if (size >= 16) assert.ok(/[^\x00-\x7f]/.test(text), 'payload has multi-byte characters');
          client.send(text);
          const [data, isBinary] = await client.messages.next(10000);
          assert.strictEqual(isBinary, false, 'text stays text');
          assert.strictEqual(data.length, size);
          assert.ok(Buffer.from(data).equals(Buffer.from(text, 'utf8')), 'bytes differ');
          assert.strictEqual(data.toString('utf8'), text);
        });

        it('relays ' + size + '-byte text as it came, to every client, and text held back until after the next message', async function () {
          // The speaker's messages go to both listeners as they arrive; the
          // speaker gets each one back only once the next has come (the
          // last, once "end" comes): text sent after other text was decoded.
          let held;
          const { port, conns } = await h.startServer({ receiveType: 'text/plain', sendType: 'text/plain', maxPayload: 2 * 1024 * 1024 });
          const speaker = await h.connect(port), from = (await conns.next()).socket;
          const listeners = [await h.connect(port), await h.connect(port)];
          const to = [(await conns.next()).socket, (await conns.next()).socket];
          from.on('message', (m) => {
            for (const s of to) s.send(m);
            if (held !== undefined) from.send(held);
            held = m;
          });
          const texts = [utf8Text(size), 'a'.repeat(size), utf8Text(size + 1), 'end'];
          for (const t of texts) speaker.send(t);
          for (const client of listeners) {
            for (const t of texts) {
              const [data, isBinary] = await client.messages.next(10000);
              assert.strictEqual(isBinary, false);
              assert.ok(Buffer.from(data).equals(Buffer.from(t, 'utf8')), 'relayed bytes differ (' + Buffer.byteLength(t) + ' bytes)');
            }
          }
          for (const t of texts.slice(0, -1)) {
            const [data] = await speaker.messages.next(10000);
            assert.ok(Buffer.from(data).equals(Buffer.from(t, 'utf8')), 'held-back bytes differ (' + Buffer.byteLength(t) + ' bytes)');
          }
        });

        it('echoes a ' + size + '-byte binary message byte for byte, as binary', async function () {
          const { port } = await h.echoServer({ maxPayload: 2 * 1024 * 1024 });
          const client = await h.connect(port);
          const payload = crypto.randomBytes(size);
          client.send(payload, { binary: true });
          const [data, isBinary] = await client.messages.next(10000);
          assert.strictEqual(isBinary, true, 'binary stays binary');
          assert.strictEqual(data.length, size);
          assert.ok(Buffer.from(data).equals(payload), 'bytes differ');
        });
      }
    });

    describe('fragmentation', function () {
      it('delivers a message sent in several fragments as one message', async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        client.send('abc', { fin: false });
        client.send('d\u00e9f', { fin: false });
        client.send('', { fin: false });
        client.send('ghi', { fin: true });
        client.send(Buffer.from([1, 2]), { binary: true, fin: false });
        client.send(Buffer.from([3]), { binary: true, fin: true });
        client.send('next');
        const [m1, b1] = await conn.messages.next();
        const [m2, b2] = await conn.messages.next();
        const [m3, b3] = await conn.messages.next();
        assert.strictEqual(b1, false);
        assert.strictEqual(bytesOfText(m1).toString('utf8'), 'abcd\u00e9fghi');
        assert.strictEqual(b2, true);
        assert.deepStrictEqual([...bytes(m2)], [1, 2, 3]);
        assert.strictEqual(b3, false);
        assert.strictEqual(m3, 'next');
        assert.strictEqual(conn.messages.items.length, 3);
        // And the echoes of the reassembled messages.
        const [e1, eb1] = await client.messages.next();
        assert.strictEqual(eb1, false);
        assert.strictEqual(e1.toString('utf8'), 'abcd\u00e9fghi');
        const [e2, eb2] = await client.messages.next();
        assert.strictEqual(eb2, true);
        assert.deepStrictEqual([...e2], [1, 2, 3]);
      });

      it('delivers one message when a ping comes between its fragments', async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        const pong = waitFor(client, 'pong');
        client.send('first-', { fin: false });
        client.ping('between');
        client.send('second-', { fin: false });
        client.send('third', { fin: true });
        const [p] = await pong;
        assert.strictEqual(p.toString(), 'between');
        const [m, isBinary] = await conn.messages.next();
        assert.strictEqual(isBinary, false);
        assert.strictEqual(m, 'first-second-third');
        const [e] = await client.messages.next();
        assert.strictEqual(e.toString(), 'first-second-third');
        // A message sent after it comes next: nothing else was delivered.
        client.send('after');
        const [after] = await conn.messages.next();
        assert.strictEqual(after, 'after');
        assert.strictEqual(conn.messages.items.length, 2, 'exactly one message, then the next');
        assert.strictEqual(conn.errors.items.length, 0);
      });
    });

    describe('ping and pong', function () {
      it('answers a client ping with a pong carrying the same payload', async function () {
        const { port } = await h.echoServer();
        const client = await h.connect(port);
        const payload = Buffer.from([0, 1, 2, 0xff, 0x80, 0x41]);
        client.ping(payload);
        const [p] = await waitFor(client, 'pong');
        assert.ok(Buffer.from(p).equals(payload));
        client.ping();
        const [empty] = await waitFor(client, 'pong');
        assert.strictEqual(empty.length, 0);
        // A 125-byte ping (the largest allowed).
        const big = crypto.randomBytes(125);
        client.ping(big);
        const [p2] = await waitFor(client, 'pong');
        assert.ok(Buffer.from(p2).equals(big));
      });

      // socket.ping() and 'pong' events are optional features.
      if (target.extras) it("sends a ping from socket.ping('abc') and reports the client's pong", async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        const ping = waitFor(client, 'ping');
        assert.strictEqual(conn.socket.ping('abc'), true);
        const [data] = await ping;
        assert.strictEqual(data.toString(), 'abc');
        const [pong] = await conn.pongs.next();
        assert.strictEqual(bytes(pong).toString(), 'abc');
      });
    });

    describe('close codes', function () {
      it('client close(1000): server gets (1000, "") and the client sees the echo', async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        client.close(1000);
        const [code, reason] = await conn.closes.next();
        assert.strictEqual(code, 1000);
        assert.strictEqual(reason, '');
        const [ccode] = await client.closes.next();
        assert.strictEqual(ccode, 1000);
        assert.strictEqual(conn.socket.isOpen(), false);
      });

      it('client close(4001, reason): server gets the code and reason, the client the echo', async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        client.close(4001, 'client says bye');
        const [code, reason] = await conn.closes.next();
        assert.strictEqual(code, 4001);
        assert.strictEqual(reason, 'client says bye');
        const [ccode] = await client.closes.next();
        assert.strictEqual(ccode, 4001);
      });

      it("server close(4002, 'bye'): the client gets 4002 'bye' and the server 'close' fires", async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        conn.socket.close(4002, 'bye');
        const [ccode, creason] = await client.closes.next();
        assert.strictEqual(ccode, 4002);
        assert.strictEqual(creason.toString(), 'bye');
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 4002);
        assert.strictEqual(conn.socket.isOpen(), false);
      });

      it('server close(1000) and a 123-byte reason are accepted', async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        const reason = 'r'.repeat(123);
        conn.socket.close(1000, reason);
        const [ccode, creason] = await client.closes.next();
        assert.strictEqual(ccode, 1000);
        assert.strictEqual(creason.toString(), reason);
        await conn.closes.next();
      });

      it('close() with an invalid code or a 124-byte reason throws TypeError and leaves the socket open', async function () {
        const { port, conns } = await h.echoServer();
        const client = await h.connect(port);
        const conn = await conns.next();
        for (const code of [999, 1001, 1004, 1005, 1006, 1015, 2000, 2999, 5000]) {
          assert.throws(() => conn.socket.close(code), TypeError, 'close(' + code + ')');
          assert.throws(() => conn.socket.close(code, 'why'), TypeError, 'close(' + code + ', reason)');
        }
        assert.throws(() => conn.socket.close(1000, 'x'.repeat(124)), TypeError, '124-byte reason');
        assert.throws(() => conn.socket.close(4000, 'x'.repeat(124)), TypeError, '124-byte reason');
        assert.strictEqual(conn.socket.isOpen(), true);
        await assertEcho(client, 'still open');
        assert.strictEqual(conn.closes.items.length, 0);
        assert.strictEqual(client.closes.items.length, 0);
      });
    });

    describe('protocol errors', function () {
      it('closes with 1007 on invalid UTF-8 text; another client keeps working', async function () {
        const { port, conns } = await h.echoServer();
        const healthy = await h.connect(port);
        await conns.next();
        const bad = [
          Buffer.from([0x68, 0x69, 0xff]), // 0xff is never valid
          Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
          Buffer.from([0xc0, 0xaf]), // an overlong '/'
          Buffer.from([0x61, 0xe2, 0x82]) // ends inside a sequence
        ];
        for (const payload of bad) {
          const client = await h.connect(port);
          const conn = await conns.next();
          client.send(payload, { binary: false });
          const [code] = await client.closes.next();
          assert.strictEqual(code, 1007, 'payload ' + payload.toString('hex'));
          const [scode] = await conn.closes.next();
          assert.strictEqual(scode, 1007);
          assert.strictEqual(conn.messages.items.length, 0);
          await assertEcho(healthy, 'ok after ' + payload.toString('hex'));
        }
      });

      it('closes with 1002 on an unmasked client frame; another client keeps working', async function () {
        const { port, conns } = await h.echoServer();
        const healthy = await h.connect(port);
        await conns.next();
        const raw = await h.rawHandshake(port);
        const conn = await conns.next();
        await raw.write(frame(TEXT, 'hello', { mask: false }));
        const f = await raw.readFrame();
        assert.strictEqual(f.masked, false, 'server frames are not masked');
        assert.strictEqual(closeCodeOf(f), 1002);
        await raw.closedByPeer();
        const [err] = await conn.errors.next();
        assert.strictEqual(err.closeCode, 1002);
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 1002);
        assert.strictEqual(conn.messages.items.length, 0);
        await assertEcho(healthy, 'fine');
      });

      it('closes with 1009 on a message over maxPayload: error then close on the server', async function () {
        const { port, conns } = await h.echoServer({ maxPayload: 1000 });
        const healthy = await h.connect(port);
        await conns.next();
        const client = await h.connect(port);
        const conn = await conns.next();
        const order = [];
        conn.socket.on('error', (e) => order.push('error ' + e.closeCode));
        conn.socket.on('close', (c) => order.push('close ' + c));
        // Exactly maxPayload is fine.
        client.send(Buffer.alloc(1000, 7));
        const [ok] = await client.messages.next();
        assert.strictEqual(ok.length, 1000);
        client.send(Buffer.alloc(1001, 7));
        await assertFailed(client, conn, 1009);
        assert.deepStrictEqual(order, ['error 1009', 'close 1009']);
        assert.strictEqual(conn.messages.items.length, 1);
        await assertEcho(healthy, 'healthy');
      });

      it('closes with 1009 when fragments together exceed maxPayload', async function () {
        const { port, conns } = await h.echoServer({ maxPayload: 1000 });
        const client = await h.connect(port);
        const conn = await conns.next();
        client.send('a'.repeat(600), { fin: false });
        client.send('b'.repeat(401), { fin: true });
        await assertFailed(client, conn, 1009);
        assert.strictEqual(conn.messages.items.length, 0);
      });
    });

    describe('handshake', function () {
      // Sends `text` on a raw connection and reads the whole response; the
      // server must answer with a proper HTTP/1.1 response and close.
      async function refused(port, text) {
        const raw = await h.raw(port);
        await raw.write(text);
        const head = await raw.readHead();
        await raw.closedByPeer();
        assert.match(head.statusLine, /^HTTP\/1\.1 \d{3} \S/, 'status line: ' + JSON.stringify(head.statusLine));
        if (head.headers['content-length'] !== undefined) {
          assert.strictEqual(raw.buf.length, Number(head.headers['content-length']), 'body matches Content-Length');
        }
        return head;
      }

      it('answers POST with 405', async function () {
        const { port } = await h.echoServer();
        const head = await refused(port, upgradeRequest(port, { method: 'POST' }).text);
        assert.strictEqual(head.status, 405);
      });

      it('answers HTTP/1.0 with 505', async function () {
        const { port } = await h.echoServer();
        const head = await refused(port, upgradeRequest(port, { version: 'HTTP/1.0' }).text);
        assert.strictEqual(head.status, 505);
      });

      it('answers a plain GET (no Upgrade) with 426', async function () {
        const { port } = await h.echoServer();
        const head = await refused(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1:' + port + '\r\n\r\n');
        assert.strictEqual(head.status, 426);
      });

      it('answers a request without Host with 400', async function () {
        const { port } = await h.echoServer();
        const text = upgradeRequest(port, {
          headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', newKey()], ['Sec-WebSocket-Version', '13']]
        }).text;
        const head = await refused(port, text);
        assert.strictEqual(head.status, 400);
      });

      it('answers a Sec-WebSocket-Key that is not base64 of 16 bytes with 400', async function () {
        const { port } = await h.echoServer();
        const keys = [
          'abc',
          crypto.randomBytes(15).toString('base64'),
          crypto.randomBytes(17).toString('base64'),
          crypto.randomBytes(16).toString('base64').slice(0, 22), // no padding
          '!!!!!!!!!!!!!!!!!!!!!!==',
          ''
        ];
        for (const key of keys) {
          const text = upgradeRequest(port, {
            headers: [['Host', 'localhost'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', key], ['Sec-WebSocket-Version', '13']]
          }).text;
          const head = await refused(port, text);
          assert.strictEqual(head.status, 400, 'key ' + JSON.stringify(key));
        }
      });

      // The table of Sec-WebSocket-Version lines in test/fixtures/unit/handshake.json.
      for (const c of handshakeFx.versions) {
        const title = c.status == 101 ? 'accepts Sec-WebSocket-Version ' + c.name :
          'answers Sec-WebSocket-Version ' + c.name + ' with 426 and Sec-WebSocket-Version: 13';
        it(title, async function () {
          const { port } = await h.echoServer();
          const key = newKey();
          const text = 'GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: ' + key + '\r\n' + (c.line === null ? '' : c.line + '\r\n') + '\r\n';
          if (c.status == 101) {
            const raw = await h.raw(port);
            await raw.write(text);
            const head = await raw.readHead();
            assert.strictEqual(head.status, 101, head.statusLine);
            assert.strictEqual(head.headers['sec-websocket-accept'], acceptFor(key));
            return;
          }
          const head = await refused(port, text);
          assert.strictEqual(head.status, 426, head.statusLine);
          assert.strictEqual(head.headers['sec-websocket-version'], '13');
        });
      }

      it('answers a request head over 4096 bytes with 431', async function () {
        const { port } = await h.echoServer({ maxHeader: 4096 });
        const req = upgradeRequest(port, {
          headers: [
            ['Host', 'localhost'],
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
            ['Sec-WebSocket-Key', newKey()],
            ['Sec-WebSocket-Version', '13'],
            ['X-Padding', 'p'.repeat(4200)]
          ]
        });
        const head = await refused(port, req.text);
        assert.strictEqual(head.status, 431);
      });

      it('refuses one client without disturbing an open one', async function () {
        const { port } = await h.echoServer();
        const healthy = await h.connect(port);
        const head = await refused(port, upgradeRequest(port, { method: 'POST' }).text);
        assert.strictEqual(head.status, 405);
        await assertEcho(healthy, 'unaffected');
      });

      it('accepts a valid handshake sent one byte at a time', async function () {
        const { port, conns } = await h.echoServer();
        const raw = await h.raw(port);
        const req = upgradeRequest(port, { path: '/slow' });
        await raw.writeBytewise(req.text, 1);
        const head = await raw.readHead();
        assert.strictEqual(head.status, 101);
        assert.strictEqual(head.headers['sec-websocket-accept'], acceptFor(req.key));
        const conn = await conns.next();
        assert.strictEqual(conn.socket.request.path, '/slow');
        await raw.writeBytewise(frame(TEXT, 'hi \u00e9'), 0);
        const [m] = await conn.messages.next();
        assert.strictEqual(bytesOfText(m).toString('utf8'), 'hi \u00e9');
        const f = await raw.readFrame();
        assert.strictEqual(f.opcode, TEXT);
        assert.strictEqual(f.fin, true);
        assert.strictEqual(f.payload.toString('utf8'), 'hi \u00e9');
      });

      it('delivers a masked frame sent in the same TCP write as the handshake', async function () {
        const { port, conns } = await h.echoServer();
        const raw = await h.raw(port);
        const req = upgradeRequest(port);
        await raw.write(Buffer.concat([Buffer.from(req.text), frame(TEXT, 'early bird')]));
        const head = await raw.readHead();
        assert.strictEqual(head.status, 101);
        const conn = await conns.next();
        const [m, isBinary] = await conn.messages.next();
        assert.strictEqual(m, 'early bird');
        assert.strictEqual(isBinary, false);
        const f = await raw.readFrame();
        assert.strictEqual(f.opcode, TEXT);
        assert.strictEqual(f.payload.toString(), 'early bird');
      });

      it('answers a ping sent in the same TCP write as the handshake only after the 101 response', async function () {
        const { port, conns } = await h.echoServer();
        const raw = await h.raw(port);
        const req = upgradeRequest(port);
        await raw.write(Buffer.concat([Buffer.from(req.text), frame(PING, 'p'), frame(TEXT, 'after ping')]));
        const head = await raw.readHead();
        assert.match(head.statusLine, /^HTTP\/1\.1 101 /, 'the response comes first: ' + JSON.stringify(head.statusLine));
        assert.strictEqual(head.headers['sec-websocket-accept'], acceptFor(req.key));
        const pong = await raw.readFrame();
        assert.strictEqual(pong.opcode, PONG);
        assert.strictEqual(pong.payload.toString(), 'p');
        const echo = await raw.readFrame();
        assert.strictEqual(echo.opcode, TEXT);
        assert.strictEqual(echo.payload.toString(), 'after ping');
        const conn = await conns.next();
        const [m] = await conn.messages.next();
        assert.strictEqual(m, 'after ping');
      });

      it('accepts header names in any case and Connection: keep-alive, Upgrade', async function () {
        const { port, conns } = await h.echoServer();
        const raw = await h.raw(port);
        const key = newKey();
        const req = upgradeRequest(port, {
          path: '/odd?case=1',
          headers: [
            ['hOST', '127.0.0.1:' + port],
            ['uPGRADE', 'WebSocket'],
            ['cONNECTION', 'keep-alive, Upgrade'],
            ['sEc-WebSocket-KEY', key],
            ['SEC-WEBSOCKET-VERSION', '13'],
            ['User-Agent', 'behaviour-test']
          ]
        });
        await raw.write(req.text);
        const head = await raw.readHead();
        assert.match(head.statusLine, /^HTTP\/1\.1 101 /);
        assert.strictEqual(head.status, 101);
        assert.strictEqual(head.headers['upgrade'].toLowerCase(), 'websocket');
        assert.ok(/(^|,)\s*upgrade\s*(,|$)/i.test(head.headers['connection']), 'Connection: Upgrade');
        assert.strictEqual(head.headers['sec-websocket-accept'], acceptFor(key));
        const conn = await conns.next();
        assert.strictEqual(conn.socket.request.path, '/odd?case=1');
        assert.strictEqual(conn.socket.request.headers['user-agent'], 'behaviour-test');
        await raw.write(frame(TEXT, 'works'));
        const f = await raw.readFrame();
        assert.strictEqual(f.payload.toString(), 'works');
      });

      it('answers the RFC 6455 section 1.3 example key dGhlIHNhbXBsZSBub25jZQ== with s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', async function () {
        const { port } = await h.echoServer();
        const raw = await h.raw(port);
        await raw.write(upgradeRequest(port, { key: 'dGhlIHNhbXBsZSBub25jZQ==' }).text);
        const head = await raw.readHead();
        assert.strictEqual(head.status, 101);
        assert.strictEqual(head.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      });

      it('answers each key of the fixture with its Sec-WebSocket-Accept, and random keys with base64(SHA-1(key + GUID))', async function () {
        // Every connection stays open: room for all of them.
        const { port } = await h.echoServer({ maxConnections: 16 });
        const vectors = handshakeFx.acceptVectors.concat([newKey(), newKey()].map((key) => ({ key, accept: acceptFor(key) })));
        for (const v of vectors) {
          const raw = await h.raw(port);
          await raw.write(upgradeRequest(port, { key: v.key }).text);
          const head = await raw.readHead();
          assert.strictEqual(head.status, 101, v.key);
          assert.strictEqual(head.headers['sec-websocket-accept'], v.accept, v.key);
        }
      });
    });

    describe('message conversion', function () {
      it('receiveType application/json delivers parsed values', async function () {
        const { port, conns } = await h.startServer({ receiveType: 'application/json' });
        const client = await h.connect(port);
        const conn = await conns.next();
        const values = [{ a: 1, b: [true, null], c: 'x' }, [1, 2, 3], 'str', 3.5, null, false];
        for (const v of values) client.send(JSON.stringify(v));
        for (const v of values) {
          const [m, isBinary] = await conn.messages.next();
          assert.strictEqual(isBinary, false);
          assert.deepStrictEqual(m, v);
        }
      });

      it('receiveType application/json delivers invalid JSON as the string', async function () {
        const { port, conns } = await h.startServer({ receiveType: 'application/json' });
        const client = await h.connect(port);
        const conn = await conns.next();
        client.send('not {json');
        client.send('');
        const [m, isBinary] = await conn.messages.next();
        assert.strictEqual(m, 'not {json');
        assert.strictEqual(isBinary, false);
        const [empty] = await conn.messages.next();
        assert.strictEqual(empty, '');
      });

      it('sendType application/json sends JSON.stringify output as a text frame', async function () {
        const { port, conns } = await h.startServer({ sendType: 'application/json' });
        const client = await h.connect(port);
        const conn = await conns.next();
        const values = [{ a: 1, b: 'two', c: [null, true] }, 'hi', 42, [1, 'x']];
        for (const v of values) conn.socket.send(v);
        for (const v of values) {
          const [data, isBinary] = await client.messages.next();
          assert.strictEqual(isBinary, false, 'text frame for ' + JSON.stringify(v));
          assert.strictEqual(data.toString('utf8'), JSON.stringify(v));
        }
      });

      it('receiveType text/plain delivers strings, unparsed', async function () {
        const { port, conns } = await h.startServer({ receiveType: 'text/plain' });
        const client = await h.connect(port);
        const conn = await conns.next();
        client.send('{"a":1}');
        client.send('42');
        const [m1, b1] = await conn.messages.next();
        const [m2] = await conn.messages.next();
        assert.strictEqual(m1, '{"a":1}');
        assert.strictEqual(b1, false);
        assert.strictEqual(m2, '42');
      });

      it('sendType text/plain sends String(value) as a text frame', async function () {
        const { port, conns } = await h.startServer({ sendType: 'text/plain' });
        const client = await h.connect(port);
        const conn = await conns.next();
        conn.socket.send('plain');
        conn.socket.send(42);
        const [d1, b1] = await client.messages.next();
        const [d2, b2] = await client.messages.next();
        assert.strictEqual(b1, false);
        assert.strictEqual(d1.toString(), 'plain');
        assert.strictEqual(b2, false);
        assert.strictEqual(d2.toString(), '42');
      });

      it('another text/* type converts as text/plain, both ways; with no type given, as application/json', async function () {
        for (const [options, received, sent] of [
          [{ receiveType: 'text/csv', sendType: 'text/html' }, '{"a":1}', '[object Object]'],
          [{}, { a: 1 }, '{"b":2}']
        ]) {
          const { port, conns } = await h.startServer(options);
          const client = await h.connect(port);
          const conn = await conns.next();
          client.send('{"a":1}');
          const [m, isBinary] = await conn.messages.next();
          assert.strictEqual(isBinary, false);
          assert.deepStrictEqual(m, received, JSON.stringify(options));
          conn.socket.send({ b: 2 });
          const [data, binary] = await client.messages.next();
          assert.strictEqual(binary, false);
          assert.strictEqual(data.toString(), sent, JSON.stringify(options));
        }
      });

      it('receiveType application/octet-stream delivers text frames as Uint8Array (isBinary false)', async function () {
        const { port, conns } = await h.startServer({ receiveType: 'application/octet-stream' });
        const client = await h.connect(port);
        const conn = await conns.next();
        client.send('abc');
        const [m, isBinary] = await conn.messages.next();
        assert.strictEqual(isBinary, false);
        assert.deepStrictEqual([...bytes(m)], [97, 98, 99]);
      });

      it('binary frames arrive as Uint8Array with isBinary true, whatever the receiveType', async function () {
        for (const type of TYPES) {
          const { port, conns } = await h.startServer({ receiveType: type });
          const client = await h.connect(port);
          const conn = await conns.next();
          // Bytes that are also valid JSON text: still delivered as bytes.
          const payload = Buffer.from('{"a":1}');
          client.send(payload, { binary: true });
          const [m, isBinary] = await conn.messages.next();
          assert.strictEqual(isBinary, true, type);
          assert.ok(bytes(m).equals(payload), type);
        }
      });

      it('Uint8Array, ArrayBuffer and other binary data always go out as binary frames', async function () {
        for (const type of TYPES) {
          const { port, conns } = await h.startServer({ sendType: type });
          const client = await h.connect(port);
          const conn = await conns.next();
          const u8 = new Uint8Array([0, 1, 2, 250, 255]);
          const ab = new Uint8Array([9, 8, 7]).buffer;
          const view = new Uint8Array([10, 11, 12, 13, 14, 15]).subarray(2, 5);
          const u16 = new Uint16Array([0x0102, 0x0304]);
          conn.socket.send(u8);
          conn.socket.send(ab);
          conn.socket.send(view);
          conn.socket.send(u16);
          const expected = [[0, 1, 2, 250, 255], [9, 8, 7], [12, 13, 14], [...new Uint8Array(u16.buffer)]];
          for (const e of expected) {
            const [data, isBinary] = await client.messages.next();
            assert.strictEqual(isBinary, true, type);
            assert.deepStrictEqual([...data], e, type);
          }
        }
      });

      it("send('x', {binary: true}) goes out as a binary frame", async function () {
        const { port, conns } = await h.startServer({ sendType: 'text/plain' });
        const client = await h.connect(port);
        const conn = await conns.next();
        conn.socket.send('x', { binary: true });
        const [data, isBinary] = await client.messages.next();
        assert.strictEqual(isBinary, true);
        assert.deepStrictEqual([...data], [0x78]);
      });

      it('sendType application/octet-stream sends a string as a binary frame of its bytes', async function () {
        const { port, conns } = await h.startServer({ sendType: 'application/octet-stream' });
        const client = await h.connect(port);
        const conn = await conns.next();
        conn.socket.send('abc');
        const [data, isBinary] = await client.messages.next();
        assert.strictEqual(isBinary, true);
        assert.strictEqual(data.toString(), 'abc');
      });

      it('supportedReceiveTypes() and supportedSendTypes() include the three types', function () {
        const mod = h.mod;
        for (const fn of ['supportedReceiveTypes', 'supportedSendTypes']) {
          const list = mod[fn]();
          assert.ok(Array.isArray(list), fn);
          for (const t of TYPES) assert.ok(list.indexOf(t) >= 0, fn + ' lacks ' + t);
        }
      });

      it('an unsupported receiveType or sendType makes the constructor throw a TypeError naming it', function () {
        const mod = h.mod;
        // The message names the option and its value, so that the mistake can be found.
        const unsupported = (option, type) => (e) => e instanceof TypeError &&
          e.message.indexOf('option ' + option + ' ') == 0 && e.message.indexOf('"' + type + '"') > 0;
        assert.throws(() => new mod.Server(h.options({ receiveType: 'image/png' }, 0)), unsupported('receiveType', 'image/png'));
        assert.throws(() => new mod.Server(h.options({ sendType: 'audio/ogg' }, 0)), unsupported('sendType', 'audio/ogg'));
        assert.doesNotThrow(() => new mod.Server(h.options({ receiveType: 'text/csv', sendType: 'application/octet-stream' }, 0)));
      });
    });

    describe('server lifecycle', function () {
      it('stop() closes every client with 1001 and stops listening', async function () {
        const { server, port, conns } = await h.echoServer();
        const a = await h.connect(port);
        const b = await h.connect(port);
        const ca = await conns.next();
        const cb = await conns.next();
        server.stop();
        const [codeA] = await a.closes.next();
        const [codeB] = await b.closes.next();
        assert.strictEqual(codeA, 1001);
        assert.strictEqual(codeB, 1001);
        const [sa] = await ca.closes.next();
        const [sb] = await cb.closes.next();
        assert.strictEqual(sa, 1001);
        assert.strictEqual(sb, 1001);
        // A new connection is refused.
        const sock = net.connect(port, '127.0.0.1');
        const outcome = await new Promise((resolve) => {
          sock.on('error', (e) => resolve('error ' + e.code));
          sock.on('connect', () => resolve('connected'));
        });
        sock.destroy();
        assert.strictEqual(outcome, 'error ECONNREFUSED');
      });

      it("'listening' reports the real port", async function () {
        const { port, requestedPort } = await h.echoServer();
        assert.strictEqual(typeof port, 'number');
        assert.ok(port > 0 && port < 65536, 'port ' + port);
        if (target.pickPort) assert.strictEqual(port, requestedPort);
        else assert.strictEqual(requestedPort, 0);
        const client = await h.connect(port);
        await assertEcho(client, 'on the reported port');
      });

      it("a throwing 'message' listener: 'error' with the exception, later messages and other clients unaffected", async function () {
        const thrown = [];
        const { port, conns } = await h.startServer(
          { receiveType: 'text/plain', sendType: 'text/plain' },
          {
            onSocket(socket) {
              socket.on('message', (m) => {
                if (m === 'boom') {
                  const e = new Error('listener exploded');
                  thrown.push(e);
                  throw e;
                }
                socket.send(m);
              });
            }
          }
        );
        const client = await h.connect(port);
        const conn = await conns.next();
        const other = await h.connect(port);
        const otherConn = await conns.next();
        client.send('boom');
        client.send('after');
        const [data] = await client.messages.next();
        assert.strictEqual(data.toString(), 'after');
        assert.strictEqual(thrown.length, 1);
        const [err] = await conn.errors.next();
        assert.strictEqual(err, thrown[0]);
        assert.strictEqual(conn.socket.isOpen(), true);
        await assertEcho(other, 'other is fine');
        assert.strictEqual(otherConn.errors.items.length, 0);
      });

      it("'open' reaches a listener attached in 'connection'; isOpen() and request", async function () {
        const seen = [];
        const { port, conns } = await h.startServer(
          {},
          {
            onSocket(socket) {
              seen.push('connection ' + socket.isOpen());
              socket.on('open', () => seen.push('open ' + socket.isOpen()));
              socket.on('close', () => seen.push('close ' + socket.isOpen()));
            }
          }
        );
        const client = await h.connect(port, '/some/path?x=1');
        const conn = await conns.next();
        await conn.opens.next();
        assert.deepStrictEqual(seen.slice(-1), ['open true']);
        const req = conn.socket.request;
        assert.strictEqual(req.path, '/some/path?x=1');
        assert.strictEqual(req.method, 'GET');
        assert.strictEqual(req.headers['host'], '127.0.0.1:' + port);
        // The headers only the handshake needs are not kept.
        for (const name of ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']) {
          assert.strictEqual(req.headers[name], undefined, name);
        }
        client.close();
        await conn.closes.next();
        assert.strictEqual(seen[seen.length - 1], 'close false');
        assert.strictEqual(conn.socket.isOpen(), false);
        assert.strictEqual(conn.socket.send('late'), false, 'send() after close returns false');
      });

      for (const b of browserHeads) {
        it("keeps in socket.request the headers of a " + b.name + " handshake that mean something to the application, and none of the others", async function () {
          const { port, conns } = await h.startServer({}, {});
          const request = browserRequest(b, port);
          const raw = await h.raw(port);
          await raw.write(request.text);
          const head = await raw.readHead();
          assert.strictEqual(head.status, 101);
          const conn = await conns.next();
          // Only the application's headers stay: those the handshake needs, and
          // those about caching and content negotiation (a WebSocket has no
          // body to cache or encode) or fixed for every WebSocket request, are
          // let go, as on a board each costs memory for the connection's life.
          assert.deepStrictEqual(Object.assign({}, conn.socket.request.headers), request.kept);
          raw.destroy();
        });
      }

      it('survives a client that vanishes mid-frame: close 1006, other clients keep working', async function () {
        const { port, conns } = await h.echoServer();
        const healthy = await h.connect(port);
        await conns.next();
        const raw = await h.rawHandshake(port);
        const conn = await conns.next();
        const whole = frame(BINARY, crypto.randomBytes(200));
        await raw.write(whole.subarray(0, 2 + 4 + 100));
        await delay(20);
        raw.destroy();
        const [code] = await conn.closes.next();
        assert.strictEqual(code, 1006);
        assert.strictEqual(conn.messages.items.length, 0);
        assert.strictEqual(conn.socket.isOpen(), false);
        await assertEcho(healthy, 'still here');
        const again = await h.connect(port);
        await assertEcho(again, 'new client too');
      });

      it('survives a client that vanishes mid-handshake', async function () {
        const { port } = await h.echoServer();
        const healthy = await h.connect(port);
        const raw = await h.raw(port);
        await raw.write(upgradeRequest(port).text.slice(0, 40));
        await delay(20);
        raw.destroy();
        await delay(20);
        await assertEcho(healthy, 'unbothered');
      });
    });

    describe('control frames on a raw connection', function () {
      it('answers a ping with a pong of the same payload and closes with the echoed code', async function () {
        const { port, conns } = await h.echoServer();
        const raw = await h.rawHandshake(port);
        const conn = await conns.next();
        await raw.write(frame(PING, 'raw ping'));
        const p = await raw.readFrame();
        assert.strictEqual(p.opcode, PONG);
        assert.strictEqual(p.fin, true);
        assert.strictEqual(p.payload.toString(), 'raw ping');
        const close = Buffer.concat([Buffer.from([0x0f, 0xa5]), Buffer.from('done')]); // 4005
        await raw.write(frame(CLOSE, close));
        const c = await raw.readFrame();
        assert.strictEqual(closeCodeOf(c), 4005);
        await raw.closedByPeer();
        const [code, reason] = await conn.closes.next();
        assert.strictEqual(code, 4005);
        assert.strictEqual(reason, 'done');
      });
    });
  });
}

// A received text message as bytes: on hosts whose strings are UTF-16 the
// string is UTF-8 encoded; on hosts whose strings are bytes it is taken as is.
function bytesOfText(s) {
  assert.strictEqual(typeof s, 'string');
  return /[^\x00-\xff]/.test(s) || !/[\x80-\xff]/.test(s) ? Buffer.from(s, 'utf8') : looksLikeUtf8Bytes(s);
}

function looksLikeUtf8Bytes(s) {
  const b = Buffer.from(s, 'latin1');
  // Byte strings (Espruino) hold UTF-8 bytes; decoded strings with only
  // Latin-1 characters do not round-trip as UTF-8.
  return b.toString('utf8') !== s && Buffer.from(b.toString('utf8'), 'utf8').equals(b) ? b : Buffer.from(s, 'utf8');
}
