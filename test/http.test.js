// Plain HTTP on the WebSocket port ('request' events and their Response),
// broadcast(), and wss:// on Node, against every target.
'use strict';
const assert = require('assert');
const net = require('net');
const os = require('os');
const fs = require('fs');
const path = require('path');
const https = require('https');
const { execFileSync } = require('child_process');
const WebSocket = require('ws');
const { targets } = require('./helpers/targets');
const { Harness, waitFor, assertEcho, collect } = require('./helpers/harness');
const { freePort } = require('./helpers/free-port');

/** Sends `text` on a raw TCP connection; resolves with everything the
 *  server sent once it closes the connection. */
function exchange(port, text, opts) {
  const o = opts || {};
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const parts = [];
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      parts.push(d);
      if (o.slow) {
        s.pause();
        setTimeout(() => s.resume(), o.slow);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(parts)));
  });
}

/** An HTTP response, parsed: status, headers (lower-cased names), body. */
function parse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  assert.ok(end > 0, 'a response head: ' + JSON.stringify(buf.toString('latin1').slice(0, 200)));
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  return { statusLine: lines[0], status: Number(lines[0].split(' ')[1]), headers, body: buf.subarray(end + 4) };
}

const get = (p, extra) => 'GET ' + (p || '/') + ' HTTP/1.1\r\nHost: board\r\n' + (extra || '') + '\r\n';

for (const target of targets) {
  describe('HTTP on the same port [' + target.name + ']', function () {
    this.timeout(30000);
    let h;

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    /** A server whose 'request' listener is `onRequest`; echoes WebSocket messages. */
    async function serve(onRequest, opts) {
      const started = await h.startServer(Object.assign({ receiveType: 'text/plain', sendType: 'text/plain' }, opts), { echo: true });
      if (onRequest) started.server.on('request', onRequest);
      return started;
    }

    it("answers a page request through 'request' (req, res): status, headers, body, Content-Length, then closes", async function () {
      const seen = [];
      const { port } = await serve((req, res) => {
        seen.push([req.method, req.url, req.path, req.headers['host']]);
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<h1>board</h1>');
      });
      const r = parse(await exchange(port, get('/index.html?x=1')));
      assert.strictEqual(r.statusLine, 'HTTP/1.1 200 OK');
      assert.strictEqual(r.headers['content-type'], 'text/html');
      assert.strictEqual(r.headers['content-length'], '14');
      assert.strictEqual(r.headers['connection'], 'close');
      assert.strictEqual(r.body.toString(), '<h1>board</h1>');
      assert.deepStrictEqual(seen.map((x) => x.map(String)), [['GET', '/index.html?x=1', '/index.html?x=1', 'board']]);
    });

    it('sends a body written in pieces (no Content-Length: it ends with the connection), bytes included', async function () {
      const { port } = await serve((req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.write('abc');
        res.write(new Uint8Array([0, 1, 255]));
        res.end('xyz');
      });
      const r = parse(await exchange(port, get()));
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.headers['content-length'], undefined);
      assert.deepStrictEqual([...r.body], [97, 98, 99, 0, 1, 255, 120, 121, 122]);
    });

    it('answers HEAD with the headers a GET gets and no body', async function () {
      const { port } = await serve((req, res) => res.end('0123456789'));
      const buf = await exchange(port, 'HEAD / HTTP/1.1\r\nHost: board\r\n\r\n');
      const r = parse(buf);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.headers['content-length'], '10');
      assert.strictEqual(r.body.length, 0);
    });

    it('sends a 20 KB page whole, paced, while a WebSocket client on the same port echoes', async function () {
      const page = Buffer.alloc(20000, 'p');
      page.write('<!doctype html>');
      const { port } = await serve((req, res) => res.end(page.toString('latin1')), { maxPayload: 65536 });
      const ws = await h.connect(port);
      const download = exchange(port, get(), { slow: 5 });
      for (let i = 0; i < 5; i++) await assertEcho(ws, 'while the page goes out ' + i);
      const r = parse(await download);
      assert.strictEqual(r.headers['content-length'], '20000');
      assert.ok(r.body.equals(page), 'the page arrived intact');
      await assertEcho(ws, 'after');
    });

    it('does not read a request body, and still answers', async function () {
      const { port } = await serve((req, res) => res.end(req.method + ' ' + req.url));
      const r = parse(await exchange(port, 'POST /form HTTP/1.1\r\nHost: board\r\nContent-Length: 5000\r\n\r\n' + 'b'.repeat(5000)));
      assert.strictEqual(r.body.toString(), 'POST /form');
    });

    it('applies the upgrade limits: 431 past maxHeader, 503 when maxConnections are open, a cut at handshakeTimeout', async function () {
      const { port } = await serve((req, res) => res.end('page'), { maxHeader: 256, maxConnections: 1, handshakeTimeout: 300 });
      assert.strictEqual(parse(await exchange(port, get('/', 'X-Pad: ' + 'p'.repeat(300) + '\r\n'))).status, 431);
      const ws = await h.connect(port);
      assert.strictEqual(parse(await exchange(port, get())).status, 503);
      ws.close();
      await ws.closes.next();
      // A head that never ends is cut, with no answer.
      assert.strictEqual((await exchange(port, 'GET / HTTP/1.1\r\nHost: b')).length, 0);
      assert.strictEqual(parse(await exchange(port, get())).body.toString(), 'page');
    });

    it("without a 'request' listener: today's 426, now with a short body, and never left hanging", async function () {
      const { port } = await serve(null);
      const r = parse(await exchange(port, get()));
      assert.strictEqual(r.status, 426);
      assert.strictEqual(r.headers['sec-websocket-version'], '13');
      assert.strictEqual(r.body.toString(), '426 Upgrade Required\n');
      assert.strictEqual(r.headers['content-length'], String(r.body.length));
    });

    it("what a 'request' listener throws goes to the server's 'error'; the connection does not hang", async function () {
      const errors = [];
      const { server, port } = await serve(() => {
        throw new Error('page failed');
      }, { closeTimeout: 200 });
      server.on('error', (e) => errors.push(e.message));
      const buf = await exchange(port, get());
      assert.strictEqual(buf.length, 0);
      assert.deepStrictEqual(errors, ['page failed']);
    });

    it('broadcast() sends the same message to every open socket and says how many took it', async function () {
      const { server, port, conns } = await h.startServer({ sendType: 'application/json' });
      const clients = [];
      for (let i = 0; i < 3; i++) {
        clients.push(await h.connect(port));
        await conns.next();
      }
      assert.strictEqual(server.broadcast({ reading: 42 }), 3);
      for (const c of clients) {
        const [m, isBinary] = await c.messages.next();
        assert.strictEqual(isBinary, false);
        assert.deepStrictEqual(JSON.parse(m), { reading: 42 });
      }
      assert.strictEqual(server.broadcast(new Uint8Array([1, 2, 3])), 3);
      for (const c of clients) assert.deepStrictEqual([...(await c.messages.next())[0]], [1, 2, 3]);
      clients[0].close();
      await clients[0].closes.next();
      await new Promise((r) => setImmediate(r));
      assert.strictEqual(server.broadcast('two left'), server.sockets.length);
    });

    it("broadcast() keeps each socket's queue policy: a full queue refuses, the others take it", async function () {
      const { server, port, conns } = await h.startServer({ maxQueue: 100 });
      const a = await h.connect(port), sa = (await conns.next()).socket;
      await h.connect(port);
      await conns.next();
      // a's queue already holds a message: the next one would pass maxQueue there.
      sa.send(new Uint8Array(90));
      assert.strictEqual(server.broadcast(new Uint8Array(50)), 1);
      const [first] = await a.messages.next();
      assert.strictEqual(first.length, 90);
    });

    if (target.name !== 'node') {
      it('refuses sslTls: true with a TypeError that says there is no TLS server', function () {
        assert.throws(() => new h.mod.Server(h.options({ sslTls: true, pfxKeyCertPath: 'key.pfx' }, 8080)),
          (e) => e instanceof TypeError && /sslTls/.test(e.message) && /TLS/.test(e.message));
      });
    }
  });
}

