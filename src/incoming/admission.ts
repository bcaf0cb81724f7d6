// The server's say on a valid upgrade request (path, origins, the
// connection limit, verify, the subprotocol), and the answer: an HTTP error
// response, or the 101 that opens the connection.

import { Connection, Request, OPEN, CLOSED } from '../record';
import { host, made } from '../host';
import { enqueue, Queue } from '../outgoing/send-queue';
import { arm, PING_DUE, CLOSE_DUE } from '../timers';
import { lost, idleCheck } from '../connection';
import { parseFrames } from './frames';
import { statusText } from '../http-response';
import { EXTRAS } from '../features';

/**
 * The server's checks of a valid upgrade request: an HTTP status refuses it;
 * a string accepts it, with these extra response header lines; null means
 * verify() returned a promise, and respond() follows when it settles.
 *
 * (Its helpers are not nested in it: on Espruino a nested function and the
 * scope of its call refer to each other, and would keep the connection
 * until the garbage collector runs. The promise's callbacks are made only
 * when there is a promise, and are held by it, not by the scope.)
 */
export function admit(s: Connection, req: Request): number | string | null {
  var o = s._options, origin = req.headers['origin'], v: any;
  if (EXTRAS && o._path && req.path.split('?')[0] != o._path) return 404;
  // Browsers always send Origin, other clients need not; an empty one is
  // not an allowed origin.
  if (o._origins && origin != null && o._origins.indexOf(origin) < 0) return 403;
  if (s._server.sockets.length >= o._maxConnections) return 503;
  if (!EXTRAS) return '';
  if (o._verify) {
    try {
      v = o._verify(req);
    } catch (e) {
      return 500;
    }
    if (v && typeof v.then == 'function') {
      v.then(function (r: any) {
        decided(s, verdict(r));
      }, function () {
        decided(s, 500);
      });
      return null;
    }
    if ((v = verdict(v))) return v;
  }
  return chooseProtocol(s, req);
}

/** What a verify() result means: true or nothing accepts (0), false is
 *  403, a status 400-599 is that status, anything else 500. */
function verdict(r: any): number {
  'rarely run';
  return r === true || r === undefined ? 0 : r === false ? 403 : typeof r == 'number' && r >= 400 && r < 600 && r % 1 == 0 ? r : 500;
}

/** The first of our subprotocols that the client offers (case-sensitive),
 *  as a response header line; '' for none. */
function chooseProtocol(s: Connection, req: Request): string {
  'rarely run';
  var p = s._options._protocols, offered = ',' + (req.headers['sec-websocket-protocol'] || '').replace(/[ \t]/g, '') + ',', i;
  for (i = 0; p && i < p.length; i++) {
    if (offered.indexOf(',' + p[i] + ',') >= 0) return 'Sec-WebSocket-Protocol: ' + (s.protocol = p[i]) + '\r\n';
  }
  return '';
}

/** An asynchronous verify() has settled (bounded by the handshake timer,
 *  which is still running). */
function decided(s: Connection, status: number): void {
  'rarely run';
  if (s._tcp || !s._head) return;
  // Other connections may have opened meanwhile.
  if (!status && s._server.sockets.length >= s._options._maxConnections) status = 503;
  respond(s, status || chooseProtocol(s, s._head._request!));
}

/**
 * Answers the request: an HTTP status refuses it, and the connection closes
 * after the response; 0 or a string (extra response header lines) accepts
 * it: the 101, then 'connection' on the server and 'open' on the socket,
 * then any frames that came with the request. Also called when an
 * asynchronous verify() has decided.
 */
export function respond(s: Connection, answer: number | string): void {
  'rarely run';
  var hd = s._head, req, held, server = s._server, text, drop, i;
  if (!hd || s._state || hd._http) return;
  req = hd._request!;
  held = hd._held;
  s._head = undefined;
  try {
    if (typeof answer == 'number' && answer) {
      s._state = CLOSED;
      arm(s, CLOSE_DUE);
      // A complete error response, with a short text; the connection
      // closes after it.
      text = answer + ' ' + statusText(answer) + '\n';
      enqueue(s, Queue.RAW, made(host._bytes('HTTP/1.1 ' + answer + ' ' + statusText(answer) + '\r\nConnection: close\r\n' +
        (answer == 426 ? 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' : answer == 405 ? 'Allow: GET\r\n' : '') +
        'Content-Type: text/plain\r\nContent-Length: ' + text.length + '\r\n\r\n' + text)));
      return;
    }
    s._state = OPEN;
    enqueue(s, Queue.RAW, made(host._bytes('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
      made(host._accept(req.headers['sec-websocket-key'])) + '\r\n' + (answer || '') + '\r\n')));
    // The request stays with the socket, without the headers only the
    // handshake needs, those about caching and content negotiation (a
    // WebSocket has no body to cache or encode), and those a browser sends
    // the same for every WebSocket: on a board each header costs memory for
    // as long as the connection lasts (a browser's, 12 to 20 blocks in all).
    // (The list is made here, per handshake: kept by the module, it would
    // hold memory for as long as the module is loaded.)
    drop = ('connection upgrade sec-websocket-key sec-websocket-version sec-websocket-extensions ' +
      'pragma cache-control accept accept-encoding sec-fetch-dest sec-fetch-mode').split(' ');
    for (i = 0; i < drop.length; i++) delete req.headers[drop[i]];
    s.request = req;
    arm(s, PING_DUE);
    if (EXTRAS && s._options._idleTimeout) {
      s._lastMessageAt = Date.now();
      idleCheck(s);
    }
    server.sockets.push(s);
    server.emit('connection', s);
    // A 'connection' listener may have closed it already.
    if (s._state == OPEN) {
      s.emit('open');
      if (held) parseFrames(s, held, 0);
    }
  } catch (e) {
    lost(s, e);
  }
}
