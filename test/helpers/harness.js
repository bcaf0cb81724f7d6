// Shared helpers for the behaviour suites: start servers of a target, connect
// `ws` clients and raw TCP clients, wait for events with a timeout, collect
// events, and build/parse WebSocket frames and HTTP handshakes by hand.
'use strict';
const { freePort } = require('./free-port');
const { frame: rawFrame } = require('./raw-client');
const net = require('net');
const crypto = require('crypto');
const WebSocket = require('ws');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const TIMEOUT = 5000;

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects if `promise` does not settle within `ms`. */
function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out after ' + ms + ' ms waiting for ' + what)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the arguments (an array) of the next `event` on `emitter`
 * (a Node EventEmitter or the product's Emitter). Options: timeout (ms),
 * filter(args) to skip events, failOn: an event name that rejects instead.
 */
function waitFor(emitter, event, options) {
  const o = options || {};
  const ms = o.timeout || TIMEOUT;
  return new Promise((resolve, reject) => {
    let timer;
    function done() {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (o.failOn) emitter.off(o.failOn, onFail);
    }
    function onEvent(...args) {
      if (o.filter && !o.filter(args)) return;
      done();
      resolve(args);
    }
    function onFail(err) {
      done();
      reject(err instanceof Error ? err : new Error(o.failOn + ' while waiting for ' + event + ': ' + err));
    }
    timer = setTimeout(() => {
      done();
      reject(new Error('timed out after ' + ms + ' ms waiting for "' + event + '"'));
    }, ms);
    emitter.on(event, onEvent);
    if (o.failOn) emitter.on(o.failOn, onFail);
  });
}

/** A queue of values: push() adds one, next() resolves with the next unread. */
function queue(what) {
  const fake = { _fn: null, on(ev, fn) { this._fn = fn; } };
  const c = collect(fake, what);
  c.push = (v) => fake._fn(v);
  const next = c.next;
  c.next = async (timeout) => (await next(timeout))[0];
  return c;
}

/**
 * Records every `event` of `emitter` from now on. `items` holds the argument
 * arrays; next() resolves with the next unconsumed one (waiting if needed).
 */
function collect(emitter, event) {
  const c = {
    items: [],
    _read: 0,
    _waiters: [],
    next(timeout) {
      if (c._read < c.items.length) return Promise.resolve(c.items[c._read++]);
      const ms = timeout || TIMEOUT;
      return new Promise((resolve, reject) => {
        const w = { resolve, timer: null };
        w.timer = setTimeout(() => {
          c._waiters.splice(c._waiters.indexOf(w), 1);
          reject(new Error('timed out after ' + ms + ' ms waiting for "' + event + '" #' + (c._read + 1)));
        }, ms);
        c._waiters.push(w);
      });
    },
    /** Resolves once `n` events in all have been recorded. */
    async count(n, timeout) {
      const ms = timeout || TIMEOUT;
      const start = Date.now();
      while (c.items.length < n) {
        if (Date.now() - start > ms) throw new Error('timed out waiting for ' + n + ' "' + event + '" events, got ' + c.items.length);
        await delay(5);
      }
      return c.items;
    }
  };
  emitter.on(event, (...args) => {
    c.items.push(args);
    const w = c._waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(c.items[c._read++]);
    }
  });
  return c;
}

