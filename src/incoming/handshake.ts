// The opening handshake, incoming (RFC 6455 section 4.2.1): an HTTP/1.1
// request, read from byte chunks of any size until the blank line that ends
// its head, then parsed and checked against the RFCs; admission.ts decides
// the rest and answers. The head is bounded (maxHeader), so a request that
// never ends costs at most that many bytes, and only until the handshake.
//
// The helpers run once per connection. The calls marked @__INLINE__ are
// pasted in place by the minifier, so that on a board such a helper is a
// function only while it runs, not for as long as the module is loaded
// (docs/design.md).

import { Connection, Request } from '../record';
import { host, made } from '../host';
import { admit, respond } from './admission';
import { serveHttp } from '../http-response';

export var GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Reads a chunk of the request head. Once the head is complete, it is parsed
 * and checked, and the request answered; the bytes after it (frames, from a
 * client that did not wait for the 101) are kept for when it is accepted.
 * Lines may end in CRLF or LF.
 */
export function readHandshake(s: Connection, b: Uint8Array): void {
  var hd = s._head!, max = s._options._maxHeader, old = hd._length, n, i, end = 0, from = 0, h, req, answer, kept, k, all;

  // A plain HTTP request being answered: its body is not read. A request
  // being decided (an asynchronous verify): what comes is kept, from its
  // first byte.
  if (hd._http) return;
  if (!hd._request) {
    n = Math.min(old + b.length, max);
    i = old > 2 ? old - 2 : 0;
    h = hd._bytes;
    if (!h || h.length < n) {
      // Doubling (up to max), so that a head in many pieces costs O(n) copying.
      h = new Uint8Array(Math.max(n, Math.min(2 * old, max)));
      if (hd._bytes) h.set(hd._bytes.subarray(0, old));
      hd._bytes = h;
    }
    h.set(b.subarray(0, n - old), old);
    hd._length = n;
    // The head ends at a line feed followed by CRLF or LF. (Bytes past n are
    // zeros or missing: never a line feed.)
    while (!end && (i = h.indexOf(10, i) + 1) && i < n) {
      if (h[i] == 13 && h[i + 1] == 10) i++;
      if (h[i] == 10) end = i + 1;
    }
    if (!end) {
      if (n == max) respond(s, 431);
      return;
    }
    // The head's bytes are let go before it is parsed, so that a small board
    // holds one copy of it at a time.
    hd._bytes = undefined;
    req = /*@__INLINE__*/ parseHead(made(host._text(h.subarray(0, end))));
    h = undefined;
    // Not an upgrade (a page, say): the 'request' listeners answer it, if
    // there are any, with the same limits as an upgrade's.
    if (req && s._server._ev['request'] && !hasToken(req.headers['upgrade'], 'websocket')) {
      hd._request = req;
      return s._server.sockets.length >= s._options._maxConnections ? respond(s, 503) : /*@__INLINE__*/ serveHttp(s, req);
    }
    answer = req ? /*@__INLINE__*/ checkRequest(req) : 400;
    if (answer) return respond(s, answer);
    hd._request = req;
    from = end - old;
  }
  // What follows the head is kept for when the request is accepted, bounded
  // by maxHeader like the head. (Written out here rather than as a nested
  // function: on Espruino a nested function and the scope of its call refer
  // to each other, and keep this chunk and the connection from being freed
  // until the garbage collector runs.)
  if (from < b.length) {
    kept = hd._held;
    k = kept ? kept.length : 0;
    if (k + b.length - from > max) return respond(s, 400);
    all = new Uint8Array(k + b.length - from);
    if (kept) all.set(kept);
    all.set(b.subarray(from), k);
    hd._held = all;
  }
  if (req) {
    answer = /*@__INLINE__*/ admit(s, req);
    if (answer !== null) respond(s, answer);
  }
}

/** The request line and the header lines, then an empty line; each line
 *  ends in LF or CRLF. Read line by line, never split at once. Undefined
 *  when it is malformed (RFC 7230): a header name that is not a token (one
 *  with a space before its colon, say), a folded line, two Host headers. An
 *  absolute request target (http://host/path?query, RFC 7230 section 5.3.2)
 *  becomes its path (/path?query). */
export function parseHead(t: string): Request | undefined {
  var e = t.indexOf('\n'), line = t.slice(0, e).replace(/\r$/, '').split(' '), target = line[1], at, slash, query, start, l, colon, name, value, headers: any = {}, k;
  if (line.length != 3 || !line[0] || !target) return;
  at = target.indexOf('://') + 3;
  if (target.charAt(0) != '/' && at > 3) {
    // (Espruino has no String#search.)
    slash = target.indexOf('/', at);
    query = target.indexOf('?', at);
    start = slash < 0 || (query >= 0 && query < slash) ? query : slash;
    target = start < 0 ? '/' : (start == query ? '/' : '') + target.slice(start);
  }
  for (k = e + 1; (l = t.slice(k, (e = t.indexOf('\n', k))).replace(/\r$/, '')); k = e + 1) {
    colon = l.indexOf(':');
    name = l.slice(0, colon).toLowerCase();
    // A header name is a token (RFC 7230 section 3.2.6).
    if (colon < 1 || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || (name == 'host' && headers.host != null)) return;
    value = l.slice(colon + 1).trim();
    headers[name] = Object.prototype.hasOwnProperty.call(headers, name) ? headers[name] + ', ' + value : value;
  }
  return { method: line[0], path: target, version: line[2], headers: headers };
}

/** Does the comma-separated header value contain this token (any case)? */
function hasToken(value: string | undefined, token: string): boolean {
  'rarely run';
  var parts = (value || '').toLowerCase().split(','), i;
  for (i = 0; i < parts.length; i++) if (parts[i].trim() == token) return true;
  return false;
}

/**
 * Checks a complete request against RFC 6455 section 4.2.1: 0 when it is a
 * valid WebSocket upgrade, otherwise the HTTP status to answer with.
 */
export function checkRequest(r: Request): number {
  var h = r.headers, key = h['sec-websocket-key'];
  return r.method != 'GET' ? 405 : !/^HTTP\/1\.[1-9]$/.test(r.version) ? 505 : !h['upgrade'] ? 426 :
    !h['host'] || !hasToken(h['upgrade'], 'websocket') || !hasToken(h['connection'], 'upgrade') ? 400 :
    h['sec-websocket-version'] != '13' ? 426 :
    // base64 of exactly 16 bytes: 22 characters, the last of which holds 2
    // bits of data and 4 zero bits, then '=='.
    key && key.length == 24 && /^[A-Za-z0-9+\/]*[AQgw]==$/.test(key) ? 0 : 400;
}
