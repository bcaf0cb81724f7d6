// The send queue. Messages wait here as they were given (no copies); frame
// headers are made only when a frame is due, so that a large message is cut
// into fragments as it goes and pings and pongs go out between them. The
// target pulls bytes with pull() as fast as its socket takes them.

import { Connection, OPEN, CLOSED, TCP_ENDING, Wire } from '../record';
import { host } from '../host';
import { frameHeader, MAX_HEADER, HEADER_7 } from './frame-header';
import { CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG, Frame } from '../protocol';
import { EXTRAS } from '../features';

/** RAW: an entry of the queue that is raw bytes (an HTTP response), written
 *  as they are, where the others have an opcode. END: pull()'s answer once
 *  it has written everything of a closed connection: end the TCP
 *  connection. (A const enum: TypeScript writes the values where they are
 *  used, see protocol.ts.) */
export const enum Queue {
  RAW = -1,
  END = -1
}

/** The most bytes of pongs that wait to go out. A newer pong that would pass
 *  it takes the place of those waiting (RFC 6455 section 5.5.3 lets a pong
 *  answer only the latest ping), so a peer that floods pings and never reads
 *  costs this much; enough to answer each of a burst of small pings, as the
 *  Autobahn TestSuite's cases 2.10 and 2.11 check, when they come faster than
 *  a board writes. */
export var PONG_BYTES = 256;

/** What the frame being written is (_outKind): counted in bufferedAmount;
 *  our ping, which is not a sign that the peer takes our bytes; other. */
var OUT_MESSAGE = 1, OUT_PING = 2, OUT_OTHER = 0;

/** Receives bytes data[start..end) for connection c, after the bytes of
 *  head when there is one: a short frame's header comes with its payload,
 *  in one call (on a board a call costs more than the bytes it moves). */
export type Writer = (c: any, data: Wire, start: number, end: number, head?: Uint8Array) => void;

/** Queues a close frame or Queue.RAW bytes, in order; or a PING or PONG for the
 *  next frame boundary (a ping in place of one waiting). Tells the target.
 *  (A message is queued by socket.ts's offer(), under the queue's bounds.) */
export function enqueue(s: Connection, op: number, data: Wire): void {
  'rarely run';
  var f, old, both;
  if (op == PING || op == PONG) {
    f = new Uint8Array(HEADER_7 + data.length);
    f[0] = Frame.FIN | op;
    f[1] = data.length;
    f.set(data as Uint8Array, HEADER_7);
    old = s._pongFrames;
    if (op == PING) s._pingFrame = f;
    else if (old && old.length + f.length <= PONG_BYTES) {
      both = new Uint8Array(old.length + f.length);
      both.set(old);
      both.set(f, old.length);
      s._pongFrames = both;
    } else s._pongFrames = f;
  } else s._queue.push(op, data);
  host._kick(s);
}

/**
 * Hands at most `budget` bytes to `write`, in order, as ranges of the queued
 * arrays (no view is made at a large offset: Espruino cannot make one past
 * byte 65535). Returns the count; 0 when nothing is waiting; or END (once)
 * when a closed connection's last bytes have gone. Emits 'drain' when the
 * queue of messages has emptied after a send() was refused or had to wait.
 *
 * Between frames, nothing to write or one whole message that fits is done
 * here; anything else (in the middle of a frame, say) in pullFrames: a
 * short way for the common calls (see incoming/frames.ts for why it
 * matters on a board).
 */
export function pull(s: Connection, budget: number, write: Writer): number {
  'ram if full';
  var q = s._queue, op = q[0], data = q[1], n, h, frag = s._options._fragment;
  if (s._outHead || s._outBody || s._pongFrames || s._pingFrame || s._state != OPEN || q.length > 2) return pullFrames(s, budget, write);
  if (!q.length) return s._drainDue ? pullFrames(s, budget, write) : 0;
  n = data.length;
  if ((op != TEXT && op != BINARY) || s._queueOffset || (frag && n > frag) || n + MAX_HEADER > budget) return pullFrames(s, budget, write);
  // (A 7-bit length's header is made here, not by frameHeader(): a call
  // less per short message.)
  if (n < Frame.LENGTH_16) {
    h = new Uint8Array(HEADER_7);
    h[0] = Frame.FIN | op;
    h[1] = n;
  } else h = frameHeader(true, op, n);
  write(s, data, 0, n, h);
  q.splice(0, 2);
  s.bufferedAmount -= n;
  s._moved = 1;
  if (s._drainDue && !s.bufferedAmount) {
    s._drainDue = 0;
    if (s._ev.drain) s.emit('drain');
  }
  return h.length + n;
}

