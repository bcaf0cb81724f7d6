// How the Node target writes: what a connection's listeners send while its
// chunk is read goes out at the end of that 'data' event, not a tick later;
// short pieces are joined into one write; a received text message that is
// sent back is not checked as UTF-8 a second time.
'use strict';
const assert = require('assert');
const WebSocket = require('ws');
const { waitFor } = require('../helpers/harness');
const node = require('../../dist/node/targets/node/index.js');

describe('the Node target, writing', function () {
  let server, client, conn, writes;

  beforeEach(async function () {
    server = new node.Server({ port: 0, hostInterface: '127.0.0.1', receiveType: 'text/plain', sendType: 'text/plain', pingInterval: 0 });
    const [port] = await new Promise((resolve, reject) => {
      server.on('listening', (...a) => resolve(a));
      server.on('error', reject);
      server.start();
    });
    const connected = waitFor(server, 'connection');
    client = new WebSocket('ws://127.0.0.1:' + port + '/');
    [conn] = await connected;
    await waitFor(client, 'open');
    // Every write() of the server's TCP socket, as it is made.
    const sock = conn._sock, write = sock.write;
    writes = [];
    sock.write = function (b) {
      writes.push(Buffer.from(b));
      return write.apply(this, arguments);
    };
  });

  afterEach(function () {
    if (client) client.terminate();
    server.stop();
  });

  it('writes an echo within the data event that brought its message, before the next tick', async function () {
    const seen = [];
    conn.on('message', (m) => conn.send(m));
    // A listener after the target's own, on the same chunk.
    conn._sock.on('data', () => {
      seen.push(writes.length);
      process.nextTick(() => seen.push(writes.length));
    });
    const echo = waitFor(client, 'message');
    client.send('ping me back');
    const [data] = await echo;
    assert.strictEqual(String(data), 'ping me back');
    assert.deepStrictEqual(seen, [1, 1], 'written once, inside the data event');
  });

  it('writes what is sent outside its data event (here from a timer) on the next tick, never inside send()', async function () {
    // A send to this connection from a timer, not from its own data event.
    const echo = waitFor(client, 'message');
    setTimeout(() => {
      conn.send('from a timer');
      assert.strictEqual(writes.length, 0, 'nothing written inside send()');
    }, 0);
    const [data] = await echo;
    assert.strictEqual(String(data), 'from a timer');
    assert.strictEqual(writes.length, 1);
  });

  it('joins short messages into one write, and writes a long one after them as it is', async function () {
    const texts = [];
    for (let i = 0; i < 50; i++) texts.push('message ' + i);
    const long = 'L'.repeat(5000);
    const got = [];
    const all = new Promise((resolve) => client.on('message', (d) => {
      got.push(String(d));
      if (got.length == texts.length + 2) resolve();
    }));
    conn.on('message', () => {
      for (const t of texts) conn.send(t);
      conn.send(long);
      conn.send('after');
    });
    client.send('go');
    await all;
    assert.ok(got.length == texts.length + 2 && got.every((t, i) => t === texts.concat([long, 'after'])[i]), 'every message, intact and in order');
    // The 50 short frames and the long one's header in one write, its
    // 5000 bytes in the next, and the last short frame in a third.
    assert.deepStrictEqual(writes.map((w) => w.length), [texts.reduce((n, t) => n + 2 + t.length, 0) + 4, 5000, 2 + 'after'.length]);
  });

  it('sends a received text message back from its own bytes, checked as UTF-8 once, by the parser', async function () {
    const buffer = require('buffer'), isUtf8 = buffer.isUtf8;
    let checks = 0;
    buffer.isUtf8 = (b) => (checks++, isUtf8(b));
    try {
      conn.on('message', (m) => conn.send(m));
      const echo = waitFor(client, 'message');
      client.send('d\u00e9j\u00e0 vu \u20ac');
      const [data] = await echo;
      assert.strictEqual(String(data), 'd\u00e9j\u00e0 vu \u20ac');
      assert.strictEqual(checks, 0);
    } finally {
      buffer.isUtf8 = isUtf8;
    }
  });
});
