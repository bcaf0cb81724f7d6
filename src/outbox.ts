// The send queue. Messages wait here as they were given (no copies); frame
// headers are made only when a frame is due, so a large message can be cut
// into fragments lazily and pings and pongs can go out between them. The
// target pulls bytes with flush() as fast as its socket takes them.

import { frameHeader, controlFrame } from './frame-writer';

/** Raw bytes (an HTTP response), written as they are. */
export var RAW = -1;

interface Item {
  op: number;
  data: Uint8Array;
}

export class Outbox {
  /** Messages, and the close frame, in order. */
  private _q: Item[] = [];
  /** Bytes of _q[0] already framed. */
  private _off = 0;
  /** Pings and pongs, sent at the next frame boundary. */
  private _ctl: Uint8Array[] = [];
  /** What is left of the frame being written: its header, then its payload. */
  private _head: Uint8Array | null = null;
  private _body: Uint8Array | null = null;
  /** Message bytes queued and not yet handed to the socket (like a browser's
   *  bufferedAmount, frame headers and control frames are not counted). */
  _buffered = 0;

  /** @param _frag largest payload per frame; 0 sends each message as one frame. */
  constructor(private _frag: number) {}

  _add(op: number, data: Uint8Array): void {
    this._q.push({ op: op, data: data });
    this._buffered += data.length;
  }

  _addControl(op: number, payload: Uint8Array): void {
    this._ctl.push(controlFrame(op, payload));
  }

  /** Hands at most `budget` bytes to `write`, in order. Returns the count. */
  _flush(budget: number, write: (piece: Uint8Array) => void): number {
    var sent = 0;
    while (sent < budget) {
      if (!this._head && !this._body && !this._next()) break;
      var piece = (this._head || this._body)!;
      var take = piece.length < budget - sent ? piece.length : budget - sent;
      write(take == piece.length ? piece : piece.subarray(0, take));
      sent += take;
      var rest = take == piece.length ? null : piece.subarray(take);
      if (this._head) this._head = rest;
      else {
        this._body = rest;
        this._buffered -= take;
      }
    }
    return sent;
  }

  /** Is anything left to write? */
  _empty(): boolean {
    return !this._head && !this._body && !this._ctl.length && !this._q.length;
  }

  /** Sets up the next frame; false when nothing is queued. */
  private _next(): boolean {
    if (this._ctl.length) {
      this._head = this._ctl.shift()!;
      return true;
    }
    var item = this._q[0];
    if (!item) return false;
    var data = item.data, op = item.op, off = this._off;
    if (op == RAW) {
      this._body = data;
      this._q.shift();
      return true;
    }
    var n = data.length - off;
    var fin = !this._frag || op > 7 || n <= this._frag;
    if (!fin) n = this._frag;
    this._head = frameHeader(fin, off ? 0 : op, n);
    this._body = n ? (off || n < data.length ? data.subarray(off, off + n) : data) : null;
    if (fin) {
      this._q.shift();
      this._off = 0;
    } else this._off = off + n;
    return true;
  }
}
