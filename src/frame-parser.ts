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

// A class, not a closure: on Espruino every closure made per connection
// carries its own copy of its code when the module was loaded into RAM.
export class FrameParser {
  private _st = HEAD;
  private _b0 = 0;
  private _need = 0;
  private _len = 0;
  private _left = 0;
  private _phase = 0;
  private _mask = new Uint8Array(4);

  constructor(private _sink: FrameSink) {}

  /** Parses b[i..] of a chunk. Stops for good after an error. */
  _push(b: Uint8Array, i: number): void {
    var n = b.length, c, sink = this._sink, st;
    while (i < n && (st = this._st) != DEAD) {
      if (st == DATA) {
        c = i + this._left > n ? n : i + this._left;
        this._phase = unmask(b, i, c, this._mask, this._phase);
        this._left -= c - i;
        if (!sink._frameData(b, i, c)) this._st = DEAD;
        else if (!this._left) this._st = sink._frameEnd() ? HEAD : DEAD;
        i = c;
      } else if (st == HEAD) {
        c = this._b0 = b[i++];
        if (c & 0x70) return this._bad('RSV bits set');
        c &= 15;
        if ((c > 2 && c < 8) || c > 10) return this._bad('bad opcode');
        if (c > 7 && !(this._b0 & 0x80)) return this._bad('fragmented control frame');
        this._st = LENGTH;
      } else if (st == LENGTH) {
        c = b[i++];
        if (!(c & 0x80)) return this._bad('unmasked frame');
        c &= 0x7f;
        if (c > 125 && this._b0 & 8) return this._bad('control frame over 125 bytes');
        this._len = c < 126 ? c : 0;
        this._need = c < 126 ? 4 : c == 126 ? 2 : 8;
        this._st = c < 126 ? MASK : EXT;
      } else if (st == EXT) {
        c = b[i++];
        if (this._need == 8 && c & 0x80) return this._bad('length over 2^63');
        // 64-bit lengths are built in floating point: no 32-bit shifts.
        this._len = this._len * 256 + c;
        if (!--this._need) {
          this._st = MASK;
          this._need = 4;
        }
      } else {
        this._mask[4 - this._need] = b[i++];
        if (!--this._need) {
          c = this._len;
          this._left = c;
          this._phase = 0;
          this._st = !sink._frameStart(!!(this._b0 & 0x80), this._b0 & 15, c, n - i >= c) ? DEAD : c ? DATA : sink._frameEnd() ? HEAD : DEAD;
        }
      }
    }
  }

  private _bad(msg: string): void {
    this._st = DEAD;
    this._sink._fail(1002, msg);
  }
}
