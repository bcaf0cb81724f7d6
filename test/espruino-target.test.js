// The Espruino target on the emulated boards (test/helpers/espruino-emulator.js):
// what its glue over Espruino's `net` must get right beyond the protocol.
'use strict';
const assert = require('assert');
const net = require('net');
const { targets } = require('./helpers/targets');
const { Harness, waitFor } = require('./helpers/harness');
const { freePort } = require('./helpers/free-port');

for (const target of targets.filter((t) => t.stats)) {
  describe('Espruino target [' + target.name + ']', function () {
    this.timeout(20000);
    let h;

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    it("never emits 'listening' for a server stopped before it came, and leaves nothing listening", async function () {
      const port = await freePort();
      const first = new h.mod.Server(h.options({}, port));
      const events = [];
      first.on('listening', () => events.push('listening'));
      first.on('error', (e) => events.push('error ' + e.message));
      first.start();
      first.stop();
      // The board runs its timers in order: once a server started after it
      // reports 'listening', the first one's turn has passed.
      const second = new h.mod.Server(h.options({}, await freePort()));
      h.servers.push(second);
      second.start();
      await waitFor(second, 'listening');
      assert.deepStrictEqual(events, []);
      const outcome = await new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => resolve('connected'));
        s.on('error', (e) => resolve(e.code));
      });
      assert.strictEqual(outcome, 'ECONNREFUSED');
    });
  });
}
