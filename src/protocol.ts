// The core's entry points for a connection: connInit() sets up its record,
// and receive() takes bytes in: the request head until the handshake is
// over, then frames. (Messages go out with connSend() in connection.ts, and
// bytes with outFlush() in outbox.ts.)

import { Conn, ConnectionLimits, Codec, OPEN, CLOSED, NO_MEMORY, fail, abort, queue } from './connection';
import { readHead, checkRequest, acceptResponse, errorResponse, headReader, HeadReader, MORE } from './handshake';
import { parseFrames, parserInit } from './frame-parser';
import { readerInit } from './message-reader';
import { RAW, outInit } from './outbox';

/** Sets up the record for a new connection. */
export function connInit(c: Conn, limits: ConnectionLimits, codec: Codec): void {
  // Espruino finds a field by walking the object's list of them, in the
  // order they were made: those read for every chunk come first.
  c._state = 0;
  c._hd = headReader();
  parserInit(c);
  readerInit(c);
  outInit(c, limits.fragment);
  c._code = 0;
  c._reason = '';
  c._o = limits;
  c._k = codec;
}

/** Bytes from the peer. The chunk is unmasked in place, and views of it may
 *  be delivered as messages: the caller must not reuse it. Never throws:
 *  should this code throw (a bug, or a board out of memory), it costs this
 *  connection only. */
export function receive(c: Conn, b: Uint8Array): void {
  var hd = c._hd, i, req, answer;
  try {
    if (!hd) parseFrames(c, b, 0);
    else if (hd._r) hold(c, hd, b, 0);
    else {
      i = readHead(hd, b, c._o.maxHeader, c._k._text);
      if (i == MORE) return;
      req = hd._r!;
      answer = i < 0 ? -i : checkRequest(req) || c._request(req);
      if (i > 0) hold(c, hd, b, i);
      if (answer !== null) respond(c, answer);
    }
  } catch (e) {
    lost(c, e);
  }
}

/** Keeps bytes that came after the request head, for when the request is
 *  accepted (a client should wait for the 101, but may not). They are
 *  bounded by maxHeader, like the head. */
function hold(c: Conn, hd: HeadReader, b: Uint8Array, i: number): void {
  var old = hd._held, n = old ? old.length : 0, all;
  if (i >= b.length) return;
  if (n + b.length - i > c._o.maxHeader) {
    hd._held = null;
    respond(c, 400);
    return;
  }
  all = new Uint8Array(n + b.length - i);
  if (old) all.set(old);
  all.set(b.subarray(i), n);
  hd._held = all;
}

/**
 * Answers the request: an HTTP status refuses it, and the connection closes
 * after the response; 0 or a string (extra response header lines) accepts
 * it. Called by receive(), or by the owner when it decided later.
 */
export function respond(c: Conn, answer: number | string): void {
  var hd = c._hd, req, held;
  if (!hd || c._state) return;
  req = hd._r!;
  held = hd._held;
  c._hd = null;
  try {
    if (typeof answer == 'number' && answer) {
      c._state = CLOSED;
      queue(c, RAW, errorResponse(answer));
      return;
    }
    c._state = OPEN;
    queue(c, RAW, acceptResponse(c._k._accept(req.headers['sec-websocket-key']), (answer as string) || ''));
    c._open(req);
    if (held && c._state == OPEN) parseFrames(c, held, 0);
  } catch (e) {
    lost(c, e);
  }
}

/** Something threw inside the core: a bug (1011, with a close frame), or a
 *  board that could not get the memory, where even a close frame may not
 *  fit: the TCP connection is dropped. */
function lost(c: Conn, e: any): void {
  var message = e && e.message == NO_MEMORY ? NO_MEMORY : 'internal error';
  try {
    if (message == NO_MEMORY) throw e;
    fail(c, 1011, message);
  } catch (again) {
    abort(c, message);
  }
}
