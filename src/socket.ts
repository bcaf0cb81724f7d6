// The Accessors Socket: one client connection, as the application sees it.
// Events: open, message(value, isBinary), close(code, reason), error(err),
// drain; with the optional features (features.ts) also pong(payload).
//
// The Socket object is also the connection's record of state (connection.ts):
// the core's steps and the target keep their fields in it, so that a
// connection costs one object on a microcontroller.

import { Emitter, addEmitter } from './emitter';
import { connInit, respond } from './protocol';
import { Conn, Handler, connSend, connPing, connClose, abort, OPEN, CLOSED, NO_MEMORY } from './connection';
import { Request } from './handshake';
import { host, Limits } from './host';
import { Writer, outFlush, outEmpty, outDrop, outUnstarted, outClear } from './outbox';
import { isAppCloseCode, MAX_REASON } from './close-code';
import { binaryView, toText, fromWire, OCTETS } from './message-types';
import { EXTRAS } from './features';
import { EMPTY } from './frame-writer';

/** The server's options, with the defaults filled in (see ServerOptions in server.ts). */
export interface Options extends Limits {
  hostInterface: string;
  port: number;
  receiveType: string;
  sendType: string;
  queuePolicy: string;
  path: string | null;
  origins: string[] | null;
  verify: ((request: Request) => any) | null;
  protocols: string[] | null;
}

/** What a Socket needs from its Server. */
export interface SocketOwner extends Emitter {
  _o: Options;
  /** Open sockets. */
  sockets: Socket[];
  /** Every TCP connection, open or still in its handshake. */
  _all: Socket[];
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

export interface Socket extends Emitter, Conn {
  /** @internal The target's handle of the TCP connection. */
  _sock: any;
  // The optional features' methods (see features.ts and below the class).
  /** Sends a ping (at most 125 bytes); the answer comes as a 'pong' event. */
  ping(data?: any): boolean;
  /** Message counts, and the bytes still queued. */
  stats(): SocketStats;
  /** @internal */
  _o: Options;
  /** @internal The server. */
  _s: SocketOwner;
  /** @internal The one timer of the handshake, heartbeat or close, whichever
   *  is due, and what it calls. */
  _timer: any;
  _tfn: ((s: Socket) => void) | null;
  /** @internal The network took bytes since the heartbeat's timer was set. */
  _moved: boolean;
  /** @internal The idle timer, when idleTimeout is set, and when the last
   *  message arrived (ms). */
  _idle: any;
  _last: number;
  /** @internal Counts for stats(): received, sent, refused, dropped. */
  _nr: number;
  _ns: number;
  _nf: number;
  _nd: number;
  /** @internal A send() was refused, or left bytes queued: 'drain' is due
   *  when the queue empties; _dt: the timer that emits it. */
  _wd: boolean;
  _dt: any;
  /** @internal The TCP connection: 0 open, 1 the target was told to end it, 2 closed. */
  _end: number;
}

export class Socket implements Handler {
  /** The upgrade request (method, path, version, lower-cased headers). */
  request!: Request | null;
  /** The subprotocol chosen from the server's `protocols`, or ''. */
  protocol!: string;
  /** This socket's send queue limit in bytes (0: none), and what send() does
   *  past it; the server's options to begin with, and free to change. */
  maxQueue!: number;
  queuePolicy!: string;

  /** @internal Made by the target for each TCP connection, never by
   *  applications; `sock` is the target's own handle of it. */
  constructor(server: SocketOwner, sock: any) {
    var s = this, o = server._o;
    // First: Espruino finds a field by walking the object's fields in the
    // order they were made, and the target looks this one up per chunk.
    s._sock = sock;
    connInit(s, o, host);
    s._s = server;
    s._ev = {};
    s.request = null;
    s.maxQueue = o.maxQueue;
    s._end = 0;
    s._wd = s._moved = false;
    if (EXTRAS) {
      s.protocol = '';
      s.queuePolicy = o.queuePolicy;
      s._nr = s._ns = s._nf = s._nd = s._last = 0;
    }
    server._all.push(s);
    arm(s, o.handshakeTimeout, kill);
  }

  /** Sends a message, converted by the server's sendType (see README).
   *  Returns false if it was not queued: the socket is not open, or the
   *  queue is full (see maxQueue and queuePolicy). A message that finds the
   *  queue empty is always taken, whatever its size: maxQueue bounds what
   *  waits behind it. */
  send(data: any, options?: { binary?: boolean }): boolean {
    var s = this, type = s._o.sendType, bytes = binaryView(data), binary = !!bytes, max = s.maxQueue, queued = s.bufferedAmount, kept;
    if (s._state != OPEN) return refused(s);
    if (!bytes) {
      bytes = encode(s, toText(type, data));
      if (!bytes) return refused(s);
      binary = type == OCTETS || !!(options && options.binary);
    }
    if (max && queued && queued + bytes.length > max) {
      // 'latest' drops the queued messages that have not started to go out,
      // but only when that makes room for this one.
      kept = EXTRAS && s.queuePolicy == 'latest' ? queued - outUnstarted(s) : queued;
      if (kept && kept + bytes.length > max) {
        s._wd = true;
        if (EXTRAS && s.queuePolicy == 'close') shut(s, 1013, host._bytes('send queue full'));
        return refused(s);
      }
      if (EXTRAS && kept < queued) s._nd += outDrop(s);
    }
    connSend(s, bytes, binary);
    if (EXTRAS) s._ns++;
    // What the network could not take at once waits in the queue: 'drain'
    // will say when it has gone.
    if (s.bufferedAmount) s._wd = true;
    return true;
  }

