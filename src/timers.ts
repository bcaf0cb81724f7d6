// The one timer of each connection: the handshake's, then the heartbeat's,
// then the close's, whichever is due. A timer is set with the connection as
// its argument, so that none needs a closure.

import { Connection, OPEN, CLOSED, TCP_CLOSED } from './record';
import { host } from './host';
import { enqueue } from './outgoing/send-queue';
import { EMPTY } from './outgoing/frame-header';
import { PING } from './protocol';

/** What the timer is for, each with the option that says when: the
 *  handshake must end by then (handshakeTimeout); a heartbeat ping is due
 *  (pingInterval); its pong is due (pongTimeout); the TCP connection must
 *  have ended by then (closeTimeout). NONE: no timer. */
export var NONE = 0, HANDSHAKE_DUE = 1, PING_DUE = 2, PONG_DUE = 3, CLOSE_DUE = 4;

/** Replaces the connection's timer with one for `purpose`, due after its
 *  option's time; none for NONE, or when that option is 0. */
export function arm(s: Connection, purpose: number): void {
  'rarely run';
  var o = s._options, ms = purpose == HANDSHAKE_DUE ? o._handshakeTimeout : purpose == PING_DUE ? o._pingInterval :
    purpose == PONG_DUE ? o._pongTimeout : purpose == CLOSE_DUE ? o._closeTimeout : 0;
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
  'rarely run';
  var purpose = s._timerPurpose;
  s._timer = undefined;
  // Nothing here may throw out of a timer, where no one would catch it; a
  // board out of memory for the ping cuts this connection alone (its
  // 'close', 1006, follows).
  try {
    if (purpose == PING_DUE) {
      if (s._state == OPEN) enqueue(s, PING, EMPTY);
      arm(s, PONG_DUE);
    } else if (purpose != HANDSHAKE_DUE && s._moved) arm(s, purpose);
    else host._destroy(s);
  } catch (e) {
    s._state = CLOSED;
    host._destroy(s);
  }
}
