// Close status codes (RFC 6455 section 7.4, IANA registry).
'use strict';
const assert = require('assert');
const h = require('./helpers');

const fx = h.fixture('frames');
const { ranges } = h.fixture('close-codes');
const { isWireCloseCode, isAppCloseCode } = h.load('close-code');

const span = (r) => (r.from == r.to ? String(r.from) : r.from + '-' + r.to);

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
    it(code + ' may be on the wire', function () {
      assert.strictEqual(isWireCloseCode(code), true);
    });
  }
  for (const code of fx.closeCodes.invalid) {
    it(code + ' may not be on the wire', function () {
      assert.strictEqual(isWireCloseCode(code), false);
    });
  }
  for (const code of fx.appCloseCodes.valid) {
    it(code + ' may be given by the application', function () {
      assert.strictEqual(isAppCloseCode(code), true);
    });
  }
  for (const code of fx.appCloseCodes.invalid) {
    it(code + ' may not be given by the application', function () {
      assert.strictEqual(isAppCloseCode(code), false);
    });
  }

  // Every code of every range of the registry table.
  for (const r of ranges) {
    it(span(r) + ', ' + r.meaning + ': ' + (r.wire ? 'may' : 'may not') + ' be on the wire, and ' +
      (r.app ? 'may' : 'may not') + ' be given by the application', function () {
      for (let c = r.from; c <= r.to; c++) {
        if (isWireCloseCode(c) !== r.wire) assert.fail('isWireCloseCode(' + c + ') is ' + !r.wire);
        if (isAppCloseCode(c) !== r.app) assert.fail('isAppCloseCode(' + c + ') is ' + !r.app);
      }
    });
  }
});