  isOpen(): boolean {
    return this._state == OPEN;
  }

  /** Starts the closing handshake. code: 1000 or 3000-4999 (none sends an
   *  empty close frame); reason: at most 123 bytes of UTF-8. */
  close(code?: number, reason?: string): void {
    var r = host._bytes(reason || '');
    if (code === undefined) code = reason ? 1000 : 1005;
    else if (!isAppCloseCode(code)) throw new TypeError('bad close code ' + code);
    if (r.length > MAX_REASON) throw new TypeError('close reason over 123 bytes');
    shut(this, code, r);
  }

  /** Closes the TCP connection at once, without a closing handshake: the
   *  socket is closed for the application from here on (nothing more is
   *  delivered or sent), and 'close' (1006) follows. */
  terminate(): void {
    var s = this;
    if (s._end > 1) return;
    s._state = CLOSED;
    outClear(s);
    kill(s);
  }

  // ---- from the connection ----

  /** @internal */
  _request(req: Request): number | string | null {
    return check(this, req);
  }

  /** @internal */
  _open(req: Request): void {
    var s = this, server = s._s;
    s.request = req;
    beat(s);
    if (EXTRAS && s._o.idleTimeout) {
      s._last = Date.now();
      idleCheck(s);
    }
    server.sockets.push(s);
    server.emit('connection', s);
    // A 'connection' listener may have closed it already.
    if (s._state == OPEN) s.emit('open');
  }

  /** @internal */
  _message(data: Uint8Array, binary: boolean): void {
    if (EXTRAS) {
      this._nr++;
      this._last = Date.now();
    }
    this.emit('message', fromWire(this._o.receiveType, data, binary, host._text), binary);
  }

  /** @internal */
  _pong(p: Uint8Array): void {
    if (this._state == OPEN) beat(this);
    if (EXTRAS) this.emit('pong', p);
  }

  /** @internal */
  _error(code: number, message: string): void {
    var e: any = new Error(message);
    e.closeCode = code;
    arm(this, this._o.closeTimeout, kill);
    this.emit('error', e);
  }

  /** @internal */
  _output(): void {
    host._kick(this);
  }

