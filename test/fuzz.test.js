// Property-based fuzzing (fast-check, fixed seeds) of the protocol core and of
// the Node server over TCP.
//
// The core Connection (dist/node/src/connection.js) is fed random and mutated
// input: byte soup before and after a valid handshake; sequences of generated
// frames (random fin/rsv/opcode/mask/length encodings, lying lengths, unmasked
// frames) mutated by bit flips, truncation, duplication, deletion and
// insertion, then cut into random chunks; random and mutated HTTP requests.
// Every run checks:
//   - _receive never throws, _state is always 0..3 and never goes backwards;
//   - _error is called at most once, with 1002, 1007 or 1009, and then the last
//     frame of the output is a close frame with that code (or the handshake
//     failed and the output is one complete HTTP error response);
//   - the output parses as valid server frames (unmasked, no RSV, known
//     opcodes, control frames final and <= 125 bytes, well-formed close
//     payloads, UTF-8 text, nothing after the close frame);
//   - no message or pong is delivered after CLOSED or after _error;
//   - frame streams give exactly the events and output of an independent,
//     non-incremental reference decoder written from RFC 6455 (differential);
//   - cutting the same input into different chunks gives the same events and
//     the same output bytes (determinism under fragmentation), the request
//     head included: a UTF-8 character split between two TCP segments must
//     reach socket.request whole (found by this suite; fixed in df6cd44).
// A last suite throws a few hundred garbage / mutated connections at the Node
// server over loopback while a well-behaved `ws` client keeps echoing, and
// fails on any uncaught exception in the process.
'use strict';
const assert = require('assert');
const crypto = require('crypto');
const fc = require('fast-check');
const { isUtf8 } = require('./helpers/raw-client');
const WebSocket = require('ws');
const h = require('./unit/helpers');
const { targets } = require('./helpers/targets');
const { Harness, delay, upgradeRequest } = require('./helpers/harness');

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;
// Fixed by default; FUZZ_SEED and FUZZ_SCALE (a multiplier of every numRuns)
// allow longer hunts, e.g. FUZZ_SEED=7 FUZZ_SCALE=20 npx mocha test/fuzz.test.js.
const SEED = Number(process.env.FUZZ_SEED || 42);
const SCALE = Number(process.env.FUZZ_SCALE || 1);
const ERROR_CODES = [1002, 1007, 1009];

/** Totals for the report printed at the end. */
const report = { runs: 0, byProperty: [], t0: Date.now(), tcp: null };

function assertProperty(name, prop, runs) {
  const t = Date.now();
  const numRuns = Math.max(1, Math.round(runs * SCALE));
  fc.assert(prop, { seed: SEED, numRuns });
  report.runs += numRuns;
  report.byProperty.push(name + ': ' + numRuns + ' runs, ' + (Date.now() - t) + ' ms');
}

// ---------------------------------------------------------------- helpers

const hexOf = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function isWireCode(c) {
  // RFC 6455 section 7.4.1 and the IANA registry; 1004-1006 and 1015 never
  // go on the wire; 1016-2999 are reserved, 5000+ undefined.
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

/**
 * UTF-8 prefix check written from the RFC 3629 grammar (section 4):
 * 'ok' (complete and valid), 'partial' (valid so far, a sequence is open),
 * or 'bad' (no continuation can make it valid).
 */
function utf8Prefix(b) {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    let tails;
    if (c < 0x80) tails = [];
    else if (c >= 0xc2 && c <= 0xdf) tails = [[0x80, 0xbf]];
    else if (c === 0xe0) tails = [[0xa0, 0xbf], [0x80, 0xbf]];
    else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) tails = [[0x80, 0xbf], [0x80, 0xbf]];
    else if (c === 0xed) tails = [[0x80, 0x9f], [0x80, 0xbf]];
    else if (c === 0xf0) tails = [[0x90, 0xbf], [0x80, 0xbf], [0x80, 0xbf]];
    else if (c >= 0xf1 && c <= 0xf3) tails = [[0x80, 0xbf], [0x80, 0xbf], [0x80, 0xbf]];
    else if (c === 0xf4) tails = [[0x80, 0x8f], [0x80, 0xbf], [0x80, 0xbf]];
    else return 'bad';
    i++;
    for (const [lo, hi] of tails) {
      if (i >= n) return 'partial';
      if (b[i] < lo || b[i] > hi) return 'bad';
      i++;
    }
  }
  return 'ok';
}


/** A client frame from a spec: { fin, rsv, opcode, masked, maskKey, payload,
 *  declared (a BigInt length to put in the header, or null for the real one),
 *  form ('min' | '16' | '64': the length encoding) }. */
