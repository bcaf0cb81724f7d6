// Socket state and events, on every target: terminate() closes the socket
// for the application at once; nothing fires on a socket after its 'close'
// (nor 'open' on a socket closed inside 'connection'); a throwing listener
// never stops the server; a frame header's claim reserves no memory, and a
// closed connection holds nothing.
'use strict';
const assert = require('assert');
const { targets } = require('./helpers/targets');
const { Harness, waitFor, assertEcho, until, getGc } = require('./helpers/harness');
const { RawClient, frame } = require('./helpers/raw-client');

const TEXT = 1;

for (const target of targets) {
  describe('socket state and events [' + target.name + ']', function () {
    this.timeout(30000);
    let h;

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    async function rawClient(port) {
      const c = await RawClient.connect(port);
      h.raws.push(c);
      return c;
    }

    it('after terminate() in a message handler: closed for the application at once, nothing more delivered, close 1006', async function () {
      const seen = [];
      const { port, conns } = await h.startServer({ receiveType: 'text/plain' }, {
        onSocket(s) {
          s.on('message', (m) => {
            seen.push('message ' + m);
            if (m === 'one') {
              s.terminate();
              seen.push('isOpen ' + s.isOpen(), 'send ' + s.send('after'));
            }
          });
          s.on('close', (code) => seen.push('close ' + code));
        }
      });
      const client = await rawClient(port);
      const conn = await conns.next();
      // Three frames in one TCP write.
      await client.send([frame({ opcode: TEXT, payload: 'one' }), frame({ opcode: TEXT, payload: 'two' }),
        frame({ opcode: TEXT, payload: 'three' })]);
      await conn.closes.next();
      assert.deepStrictEqual(seen, ['message one', 'isOpen false', 'send false', 'close 1006']);
      await client.waitClosed();
      assert.ok(!client.events.some((e) => e.type === 'text'), 'nothing was sent after terminate(): ' + client.describe());
    });

    for (const how of ['socket.close()', 'server.stop()']) {
      it("does not emit 'open' on a socket closed by " + how + " inside 'connection'; 'close' follows", async function () {
        const events = [];
        const started = await h.startServer({}, {
          onSocket(s) {
            s.on('open', () => events.push('open ' + s.isOpen()));
            s.on('close', (code) => events.push('close ' + code));
            if (how === 'socket.close()') s.close(4000);
            else started.server.stop();
          }
        });
        const client = await h.connect(started.port);
        const code = how === 'socket.close()' ? 4000 : 1001;
        const [ccode] = await client.closes.next();
        assert.strictEqual(ccode, code);
        await until(() => events.length === 1, "the socket's close");
        assert.deepStrictEqual(events, ['close ' + code]);
      });
    }

    it("sends what a 'close' listener throws to the server's 'error', never to the closed socket", async function () {
      const socketErrors = [], serverErrors = [];
      const { server, port, conns } = await h.echoServer();
      server.on('error', (e) => serverErrors.push(e));
      const client = await h.connect(port);
      const conn = await conns.next();
      conn.socket.on('error', (e) => socketErrors.push(e));
      conn.socket.on('close', () => {
        throw new Error('from a close listener');
      });
      client.close(1000);
      await conn.closes.next();
      await until(() => serverErrors.length === 1);
      assert.strictEqual(serverErrors[0].message, 'from a close listener');
      assert.deepStrictEqual(socketErrors, []);
      // The server goes on.
      await assertEcho(await h.connect(port), 'still here');
    });

    it("lets go of its listeners after 'close', which they all got", async function () {
      const { port, conns } = await h.echoServer();
      const client = await h.connect(port);
      const conn = await conns.next();
      const got = [];
      conn.socket.on('close', (code) => got.push('first ' + code));
      conn.socket.on('close', (code) => got.push('second ' + code));
      client.close(1000);
      await conn.closes.next();
      await until(() => got.length === 2);
      assert.deepStrictEqual(got, ['first 1000', 'second 1000']);
      // emit() tells whether there was a listener.
      assert.strictEqual(conn.socket.emit('message', 'late'), false);
      assert.strictEqual(conn.socket.emit('close', 1000, ''), false);
      assert.deepStrictEqual(got, ['first 1000', 'second 1000']);
    });

    it('keeps serving when a listener of any event throws', async function () {
      const { server, port } = await h.startServer({ receiveType: 'text/plain', sendType: 'text/plain', pingInterval: 50 }, {
        onSocket(s) {
          for (const ev of ['open', 'message', 'close', 'error', 'drain', 'pong']) {
            s.on(ev, () => {
              throw new Error('boom in ' + ev);
            });
          }
          s.on('message', (m) => s.send(m));
          throw new Error('boom in connection');
        }
      });
      server.on('error', () => {
        throw new Error('boom in the server error listener');
      });
      for (let i = 0; i < 3; i++) {
        const client = await h.connect(port);
        await assertEcho(client, 'round ' + i);
        client.close(1000);
        await client.closes.next();
      }
    });

    it("a lone 'message' listener: called with the socket as `this`; what it throws goes to 'error', whose own throw is dropped, and the rest of the chunk is read", async function () {
      const seen = [];
      const { port, conns } = await h.startServer({ receiveType: 'text/plain', sendType: 'text/plain' }, {
        onSocket(s) {
          s.on('message', function (m) {
            seen.push('message ' + m + (this === s ? '' : ' (this is not the socket)'));
            if (m === 'boom') throw new Error('from the message listener');
            s.send(m);
          });
          s.on('error', (e) => {
            seen.push('error ' + e.message);
            throw new Error('from the error listener');
          });
        }
      });
      const client = await rawClient(port);
      const conn = await conns.next();
      // Three short frames in one TCP write: the ones after the throw are read too.
      await client.send([frame({ opcode: TEXT, payload: 'one' }), frame({ opcode: TEXT, payload: 'boom' }),
        frame({ opcode: TEXT, payload: 'three' })]);
      await client.waitEvents(2);
      assert.deepStrictEqual(client.events.map((e) => e.type + ' ' + e.data), ['text one', 'text three']);
      assert.deepStrictEqual(seen, ['message one', 'message boom', 'error from the message listener', 'message three']);
      assert.strictEqual(conn.socket.isOpen(), true);
    });

    it('reserves no memory for what a frame header claims (20 clients each announcing 100 MiB), and holds none once closed', async function () {
      const MiB = 1024 * 1024, CLIENTS = 20;
      const { port, conns } = await h.startServer({ maxPayload: 100 * MiB, maxConnections: CLIENTS });
      const clients = [], conn = [];
      for (let i = 0; i < CLIENTS; i++) {
        clients.push(await rawClient(port));
        conn.push(await conns.next());
      }
      const gc = getGc();
      if (gc) gc();
      const before = process.memoryUsage().arrayBuffers;
      const read = bytesRead();
      // A binary frame header claiming 100 MiB, its mask, and 10 bytes of it.
      const claim = Buffer.concat([Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x06, 0x40, 0, 0, 1, 2, 3, 4]), Buffer.alloc(10, 9)]);
      for (const c of clients) await c.send(claim);
      await until(() => bytesRead() >= read + CLIENTS * claim.length, 'the server to read the claims');
      const grown = process.memoryUsage().arrayBuffers - before;
      assert.ok(grown < 20 * MiB, 'array buffers grew by ' + (grown / MiB).toFixed(1) + ' MiB for ' + CLIENTS + ' claims of 100 MiB');
      for (const c of conn) {
        assert.strictEqual(c.socket.isOpen(), true, 'still reading its frame');
        assert.strictEqual(c.errors.items.length, 0);
      }
      for (const c of clients) c.destroy();
      for (const c of conn) await c.closes.next();
      if (gc) {
        gc();
        const left = process.memoryUsage().arrayBuffers - before;
        assert.ok(left < 4 * MiB, (left / MiB).toFixed(1) + ' MiB still held after every connection closed');
      }
      if (target.name === 'node') {
        for (const c of conn) assert.strictEqual(c.socket._messageBuf, undefined, 'the message buffer is let go');
      }

      /** Bytes the server has taken from the network and handed to the module. */
      function bytesRead() {
        if (target.stats) {
          const st = target.stats();
          return st.receiveBuffered ? -1 : st.bytesReceived;
        }
        return conn.reduce((n, c) => n + c.socket._sock.bytesRead, 0);
      }
    });
  });
}
