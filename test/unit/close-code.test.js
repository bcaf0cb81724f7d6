// Close status codes (RFC 6455 section 7.4, IANA registry).
'use strict';
const assert = require('assert');
const h = require('./helpers');

const fx = h.fixture('frames');
const { isWireCloseCode, isAppCloseCode } = h.load('close-code');

describe('close codes', function () {
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
  it('every application code may be on the wire', function () {
    for (let c = 0; c < 65536; c++) if (isAppCloseCode(c)) assert.ok(isWireCloseCode(c), String(c));
  });
  it('exactly the RFC 6455 / IANA wire ranges', function () {
    for (let c = 0; c < 65536; c++) {
      const want = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
      if (isWireCloseCode(c) !== want) assert.fail(String(c));
    }
  });
});