/** base64(SHA-1(key + GUID)), as RFC 6455 section 4.2.2 computes it. */
function acceptFor(key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

function newKey() {
  return crypto.randomBytes(16).toString('base64');
}

/**
 * An HTTP upgrade request. `headers` is a list of [name, value] pairs, so
 * names may have any case and order; by default a valid request for `port`.
 */
function upgradeRequest(port, options) {
  const o = options || {};
  const key = o.key || newKey();
  const headers = o.headers || [
    ['Host', '127.0.0.1:' + port],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13']
  ];
  const line = (o.method || 'GET') + ' ' + (o.path || '/') + ' ' + (o.version || 'HTTP/1.1');
  return { key, text: line + '\r\n' + headers.map((h) => h[0] + ': ' + h[1] + '\r\n').join('') + '\r\n' };
}

/**
 * A browser's upgrade request from test/fixtures/browser-heads.json, for a
 * server on `port`: its text, and the headers socket.request is to keep
 * (lower-cased names), with the fixture's {host} and {key} filled in.
 */
function browserRequest(browser, port) {
  const key = newKey();
  const fill = (v) => v.replace(/\{host\}/g, '127.0.0.1:' + port).replace(/\{key\}/g, key);
  const kept = {};
  for (const name in browser.kept) kept[name] = fill(browser.kept[name]);
  return { text: upgradeRequest(port, { key, headers: browser.headers.map(([n, v]) => [n, fill(v)]) }).text, kept };
}

/** A client frame: masked unless mask === false (raw-client.js builds it). */
function frame(opcode, payload, options) {
  const o = options || {};
  return rawFrame({ opcode, payload: Buffer.from(payload || []), fin: o.fin, mask: o.mask, maskKey: o.maskKey });
}

/** Parses one frame from the start of `buf`: null if it is incomplete. */
function parseFrame(buf) {
  if (buf.length < 2) return null;
  const fin = !!(buf[0] & 0x80), rsv = (buf[0] >> 4) & 7, opcode = buf[0] & 15;
  const masked = !!(buf[1] & 0x80);
  let len = buf[1] & 0x7f, i = 2;
  if (len == 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    i = 4;
  } else if (len == 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    i = 10;
  }
  let key = null;
  if (masked) {
    if (buf.length < i + 4) return null;
    key = buf.subarray(i, i + 4);
    i += 4;
  }
  if (buf.length < i + len) return null;
  const payload = Buffer.from(buf.subarray(i, i + len));
  if (key) for (let j = 0; j < len; j++) payload[j] ^= key[j & 3];
  return { fin, rsv, opcode, masked, payload, size: i + len };
}

/** Parses an HTTP response head (up to and including the blank line). */
function parseHead(text) {
  const lines = text.split('\r\n');
  const statusLine = lines[0];
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine);
  const headers = {};
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const c = line.indexOf(':');
    const name = line.slice(0, c).trim().toLowerCase();
    headers[name] = headers[name] ? headers[name] + ', ' + line.slice(c + 1).trim() : line.slice(c + 1).trim();
  }
  return {
    statusLine,
    version: m ? m[1] : null,
    status: m ? Number(m[2]) : NaN,
    reasonPhrase: m ? m[3] : null,
    headers
  };
}

