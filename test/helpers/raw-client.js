// A raw WebSocket client over `net`, for conformance tests: it writes whatever
// bytes a test asks for (masked frames with any header bits, bare bytes,
// several frames per write, writes split at chosen positions or chopped into
// pieces) and records, in order, every frame the server sends back, the
// messages they make, and when the TCP connection closes.
//
//   const c = await RawClient.connect(port);
//   await c.send([{ opcode: 1, payload: 'Hello' }]);       // one write
//   await c.send(bytes, { chop: 1 });                        // 1-byte writes
//   await c.waitEvents(1);                                   // c.events[0]: { type: 'text', data }
//   c.sendClose(1000); await c.waitClosed();
//
// The server's frames are checked as they are parsed (RFC 6455 section 5):
// a masked server frame, RSV bits, an unknown opcode, a fragmented or
// oversized control frame, broken fragmentation, invalid UTF-8 in a text
// message or close reason, or any frame after the close frame goes into
// `violations`.
'use strict';

const net = require('net');
const crypto = require('crypto');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };
const OP_NAME = { 0: 'cont', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

/** Bytes from a Buffer, Uint8Array, array of numbers, or a string (as UTF-8). */
function bytes(p) {
  if (p === undefined || p === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(p)) return p;
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  if (p instanceof Uint8Array) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (Array.isArray(p)) return Buffer.from(p);
  throw new TypeError('not bytes: ' + p);
}

function hex(h) {
  return Buffer.from(h.replace(/\s+/g, ''), 'hex');
}

/** The payload of a close frame: the code (big-endian) then the reason. */
function closePayload(code, reason) {
  if (code === undefined || code === null) return Buffer.alloc(0);
  const r = bytes(reason);
  const p = Buffer.alloc(2 + r.length);
  p.writeUInt16BE(code, 0);
  r.copy(p, 2);
  return p;
}

/**
 * One client frame. spec: { fin = true, rsv = 0 (3 bits: 4 = RSV1, 2 = RSV2,
 * 1 = RSV3), opcode, payload, mask = true, maskKey (4 bytes; random if not
 * given), length (a length to put in the header instead of the real one) }.
 */
function frame(spec) {
  const fin = spec.fin === undefined ? true : !!spec.fin;
  const rsv = spec.rsv || 0, opcode = spec.opcode;
  const masked = spec.mask === undefined ? true : !!spec.mask;
  const p = bytes(spec.payload);
  const len = spec.length === undefined ? p.length : spec.length;
  let head;
  if (len < 126) {
    head = Buffer.alloc(2);
    head[1] = len;
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 15);
  if (!masked) return Buffer.concat([head, p]);
  head[1] |= 0x80;
  const key = spec.maskKey ? bytes(spec.maskKey) : crypto.randomBytes(4);
  const out = Buffer.alloc(head.length + 4 + p.length);
  head.copy(out, 0);
  key.copy(out, head.length);
  const o = head.length + 4;
  for (let i = 0; i < p.length; i++) out[o + i] = p[i] ^ key[i & 3];
  return out;
}

/** Frame specs, Buffers and arrays of them, as one Buffer. */
function encode(what) {
  if (Array.isArray(what) && (what.length === 0 || typeof what[0] !== 'number')) {
    return Buffer.concat(what.map(encode));
  }
  if (Buffer.isBuffer(what) || what instanceof Uint8Array || Array.isArray(what)) return bytes(what);
  return frame(what);
}

/** Splits b into frame specs of at most `size` payload bytes each: one message
 *  (opcode 1 or 2) fragmented into continuation frames. */
function fragments(opcode, payload, size) {
  const p = bytes(payload), out = [];
  if (!p.length) return [{ opcode, payload: p }];
  for (let i = 0; i < p.length; i += size) {
    out.push({ opcode: i ? OP.CONT : opcode, fin: i + size >= p.length, payload: p.subarray(i, i + size) });
  }
  return out;
}

function isUtf8(b) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch (e) {
    return false;
  }
}

