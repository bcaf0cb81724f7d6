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

export var GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

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

// A class, not a closure: on Espruino every closure made per connection
// carries its own copy of its code when the module was loaded into RAM.
export class RequestReader {
  /** The request, filled in as its lines arrive. */
  _req: Request = { method: '', path: '', version: '', headers: {} };
  /** The bytes of a line that a chunk ended in the middle of (kept as bytes,
   *  so that a character split between chunks decodes whole). */
  private _part: Uint8Array | null = null;
  private _plen = 0;
  /** Bytes of the head so far. */
  private _size = 0;

  constructor(private _max: number, private _text: (b: Uint8Array) => string) {}

  /** Reads b[i..]. Returns the index just past the head once it is complete
   *  (bytes after it are frames), -1 when more is needed, or minus an HTTP
   *  status (-400, -431) when the head is malformed or too large. */
  _push(b: Uint8Array, i: number): number {
    var n = b.length, lf, end, s, t;
    while (i < n) {
      lf = b.indexOf(10, i);
      end = lf < 0 ? n : lf;
      this._size += lf < 0 ? end - i : end - i + 1;
      if (this._size > this._max) return -431;
      if (lf < 0) {
        this._keep(b, i, n);
        return -1;
      }
      if (this._plen) {
        this._keep(b, i, end);
        s = this._text(this._part!.subarray(0, this._plen));
        this._plen = 0;
      } else s = this._text(b.subarray(i, end));
      i = lf + 1;
      if (s.charAt(s.length - 1) == '\r') s = s.slice(0, -1);
      t = this._take(s);
      if (t) return t < 0 ? t : i;
    }
    return -1;
  }

  private _keep(b: Uint8Array, i: number, end: number): void {
    var part = this._part, plen = this._plen, need = plen + end - i;
    if (!part || part.length < need) {
      var grown = new Uint8Array(Math.max(need, 2 * plen, 64));
      if (part) grown.set(part.subarray(0, plen));
      this._part = part = grown;
    }
    part.set(b.subarray(i, end), plen);
    this._plen = need;
  }

  /** One complete line: 1 for the end of the head, 0 for more, -400 if malformed. */
  private _take(s: string): number {
    var r = this._req;
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
}

/** Does the comma-separated header value contain this token (any case)? */
export function hasToken(value: string | undefined, token: string): boolean {
  if (!value) return false;
  var parts = value.toLowerCase().split(',');
  for (var i = 0; i < parts.length; i++) if (parts[i].trim() == token) return true;
  return false;
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
  if (r.method != 'GET') return 405;
  if (r.version != 'HTTP/1.1') return 505;
  if (!h['upgrade']) return 426;
  if (!h['host'] || !hasToken(h['upgrade'], 'websocket') || !hasToken(h['connection'], 'upgrade')) return 400;
  if (h['sec-websocket-version'] != '13') return 426;
  return isKey(h['sec-websocket-key']) ? 0 : 400;
}

/** The 101 response that completes the handshake. */
export function acceptResponse(accept: string, extra: string): string {
  return 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
    accept + '\r\n' + extra + '\r\n';
}

/** A complete error response; the connection closes after it. */
export function errorResponse(status: number): string {
  var text = STATUS[status] || 'Error';
  var extra = status == 426 ? 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' : status == 405 ? 'Allow: GET\r\n' : '';
  return 'HTTP/1.1 ' + status + ' ' + text + '\r\nConnection: close\r\n' + extra + 'Content-Length: 0\r\n\r\n';
}
