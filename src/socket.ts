// The Accessors Socket: one client connection, as the application sees it.
// Events: open, message(value, isBinary), close(code, reason), error(err).

import { Emitter } from './emitter';
import { Connection, ConnectionHandler, ConnectionLimits, OPEN, CLOSING, CLOSED } from './connection';
import { Request } from './handshake';
import { Host, Link } from './host';
import { isAppCloseCode, MAX_REASON } from './close-code';
import { binaryView, toText, fromWire, OCTETS } from './message-types';

/** What a Socket needs from its Server. */
export interface SocketOwner {
  _host: Host;
  _o: { receiveType: string; sendType: string; closeTimeout: number };
  _open(s: Socket): void;
  _closed(s: Socket): void;
}

export class Socket extends Emitter implements ConnectionHandler {
  /** The upgrade request (method, path, version, lower-cased headers). */
  request: Request | null = null;
  /** @internal */
  _c: Connection;
  private _timer: any;
  private _ended = false;

  /** @internal Made by the Server, never by applications. */
  constructor(private _s: SocketOwner, private _link: Link, limits: ConnectionLimits) {
    super();
    this._c = new Connection(this, limits, _s._host);
  }

  /** Sends a message, converted by the server's sendType (see README).
   *  Returns false if the socket is not open. */
  send(data: any, options?: { binary?: boolean }): boolean {
    var type = this._s._o.sendType, bytes = binaryView(data), binary = !!bytes;
    if (!bytes) {
      bytes = this._s._host._bytes(toText(type, data));
      binary = type == OCTETS || !!(options && options.binary);
    }
    return this._c._send(bytes, binary);
  }

  /** Sends a ping; the peer's pong arrives as a 'pong' event. */
  ping(data?: any): boolean {
    var p = binaryView(data) || this._s._host._bytes(data === undefined ? '' : String(data));
    if (p.length > 125) throw new TypeError('ping payload over 125 bytes');
    return this._c._ping(p);
  }

  isOpen(): boolean {
    return this._c._state == OPEN;
  }

  /** Bytes of messages queued and not yet handed to the network. */
  get bufferedAmount(): number {
    return this._c._out._buffered;
  }

  /** Starts the closing handshake. code: 1000 (default) or 3000-4999;
   *  reason: at most 123 bytes of UTF-8. */
  close(code?: number, reason?: string): void {
    if (code === undefined) code = reason === undefined ? 1005 : 1000;
    else if (!isAppCloseCode(code)) throw new TypeError('close code must be 1000 or 3000-4999, not ' + code);
    var r = this._s._host._bytes(reason || '');
    if (r.length > MAX_REASON) throw new TypeError('close reason over 123 bytes');
    this._shut(code, r);
  }

  /** Closes the connection with the given code, which is not checked. */
  _shut(code: number, reason: Uint8Array): void {
    var c = this._c;
    if (c._state == CLOSED || c._state == CLOSING) return;
    if (c._state == OPEN) {
      c._close(code, reason);
      this._arm();
    } else this._link._destroy();
  }

  /** Closes the TCP connection at once, without a closing handshake. */
  terminate(): void {
    this._link._destroy();
  }

  // ---- for the target ----

  /** @internal Bytes from the network. */
  _data(b: Uint8Array): void {
    try {
      this._c._receive(b);
    } catch (e) {
      // Not reached by any known input: a bug must still cost one connection only.
      this._c._fail(1011, 'internal error');
    }
  }

  /** @internal Hands the socket up to `budget` bytes through `write`. Returns
   *  the count, or -1 once everything is written and the TCP connection
   *  should be ended. */
  _flush(budget: number, write: (b: Uint8Array) => void): number {
    var c = this._c, n = c._out._flush(budget, write);
    if (c._state == CLOSED && c._out._empty() && !n) {
      if (this._ended) return 0;
      this._ended = true;
      this._arm();
      return -1;
    }
    return n;
  }

  /** @internal The TCP connection is closed. */
  _gone(): void {
    var c = this._c;
    if (this._timer !== undefined) this._s._host._cancel(this._timer);
    this._timer = undefined;
    var opened = !!this.request;
    c._state = CLOSED;
    this._s._closed(this);
    if (opened) this.emit('close', c._code || 1006, c._reason);
  }

  // ---- from the connection ----

  /** @internal */
  _request(req: Request): number {
    return 0;
  }

  /** @internal */
  _open(req: Request): void {
    this.request = req;
    this._s._open(this);
    this.emit('open');
  }

  /** @internal */
  _message(data: Uint8Array, binary: boolean): void {
    this.emit('message', fromWire(this._s._o.receiveType, data, binary, this._s._host._text), binary);
  }

  /** @internal */
  _pong(p: Uint8Array): void {
    this.emit('pong', p);
  }

  /** @internal */
  _error(code: number, message: string): void {
    var e: any = new Error(message);
    e.closeCode = code;
    this.emit('error', e);
  }

  /** @internal */
  _output(): void {
    this._link._kick();
  }

  /** Cuts the connection if the close does not complete in time. */
  private _arm(): void {
    var self = this, o = this._s;
    if (this._timer === undefined) this._timer = o._host._timer(function () {
      self._timer = undefined;
      self._link._destroy();
    }, o._o.closeTimeout);
  }
}