function encodeFrame(f) {
  const p = Buffer.from(f.payload);
  const len = f.declared === null || f.declared === undefined ? BigInt(p.length) : f.declared;
  let form = f.form || 'min';
  if (form === 'min') form = len < 126n ? '7' : len < 65536n ? '16' : '64';
  if (form === '16' && len >= 65536n) form = '64';
  let head;
  if (form === '7') head = Buffer.from([0, Number(len)]);
  else if (form === '16') {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(len, 2);
  }
  head[0] = (f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 15);
  if (!f.masked) return Buffer.concat([head, p]);
  head[1] |= 0x80;
  const key = Buffer.from(f.maskKey);
  const body = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) body[i] = p[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

/** Applies mutations (positions are taken modulo the current length). */
function mutate(buf, mutations) {
  let b = Buffer.from(buf);
  for (const m of mutations) {
    const at = b.length ? m.at % (b.length + 1) : 0;
    if (m.kind === 'flip') {
      if (b.length) b[at % b.length] ^= 1 << m.bit;
    } else if (m.kind === 'set') {
      if (b.length) b[at % b.length] = m.value;
    } else if (m.kind === 'truncate') {
      b = b.subarray(0, at);
    } else if (m.kind === 'dup') {
      const piece = b.subarray(at, at + m.len);
      const to = m.to % (b.length + 1);
      b = Buffer.concat([b.subarray(0, to), piece, b.subarray(to)]);
    } else if (m.kind === 'delete') {
      b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    } else if (m.kind === 'insert') {
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    }
  }
  return b;
}

/** Cuts buf into chunks whose sizes cycle through `sizes` (each >= 1); with
 *  `empties`, an empty chunk follows every third one. Each chunk is a fresh
 *  copy (the core unmasks in place and may keep views of a chunk). */
function split(buf, sizes, empties) {
  const out = [];
  let i = 0, k = 0;
  while (i < buf.length) {
    const n = sizes[k % sizes.length];
    out.push(new Uint8Array(buf.subarray(i, i + n)));
    i += n;
    if (empties && k % 3 === 2) out.push(new Uint8Array(0));
    k++;
  }
  if (!buf.length && empties) out.push(new Uint8Array(0));
  return out;
}

function requestText(lines, eol) {
  return lines.join(eol || '\r\n') + (eol || '\r\n') + (eol || '\r\n');
}
const BASIC = Buffer.from(requestText(h.BASIC_REQUEST));

// ---------------------------------------------------------------- the driver

/**
 * Feeds chunks to a fresh Connection and records everything.
 * o.limits: Connection limits; o.answer: what verify() answers; o.codec:
 * the host's _text and _bytes to use meanwhile; o.actions:
 * what the handler does on each message (cycled; default: echo it);
 * o.budgets: after each chunk, one _flush with the next budget (cycled),
 * else output is flushed only at the end. Everything is flushed at the end.
 */
function drive(chunks, o) {
  o = o || {};
  const limits = Object.assign({ maxPayload: 1 << 20, maxHeader: 8192, maxFragments: 1 << 16, fragment: 0 }, o.limits);
  const r = {
    events: [], errors: [], violations: [], pieces: [], threw: null, req: null, serverClose: 0,
    states: [], limits, answer: o.answer
  };
  let conn = null, act = 0, flushes = 0;
  const state = (where) => {
    const s = conn._state;
    if (s !== 0 && s !== 1 && s !== 2 && s !== 3) r.violations.push('_state ' + s + ' ' + where);
    const last = r.states.length ? r.states[r.states.length - 1] : 0;
    if (s < last) r.violations.push('_state went back from ' + last + ' to ' + s + ' ' + where);
    r.states.push(s);
  };
  const send = (data, binary) => {
    const open = conn._state === OPEN;
    const ok = conn._send(data, binary);
    if (ok !== open) r.violations.push('_send returned ' + ok + ' in state ' + conn._state);
  };
  const { host } = h.load('host');
  const saved = { _text: host._text, _bytes: host._bytes };
  if (o.codec) Object.assign(host, { _text: o.codec._text, _bytes: o.codec._bytes });
  const made = h.newConn(limits, (req) => {
    // A copy: the socket keeps the request without the handshake's own headers.
    r.req = Object.assign({}, req, { headers: Object.assign({}, req.headers) });
    r.key = req.headers['sec-websocket-key'];
    r.events.push(['request', req.method, req.path, req.version, JSON.stringify(req.headers)]);
    return o.answer;
  });
  conn = made.conn;
  made.server.on('connection', () => {
    r.events.push(['open']);
    state('in _open');
  });
  conn.on('message', (data, binary) => {
    if (conn._state === CLOSED) r.violations.push('message delivered in CLOSED');
    if (r.errors.length) r.violations.push('message delivered after _error');
    if (typeof binary !== 'boolean') r.violations.push('binary flag ' + binary);
    if (!binary && !isUtf8(data)) r.violations.push('text message is not UTF-8: ' + hexOf(data));
    r.events.push(['message', binary, hexOf(data)]);
    state('in _message');
    const a = o.actions ? o.actions[act++ % o.actions.length] : 'echo';
    if (a === 'echo') send(data, binary);
    else if (a === 'text') send(Buffer.from('sent \u00e9\u20ac\ud83d\ude00 ' + act), false);
    else if (a === 'big') send(new Uint8Array(700).fill(act & 255), true);
    else if (a === 'ping') {
      const open = conn._state === OPEN;
      if (conn._ping(Buffer.from('p' + act)) !== open) r.violations.push('_ping result in state ' + conn._state);
    } else if (a === 'close' && conn._state === OPEN) {
      r.serverClose = 4000 + (act % 10);
      conn._close(r.serverClose, Buffer.from('bye'));
      state('after _close');
    }
  });
  conn.on('pong', (p) => {
    if (conn._state === CLOSED) r.violations.push('pong delivered in CLOSED');
    if (r.errors.length) r.violations.push('pong delivered after _error');
    r.events.push(['pong', hexOf(p)]);
  });
  conn.on('error', (e) => {
    if (typeof e.message !== 'string') r.violations.push('error message ' + e.message);
    r.errors.push(e.closeCode);
    r.events.push(['error', e.closeCode]);
  });
  r.conn = conn;
  const flush = (budget) => conn._out._flush(budget, (d, s, e) => {
    if (!(s >= 0 && s < e && e <= d.length)) r.violations.push('bad write range ' + s + '..' + e + ' of ' + d.length);
    r.pieces.push(Buffer.from(d.subarray(s, e)));
  });
  try {
    for (const c of chunks) {
      try {
        conn._receive(c);
      } catch (e) {
        r.threw = e;
        break;
      }
      state('after _receive');
      if (o.budgets) {
        const b = o.budgets[flushes++ % o.budgets.length];
        const n = flush(b);
        if (n > b) r.violations.push('_flush wrote ' + n + ' > budget ' + b);
      }
    }
    let guard = 0;
    while (flush(o.budgets ? o.budgets[flushes++ % o.budgets.length] : 1 << 30) > 0) {
      if (++guard > 1e6) throw new Error('_flush never ends');
    }
    if (!conn._out._empty()) r.violations.push('outbox not empty after flushing');
  } finally {
    Object.assign(host, saved);
  }
  r.out = Buffer.concat(r.pieces);
  r.state = conn._state;
  r.code = conn._closeCode;
  r.reason = conn._closeReason;
  return r;
}

/**
 * Parses the output: an HTTP response head, then server frames, all checked.
 * Returns { status, headers, frames, messages (reassembled, with control
 * frames in order), problems }.
 */
function parseOutput(out) {
  const res = { status: 0, headers: {}, head: '', frames: [], items: [], problems: [] };
  const bad = (why) => res.problems.push(why);
  if (!out.length) return res;
  const end = out.indexOf('\r\n\r\n');
  if (end < 0) {
    bad('output does not start with a complete HTTP head: ' + JSON.stringify(out.toString('latin1').slice(0, 80)));
    return res;
  }
  res.head = out.subarray(0, end + 4).toString('latin1');
  const lines = res.head.slice(0, -4).split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) [A-Za-z ]+$/.exec(lines[0]);
  if (!m) bad('bad status line ' + JSON.stringify(lines[0]));
  res.status = m ? Number(m[1]) : -1;
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c < 1) bad('bad response header line ' + JSON.stringify(l));
    res.headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  const rest = out.subarray(end + 4);
  if (res.status !== 101) {
    // A short text saying the status, and nothing after it.
    const text = res.status + ' ' + lines[0].replace(/^HTTP\/1\.1 \d{3} /, '') + '\n';
    if (res.headers['content-length'] !== String(text.length)) bad('error response whose Content-Length is not its text\'s');
    if (rest.toString('latin1') !== text) bad('error response body ' + JSON.stringify(rest.toString('latin1').slice(0, 80)) + ', not ' + JSON.stringify(text));
    if (!/close/i.test(res.headers.connection || '')) bad('error response without Connection: close');
    return res;
  }
  let i = 0, msg = null;
  while (i < rest.length) {
    if (res.closed) {
      bad('bytes after the close frame');
      break;
    }
    if (rest.length - i < 2) {
      bad('truncated frame header');
      break;
    }
    const b0 = rest[i], b1 = rest[i + 1];
    let len = b1 & 0x7f, hl = 2;
    if (len === 126) {
      if (rest.length - i < 4) { bad('truncated 16-bit length'); break; }
      len = rest.readUInt16BE(i + 2);
      hl = 4;
      if (len < 126) bad('non-minimal 16-bit length ' + len);
    } else if (len === 127) {
      if (rest.length - i < 10) { bad('truncated 64-bit length'); break; }
      len = Number(rest.readBigUInt64BE(i + 2));
      hl = 10;
      if (len < 65536) bad('non-minimal 64-bit length ' + len);
    }
    if (b1 & 0x80) bad('masked server frame');
    if (rest.length - i - hl < len) {
      bad('truncated frame payload');
      break;
    }
    const f = { fin: !!(b0 & 0x80), rsv: (b0 >> 4) & 7, opcode: b0 & 15, payload: rest.subarray(i + hl, i + hl + len) };
    i += hl + len;
    res.frames.push(f);
    if (f.rsv) bad('RSV bits ' + f.rsv);
    if ([0, 1, 2, 8, 9, 10].indexOf(f.opcode) < 0) {
      bad('unknown opcode ' + f.opcode);
      continue;
    }
    if (f.opcode >= 8) {
      if (!f.fin) bad('fragmented control frame');
      if (len > 125) bad('control frame of ' + len + ' bytes');
      if (f.opcode === 8) {
        if (len === 1) bad('1-byte close payload');
        f.code = len >= 2 ? f.payload.readUInt16BE(0) : null;
        if (f.code !== null && !isWireCode(f.code)) bad('close code ' + f.code + ' not allowed on the wire');
        if (len > 2 && !isUtf8(f.payload.subarray(2))) bad('close reason is not UTF-8');
        res.closed = f;
        res.items.push(['close', f.code]);
      } else res.items.push([f.opcode === 9 ? 'ping' : 'pong', f.payload.toString('hex')]);
      continue;
    }
    if (f.opcode === 0) {
      if (!msg) {
        bad('continuation with nothing to continue');
        continue;
      }
    } else {
      if (msg) bad('new message inside a fragmented one');
      msg = { opcode: f.opcode, parts: [] };
    }
    msg.parts.push(f.payload);
    if (f.fin) {
      const data = Buffer.concat(msg.parts);
      if (msg.opcode === 1 && !isUtf8(data)) bad('text message is not UTF-8');
      res.items.push(['message', msg.opcode === 2, data.toString('hex'), msg.parts.length]);
      msg = null;
    }
  }
  if (msg && res.closed) bad('close frame in the middle of a fragmented message');
  return res;
}

