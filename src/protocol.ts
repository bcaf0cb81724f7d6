// The core's entry points for a connection: connInit() sets up its record,
// and receive() takes bytes in: the request head until the handshake is
// over, then frames. (Messages go out with connSend() in connection.ts, and
// bytes with outFlush() in outbox.ts.)

import { Conn, ConnectionLimits, Codec, OPEN, CLOSED, fail, queue } from './connection';
import { readHead, checkRequest, acceptResponse, errorResponse, headReader } from './handshake';
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
 *  should a bug in this code throw, it costs this connection only (1011). */
export function receive(c: Conn, b: Uint8Array): void {
  var i = 0, hd = c._hd, req, answer;
  try {
    if (hd) {
      i = readHead(hd, b, c._o.maxHeader, c._k._text);
      if (i == -1) return;
      req = hd._r!;
      answer = i < 0 ? -i : checkRequest(req) || c._request(req);
      c._hd = null;
      if (typeof answer == 'number' && answer) {
        c._state = CLOSED;
        queue(c, RAW, errorResponse(answer));
        return;
      }
      c._state = OPEN;
      queue(c, RAW, acceptResponse(c._k._accept(req.headers['sec-websocket-key']), (answer as string) || ''));
      c._open(req);
    }
    if (i < b.length) parseFrames(c, b, i);
  } catch (e) {
    fail(c, 1011, 'internal error');
  }
}
