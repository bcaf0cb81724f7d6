// Byte-incremental frame parser (RFC 6455 section 5.2). Its whole state is a
// few numbers and a 4-byte mask, so a frame may be split at any byte. Payload
// bytes are unmasked in place and handed to the message reader as ranges of
// the caller's chunk: nothing is copied or buffered here.

import { Conn, fail } from './connection';
import { frameStart, frameData, frameEnd } from './message-reader';
import { unmask } from './mask';

/** The fields the frame parser keeps in the connection's record. */
export interface ParserState {
  /** Where in a frame the parser is: one of the states below. */
  _st: number;
  /** The frame's first byte (FIN, RSV, opcode): the message reader reads
   *  FIN and the opcode here, and the payload length in _len. */
  _b0: number;
  /** Bytes of the extended length or of the mask still to come. */
  _need: number;
  /** The payload length, and the payload bytes still to come. */
  _len: number;
  _left: number;
  /** The mask, and the mask position of the next payload byte. */
  _mask: Uint8Array;
  _phase: number;
}

// Parser states: first header byte, second header byte, extended length,
// mask, payload.
var HEAD = 0, LENGTH = 1, EXT = 2, MASK = 3, DATA = 4;

export function parserInit(c: ParserState): void {
  // In the order of use per chunk (see connInit).
  c._st = 0;
  c._left = 0;
  c._phase = 0;
  c._mask = new Uint8Array(4);
  c._b0 = 0;
}

/** Parses b[i..] of a chunk, until its end or until the connection closes
 *  (a protocol error, or the peer's close frame). */
export function parseFrames(c: Conn, b: Uint8Array, i: number): void {
  var n = b.length, x, st;
  while (i < n && c._state < 3) {
    st = c._st;
    if (st == DATA) {
      x = i + c._left > n ? n : i + c._left;
      c._phase = unmask(b, i, x, c._mask, c._phase);
      c._left -= x - i;
      frameData(c, b, i, x);
      i = x;
      if (!c._left) {
        c._st = HEAD;
        frameEnd(c);
      }
    } else if (st == HEAD) {
      x = c._b0 = b[i++];
      if (x & 0x70) return bad(c, 'RSV bits set');
      x &= 15;
      if ((x > 2 && x < 8) || x > 10) return bad(c, 'bad opcode');
      if (x > 7 && !(c._b0 & 0x80)) return bad(c, 'fragmented control frame');
      c._st = LENGTH;
    } else if (st == LENGTH) {
      x = b[i++];
      if (!(x & 0x80)) return bad(c, 'unmasked frame');
      x &= 0x7f;
      if (x > 125 && c._b0 & 8) return bad(c, 'control frame over 125 bytes');
      c._len = x < 126 ? x : 0;
      c._need = x < 126 ? 4 : x == 126 ? 2 : 8;
      c._st = x < 126 ? MASK : EXT;
    } else if (st == EXT) {
      x = b[i++];
      if (c._need == 8 && x & 0x80) return bad(c, 'length over 2^63');
      // 64-bit lengths are built in floating point: no 32-bit shifts.
      c._len = c._len * 256 + x;
      if (!--c._need) {
        c._st = MASK;
        c._need = 4;
      }
    } else {
      c._mask[4 - c._need] = b[i++];
      if (!--c._need) {
        x = c._left = c._len;
        c._phase = 0;
        c._st = x ? DATA : HEAD;
        frameStart(c, n - i >= x);
        if (!x) frameEnd(c);
      }
    }
  }
}

function bad(c: Conn, message: string): void {
  fail(c, 1002, message);
}
