// Byte-incremental frame parser (RFC 6455 section 5.2). Its whole state is a
// few numbers and a 4-byte mask, so a frame may be split at any byte. Payload
// bytes are unmasked in place and handed on as ranges of the caller's chunk:
// nothing is copied or buffered here.

import { unmask } from './mask';

/** Receives what the parser finds. Each method returns false to stop parsing
 *  (after reporting an error through fail). */
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

var HEAD = 0, LENGTH = 1, EXT = 2, MASK = 3, DATA = 4, DEAD = 5;

export class FrameParser {
  private _st = HEAD;
  private _b0 = 0;
  private _need = 0;
  private _len = 0;
  private _left = 0;
  private _phase = 0;
  private _mask = new Uint8Array(4);

  constructor(private _sink: FrameSink) {}

  /** Parses b[i..]. Stops for good after an error. */
  _push(b: Uint8Array, i: number): void {
    var n = b.length, c, sink = this._sink;
    while (i < n) {
      var st = this._st;
      if (st == DATA) {
        var end = i + this._left > n ? n : i + this._left;
        this._phase = unmask(b, i, end, this._mask, this._phase);
        this._left -= end - i;
        if (!sink._frameData(b, i, end)) return this._die();
        i = end;
        if (!this._left) {
          this._st = HEAD;
          if (!sink._frameEnd()) return this._die();
        }
      } else if (st == HEAD) {
        c = this._b0 = b[i++];
        if (c & 0x70) return this._bad('RSV bits must be clear');
        c &= 15;
        if ((c > 2 && c < 8) || c > 10) return this._bad('unknown opcode ' + c);
        if (c > 7 && !(this._b0 & 0x80)) return this._bad('fragmented control frame');
        this._st = LENGTH;
      } else if (st == LENGTH) {
        c = b[i++];
        if (!(c & 0x80)) return this._bad('client frames must be masked');
        c &= 0x7f;
        if (c > 125 && this._b0 & 8) return this._bad('control frame payload over 125 bytes');
        this._len = c < 126 ? c : 0;
        this._need = c < 126 ? 4 : c == 126 ? 2 : 8;
        this._st = c < 126 ? MASK : EXT;
      } else if (st == EXT) {
        c = b[i++];
        if (this._need == 8 && c & 0x80) return this._bad('payload length over 2^63');
        // 64-bit lengths are built in floating point: no 32-bit shifts.
        this._len = this._len * 256 + c;
        if (!--this._need) { this._st = MASK; this._need = 4; }
      } else if (st == MASK) {
        this._mask[4 - this._need] = b[i++];
        if (!--this._need) {
          this._left = this._len;
          this._phase = 0;
          this._st = DATA;
          if (!sink._frameStart(!!(this._b0 & 0x80), this._b0 & 15, this._len, n - i >= this._len)) return this._die();
          if (!this._len) {
            this._st = HEAD;
            if (!sink._frameEnd()) return this._die();
          }
        }
      } else return;
    }
  }

  private _bad(msg: string): void {
    this._st = DEAD;
    this._sink._fail(1002, msg);
  }

  private _die(): void {
    this._st = DEAD;
  }
}
