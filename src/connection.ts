// How a connection ends: failed by a protocol error, closed by a closing
// handshake, lost to an internal error or to a board out of memory, and
// finally gone when its TCP connection closes. (The states are in
// record.ts.)

import { Connection, OPEN, CLOSING, CLOSED, CONNECTING, TCP_CLOSED } from './record';
import { host, made, NO_MEMORY } from './host';
import { enqueue, clearQueue } from './outgoing/send-queue';
import { closePayload } from './outgoing/frame-header';
import { CLOSE, CloseCode } from './protocol';
import { arm, CLOSE_DUE, NONE } from './timers';
import { EXTRAS } from './features';

/** Fails the connection: reports the error (`closeCode` on the Error), and
 *  sends a close frame with the code; before the handshake is over, just
 *  ends the connection. Without a reason, the code is INVALID_PAYLOAD, and
 *  the reason 'invalid UTF-8': given here, not by the message path's
 *  callers, whose text a board reads at every message, nor kept in a
 *  module-level variable, which would take memory for good. */
export function fail(s: Connection, code: number, reason?: string): void {
  'rarely run';
  var st = s._state, e: any;
  if (st == CLOSED) return;
  if (!reason) reason = 'invalid UTF-8';
  s._closeCode = code;
  s._closeReason = reason;
  s._state = CLOSED;
  s._messageBuf = s._control = undefined;
  arm(s, CLOSE_DUE);
  e = new Error(reason);
  e.closeCode = code;
  s.emit('error', e);
  if (st == OPEN) enqueue(s, CLOSE, closePayload(code, made(host._bytes(reason))));
  else host._kick(s);
}

/** Starts the closing handshake (the code and reason already checked), or
 *  drops a connection still in its handshake. */
export function startClose(s: Connection, code: number, reason: Uint8Array): void {
  'rarely run';
  if (s._state == OPEN) {
    s._state = CLOSING;
    enqueue(s, CLOSE, closePayload(code, reason));
    arm(s, CLOSE_DUE);
  } else if (s._state == CONNECTING) {
    s._state = CLOSED;
    host._destroy(s);
  }
}

/** With idleTimeout: closes the connection with 1001 once it passes with no
 *  message. */
export function idleCheck(s: Connection): void {
  'rarely run';
  var wait = s._options._idleTimeout - (Date.now() - s._lastMessageAt);
  s._idleTimer = wait > 0 ? host._timer(idleCheck, wait, s) : undefined;
  if (wait <= 0) startClose(s, CloseCode.GOING_AWAY, made(host._bytes('idle')));
}

/** Something threw inside the core: a bug (1011, with a close frame), or a
 *  board that could not get the memory, where even a close frame may not
 *  fit: then the error is reported and the TCP connection dropped. */
export function lost(s: Connection, e: any): void {
  var message = e && e.message == NO_MEMORY ? NO_MEMORY : 'internal error', err: any;
  try {
    if (message == NO_MEMORY) throw e;
    fail(s, CloseCode.INTERNAL_ERROR, message);
  } catch (again) {
    // Out of memory, even this may fail: the connection is dropped first,
    // and nothing thrown here leaves this function.
    try {
      host._destroy(s);
      if (s._state != CLOSED) {
        s._state = CLOSED;
        err = new Error(message);
        err.closeCode = CloseCode.ABNORMAL_CLOSURE;
        s.emit('error', err);
      }
    } catch (last) {
      s._state = CLOSED;
    }
  }
}

/** The TCP connection is closed: lets go of everything the connection
 *  holds, and reports 'close' if it was open. */
export function gone(s: Connection): void {
  'rarely run';
  var server = s._server, i;
  if (s._tcp == TCP_CLOSED) return;
  s._tcp = TCP_CLOSED;
  arm(s, NONE);
  if (EXTRAS && s._idleTimer !== undefined) host._cancel(s._idleTimer);
  s._state = CLOSED;
  s._messageBuf = s._control = s._head = undefined;
  clearQueue(s);
  if ((i = server._all.indexOf(s)) >= 0) server._all.splice(i, 1);
  if ((i = server.sockets.indexOf(s)) >= 0) server.sockets.splice(i, 1);
  // From here on, what a listener throws goes to the server (emitter.ts).
  s._errorsTo = server;
  if (s.request) s.emit('close', s._closeCode || CloseCode.ABNORMAL_CLOSURE, s._closeReason || '');
  // Nothing is emitted after 'close', so the listeners are let go. An
  // application's listener made per connection usually refers to its
  // socket (c.on('message', function (m) { c.send(m); })): on Espruino the
  // two would keep each other, and the connection's memory, until the
  // garbage collector runs.
  s._ev = {};
}
