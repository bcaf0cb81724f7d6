// The Espruino target on the emulated boards (test/helpers/espruino-emulator.js):
// what its glue over Espruino's `net` must get right beyond the protocol.
'use strict';
const assert = require('assert');
const net = require('net');
const { targets } = require('./helpers/targets');
const { Harness, waitFor, upgradeRequest, frame, until } = require('./helpers/harness');
const { freePort } = require('./helpers/free-port');
const { loadBundle } = require('./helpers/espruino-emulator');
const path = require('path');

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

// A board that cannot get the memory for a result: Espruino's E.toString and
// E.toUint8Array return undefined then (jswrap_espruino.c). The emulator
// makes chosen calls fail that way (failNext).
for (const file of ['web-socket-server.js', 'web-socket-server-full.js']) {
  describe('out of memory on an emulated ESP8266 [' + file + ']', function () {
    this.timeout(20000);
    let board, server, port, events;

    beforeEach(async function () {
      board = loadBundle({ board: 'ESP8266', bundlePath: path.join(__dirname, '..', 'dist', 'espruino', file) });
      port = await freePort();
      server = new board.module.Server({ port, maxPayload: 512, receiveType: 'text/plain', sendType: 'text/plain' });
      events = [];
      server.on('connection', (s) => {
        s.on('message', (m) => s.send(m));
        s.on('error', (e) => events.push('error ' + e.message + ' ' + e.closeCode));
        s.on('close', (code) => events.push('close ' + code));
      });
      const listening = waitFor(server, 'listening');
      server.start();
      await listening;
    });

    afterEach(function () {
      server.stop();
      return board.close();
    });

    /** A raw client after its 101: every byte it gets afterwards, and its end. */
    async function upgraded() {
      const s = net.connect(port, '127.0.0.1');
      s.buf = Buffer.alloc(0);
      s.ended = new Promise((resolve) => s.on('close', resolve));
      s.on('error', () => {});
      await new Promise((resolve) => s.on('connect', resolve));
      s.write(upgradeRequest(port).text);
      await new Promise((resolve) => {
        s.on('data', function head(d) {
          s.buf = Buffer.concat([s.buf, d]);
          const end = s.buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          s.removeListener('data', head);
          s.buf = s.buf.subarray(end + 4);
          s.on('data', (more) => (s.buf = Buffer.concat([s.buf, more])));
          resolve();
        });
      });
      return s;
    }

    it('a write piece that cannot be made: that connection fails alone, and nothing half-made goes on the wire', async function () {
      const other = await upgraded(), victim = await upgraded();
      board.emulator.failNext('E.toString');
      victim.write(frame(2, Buffer.from('hello world, hello world')));
      await victim.ended;
      assert.strictEqual(victim.buf.length, 0, 'bytes on the wire: ' + JSON.stringify(victim.buf.toString('latin1')));
      await until(() => events.length >= 2, 'the error and the close');
      assert.deepStrictEqual(events.slice(0, 2), ['error out of memory 1006', 'close 1006']);
      // The other connection carries on.
      other.write(frame(2, Buffer.from('still here')));
      await until(() => other.buf.length >= 12, 'the echo');
      assert.strictEqual(other.buf.subarray(2).toString(), 'still here');
      other.destroy();
    });

    it('a received chunk that cannot be made into bytes: that connection fails alone', async function () {
      const victim = await upgraded();
      board.emulator.failNext('E.toArrayBuffer');
      victim.write(frame(1, Buffer.from('lost')));
      await victim.ended;
      assert.strictEqual(victim.buf.length, 0);
      await until(() => events.length >= 2, 'the error and the close');
      assert.deepStrictEqual(events, ['error out of memory 1006', 'close 1006']);
    });

    it('a request head that cannot be made into text: the connection is dropped, with no response', async function () {
      const s = net.connect(port, '127.0.0.1');
      let got = Buffer.alloc(0);
      s.on('data', (d) => (got = Buffer.concat([got, d])));
      s.on('error', () => {});
      await new Promise((resolve) => s.on('connect', resolve));
      board.emulator.failNext('E.toString');
      s.write(upgradeRequest(port).text);
      await new Promise((resolve) => s.on('close', resolve));
      assert.strictEqual(got.length, 0, 'answered: ' + JSON.stringify(got.toString('latin1')));
      // The server goes on.
      const ok = await upgraded();
      ok.write(frame(1, Buffer.from('fine')));
      await until(() => ok.buf.length >= 6, 'the echo');
      assert.strictEqual(ok.buf.subarray(2).toString(), 'fine');
      ok.destroy();
      assert.deepStrictEqual(board.stats().uncaught, []);
    });
  });
}
