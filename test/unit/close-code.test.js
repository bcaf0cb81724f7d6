// Close status codes (RFC 6455 section 7.4, IANA registry), through the
// connection: which codes a peer's close frame may carry (echoed, or the
// connection failed with 1002), and which an application may give close().
// The expected values come from the fixture's lists, written from the RFC,
// never from the code under test.
'use strict';
const assert = require('assert');
const h = require('./helpers');

const fx = h.fixture('frames');

/** What the server makes of a peer's close frame with this code. */
function peerCloses(code) {
  const t = h.openConn();
  t.receive(h.close(code));
  const f = t.frames();
  assert.strictEqual(f.length, 1, 'one close frame back');
  return { echoed: f[0].code, state: t.conn._state, errors: t.errors().map((e) => e.code) };
}

describe('close codes', function () {
  for (const code of fx.closeCodes.valid) {
    it(code + ' may be on the wire: the peer\'s close is echoed', function () {
      assert.deepStrictEqual(peerCloses(code), { echoed: code, state: 3, errors: [] });
    });
  }
  for (const code of fx.closeCodes.invalid) {
    it(code + ' may not be on the wire: the connection fails with 1002', function () {
      assert.deepStrictEqual(peerCloses(code), { echoed: 1002, state: 3, errors: [1002] });
    });
  }
  for (const code of fx.appCloseCodes.valid) {
    it(code + ' may be given by the application', function () {
      const t = h.openConn();
      t.conn.close(code);
      assert.strictEqual(t.frames()[0].code, code);
    });
  }
  for (const code of fx.appCloseCodes.invalid) {
    it(code + ' may not be given by the application: a TypeError, and nothing sent', function () {
      const t = h.openConn();
      assert.throws(() => t.conn.close(code), (e) => e instanceof TypeError && e.message == 'bad close code ' + code);
      assert.strictEqual(t.drain().length, 0);
      assert.strictEqual(t.conn.isOpen(), true);
    });
  }
  it("every code the fixture's lists name lies in the wire ranges of RFC 6455 7.4 exactly when it is valid", function () {
    const inRanges = (c) => fx.closeCodes.wireRanges.some(([a, b]) => c >= a && c <= b);
    for (const code of fx.closeCodes.valid.concat(fx.appCloseCodes.valid)) assert.ok(inRanges(code), String(code));
    for (const code of fx.closeCodes.invalid) assert.ok(!inRanges(code), String(code));
  });
  // The edges of each wire range, through the connection.
  for (const [a, b] of fx.closeCodes.wireRanges) {
    for (const code of [a - 1, a, b, b + 1]) {
      const valid = fx.closeCodes.wireRanges.some(([x, y]) => code >= x && code <= y);
      it(code + (valid ? ' (a range edge) is echoed' : ' (past a range edge) fails with 1002'), function () {
        assert.strictEqual(peerCloses(code).echoed, valid ? code : 1002);
      });
    }
  }
});
