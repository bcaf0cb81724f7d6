// The ASCII fast path of the UTF-8 validator (aligned 32-bit words): a
// non-ASCII byte anywhere in a long ASCII run, at every alignment, must be
// seen exactly as the byte-by-byte path sees it.
'use strict';
const assert = require('assert');
const { isUtf8 } = require('buffer');
const path = require('path');
const { utf8Valid } = require(path.join(__dirname, '..', '..', 'dist', 'node', 'src', 'incoming', 'utf8.js'));

/** A whole message: valid, and not ending inside a sequence. */
function check(bytes, start, end) {
  return utf8Valid(0, bytes, start, end) === 0;
}

describe('UTF-8 validator: long ASCII runs', function () {
  const inserts = [
    { name: 'a lone continuation byte', bytes: [0x80], valid: false },
    { name: 'byte 0xFF', bytes: [0xff], valid: false },
    { name: 'a truncated 2-byte sequence', bytes: [0xc3], valid: false },
    { name: 'an overlong NUL', bytes: [0xc0, 0x80], valid: false },
    { name: 'a surrogate', bytes: [0xed, 0xa0, 0x80], valid: false },
    { name: 'U+00E9', bytes: [0xc3, 0xa9], valid: true },
    { name: 'U+20AC', bytes: [0xe2, 0x82, 0xac], valid: true },
    { name: 'U+1F600', bytes: [0xf0, 0x9f, 0x98, 0x80], valid: true }
  ];
  for (const ins of inserts) {
    it('finds ' + ins.name + ' at every position of a 200-byte ASCII run, at every alignment', function () {
      let checked = 0;
      for (let offset = 0; offset < 4; offset++) {
        for (let at = 0; at <= 200; at++) {
          const whole = Buffer.alloc(offset + 200 + ins.bytes.length, 0x61);
          Buffer.from(ins.bytes).copy(whole, offset + at);
          const got = check(new Uint8Array(whole.buffer, whole.byteOffset, whole.length), offset, whole.length);
          const want = isUtf8(whole.subarray(offset));
          assert.strictEqual(want, ins.valid, 'the reference agrees with the case');
          assert.strictEqual(got, want, 'offset ' + offset + ', inserted at ' + at);
          checked++;
        }
      }
      assert.strictEqual(checked, 4 * 201);
    });
  }

  it('carries a sequence split right after a long ASCII run into the next piece', function () {
    const a = Buffer.concat([Buffer.alloc(128, 0x41), Buffer.from([0xe2, 0x82])]);
    const st = utf8Valid(0, a, 0, a.length);
    assert.strictEqual(st & 3, 1, 'one continuation byte still expected');
    assert.strictEqual(utf8Valid(st, Buffer.from([0xac]), 0, 1), 0);
  });
});
