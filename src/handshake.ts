// The opening handshake (RFC 6455 section 4.2): an HTTP/1.1 request read
// line by line from byte chunks of any size, then checked. Only the line being
// read and the header values are held, and the whole head is bounded, so a
// request that never ends costs at most maxHeader bytes.

/** What the request said. Header names are lower-cased; repeated headers are
 *  joined with ", ". */
export interface Request {
  method: string;
  path: string;
  version: string;
  headers: { [name: string]: string };
}

/** The state of a request being read; dropped once the head is complete. */
export interface HeadReader {
  /** The request, filled in as its lines arrive. */
  _r: Request;
  /** The bytes of a line that a chunk ended in the middle of (kept as bytes,
   *  so that a character split between chunks decodes whole): _p[0.._n). */
  _p: Uint8Array | null;
  _n: number;
  /** Bytes of the head so far. */
  _z: number;
}

export var GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function headReader(): HeadReader {
  return { _r: { method: '', path: '', version: '', headers: {} }, _p: null, _n: 0, _z: 0 };
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

/** Reads b[i..]. Returns the index just past the head once it is complete
 *  (bytes after it are frames), -1 when more is needed, or minus an HTTP
 *  status (-400, -431) when the head is malformed or too large. */
export function readHead(r: HeadReader, b: Uint8Array, i: number, max: number, text: (b: Uint8Array) => string): number {
  var n = b.length, lf, end, s, t;
  while (i < n) {
    lf = b.indexOf(10, i);
    end = lf < 0 ? n : lf;
    if ((r._z += end - i + (lf < 0 ? 0 : 1)) > max) return -431;
    if (lf < 0 || r._n) {
      // Part of a line: kept, until its end arrives.
      r._p = grow(r._p, r._n, r._n + end - i, max);
      r._p.set(b.subarray(i, end), r._n);
      r._n += end - i;
      if (lf < 0) return -1;
      s = text(r._p.subarray(0, r._n));
      r._n = 0;
    } else s = text(b.subarray(i, end));
    i = lf + 1;
    if (s.charAt(s.length - 1) == '\r') s = s.slice(0, -1);
    t = takeLine(r._r, s);
    if (t) return t < 0 ? t : i;
  }
  return -1;
}

/** One complete line: 1 for the end of the head, 0 for more, -400 if malformed. */
function takeLine(r: Request, s: string): number {
  if (!r.method) {
    var parts = s.split(' ');
    if (parts.length != 3 || !parts[0] || !parts[1]) return -400;
    r.method = parts[0];
    r.path = parts[1];
    r.version = parts[2];
    return 0;
  }
  if (!s) return 1;
  var colon = s.indexOf(':'), h = r.headers, c = s.charAt(0);
  // Folded (obsolete) lines and lines with no name are refused.
  if (colon < 1 || c == ' ' || c == '\t') return -400;
  var name = s.slice(0, colon).toLowerCase(), value = s.slice(colon + 1).trim();
  h[name] = Object.prototype.hasOwnProperty.call(h, name) ? h[name] + ', ' + value : value;
  return 0;
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
  return r.method != 'GET' ? 405 : r.version != 'HTTP/1.1' ? 505 : !h['upgrade'] ? 426 :
    !h['host'] || !hasToken(h['upgrade'], 'websocket') || !hasToken(h['connection'], 'upgrade') ? 400 :
    h['sec-websocket-version'] != '13' ? 426 : isKey(h['sec-websocket-key']) ? 0 : 400;
}

/** The 101 response that completes the handshake. */
export function acceptResponse(accept: string, extra: string): string {
  return 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
    accept + '\r\n' + extra + '\r\n';
}

var STATUS: { [code: number]: string } = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported'
};

/** A complete error response; the connection closes after it. */
export function errorResponse(status: number): string {
  return 'HTTP/1.1 ' + status + ' ' + (STATUS[status] || 'Error') + '\r\nConnection: close\r\n' +
    (status == 426 ? 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' : status == 405 ? 'Allow: GET\r\n' : '') +
    'Content-Length: 0\r\n\r\n';
}
