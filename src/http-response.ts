// Plain HTTP on the WebSocket port: a request that is not an upgrade (a
// page, say) goes to the server's 'request' listeners, with a Response in
// the manner of Node's http. One request per connection: the connection
// closes once the response is written (no keep-alive), and a request body
// is not read. The response goes out paced like messages, and a string body
// is kept as it is where strings are bytes (Espruino), so that a file from
// Storage goes out from flash without a copy in RAM.

import { Connection, Request, CLOSED } from './record';
import { host, made } from './host';
import { enqueue, Queue } from './outgoing/send-queue';
import { arm, CLOSE_DUE } from './timers';
import { binaryView } from './message-types';

/** The reason phrase of an HTTP status (clients go by the number: for one
 *  this module does not name, 'OK' or 'Error'). */
export function statusText(status: number): string {
  'rarely run';
  // Those the module sends itself, and 404.
  var reasons: { [status: number]: string } = {
    400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 426: 'Upgrade Required',
    431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
    505: 'HTTP Version Not Supported'
  };
  return reasons[status] || (status < 400 ? 'OK' : 'Error');
}

/** The response to a plain HTTP request, in the manner of Node's. */
export interface Response {
  /** The status writeHead() was given, or that end() sends (default 200). */
  statusCode: number;
  /** writeHead() (or the first write) has fixed the status and headers. */
  headersSent: boolean;
  /** Sets a response header (before the head goes out). */
  setHeader(name: string, value: any): void;
  /** Sets the status and headers. They go out with the first piece of the
   *  body (or at end(), with a Content-Length when end() has the whole
   *  body); `Connection: close` is always added. Without a Content-Length,
   *  the body ends with the connection. */
  writeHead(status: number, headers?: { [name: string]: any }): void;
  /** Queues a piece of the body: a string, bytes, or (on Espruino) a file
   *  read from Storage. False once the connection is closed. */
  write(data: any): boolean;
  /** Ends the response, with a last piece of the body; the connection
   *  closes once it has gone. A whole body given here gets a
   *  Content-Length. */
  end(data?: any): void;
}

/** What a Response holds beyond its API, for the methods' use. */
interface ResponseParts extends Response {
  /** Queues the status line and headers, once. */
  _sendHead(length?: number): void;
  /** The body bytes to queue: binary data as it is; a string as its bytes,
   *  or itself where strings are bytes. */
  _body(data: any): any;
}

/**
 * A request the 'request' listeners answer: the connection is theirs until
 * end(). It must make progress within closeTimeout.
 *
 * The Response and its methods are made here, for each request, and let go
 * with it: on a board, functions made when the module loads would hold
 * memory for as long as it is loaded, in every app, pages or not. The
 * methods reach the Response as `this` (as Node's do), and nothing in this
 * call's scope refers to them: on Espruino a function and the scope it was
 * made in that refer to each other are freed only by the garbage collector,
 * and would keep the connection until it runs.
 */
export function serveHttp(s: Connection, req: Request): void {
  var noBody = req.method == 'HEAD', headGone = false, headers: { [lower: string]: string[] } = {};
  s._head!._http = 1;
  (req as any).url = req.path;
  arm(s, CLOSE_DUE);
  s._server.emit('request', req, {
    statusCode: 200,
    headersSent: false,
    setHeader: function (name: string, value: any) {
      headers[name.toLowerCase()] = [name, String(value)];
    },
    writeHead: function (this: Response, status: number, more?: { [name: string]: any }) {
      var k;
      if (this.headersSent) return;
      for (k in more || {}) this.setHeader(k, more![k]);
      this.statusCode = status;
      this.headersSent = true;
    },
    write: function (this: ResponseParts, data: any) {
      if (s._state == CLOSED) return false;
      this.headersSent = true;
      this._sendHead();
      if (!noBody && data != null && data.length !== 0) enqueue(s, Queue.RAW, this._body(data));
      return true;
    },
    end: function (this: ResponseParts, data?: any) {
      var b = data == null ? '' : this._body(data);
      if (s._state == CLOSED) return;
      this.headersSent = true;
      this._sendHead(b.length);
      if (!noBody && b.length) enqueue(s, Queue.RAW, b);
      s._state = CLOSED;
      s._head = undefined;
      host._kick(s);
    },
    _sendHead: function (this: ResponseParts, length?: number) {
      var lines = '', k;
      if (headGone) return;
      headGone = true;
      if (length !== undefined && !headers['content-length']) this.setHeader('Content-Length', length);
      for (k in headers) if (k != 'connection') lines += headers[k][0] + ': ' + headers[k][1] + '\r\n';
      enqueue(s, Queue.RAW, made(host._bytes('HTTP/1.1 ' + this.statusCode + ' ' + statusText(this.statusCode) + '\r\n' + lines + 'Connection: close\r\n\r\n')));
    },
    _body: function (data: any) {
      return binaryView(data) || (host._raw ? host._raw(String(data)) : made(host._bytes(String(data))));
    }
  } as ResponseParts);
}
