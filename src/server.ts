// The Accessors Server: listens, upgrades connections, and hands each new
// Socket to 'connection' listeners. Events: listening(port), connection(socket),
// error(err).

import { Emitter, addEmitter } from './emitter';
import { Socket } from './socket';
import { Host, Link, Listener } from './host';
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
  /** Largest request head in bytes; a larger one is answered with 431. */
  maxHeader?: number;
  /** Largest payload per outgoing frame; larger messages are fragmented. 0: never. */
  fragment?: number;
  /** Bytes handed to the TCP socket at a time (on Espruino: per 'drain'). */
  writeSize?: number;
  /** Milliseconds to wait for the peer's close frame or TCP close. */
  closeTimeout?: number;
}

var host: Host;

/** Called once by the target, before any Server is made. */
export function useHost(h: Host): void {
  host = h;
}

/** Defaults shared by every target; the host adds its limits. */
var DEFAULTS: any = { hostInterface: 'localhost', port: 80, receiveType: JSON_TYPE, sendType: JSON_TYPE };

function fill(o: any, given: any, defaults: any): void {
  for (var k in defaults) o[k] = given[k] === undefined || given[k] === null ? defaults[k] : given[k];
}

export interface Server extends Emitter {}

export class Server {
  /** @internal */
  _host: Host;
  /** @internal The options, with defaults filled in. */
  _o: {
    hostInterface: string;
    port: number;
    receiveType: string;
    sendType: string;
    maxPayload: number;
    maxHeader: number;
    fragment: number;
    writeSize: number;
    closeTimeout: number;
  };
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
    if (!isSupportedType(o.receiveType) || !isSupportedType(o.sendType)) {
      throw new TypeError('unsupported type: ' + o.receiveType + ', ' + o.sendType);
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