const nextTurn = () => new Promise((r) => setImmediate(r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Incremental parser for server frames: chunks of any size in, frames out. */
class FrameReader {
  constructor(onFrame) {
    this._onFrame = onFrame;
    this._chunks = [];
    this._have = 0;
    this._need = 2; // bytes needed before the next step can run
  }

  push(chunk) {
    this._chunks.push(chunk);
    this._have += chunk.length;
    while (this._have >= this._need) {
      const buf = this._chunks.length === 1 ? this._chunks[0] : Buffer.concat(this._chunks);
      let used = 0;
      for (;;) {
        const r = this._parse(buf, used);
        if (r < 0) break;
        used = r;
      }
      const rest = buf.subarray(used);
      this._chunks = rest.length ? [rest] : [];
      this._have = rest.length;
      if (!used) break;
    }
  }

  /** Parses one frame at buf[i..]; returns the index after it, or -1 (and
   *  sets _need) when more bytes are needed. */
  _parse(buf, i) {
    const avail = buf.length - i;
    if (avail < 2) {
      this._need = 2;
      return -1;
    }
    const b0 = buf[i], b1 = buf[i + 1];
    let len = b1 & 0x7f, h = 2;
    if (len === 126) {
      h = 4;
      if (avail < h) return this._wait(h);
      len = buf.readUInt16BE(i + 2);
    } else if (len === 127) {
      h = 10;
      if (avail < h) return this._wait(h);
      len = Number(buf.readBigUInt64BE(i + 2));
    }
    const masked = !!(b1 & 0x80);
    if (masked) h += 4;
    if (avail < h + len) return this._wait(h + len);
    let payload = Buffer.from(buf.subarray(i + h, i + h + len));
    if (masked) {
      const key = buf.subarray(i + h - 4, i + h);
      for (let k = 0; k < payload.length; k++) payload[k] ^= key[k & 3];
    }
    this._need = 2;
    this._onFrame({
      fin: !!(b0 & 0x80),
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 15,
      masked,
      length: len,
      headerLength: h,
      payload
    });
    return i + h + len;
  }

  _wait(n) {
    this._need = n;
    return -1;
  }
}

class RawClient {
  constructor(sock) {
    this.sock = sock;
    /** Every frame from the server, in order: { fin, rsv, opcode, masked, length, payload }. */
    this.frames = [];
    /** What the frames mean, in order: { type: 'text'|'binary', data } for
     *  messages, { type: 'ping'|'pong', data }, { type: 'close', code, reason, payload }. */
    this.events = [];
    /** Breaches of RFC 6455 by the server (strings). */
    this.violations = [];
    /** Everything that happened, with times: frames, 'fin', 'closed', 'error'. */
    this.log = [];
    /** The server sent a FIN (ended its side of the TCP connection). */
    this.gotFin = false;
    /** The TCP connection is gone. */
    this.closed = false;
    this.error = null;
    this.response = null;
    this._msg = null;
    this._raw = [];
    this._waiters = [];
    this._t0 = Date.now();
    this._reader = new FrameReader((f) => this._frame(f));
  }

  /**
   * Connects and performs the opening handshake. opts: { host, path, headers
   * (extra request headers, name -> value), key, timeout }. Resolves once a
   * 101 with the right Sec-WebSocket-Accept has arrived; rejects otherwise.
   */
  static connect(port, opts) {
    opts = opts || {};
    const host = opts.host || '127.0.0.1';
    const key = opts.key || crypto.randomBytes(16).toString('base64');
    const timeout = opts.timeout || 5000;
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      const c = new RawClient(sock);
      let head = Buffer.alloc(0), done = false;
      const timer = setTimeout(() => fail(new Error('no handshake response within ' + timeout + ' ms')), timeout);
      function fail(e) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        reject(e);
      }
      function onHead(chunk) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        sock.removeListener('data', onHead);
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const status = lines.shift();
        const headers = {}, raw = [];
        for (const l of lines) {
          const colon = l.indexOf(':');
          const name = l.slice(0, colon).trim().toLowerCase(), value = l.slice(colon + 1).trim();
          raw.push([name, value]);
          headers[name] = name in headers ? headers[name] + ', ' + value : value;
        }
        c.response = { status: status, code: Number(status.split(' ')[1]), headers, rawHeaders: raw };
        const expectAccept = crypto.createHash('sha1').update(key + GUID).digest('base64');
        let why = '';
        if (!/^HTTP\/1\.1 101( |$)/.test(status)) why = 'status line is ' + JSON.stringify(status);
        else if (!/(^|,)\s*websocket\s*(,|$)/i.test(headers.upgrade || '')) why = 'Upgrade header is ' + JSON.stringify(headers.upgrade);
        else if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection || '')) why = 'Connection header is ' + JSON.stringify(headers.connection);
        else if (headers['sec-websocket-accept'] !== expectAccept) {
          why = 'Sec-WebSocket-Accept is ' + JSON.stringify(headers['sec-websocket-accept']) + ', expected ' + expectAccept;
        }
        if (why) return fail(new Error('handshake failed: ' + why));
        done = true;
        clearTimeout(timer);
        c._attach();
        resolve(c);
        const rest = head.subarray(end + 4);
        if (rest.length) c._data(rest);
      }
      sock.setNoDelay(true);
      sock.on('data', onHead);
      sock.on('error', (e) => fail(e));
      sock.on('close', () => fail(new Error('connection closed during the handshake')));
      sock.on('connect', () => {
        const h = Object.assign({
          Host: host + ':' + port,
          Upgrade: 'websocket',
          Connection: 'Upgrade',
          'Sec-WebSocket-Key': key,
          'Sec-WebSocket-Version': '13'
        }, opts.headers || {});
        let req = 'GET ' + (opts.path || '/') + ' HTTP/1.1\r\n';
        for (const name of Object.keys(h)) req += name + ': ' + h[name] + '\r\n';
        sock.write(req + '\r\n');
      });
    });
  }

  _attach() {
    const sock = this.sock;
    sock.removeAllListeners('error');
    sock.removeAllListeners('close');
    sock.on('data', (b) => this._data(b));
    sock.on('end', () => {
      this.gotFin = true;
      this._note({ type: 'fin' });
    });
    sock.on('error', (e) => {
      this.error = e;
      this._note({ type: 'error', message: e.message });
    });
    sock.on('close', () => {
      this.closed = true;
      this._note({ type: 'closed' });
    });
  }

  _now() {
    return Date.now() - this._t0;
  }

  _note(entry) {
    entry.t = this._now();
    this.log.push(entry);
    this._check();
  }

  _data(b) {
    this._raw.push(b);
    this._reader.push(b);
    this._check();
  }

  _bad(why) {
    this.violations.push(why);
  }

  _frame(f) {
    f.t = this._now();
    this.frames.push(f);
    this.log.push({ type: 'frame', opcode: f.opcode, fin: f.fin, length: f.length, t: f.t });
    const name = OP_NAME[f.opcode] || 'opcode ' + f.opcode;
    if (f.masked) this._bad('server frame is masked (' + name + ')');
    if (f.rsv) this._bad('server frame has RSV bits ' + f.rsv + ' (' + name + ')');
    if (this.closeFrame) this._bad('frame (' + name + ') after the close frame');
    if ((f.opcode > 2 && f.opcode < 8) || f.opcode > 10) return this._bad('reserved opcode ' + f.opcode);
    if (f.opcode >= 8) {
      if (!f.fin) this._bad('fragmented control frame (' + name + ')');
      if (f.length > 125) this._bad('control frame with ' + f.length + '-byte payload (' + name + ')');
      if (f.opcode === OP.CLOSE) {
        const p = f.payload;
        const ev = { type: 'close', code: p.length >= 2 ? p.readUInt16BE(0) : undefined, reason: '', payload: p };
        if (p.length === 1) this._bad('close frame with a 1-byte payload');
        if (p.length >= 2) {
          const r = p.subarray(2);
          if (!isUtf8(r)) this._bad('close reason is not UTF-8');
          ev.reason = r.toString('utf8');
        }
        this.closeFrame = ev;
        this.events.push(ev);
      } else {
        this.events.push({ type: f.opcode === OP.PING ? 'ping' : 'pong', data: f.payload });
      }
      return;
    }
    if (f.opcode === OP.CONT) {
      if (!this._msg) return this._bad('continuation frame with nothing to continue');
    } else {
      if (this._msg) this._bad('new data frame inside a fragmented message');
      this._msg = { opcode: f.opcode, parts: [] };
    }
    this._msg.parts.push(f.payload);
    if (!f.fin) return;
    const m = this._msg;
    this._msg = null;
    const data = m.parts.length === 1 ? m.parts[0] : Buffer.concat(m.parts);
    if (m.opcode === OP.TEXT && !isUtf8(data)) this._bad('text message is not UTF-8');
    this.events.push({ type: m.opcode === OP.TEXT ? 'text' : 'binary', data, frames: m.parts.length });
  }

  /** Every byte received after the 101 response, as it came. */
  get received() {
    return Buffer.concat(this._raw);
  }

  /** Still possible to write? (Not after the server's close frame or FIN.) */
  get writable() {
    return !this.closed && !this.gotFin && !this.sock.destroyed && !this.closeFrame;
  }

  /**
   * Writes bytes: a Buffer, a frame spec, or an array of these (all joined).
   * opts: { chop: n — write n bytes at a time; splitAt: [offsets] — write
   * the pieces between these offsets; each: true — one write per array
   * element; gap: 'turn' (default: let the event loop run, so the server
   * reads each piece on its own), a number of milliseconds, or 0 for none }.
   * Writing stops once the server has closed (its close frame or FIN).
   * Resolves when everything is handed to the socket.
   */
  async send(what, opts) {
    opts = opts || {};
    let pieces;
    if (opts.each && Array.isArray(what)) pieces = what.map(encode);
    else {
      const b = encode(what);
      if (opts.chop) {
        pieces = [];
        for (let i = 0; i < b.length; i += opts.chop) pieces.push(b.subarray(i, i + opts.chop));
      } else if (opts.splitAt) {
        pieces = [];
        let from = 0;
        for (const at of opts.splitAt.concat([b.length])) {
          if (at > from) pieces.push(b.subarray(from, at));
          from = Math.max(from, at);
        }
      } else pieces = [b];
    }
    const gap = opts.gap === undefined ? 'turn' : opts.gap;
    for (let i = 0; i < pieces.length; i++) {
      if (!this.writable) return false;
      await this._write(pieces[i]);
      if (i < pieces.length - 1 && gap) await (gap === 'turn' ? nextTurn() : sleep(gap));
    }
    return true;
  }

  _write(b) {
    return new Promise((resolve) => {
      if (!b.length) return resolve();
      // Resolve once the bytes are handed to the kernel, or the socket is gone
      // (write errors end up in 'error').
      const gone = () => resolve();
      this.sock.once('close', gone);
      this.sock.write(b, () => {
        this.sock.removeListener('close', gone);
        resolve();
      });
    });
  }

  /** Sends a masked close frame (no payload when code is undefined). */
  sendClose(code, reason) {
    return this.send({ opcode: OP.CLOSE, payload: closePayload(code, reason) });
  }

  /** Resolves when pred(this) is true; rejects after `timeout` ms. */
  waitFor(pred, timeout, what) {
    if (pred(this)) return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject };
      w.timer = setTimeout(() => {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        reject(new Error('timed out after ' + timeout + ' ms waiting for ' + (what || 'a condition') +
          '; received: ' + this.describe()));
      }, timeout);
      this._waiters.push(w);
    });
  }

  /** Waits until at least n events (messages, pings, pongs, close) arrived. */
  waitEvents(n, timeout) {
    return this.waitFor((c) => c.events.length >= n || c.closed, timeout || 5000, n + ' event(s)')
      .then(() => {
        if (this.events.length < n) {
          throw new Error('connection closed after ' + this.events.length + ' of ' + n + ' expected event(s): ' + this.describe());
        }
        return this;
      });
  }

  /** Waits until the TCP connection is closed. */
  waitClosed(timeout) {
    return this.waitFor((c) => c.closed, timeout || 5000, 'the TCP connection to close');
  }

  _check() {
    for (const w of this._waiters.slice()) {
      if (w.pred(this)) {
        clearTimeout(w.timer);
        this._waiters.splice(this._waiters.indexOf(w), 1);
        w.resolve(this);
      }
    }
  }

  /** A short account of the events and TCP state, for error messages. */
  describe() {
    const ev = this.events.map(describeEvent);
    if (this.gotFin) ev.push('FIN');
    if (this.closed) ev.push('TCP closed');
    if (this.error) ev.push('error ' + this.error.code);
    return '[' + ev.join(', ') + ']' + (this.violations.length ? ' violations: ' + this.violations.join('; ') : '');
  }

  destroy() {
    for (const w of this._waiters) clearTimeout(w.timer);
    this._waiters = [];
    this.sock.destroy();
  }
}

function describeEvent(e) {
  if (e.type === 'close') {
    return 'close(' + (e.code === undefined ? (e.payload.length ? 'bad ' + e.payload.toString('hex') : 'empty') : e.code) +
      (e.reason ? ' ' + JSON.stringify(e.reason.slice(0, 40)) : '') + ')';
  }
  const d = e.data;
  const shown = d.length > 24 ? d.subarray(0, 24).toString('hex') + '...' : d.toString('hex');
  return e.type + '(' + d.length + ' bytes' + (d.length ? ' ' + shown : '') + ')';
}

module.exports = { RawClient, FrameReader, frame, encode, fragments, closePayload, bytes, hex, isUtf8, OP, GUID, describeEvent, sleep };
