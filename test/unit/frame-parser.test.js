// The frame parser and message reader (RFC 6455 sections 5 and 8), tested
// through Connection after a handshake: client frames in, events and server
// frames out.
'use strict';
const assert = require('assert');
const h = require('./helpers');

const fx = h.fixture('frames');

/** After a protocol error: _error(code) once, a close frame with that code
 *  queued, state CLOSED, _code set, and nothing more read. */
function assertFailed(t, code) {
  const errors = t.errors();
  assert.strictEqual(errors.length, 1, 'one _error: ' + JSON.stringify(errors));
  assert.strictEqual(errors[0].code, code, 'error code');
  assert.strictEqual(t.conn._state, 3, 'state CLOSED');
  assert.strictEqual(t.conn._closeCode, code, '_code');
  const frames = t.frames();
  const closes = frames.filter((f) => f.opcode == 8);
  assert.strictEqual(closes.length, 1, 'one close frame queued');
  assert.strictEqual(frames[frames.length - 1].opcode, 8, 'the close frame is last');
  assert.strictEqual(closes[0].code, code, 'close frame code');
  assert.ok(closes[0].length <= 125, 'close frame payload within 125 bytes');
  assert.ok(Buffer.from(closes[0].payload.subarray(2)).toString('utf8') == closes[0].reason);
  assert.ok(t.conn._out._empty(), 'outbox empty after the drain');
  // Input after CLOSED is ignored.
  const before = t.events.length;
  t.receive(h.text('after'));
  t.receive(h.ping('after'));
  t.receive(h.close(1000));
  assert.strictEqual(t.events.length, before, 'no events after CLOSED');
  assert.strictEqual(t.drain().length, 0, 'no output after CLOSED');
  assert.strictEqual(t.conn._send(h.bytes('x'), false), false, '_send refused when CLOSED');
  assert.strictEqual(t.conn._ping(h.bytes('x')), false, '_ping refused when CLOSED');
}

function messagesOf(t) {
  return t.messages().map((m) => ({ binary: m.binary, hex: m.data.toString('hex') }));
}

