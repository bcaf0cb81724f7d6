// The Node target's fast ways for long runs: native code (host._unmask by
// bufferutil, host._isAscii by Node's buffer.isAscii) gives, for every
// length around the threshold, every mask position and alignment, the same
// bytes, mask position and ASCII verdict as the core's own loops; and long
// ASCII text, decoded and encoded as Latin-1, the same string and bytes as
// UTF-8.
'use strict';
const assert = require('assert');
const crypto = require('crypto');
const h = require('./helpers');

describe('the Node host on long runs', function () {
  const { host, NATIVE_RUN } = h.load('host');
  const { unmask } = h.load('incoming/mask');
  const { asciiEnd } = h.load('incoming/utf8');
  // (Loading the Node target fills in the host.)
  require('../../dist/node/targets/node/index.js');
  const lengths = [0, 1, 31, 32, NATIVE_RUN - 1, NATIVE_RUN, NATIVE_RUN + 1, NATIVE_RUN + 2, NATIVE_RUN + 3, 1000, 4099];

  /** fn() with the host's native function `name` taken away. */
  function withoutNative(name, fn) {
    const saved = host[name];
    delete host[name];
    try {
      return fn();
    } finally {
      host[name] = saved;
    }
  }

  it('has both, bufferutil being installed (a devDependency)', function () {
    assert.strictEqual(typeof host._unmask, 'function');
    assert.strictEqual(typeof host._isAscii, 'function');
  });

  it('unmasks as the core does, at every length, mask position and alignment', function () {
    const mask = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
    let native = 0;
    for (const n of lengths) {
      for (let phase = 0; phase < 4; phase++) {
        for (let offset = 0; offset < 4; offset++) {
          const data = crypto.randomBytes(n + 8);
          const a = new Uint8Array(data), b = new Uint8Array(data);
          const calls = [];
          const real = host._unmask;
          host._unmask = function () {
            calls.push(arguments[2] - arguments[1]);
            return real.apply(this, arguments);
          };
          let pa;
          try {
            pa = unmask(a, offset, offset + n, mask, phase);
          } finally {
            host._unmask = real;
          }
          const pb = withoutNative('_unmask', () => unmask(b, offset, offset + n, mask, phase));
          assert.deepStrictEqual(a, b, 'bytes, length ' + n + ', phase ' + phase + ', offset ' + offset);
          assert.strictEqual(pa, pb, 'mask position after, length ' + n);
          // Long runs (past the bytes up to a word boundary) go native, short ones never.
          assert.strictEqual(calls.length > 0, n - ((4 - offset) & 3) > NATIVE_RUN, 'native for length ' + n + ' at offset ' + offset);
          native += calls.length;
        }
      }
    }
    assert.ok(native > 0);
  });

  it('finds where an ASCII run ends as the core does, with a non-ASCII byte anywhere or none', function () {
    const real = host._isAscii;
    let native = 0;
    host._isAscii = (v) => (native++, real(v));
    try {
      check();
    } finally {
      host._isAscii = real;
    }
    assert.ok(native > 0, 'the native check was used');
  });

  it('decodes and encodes text as UTF-8 does, ASCII or not, at every length around the threshold', function () {
    const samples = ['a', '\u00e9', '\u20ac', '\ud83d\ude00', '\ud800', '\x7f', '\x80'];
    for (const n of lengths) {
      for (const odd of samples) {
        for (const at of [-1, 0, n >> 1, n - 1]) {
          let t = 'x'.repeat(n);
          if (at >= 0 && at < n) t = t.slice(0, at) + odd + t.slice(at + 1);
          const bytes = host._bytes(t);
          assert.deepStrictEqual(Buffer.from(bytes), Buffer.from(t, 'utf8'), 'bytes of ' + JSON.stringify(odd) + ' at ' + at + ' in ' + n);
          const utf8 = Buffer.from(t, 'utf8');
          // A view inside a larger buffer, as the core hands it over.
          const inside = new Uint8Array(utf8.length + 10);
          inside.set(utf8, 5);
          assert.strictEqual(host._text(inside.subarray(5, 5 + utf8.length)), utf8.toString('utf8'), 'text of ' + JSON.stringify(odd) + ' at ' + at + ' in ' + n);
        }
      }
    }
  });

  function check() {
    for (const n of lengths) {
      for (const at of [-1, 0, n >> 1, n - 1]) {
        for (let offset = 0; offset < 4; offset++) {
          const b = new Uint8Array(n + 8).fill(0x61);
          if (at >= 0 && at < n) b[offset + at] = 0xc3;
          const native = asciiEnd(b, offset, offset + n);
          const core = withoutNative('_isAscii', () => asciiEnd(b, offset, offset + n));
          assert.strictEqual(native, core, 'length ' + n + ', odd byte at ' + at + ', offset ' + offset);
          // (The core may stop a few bytes short of a non-ASCII byte, at the
          // start of its word: the validator goes on from there.)
          if (at >= 0 && at < n) assert.ok(core <= offset + at && core > offset + at - 4, 'stops at ' + core + ', the odd byte at ' + (offset + at));
          else assert.strictEqual(core, offset + n);
        }
      }
    }
  }
});
