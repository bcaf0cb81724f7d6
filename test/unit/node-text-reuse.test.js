// The Node target sends text that it has just decoded from the bytes it came
// in, rather than encoding it again: only when those bytes are exactly what
// encoding the string would give.
'use strict';
const assert = require('assert');
const h = require('./helpers');

describe('the Node host, sending text as it was received', function () {
  const { host, NATIVE_RUN } = h.load('host');
  // (Loading the Node target fills in the host.)
  require('../../dist/node/targets/node/index.js');
  const utf8 = (t) => new Uint8Array(Buffer.from(t, 'utf8'));

  for (const [name, text] of [
    ['short ASCII', 'hello'],
    ['short text with 2-, 3- and 4-byte characters', 'h\u00e9llo \u20ac \ud83d\ude00'],
    ['long ASCII', 'a'.repeat(NATIVE_RUN + 1)],
    ['long text with a character past ASCII', 'b'.repeat(NATIVE_RUN) + '\u00e9']
  ]) {
    it('gives back the very bytes for the text just decoded from them: ' + name, function () {
      const bytes = utf8(text);
      const decoded = host._text(bytes);
      assert.strictEqual(decoded, text);
      assert.strictEqual(host._bytes(decoded), bytes);
    });
  }

  it('encodes any other text, and text decoded before the last', function () {
    const first = host._text(utf8('first'));
    host._text(utf8('second'));
    const again = host._bytes(first);
    assert.deepStrictEqual(new Uint8Array(again), utf8('first'));
    const other = host._bytes('other');
    assert.deepStrictEqual(new Uint8Array(other), utf8('other'));
  });

  it('keeps nothing of text over 1 MiB (its memory is let go), nor of the text before it', function () {
    const before = host._text(utf8('before'));
    const long = 'x'.repeat(1024 * 1024 + 1), bytes = utf8(long);
    assert.strictEqual(host._text(bytes), long);
    const sent = host._bytes(long);
    assert.notStrictEqual(sent, bytes);
    assert.ok(Buffer.from(sent).equals(Buffer.from(bytes)));
    assert.deepStrictEqual(new Uint8Array(host._bytes(before)), utf8('before'));
  });

  it('gives the same bytes back for an equal string made elsewhere', function () {
    const bytes = utf8('same text');
    host._text(bytes);
    const made = ['same', 'text'].join(' ');
    assert.strictEqual(host._bytes(made), bytes);
  });

  it('checks nothing again for bytes the core says are valid UTF-8 (a message, a close reason)', function () {
    const { VALID_UTF8 } = h.load('host');
    const buffer = require('buffer'), isUtf8 = buffer.isUtf8;
    let checks = 0;
    buffer.isUtf8 = (b) => (checks++, isUtf8(b));
    try {
      const bytes = utf8('caf\u00e9'), unchecked = utf8('na\u00efve');
      assert.strictEqual(host._bytes(host._text(bytes, VALID_UTF8)), bytes);
      assert.strictEqual(checks, 0, 'no check for validated bytes');
      assert.strictEqual(host._bytes(host._text(unchecked)), unchecked);
      assert.strictEqual(checks, 1, 'one check for bytes not known to be valid');
    } finally {
      buffer.isUtf8 = isUtf8;
    }
  });

  it('decodes a Buffer view of a larger chunk, and only its own bytes', function () {
    const chunk = Buffer.from('xx\u00e9t\u00e9yy', 'utf8'), view = chunk.subarray(2, chunk.length - 2);
    assert.strictEqual(host._text(view), '\u00e9t\u00e9');
    assert.strictEqual(host._bytes('\u00e9t\u00e9'), view);
  });

  for (const [name, raw] of [
    ['a stray continuation byte', [0x41, 0x80, 0x42]],
    ['a byte never in UTF-8', [0xff]],
    ['a truncated 3-byte character', [0xe2, 0x82]],
    ['a surrogate encoded in 3 bytes', [0xed, 0xa0, 0x80]],
    ['long text, one bad byte at the end', Array(NATIVE_RUN + 4).fill(0x61).concat([0xc3])]
  ]) {
    it('never gives back bytes that are not valid UTF-8 (as a request head may be): ' + name, function () {
      const bytes = new Uint8Array(raw);
      const decoded = host._text(bytes);
      const sent = host._bytes(decoded);
      assert.notStrictEqual(sent, bytes);
      assert.deepStrictEqual(new Uint8Array(sent), utf8(decoded));
    });
  }
});