/** pull() in full: frames of any kind and size, cut to the budget. */
function pullFrames(s: Connection, budget: number, write: Writer): number {
  var sent = 0, moved = 0, take, h, q = s._queue, op, data: Wire, off, n, fin, frag = s._options._fragment;
  while (sent < budget) {
    if (!s._outHead && !s._outBody) {
      // The next frame. Pings and pongs go ahead of messages, but never
      // ahead of the 101. (Typed arrays are never compared: Espruino
      // compares them as strings.)
      s._outHeadPos = 0;
      if ((s._pongFrames || s._pingFrame) && q[0] !== Queue.RAW) {
        if (s._pongFrames) {
          s._outHead = s._pongFrames;
          s._pongFrames = undefined;
          s._outKind = OUT_OTHER;
        } else {
          s._outHead = s._pingFrame;
          s._pingFrame = undefined;
          s._outKind = OUT_PING;
        }
      } else if (!q.length) break;
      else {
        op = q[0];
        data = q[1];
        off = s._queueOffset;
        n = data.length - off;
        fin = op == Queue.RAW || !frag || op >= CLOSE || n <= frag;
        if (!fin) n = frag;
        s._outHead = op == Queue.RAW ? undefined : frameHeader(fin, off ? CONTINUATION : op, n);
        s._outBody = data;
        s._outPos = off;
        s._outEnd = off + n;
        s._outKind = op == TEXT || op == BINARY ? OUT_MESSAGE : OUT_OTHER;
        if (fin) q.splice(0, 2);
        s._queueOffset = fin ? 0 : off + n;
      }
    }
    if ((h = s._outHead)) {
      take = Math.min(h.length - s._outHeadPos, budget - sent);
      write(s, h, s._outHeadPos, (s._outHeadPos += take));
      if (s._outKind != OUT_PING) moved = 1;
      if (s._outHeadPos == h.length) s._outHead = undefined;
    } else {
      take = Math.min(s._outEnd - s._outPos, budget - sent);
      if (take) write(s, s._outBody!, s._outPos, s._outPos + take);
      s._outPos += take;
      moved = 1;
      if (s._outKind == OUT_MESSAGE) s.bufferedAmount -= take;
      if (s._outPos == s._outEnd) s._outBody = undefined;
    }
    sent += take;
  }
  // The heartbeat's sign of life (timers.ts): the network took bytes, not
  // counting the ping itself, whose pong's time starts when it goes.
  if (moved) s._moved = 1;
  if (s._drainDue && !s.bufferedAmount && s._state == OPEN) {
    s._drainDue = 0;
    s.emit('drain');
  }
  // A closed connection's last bytes have gone: nothing is left to write.
  if (sent || s._tcp || s._state != CLOSED || s._outHead || s._outBody || s._pongFrames || s._pingFrame || s._queue.length) return sent;
  s._tcp = TCP_ENDING;
  return Queue.END;
}

/** Empties the queue, letting go of everything in it. */
export function clearQueue(s: Connection): void {
  'rarely run';
  s._queue = [];
  s._outHead = s._outBody = s._pongFrames = s._pingFrame = undefined;
  s.bufferedAmount = s._queueOffset = s._outHeadPos = s._outPos = s._outEnd = s._outKind = 0;
}

/** With the 'latest' policy: the bytes of the queued messages that have not
 *  started to go out, and, if `drop`, drops them (counted in _dropped). The
 *  first may have fragments out already: it stays. Close frames and raw
 *  bytes always stay. */
export function unstarted(s: Connection, drop: boolean): number {
  'rarely run';
  var q = s._queue, kept: any[] = [], bytes = 0, i;
  if (!EXTRAS) return 0;
  for (i = 0; i < q.length; i += 2) {
    if ((q[i] == TEXT || q[i] == BINARY) && !(i == 0 && s._queueOffset)) {
      bytes += q[i + 1].length;
      if (drop) s._dropped++;
    } else kept.push(q[i], q[i + 1]);
  }
  if (drop) {
    s._queue = kept;
    s.bufferedAmount -= bytes;
  }
  return bytes;
}
