// The Accessors Socket: one client connection, as the application sees it.
// Events: open, message(value, isBinary), close(code, reason), error(err),
// drain; with the optional features (features.ts) also pong(payload).
//
// The Socket is also the connection's record (record.ts): every step of
// the core keeps its fields in it, so that a connection costs one object.

import { Connection, Owner, Options, Request, OPEN, CLOSED, TCP_OPEN, TCP_CLOSED, Wire, Conversion } from './record';
import { on, off, emit } from './emitter';
import { host, made, NO_MEMORY } from './host';
import { enqueue, clearQueue, unstarted } from './outgoing/send-queue';
import { EMPTY } from './outgoing/frame-header';
import { TEXT, BINARY, PING, CloseCode, Frame } from './protocol';
import { startClose, lost } from './connection';
import { arm, HANDSHAKE_DUE } from './timers';
import { binaryView, toWire } from './message-types';
import { EXTRAS } from './features';

/** The longest close reason in bytes: 125 minus the 2-byte code. */
var MAX_REASON = 123;

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

export interface Socket extends Connection {
  /** Sends a ping (at most 125 bytes); the answer comes as a 'pong' event.
   *  (An optional feature.) */
  ping(data?: any): boolean;
  /** Message counts, and the bytes still queued. (An optional feature.) */
  stats(): SocketStats;
}

export class Socket {
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
  constructor(server: Owner, sock: any) {
    'rarely run';
    var s = this, o: Options = server._options;
    // In the order of use per chunk (see record.ts). The general parser
    // makes the fields of its own when it first reads a frame.
    s._sock = sock;
    s._state = s._frameState = 0;
    s._head = { _bytes: undefined, _length: 0, _request: undefined, _held: undefined };
    s._messageOp = 0;
    clearQueue(s);
    s._drainDue = s._moved = 0;
    s._tcp = TCP_OPEN;
    s._server = server;
    s._options = o;
    s._ev = {};
    s.request = null;
    s.maxQueue = o._maxQueue;
    if (EXTRAS) {
      s.protocol = '';
      s.queuePolicy = o._queuePolicy;
      s._received = s._sent = s._refused = s._dropped = s._lastMessageAt = s._fragments = 0;
    }
    server._all.push(s);
    arm(s, HANDSHAKE_DUE);
  }

  /** Sends a message, converted by the server's sendType (see README).
   *  Returns false if it was not queued: the socket is not open, or the
   *  queue is full (see maxQueue and queuePolicy). A message that finds the
   *  queue empty is always taken, whatever its size: maxQueue bounds what
   *  waits behind it. */
  send(data: any, options?: { binary?: boolean }): boolean {
    'ram if full';
    var s = this, type = s._options._sendType, bytes: Wire = EMPTY;
    try {
      // (Not converted for a socket that is not open: offer() refuses it.)
      if (s._state == OPEN) bytes = toWire(type, data);
    } catch (e) {
      // JSON.stringify's errors (a cycle, say) are the caller's; no memory
      // for the bytes fails this connection alone (and offer() refuses).
      if (!e || (e as Error).message != NO_MEMORY) throw e;
      lost(s, e);
    }
    // A binary frame for binary data, for octet-stream, or when asked. (Here,
    // not in a function of its own: on a board, a call less per message,
    // and a function less held for as long as the module is loaded.)
    return offer(s, bytes, type == Conversion.OCTETS || (options && options.binary) || (typeof data != 'string' && binaryView(data)));
  }

  /** True from 'open' until the closing handshake starts. */
  isOpen(): boolean {
    return this._state == OPEN;
  }

  /** Starts the closing handshake. code: 1000 or 3000-4999 (none sends an
   *  empty close frame); reason: at most 123 bytes of UTF-8. */
  close(code?: number, reason?: string): void {
    'rarely run';
    var r = made(host._bytes(reason || ''));
    if (code === undefined) code = reason ? CloseCode.NORMAL_CLOSURE : CloseCode.NO_STATUS;
    else if (!(code == CloseCode.NORMAL_CLOSURE || (code >= CloseCode.FIRST_APPLICATION && code <= CloseCode.LAST_APPLICATION))) throw new TypeError('bad close code ' + code);
    if (r.length > MAX_REASON) throw new TypeError('close reason over 123 bytes');
    startClose(this, code, r);
  }

  /** Closes the TCP connection at once, without a closing handshake: the
   *  socket is closed for the application from here on (nothing more is
   *  delivered or sent), and 'close' (1006) follows. */
  terminate(): void {
    var s = this;
    if (s._tcp == TCP_CLOSED) return;
    s._state = CLOSED;
    clearQueue(s);
    host._destroy(s);
  }
}

// (Not through a variable: on a board, one kept for as long as the module is.)
(Socket.prototype as any).on = on;
(Socket.prototype as any).off = (Socket.prototype as any).removeListener = off;
(Socket.prototype as any).emit = emit;

if (EXTRAS) {
  (Socket.prototype as any).ping = function (this: Socket, data?: any): boolean {
    'rarely run';
    var p = binaryView(data) || made(host._bytes(data === undefined ? '' : String(data)));
    if (p.length > Frame.MAX_CONTROL_PAYLOAD) throw new TypeError('ping over 125 bytes');
    if (this._state != OPEN) return false;
    enqueue(this, PING, p);
    return true;
  };

  (Socket.prototype as any).stats = function (this: Socket): SocketStats {
    var s = this;
    return { received: s._received, sent: s._sent, refused: s._refused, dropped: s._dropped, bufferedAmount: s.bufferedAmount };
  };
}

/**
 * Queues a message's bytes on an open socket, under its queue policy: a
 * message that finds the queue empty is always taken; otherwise maxQueue
 * bounds the backlog, and queuePolicy says what happens past it. (For
 * send() and the server's broadcast().) `binary`: any true value sends a
 * binary frame, anything else a text frame.
 */
export function offer(s: Socket, bytes: Wire, binary: any): boolean {
  'ram if full';
  var max = s.maxQueue, queued = s.bufferedAmount, taken = s._state == OPEN, kept;
  if (taken && max && queued && queued + bytes.length > max) {
    // 'latest' drops the queued messages that have not started to go out,
    // but only when that makes room for this one.
    kept = EXTRAS && s.queuePolicy == 'latest' ? queued - unstarted(s, false) : queued;
    if (kept && kept + bytes.length > max) {
      taken = false;
      s._drainDue = 1;
      if (EXTRAS && s.queuePolicy == 'close') startClose(s, CloseCode.TRY_AGAIN_LATER, made(host._bytes('send queue full')));
    } else if (EXTRAS && kept < queued) unstarted(s, true);
  }
  if (taken) {
    // (Queued here rather than through enqueue(): a message is what a board
    // sends all day, and each call on its path costs.)
    s._queue.push(binary ? BINARY : TEXT, bytes);
    s.bufferedAmount += bytes.length;
    // 'drain' will say when what waits in the queue has gone.
    s._drainDue = 1;
    host._kick(s);
  }
  if (EXTRAS) {
    if (taken) s._sent++;
    else s._refused++;
  }
  return taken;
}
