// The send queue. Messages wait here as they were given (no copies); frame
// headers are made only when a frame is due, so a large message can be cut
// into fragments lazily and pings and pongs can go out between them. The
// target pulls bytes with outFlush() as fast as its socket takes them.
//
// Like every step of the core, these are functions over the connection's one
// record of state (see connection.ts): no object of its own per connection.

import { frameHeader, controlFrame } from './frame-writer';

/** Raw bytes (an HTTP response), written as they are. */
export var RAW = -1;

/** Receives bytes data[start..end) for connection c. */
export type Writer = (c: any, data: Uint8Array, start: number, end: number) => void;

/** The fields the send queue keeps in the connection's record. */
export interface OutboxState {
  /** Message bytes queued and not yet handed to the socket (like a browser's
   *  bufferedAmount, frame headers and control frames are not counted). */
  bufferedAmount: number;
  /** Messages in order, as op, data pairs; _qoff: bytes of the first one
   *  already framed. */
  _q: any[];
  _qoff: number;
  /** Pings and pongs, whole frames, for the next frame boundary. */
  _cq: Uint8Array[];
  /** The frame being written: its header _wh from _whp, then _wb[_wbp.._wbe). */
  _wh: Uint8Array | null;
  _whp: number;
  _wb: Uint8Array | null;
  _wbp: number;
  _wbe: number;
  /** Largest payload per frame; 0 sends each message as one frame. */
  _frag: number;
}

export function outInit(c: OutboxState, frag: number): void {
  // In the order of use per write (see connInit).
  c._wh = c._wb = null;
  c._whp = c._wbp = c._wbe = 0;
  c.bufferedAmount = 0;
  c._q = [];
  c._qoff = 0;
  c._cq = [];
  c._frag = frag;
}

/** Queues a message (or RAW bytes, or a close frame), in order. */
export function outAdd(c: OutboxState, op: number, data: Uint8Array): void {
  c._q.push(op, data);
  c.bufferedAmount += data.length;
}

/** Queues a ping or pong, for the next frame boundary. */
export function outControl(c: OutboxState, op: number, payload: Uint8Array): void {
  c._cq.push(controlFrame(op, payload));
}

/** Hands at most `budget` bytes to `write`, in order, as ranges of the
 *  queued arrays (so no view is made at a large offset: Espruino cannot);
 *  returns the count. */
export function outFlush(c: OutboxState, budget: number, write: Writer): number {
  var sent = 0, take, h;
  while (sent < budget && (c._wh || c._wb || outNext(c))) {
    if ((h = c._wh)) {
      take = Math.min(h.length - c._whp, budget - sent);
      write(c, h, c._whp, (c._whp += take));
      if (c._whp == h.length) c._wh = null;
    } else {
      take = Math.min(c._wbe - c._wbp, budget - sent);
      if (take) write(c, c._wb!, c._wbp, c._wbp + take);
      c._wbp += take;
      c.bufferedAmount -= take;
      if (c._wbp == c._wbe) c._wb = null;
    }
    sent += take;
  }
  return sent;
}

/** Is nothing left to write? */
export function outEmpty(c: OutboxState): boolean {
  return !c._wh && !c._wb && !c._cq.length && !c._q.length;
}

/** Drops the queued messages that have not started to go out; returns
 *  how many. Raw bytes and close frames stay. */
export function outDrop(c: OutboxState): number {
  // The first message may have fragments out already: it stays.
  var q = c._q, kept: any[] = [], dropped = 0;
  for (var i = 0; i < q.length; i += 2) {
    if ((q[i] == 1 || q[i] == 2) && !(i == 0 && c._qoff)) {
      c.bufferedAmount -= q[i + 1].length;
      dropped++;
    } else kept.push(q[i], q[i + 1]);
  }
  c._q = kept;
  return dropped;
}

/** Sets up the next frame; false when nothing is queued. */
function outNext(c: OutboxState): boolean {
  var q = c._q, off = c._qoff, frag = c._frag;
  c._whp = 0;
  // Pings and pongs go ahead of messages, but never ahead of the 101.
  if (c._cq.length && q[0] !== RAW) {
    c._wh = c._cq.shift()!;
    return true;
  }
  if (!q.length) return false;
  var op = q[0], data: Uint8Array = q[1], n = data.length - off, fin = op == RAW || !frag || op > 7 || n <= frag;
  if (!fin) n = frag;
  if (op != RAW) c._wh = frameHeader(fin, off ? 0 : op, n);
  c._wb = data;
  c._wbp = off;
  c._wbe = off + n;
  if (fin) q.splice(0, 2);
  c._qoff = fin ? 0 : off + n;
  return true;
}
