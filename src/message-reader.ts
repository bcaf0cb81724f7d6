// Turns frames into messages: checks the fragmentation rules, enforces
// maxPayload before any byte is stored, validates text as it arrives, and
// collects control frames. A message that fits in one frame and one chunk is
// delivered as a view of that chunk, without a copy.

import { Conn, ConnectionLimits, INVALID, fail, onControl } from './connection';
import { utf8Valid } from './utf8';
import { grow } from './handshake';
import { EMPTY } from './frame-writer';
import { EXTRAS } from './features';

/** The fields the message reader keeps in the connection's record (it reads
 *  the current frame's first byte and length from the parser's). */
export interface ReaderState {
  /** Opcode of the message being read: 0 none, 1 text, 2 binary. */
  _op: number;
  /** The message so far (_buf, _blen bytes), or the whole message as a view
   *  of the chunk (_view). */
  _buf: Uint8Array | null;
  _blen: number;
  _view: Uint8Array | null;
  /** How far _buf may grow for the current frame: the message's length at
   *  the end of a final frame, else maxPayload; 0 while the message is
   *  delivered as a view. */
  _cap: number;
  /** Frames of the current message so far. */
  _frags: number;
  /** The UTF-8 validator's state (see utf8.ts). */
  _u8: number;
  /** A control frame's payload: kept apart, since control frames may come
   *  between fragments; _clen bytes of it so far. */
  _ctl: Uint8Array | null;
  _clen: number;
  _o: ConnectionLimits;
}

/** The first buffer of a message that does not come whole in one chunk
 *  holds up to this many bytes; a longer one grows as its bytes arrive, by
 *  doubling. So a peer that announces a large frame and sends little costs
 *  little: a declared length is a claim, not bytes. (The board defaults for
 *  maxPayload are below it: there a message's buffer is made once.) */
var FIRST_BUFFER = 16384;

export function readerInit(c: ReaderState): void {
  // In the order of use per chunk (see connInit).
  c._op = c._u8 = c._cap = 0;
  c._buf = c._view = null;
  c._blen = 0;
}

/** A frame header is complete. `whole`: its payload is all in this chunk. */
export function frameStart(c: Conn, whole: boolean): void {
  var max = c._o.maxPayload, length = c._len, o = c._b0 & 15, fin = c._b0 & 0x80, total = c._blen + length;
  if (o > 7) {
    c._ctl = new Uint8Array(length);
    c._clen = 0;
    return;
  }
  if (!o == !c._op) return readFail(c, 1002, o ? 'expected a continuation' : 'nothing to continue');
  if (o) {
    c._op = o;
    total = length;
    c._blen = c._frags = c._u8 = 0;
    c._buf = c._view = null;
  }
  if (total > max) return readFail(c, 1009, 'message over ' + max + ' bytes');
  if (EXTRAS && ++c._frags > c._o.maxFragments) return readFail(c, 1009, 'message in over ' + c._o.maxFragments + ' frames');
  // Zero copy for a whole message in one frame in this chunk. Otherwise a
  // buffer (see frameData) that may grow to the message's length for a
  // final frame, else to max.
  c._cap = c._buf || !fin || !whole || c._blen ? (fin ? total : max) : 0;
}

/** Unmasked payload bytes b[start..end) of the current frame. */
export function frameData(c: Conn, b: Uint8Array, start: number, end: number): void {
  var part = b.subarray(start, end);
  if (c._b0 & 8) {
    c._ctl!.set(part, c._clen);
    c._clen += end - start;
  } else if (c._op < 2 && (c._u8 = utf8Valid(c._u8, b, start, end)) < 0) readFail(c, 1007, INVALID);
  else {
    if (c._cap) {
      // Doubling, so that a message in many pieces costs O(n) copying.
      c._buf = grow(c._buf, c._blen, Math.max(c._blen + end - start, c._buf ? 0 : Math.min(FIRST_BUFFER, c._cap)), c._cap);
      c._buf.set(part, c._blen);
    } else c._view = part;
    c._blen += end - start;
  }
}

/** The current frame's payload is complete. */
export function frameEnd(c: Conn): void {
  var data = c._ctl, op = c._op;
  if (c._state > 2) return;
  if (c._b0 & 8) {
    c._ctl = null;
    onControl(c, c._b0 & 15, data!);
  } else if (c._b0 & 0x80) {
    if (op < 2 && c._u8) return readFail(c, 1007, INVALID);
    data = c._buf ? c._buf.subarray(0, c._blen) : c._view || EMPTY;
    c._op = c._blen = 0;
    c._buf = c._view = null;
    c._message(data, op > 1);
  }
}

/** Drops what was being read and fails the connection. */
function readFail(c: Conn, code: number, message: string): void {
  c._buf = c._view = c._ctl = null;
  fail(c, code, message);
}
