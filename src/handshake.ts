// The opening handshake (RFC 6455 section 4.2): an HTTP/1.1 request read
// line by line from byte chunks of any size, then checked. Only the line being
// read is held, and the whole head is bounded, so a request that never ends
// costs at most maxHeader bytes.

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

export class RequestReader {
  /** The request, once its head is complete. */
  _req: Request | null = null;
  /** An HTTP status when the head is malformed or too large. */
  _status = 0;
  private _line = '';
  private _size = 0;
  private _r: Request = { method: '', path: '', version: '', headers: {} };

  constructor(private _max: number, private _text: (b: Uint8Array) => string) {}

  /** Reads b[i..]. Returns the index just past the head once it is complete
   *  (bytes after it are frames), or -1 when more is needed or on error. */
  _push(b: Uint8Array, i: number): number {
    var n = b.length;
    while (i < n) {
      var lf = b.indexOf(10, i), end = lf < 0 ? n : lf;
      this._size += end - i + 1;
      if (this._size > this._max) {
        this._status = 431;
        return -1;
      }
      this._line += this._text(b.subarray(i, end));
      if (lf < 0) return -1;
      i = lf + 1;
      var line = this._line;
      this._line = '';
      if (line.charAt(line.length - 1) == '\r') line = line.slice(0, -1);
      if (!this._take(line)) return -1;
      if (this._req) return i;
    }
    return -1;
  }

  /** One complete line; false on a malformed one. */
  private _take(line: string): boolean {
    var r = this._r;
    if (!r.method) {
      var parts = line.split(' ');
      if (parts.length != 3 || !parts[0] || !parts[1]) return this._bad();
      r.method = parts[0];
      r.path = parts[1];
      r.version = parts[2];
      return true;
    }
    if (!line) {
      this._req = r;
      return true;
    }
    var colon = line.indexOf(':');
    // Folded (obsolete) lines and lines with no name are refused.
    if (colon < 1 || line.charAt(0) == ' ' || line.charAt(0) == '\t') return this._bad();
    var name = line.slice(0, colon).toLowerCase(), value = line.slice(colon + 1).trim();
    var h = r.headers;
    h[name] = Object.prototype.hasOwnProperty.call(h, name) ? h[name] + ', ' + value : value;
    return true;
  }

  private _bad(): boolean {
    this._status = 400;
    return false;
  }
}

/** Does the comma-separated header value contain this token (any case)? */
export function hasToken(value: string | undefined, token: string): boolean {
  if (!value) return false;
  var parts = value.toLowerCase().split(',');
  for (var i = 0; i < parts.length; i++) if (parts[i].trim() == token) return true;
  return false;
}

var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Is this a base64 encoding of exactly 16 bytes? */
export function isKey(key: string | undefined): boolean {
  if (!key || key.length != 24 || key.slice(22) != '==') return false;
  for (var i = 0; i < 22; i++) if (B64.indexOf(key.charAt(i)) < 0) return false;
  // The last character holds 2 bits of data and 4 zero bits.
  return 'AQgw'.indexOf(key.charAt(21)) >= 0;
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
  return 'HTTP/1.1 ' + status + ' ' + text + '\r\nConnection: close\r\n' + extra +
    'Content-Type: text/plain\r\nContent-Length: ' + (text.length + 1) + '\r\n\r\n' + text + '\n';
}
