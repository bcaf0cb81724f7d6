// The Accessors Socket: one client connection, as the application sees it.
// Events: open, message(value, isBinary), close(code, reason), error(err),
// pong(payload).

import { Emitter, addEmitter } from './emitter';
import { Connection, ConnectionHandler, ConnectionLimits, OPEN, CLOSED } from './connection';
import { Request } from './handshake';
import { Host, Link } from './host';
import { Writer } from './outbox';
import { isAppCloseCode, MAX_REASON } from './close-code';
import { binaryView, toText, fromWire, OCTETS } from './message-types';

/** What a Socket needs from its Server. */
export interface SocketOwner {
  _host: Host;
  _o: { receiveType: string; sendType: string; closeTimeout: number };
  _open(s: Socket): void;
  _closed(s: Socket): void;
}

export interface Socket extends Emitter {}

export class Socket implements ConnectionHandler {
  /** The upgrade request (method, path, version, lower-cased headers). */
  request: Request | null = null;
  /** @internal */
  _c: Connection;
  private _timer: any;
  /** The target was told to end the TCP connection. */
  private _ended = false;
  /** The TCP connection is closed. */
  private _dead = false;

  /** @internal Made by the Server, never by applications. */
  constructor(private _s: SocketOwner, private _link: Link, limits: ConnectionLimits) {
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

  /** Sends a ping (at most 125 bytes); the answer comes as a 'pong' event. */
  ping(data?: any): boolean {
    var p = binaryView(data) || this._s._host._bytes(data === undefined ? '' : String(data));
    if (p.length > 125) throw new TypeError('ping over 125 bytes');
    return this._c._ping(p);
  }

  isOpen(): boolean {
    return this._c._state == OPEN;
  }

  /** Bytes of messages queued and not yet handed to the network. */
  get bufferedAmount(): number {
    return this._c._out._buffered;
  }

  /** Starts the closing handshake. code: 1000 or 3000-4999 (none sends an
   *  empty close frame); reason: at most 123 bytes of UTF-8. */
  close(code?: number, reason?: string): void {
    if (code === undefined) code = reason ? 1000 : 1005;
    else if (!isAppCloseCode(code)) throw new TypeError('bad close code ' + code);
    var r = this._s._host._bytes(reason || '');
    if (r.length > MAX_REASON) throw new TypeError('close reason over 123 bytes');
    this._shut(code, r);
  }

  /** Closes the TCP connection at once, without a closing handshake. */
  terminate(): void {
    this._link._destroy();
  }

  /** @internal Closes with any code: a handshake if open, else at once. */
  _shut(code: number, reason: Uint8Array): void {
    var c = this._c;
    if (c._state == OPEN) {
      c._close(code, reason);
      this._arm();
    } else if (!c._state) this._link._destroy();
  }

  // ---- for the target ----

  /** @internal Bytes from the network. */
  _data(b: Uint8Array): void {
    try {
      this._c._receive(b);
    } catch (e) {
      // No known input gets here; if a bug does, it costs this connection only.
      this._c._fail(1011, 'internal error');
    }
  }

  /** @internal Hands the socket up to `budget` bytes through `write`. Returns
   *  the count, or -1 (once) when all is written and the TCP connection should
   *  be ended. */
  _flush(budget: number, write: Writer): number {
    var c = this._c, n = c._out._flush(budget, write);
    if (n || this._ended || c._state != CLOSED || !c._out._empty()) return n;
    this._ended = true;
    this._arm();
    return -1;
  }

  /** @internal The TCP connection is closed. */
  _gone(): void {
    var c = this._c, s = this._s;
    if (this._dead) return;
    this._dead = true;
    if (this._timer !== undefined) s._host._cancel(this._timer);
    c._state = CLOSED;
    s._closed(this);
    if (this.request) this.emit('close', c._code || 1006, c._reason);
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
    var self = this, s = this._s;
    if (this._timer === undefined) this._timer = s._host._timer(function () {
      self._timer = undefined;
      self._link._destroy();
    }, s._o.closeTimeout);
  }
}

addEmitter(Socket.prototype);
