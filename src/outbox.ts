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
  /** Hands at most `budget` bytes to `write`, in order, as ranges of the
   *  queued arrays (so no view is made at a large offset: Espruino cannot);
   *  returns the count. */
  _flush(budget: number, write: Writer): number;
  /** Is nothing left to write? */
  _empty(): boolean;
  /** Drops the queued messages that have not started to go out; returns
   *  how many. Raw bytes and close frames stay. */
  _drop(): number;
  /** Message bytes queued and not yet handed to the socket (like a browser's
   *  bufferedAmount, frame headers and control frames are not counted). */
  _buffered: number;
}

/** Receives bytes data[start..end). */
export type Writer = (data: Uint8Array, start: number, end: number) => void;

/** @param frag largest payload per frame; 0 sends each message as one frame. */
export function outbox(frag: number): Outbox {
  // q: messages in order as [op, data] pairs; off: bytes of q's first message
  // already framed; ctl: pings and pongs. The frame being written: its header
  // from hpos, then body[bpos..bend).
  var q: any[] = [], off = 0, ctl: Uint8Array[] = [];
  var head: Uint8Array | null = null, hpos = 0, body: Uint8Array | null = null, bpos = 0, bend = 0;

  /** Sets up the next frame; false when nothing is queued. */
  function next(): boolean {
    hpos = 0;
    // Pings and pongs go ahead of messages, but never ahead of the 101.
    if (ctl.length && q[0] !== RAW) {
      head = ctl.shift()!;
      return true;
    }
    if (!q.length) return false;
    var op = q[0], data: Uint8Array = q[1], n = data.length - off;
    if (op == RAW) {
      body = data;
      bpos = 0;
      bend = n;
      q.splice(0, 2);
      return true;
    }
    var fin = !frag || op > 7 || n <= frag;
    if (!fin) n = frag;
    head = frameHeader(fin, off ? 0 : op, n);
    body = data;
    bpos = off;
    bend = off + n;
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
      var sent = 0, take;
      while (sent < budget && (head || body || next())) {
        if (head) {
          take = Math.min(head.length - hpos, budget - sent);
          write(head, hpos, hpos + take);
          hpos += take;
          if (hpos == head.length) head = null;
        } else {
          take = Math.min(bend - bpos, budget - sent);
          if (take) write(body!, bpos, bpos + take);
          bpos += take;
          box._buffered -= take;
          if (bpos == bend) body = null;
        }
        sent += take;
      }
      return sent;
    },
    _empty: function () {
      return !head && !body && !ctl.length && !q.length;
    },
    _drop: function () {
      // q[0] may be a message whose first fragments are out already: it stays.
      var kept: any[] = [], dropped = 0;
      for (var i = 0; i < q.length; i += 2) {
        if ((q[i] == 1 || q[i] == 2) && !(i == 0 && off)) {
          box._buffered -= q[i + 1].length;
          dropped++;
        } else kept.push(q[i], q[i + 1]);
      }
      q = kept;
      return dropped;
    },
    _buffered: 0
  };
  return box;
}