/** The invariants every run must keep. Returns the parsed output. */
function checkInvariants(r, label) {
  const where = () => label + ' (events ' + JSON.stringify(r.events.slice(-6)) + ', output ' + r.out.toString('hex').slice(0, 200) + ')';
  if (r.threw) throw new Error('_receive threw: ' + (r.threw.stack || r.threw) + ' ' + where());
  assert.deepStrictEqual(r.violations, [], 'violations ' + where());
  assert.ok([0, 1, 2, 3].indexOf(r.state) >= 0, 'state ' + r.state);
  assert.ok(r.errors.length <= 1, '_error called ' + r.errors.length + ' times ' + where());
  const p = parseOutput(r.out);
  assert.deepStrictEqual(p.problems, [], 'invalid output ' + where());
  if (r.state === CONNECTING) {
    assert.strictEqual(r.out.length, 0, 'output while still CONNECTING ' + where());
    assert.strictEqual(r.errors.length, 0);
    return p;
  }
  assert.ok(p.status > 0, 'no HTTP response although the handshake ended ' + where());
  if (p.status !== 101) {
    assert.strictEqual(r.state, CLOSED, 'an HTTP error leaves the connection CLOSED');
    assert.strictEqual(r.errors.length, 0, 'no _error for a refused handshake');
    assert.ok(!r.events.some((e) => e[0] === 'open'), 'no _open for a refused handshake');
    assert.ok(p.status >= 400 && p.status <= 599, 'error status ' + p.status);
    return p;
  }
  // 101: the accept value answers the request's key.
  assert.ok(r.req, '101 without a request');
  assert.strictEqual(p.headers['sec-websocket-accept'], h.acceptFor(r.key));
  assert.strictEqual(p.headers.upgrade, 'websocket');
  assert.strictEqual(p.headers.connection, 'Upgrade');
  const last = p.frames[p.frames.length - 1];
  if (r.errors.length) {
    const code = r.errors[0];
    assert.ok(ERROR_CODES.indexOf(code) >= 0, '_error code ' + code + ' ' + where());
    assert.strictEqual(r.state, CLOSED, 'CLOSED after _error');
    assert.strictEqual(r.code, code, '_code is the error code');
    assert.ok(last && last.opcode === 8, 'the last frame is a close frame after _error ' + where());
    assert.strictEqual(last.code, r.serverClose || code, 'the close frame carries the error code ' + where());
  }
  if (r.state === OPEN) assert.ok(!p.closed, 'a close frame went out but the state is OPEN ' + where());
  if (r.state >= CLOSING) {
    assert.ok(last && last.opcode === 8, 'CLOSING/CLOSED and the output does not end with a close frame ' + where());
    if (!r.errors.length && !r.serverClose) {
      assert.strictEqual(last.code, r.code === 1005 ? null : r.code, 'the close is echoed with the peer\'s code');
    }
  }
  if (r.serverClose && !r.errors.length && r.state >= CLOSING) assert.strictEqual(last.code, r.serverClose);
  return p;
}

// ---------------------------------------------------------------- the reference decoder

/**
 * What the connection must do with `stream` (the bytes after a valid
 * handshake), decoded in one pass over the whole buffer, RFC 6455 section 5
 * straight from the text, with the limits and fail-fast UTF-8 checks
 * applied in byte order. The handler echoes every message and output is
 * flushed once at the end, so the output is: pongs, then the echoes and the
 * close frame in order.
 */
