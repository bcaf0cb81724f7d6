// Server frames (RFC 6455 section 5.2): frame-header.ts on its own, and the
// outbox (fragmentation, control frames between fragments, budgets) through
// Connection.
'use strict';
const assert = require('assert');
const h = require('./helpers');

const fx = h.fixture('frame-writer');
const fw = h.load('outgoing/frame-header');
const protocol = h.load('protocol');

const hexOf = (u8) => Buffer.from(u8).toString('hex');

describe('frame writer', function () {
  describe('frame-header.ts', function () {
    it('opcode constants (protocol.ts)', function () {
      for (const name of Object.keys(fx.opcodes)) assert.strictEqual(protocol[name], fx.opcodes[name], name);
    });

    for (const c of fx.headers) {
      it('frameHeader(' + c.fin + ', ' + c.opcode + ', ' + c.length + ') = ' + c.hex, function () {
        const head = fw.frameHeader(c.fin, c.opcode, c.length);
        assert.ok(head instanceof Uint8Array);
        assert.strictEqual(hexOf(head), c.hex);
      });
    }

    it('frameHeader sets FIN and the opcode, never RSV or MASK', function () {
      for (const fin of [true, false]) {
        for (const op of [0, 1, 2, 8, 9, 10]) {
          for (const len of [0, 5, 125, 126, 65535, 65536]) {
            const b = fw.frameHeader(fin, op, len);
            assert.strictEqual(b[0], (fin ? 0x80 : 0) | op, 'first byte');
            assert.strictEqual(b[1] & 0x80, 0, 'no MASK bit');
            const f = h.parseFrames(Buffer.concat([Buffer.from(b), Buffer.alloc(len)]));
            assert.strictEqual(f.length, 1);
            assert.strictEqual(f[0].length, len);
            assert.strictEqual(f[0].fin, fin);
            assert.strictEqual(f[0].opcode, op);
            assert.strictEqual(f[0].rsv, 0);
          }
        }
      }
    });

    it('frameHeader uses the shortest length form', function () {
      assert.strictEqual(fw.frameHeader(true, 2, 125).length, 2);
      assert.strictEqual(fw.frameHeader(true, 2, 126).length, 4);
      assert.strictEqual(fw.frameHeader(true, 2, 65535).length, 4);
      assert.strictEqual(fw.frameHeader(true, 2, 65536).length, 10);
    });

    for (const c of fx.rfcFrames) {
      it('RFC 6455 5.7: ' + c.name, function () {
        const p = h.hex(c.payloadHex);
        assert.strictEqual(hexOf(fw.frameHeader(c.fin, c.opcode, p.length)) + c.payloadHex, c.hex);
      });
    }

    for (const c of fx.controlFrames) {
      it('a control frame through the connection: ' + c.name, function () {
        const t = h.openConn();
        const p = h.hex(c.payloadHex);
        // Our ping; the pong that answers a client's ping; our close.
        if (c.opcode == protocol.PING) t.conn._ping(p);
        else if (c.opcode == protocol.PONG) t.receive(h.ping(p));
        else t.conn._close(p.readUInt16BE(0), p.subarray(2));
        assert.strictEqual(t.drain().toString('hex'), c.hex);
      });
    }

    it('a ping with a 125-byte payload', function () {
      const t = h.openConn();
      const p = h.pattern(125, 1);
      t.conn._ping(p);
      const f = t.drain();
      assert.strictEqual(hexOf(f.subarray(0, 2)), '897d');
      assert.ok(Buffer.from(f.subarray(2)).equals(p));
    });

    for (const c of fx.closePayloads) {
      it('closePayload(' + c.code + ', ' + JSON.stringify(h.hex(c.reasonHex).toString()) + ') = ' + c.hex, function () {
        assert.strictEqual(hexOf(fw.closePayload(c.code, h.hex(c.reasonHex))), c.hex);
      });
    }
  });

  describe('messages through Connection', function () {
    it('_send queues a text frame and a binary frame', function () {
      const t = h.openConn();
      assert.strictEqual(t.conn._send(h.bytes('Hello'), false), true);
      assert.strictEqual(t.conn._send(new Uint8Array([1, 2, 3]), true), true);
      assert.strictEqual(t.conn._out._buffered, 8, 'queued');
      const out = t.drain();
      assert.strictEqual(out.subarray(0, 7).toString('hex'), '810548656c6c6f', 'RFC 6455 5.7 unmasked Hello');
      const f = h.parseFrames(out);
      assert.deepStrictEqual(f.map((x) => [x.fin, x.opcode, x.payload.toString('hex')]), [[true, 1, '48656c6c6f'], [true, 2, '010203']]);
      assert.ok(t.conn._out._empty());
    });

    for (const len of [0, 125, 126, 65535, 65536, 70000]) {
      it('a ' + len + '-byte message goes out in one frame with fragment = 0', function () {
        const t = h.openConn();
        const p = h.pattern(len, len);
        t.conn._send(p, true);
        const f = t.frames();
        assert.strictEqual(f.length, 1);
        assert.strictEqual(f[0].headerLength, len < 126 ? 2 : len < 65536 ? 4 : 10);
        assert.ok(f[0].fin);
        assert.ok(f[0].payload.equals(p));
      });
    }

    it('_buffered counts queued message bytes and returns to 0 when flushed', function () {
      const t = h.openConn();
      assert.strictEqual(t.conn._out._buffered, 0);
      t.conn._send(h.pattern(1000, 1), true);
      t.conn._send(h.pattern(500, 1), false);
      assert.strictEqual(t.conn._out._buffered, 1500);
      t.conn._out._flush(4 + 300, () => {});
      assert.strictEqual(t.conn._out._buffered, 1200);
      t.drain();
      assert.strictEqual(t.conn._out._buffered, 0);
    });

    it('a pong is queued for a ping, with the same payload', function () {
      const t = h.openConn();
      t.receive(h.ping(h.hex('00ff01fe')));
      const f = t.frames();
      assert.deepStrictEqual(f.map((x) => [x.fin, x.opcode, x.payload.toString('hex')]), [[true, 10, '00ff01fe']]);
    });

    it('_ping queues a ping frame', function () {
      const t = h.openConn();
      assert.strictEqual(t.conn._ping(h.bytes('are you there')), true);
      const f = t.frames();
      assert.deepStrictEqual(f.map((x) => [x.opcode, x.payload.toString()]), [[9, 'are you there']]);
    });
  });

  describe('outbox fragmentation', function () {
    it('with fragment = 100 a 250-byte message goes out as 3 frames', function () {
      const t = h.openConn({ limits: { fragment: 100 } });
      const p = h.pattern(250, 3);
      t.conn._send(p, false);
      const f = t.frames();
      assert.deepStrictEqual(f.map((x) => [x.fin, x.opcode, x.length]), [[false, 1, 100], [false, 0, 100], [true, 0, 50]]);
      assert.ok(Buffer.concat(f.map((x) => x.payload)).equals(p));
    });

    it('with fragment = 100 a binary message of exactly 200 bytes is 2 frames, of 100 bytes 1 frame', function () {
      const t = h.openConn({ limits: { fragment: 100 } });
      t.conn._send(h.pattern(200, 1), true);
      t.conn._send(h.pattern(100, 1), true);
      t.conn._send(new Uint8Array(0), true);
      assert.deepStrictEqual(t.frames().map((x) => [x.fin, x.opcode, x.length]),
        [[false, 2, 100], [true, 0, 100], [true, 2, 100], [true, 2, 0]]);
    });

    it('a close frame is never fragmented', function () {
      const t = h.openConn({ limits: { fragment: 4 } });
      t.conn._close(1000, h.bytes('a fairly long reason'));
      const f = t.frames();
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].opcode, 8);
      assert.ok(f[0].fin);
      assert.strictEqual(f[0].reason, 'a fairly long reason');
    });

    it('a ping queued while a fragmented message is being flushed goes out between fragments, never inside a frame', function () {
      const p = h.pattern(250, 5);
      // Queue the ping after each possible amount of flushing, in steps of 7 bytes.
      const total = 3 * 2 + 250; // three 2-byte headers
      for (let flushed = 0; flushed <= total; flushed += 7) {
        const t = h.openConn({ limits: { fragment: 100 } });
        t.conn._send(p, false);
        const pieces = [];
        const write = (d, s, e) => pieces.push(Buffer.from(d.subarray(s, e)));
        let done = 0;
        while (done < flushed) {
          const n = t.conn._out._flush(7, write);
          if (!n) break;
          done += n;
        }
        assert.strictEqual(t.conn._ping(h.bytes('PING')), true);
        for (;;) if (!t.conn._out._flush(7, write)) break;
        const f = h.parseFrames(Buffer.concat(pieces));
        const data = f.filter((x) => x.opcode != 9);
        const pings = f.filter((x) => x.opcode == 9);
        assert.strictEqual(pings.length, 1, 'one ping (after ' + flushed + ' bytes)');
        assert.strictEqual(pings[0].payload.toString(), 'PING');
        assert.deepStrictEqual(data.map((x) => [x.fin, x.opcode, x.length]), [[false, 1, 100], [false, 0, 100], [true, 0, 50]],
          'the data frames are intact (ping after ' + flushed + ' bytes)');
        assert.ok(Buffer.concat(data.map((x) => x.payload)).equals(p));
        // The ping goes at the first frame boundary at or after the point it was queued.
        const boundaries = [0, 102, 204, 256];
        assert.strictEqual(pings[0].offset, boundaries.find((b) => b >= flushed), 'ping at the next boundary after ' + flushed);
      }
    });

    it('a pong for a ping received while a fragmented message is being flushed goes out between fragments', function () {
      const t = h.openConn({ limits: { fragment: 100 } });
      t.conn._send(h.pattern(300, 6), true);
      const pieces = [];
      t.conn._out._flush(50, (d, s, e) => pieces.push(Buffer.from(d.subarray(s, e))));
      t.receive(h.ping('pp'));
      for (;;) if (!t.conn._out._flush(13, (d, s, e) => pieces.push(Buffer.from(d.subarray(s, e))))) break;
      const f = h.parseFrames(Buffer.concat(pieces));
      assert.deepStrictEqual(f.map((x) => [x.fin, x.opcode, x.length]), [[false, 2, 100], [true, 10, 2], [false, 0, 100], [true, 0, 100]]);
    });

    function scenario(t) {
      t.conn._send(h.bytes('first'), false);
      t.conn._send(h.pattern(250, 8), true);
      t.conn._ping(h.bytes('ping!'));
      t.conn._send(h.pattern(70000, 9), true);
      t.conn._send(h.bytes('ünïcödé'), false);
      t.conn._close(1000, h.bytes('bye'));
    }

    for (const fragment of [0, 100]) {
      it('flushing with a budget of 1 byte gives the same stream as one big flush (fragment = ' + fragment + ')', function () {
        const a = h.openConn({ limits: { fragment } });
        const b = h.openConn({ limits: { fragment } });
        scenario(a);
        scenario(b);
        const big = a.drain();
        const pieces = [];
        let calls = 0;
        for (;;) {
          const n = b.conn._out._flush(1, (d, s, e) => {
            const x = d.subarray(s, e);
            assert.strictEqual(x.length, 1, 'one byte per write');
            pieces.push(Buffer.from(x));
          });
          if (!n) break;
          assert.strictEqual(n, 1);
          calls++;
        }
        assert.strictEqual(calls, big.length);
        assert.ok(Buffer.concat(pieces).equals(big), 'same bytes');
        assert.ok(b.conn._out._empty());
        // And the stream is well formed.
        const f = h.parseFrames(big);
        assert.strictEqual(f[f.length - 1].opcode, 8);
      });
    }

    it('flushing with odd budgets gives the same stream too', function () {
      const a = h.openConn({ limits: { fragment: 100 } });
      scenario(a);
      const big = a.drain();
      for (const budget of [2, 3, 5, 9, 101, 104, 4096]) {
        const b = h.openConn({ limits: { fragment: 100 } });
        scenario(b);
        assert.ok(b.drain(budget).equals(big), 'budget ' + budget);
      }
    });

    it('the close frame goes after all queued messages', function () {
      const t = h.openConn({ limits: { fragment: 100 } });
      t.conn._send(h.bytes('one'), false);
      t.conn._send(h.pattern(250, 1), true);
      t.conn._send(h.bytes('three'), false);
      t.conn._close(1001, h.bytes('going away'));
      assert.strictEqual(t.conn._state, 2, 'CLOSING');
      assert.strictEqual(t.conn._send(h.bytes('too late'), false), false, 'no message after close');
      assert.strictEqual(t.conn._ping(h.bytes('late')), false, 'no ping after close');
      const f = t.frames();
      assert.deepStrictEqual(f.map((x) => [x.fin, x.opcode]), [[true, 1], [false, 2], [false, 0], [true, 0], [true, 1], [true, 8]]);
      assert.strictEqual(f[5].code, 1001);
      assert.strictEqual(f[5].reason, 'going away');
      assert.ok(t.conn._out._empty());
    });

    it('the close frame goes after a message already half flushed', function () {
      const t = h.openConn({ limits: { fragment: 100 } });
      const p = h.pattern(250, 2);
      t.conn._send(p, true);
      const pieces = [];
      t.conn._out._flush(120, (d, s, e) => pieces.push(Buffer.from(d.subarray(s, e))));
      t.conn._close(1000, new Uint8Array(0));
      for (;;) if (!t.conn._out._flush(50, (d, s, e) => pieces.push(Buffer.from(d.subarray(s, e))))) break;
      const f = h.parseFrames(Buffer.concat(pieces));
      assert.deepStrictEqual(f.map((x) => x.opcode), [2, 0, 0, 8]);
      assert.ok(Buffer.concat(f.slice(0, 3).map((x) => x.payload)).equals(p));
    });

    it('_empty reports pending output', function () {
      const t = h.openConn();
      assert.ok(t.conn._out._empty());
      t.conn._send(h.bytes('x'), false);
      assert.ok(!t.conn._out._empty());
      t.conn._out._flush(1, () => {});
      assert.ok(!t.conn._out._empty(), 'frame only partly written');
      t.drain();
      assert.ok(t.conn._out._empty());
      t.conn._ping(new Uint8Array(0));
      assert.ok(!t.conn._out._empty(), 'a queued ping is pending output');
    });
  });
});