/** A raw TCP client that buffers what it receives and reads it on demand. */
class RawClient {
  constructor(port) {
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.closed = false;
    this.error = null;
    this._checks = [];
    const sock = (this.sock = net.connect(port, '127.0.0.1'));
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this._poll();
    });
    sock.on('end', () => {
      this.ended = true;
      this._poll();
    });
    sock.on('close', () => {
      this.closed = true;
      this._poll();
    });
    sock.on('error', (e) => {
      this.error = e;
    });
  }

  connected() {
    if (this.sock.connecting === false && !this.sock.destroyed) return Promise.resolve();
    return waitFor(this.sock, 'connect', { failOn: 'error' });
  }

  write(b) {
    return new Promise((resolve, reject) => this.sock.write(b, (e) => (e ? reject(e) : resolve())));
  }

  /** Writes `b` one byte per TCP write, pausing `gap` ms between bytes. */
  async writeBytewise(b, gap) {
    const bytes = Buffer.from(b);
    for (let i = 0; i < bytes.length; i++) {
      await this.write(bytes.subarray(i, i + 1));
      await delay(gap === undefined ? 1 : gap);
    }
  }

  destroy() {
    this.sock.destroy();
  }

  _poll() {
    for (const c of this._checks.slice()) c();
  }

  /** Waits until take() returns something other than undefined. take() may
   *  consume from this.buf. Rejects on timeout, or if the connection ends first. */
  until(take, what, timeout) {
    const ms = timeout || TIMEOUT;
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let v;
        try {
          v = take();
        } catch (e) {
          finish();
          return reject(e);
        }
        if (v !== undefined) {
          finish();
          resolve(v);
        } else if (this.closed || this.ended) {
          finish();
          reject(new Error('connection ended while waiting for ' + what + ' (have ' + this.buf.length + ' bytes: ' +
            JSON.stringify(this.buf.toString('latin1').slice(0, 200)) + ')'));
        }
      };
      const finish = () => {
        clearTimeout(timer);
        const i = this._checks.indexOf(check);
        if (i >= 0) this._checks.splice(i, 1);
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error('timed out after ' + ms + ' ms waiting for ' + what + ' (have ' + this.buf.length + ' bytes: ' +
          JSON.stringify(this.buf.toString('latin1').slice(0, 200)) + ')'));
      }, ms);
      this._checks.push(check);
      check();
    });
  }

  /** Reads an HTTP response head; the bytes after it stay in the buffer. */
  readHead(timeout) {
    return this.until(() => {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const head = this.buf.subarray(0, end + 4).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      return Object.assign(parseHead(head), { raw: head });
    }, 'an HTTP response head', timeout);
  }

  /** Reads one WebSocket frame. */
  readFrame(timeout) {
    return this.until(() => {
      const f = parseFrame(this.buf);
      if (!f) return undefined;
      this.buf = this.buf.subarray(f.size);
      return f;
    }, 'a frame', timeout);
  }

  /** Waits until the peer has closed the connection (FIN or reset). */
  closedByPeer(timeout) {
    const ms = timeout || TIMEOUT;
    if (this.ended || this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.ended || this.closed) {
          clearTimeout(timer);
          this._checks.splice(this._checks.indexOf(check), 1);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this._checks.splice(this._checks.indexOf(check), 1);
        reject(new Error('timed out after ' + ms + ' ms waiting for the server to close the TCP connection'));
      }, ms);
      this._checks.push(check);
    });
  }
}

/** A server connection as a test sees it: the Socket and its recorded events. */
function watchSocket(socket) {
  return {
    socket,
    messages: collect(socket, 'message'),
    errors: collect(socket, 'error'),
    closes: collect(socket, 'close'),
    pongs: collect(socket, 'pong'),
    opens: collect(socket, 'open')
  };
}

/** Per-test state for one target: everything started here is shut in cleanup(). */
class Harness {
  constructor(target) {
    this.target = target;
    this.mod = target.load();
    this.servers = [];
    this.clients = [];
    this.raws = [];
  }

  /** The target module's Server options for a test: the target's defaults,
   *  then the test's, then the interface and port. */
  options(opts, port) {
    return Object.assign({}, this.target.defaults || {}, opts || {}, { hostInterface: '127.0.0.1', port });
  }

  /**
   * Starts a server and waits for 'listening'. options.echo: echo every
   * message with socket.send(m). options.onSocket(socket): called first in
   * 'connection'. Resolves with { server, port, conns } where conns.next()
   * gives watchSocket() records of the connections in order.
   */
  async startServer(opts, extra) {
    const x = extra || {};
    const port = this.target.pickPort ? await freePort() : 0;
    const server = new this.mod.Server(this.options(opts, port));
    this.servers.push(server);
    const conns = queue('connection');
    server.on('connection', (socket) => {
      // Watch first, so no event of the socket is missed.
      const w = watchSocket(socket);
      if (x.onSocket) x.onSocket(socket);
      if (x.echo) socket.on('message', (m) => socket.send(m));
      conns.push(w);
    });
    const listening = waitFor(server, 'listening', { failOn: 'error' });
    server.start();
    const [reported] = await listening;
    return { server, port: reported, requestedPort: port, conns };
  }

  /** Starts a text/plain echo server. */
  echoServer(opts) {
    return this.startServer(Object.assign({ receiveType: 'text/plain', sendType: 'text/plain' }, opts), { echo: true });
  }

