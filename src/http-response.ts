// Plain HTTP on the WebSocket port: a request that is not an upgrade (a
// page, say) goes to the server's 'request' listeners, with a Response in
// the manner of Node's http. One request per connection: the connection
// closes once the response is written (no keep-alive), and a request body
// is not read. The response goes out paced like messages, and a string body
// is kept as it is where strings are bytes (Espruino), so that a file from
// Storage goes out from flash without a copy in RAM.

import { Connection, Request, CLOSED } from './record';
import { host, made } from './host';
import { enqueue, RAW } from './outgoing/send-queue';
import { arm, CLOSE_DUE } from './timers';
import { binaryView } from './message-types';

/** The reason phrase of an HTTP status (clients go by the number: for one
 *  this module does not name, 'OK' or 'Error'). */
export function statusText(status: number): string {
  // Those the module sends itself, and 404.
  var reasons: { [status: number]: string } = {
    400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 426: 'Upgrade Required',
    431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
    505: 'HTTP Version Not Supported'
  };
  return reasons[status] || (status < 400 ? 'OK' : 'Error');
}

/** A request the 'request' listeners answer: the connection is theirs
 *  until end(). It must make progress within closeTimeout. */
export function serveHttp(s: Connection, req: Request): void {
  s._head!._http = 1;
  (req as any).url = req.path;
  arm(s, s._options.closeTimeout, CLOSE_DUE);
  s._server.emit('request', req, new Response(s, req.method == 'HEAD'));
}

/** The body bytes to queue: binary data as it is; a string as its bytes,
 *  or itself where strings are bytes. */
function body(data: any): any {
  var bytes = binaryView(data);
  return bytes || (host._raw ? host._raw(String(data)) : made(host._bytes(String(data))));
}

export class Response {
  /** The status writeHead() was given, or that end() sends (default 200). */
  statusCode: number;
  /** writeHead() (or the first write) has fixed the status and headers. */
  headersSent: boolean;
  /** @internal The status line and headers are in the queue. */
  _headGone: boolean;
  /** @internal */
  _s: Connection;
  /** @internal Headers set with setHeader(), by lower-cased name: [name, value]. */
  _headers: { [lower: string]: string[] };
  /** @internal A HEAD request: no body goes out. */
  _noBody: boolean;

  /** @internal */
  constructor(s: Connection, noBody: boolean) {
    this._s = s;
    this._noBody = noBody;
    this.statusCode = 200;
    this.headersSent = this._headGone = false;
    this._headers = {};
  }

  /** Sets a response header (before the head goes out). */
  setHeader(name: string, value: any): void {
    this._headers[name.toLowerCase()] = [name, String(value)];
  }

  /** Sets the status and headers. They go out with the first piece of the
   *  body (or at end(), with a Content-Length when end() has the whole
   *  body); `Connection: close` is always added. Without a Content-Length,
   *  the body ends with the connection. */
  writeHead(status: number, headers?: { [name: string]: any }): void {
    var r = this, k;
    if (r.headersSent) return;
    for (k in headers || {}) r.setHeader(k, headers![k]);
    r.statusCode = status;
    r.headersSent = true;
  }

  /** @internal Queues the status line and headers, once. */
  _sendHead(length?: number): void {
    var r = this, lines = '', k, h = r._headers;
    if (r._headGone) return;
    r._headGone = true;
    if (length !== undefined && !h['content-length']) r.setHeader('Content-Length', length);
    for (k in h) if (k != 'connection') lines += h[k][0] + ': ' + h[k][1] + '\r\n';
    enqueue(r._s, RAW, made(host._bytes('HTTP/1.1 ' + r.statusCode + ' ' + statusText(r.statusCode) + '\r\n' + lines + 'Connection: close\r\n\r\n')));
  }

  /** Queues a piece of the body: a string, bytes, or (on Espruino) a file
   *  read from Storage. */
  write(data: any): boolean {
    var r = this;
    if (r._s._state == CLOSED) return false;
    r.headersSent = true;
    r._sendHead();
    if (!r._noBody && data != null && data.length !== 0) enqueue(r._s, RAW, body(data));
    return true;
  }

  /** Ends the response, with a last piece of the body; the connection
   *  closes once it has gone. A whole body given here gets a
   *  Content-Length. */
  end(data?: any): void {
    var r = this, s = r._s, b = data == null ? '' : body(data);
    if (s._state == CLOSED) return;
    r.headersSent = true;
    r._sendHead(b.length);
    if (!r._noBody && b.length) enqueue(s, RAW, b);
    s._state = CLOSED;
    s._head = undefined;
    host._kick(s);
  }
}