function reference(stream, limits) {
  const s = stream, n = s.length;
  const ev = [], pongs = [], q = [];
  let st = OPEN, code = 0;
  let i = 0, op = 0, parts = [], total = 0, frags = 0;
  const fail = (c) => {
    ev.push(['error', c]);
    q.push(['close', c]);
    st = CLOSED;
    code = c;
  };
  frames: while (st === OPEN && i < n) {
    const b0 = s[i];
    const fin = !!(b0 & 0x80), opc = b0 & 15, control = opc >= 8;
    if (b0 & 0x70) { fail(1002); break; }
    if ((opc > 2 && opc < 8) || opc > 10) { fail(1002); break; }
    if (control && !fin) { fail(1002); break; }
    if (i + 1 >= n) break;
    const b1 = s[i + 1];
    if (!(b1 & 0x80)) { fail(1002); break; }
    let len = b1 & 0x7f, j = i + 2;
    if (control && len > 125) { fail(1002); break; }
    if (len === 126) {
      if (j + 2 > n) break;
      len = s[j] * 256 + s[j + 1];
      j += 2;
    } else if (len === 127) {
      if (j >= n) break;
      if (s[j] & 0x80) { fail(1002); break; }
      if (j + 8 > n) break;
      len = 0;
      for (let k = 0; k < 8; k++) len = len * 256 + s[j + k];
      j += 8;
    }
    if (j + 4 > n) break;
    const key = s.subarray(j, j + 4);
    j += 4;
    if (!control) {
      if (opc === 0 && !op) { fail(1002); break; }
      if (opc !== 0 && op) { fail(1002); break; }
      if (opc !== 0) {
        op = opc;
        parts = [];
        total = 0;
        frags = 0;
      }
      if (total + len > limits.maxPayload) { fail(1009); break; }
      if (++frags > limits.maxFragments) { fail(1009); break; }
    }
    const avail = Math.min(len, n - j);
    const payload = Buffer.alloc(avail);
    for (let k = 0; k < avail; k++) payload[k] = s[j + k] ^ key[k & 3];
    if (!control) {
      parts.push(payload);
      total += avail;
      if (op === 1 && utf8Prefix(Buffer.concat(parts)) === 'bad') { fail(1007); break; }
    }
    if (avail < len) break;
    i = j + len;
    if (control) {
      if (opc === 9) pongs.push(['pong', payload.toString('hex')]);
      else if (opc === 10) ev.push(['pong', payload.toString('hex')]);
      else {
        if (len === 1) { fail(1002); break; }
        const c = len ? payload.readUInt16BE(0) : 1005;
        if (len && !isWireCode(c)) { fail(1002); break; }
        if (utf8Prefix(payload.subarray(2)) !== 'ok') { fail(1007); break; }
        st = CLOSED;
        code = c;
        q.push(['close', len ? c : null]);
        break frames;
      }
      continue;
    }
    if (!fin) continue;
    const data = Buffer.concat(parts);
    if (op === 1 && utf8Prefix(data) !== 'ok') { fail(1007); break; }
    ev.push(['message', op === 2, data.toString('hex')]);
    q.push(['message', op === 2, data.toString('hex')]);
    op = 0;
  }
  return { events: ev, items: pongs.concat(q), state: st, code };
}

// ---------------------------------------------------------------- generators

const fin = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const rsv = fc.oneof({ weight: 40, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) });
const masked = fc.oneof({ weight: 50, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const maskKey = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.constant(new Uint8Array(4)));
const utf8Bytes = (max) => fc.string({ unit: 'binary', maxLength: max }).map((x) => new Uint8Array(Buffer.from(x, 'utf8')));
const dataPayload = fc.oneof(
  { weight: 4, arbitrary: utf8Bytes(40) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 400 }) },
  { weight: 1, arbitrary: utf8Bytes(150) }
);
const closeCode = fc.oneof(
  fc.constantFrom(1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 0, 65535),
  fc.integer({ min: 0, max: 65535 })
);
const closePayload = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 1 }) },
  {
    weight: 6,
    arbitrary: fc.tuple(closeCode, fc.oneof(utf8Bytes(30), fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ minLength: 122, maxLength: 126 })))
      .map(([c, r]) => new Uint8Array(Buffer.concat([Buffer.from([c >> 8, c & 255]), Buffer.from(r)])))
  }
);
const lie = fc.oneof(
  { weight: 30, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 500 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constantFrom(125n, 126n, 127n, 65535n, 65536n, 1n << 32n, (1n << 53n) + 1n, 1n << 62n, 1n << 63n, (1n << 64n) - 1n) }
);
const form = fc.oneof({ weight: 10, arbitrary: fc.constant('min') }, { weight: 1, arbitrary: fc.constantFrom('16', '64') });

/** One frame, anything goes (mostly plausible). */
const frameArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1, 2) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constant(9) },
  { weight: 1, arbitrary: fc.constant(10) },
  { weight: 1, arbitrary: fc.constant(8) },
  { weight: 1, arbitrary: fc.constantFrom(3, 4, 5, 6, 7, 11, 12, 13, 14, 15) }
).chain((opcode) => fc.record({
  fin: opcode >= 8 ? fc.oneof({ weight: 15, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fin,
  rsv: rsv,
  opcode: fc.constant(opcode),
  masked: masked,
  maskKey: maskKey,
  payload: opcode === 8 ? closePayload : opcode >= 8 ? fc.uint8Array({ maxLength: 130 }) : dataPayload,
  declared: lie,
  form: form
}));

/** A well-formed message: text or binary in 1-4 fragments, pings between. */
const messageArb = fc.record({
  opcode: fc.constantFrom(1, 2),
  text: utf8Bytes(60),
  cuts: fc.array(fc.nat(), { maxLength: 3 }),
  pings: fc.array(fc.boolean(), { maxLength: 3 }),
  maskKey: maskKey
}).map((m) => {
  const data = Buffer.from(m.text);
  const cuts = m.cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b);
  const bounds = [0].concat(cuts, [data.length]);
  const out = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const last = k + 2 === bounds.length;
    out.push({ fin: last, rsv: 0, opcode: k ? 0 : m.opcode, masked: true, maskKey: m.maskKey, payload: data.subarray(bounds[k], bounds[k + 1]), declared: null });
    if (!last && m.pings[k]) out.push({ fin: true, rsv: 0, opcode: 9, masked: true, maskKey: m.maskKey, payload: Buffer.from('in-' + k), declared: null });
  }
  return out;
});

