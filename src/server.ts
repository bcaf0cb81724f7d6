// The Accessors Server: listens, upgrades connections, and hands each new
// Socket to 'connection' listeners. Events: listening(port), connection(socket),
// error(err).

import { Emitter } from './emitter';
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

function pick(v: any, dflt: any): any {
  return v === undefined || v === null ? dflt : v;
}

export class Server extends Emitter {
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
    super();
    var o: any = options || {}, d = host._defaults;
    this._host = host;
    this._o = {
      hostInterface: pick(o.hostInterface, 'localhost'),
      port: pick(o.port, 80),
      receiveType: pick(o.receiveType, JSON_TYPE),
      sendType: pick(o.sendType, JSON_TYPE),
      maxPayload: pick(o.maxPayload, d.maxPayload),
      maxHeader: pick(o.maxHeader, d.maxHeader),
      fragment: pick(o.fragment, d.fragment),
      writeSize: pick(o.writeSize, d.writeSize),
      closeTimeout: pick(o.closeTimeout, d.closeTimeout)
    };
    if (!isSupportedType(this._o.receiveType)) throw new TypeError('unsupported receiveType ' + this._o.receiveType);
    if (!isSupportedType(this._o.sendType)) throw new TypeError('unsupported sendType ' + this._o.sendType);
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

function remove(list: Socket[], s: Socket): void {
  var i = list.indexOf(s);
  if (i >= 0) list.splice(i, 1);
}
