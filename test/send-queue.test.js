// The send queue, on every target: what send() takes, what bufferedAmount
// counts, when 'drain' comes, what the 'latest' policy may drop, and how
// much a peer that floods pings can make the server hold.
'use strict';
const assert = require('assert');
const { targets } = require('./helpers/targets');
const { Harness, waitFor } = require('./helpers/harness');
const { RawClient } = require('./helpers/raw-client');

const PING = 9;

/** n bytes counting up from `seed` (mod 256), as a Buffer. */
function pattern(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i) & 255;
  return b;
}

for (const target of targets) {
  describe('send queue [' + target.name + ']', function () {
    this.timeout(30000);
    let h;

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    /** A server that runs `onSocket(socket)` in 'connection', and a raw
     *  client connected to it; resolves with { server, socket, client }. */
    async function open(opts, onSocket) {
      const { server, port, conns } = await h.startServer(opts, { onSocket });
      const client = await RawClient.connect(port);
      h.raws.push(client);
      const { socket } = await conns.next();
      return { server, socket, client };
    }

    it('takes a message larger than maxQueue when the queue is empty, and delivers it', async function () {
      const big = pattern(101, 7);
      let accepted;
      const { client } = await open({ maxQueue: 100 }, (s) => {
        accepted = s.send(big);
      });
      assert.strictEqual(accepted, true);
      await client.waitEvents(1);
      assert.strictEqual(client.events[0].type, 'binary');
      assert.ok(client.events[0].data.equals(big));
    });

    it('echoes a 65,535-byte message with a board-sized queue (maxQueue 8192) once maxPayload allows it', async function () {
      const { port } = await h.startServer({ maxQueue: 8192, maxPayload: 65536 }, { echo: true });
      const client = await h.connect(port);
      const m = pattern(65535, 3);
      client.send(m);
      const [data, isBinary] = await client.messages.next(20000);
      assert.strictEqual(isBinary, true);
      assert.ok(Buffer.from(data).equals(m));
    });

    it("refuses a message behind a full queue, then says 'drain', after which the same send() is taken", async function () {
      const big = pattern(1 << 20, 1), small = pattern(10, 99);
      const seen = {};
      const { socket, client } = await open({ maxQueue: 1000 }, (s) => {
        seen.first = s.send(big);
        seen.second = s.send(small);
        seen.buffered = s.bufferedAmount;
        seen.drained = waitFor(s, 'drain', { timeout: 20000 });
        s.on('drain', () => {
          if (seen.retried === undefined) seen.retried = s.send(small);
        });
      });
      assert.strictEqual(seen.first, true, 'the first message finds the queue empty');
      assert.strictEqual(seen.second, false, 'the second would pass maxQueue behind the first (' + seen.buffered + ' queued)');
      await seen.drained;
      assert.strictEqual(seen.retried, true, "sent again on 'drain', it is taken");
      await client.waitEvents(2, 20000);
      assert.strictEqual(client.events.length, 2);
      assert.ok(client.events[0].data.equals(big));
      assert.ok(client.events[1].data.equals(small));
    });

    it('counts message bytes only in bufferedAmount: not the 101 response, not a close frame', async function () {
      const seen = {};
      const { client } = await open({ maxQueue: 1024 }, (s) => {
        seen.atConnection = s.bufferedAmount;
        seen.first = s.send(pattern(1000, 5));
        seen.afterFirst = s.bufferedAmount;
        // 1000 + 24 is exactly maxQueue: taken unless something else is counted.
        seen.second = s.send(pattern(24, 6));
        s.close(1000);
        seen.afterClose = s.bufferedAmount;
      });
      assert.strictEqual(seen.atConnection, 0, "bufferedAmount inside 'connection'");
      assert.strictEqual(seen.first, true);
      assert.ok(seen.afterFirst === 0 || seen.afterFirst === 1000, 'after 1000 bytes: ' + seen.afterFirst);
      assert.strictEqual(seen.second, true, 'a message that fits maxQueue exactly');
      assert.ok(seen.afterClose <= 1024, 'the close frame is not counted: ' + seen.afterClose);
      assert.ok(seen.afterClose === 0 || seen.afterClose === seen.afterFirst + 24, 'after close(): ' + seen.afterClose);
      await client.waitEvents(3);
      assert.deepStrictEqual(client.events.map((e) => e.type), ['binary', 'binary', 'close']);
    });

    if (target.extras) {
      it("'latest' drops queued messages only when the new one takes their place", async function () {
        const log = [];
        const sizes = [600, 1200, 300, 5000, 100, 900, 2000, 50];
        const { client } = await open({ maxQueue: 1000, queuePolicy: 'latest' }, (s) => {
          sizes.forEach((n, i) => {
            const before = s.stats().dropped;
            const ok = s.send(pattern(n, i));
            log.push({ n, i, ok, dropped: s.stats().dropped - before });
          });
        });
        for (const e of log) {
          if (!e.ok) assert.strictEqual(e.dropped, 0, 'a refused send dropped ' + e.dropped + ' queued message(s): ' + JSON.stringify(e));
        }
        // 600 bytes, then 1200, with maxQueue 1000.
        assert.strictEqual(log[0].ok, true);
        assert.strictEqual(log[1].ok, true, 'the 1200-byte message takes the place of the 600-byte one (or the queue was empty)');
        const accepted = log.filter((e) => e.ok).length;
        const dropped = log.reduce((n, e) => n + e.dropped, 0);
        await client.waitEvents(accepted - dropped, 20000);
        // Every accepted message arrives or was counted as dropped, in order.
        const got = client.events.filter((e) => e.type === 'binary');
        assert.strictEqual(got.length, accepted - dropped);
        let last = -1;
        for (const e of got) {
          const i = sizes.indexOf(e.data.length);
          assert.ok(i > last, 'in order');
          assert.ok(log[i].ok, 'only accepted messages arrive');
          assert.ok(e.data.equals(pattern(sizes[i], i)), 'intact');
          last = i;
        }
      });

      if (target.name === 'node') {
        it("'latest' refuses, and drops nothing, when the message still in flight leaves no room", async function () {
          // writeSize 20000 (over Node's 16 KB high-water mark): the first
          // write, on the next tick (the 101, a 4-byte header and the start of
          // the message), leaves the socket busy with the rest to go; this
          // socket's maxQueue is then set 700 bytes above it.
          const seen = {};
          let done;
          const sent = new Promise((resolve) => (done = resolve));
          const { client } = await open({ writeSize: 20000, queuePolicy: 'latest' }, (s) => {
            seen.inFlight = s.send(pattern(50000, 1));
            process.nextTick(() => {
              seen.queued = s.bufferedAmount;
              s.maxQueue = seen.queued + 700;
              seen.small = s.send(pattern(600, 2));
              seen.big = s.send(pattern(1200, 3));
              seen.stats = s.stats();
              done();
            });
          });
          await sent;
          assert.ok(seen.queued > 0 && seen.queued < 50000, 'part of the message is out: ' + seen.queued + ' to go');
          assert.deepStrictEqual([seen.inFlight, seen.small, seen.big], [true, true, false]);
          assert.strictEqual(seen.stats.dropped, 0);
          assert.strictEqual(seen.stats.refused, 1);
          await client.waitEvents(2);
          assert.deepStrictEqual(client.events.map((e) => e.data.length), [50000, 600]);
        });

        it('takes a 17 MiB message on an idle socket with the default maxQueue (16 MiB), and delivers it', async function () {
          const m = pattern(17 * 1024 * 1024, 11);
          let accepted;
          const { client } = await open({}, (s) => {
            accepted = s.send(m);
          });
          assert.strictEqual(accepted, true);
          await client.waitEvents(1, 20000);
          assert.ok(client.events[0].data.equals(m));
        });
      }
    }

    if (target.name === 'node') {
      // (The same queue code runs in the bundles, whose fields are renamed:
      // test/unit/connection.test.js checks the bound on it directly.)
      it('holds at most 256 bytes of pongs for a peer that floods pings and does not read', async function () {
        // More than the kernel's buffers take, so that the output blocks.
        const backlog = pattern(16 << 20, 4);
        const { socket, client } = await open({ receiveType: 'text/plain' }, (s) => {
          s.send(backlog);
        });
        client.sock.pause();
        const pings = [];
        for (let i = 0; i < 3000; i++) pings.push({ opcode: PING, payload: Buffer.from('ping ' + i) });
        await client.send(pings);
        // A message after the pings: once it is delivered, every ping was read.
        const done = waitFor(socket, 'message', { timeout: 20000 });
        await client.send({ opcode: 1, payload: Buffer.from('after') });
        await done;
        assert.ok(socket.bufferedAmount > 0, 'the output is still blocked');
        assert.ok(socket._pongFrames && socket._pongFrames.length <= 256,
          'pong bytes waiting: ' + (socket._pongFrames && socket._pongFrames.length));
        client.sock.resume();
        await client.waitFor((c) => c.events.some((e) => e.type === 'pong' && e.data.toString() === 'ping 2999'), 20000,
          'the pong of the latest ping');
        const pongs = client.events.filter((e) => e.type === 'pong').map((e) => e.data.toString());
        assert.ok(pongs.length <= 256 / 8, pongs.length + ' pongs');
        assert.ok(client.events[0].data.equals(backlog), 'the backlog arrived first, intact');
      });
    }
  });
}
