// Connection states and the closing handshake (RFC 6455 sections 5.5.1, 7).
'use strict';
const assert = require('assert');
const h = require('./helpers');

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

describe('connection', function () {
  it('exports the state constants', function () {
    const c = h.load('record');
    assert.deepStrictEqual([c.CONNECTING, c.OPEN, c.CLOSING, c.CLOSED], [0, 1, 2, 3]);
  });

  it('starts CONNECTING with no close code', function () {
    const t = h.makeConn();
    assert.strictEqual(t.conn._state, CONNECTING);
    assert.strictEqual(t.conn._closeCode, undefined);
    assert.strictEqual(t.conn._closeReason, undefined);
    assert.ok(t.conn._out._empty());
  });

  describe('peer-initiated close', function () {
    it('echoes the code; state CLOSED, _code and _reason set', function () {
      const t = h.openConn();
      t.receive(h.close(1000, 'normal bye'));
      assert.strictEqual(t.conn._state, CLOSED);
      assert.strictEqual(t.conn._closeCode, 1000);
      assert.strictEqual(t.conn._closeReason, 'normal bye');
      assert.strictEqual(t.errors().length, 0);
      const f = t.frames();
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].opcode, 8);
      assert.ok(f[0].fin);
      assert.strictEqual(f[0].code, 1000);
      assert.ok(t.conn._out._empty());
    });

    it('echoes an application code (4000) and decodes a UTF-8 reason', function () {
      const t = h.openConn();
      t.receive(h.close(4000, 'ciao 👋'));
      assert.strictEqual(t.conn._closeCode, 4000);
      assert.strictEqual(t.conn._closeReason, 'ciao 👋');
      assert.strictEqual(t.frames()[0].code, 4000);
    });

    it('a close frame with a 123-byte reason is accepted', function () {
      const t = h.openConn();
      const reason = 'r'.repeat(123);
      t.receive(h.close(1001, reason));
      assert.strictEqual(t.conn._closeReason, reason);
      assert.strictEqual(t.conn._closeCode, 1001);
    });

    it('a close split at every byte gives the same result', function () {
      const f = h.close(1000, 'split');
      for (const [a, b, k] of h.splits(f)) {
        const t = h.openConn();
        t.receive(a);
        assert.strictEqual(t.conn._state, OPEN, 'still open at ' + k);
        t.receive(b);
        assert.strictEqual(t.conn._state, CLOSED, 'split at ' + k);
        assert.strictEqual(t.conn._closeReason, 'split');
        assert.strictEqual(t.frames()[0].code, 1000);
      }
    });

    it('an empty close payload: we reply with an empty close, _code 1005', function () {
      const t = h.openConn();
      t.receive(h.close());
      assert.strictEqual(t.conn._state, CLOSED);
      assert.strictEqual(t.conn._closeCode, 1005);
      assert.strictEqual(t.conn._closeReason, '');
      const out = t.drain();
      assert.strictEqual(out.toString('hex'), '8800', 'an empty close frame');
    });

    it('the echo goes after messages already queued', function () {
      const t = h.openConn();
      t.conn._send(h.bytes('pending'), false);
      t.receive(h.close(1000));
      assert.deepStrictEqual(t.frames().map((f) => f.opcode), [1, 8]);
    });

    it('after the close nothing is sent or read', function () {
      const t = h.openConn();
      t.receive(h.close(1000));
      t.drain();
      assert.strictEqual(t.conn._send(h.bytes('x'), false), false);
      assert.strictEqual(t.conn._ping(h.bytes('x')), false);
      t.conn._close(1000, new Uint8Array(0));
      t.receive(h.text('late'));
      t.receive(h.ping('late'));
      assert.strictEqual(t.messages().length, 0);
      assert.strictEqual(t.drain().length, 0);
      assert.strictEqual(t.conn._state, CLOSED);
      assert.strictEqual(t.conn._closeCode, 1000);
    });
  });

  describe('server-initiated close', function () {
    it('_close: CLOSING, close frame sent; the peer\'s close: CLOSED, no second close', function () {
      const t = h.openConn();
      t.conn._close(1000, h.bytes('done'));
      assert.strictEqual(t.conn._state, CLOSING);
      const f = t.frames();
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].opcode, 8);
      assert.strictEqual(f[0].code, 1000);
      assert.strictEqual(f[0].reason, 'done');
      assert.strictEqual(t.conn._send(h.bytes('x'), false), false, 'no data after our close');
      t.receive(h.close(1000, 'ok'));
      assert.strictEqual(t.conn._state, CLOSED);
      assert.strictEqual(t.conn._closeCode, 1000);
      assert.strictEqual(t.conn._closeReason, 'ok');
      assert.strictEqual(t.drain().length, 0, 'the peer\'s close is not echoed');
      assert.strictEqual(t.errors().length, 0);
    });

    it('the peer may answer with a different code or an empty close', function () {
      const a = h.openConn();
      a.conn._close(4001, new Uint8Array(0));
      a.drain();
      a.receive(h.close(1001));
      assert.strictEqual(a.conn._state, CLOSED);
      assert.strictEqual(a.conn._closeCode, 1001);
      const b = h.openConn();
      b.conn._close(1000, new Uint8Array(0));
      b.drain();
      b.receive(h.close());
      assert.strictEqual(b.conn._state, CLOSED);
      assert.strictEqual(b.conn._closeCode, 1005);
      assert.strictEqual(b.drain().length, 0);
    });

    it('a second _close does nothing', function () {
      const t = h.openConn();
      t.conn._close(1000, new Uint8Array(0));
      t.conn._close(3000, new Uint8Array(0));
      const f = t.frames();
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].code, 1000);
      assert.strictEqual(t.conn._state, CLOSING);
    });

    it('_close(1005) sends an empty close frame', function () {
      const t = h.openConn();
      t.conn._close(1005, new Uint8Array(0));
      assert.strictEqual(t.drain().toString('hex'), '8800');
    });

    it('a protocol error while CLOSING: CLOSED with the error code, no second close frame', function () {
      const t = h.openConn();
      t.conn._close(1000, new Uint8Array(0));
      t.drain();
      t.receive(h.text('x', { masked: false }));
      assert.strictEqual(t.conn._state, CLOSED);
      assert.deepStrictEqual(t.errors().map((e) => e.code), [1002]);
      assert.strictEqual(t.conn._closeCode, 1002);
      assert.strictEqual(t.drain().length, 0);
    });
  });

  describe('protocol errors', function () {
    it('report the code and a message, set _code/_reason, and queue a close with that code', function () {
      const t = h.openConn();
      t.receive(h.text('x', { rsv: 4 }));
      const e = t.errors();
      assert.strictEqual(e.length, 1);
      assert.strictEqual(e[0].code, 1002);
      assert.ok(typeof e[0].message == 'string' && e[0].message.length > 0);
      assert.strictEqual(t.conn._state, CLOSED);
      assert.strictEqual(t.conn._closeCode, 1002);
      assert.strictEqual(t.conn._closeReason, e[0].message);
      const f = t.frames();
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].code, 1002);
    });
  });

  describe('ping and pong', function () {
    it('_ping then the peer\'s pong gives a _pong event', function () {
      const t = h.openConn();
      t.conn._ping(h.bytes('token'));
      assert.strictEqual(t.frames()[0].opcode, 9);
      t.receive(h.pong('token'));
      assert.deepStrictEqual(t.of('pong').map((p) => p.data.toString()), ['token']);
    });

    it('an unsolicited pong is reported and not answered', function () {
      const t = h.openConn();
      t.receive(h.pong(''));
      assert.strictEqual(t.of('pong').length, 1);
      assert.strictEqual(t.drain().length, 0);
    });

    it('a 125-byte ping is answered with a 125-byte pong', function () {
      const t = h.openConn();
      const p = h.pattern(125, 3);
      t.receive(h.ping(p));
      const f = t.frames();
      assert.strictEqual(f[0].opcode, 10);
      assert.ok(f[0].payload.equals(p));
    });

    it('every ping of a burst is answered, in order, though none was flushed between them', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.ping('1'), h.ping('2'), h.ping('3')]));
      assert.deepStrictEqual(t.frames().map((f) => [f.opcode, f.payload.toString()]), [[10, '1'], [10, '2'], [10, '3']]);
    });

    it('each ping is answered when its pong went out before the next ping came', function () {
      const t = h.openConn();
      const pongs = [];
      for (const p of ['1', '2', '3']) {
        t.receive(h.ping(p));
        pongs.push(...t.frames().map((f) => [f.opcode, f.payload.toString()]));
      }
      assert.deepStrictEqual(pongs, [[10, '1'], [10, '2'], [10, '3']]);
    });

    it('a peer that floods pings and never reads has at most 256 bytes of pongs waiting, the latest last (RFC 6455 5.5.3)', function () {
      const t = h.openConn();
      const { PONG_BYTES } = h.load('outgoing/send-queue');
      assert.strictEqual(PONG_BYTES, 256);
      let most = 0;
      for (let i = 0; i < 10000; i++) {
        t.receive(h.ping('p' + i));
        most = Math.max(most, t.conn._pongFrames.length);
      }
      assert.ok(most <= 256, 'at most 256 bytes of pongs wait, not ' + most);
      assert.strictEqual(t.conn.bufferedAmount, 0);
      const payloads = t.frames().map((f) => f.payload.toString());
      assert.ok(payloads.length >= 1 && payloads.length <= 256 / 7, payloads.length + ' pongs');
      assert.strictEqual(payloads[payloads.length - 1], 'p9999');
      // In order, with nothing in between dropped: the latest ones.
      const first = Number(payloads[0].slice(1));
      assert.deepStrictEqual(payloads, payloads.map((_, k) => 'p' + (first + k)));
    });

    it('a ping of 125 bytes over waiting pongs takes their place', function () {
      const t = h.openConn();
      t.receive(h.ping('a'));
      t.receive(h.ping('b'.repeat(125)));
      t.receive(h.ping('c'.repeat(125)));
      // 3 + 127 bytes fit in 256; another 127 do not, and the latest is kept.
      assert.deepStrictEqual(t.frames().map((f) => f.payload.toString()[0] + f.payload.length), ['c125']);
    });

    it('our own pings never pile up: a newer one takes the place of one still waiting', function () {
      const t = h.openConn();
      for (let i = 0; i < 100; i++) assert.strictEqual(t.conn._ping(Buffer.from('o' + i)), true);
      assert.deepStrictEqual(t.frames().map((f) => [f.opcode, f.payload.toString()]), [[9, 'o99']]);
    });
  });
});
