// Turns frames into messages: checks the fragmentation rules, enforces
// maxPayload before any byte is stored, validates text as it arrives, and
// collects control frames. A message that fits in one frame and one chunk is
// delivered as a view of that chunk, without a copy.

import { FrameSink } from './frame-parser';
import { Utf8State, utf8Valid } from './utf8';

export interface MessageSink {
  _message(data: Uint8Array, binary: boolean): void;
  _control(opcode: number, payload: Uint8Array): void;
  _fail(code: number, message: string): void;
}

export class MessageReader implements FrameSink {
  /** Opcode of the message being read: 0 none, 1 text, 2 binary. */
  private _op = 0;
  /** Opcode of the current frame. */
  private _frameOp = 0;
  private _fin = false;
  private _buf: Uint8Array | null = null;
  private _len = 0;
  private _view: Uint8Array | null = null;
  private _utf8 = new Utf8State();
  /** A control frame's payload (at most 125 bytes): kept apart, since control
   *  frames may come between the fragments of a message. */
  private _ctl: Uint8Array | null = null;
  private _ctlLen = 0;

  constructor(private _sink: MessageSink, private _max: number) {}

  _frameStart(fin: boolean, op: number, length: number, whole: boolean): boolean {
    this._frameOp = op;
    if (op > 7) {
      this._ctl = new Uint8Array(length);
      this._ctlLen = 0;
      return true;
    }
    if (!op) {
      if (!this._op) return this._no(1002, 'continuation frame with no message to continue');
    } else {
      if (this._op) return this._no(1002, 'new message inside a fragmented message');
      this._op = op;
      this._len = 0;
      this._buf = this._view = null;
      this._utf8.n = 0;
    }
    this._fin = fin;
    var total = this._len + length;
    if (total > this._max) return this._no(1009, 'message over maxPayload (' + this._max + ' bytes)');
    if (!fin || !whole || this._len) this._reserve(total, fin);
    return true;
  }

  _frameData(b: Uint8Array, start: number, end: number): boolean {
    if (this._frameOp > 7) {
      this._ctl!.set(b.subarray(start, end), this._ctlLen);
      this._ctlLen += end - start;
      return true;
    }
    if (this._op == 1 && !utf8Valid(this._utf8, b, start, end)) {
      return this._no(1007, 'invalid UTF-8 in text message');
    }
    var buf = this._buf;
    if (buf) buf.set(b.subarray(start, end), this._len);
    else this._view = b.subarray(start, end);
    this._len += end - start;
    return true;
  }

  _frameEnd(): boolean {
    if (this._frameOp > 7) {
      var ctl = this._ctl!;
      this._ctl = null;
      this._sink._control(this._frameOp, ctl);
      return true;
    }
    if (!this._fin) return true;
    var data = this._buf ? this._buf.subarray(0, this._len) : this._view || new Uint8Array(0);
    var op = this._op;
    if (op == 1 && this._utf8.n) return this._no(1007, 'text message ends inside a UTF-8 sequence');
    this._op = 0;
    this._buf = this._view = null;
    this._len = 0;
    this._sink._message(data, op == 2);
    return true;
  }

  _fail(code: number, message: string): void {
    this._buf = this._view = this._ctl = null;
    this._sink._fail(code, message);
  }

  private _no(code: number, message: string): boolean {
    this._fail(code, message);
    return false;
  }

  /** Makes room for `total` bytes: exactly, for a final frame; otherwise with
   *  doubling (up to maxPayload), so many fragments cost O(n) copying. */
  private _reserve(total: number, exact: boolean): void {
    var buf = this._buf;
    if (buf && buf.length >= total) return;
    var size = total;
    if (!exact && buf) size = Math.max(total, Math.min(buf.length * 2, this._max));
    var grown = new Uint8Array(size);
    if (buf) grown.set(buf.subarray(0, this._len));
    this._buf = grown;
  }
}