/** A clean close frame to end a stream with. */
const finalClose = fc.record({ code: fc.constantFrom(1000, 1001, 3000, 4999, null), reason: utf8Bytes(20), maskKey: maskKey })
  .map((c) => ({ fin: true, rsv: 0, opcode: 8, masked: true, maskKey: c.maskKey, declared: null,
    payload: c.code === null ? Buffer.alloc(0) : Buffer.concat([Buffer.from([c.code >> 8, c.code & 255]), Buffer.from(c.reason).subarray(0, 100)]) }));

const framesArb = fc.tuple(
  fc.array(fc.oneof({ weight: 2, arbitrary: frameArb.map((f) => [f]) }, { weight: 3, arbitrary: messageArb }), { maxLength: 7 }),
  fc.option(finalClose, { freq: 2 })
).map(([list, close]) => Buffer.concat([].concat(...list, close ? [close] : []).map(encodeFrame)));

const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup'), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }), to: fc.nat() }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat(), len: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ kind: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) })
);
const mutationsArb = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) });
const streamArb = fc.tuple(framesArb, mutationsArb).map(([b, m]) => mutate(b, m));

const sizesArb = fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 6 });
const limitsArb = fc.record({
  maxPayload: fc.constantFrom(50, 130, 300, 1 << 20, 1 << 20, 1 << 20),
  maxFragments: fc.constantFrom(1, 2, 4, 1 << 16, 1 << 16, 1 << 16),
  maxHeader: fc.constant(8192),
  fragment: fc.constantFrom(0, 0, 1, 7, 125)
});
const budgetsArb = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 });
const actionsArb = fc.array(fc.constantFrom('echo', 'echo', 'none', 'text', 'big', 'ping', 'close'), { minLength: 1, maxLength: 6 });

// ---- HTTP requests

const tokenChars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
const token = (min, max) => fc.array(fc.constantFrom(...tokenChars.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
const KNOWN = ['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version'];
/** Any bytes but LF (CR is fine inside a value). */
const valueBytes = (max) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b.map((x) => (x === 10 ? 0x2e : x))));
const randomCase = (name, flips) => name.split('').map((ch, k) => (flips[k % flips.length] ? ch.toUpperCase() : ch.toLowerCase())).join('');
const keyArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64'));

/**
 * A request as its parts, with defects (each with the statuses it may cause)
 * applied: { bytes, defects: [[name, statuses]], valid }.
 */
const DEFECTS = {
  method: [405], version: [505], requestLine: [400], noUpgrade: [426], emptyUpgrade: [400, 426], badUpgrade: [400],
  noHost: [400], noConnection: [400], badConnection: [400], noVersion: [426], badVersion: [426],
  noKey: [400], badKey: [400], dupKey: [400], noColon: [400], emptyName: [400], folded: [400],
  // Two Host headers: RFC 7230 section 5.4.
  dupHost: [400]
};
const requestArb = fc.record({
  key: keyArb,
  path: fc.oneof(fc.constant('/'), token(0, 20).map((t) => '/' + t), fc.uint8Array({ maxLength: 20 }).map((b) => '/' + Buffer.from(b.map((x) => (x === 32 || x === 10 ? 0x5f : x))).toString('latin1'))),
  flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  pads: fc.array(fc.constantFrom('', ' ', '  ', '\t', ' \t '), { minLength: 2, maxLength: 4 }),
  upgrade: fc.constantFrom('websocket', 'WebSocket', 'WEBSOCKET', 'websocket, foo', 'foo/1, websocket'),
  connection: fc.constantFrom('Upgrade', 'upgrade', 'keep-alive, Upgrade', 'Upgrade,keep-alive', 'UPGRADE'),
  host: fc.oneof(fc.constant('server.example.com'), valueBytes(30).map((b) => Buffer.concat([Buffer.from('h'), b]))),
  junk: fc.array(fc.tuple(token(1, 20), valueBytes(60)), { maxLength: 4 }),
  dupUpgrade: fc.boolean(),
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  eol: fc.constantFrom('\r\n', '\r\n', '\n'),
  huge: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 9000 }) }),
  defects: fc.oneof(
    { weight: 2, arbitrary: fc.constant([]) },
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...Object.keys(DEFECTS)), { minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...Object.keys(DEFECTS)), { minLength: 2, maxLength: 3 }) }
  ),
  method: fc.constantFrom('POST', 'get', 'HEAD', 'GETX', 'PUT', 'G'),
  version: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'http/1.1', 'HTTP/1.11', 'HTTP/1.1x'),
  requestLine: fc.constantFrom('extra', 'short', 'double', 'noMethod', 'noPath'),
  badUpgrade: fc.constantFrom('h2c', 'websockets', 'web socket', 'foo'),
  badConnection: fc.constantFrom('keep-alive', 'close', 'upgrades', 'Upgrade-Insecure'),
  badVersion: fc.constantFrom('8', '14', '', '13, 13', ' 1 3', '013'),
  badKey: fc.oneof(
    fc.constantFrom('', 'short', 'dGhlIHNhbXBsZSBub25jZQ=', 'dGhlIHNhbXBsZSBub25jZQ===', 'dGhlIHNhbXBsZSBub25jZR==', 'dGhlIHNhbXBsZSBub25jZ!=='),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).filter((b) => b.length !== 16).map((b) => Buffer.from(b).toString('base64'))
  ),
  trailer: fc.boolean()
}).map((o) => {
  const defects = Array.from(new Set(o.defects));
  const has = (d) => defects.indexOf(d) >= 0;
  const hdr = [];
  const add = (name, value) => hdr.push([randomCase(name, o.flips), Buffer.concat([Buffer.from(o.pads[0]), Buffer.from(value), Buffer.from(o.pads[1])])]);
  if (!has('noHost')) add('Host', o.host);
  if (has('dupHost') && !has('noHost')) add('Host', 'again');
  if (!has('noUpgrade')) add('Upgrade', has('emptyUpgrade') ? '' : has('badUpgrade') ? o.badUpgrade : o.upgrade);
  if (o.dupUpgrade && !has('noUpgrade') && !has('badUpgrade') && !has('emptyUpgrade')) add('Upgrade', 'websocket');
  if (!has('noConnection')) add('Connection', has('badConnection') ? o.badConnection : o.connection);
  if (!has('noKey')) add('Sec-WebSocket-Key', has('badKey') ? o.badKey : o.key);
  if (has('dupKey') && !has('noKey')) add('Sec-WebSocket-Key', o.key);
  if (!has('noVersion')) add('Sec-WebSocket-Version', has('badVersion') ? o.badVersion : '13');
  for (const [name, value] of o.junk) {
    if (KNOWN.indexOf(name.toLowerCase()) < 0) hdr.push(['X-' + name, value]);
  }
  // Shuffle (deterministically, from o.order).
  for (let k = hdr.length - 1; k > 0; k--) {
    const j = o.order[k % o.order.length] % (k + 1);
    [hdr[k], hdr[j]] = [hdr[j], hdr[k]];
  }
  const lines = hdr.map(([name, value]) => Buffer.concat([Buffer.from(name + ':'), value]));
  if (has('noColon')) lines.push(Buffer.from('NoColonHere'));
  if (has('emptyName')) lines.push(Buffer.from(': value'));
  if (has('folded')) lines.splice(1, 0, Buffer.from(' folded continuation'));
  if (o.huge) lines.push(Buffer.from('X-Huge: ' + 'h'.repeat(o.huge)));
  let rl = (has('method') ? o.method : 'GET') + ' ' + o.path + ' ' + (has('version') ? o.version : 'HTTP/1.1');
  if (has('requestLine')) {
    rl = {
      extra: 'GET ' + o.path + ' HTTP/1.1 extra',
      short: 'GET ' + o.path,
      double: 'GET  ' + o.path + ' HTTP/1.1',
      noMethod: ' ' + o.path + ' HTTP/1.1',
      noPath: 'GET  HTTP/1.1'
    }[o.requestLine];
  }
  const eol = Buffer.from(o.eol);
  const parts = [Buffer.from(rl, 'latin1'), eol];
  for (const l of lines) parts.push(l, eol);
  parts.push(eol);
  const head = Buffer.concat(parts);
  const trailer = o.trailer ? encodeFrame({ fin: true, rsv: 0, opcode: 9, masked: true, maskKey: [1, 2, 3, 4], payload: Buffer.from('after-head'), declared: null }) : Buffer.alloc(0);
  return { head, bytes: Buffer.concat([head, trailer]), defects, trailer: o.trailer, key: o.key };
});

