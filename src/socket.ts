// The Accessors Socket: one client connection, as the application sees it.
// Events: open, message(value, isBinary), close(code, reason), error(err),
// pong(payload), drain.

import { Emitter, addEmitter } from './emitter';
import { Connection, ConnectionHandler, OPEN, CLOSED } from './connection';
import { Request } from './handshake';
import { Host, Link } from './host';
import { Writer } from './outbox';
import { Options } from './server';
import { isAppCloseCode, MAX_REASON } from './close-code';
import { binaryView, toText, fromWire, OCTETS } from './message-types';

/** What a Socket needs from its Server. */
export interface SocketOwner {
  _host: Host;
  _o: Options;
  _check(req: Request, s: Socket): number | string;
  _open(s: Socket): void;
  _closed(s: Socket): void;
}

/** What stats() reports. */
export interface SocketStats {
  /** Messages received and delivered. */
  received: number;
  /** Messages accepted by send(). */
  sent: number;
  /** Messages send() refused because the queue was full (or the socket not open). */
  refused: number;
  /** Queued messages dropped by the 'latest' policy. */
  dropped: number;
  /** Bytes of messages queued and not yet handed to the network. */
  bufferedAmount: number;
}

var EMPTY = new Uint8Array(0);

export interface Socket extends Emitter {}

export class Socket implements ConnectionHandler {
  /** The upgrade request (method, path, version, lower-cased headers). */
  request: Request | null = null;
  /** The subprotocol chosen from the server's `protocols`, or ''. */
  protocol = '';
  /** This socket's send queue limit in bytes (0: none), and what send() does
   *  past it; the server's options to begin with, and free to change. */
  maxQueue: number;
  queuePolicy: string;
  /** @internal */
  _c: Connection;
  /** The one timer of the handshake, heartbeat or close, whichever is due. */
  private _timer: any;
  /** The idle timer, when idleTimeout is set. */
  private _idle: any;
  /** When the last message arrived (ms), for the idle timeout. */
  private _last = 0;
  /** Counts for stats(). */
  private _n = { received: 0, sent: 0, refused: 0, dropped: 0 };
  /** A send() was refused, or left bytes queued: 'drain' is due when the queue empties. */
  private _wantDrain = false;
  /** The timer that emits 'drain'. */
  private _drainT: any;
  /** The target was told to end the TCP connection. */
  private _ended = false;
  /** The TCP connection is closed. */
  private _dead = false;

  /** @internal Made by the Server, never by applications. */
  constructor(private _s: SocketOwner, private _link: Link, private _o: Options) {
    this._c = new Connection(this, _o, _s._host);
    this.maxQueue = _o.maxQueue;
    this.queuePolicy = _o.queuePolicy;
    this._arm(_o.handshakeTimeout, this.terminate);
  }

  /** Sends a message, converted by the server's sendType (see README).
   *  Returns false if it was not queued: the socket is not open, or the
   *  queue is full (see maxQueue and queuePolicy). */
  send(data: any, options?: { binary?: boolean }): boolean {
    var o = this._o, c = this._c, out = c._out, n = this._n, bytes = binaryView(data), binary = !!bytes;
    if (!bytes) {
      bytes = this._s._host._bytes(toText(o.sendType, data));
      binary = o.sendType == OCTETS || !!(options && options.binary);
    }
    var max = this.maxQueue, policy = this.queuePolicy;
    if (c._state == OPEN && max && out._buffered + bytes.length > max) {
      if (policy == 'latest') n.dropped += out._drop();
      if (out._buffered + bytes.length > max) {
        n.refused++;
        this._wantDrain = true;
        if (policy == 'close') this._shut(1013, this._s._host._bytes('send queue full'));
        return false;
      }
    }
    if (!c._send(bytes, binary)) {
      n.refused++;
      return false;
    }
    n.sent++;
    // What the network could not take at once waits in the queue: 'drain'
    // will say when it has gone.
    if (out._buffered) this._wantDrain = true;
    return true;
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

  /** Message counts, and the bytes still queued. */
  stats(): SocketStats {
    var n = this._n;
    return { received: n.received, sent: n.sent, refused: n.refused, dropped: n.dropped, bufferedAmount: this._c._out._buffered };
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
      this._arm(this._o.closeTimeout, this.terminate);
    } else if (!c._state) this.terminate();
  }

