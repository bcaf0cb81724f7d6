// Byte-incremental frame parser (RFC 6455 section 5.2). Its whole state is a
// few numbers and a 4-byte mask, so a frame may be split at any byte. Payload
// bytes are unmasked in place and handed on as ranges of the caller's chunk:
// nothing is copied or buffered here.

import { unmask } from './mask';

/** Receives what the parser finds. Each method returns false to stop parsing
 *  (after reporting an error through _fail). */
export interface FrameSink {
  /** A frame header is complete. `whole`: its payload is all in this chunk. */
  _frameStart(fin: boolean, opcode: number, length: number, whole: boolean): boolean;
  /** Unmasked payload bytes b[start..end) of the current frame. */
  _frameData(b: Uint8Array, start: number, end: number): boolean;
  /** The current frame's payload is complete. */
  _frameEnd(): boolean;
  /** A protocol error; code is the close code to send. */
  _fail(code: number, message: string): void;
}

// Parser states: first header byte, second header byte, extended length,
// mask, payload, and stopped for good after an error.
var HEAD = 0, LENGTH = 1, EXT = 2, MASK = 3, DATA = 4, DEAD = 5;

/** Returns the parser: a function that takes the bytes b[i..] of each chunk. */
export function frameParser(sink: FrameSink): (b: Uint8Array, i: number) => void {
  var st = HEAD, b0 = 0, need = 0, len = 0, left = 0, phase = 0, mask = new Uint8Array(4);

  function bad(msg: string): void {
    st = DEAD;
    sink._fail(1002, msg);
  }

  return function (b: Uint8Array, i: number): void {
    var n = b.length, c;
    while (i < n && st != DEAD) {
      if (st == DATA) {
        c = i + left > n ? n : i + left;
        phase = unmask(b, i, c, mask, phase);
        left -= c - i;
        if (!sink._frameData(b, i, c)) st = DEAD;
        else if (!left) st = sink._frameEnd() ? HEAD : DEAD;
        i = c;
      } else if (st == HEAD) {
        c = b0 = b[i++];
        if (c & 0x70) return bad('RSV bits set');
        c &= 15;
        if ((c > 2 && c < 8) || c > 10) return bad('bad opcode');
        if (c > 7 && !(b0 & 0x80)) return bad('fragmented control frame');
        st = LENGTH;
      } else if (st == LENGTH) {
        c = b[i++];
        if (!(c & 0x80)) return bad('unmasked frame');
        c &= 0x7f;
        if (c > 125 && b0 & 8) return bad('control frame over 125 bytes');
        len = c < 126 ? c : 0;
        need = c < 126 ? 4 : c == 126 ? 2 : 8;
        st = c < 126 ? MASK : EXT;
      } else if (st == EXT) {
        c = b[i++];
        if (need == 8 && c & 0x80) return bad('length over 2^63');
        // 64-bit lengths are built in floating point: no 32-bit shifts.
        len = len * 256 + c;
        if (!--need) {
          st = MASK;
          need = 4;
        }
      } else {
        mask[4 - need] = b[i++];
        if (!--need) {
          left = len;
          phase = 0;
          st = !sink._frameStart(!!(b0 & 0x80), b0 & 15, len, n - i >= len) ? DEAD : len ? DATA : sink._frameEnd() ? HEAD : DEAD;
        }
      }
    }
  };
}
