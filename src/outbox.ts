// The send queue. Messages wait here as they were given (no copies); frame
// headers are made only when a frame is due, so a large message can be cut
// into fragments lazily and pings and pongs can go out between them. The
// target pulls bytes with _flush() as fast as its socket takes them.

import { frameHeader, controlFrame } from './frame-writer';

/** Raw bytes (an HTTP response), written as they are. */
export var RAW = -1;

/** Receives bytes data[start..end). */
export type Writer = (data: Uint8Array, start: number, end: number) => void;

// A class, not a closure: on Espruino every closure made per connection
// carries its own copy of its code when the module was loaded into RAM.
export class Outbox {
  /** Message bytes queued and not yet handed to the socket (like a browser's
   *  bufferedAmount, frame headers and control frames are not counted). */
  _buffered = 0;
  /** Messages in order, as [op, data] pairs; _off: bytes of the first one
   *  already framed. */
  private _q: any[] = [];
  private _off = 0;
  /** Pings and pongs, whole frames, for the next frame boundary. */
  private _ctl: Uint8Array[] = [];
  /** The frame being written: its header from _hpos, then _body[_bpos.._bend). */
  private _head: Uint8Array | null = null;
  private _hpos = 0;
  private _body: Uint8Array | null = null;
  private _bpos = 0;
  private _bend = 0;

  /** @param _frag largest payload per frame; 0 sends each message as one frame. */
  constructor(private _frag: number) {}

  /** Queues a message (or RAW bytes, or a close frame), in order. */
  _add(op: number, data: Uint8Array): void {
    this._q.push(op, data);
    this._buffered += data.length;
  }

  /** Queues a ping or pong, for the next frame boundary. */
  _addControl(op: number, payload: Uint8Array): void {
    this._ctl.push(controlFrame(op, payload));
  }

  /** Hands at most `budget` bytes to `write`, in order, as ranges of the
   *  queued arrays (so no view is made at a large offset: Espruino cannot);
   *  returns the count. */
  _flush(budget: number, write: Writer): number {
    var sent = 0, take, head;
    while (sent < budget && (this._head || this._body || this._next())) {
      if ((head = this._head)) {
        take = Math.min(head.length - this._hpos, budget - sent);
        write(head, this._hpos, this._hpos + take);
        this._hpos += take;
        if (this._hpos == head.length) this._head = null;
      } else {
        take = Math.min(this._bend - this._bpos, budget - sent);
        if (take) write(this._body!, this._bpos, this._bpos + take);
        this._bpos += take;
        this._buffered -= take;
        if (this._bpos == this._bend) this._body = null;
      }
      sent += take;
    }
    return sent;
  }

  /** Is nothing left to write? */
  _empty(): boolean {
    return !this._head && !this._body && !this._ctl.length && !this._q.length;
  }

  /** Drops the queued messages that have not started to go out; returns
   *  how many. Raw bytes and close frames stay. */
  _drop(): number {
    // The first message may have fragments out already: it stays.
    var q = this._q, kept: any[] = [], dropped = 0;
    for (var i = 0; i < q.length; i += 2) {
      if ((q[i] == 1 || q[i] == 2) && !(i == 0 && this._off)) {
        this._buffered -= q[i + 1].length;
        dropped++;
      } else kept.push(q[i], q[i + 1]);
    }
    this._q = kept;
    return dropped;
  }

  /** Sets up the next frame; false when nothing is queued. */
  private _next(): boolean {
    var q = this._q, off = this._off, frag = this._frag;
    this._hpos = 0;
    // Pings and pongs go ahead of messages, but never ahead of the 101.
    if (this._ctl.length && q[0] !== RAW) {
      this._head = this._ctl.shift()!;
      return true;
    }
    if (!q.length) return false;
    var op = q[0], data: Uint8Array = q[1], n = data.length - off;
    this._body = data;
    this._bpos = off;
    if (op == RAW) {
      this._bend = n;
      q.splice(0, 2);
      return true;
    }
    var fin = !frag || op > 7 || n <= frag;
    if (!fin) n = frag;
    this._head = frameHeader(fin, off ? 0 : op, n);
    this._bend = off + n;
    if (fin) {
      q.splice(0, 2);
      this._off = 0;
    } else this._off = off + n;
    return true;
  }
}
