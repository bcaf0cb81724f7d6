// The send queue. Messages wait here as they were given (no copies); frame
// headers are made only when a frame is due, so a large message can be cut
// into fragments lazily and pings and pongs can go out between them. The
// target pulls bytes with _flush() as fast as its socket takes them.

import { frameHeader, controlFrame } from './frame-writer';

/** Raw bytes (an HTTP response), written as they are. */
export var RAW = -1;

export interface Outbox {
  /** Queues a message (or RAW bytes, or a close frame), in order. */
  _add(op: number, data: Uint8Array): void;
  /** Queues a ping or pong, for the next frame boundary. */
  _addControl(op: number, payload: Uint8Array): void;
  /** Hands at most `budget` bytes to `write`, in order; returns the count. */
  _flush(budget: number, write: (piece: Uint8Array) => void): number;
  /** Is nothing left to write? */
  _empty(): boolean;
  /** Message bytes queued and not yet handed to the socket (like a browser's
   *  bufferedAmount, frame headers and control frames are not counted). */
  _buffered: number;
}

/** @param frag largest payload per frame; 0 sends each message as one frame. */
export function outbox(frag: number): Outbox {
  // q: messages in order as [op, data] pairs; off: bytes of q's first message
  // already framed; ctl: pings and pongs; head/body: what is left of the
  // frame being written.
  var q: any[] = [], off = 0, ctl: Uint8Array[] = [];
  var head: Uint8Array | null = null, body: Uint8Array | null = null;

  /** Sets up the next frame; false when nothing is queued. */
  function next(): boolean {
    // Pings and pongs go ahead of messages, but never ahead of the 101.
    if (ctl.length && q[0] !== RAW) {
      head = ctl.shift()!;
      return true;
    }
    if (!q.length) return false;
    var op = q[0], data: Uint8Array = q[1], n = data.length - off;
    if (op == RAW) {
      body = data;
      q.splice(0, 2);
      return true;
    }
    var fin = !frag || op > 7 || n <= frag;
    if (!fin) n = frag;
    head = frameHeader(fin, off ? 0 : op, n);
    body = n ? (off || n < data.length ? data.subarray(off, off + n) : data) : null;
    if (fin) {
      q.splice(0, 2);
      off = 0;
    } else off += n;
    return true;
  }

  var box: Outbox = {
    _add: function (op, data) {
      q.push(op, data);
      box._buffered += data.length;
    },
    _addControl: function (op, payload) {
      ctl.push(controlFrame(op, payload));
    },
    _flush: function (budget, write) {
      var sent = 0;
      while (sent < budget && (head || body || next())) {
        var piece = (head || body)!, take = piece.length < budget - sent ? piece.length : budget - sent;
        var rest = take < piece.length ? piece.subarray(take) : null;
        write(rest ? piece.subarray(0, take) : piece);
        sent += take;
        if (head) head = rest;
        else {
          body = rest;
          box._buffered -= take;
        }
      }
      return sent;
    },
    _empty: function () {
      return !head && !body && !ctl.length && !q.length;
    },
    _buffered: 0
  };
  return box;
}