// ---------------------------------------------------------------- the suites

describe('fuzz: protocol core (fast-check, seed ' + SEED + ')', function () {
  this.timeout(60000);

  after(function () {
    console.log('      fuzz: ' + report.runs + ' property runs in ' + (Date.now() - report.t0) + ' ms (seed ' + SEED + ')');
    for (const line of report.byProperty) console.log('        ' + line);
  });

  describe('(a) random bytes', function () {
    it('random byte chunks instead of a request: never throws, at most one HTTP error response', function () {
      assertProperty('(a) bytes before the handshake', fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.constantFrom(64, 512, 8192),
        (chunks, maxHeader) => {
          const r = drive(chunks.map((c) => new Uint8Array(c)), { limits: { maxHeader } });
          const p = checkInvariants(r, 'random request bytes');
          if (r.state !== CONNECTING && p.status !== 101) assert.ok([400, 405, 426, 431, 505].indexOf(p.status) >= 0, 'status ' + p.status);
        }
      ), 1500);
    });

    it('random bytes, then a valid request, then random bytes: never throws, invariants hold', function () {
      assertProperty('(a) bytes around a request', fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 400 }),
        sizesArb,
        (before, after, sizes) => {
          const all = Buffer.concat([Buffer.from(before), BASIC, Buffer.from(after)]);
          checkInvariants(drive(split(all, sizes)), 'bytes around a request');
        }
      ), 800);
    });

    it('random byte chunks after a valid handshake: never throws, fails with a close frame or stays open', function () {
      assertProperty('(a) bytes after the handshake', fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 6 }),
        limitsArb,
        (chunks, limits) => {
          const r = drive([new Uint8Array(BASIC)].concat(chunks.map((c) => new Uint8Array(c))), { limits });
          checkInvariants(r, 'bytes after the handshake');
          assert.ok(r.state !== CONNECTING);
        }
      ), 1500);
    });
  });

  describe('(b) generated, mutated and re-chunked frames', function () {
    it('events and output equal those of an independent reference decoder (differential)', function () {
      let closed = 0, failed = 0, open = 0, messages = 0;
      assertProperty('(b) differential vs reference', fc.property(streamArb, sizesArb, fc.boolean(), limitsArb, (stream, sizes, empties, limits) => {
        const r = drive(split(Buffer.concat([BASIC, stream]), sizes, empties), { limits });
        const p = checkInvariants(r, 'frames');
        const ref = reference(stream, limits);
        const events = r.events.filter((e) => e[0] !== 'request' && e[0] !== 'open');
        assert.deepStrictEqual(events, ref.events, 'events differ from the reference for ' + stream.toString('hex'));
        assert.deepStrictEqual(p.items.map((x) => x.slice(0, 3)), ref.items, 'output differs from the reference for ' + stream.toString('hex'));
        assert.strictEqual(r.state, ref.state, 'state');
        if (ref.state === CLOSED) assert.strictEqual(r.code, ref.code, '_code');
        if (limits.fragment) {
          for (const f of p.frames) if (f.opcode < 8) assert.ok(f.payload.length <= limits.fragment, 'fragment size');
        }
        if (r.errors.length) failed++;
        else if (r.state === CLOSED) closed++;
        else open++;
        messages += ref.events.filter((e) => e[0] === 'message').length;
      }), 2500);
      console.log('        (b) differential: ' + failed + ' runs failed the connection, ' + closed + ' closed cleanly, ' + open + ' still open; ' + messages + ' messages');
      assert.ok(failed > 250 * SCALE && closed > 250 * SCALE && open > 250 * SCALE && messages > 2000 * SCALE, 'the generators reach every outcome');
    });

    it('with random handler actions (send, ping, close, big fragmented sends) and partial flushes between chunks', function () {
      assertProperty('(b) actions + partial flushes', fc.property(streamArb, sizesArb, limitsArb, actionsArb, budgetsArb, (stream, sizes, limits, actions, budgets) => {
        const r = drive(split(Buffer.concat([BASIC, stream]), sizes), { limits, actions, budgets });
        checkInvariants(r, 'frames with actions');
      }), 2000);
    });

    it('determinism under fragmentation: the same bytes in different chunks give the same events and output bytes', function () {
      assertProperty('(b) determinism', fc.property(streamArb, sizesArb, sizesArb, limitsArb, (stream, s1, s2, limits) => {
        const all = Buffer.concat([BASIC, stream]);
        const a = drive(split(all, s1), { limits });
        const b = drive(split(all, s2, true), { limits });
        const c = drive([new Uint8Array(all)], { limits });
        for (const r of [a, b, c]) checkInvariants(r, 'determinism');
        for (const r of [b, c]) {
          assert.deepStrictEqual(r.events, a.events, 'events depend on chunking');
          assert.strictEqual(r.out.toString('hex'), a.out.toString('hex'), 'output depends on chunking');
          assert.deepStrictEqual([r.state, r.code, r.reason], [a.state, a.code, a.reason]);
        }
      }), 1200);
    });
  });

  describe('(c) random and mutated HTTP requests', function () {
    it('generated requests: 101 exactly when valid, else one of the statuses its defects call for', function () {
      let ok = 0, refused = 0;
      assertProperty('(c) request oracle', fc.property(requestArb, sizesArb, fc.constantFrom(256, 1024, 4096, 8192), fc.constantFrom(undefined, true, 403, 503), (q, sizes, maxHeader, answer) => {
        const r = drive(split(q.bytes, sizes), { limits: { maxHeader }, answer });
        const p = checkInvariants(r, 'request ' + JSON.stringify(q.bytes.toString('latin1').slice(0, 300)));
        const statuses = new Set();
        for (const d of q.defects) for (const s of DEFECTS[d]) statuses.add(s);
        if (q.head.length > maxHeader) statuses.add(431);
        const what = 'defects ' + JSON.stringify(q.defects) + ', head ' + q.head.length + '/' + maxHeader + ' bytes: ' + JSON.stringify(q.head.toString('latin1').slice(0, 400));
        if (!statuses.size) {
          const expect = typeof answer === 'number' && answer ? answer : 101;
          assert.strictEqual(p.status, expect, 'status of a valid request; ' + what);
          if (expect === 101) {
            assert.strictEqual(r.state, OPEN);
            assert.strictEqual(p.headers['sec-websocket-accept'], h.acceptFor(q.key));
            if (q.trailer) assert.deepStrictEqual(p.items, [['pong', Buffer.from('after-head').toString('hex')]], 'the frame after the head is read');
          }
        } else {
          assert.ok(statuses.has(p.status), 'status ' + p.status + ', expected one of ' + Array.from(statuses) + '; ' + what);
          assert.strictEqual(r.state, CLOSED);
        }
        if (p.status === 101) ok++;
        else refused++;
      }), 2500);
      console.log('        (c) oracle: ' + ok + ' accepted, ' + refused + ' refused');
    });

    it('mutated requests (bit flips, inserted CR/LF/colon/space, cut, duplicated): invariants hold; a 101 only for a valid request', function () {
      const specials = fc.constantFrom(10, 13, 32, 58, 9, 0, 0xff, 0xc3);
      const mutationsHttp = fc.array(fc.oneof(mutationArb, fc.record({ kind: fc.constant('set'), at: fc.nat(), value: specials })), { minLength: 1, maxLength: 4 });
      assertProperty('(c) mutated requests', fc.property(requestArb, mutationsHttp, sizesArb, (q, muts, sizes) => {
        const bytes = mutate(q.bytes, muts);
        const r = drive(split(bytes, sizes), { limits: { maxHeader: 2048 } });
        const p = checkInvariants(r, 'mutated request ' + JSON.stringify(bytes.toString('latin1').slice(0, 300)));
        if (p.status === 101) {
          // Independently of the implementation: RFC 6455 section 4.2.1.
          const req = r.req, hd = req.headers;
          const tokens = (v) => (v || '').toLowerCase().split(',').map((x) => x.trim());
          assert.strictEqual(req.method, 'GET');
          assert.strictEqual(req.version, 'HTTP/1.1');
          assert.ok(hd.host, 'Host');
          assert.ok(tokens(hd.upgrade).indexOf('websocket') >= 0, 'Upgrade: websocket');
          assert.ok(tokens(hd.connection).indexOf('upgrade') >= 0, 'Connection: Upgrade');
          assert.strictEqual(hd['sec-websocket-version'], '13');
          assert.strictEqual(Buffer.from(hd['sec-websocket-key'], 'base64').length, 16);
          assert.strictEqual(Buffer.from(hd['sec-websocket-key'], 'base64').toString('base64'), hd['sec-websocket-key']);
        }
      }), 2500);
    });

    it('huge lines and many headers: 431 exactly when the head passes maxHeader, at any chunking', function () {
      assertProperty('(c) maxHeader boundary', fc.property(fc.integer({ min: 0, max: 300 }), fc.constantFrom(256, 300, 1000), sizesArb, (extra, maxHeader, sizes) => {
        const lines = h.BASIC_REQUEST.concat(['X-Pad: ' + 'p'.repeat(extra)]);
        const head = Buffer.from(requestText(lines));
        const r = drive(split(head, sizes), { limits: { maxHeader } });
        const p = checkInvariants(r, 'padded request');
        assert.strictEqual(p.status, head.length > maxHeader ? 431 : 101, head.length + ' bytes, maxHeader ' + maxHeader);
      }), 600);
    });

    // The codec of each target: Node decodes UTF-8 into strings; Espruino's
    // strings are bytes (E.toString), which latin1 stands in for here.
    const CODECS = {
      'Node codec (UTF-8 strings)': null,
      'Espruino-like codec (byte strings)': {
        _text: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'),
        _bytes: (x) => new Uint8Array(Buffer.from(x, 'latin1'))
      }
    };
    for (const name of Object.keys(CODECS)) {
      it('the request does not depend on how its bytes are split, non-ASCII bytes included [' + name + ']', function () {
        // Header values and the path may hold any byte but CR/LF (obs-text,
        // RFC 9110 section 5.5); where the TCP stream happens to be cut must
        // not change what the application sees in socket.request.
        const codec = CODECS[name];
        assertProperty('(c) request determinism, ' + name, fc.property(
          // Mostly valid UTF-8 (multi-byte characters that a cut can split), some raw bytes.
          fc.oneof(utf8Bytes(6), fc.uint8Array({ maxLength: 12 }))
            .map((b) => Buffer.concat([Buffer.from('p'), Buffer.from(b.map((x) => (x === 32 || x === 10 || x === 13 ? 0x5f : x)))])),
          fc.oneof(utf8Bytes(6).map((b) => Buffer.from(b)), valueBytes(12)),
          fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
          (pathBytes, originBytes, sizes) => {
            const head = Buffer.concat([
              Buffer.from('GET /'), pathBytes, Buffer.from(' HTTP/1.1\r\n'),
              Buffer.from('Origin: o'), originBytes, Buffer.from('\r\n'),
              Buffer.from(requestText(h.BASIC_REQUEST.slice(1)))
            ]);
            const whole = drive([new Uint8Array(head)], { codec });
            const cut = drive(split(head, sizes), { codec });
            checkInvariants(whole, 'request');
            checkInvariants(cut, 'request');
            assert.deepStrictEqual(cut.events, whole.events, 'socket.request differs when the head is cut into ' + JSON.stringify(sizes) +
              ': head ' + head.toString('hex'));
          }
        ), 800);
      });
    }
  });
});