  // ---- for the target ----

  /** @internal Hands the socket up to `budget` bytes through `write`. Returns
   *  the count, or -1 (once) when all is written and the TCP connection should
   *  be ended. Emits 'drain' (soon after) when the queue of messages empties
   *  after a send() was refused or had to wait. */
  _flush(budget: number, write: Writer): number {
    var self = this, c = this._c, out = c._out, n = out._flush(budget, write);
    // 'drain' comes from a timer, never from inside send(): a producer that
    // sends again on 'drain' must not be re-entered.
    if (this._wantDrain && !out._buffered && c._state == OPEN) {
      this._wantDrain = false;
      this._drainT = this._s._host._timer(function () {
        self._drainT = undefined;
        // Sent into again meanwhile: 'drain' waits for the queue to empty again.
        if (self._c._out._buffered) self._wantDrain = true;
        else if (self._c._state == OPEN) self.emit('drain');
      }, 0);
    }
    if (n || this._ended || c._state != CLOSED || !out._empty()) return n;
    this._ended = true;
    this._arm(this._o.closeTimeout, this.terminate);
    return -1;
  }

  /** @internal The TCP connection is closed. */
  _gone(): void {
    var c = this._c, s = this._s;
    if (this._dead) return;
    this._dead = true;
    this._arm(0, null);
    if (this._idle !== undefined) s._host._cancel(this._idle);
    if (this._drainT !== undefined) s._host._cancel(this._drainT);
    c._state = CLOSED;
    s._closed(this);
    if (this.request) this.emit('close', c._code || 1006, c._reason);
  }

  // ---- from the connection ----

  /** @internal */
  _request(req: Request): number | string {
    return this._s._check(req, this);
  }

  /** @internal */
  _open(req: Request): void {
    this.request = req;
    this._beat();
    if (this._o.idleTimeout) this._idleCheck();
    this._s._open(this);
    this.emit('open');
  }

  /** @internal */
  _message(data: Uint8Array, binary: boolean): void {
    this._n.received++;
    if (this._idle !== undefined) this._last = Date.now();
    this.emit('message', fromWire(this._o.receiveType, data, binary, this._s._host._text), binary);
  }

  /** @internal */
  _pong(p: Uint8Array): void {
    if (this._c._state == OPEN) this._beat();
    this.emit('pong', p);
  }

  /** @internal */
  _error(code: number, message: string): void {
    var e: any = new Error(message);
    e.closeCode = code;
    this._arm(this._o.closeTimeout, this.terminate);
    this.emit('error', e);
  }

  /** @internal */
  _output(): void {
    this._link._kick();
  }

  /** Heartbeat: a ping after pingInterval, then a pong within pongTimeout
   *  or the connection is cut (close code 1006). */
  private _beat(): void {
    var o = this._o;
    this._arm(o.pingInterval, function (this: Socket) {
      this._c._ping(EMPTY);
      this._arm(o.pongTimeout, this.terminate);
    });
  }

  /** Closes the connection with 1001 once idleTimeout passes with no message. */
  private _idleCheck(): void {
    var self = this, wait = this._o.idleTimeout - (Date.now() - this._last);
    if (!this._last) {
      this._last = Date.now();
      wait = this._o.idleTimeout;
    }
    this._idle = this._s._host._timer(function () {
      self._idle = undefined;
      if (Date.now() - self._last >= self._o.idleTimeout) self._shut(1001, self._s._host._bytes('idle'));
      else self._idleCheck();
    }, wait);
  }

  /** Replaces the socket's timer: fn (called on the socket) after ms; none if ms is 0. */
  private _arm(ms: number, fn: ((this: Socket) => void) | null): void {
    var self = this, h = this._s._host;
    if (this._timer !== undefined) h._cancel(this._timer);
    this._timer = undefined;
    if (ms && fn && !this._dead) this._timer = h._timer(function () {
      self._timer = undefined;
      fn!.call(self);
    }, ms);
  }
}

addEmitter(Socket.prototype);