  /** @internal */
  _abort(): void {
    kill(this);
  }
}

addEmitter(Socket.prototype);

if (EXTRAS) {
  Socket.prototype.ping = function (this: Socket, data?: any): boolean {
    var p = binaryView(data) || host._bytes(data === undefined ? '' : String(data));
    if (p.length > 125) throw new TypeError('ping over 125 bytes');
    return connPing(this, p);
  };

  Socket.prototype.stats = function (this: Socket): SocketStats {
    var s = this;
    return { received: s._nr, sent: s._ns, refused: s._nf, dropped: s._nd, bufferedAmount: s.bufferedAmount };
  };
}

// ---- for the target ----

/** Hands the socket's output, up to `budget` bytes, to `write`. Returns the
 *  count, or -1 (once) when all is written and the TCP connection should be
 *  ended. Emits 'drain' (soon after) when the queue of messages empties
 *  after a send() was refused or had to wait. */
export function flush(s: Socket, budget: number, write: Writer): number {
  var n = outFlush(s, budget, write);
  if (n) s._moved = true;
  // 'drain' comes from a timer, never from inside send(): a producer that
  // sends again on 'drain' must not be re-entered.
  if (s._wd && !s.bufferedAmount && s._state == OPEN) {
    s._wd = false;
    s._dt = host._timer(drained, 0, s);
  }
  if (n || s._end || s._state != CLOSED || !outEmpty(s)) return n;
  s._end = 1;
  arm(s, s._o.closeTimeout, kill);
  return -1;
}

/** The socket's TCP connection is closed. */
export function gone(s: Socket): void {
  var server = s._s;
  if (s._end > 1) return;
  s._end = 2;
  arm(s, 0, null);
  if (EXTRAS) host._cancel(s._idle);
  host._cancel(s._dt);
  s._state = CLOSED;
  // Let go of everything the connection holds: the message being read, the
  // send queue, the request head.
  s._buf = s._view = s._ctl = s._hd = null;
  outClear(s);
  remove(server._all, s);
  remove(server.sockets, s);
  s._errorsTo = server;
  if (s.request) s.emit('close', s._code || 1006, s._reason);
}

/** For the target: the board could not get the memory this connection
 *  needs. It fails alone: 'error', then the TCP connection is dropped. */
export function outOfMemory(s: Socket): void {
  abort(s, NO_MEMORY);
}

/** Closes with any code: a closing handshake if open, else at once. */
export function shut(s: Socket, code: number, reason: Uint8Array): void {
  if (s._state == OPEN) {
    connClose(s, code, reason);
    arm(s, s._o.closeTimeout, kill);
  } else if (!s._state) kill(s);
}

function remove(list: Socket[], s: Socket): void {
  var i = list.indexOf(s);
  if (i >= 0) list.splice(i, 1);
}

/** The server's own checks of a valid upgrade request: an HTTP status
 *  refuses it; a string accepts it with these extra header lines; null:
 *  verify() returned a promise, and respond() follows when it settles. */
function check(s: Socket, req: Request): number | string | null {
  var o = s._o, origin = req.headers['origin'], v: any;
  if (EXTRAS && o.path && req.path.split('?')[0] != o.path) return 404;
  // Browsers always send Origin; other clients need not. An empty one is
  // not an allowed origin.
  if (o.origins && origin != null && o.origins.indexOf(origin) < 0) return 403;
  if (s._s.sockets.length >= o.maxConnections) return 503;
  if (!EXTRAS) return '';
  if (o.verify) {
    try {
      v = o.verify(req);
    } catch (e) {
      return 500;
    }
    if (v && typeof v.then == 'function') {
      // Bounded by the handshake timer, which is still running.
      v.then(function (r: any) {
        decided(s, verdict(r));
      }, function () {
        decided(s, 500);
      });
      return null;
    }
    if ((v = verdict(v))) return v;
  }
  return chooseProtocol(s, req);
}

/** What a verify() result means: true or nothing accepts (0), false is 403,
 *  a status 400-599 is that status, anything else 500. */
function verdict(v: any): number {
  return v === true || v === undefined ? 0 : v === false ? 403 : typeof v == 'number' && v >= 400 && v < 600 && v % 1 == 0 ? v : 500;
}

/** An asynchronous verify() has settled. */
function decided(s: Socket, status: number): void {
  if (s._end || !s._hd) return;
  // Other connections may have opened meanwhile.
  if (!status && s._s.sockets.length >= s._o.maxConnections) status = 503;
  respond(s, status || chooseProtocol(s, s._hd._r!));
}

/** The first of our subprotocols that the client offers (case-sensitive),
 *  as a response header line; '' for none. */
function chooseProtocol(s: Socket, req: Request): string {
  var p = s._o.protocols, offered = ',' + (req.headers['sec-websocket-protocol'] || '').replace(/[ \t]/g, '') + ',', i;
  for (i = 0; p && i < p.length; i++) {
    if (offered.indexOf(',' + p[i] + ',') >= 0) return 'Sec-WebSocket-Protocol: ' + (s.protocol = p[i]) + '\r\n';
  }
  return '';
}

/** send() did not take a message. */
function refused(s: Socket): boolean {
  if (EXTRAS) s._nf++;
  return false;
}

/** A string's bytes; null if the board has no memory for them (the
 *  connection then fails alone). */
function encode(s: Socket, text: string): Uint8Array | null {
  try {
    return host._bytes(text);
  } catch (e) {
    outOfMemory(s);
    return null;
  }
}

// ---- timers: functions of the socket, so that none needs a closure ----

/** Replaces the socket's timer: fn(s) after ms; none if ms is 0. */
function arm(s: Socket, ms: number, fn: ((s: Socket) => void) | null): void {
  host._cancel(s._timer);
  s._tfn = fn;
  s._timer = ms && fn && s._end < 2 ? host._timer(fire, ms, s) : undefined;
}

function fire(s: Socket): void {
  s._timer = undefined;
  s._tfn!(s);
}

function kill(s: Socket): void {
  host._destroy(s);
}

/** Heartbeat: a ping after pingInterval, then a pong within pongTimeout
 *  or the connection is cut (close code 1006). A peer that is still taking
 *  our bytes is alive, even if the ping waits behind a long message, so the
 *  pong's time starts again while bytes move. */
function beat(s: Socket): void {
  arm(s, s._o.pingInterval, pingNow);
}

function pingNow(s: Socket): void {
  connPing(s, EMPTY);
  // (Where the ping went out at once, its time starts now.)
  s._moved = false;
  arm(s, s._o.pongTimeout, pongLate);
}

function pongLate(s: Socket): void {
  if (!s._moved) return kill(s);
  s._moved = false;
  arm(s, s._o.pongTimeout, pongLate);
}

/** Closes the connection with 1001 once idleTimeout passes with no message. */
function idleCheck(s: Socket): void {
  var wait = s._o.idleTimeout - (Date.now() - s._last);
  s._idle = wait > 0 ? host._timer(idleCheck, wait, s) : undefined;
  if (wait <= 0) shut(s, 1001, host._bytes('idle'));
}

function drained(s: Socket): void {
  s._dt = undefined;
  // Sent into again meanwhile: 'drain' waits for the queue to empty again.
  if (s.bufferedAmount) s._wd = true;
  else if (s._state == OPEN) s.emit('drain');
}