describe('wss:// on Node (sslTls, with a PFX file the test makes)', function () {
  this.timeout(30000);
  const node = targets.find((t) => t.name === 'node');
  let dir, pfx, h;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wss-tls-'));
    pfx = path.join(dir, 'server.pfx');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out',
        path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      execFileSync('openssl', ['pkcs12', '-export', '-inkey', path.join(dir, 'key.pem'), '-in', path.join(dir, 'cert.pem'),
        '-out', pfx, '-passout', 'pass:secret'], { stdio: 'ignore' });
    } catch (e) {
      // No openssl command: the suite says so, pending.
      this.skip();
    }
  });

  beforeEach(function () {
    h = new Harness(node);
  });

  afterEach(async function () {
    await h.cleanup();
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function tlsServer() {
    const server = new h.mod.Server({ port: 0, hostInterface: '127.0.0.1', receiveType: 'text/plain', sendType: 'text/plain',
      sslTls: true, pfxKeyCertPath: pfx, pfxKeyCertPassword: 'secret' });
    h.servers.push(server);
    server.on('connection', (s) => s.on('message', (m) => s.send(m)));
    server.on('request', (req, res) => res.end('secure page'));
    const listening = waitFor(server, 'listening', { failOn: 'error' });
    server.start();
    return (await listening)[0];
  }

  it('serves wss:// and an https page on one port', async function () {
    const port = await tlsServer();
    const ws = new WebSocket('wss://127.0.0.1:' + port + '/', { rejectUnauthorized: false });
    h.clients.push(ws);
    ws.messages = collect(ws, 'message');
    await waitFor(ws, 'open', { failOn: 'error' });
    ws.send('over TLS');
    assert.strictEqual(String((await ws.messages.next())[0]), 'over TLS');
    const page = await new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject);
    });
    assert.deepStrictEqual(page, { status: 200, body: 'secure page' });
  });

  it("a wrong password is an 'error' that says which file", async function () {
    const server = new h.mod.Server({ port: await freePort(), hostInterface: '127.0.0.1', sslTls: true, pfxKeyCertPath: pfx, pfxKeyCertPassword: 'wrong' });
    h.servers.push(server);
    const failed = waitFor(server, 'error');
    server.start();
    const [e] = await failed;
    assert.ok(e.message.indexOf(pfx) >= 0, e.message);
  });

  it('sslTls without pfxKeyCertPath is a TypeError', function () {
    assert.throws(() => new h.mod.Server({ sslTls: true }), (e) => e instanceof TypeError && /pfxKeyCertPath/.test(e.message));
  });
});
