// Turns frames into messages: checks the fragmentation rules, enforces
// maxPayload before any byte is stored, validates text as it arrives, and
// collects control frames. A message that fits in one frame and one chunk is
// delivered as a view of that chunk, without a copy.

import { FrameSink } from './frame-parser';
import { Utf8State, utf8Valid } from './utf8';

/** _message and _control return false to stop reading (the connection closed). */
export interface MessageSink {
  _message(data: Uint8Array, binary: boolean): boolean;
  _control(opcode: number, payload: Uint8Array): boolean;
  _fail(code: number, message: string): void;
}

// A class, not a closure: on Espruino every closure made per connection
// carries its own copy of its code when the module was loaded into RAM.
export class MessageReader implements FrameSink {
  /** Opcode of the message being read: 0 none, 1 text, 2 binary. */
  private _op = 0;
  /** Opcode of the current frame. */
  private _frameOp = 0;
  private _fin = false;
  /** The message so far (_buf, _len bytes), or the whole message as a view of the chunk (_view). */
  private _buf: Uint8Array | null = null;
  private _len = 0;
  private _view: Uint8Array | null = null;
  /** Frames of the current message so far. */
  private _frags = 0;
  private _utf8 = new Utf8State();
  /** A control frame's payload: kept apart, since control frames may come between fragments. */
  private _ctl: Uint8Array | null = null;
  private _ctlLen = 0;

  /** @param _max largest message in bytes; @param _maxFrags most frames per message. */
  constructor(private _sink: MessageSink, private _max: number, private _maxFrags: number) {}

  _frameStart(fin: boolean, o: number, length: number, whole: boolean): boolean {
    this._frameOp = o;
    if (o > 7) {
      this._ctl = new Uint8Array(length);
      this._ctlLen = 0;
      return true;
    }
    if (!o) {
      if (!this._op) return this._fail(1002, 'nothing to continue');
    } else {
      if (this._op) return this._fail(1002, 'expected a continuation');
      this._op = o;
      this._len = this._frags = 0;
      this._buf = this._view = null;
      this._utf8.n = 0;
    }
    this._fin = fin;
    var buf = this._buf, len = this._len, max = this._max, total = len + length;
    if (total > max) return this._fail(1009, 'message over ' + max + ' bytes');
    if (++this._frags > this._maxFrags) return this._fail(1009, 'message in over ' + this._maxFrags + ' frames');
    if (!buf ? !fin || !whole || len : buf.length < total) {
      // Exactly the size needed for a final frame; otherwise doubled (up to
      // max), so that many fragments cost O(n) copying.
      var grown = new Uint8Array(fin || !buf ? total : Math.max(total, Math.min(buf.length * 2, max)));
      if (buf) grown.set(buf.subarray(0, len));
      this._buf = grown;
    }
    return true;
  }

  _frameData(b: Uint8Array, start: number, end: number): boolean {
    var part = b.subarray(start, end);
    if (this._frameOp > 7) {
      this._ctl!.set(part, this._ctlLen);
      this._ctlLen += end - start;
      return true;
    }
    if (this._op == 1 && !utf8Valid(this._utf8, b, start, end)) return this._fail(1007, 'invalid UTF-8');
    if (this._buf) this._buf.set(part, this._len);
    else this._view = part;
    this._len += end - start;
    return true;
  }

  _frameEnd(): boolean {
    var data = this._ctl, op = this._op;
    if (this._frameOp > 7) {
      this._ctl = null;
      return this._sink._control(this._frameOp, data!);
    }
    if (!this._fin) return true;
    if (op == 1 && this._utf8.n) return this._fail(1007, 'invalid UTF-8');
    data = this._buf ? this._buf.subarray(0, this._len) : this._view || new Uint8Array(0);
    this._op = this._len = 0;
    this._buf = this._view = null;
    return this._sink._message(data, op == 2);
  }

  /** Drops what was being read and reports the error; returns false. */
  _fail(code: number, message: string): boolean {
    this._buf = this._view = this._ctl = null;
    this._sink._fail(code, message);
    return false;
  }
}
