// The incremental UTF-8 validator (RFC 3629), checked against the fixture
// cases (on its own and where the core uses it: text messages and close
// reasons through Connection) and cross-checked against Node's own validator.
'use strict';
const assert = require('assert');
const nodeIsUtf8 = require('buffer').isUtf8;
const h = require('./helpers');

const fx = h.fixture('utf8');
const { utf8Valid } = h.load('incoming/utf8');
/** A whole buffer, as the core checks a close reason. */
const isUtf8 = (b) => !utf8Valid(0, b, 0, b.length);

/** Validates the bytes in the given pieces with one shared state. */
function validPieces(bytes, cuts) {
  let st = 0, start = 0;
  for (const end of cuts.concat([bytes.length])) {
    st = utf8Valid(st, bytes, start, end);
    if (st < 0) return false;
    start = end;
  }
  return st == 0;
}

/** The index of the first byte the validator rejects when fed byte by
 *  byte, or null if it rejects none. */
function failIndex(bytes) {
  let st = 0;
  for (let i = 0; i < bytes.length; i++) if ((st = utf8Valid(st, bytes, i, i + 1)) < 0) return i;
  return null;
}

/** The Connection's verdict on a text message of bytes `b`: delivered as
 *  it is, or failed with one 1007 error and close frame. */
function assertTextVerdict(t, b, valid) {
  if (valid) {
    assert.deepStrictEqual(t.errors(), []);
    assert.deepStrictEqual(t.messages().map((m) => [m.binary, m.data.toString('hex')]), [[false, Buffer.from(b).toString('hex')]]);
    assert.strictEqual(t.conn._state, 1, 'still OPEN');
  } else {
    assert.strictEqual(t.messages().length, 0, 'nothing delivered');
    assert.deepStrictEqual(t.errors().map((e) => e.code), [1007]);
    const closes = t.frames().filter((f) => f.opcode == 8);
    assert.deepStrictEqual(closes.map((f) => f.code), [1007]);
    assert.strictEqual(t.conn._state, 3, 'CLOSED');
  }
}

