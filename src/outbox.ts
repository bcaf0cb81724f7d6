// The send queue. Messages wait here as they were given (no copies); frame
// headers are made only when a frame is due, so a large message can be cut
// into fragments lazily and pings and pongs can go out between them. The
// target pulls bytes with outFlush() as fast as its socket takes them.
//
// Like every step of the core, these are functions over the connection's one
// record of state (see connection.ts): no object of its own per connection.

import { frameHeader, controlFrame, TEXT, BINARY, PING } from './frame-writer';

/** Raw bytes (an HTTP response), written as they are. */
export var RAW = -1;

/** The most bytes of pongs that wait to go out. Enough to answer each of a
 *  burst of small pings (as the Autobahn TestSuite's cases 2.10 and 2.11 check)
 *  when they arrive faster than a board writes. */
export var PONG_BYTES = 256;

/** Receives bytes data[start..end) for connection c. */
export type Writer = (c: any, data: Uint8Array, start: number, end: number) => void;

/** The fields the send queue keeps in the connection's record. */
export interface OutboxState {
  /** Message bytes queued and not yet handed to the socket. Like a browser's
   *  bufferedAmount, it counts messages only: not the HTTP response, frame
   *  headers, pings, pongs or close frames. */
  bufferedAmount: number;
  /** Messages in order, as op, data pairs; _qoff: bytes of the first one
   *  already framed. */
  _q: any[];
  _qoff: number;
  /** The pongs waiting for the next frame boundary (whole frames, one after
   *  the other, at most PONG_BYTES), and the next ping. A ping takes the place
   *  of one still waiting; a pong that would pass PONG_BYTES takes the place of
   *  those waiting (RFC 6455 section 5.5.3 lets a pong answer only the latest
   *  ping). So a peer that floods pings and never reads costs a few bytes. */
  _pongFrame: Uint8Array | null;
  _pingFrame: Uint8Array | null;
  /** The frame being written: its header _wh from _whp, then _wb[_wbp.._wbe). */
  _wh: Uint8Array | null;
  _whp: number;
  _wb: Uint8Array | null;
  _wbp: number;
  _wbe: number;
  /** _wb is a message's payload (counted in bufferedAmount). */
  _wbMessage: boolean;
  /** Largest payload per frame; 0 sends each message as one frame. */
  _frag: number;
}

export function outInit(c: OutboxState, frag: number): void {
  // In the order of use per write (see connInit).
  outClear(c);
  c._frag = frag;
}

/** Empties the queue, letting go of everything in it. */
export function outClear(c: OutboxState): void {
  c._wh = c._wb = c._pongFrame = c._pingFrame = null;
  c._whp = c._wbp = c._wbe = 0;
  c._wbMessage = false;
  c.bufferedAmount = 0;
  c._q = [];
  c._qoff = 0;
}

function isMessage(op: number): boolean {
  return op == TEXT || op == BINARY;
}

/** Queues a message (or RAW bytes, or a close frame), in order. */
export function outAdd(c: OutboxState, op: number, data: Uint8Array): void {
  c._q.push(op, data);
  if (isMessage(op)) c.bufferedAmount += data.length;
}

/** Queues a ping or pong for the next frame boundary (see _pongFrame). */
export function outControl(c: OutboxState, op: number, payload: Uint8Array): void {
  var f = controlFrame(op, payload), old = c._pongFrame, both;
  if (op == PING) c._pingFrame = f;
  else if (old && old.length + f.length <= PONG_BYTES) {
    both = new Uint8Array(old.length + f.length);
    both.set(old);
    both.set(f, old.length);
    c._pongFrame = both;
  } else c._pongFrame = f;
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
      if (c._wbMessage) c.bufferedAmount -= take;
      if (c._wbp == c._wbe) c._wb = null;
    }
    sent += take;
  }
  return sent;
}

/** Is nothing left to write? */
export function outEmpty(c: OutboxState): boolean {
  return !c._wh && !c._wb && !c._pongFrame && !c._pingFrame && !c._q.length;
}

/** Bytes of the queued messages that have not started to go out: what
 *  outDrop() would let go. */
export function outUnstarted(c: OutboxState): number {
  var q = c._q, n = 0;
  for (var i = 0; i < q.length; i += 2) if (isUnstarted(c, q, i)) n += q[i + 1].length;
  return n;
}

/** Drops the queued messages that have not started to go out; returns
 *  how many. Raw bytes and close frames stay. */
export function outDrop(c: OutboxState): number {
  var q = c._q, kept: any[] = [], dropped = 0;
  for (var i = 0; i < q.length; i += 2) {
    if (isUnstarted(c, q, i)) {
      c.bufferedAmount -= q[i + 1].length;
      dropped++;
    } else kept.push(q[i], q[i + 1]);
  }
  c._q = kept;
  return dropped;
}

/** Is q[i] a message none of which has been framed yet? (The first may have
 *  fragments out already.) */
function isUnstarted(c: OutboxState, q: any[], i: number): boolean {
  return isMessage(q[i]) && !(i == 0 && c._qoff);
}

/** Sets up the next frame; false when nothing is queued. */
function outNext(c: OutboxState): boolean {
  var q = c._q, off = c._qoff, frag = c._frag;
  c._whp = 0;
  // Pings and pongs go ahead of messages, but never ahead of the 101.
  // (Typed arrays are never compared: Espruino compares them as strings.)
  if ((c._pongFrame || c._pingFrame) && q[0] !== RAW) {
    if (c._pongFrame) {
      c._wh = c._pongFrame;
      c._pongFrame = null;
    } else {
      c._wh = c._pingFrame;
      c._pingFrame = null;
    }
    return true;
  }
  if (!q.length) return false;
  var op = q[0], data: Uint8Array = q[1], n = data.length - off, fin = op == RAW || !frag || op > 7 || n <= frag;
  if (!fin) n = frag;
  if (op != RAW) c._wh = frameHeader(fin, off ? 0 : op, n);
  c._wb = data;
  c._wbp = off;
  c._wbe = off + n;
  c._wbMessage = isMessage(op);
  if (fin) q.splice(0, 2);
  c._qoff = fin ? 0 : off + n;
  return true;
}