// ---------------------------------------------------------------- over TCP

describe('fuzz: Node server over TCP (seed ' + SEED + ')', function () {
  this.timeout(60000);
  const node = targets.find((t) => t.name === 'node');
  let hs;
  const uncaught = [];
  const onUncaught = (e) => uncaught.push(e);

  beforeEach(function () {
    hs = new Harness(node);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  afterEach(async function () {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await hs.cleanup();
  });
  after(function () {
    if (report.tcp) console.log('      fuzz over TCP: ' + report.tcp);
  });

  it('300 garbage / mutated connections while a ws client keeps echoing; the server closes every one; no uncaught exception', async function () {
    const t0 = Date.now();
    const CONNS = 300, PARALLEL = 50;
    // With idleTimeout every garbage connection must end at the server's
    // hand: refused, failed, cut at handshakeTimeout, or (valid so far, then
    // silent) closed for idleness and cut at closeTimeout. The good client
    // sends all along, so it is never idle.
    const HANDSHAKE = 400, IDLE = 1000, CLOSE = 400;
    const { server, port } = await hs.startServer(
      { receiveType: 'application/octet-stream', sendType: 'application/octet-stream', handshakeTimeout: HANDSHAKE, closeTimeout: CLOSE, idleTimeout: IDLE, maxPayload: 4096, maxFragments: 8 },
      { echo: true }
    );
    const serverErrors = [];
    server.on('error', (e) => serverErrors.push(e));
    server.on('connection', (s) => s.on('error', () => {}));

    // Inputs, made deterministic by the seed.
    const kindArb = fc.constantFrom('bytes', 'mutated-request', 'frames', 'frames', 'bytes-after-handshake');
    const inputs = fc.sample(fc.record({
      kind: kindArb, bytes: fc.uint8Array({ maxLength: 600 }), request: requestArb,
      muts: fc.array(mutationArb, { minLength: 1, maxLength: 3 }), stream: streamArb, sizes: sizesArb
    }), { seed: SEED, numRuns: CONNS });

    // The well-behaved client echoes all along.
    const good = new WebSocket('ws://127.0.0.1:' + port + '/');
    await new Promise((resolve, reject) => {
      good.once('open', resolve);
      good.once('error', reject);
    });
    let stop = false, rounds = 0;
    const goodLoop = (async () => {
      while (!stop) {
        const payload = crypto.randomBytes(1 + (rounds % 3000));
        const echoed = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no echo within 5 s at round ' + rounds)), 5000);
          good.once('message', (data) => {
            clearTimeout(timer);
            resolve(data);
          });
        });
        good.send(payload);
        const data = await echoed;
        assert.ok(Buffer.from(data).equals(payload), 'echo ' + rounds + ' differs');
        rounds++;
      }
    })();

    const outcomes = { http: {}, closeFrames: 0, closedByServer: 0, cut: 0 };
    const lingering = [];
    async function garbage(x) {
      let bytes;
      if (x.kind === 'bytes') bytes = Buffer.from(x.bytes);
      else if (x.kind === 'mutated-request') bytes = mutate(x.request.bytes, x.muts);
      else if (x.kind === 'frames') bytes = Buffer.concat([Buffer.from(upgradeRequest(port).text), x.stream]);
      else bytes = Buffer.concat([Buffer.from(upgradeRequest(port).text), Buffer.from(x.bytes)]);
      const sock = require('net').connect(port, '127.0.0.1');
      let got = Buffer.alloc(0), closed = false;
      sock.on('data', (d) => (got = Buffer.concat([got, d])));
      sock.on('error', () => {});
      const done = new Promise((resolve) => sock.on('close', () => {
        closed = true;
        resolve();
      }));
      await new Promise((resolve) => sock.once('connect', resolve).once('error', resolve));
      for (const c of split(bytes, x.sizes)) {
        if (closed || sock.destroyed) break;
        sock.write(c);
        if (c.length < 4) await delay(0);
      }
      // A bound well past the server's own timeouts, only so that a
      // connection the server never closes fails the test instead of hanging it.
      await Promise.race([done, delay(HANDSHAKE + IDLE + CLOSE + 3000)]);
      if (!closed) {
        outcomes.cut++;
        lingering.push(x.kind + ': ' + bytes.toString('hex').slice(0, 120));
        sock.destroy();
        await done;
      } else outcomes.closedByServer++;
      const head = got.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) outcomes.http[m[1]] = (outcomes.http[m[1]] || 0) + 1;
      if (m && m[1] === '101') {
        const p = parseOutput(got);
        // What came back is valid server output, complete or cut short by our destroy().
        const fatal = p.problems.filter((why) => !/^truncated/.test(why));
        assert.deepStrictEqual(fatal, [], 'server output for ' + x.kind + ': ' + got.toString('hex').slice(0, 300));
        if (p.closed) outcomes.closeFrames++;
      }
    }
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < inputs.length) await garbage(inputs[next++]);
    }));
    stop = true;
    await goodLoop;
    assert.ok(rounds >= 10, 'the good client echoed ' + rounds + ' times');
    // The server closed every garbage connection itself.
    assert.deepStrictEqual(lingering, [], 'connections the server never closed');
    assert.strictEqual(outcomes.closedByServer, CONNS);
    // The server is clean: only the good client is left, and it still works.
    const deadline = Date.now() + 5000;
    while (server.sockets.length > 1 && Date.now() < deadline) await delay(20);
    assert.strictEqual(server.sockets.length, 1, 'only the good client is left');
    good.send(Buffer.from('still here'));
    const [last] = await new Promise((resolve) => good.once('message', (...a) => resolve(a)));
    assert.strictEqual(Buffer.from(last).toString(), 'still here');
    good.close(1000);
    await new Promise((resolve) => good.once('close', resolve));
    while (server.sockets.length && Date.now() < deadline + 5000) await delay(20);
    assert.strictEqual(server.sockets.length, 0);
    assert.deepStrictEqual(uncaught.map(String), [], 'uncaught exceptions in the process');
    assert.deepStrictEqual(serverErrors.map(String), [], 'server errors');
    report.tcp = CONNS + ' garbage connections (' + PARALLEL + ' at a time) in ' + (Date.now() - t0) + ' ms; ' + rounds +
      ' good echoes meanwhile; HTTP statuses ' + JSON.stringify(outcomes.http) + ', ' + outcomes.closeFrames + ' close frames, ' +
      outcomes.closedByServer + ' closed by the server, ' + outcomes.cut + ' cut by the client';
  });
});
