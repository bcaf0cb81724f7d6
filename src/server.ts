// The Accessors Server: listens, upgrades connections, and hands each new
// Socket to 'connection' listeners. Events: listening(port),
// connection(socket), error(err).

import { Emitter, on, off, emit } from './emitter';
import { Options, Request, Conversion } from './record';
import { Socket, offer } from './socket';
import { toWire, binaryView } from './message-types';
import { host, Listener } from './host';
import { EMPTY } from './outgoing/frame-header';
import { CloseCode } from './protocol';
import { startClose } from './connection';
import { checkOptions } from './options';

export interface ServerOptions {
  /** Interface to listen on (default 'localhost'). */
  hostInterface?: string;
  /** Port to listen on (default 80; 0 picks a free port where the host can). */
  port?: number | string;
  /** MIME type of received messages (default 'application/json'). */
  receiveType?: string;
  /** MIME type of sent messages (default 'application/json'). */
  sendType?: string;
  /** Largest message in bytes; a larger one closes the connection with 1009. */
  maxPayload?: number;
  /** Most frames per message; more closes the connection with 1009. */
  maxFragments?: number;
  /** Largest request head in bytes; a larger one is answered with 431. */
  maxHeader?: number;
  /** Most open connections; a handshake past it is answered with 503. */
  maxConnections?: number;
  /** Most bytes queued for sending per socket behind the message going out (0: no limit). */
  maxQueue?: number;
  /** What send() does when the queue would pass maxQueue: 'fail' (refuse
   *  the message), 'close' (refuse it and close with 1013), or 'latest'
   *  (drop the queued messages that have not started to go out, if that
   *  makes room). */
  queuePolicy?: string;
  /** Largest payload per outgoing frame; larger messages are fragmented. 0: never. */
  fragment?: number;
  /** Bytes handed to the TCP socket at a time (on Espruino: per 'drain'). */
  writeSize?: number;
  /** Milliseconds a client has to complete its handshake. */
  handshakeTimeout?: number;
  /** Milliseconds to wait for the peer's close frame or TCP close. */
  closeTimeout?: number;
  /** Milliseconds between heartbeat pings (0: none). */
  pingInterval?: number;
  /** Milliseconds to wait for the pong before the connection is cut (1006). */
  pongTimeout?: number;
  /** Milliseconds without a message before the connection is closed with 1001 (0: never). */
  idleTimeout?: number;
  /** Only this path upgrades (the query string is ignored); others get 404. */
  path?: string;
  /** Allowed Origin header values, matched exactly; a browser from another origin gets 403. */
  origins?: string[];
  /** Decides on each request: true (or nothing) accepts, false answers 403,
   *  a status 400-599 answers that status, anything else 500; a promise of
   *  one of these is awaited (within handshakeTimeout). */
  verify?: (request: Request) => any;
  /** Subprotocols this server speaks, preferred first. */
  protocols?: string[];
  /** As the Accessors WebSocketServer accessor passes them: on Node, serve
   *  wss:// (and https pages) with the key and certificate of a PFX
   *  (PKCS#12) file and its password. Espruino has no TLS server: there
   *  sslTls: true is a TypeError. */
  sslTls?: boolean;
  pfxKeyCertPath?: string;
  pfxKeyCertPassword?: string;
}

export interface Server extends Emitter {}

export class Server {
  /** Open sockets. */
  sockets: Socket[];
  /** @internal Every TCP connection, open or still in its handshake. */
  _all: Socket[];
  /** @internal */
  _options: Options;
  /** @internal */
  _l: Listener | null;

  constructor(options?: ServerOptions) {
    'rarely run';
    // (Once per server: the minifier pastes checkOptions here, so that on a
    // board it is a function only while it runs; docs/design.md.)
    this._options = /*@__INLINE__*/ checkOptions(options || {});
    this._ev = {};
    this.sockets = [];
    this._all = [];
    this._l = null;
  }

  /** Starts listening; 'listening' reports the port, 'error' a failure. */
  start(): void {
    if (!this._l) this._l = host._listen(this, this._options._port, this._options._hostInterface);
  }

  /** Sends one message to every open socket: converted once (by sendType),
   *  the same bytes queued on each, under each socket's own queue policy.
   *  Returns how many sockets took it. */
  broadcast(data: any, options?: { binary?: boolean }): number {
    'rarely run';
    var list = this.sockets.slice(), type = this._options._sendType, bytes, binary, n = 0, i;
    if (!list.length) return 0;
    bytes = toWire(type, data);
    binary = type == Conversion.OCTETS || (options && options.binary) || (typeof data != 'string' && binaryView(data));
    for (i = 0; i < list.length; i++) if (offer(list[i], bytes, binary)) n++;
    return n;
  }

  /** Closes every connection with 1001 (going away), drops those still in
   *  their handshake, and stops listening. */
  stop(): void {
    var all = this._all.slice(), l = this._l, i;
    this._l = null;
    if (l) l.close();
    for (i = 0; i < all.length; i++) startClose(all[i], CloseCode.GOING_AWAY, EMPTY);
  }
}

// (Not through a variable: on a board, one kept for as long as the module is.)
(Server.prototype as any).on = on;
(Server.prototype as any).off = (Server.prototype as any).removeListener = off;
(Server.prototype as any).emit = emit;