describe('frame parser (through Connection)', function () {
  describe('single frames', function () {
    for (const c of fx.rfcExamples) {
      it(c.name, function () {
        const t = h.openConn();
        t.receive(h.hex(c.hex));
        assert.deepStrictEqual(messagesOf(t), [{ binary: c.binary, hex: c.payloadHex }]);
        assert.strictEqual(t.errors().length, 0);
        assert.strictEqual(t.conn._state, 1);
      });
    }

    it(fx.rfcPong.name, function () {
      const t = h.openConn();
      t.receive(h.hex(fx.rfcPong.hex));
      const pongs = t.of('pong');
      assert.strictEqual(pongs.length, 1);
      assert.strictEqual(pongs[0].data.toString('hex'), fx.rfcPong.payloadHex);
      assert.strictEqual(t.drain().length, 0, 'a pong is not answered');
    });

    for (const c of fx.lengths) {
      it('length ' + c.length + ' (header ' + c.header + ')', function () {
        const payload = h.pattern(c.length, c.length + 1);
        const f = h.binary(payload);
        const hl = c.header.length / 2;
        assert.strictEqual(f.subarray(0, hl).toString('hex'), c.header, 'client frame header');
        assert.ok(f.subarray(hl, hl + 4).equals(h.MASK));
        const t = h.openConn();
        t.receive(f);
        const m = t.messages();
        assert.strictEqual(m.length, 1);
        assert.strictEqual(m[0].binary, true);
        assert.ok(m[0].data.equals(payload), 'payload unmasked');
      });
    }

    it('text message with multi-byte characters', function () {
      const s = 'héllo € 😀 wörld';
      const t = h.openConn();
      t.receive(h.text(s));
      assert.strictEqual(t.messages()[0].data.toString('utf8'), s);
      assert.strictEqual(t.messages()[0].binary, false);
    });

    it('unmasks correctly at every alignment of the payload in the chunk', function () {
      const payload = h.pattern(70, 7);
      for (let pad = 0; pad < 8; pad++) {
        const t = h.openConn();
        const pre = Buffer.concat(Array.from({ length: pad }, () => h.binary([])));
        t.receive(Buffer.concat([pre, h.binary(payload, { mask: [1, 2, 3, 4] })]));
        const m = t.messages();
        assert.strictEqual(m.length, pad + 1);
        assert.ok(m[pad].data.equals(payload), 'offset ' + pad);
      }
    });
  });

  describe('frames split across chunks', function () {
    const cases = [
      { name: '7-bit length', payload: h.pattern(20, 1) },
      { name: '16-bit length', payload: h.pattern(300, 2) },
      { name: '16-bit length, text', payload: h.bytes('€uro ' + 'abc'.repeat(60) + ' 😀'), text: true }
    ];
    for (const c of cases) {
      it('a masked frame (' + c.name + ') split at every byte position', function () {
        const f = c.text ? h.text(c.payload) : h.binary(c.payload);
        for (const [a, b, k] of h.splits(f)) {
          const t = h.openConn();
          t.receive(a);
          assert.strictEqual(t.messages().length, 0, 'nothing yet at ' + k);
          t.receive(b);
          const m = t.messages();
          assert.strictEqual(m.length, 1, 'one message, split at ' + k);
          assert.ok(m[0].data.equals(c.payload), 'same payload, split at ' + k);
          assert.strictEqual(m[0].binary, !c.text);
          assert.strictEqual(t.errors().length, 0, 'no error, split at ' + k);
        }
      });
    }

    it('a masked frame with a 64-bit length split at every header position and across the payload', function () {
      const payload = h.pattern(65536 + 13, 3);
      const f = h.binary(payload);
      const cuts = [];
      for (let k = 1; k <= 24; k++) cuts.push(k);
      for (let k = 14 + 65536 - 8; k < f.length; k++) cuts.push(k);
      cuts.push(14 + 1000, 14 + 32767, 14 + 32768, 14 + 32769);
      for (const k of cuts) {
        const t = h.openConn();
        t.receive(f.subarray(0, k));
        t.receive(f.subarray(k));
        const m = t.messages();
        assert.strictEqual(m.length, 1, 'split at ' + k);
        assert.ok(m[0].data.equals(payload), 'same payload, split at ' + k);
      }
    });

    it('a frame delivered one byte at a time', function () {
      const payload = h.pattern(200, 4);
      const t = h.openConn();
      t.receiveChunks(h.byteChunks(h.binary(payload)));
      assert.strictEqual(t.messages().length, 1);
      assert.ok(t.messages()[0].data.equals(payload));
    });

    it('a frame cut into three pieces at every pair of positions', function () {
      const payload = h.bytes('Hello, wörld!');
      const f = h.text(payload, { mask: [0xff, 0x00, 0xa5, 0x5a] });
      for (let i = 1; i < f.length; i++) {
        for (let j = i + 1; j < f.length; j++) {
          const t = h.openConn();
          t.receiveChunks([f.subarray(0, i), f.subarray(i, j), f.subarray(j)]);
          assert.strictEqual(t.messages().length, 1, i + ',' + j);
          assert.ok(t.messages()[0].data.equals(payload), i + ',' + j);
        }
      }
    });
  });

  describe('several frames and fragmentation', function () {
    it('several frames in one chunk', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.text('one'), h.binary([2, 2]), h.ping('x'), h.text(''), h.pong('y'), h.text('three')]));
      assert.deepStrictEqual(t.messages().map((m) => [m.binary, m.data.toString('latin1')]),
        [[false, 'one'], [true, '\x02\x02'], [false, ''], [false, 'three']]);
      assert.deepStrictEqual(t.of('pong').map((p) => p.data.toString()), ['y']);
      const out = t.frames();
      assert.strictEqual(out.length, 1);
      assert.strictEqual(out[0].opcode, 10);
      assert.strictEqual(out[0].payload.toString(), 'x');
    });

    const fragmented = () => Buffer.concat([
      h.text('Hel', { fin: false }),
      h.ping('p1'),
      h.cont('lo ', { fin: false }),
      h.ping('p2'),
      h.pong('q'),
      h.cont('wörld', { fin: true })
    ]);

    it('a fragmented message with pings between the fragments', function () {
      const t = h.openConn();
      t.receive(fragmented());
      const m = t.messages();
      assert.strictEqual(m.length, 1, 'delivered once');
      assert.strictEqual(m[0].data.toString(), 'Hello wörld');
      assert.strictEqual(m[0].binary, false);
      assert.deepStrictEqual(t.of('pong').map((p) => p.data.toString()), ['q']);
      const out = t.frames();
      assert.deepStrictEqual(out.map((f) => [f.opcode, f.fin, f.payload.toString()]), [[10, true, 'p1'], [10, true, 'p2']]);
      assert.strictEqual(t.errors().length, 0);
    });

    it('the same stream split at every position', function () {
      const all = fragmented();
      for (const [a, b, k] of h.splits(all)) {
        const t = h.openConn();
        t.receive(a);
        t.receive(b);
        assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['Hello wörld'], 'split at ' + k);
        assert.deepStrictEqual(t.frames().map((f) => f.payload.toString()), ['p1', 'p2'], 'split at ' + k);
      }
    });

    it('the same stream one byte at a time', function () {
      const t = h.openConn();
      t.receiveChunks(h.byteChunks(fragmented()));
      assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['Hello wörld']);
    });

    it('a fragmented binary message of many fragments', function () {
      const payload = h.pattern(5000, 9);
      const parts = [];
      for (let i = 0; i < payload.length; i += 37) {
        const end = Math.min(i + 37, payload.length);
        parts.push(h.clientFrame({ opcode: i ? 0 : 2, fin: end == payload.length, payload: payload.subarray(i, end) }));
      }
      const t = h.openConn();
      t.receive(Buffer.concat(parts));
      assert.strictEqual(t.messages().length, 1);
      assert.ok(t.messages()[0].data.equals(payload));
      assert.strictEqual(t.messages()[0].binary, true);
    });

    it('a message after a fragmented message is separate', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.binary([1], { fin: false }), h.cont([2]), h.text('next'), h.binary([3])]));
      assert.deepStrictEqual(t.messages().map((m) => [m.binary, m.data.toString('hex')]),
        [[true, '0102'], [false, h.bytes('next').toString('hex')], [true, '03']]);
    });

    it('an empty first fragment followed by a final fragment', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.text('', { fin: false }), h.cont('abc')]));
      assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['abc']);
      assert.strictEqual(t.errors().length, 0);
    });

    it('empty fragments everywhere', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.binary([], { fin: false }), h.cont([], { fin: false }), h.cont([7], { fin: false }), h.cont([], { fin: false }), h.cont([8]), h.binary([], { fin: false }), h.cont([])]));
      assert.deepStrictEqual(t.messages().map((m) => m.data.toString('hex')), ['0708', '']);
    });

    it('a UTF-8 character split across fragments', function () {
      const euro = h.hex('e282ac');
      const t = h.openConn();
      t.receive(Buffer.concat([h.text(euro.subarray(0, 1), { fin: false }), h.ping(''), h.cont(euro.subarray(1, 2), { fin: false }), h.cont(euro.subarray(2))]));
      assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['€']);
      assert.strictEqual(t.errors().length, 0);
    });
  });

  describe('protocol errors', function () {
    for (const c of fx.errors) {
      it(c.name + ' -> ' + c.code, function () {
        const t = h.openConn();
        t.receive(h.hex(c.hex));
        assert.strictEqual(t.messages().length, 0, 'no message delivered');
        assertFailed(t, c.code);
      });
    }

    for (const c of fx.errors) {
      it(c.name + ' -> ' + c.code + ', one byte at a time', function () {
        const t = h.openConn();
        t.receiveChunks(h.byteChunks(h.hex(c.hex)));
        assert.strictEqual(t.messages().length, 0, 'no message delivered');
        assertFailed(t, c.code);
      });
    }

    it('an error after good frames keeps the earlier messages and queues the close after earlier pongs', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.text('ok'), h.ping('pp'), h.text('bad', { masked: false }), h.text('never')]));
      assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['ok']);
      const frames = t.frames();
      assert.deepStrictEqual(frames.map((f) => f.opcode), [10, 8]);
      assert.strictEqual(frames[1].code, 1002);
      assert.strictEqual(t.conn._state, 3);
    });

    for (const code of fx.closeCodes.invalid) {
      it('close code ' + code + ' on the wire -> 1002', function () {
        const t = h.openConn();
        t.receive(h.close(code));
        assertFailed(t, 1002);
      });
    }
  });

  describe('maxPayload', function () {
    const limits = { maxPayload: 1000 };

    it('a message of exactly maxPayload bytes is accepted', function () {
      const t = h.openConn({ limits });
      const p = h.pattern(1000, 5);
      t.receive(h.binary(p));
      assert.ok(t.messages()[0].data.equals(p));
    });

    it('a frame over maxPayload fails with 1009 at its header, before any payload', function () {
      const t = h.openConn({ limits });
      const f = h.binary(h.pattern(1001, 5));
      t.receive(f.subarray(0, 8)); // 2 + 2 length bytes + 4 mask bytes
      assert.strictEqual(t.messages().length, 0);
      assertFailed(t, 1009);
    });

    it('a text frame over maxPayload fails with 1009 at its header', function () {
      const t = h.openConn({ limits });
      t.receive(h.text('x'.repeat(1001)).subarray(0, 8));
      assertFailed(t, 1009);
    });

    it('a 64-bit length of 2^40 fails with 1009 at its header', function () {
      const t = h.openConn({ limits });
      t.receive(h.clientFrame({ opcode: 2, length: Math.pow(2, 40), payload: [] }));
      assertFailed(t, 1009);
    });

    it('the largest 64-bit length fails with 1009 at its header', function () {
      const t = h.openConn({ limits });
      t.receive(h.hex('82ff7fffffffffffffff37fa213d'));
      assertFailed(t, 1009);
    });

    it('fragments summing to maxPayload are accepted', function () {
      const t = h.openConn({ limits });
      t.receive(Buffer.concat([h.binary(h.pattern(600, 1), { fin: false }), h.ping(''), h.cont(h.pattern(400, 2))]));
      assert.strictEqual(t.messages().length, 1);
      assert.strictEqual(t.messages()[0].data.length, 1000);
    });

    it('fragments summing past maxPayload fail with 1009 at the header of the fragment that overflows', function () {
      const t = h.openConn({ limits });
      t.receive(h.binary(h.pattern(600, 1), { fin: false }));
      t.receive(h.cont(h.pattern(300, 1), { fin: false }));
      assert.strictEqual(t.errors().length, 0);
      t.receive(h.cont(h.pattern(101, 1)).subarray(0, 6)); // header and mask only
      assert.strictEqual(t.messages().length, 0);
      assertFailed(t, 1009);
    });

    it('maxPayload applies to each message, not to the connection', function () {
      const t = h.openConn({ limits });
      for (let i = 0; i < 5; i++) t.receive(h.binary(h.pattern(900, i)));
      assert.strictEqual(t.messages().length, 5);
      assert.strictEqual(t.errors().length, 0);
    });
  });

  describe('UTF-8 in text messages', function () {
    it('invalid UTF-8 fails with 1007 as soon as the bad byte arrives, before the frame ends', function () {
      const f = h.text(h.hex('616263ff' + '61'.repeat(20)));
      const t = h.openConn();
      t.receive(f.subarray(0, 6 + 3)); // header, mask and 'abc'
      assert.strictEqual(t.errors().length, 0, 'valid so far');
      t.receive(f.subarray(9, 10)); // 0xFF
      assert.strictEqual(t.messages().length, 0);
      assertFailed(t, 1007);
    });

    it('invalid UTF-8 in a non-final fragment fails with 1007 before FIN', function () {
      const t = h.openConn();
      t.receive(h.text(h.hex('61eda080'), { fin: false }));
      assertFailed(t, 1007);
    });

    it('a sequence made invalid by its second byte fails when that byte arrives', function () {
      const f = h.text(h.hex('61e08080'));
      const t = h.openConn();
      t.receive(f.subarray(0, 8)); // header, mask, 'a', E0
      assert.strictEqual(t.errors().length, 0, 'E0 alone may still become valid');
      t.receive(f.subarray(8, 9)); // 0x80: E0 80 is overlong
      assertFailed(t, 1007);
    });

    it('a fragment ending mid-sequence is not yet an error', function () {
      const t = h.openConn();
      t.receive(h.text(h.hex('61f09f'), { fin: false }));
      assert.strictEqual(t.errors().length, 0);
      t.receive(h.cont(h.hex('9880')));
      assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['a😀']);
    });

    it('binary messages are not checked', function () {
      const t = h.openConn();
      t.receive(h.binary(h.hex('ffc080eda080')));
      assert.strictEqual(t.messages()[0].data.toString('hex'), 'ffc080eda080');
    });

    it('a text message of every valid boundary code point', function () {
      const s = '\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff\u{10000}\u{10ffff}';
      const t = h.openConn();
      t.receive(h.text(s));
      assert.strictEqual(t.messages()[0].data.toString(), s);
    });
  });

  describe('close frames', function () {
    for (const code of fx.closeCodes.valid) {
      it('close code ' + code + ' is accepted and echoed', function () {
        const t = h.openConn();
        t.receive(h.close(code, 'why'));
        assert.strictEqual(t.errors().length, 0);
        assert.strictEqual(t.conn._state, 3);
        assert.strictEqual(t.conn._closeCode, code);
        assert.strictEqual(t.conn._closeReason, 'why');
        const out = t.frames();
        assert.strictEqual(out.length, 1);
        assert.strictEqual(out[0].opcode, 8);
        assert.strictEqual(out[0].code, code);
      });
    }

    it('input after a close frame in the same chunk is ignored', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.close(1000), h.text('after close'), h.ping('x'), h.pong('y')]));
      assert.strictEqual(t.conn._state, 3);
      assert.strictEqual(t.messages().length, 0, 'no message after the close frame');
      assert.strictEqual(t.of('pong').length, 0, 'no pong event after the close frame');
      assert.deepStrictEqual(t.frames().map((f) => f.opcode), [8], 'only the close reply');
    });

    it('input after a failing close frame in the same chunk is ignored', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.close(1005), h.text('after error')]));
      assert.strictEqual(t.messages().length, 0, 'no message after the protocol error');
      assertFailed(t, 1002);
    });

    it('input after a close frame with a bad reason in the same chunk is ignored', function () {
      const t = h.openConn();
      t.receive(Buffer.concat([h.close(1000, h.hex('ff')), h.binary([1])]));
      assert.strictEqual(t.messages().length, 0, 'no message after the protocol error');
      assertFailed(t, 1007);
    });
  });
});
