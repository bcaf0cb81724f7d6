// The opening handshake (RFC 6455 section 4.2): an HTTP/1.1 request, read
// from byte chunks of any size until the blank line that ends its head, then
// parsed and checked. The head is bounded (maxHeader), so a request that
// never ends costs at most that many bytes, and only until the handshake.

import { EXTRAS } from './features';

/** What the request said. Header names are lower-cased; repeated headers are
 *  joined with ", ". */
export interface Request {
  method: string;
  path: string;
  version: string;
  headers: { [name: string]: string };
}

/** The head so far: _b[0.._n), and the request once it is complete; then,
 *  while the request is being decided, the bytes that came after it.
 *  Dropped when the handshake is over. */
export interface HeadReader {
  _b: Uint8Array | null;
  _n: number;
  _r?: Request;
  _held: Uint8Array | null;
}

/** readHead() needs more bytes. */
export var MORE = -1;

export var GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function headReader(): HeadReader {
  return { _b: null, _n: 0, _held: null };
}

/** A buffer holding buf[0..len) with room for `need` bytes: buf itself if it
 *  has the room, else a new one, at least doubled (up to `max`) so that
 *  growing piece by piece costs O(n) copying. */
export function grow(buf: Uint8Array | null, len: number, need: number, max: number): Uint8Array {
  if (buf && buf.length >= need) return buf;
  var b = new Uint8Array(Math.max(need, Math.min(2 * len, max)));
  if (buf) b.set(buf.subarray(0, len));
  return b;
}

/**
 * Reads a chunk of the head. Once the head is complete, returns the index in
 * `b` just past it (bytes after it are frames), the request in r._r; MORE when
 * more is needed; or minus an HTTP status (-400, -431) when the head is
 * malformed or longer than `max` bytes. Lines may end in CRLF or LF.
 */
export function readHead(r: HeadReader, b: Uint8Array, max: number, text: (b: Uint8Array) => string): number {
  var old = r._n, n = Math.min(old + b.length, max), i = old > 2 ? old - 2 : 0, h: Uint8Array | null = (r._b = grow(r._b, old, n, max)), t: string;
  h.set(b.subarray(0, n - old), old);
  r._n = n;
  // The head ends at a line feed followed by CRLF or LF. (Bytes past n are
  // zeros or missing: never a line feed.) Its bytes are let go before it is
  // parsed, so that a small board holds one copy of it at a time.
  while ((i = h.indexOf(10, i) + 1) && i < n) {
    if (h[i] == 13 && h[i + 1] == 10) i++;
    if (h[i] == 10) {
      t = text(h.subarray(0, i + 1));
      r._b = h = null;
      return (r._r = parseHead(t)) ? i + 1 - old : -400;
    }
  }
  return n < max ? MORE : -431;
}

/** The request line and the header lines, then an empty line; each line
 *  ends in LF or CRLF. Read line by line, never split at once. Undefined
 *  when it is malformed (RFC 7230): a header name that is not a token (one
 *  with a space before its colon, say), a folded line, two Host headers. */
function parseHead(t: string): Request | undefined {
  var e = t.indexOf('\n'), line = t.slice(0, e).replace(/\r$/, '').split(' '), r: Request, s, colon, name, value, h: any = {}, k;
  if (line.length != 3 || !line[0] || !line[1]) return;
  r = { method: line[0], path: originForm(line[1]), version: line[2], headers: h };
  for (k = e + 1; (s = t.slice(k, (e = t.indexOf('\n', k))).replace(/\r$/, '')); k = e + 1) {
    colon = s.indexOf(':');
    name = s.slice(0, colon).toLowerCase();
    if (colon < 1 || !TOKEN.test(name) || (name == 'host' && h.host != null)) return;
    value = s.slice(colon + 1).trim();
    h[name] = Object.prototype.hasOwnProperty.call(h, name) ? h[name] + ', ' + value : value;
  }
  return r;
}

/** A header name (RFC 7230 section 3.2.6), lower-cased. */
var TOKEN = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** The path of a request target: an absolute form (http://host/path?query,
 *  RFC 7230 section 5.3.2) becomes /path?query. */
function originForm(target: string): string {
  var at = target.indexOf('://') + 3, slash, query, end;
  if (target.charAt(0) == '/' || at < 4) return target;
  // (Espruino has no String#search.)
  slash = target.indexOf('/', at);
  query = target.indexOf('?', at);
  end = slash < 0 || (query >= 0 && query < slash) ? query : slash;
  return end < 0 ? '/' : (end == query ? '/' : '') + target.slice(end);
}

/** Does the comma-separated header value contain this token (any case)? */
export function hasToken(value: string | undefined, token: string): boolean {
  return (value || '').toLowerCase().split(',').map(function (t) {
    return t.trim();
  }).indexOf(token) >= 0;
}

/** Is this a base64 encoding of exactly 16 bytes? (22 characters, the last
 *  of which holds 2 bits of data and 4 zero bits, then '=='.) */
export function isKey(key: string | undefined): boolean {
  return !!key && key.length == 24 && /^[A-Za-z0-9+\/]*[AQgw]==$/.test(key);
}

/**
 * Checks a complete request against RFC 6455 section 4.2.1. Returns 0 when it
 * is a valid WebSocket upgrade, otherwise the HTTP status to answer with.
 */
export function checkRequest(r: Request): number {
  var h = r.headers;
  return r.method != 'GET' ? 405 : !/^HTTP\/1\.[1-9]$/.test(r.version) ? 505 : !h['upgrade'] ? 426 :
    !h['host'] || !hasToken(h['upgrade'], 'websocket') || !hasToken(h['connection'], 'upgrade') ? 400 :
    h['sec-websocket-version'] != '13' ? 426 : isKey(h['sec-websocket-key']) ? 0 : 400;
}

/** The 101 response that completes the handshake. */
export function acceptResponse(accept: string, extra: string): string {
  return 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
    accept + '\r\n' + extra + '\r\n';
}

/** Reason phrases: of the statuses the core sends, then of those only the
 *  optional features send (see features.ts). */
var STATUS: { [code: number]: string } = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported'
};
if (EXTRAS) {
  STATUS[403] = 'Forbidden';
  STATUS[404] = 'Not Found';
  STATUS[500] = 'Internal Server Error';
}

/** A complete error response; the connection closes after it. */
export function errorResponse(status: number): string {
  return 'HTTP/1.1 ' + status + ' ' + (STATUS[status] || 'Error') + '\r\nConnection: close\r\n' +
    (status == 426 ? 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' : status == 405 ? 'Allow: GET\r\n' : '') +
    'Content-Length: 0\r\n\r\n';
}
