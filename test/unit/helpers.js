// Helpers for the protocol-core unit tests. They use only the stable entry
// points of the compiled core (dist/node/src/*.js): a connection with a
// recording handler, the opening handshake, masked client frames, and a parser
// for the server's (unmasked) output frames.
'use strict';
const path = require('path');
const crypto = require('crypto');
const assert = require('assert');

const root = path.join(__dirname, '..', '..');

/** A compiled module of the core, e.g. load('connection'). */
function load(name) {
  return require(path.join(root, 'dist', 'node', 'src', name + '.js'));
}

/** A JSON fixture from test/fixtures/unit. */
function fixture(name) {
  return require(path.join(root, 'test', 'fixtures', 'unit', name + '.json'));
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** base64(SHA-1(key + GUID)), computed here (RFC 6455 section 4.2.2), to
 *  check the product's answer against. */
const acceptFor = (key) => crypto.createHash('sha1').update(key + GUID).digest('base64');

const hex = (h) => Buffer.from(h, 'hex');
const bytes = (s) => Buffer.from(s, 'utf8');
/** A fresh Uint8Array with its own ArrayBuffer (the core unmasks in place). */
const copy = (b) => new Uint8Array(b);

/** The request head (with the closing blank line) for a list of lines. */
function requestBytes(lines) {
  return bytes(lines.join('\r\n') + '\r\n\r\n');
}

const BASIC_REQUEST = [
  'GET /chat HTTP/1.1',
  'Host: server.example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13'
];

const DEFAULT_LIMITS = { maxPayload: 1 << 20, maxHeader: 8192, fragment: 0 };

// The Node target fills in the core's host (host.ts); the records below are
// real Sockets of its Server, never started, with a stand-in TCP socket.
const node = require(path.join(root, 'dist', 'node', 'targets', 'node', 'index.js'));

/** A TCP socket that takes nothing: the tests pull output themselves. */
function fakeSock() {
  return { cork() {}, uncork() {}, write() { return true; }, end() {}, destroy() { this.destroyed = true; }, destroyed: false };
}

/**
 * A connection record (a Socket of a Server with these limits), with test
 * adapters over the core's functions: _receive(b), _send(data, binary),
 * _ping(p), _close(code, reasonBytes), and _out (_flush(budget,
 * write(data, start, end)), _empty(), _buffered).
 */
function newConn(limits, verify) {
  const { receive } = load('incoming/receive');
  const { enqueue, pull } = load('outgoing/send-queue');
  const { startClose } = load('connection');
  const { offer } = load('socket');
  const server = new node.Server(Object.assign({ receiveType: 'application/octet-stream', pingInterval: 0 }, limits, verify ? { verify } : {}));
  const conn = new node.Socket(server, fakeSock());
  conn._receive = (b) => receive(conn, b);
  conn._send = (data, binary) => offer(conn, data, binary);
  conn._ping = (p) => conn._state == 1 && (enqueue(conn, 9, p), true);
  conn._close = (code, reason) => startClose(conn, code, reason);
  conn._out = {
    // (A short frame's header comes with its payload, in one call: here it
    // is written first, and an empty payload not at all. Without a header,
    // the core never hands over an empty range.)
    _flush: (budget, write) => Math.max(0, pull(conn, budget, (c, d, s, e, head) => {
      assert.strictEqual(c, conn, 'the writer is given the connection');
      assert.ok(head || e > s, 'an empty range and no header');
      if (head) write(head, 0, head.length);
      if (e > s) write(d, s, e);
    })),
    _empty: () => !conn._outHead && !conn._outBody && !conn._pongFrames && !conn._pingFrame && !conn._queue.length,
    get _buffered() {
      return conn.bufferedAmount;
    }
  };
  return { server, conn };
}

/**
 * A connection that records everything it reports: 'request' (each request
 * verify() was asked about), 'open', 'message', 'pong', 'error'.
 * opts.limits: overrides of DEFAULT_LIMITS; opts.request(req): what verify()
 * answers (0 or true accepts, the default).
 */
function makeConn(opts) {
  opts = opts || {};
  const limits = Object.assign({}, DEFAULT_LIMITS, opts.limits);
  const events = [];
  const t = { events, limits };
  const { server, conn } = newConn(limits, (req) => {
    // A copy: the socket keeps the request without the handshake's own headers.
    events.push({ type: 'request', req: Object.assign({}, req, { headers: Object.assign({}, req.headers) }) });
    const answer = opts.request ? opts.request(req) : true;
    return answer === 0 ? true : answer;
  });
  server.on('connection', (s) => events.push({ type: 'open', req: s.request }));
  // Copies: the data may be a view of a chunk.
  conn.on('message', (data, isBinary) => events.push({ type: 'message', data: Buffer.from(data), binary: isBinary }));
  conn.on('pong', (payload) => events.push({ type: 'pong', data: Buffer.from(payload) }));
  conn.on('error', (e) => events.push({ type: 'error', code: e.closeCode, message: e.message }));
  t.conn = conn;
  t.server = server;
  /** Delivers bytes (a copy of them, in one chunk). */
  t.receive = (b) => conn._receive(copy(b));
  /** Delivers each chunk in turn. */
  t.receiveChunks = (chunks) => chunks.forEach((c) => t.receive(c));
  /** Everything queued for output, flushed with the given budget per call. */
  t.drain = (budget) => drain(conn, budget);
  t.of = (type) => events.filter((e) => e.type == type);
  t.messages = () => t.of('message');
  t.errors = () => t.of('error');
  /** Sends the basic request and checks the 101 response; returns it. */
  t.handshake = (lines) => {
    t.receive(requestBytes(lines || BASIC_REQUEST));
    const res = parseHttp(t.drain());
    assert.strictEqual(res.statusLine, 'HTTP/1.1 101 Switching Protocols');
    assert.strictEqual(conn._state, 1, 'state OPEN after the handshake');
    return res;
  };
  /** Flushes the output and parses it as server frames. */
  t.frames = () => parseFrames(t.drain());
  return t;
}

/** Makes a Connection and completes the handshake. */
function openConn(opts) {
  const t = makeConn(opts);
  t.handshake();
  return t;
}

/** Flushes all of the Connection's output, `budget` bytes per _flush call;
 *  _flush hands over ranges (data, start, end) of the queued arrays. */
function drain(conn, budget) {
  budget = budget || 1 << 30;
  const pieces = [];
  for (;;) {
    let got = 0;
    const n = conn._out._flush(budget, (d, s, e) => {
      assert.ok(s >= 0 && s < e && e <= d.length, 'write gets a non-empty range inside the array');
      const p = d.subarray(s, e);
      got += p.length;
      pieces.push(Buffer.from(p));
    });
    assert.strictEqual(n, got, '_flush returns the number of bytes it wrote');
    assert.ok(n <= budget, '_flush keeps to its budget');
    if (!n) break;
  }
  return Buffer.concat(pieces);
}

const MASK = hex('37fa213d');

/**
 * A client frame: spec.opcode, spec.payload (bytes or string); options fin
 * (default true), rsv (0-7), mask (4 bytes, default the RFC 6455 example
 * mask), masked (default true), length (to lie about the payload length).
 */
function clientFrame(spec) {
  const payload = typeof spec.payload == 'string' ? bytes(spec.payload) : Buffer.from(spec.payload || []);
  const fin = spec.fin === undefined ? true : spec.fin;
  const masked = spec.masked === undefined ? true : spec.masked;
  const mask = spec.mask ? Buffer.from(spec.mask) : MASK;
  const len = spec.length === undefined ? payload.length : spec.length;
  const b0 = (fin ? 0x80 : 0) | ((spec.rsv || 0) << 4) | spec.opcode;
  const m = masked ? 0x80 : 0;
  let head;
  if (len < 126) head = Buffer.from([b0, m | len]);
  else if (len < 65536) head = Buffer.from([b0, m | 126, len >> 8, len & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = m | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

const text = (s, o) => clientFrame(Object.assign({ opcode: 1, payload: s }, o));
const binary = (b, o) => clientFrame(Object.assign({ opcode: 2, payload: b }, o));
const ping = (p, o) => clientFrame(Object.assign({ opcode: 9, payload: p }, o));
const pong = (p, o) => clientFrame(Object.assign({ opcode: 10, payload: p }, o));
const cont = (p, o) => clientFrame(Object.assign({ opcode: 0, payload: p }, o));
/** A client close frame; code undefined for an empty payload. */
function close(code, reason, o) {
  const payload = code === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([code >> 8, code & 255]), Buffer.from(reason || '')]);
  return clientFrame(Object.assign({ opcode: 8, payload }, o));
}

/**
 * Parses server frames. Throws when a frame is masked or cut short (a server
 * frame can only be cut if the output stream is broken).
 */
function parseFrames(buf) {
  const frames = [];
  let i = 0;
  while (i < buf.length) {
    assert.ok(buf.length - i >= 2, 'truncated frame header at ' + i);
    const b0 = buf[i], b1 = buf[i + 1];
    let len = b1 & 0x7f, h = 2;
    if (len == 126) {
      assert.ok(buf.length - i >= 4, 'truncated 16-bit length');
      len = buf.readUInt16BE(i + 2);
      h = 4;
    } else if (len == 127) {
      assert.ok(buf.length - i >= 10, 'truncated 64-bit length');
      len = Number(buf.readBigUInt64BE(i + 2));
      h = 10;
    }
    assert.strictEqual(b1 & 0x80, 0, 'server frames are not masked');
    assert.ok(buf.length - i - h >= len, 'truncated payload at ' + i);
    const payload = buf.subarray(i + h, i + h + len);
    const f = { fin: !!(b0 & 0x80), rsv: (b0 >> 4) & 7, opcode: b0 & 15, length: len, headerLength: h, payload, offset: i };
    if (f.opcode == 8) {
      f.code = len >= 2 ? payload.readUInt16BE(0) : undefined;
      f.reason = len > 2 ? payload.subarray(2).toString('utf8') : '';
    }
    frames.push(f);
    i += h + len;
  }
  return frames;
}

/** Parses a complete HTTP response: statusLine, status, headers (names
 *  lower-cased), body. Checks Content-Length against the body. */
function parseHttp(buf) {
  const s = buf.toString('latin1');
  const end = s.indexOf('\r\n\r\n');
  assert.ok(end >= 0, 'the response head ends with an empty line: ' + JSON.stringify(s));
  const lines = s.slice(0, end).split('\r\n');
  const statusLine = lines.shift();
  const m = /^HTTP\/1\.1 (\d{3}) (.+)$/.exec(statusLine);
  assert.ok(m, 'HTTP/1.1 status line: ' + JSON.stringify(statusLine));
  const headers = {};
  for (const l of lines) {
    const c = l.indexOf(':');
    assert.ok(c > 0, 'header line: ' + JSON.stringify(l));
    headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  const body = buf.subarray(end + 4);
  if (headers['content-length'] !== undefined) {
    assert.strictEqual(Number(headers['content-length']), body.length, 'Content-Length matches the body');
  }
  return { statusLine, status: Number(m[1]), reason: m[2], headers, body, head: s.slice(0, end + 4) };
}

/** Every way to cut `buf` in two: [[a, b], ...] for cut points 1..length-1. */
function* splits(buf) {
  for (let k = 1; k < buf.length; k++) yield [buf.subarray(0, k), buf.subarray(k), k];
}

/** Cuts `buf` into single bytes. */
function byteChunks(buf) {
  const out = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}

/** A seeded PRNG (mulberry32): returns floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic payload bytes of a given length. */
function pattern(n, seed) {
  const b = Buffer.alloc(n);
  let x = (seed || 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

module.exports = {
  root, load, fixture, newConn, acceptFor, GUID, hex, bytes, copy, requestBytes, BASIC_REQUEST, DEFAULT_LIMITS,
  makeConn, openConn, drain, clientFrame, text, binary, ping, pong, cont, close, MASK,
  parseFrames, parseHttp, splits, byteChunks, prng, pattern
};