describe('UTF-8 validator', function () {
  it('state 0 is a character boundary; nothing to check leaves it so', function () {
    assert.strictEqual(utf8Valid(0, new Uint8Array(0), 0, 0), 0);
    assert.strictEqual(utf8Valid(0, new Uint8Array([0x61]), 0, 1), 0);
  });

  describe('fixture', function () {
    // Node's validator confirms each case's verdict, so that a wrong case
    // cannot make the product's tests below agree with a mistake.
    it('utf8.json: every case is valid or invalid as buffer.isUtf8 says (fixture check)', function () {
      const wrong = fx.cases.filter((c) => nodeIsUtf8(h.hex(c.hex)) !== c.valid).map((c) => c.name);
      assert.deepStrictEqual(wrong, []);
    });
  });

  for (const c of fx.cases) {
    describe(c.name + ' [' + c.hex + '] is ' + (c.valid ? 'valid' : 'invalid'), function () {
      const b = new Uint8Array(h.hex(c.hex));

      it('isUtf8', function () {
        assert.strictEqual(isUtf8(b), c.valid);
      });

      it('utf8Valid on the whole input', function () {
        assert.strictEqual(validPieces(b, []), c.valid);
      });

      it('utf8Valid split at every position into two calls with shared state', function () {
        for (let k = 0; k <= b.length; k++) assert.strictEqual(validPieces(b, [k]), c.valid, 'split at ' + k);
      });

      it('utf8Valid one byte at a time', function () {
        const cuts = [];
        for (let k = 1; k < b.length; k++) cuts.push(k);
        assert.strictEqual(validPieces(b, cuts), c.valid);
      });

      if (!c.valid) {
        it(c.failAt === null ? 'no byte is refused until the input ends (a truncated sequence)' :
          'fails fast: rejected at byte ' + c.failAt, function () {
          assert.strictEqual(failIndex(b), c.failAt);
        });
      }

      it('checks only b[start..end) inside a larger buffer', function () {
        const big = new Uint8Array(b.length + 4);
        big.set([0xff, 0x80], 0);
        big.set(b, 2);
        big.set([0xc0, 0xff], 2 + b.length);
        assert.strictEqual(utf8Valid(0, big, 2, 2 + b.length) == 0, c.valid);
      });

      it('as a text message through Connection: ' + (c.valid ? 'delivered' : 'fails with 1007, nothing delivered'), function () {
        const t = h.openConn();
        t.receive(h.text(b));
        assertTextVerdict(t, b, c.valid);
      });

      it('as a text message in 1-byte fragments through Connection: ' + (c.valid ? 'delivered' : 'fails with 1007'), function () {
        const t = h.openConn();
        const n = b.length;
        if (n < 2) t.receive(h.text(b));
        else {
          for (let k = 0; k < n; k++) {
            const piece = b.subarray(k, k + 1), fin = k == n - 1;
            t.receive(k ? h.cont(piece, { fin }) : h.text(piece, { fin }));
          }
        }
        assertTextVerdict(t, b, c.valid);
      });

      it('as a close reason through Connection: ' + (c.valid ? 'the close is echoed' : 'fails with 1007'), function () {
        const t = h.openConn();
        t.receive(h.close(4000, Buffer.from(b)));
        const closes = t.frames().filter((f) => f.opcode == 8);
        assert.strictEqual(closes.length, 1, 'one close frame back');
        assert.strictEqual(closes[0].code, c.valid ? 4000 : 1007);
        assert.deepStrictEqual(t.errors().map((e) => e.code), c.valid ? [] : [1007]);
      });
    });
  }

  it('the state carries a sequence across calls: E2 | 82 | AC', function () {
    const b = new Uint8Array([0xe2, 0x82, 0xac]);
    let st = utf8Valid(0, b, 0, 1);
    assert.strictEqual(st & 3, 2, 'inside a sequence: two continuation bytes expected');
    st = utf8Valid(st, b, 1, 2);
    assert.strictEqual(st & 3, 1, 'one continuation byte expected');
    assert.strictEqual(utf8Valid(st, b, 2, 3), 0);
  });

  it('the first-continuation range survives a split: E0 | 9F is refused, ED | A0 is refused, F4 | 90 is refused', function () {
    for (const [lead, next] of [[0xe0, 0x9f], [0xed, 0xa0], [0xf0, 0x8f], [0xf4, 0x90]]) {
      const st = utf8Valid(0, new Uint8Array([lead]), 0, 1);
      assert.ok(st > 0);
      assert.strictEqual(utf8Valid(st, new Uint8Array([next]), 0, 1), -1, lead.toString(16) + ' ' + next.toString(16));
    }
  });

  it('agrees with buffer.isUtf8 on every 1- and 2-byte sequence', function () {
    const b1 = new Uint8Array(1);
    for (let x = 0; x < 256; x++) {
      b1[0] = x;
      assert.strictEqual(isUtf8(b1), nodeIsUtf8(b1), x.toString(16));
    }
    const b = new Uint8Array(2);
    for (let x = 0; x < 65536; x++) {
      b[0] = x >> 8;
      b[1] = x & 255;
      const want = nodeIsUtf8(b);
      if (isUtf8(b) !== want) assert.fail('isUtf8 disagrees on ' + Buffer.from(b).toString('hex'));
      if (validPieces(b, [1]) !== want) assert.fail('split check disagrees on ' + Buffer.from(b).toString('hex'));
    }
  });

  it('agrees with buffer.isUtf8 on every 3-byte sequence with an E0-F4 lead and continuation-range tail bytes', function () {
    const b = new Uint8Array(3);
    const tails = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xff];
    for (let lead = 0xe0; lead <= 0xf4; lead++) {
      for (let x = 0x70; x <= 0xcf; x++) {
        for (const y of tails) {
          b[0] = lead; b[1] = x; b[2] = y;
          const want = nodeIsUtf8(b);
          if (isUtf8(b) !== want) assert.fail('isUtf8 disagrees on ' + Buffer.from(b).toString('hex'));
        }
      }
    }
  });

  it('agrees with buffer.isUtf8 on 5000 random short sequences (seeded), whole and split', function () {
    const rand = h.prng(0x5eed6455);
    const interesting = h.hex(fx.interestingBytes);
    const pick = () => {
      const r = rand();
      if (r < 0.5) return interesting[Math.floor(rand() * interesting.length)];
      if (r < 0.7) return 0x80 + Math.floor(rand() * 64); // continuation bytes
      return Math.floor(rand() * 256);
    };
    let valid = 0;
    for (let n = 0; n < 5000; n++) {
      const len = Math.floor(rand() * 9);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = pick();
      const want = nodeIsUtf8(b);
      if (want) valid++;
      const tag = Buffer.from(b).toString('hex');
      assert.strictEqual(isUtf8(b), want, 'isUtf8 ' + tag);
      for (let k = 0; k <= len; k++) assert.strictEqual(validPieces(b, [k]), want, 'split at ' + k + ' ' + tag);
    }
    assert.ok(valid > 250, 'the random set holds valid sequences too (' + valid + ')');
  });

  it('agrees with buffer.isUtf8 on random sequences of encoded code points, whole and split (seeded)', function () {
    const rand = h.prng(1234);
    for (let n = 0; n < 2000; n++) {
      let s = '';
      const count = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < count; i++) {
        let cp = Math.floor(rand() * 0x110000);
        if (cp >= 0xd800 && cp < 0xe000) cp -= 0x800;
        s += String.fromCodePoint(cp);
      }
      const b = new Uint8Array(Buffer.from(s, 'utf8'));
      // Corrupt one byte half of the time.
      if (rand() < 0.5) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const want = nodeIsUtf8(b);
      for (let k = 0; k <= b.length; k++) assert.strictEqual(validPieces(b, [k]), want, Buffer.from(b).toString('hex') + ' split at ' + k);
    }
  });
});