  /** A `ws` client, resolved once open. Its messages are in client.messages
   *  (argument arrays [data, isBinary]). */
  async connect(port, path, wsOptions) {
    const client = new WebSocket('ws://127.0.0.1:' + port + (path || '/'), wsOptions);
    this.clients.push(client);
    client.errors = [];
    client.on('error', (e) => client.errors.push(e));
    client.messages = collect(client, 'message');
    client.closes = collect(client, 'close');
    await waitFor(client, 'open', { failOn: 'error' });
    return client;
  }

  /** A raw TCP client, resolved once connected. */
  async raw(port) {
    const r = new RawClient(port);
    this.raws.push(r);
    await r.connected();
    return r;
  }

  /** A raw TCP client that has completed a valid handshake. */
  async rawHandshake(port, path) {
    const r = await this.raw(port);
    const req = upgradeRequest(port, { path });
    await r.write(req.text);
    const head = await r.readHead();
    if (head.status !== 101) throw new Error('handshake refused: ' + head.statusLine);
    return r;
  }

  async cleanup() {
    for (const c of this.clients) {
      try {
        c.terminate();
      } catch (e) {
        // already gone
      }
    }
    for (const r of this.raws) r.destroy();
    for (const s of this.servers) {
      try {
        s.stop();
      } catch (e) {
        // already stopped
      }
    }
    this.clients = [];
    this.raws = [];
    this.servers = [];
    await delay(1);
  }
}

/** Sends `text` from a ws client and checks that the echo comes back intact. */
async function assertEcho(client, text) {
  const assert = require('assert');
  client.send(text);
  const [data, isBinary] = await client.messages.next();
  assert.strictEqual(isBinary, false);
  assert.strictEqual(data.toString('utf8'), text);
}

/** A connection the server failed with `code`: the ws client gets a close
 *  frame with it, and the server's socket emits an Error carrying it as
 *  closeCode, then 'close' with it. */
async function assertFailed(client, conn, code) {
  const assert = require('assert');
  const [ccode] = await client.closes.next();
  assert.strictEqual(ccode, code, 'the close code the client got');
  const [err] = await conn.errors.next();
  assert.ok(err instanceof Error);
  assert.strictEqual(err.closeCode, code);
  const [scode] = await conn.closes.next();
  assert.strictEqual(scode, code, "the server socket's 'close' code");
}

/** A string of exactly `n` UTF-8 bytes, using 1- to 4-byte characters. */
function utf8Text(n) {
  const chars = ['a', '\u00e9', '\u20ac', '\ud83d\ude00', 'Z', '\u00df', '\u4e2d', ' '];
  let s = '', size = 0, i = 0;
  while (size < n) {
    let ch = chars[i++ % chars.length];
    let len = Buffer.byteLength(ch);
    if (size + len > n) {
      ch = 'x';
      len = 1;
    }
    s += ch;
    size += len;
  }
  return s;
}

/** global.gc, or one obtained through --expose-gc at run time; null if neither works. */
function getGc() {
  if (typeof global.gc === 'function') return global.gc;
  try {
    require('v8').setFlagsFromString('--expose-gc');
    const gc = require('vm').runInNewContext('gc');
    return typeof gc === 'function' ? gc : null;
  } catch (e) {
    return null;
  }
}

/** Polls until check() returns something other than undefined or false, and returns it. */
async function until(check, what, ms) {
  const end = Date.now() + (ms || 5000);
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await delay(5);
  }
}

module.exports = {
  GUID,
  getGc,
  until,
  TIMEOUT,
  delay,
  withTimeout,
  waitFor,
  collect,
  queue,
  freePort,
  acceptFor,
  newKey,
  upgradeRequest,
  browserRequest,
  frame,
  parseFrame,
  parseHead,
  RawClient,
  Harness,
  watchSocket,
  assertEcho,
  assertFailed,
  utf8Text
};
