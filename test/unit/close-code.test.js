// Close status codes (RFC 6455 section 7.4, IANA registry), through the
// connection: which codes a peer's close frame may carry (echoed, or the
// connection failed with 1002), and which an application may give close().
// The expected values come from the fixtures' lists and ranges, written from
// the RFC and the registry, never from the code under test.
'use strict';
const assert = require('assert');
const h = require('./helpers');

const fx = h.fixture('frames');
const { ranges } = h.fixture('close-codes');

const span = (r) => (r.from == r.to ? String(r.from) : r.from + '-' + r.to);

/** What the server makes of a peer's close frame with this code. */
function peerCloses(code) {
  const t = h.openConn();
  t.receive(h.close(code));
  const f = t.frames();
  assert.strictEqual(f.length, 1, 'one close frame back');
  return { echoed: f[0].code, state: t.conn._state, errors: t.errors().map((e) => e.code) };
}

describe('close codes', function () {
  describe('fixture', function () {
    it('close-codes.json: the ranges cover 0-65535 in order, without gaps or overlaps (fixture check)', function () {
      let next = 0;
      for (const r of ranges) {
        assert.strictEqual(r.from, next, 'range ' + span(r) + ' starts where the previous one ended');
        assert.ok(r.to >= r.from, span(r));
        next = r.to + 1;
      }
      assert.strictEqual(next, 65536);
    });
  });

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
  // The registry, range by range (fixture close-codes.json): each range's
  // first, middle and last code, through the connection.
  for (const r of ranges) {
    it(span(r) + ', ' + r.meaning + ': ' + (r.wire ? 'may' : 'may not') + ' be on the wire, and ' +
      (r.app ? 'may' : 'may not') + ' be given by the application', function () {
      for (const c of new Set([r.from, Math.floor((r.from + r.to) / 2), r.to])) {
        assert.strictEqual(peerCloses(c).echoed, r.wire ? c : 1002, 'a peer closing with ' + c);
        const t = h.openConn();
        if (r.app) {
          t.conn.close(c);
          assert.strictEqual(t.frames()[0].code, c, 'close(' + c + ')');
        } else assert.throws(() => t.conn.close(c), TypeError, 'close(' + c + ')');
      }
    });
  }
});
