// The Accessors Server: listens, upgrades connections, and hands each new
// Socket to 'connection' listeners. Events: listening(port), connection(socket),
// error(err).

import { Emitter, addEmitter } from './emitter';
import { Socket } from './socket';
import { Host, Link, Listener, Limits } from './host';
import { Request } from './handshake';
import { isSupportedType, JSON_TYPE } from './message-types';

export interface ServerOptions {
  /** Interface to listen on (default 'localhost'). */
  hostInterface?: string;
  /** Port to listen on (default 80; 0 picks a free port where the host can). */
  port?: number;
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
  /** Most bytes queued for sending per socket (0: no limit). */
  maxQueue?: number;
  /** What send() does when the queue would pass maxQueue: 'fail' (refuse
   *  the message), 'close' (refuse it and close with 1013), or 'latest'
   *  (drop the queued messages that have not started to go out). */
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
  /** Allowed Origin header values; a browser from another origin gets 403. */
  origins?: string[];
  /** Decides on each request: true (or nothing) accepts, false answers 403, a number answers that status. */
  verify?: (request: Request) => any;
  /** Subprotocols this server speaks, preferred first. */
  protocols?: string[];
}

var host: Host;

/** Called once by the target, before any Server is made. */
export function useHost(h: Host): void {
  host = h;
}

/** Defaults shared by every target; the host adds its limits. */
var DEFAULTS: any = {
  hostInterface: 'localhost',
  port: 80,
  receiveType: JSON_TYPE,
  sendType: JSON_TYPE,
  queuePolicy: 'fail',
  path: null,
  origins: null,
  verify: null,
  protocols: null
};

function fill(o: any, given: any, defaults: any): void {
  for (var k in defaults) o[k] = given[k] === undefined || given[k] === null ? defaults[k] : given[k];
}

/** The options with defaults filled in. */
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

export interface Server extends Emitter {}

export class Server {
  /** @internal */
  _host: Host;
  /** @internal */
  _o: Options;
  /** Open sockets. */
  sockets: Socket[] = [];
  /** Every TCP connection, open or still in its handshake. */
  private _all: Socket[] = [];
  private _l: Listener | null = null;

  constructor(options?: ServerOptions) {
    var o: any = {}, given = options || {};
    fill(o, given, DEFAULTS);
    fill(o, given, host._defaults);
    this._host = host;
    this._o = o;
    if (!isSupportedType(o.receiveType) || !isSupportedType(o.sendType) || !/^(fail|close|latest)$/.test(o.queuePolicy)) {
      throw new TypeError('unsupported option: ' + o.receiveType + ', ' + o.sendType + ', ' + o.queuePolicy);
    }
  }

  /** Starts listening; 'listening' reports the port, 'error' a failure. */
  start(): void {
    if (!this._l) this._l = host._listen(this, this._o.port, this._o.hostInterface);
  }

  /** Closes every connection with 1001 (going away) and stops listening. */
  stop(): void {
    var all = this._all.slice(), l = this._l;
    this._l = null;
    if (l) l._close();
    for (var i = 0; i < all.length; i++) all[i]._shut(1001, new Uint8Array(0));
  }

  // ---- for the target ----

  /** @internal A new TCP connection. */
  _accept(link: Link): Socket {
    var s = new Socket(this, link, this._o);
    this._all.push(s);
    return s;
  }

  /** @internal */
  _listening(port: number): void {
    this.emit('listening', port);
  }

  /** @internal */
  _failed(e: any): void {
    this._l = null;
    if (!this.emit('error', e)) throw e;
  }

  // ---- for sockets ----

  /** @internal The server's own checks of a valid upgrade request: an HTTP
   *  status refuses it; a string accepts it with these extra header lines. */
  _check(req: Request, s: Socket): number | string {
    var o = this._o, h = req.headers, v: any, i: number;
    if (o.path && req.path.split('?')[0] != o.path) return 404;
    if (o.origins && h['origin'] && o.origins.indexOf(h['origin']) < 0) return 403;
    if (this.sockets.length >= o.maxConnections) return 503;
    if (o.verify) {
      try {
        v = o.verify(req);
      } catch (e) {
        return 500;
      }
      if (v === false) return 403;
      if (typeof v == 'number' && v) return v;
    }
    // The first of our subprotocols that the client offers (case-sensitive).
    var offered = ',' + (h['sec-websocket-protocol'] || '').replace(/[ \t]/g, '') + ',';
    if (o.protocols) {
      for (i = 0; i < o.protocols.length; i++) {
        if (offered.indexOf(',' + o.protocols[i] + ',') >= 0) {
          s.protocol = o.protocols[i];
          return 'Sec-WebSocket-Protocol: ' + s.protocol + '\r\n';
        }
      }
    }
    return '';
  }

  /** @internal */
  _open(s: Socket): void {
    this.sockets.push(s);
    this.emit('connection', s);
  }

  /** @internal */
  _closed(s: Socket): void {
    remove(this._all, s);
    remove(this.sockets, s);
  }
}

addEmitter(Server.prototype);

function remove(list: Socket[], s: Socket): void {
  var i = list.indexOf(s);
  if (i >= 0) list.splice(i, 1);
}
