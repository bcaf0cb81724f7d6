// The one timer of each connection: the handshake's, then the heartbeat's,
// then the close's, whichever is due. A timer is set with the connection as
// its argument, so that none needs a closure.

import { Connection, OPEN, CLOSED, TCP_CLOSED } from './record';
import { host } from './host';
import { enqueue } from './outgoing/send-queue';
import { PING, EMPTY } from './outgoing/frame-header';

/** What the timer is for: the handshake must end by then; a heartbeat ping
 *  is due; its pong is due; the TCP connection must have ended by then. */
export var HANDSHAKE_DUE = 1, PING_DUE = 2, PONG_DUE = 3, CLOSE_DUE = 4;

/** Replaces the connection's timer: `purpose` after ms; none if ms is 0. */
export function arm(s: Connection, ms: number, purpose: number): void {
  if (s._timer !== undefined) host._cancel(s._timer);
  s._timerPurpose = purpose;
  s._moved = 0;
  s._timer = ms && s._tcp < TCP_CLOSED ? host._timer(onTimer, ms, s) : undefined;
}

/**
 * The heartbeat: a ping every pingInterval, then a pong within pongTimeout,
 * or the connection is cut (close code 1006). A peer that is still taking
 * our bytes is alive, though the ping may wait behind a long message: the
 * pong's time, and a closing connection's, starts again while bytes other
 * than the ping move (see pull()). The handshake's timer cuts the
 * connection.
 */
function onTimer(s: Connection): void {
  var purpose = s._timerPurpose, o = s._options;
  s._timer = undefined;
  // Nothing here may throw out of a timer, where no one would catch it; a
  // board out of memory for the ping cuts this connection alone (its
  // 'close', 1006, follows).
  try {
    if (purpose == PING_DUE) {
      if (s._state == OPEN) enqueue(s, PING, EMPTY);
      arm(s, o._pongTimeout, PONG_DUE);
    } else if (purpose != HANDSHAKE_DUE && s._moved) arm(s, purpose == PONG_DUE ? o._pongTimeout : o._closeTimeout, purpose);
    else host._destroy(s);
  } catch (e) {
    s._state = CLOSED;
    host._destroy(s);
  }
}
