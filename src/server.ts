// The Accessors Server: listens, upgrades connections, and hands each new
// Socket to 'connection' listeners. Events: listening(port), connection(socket),
// error(err).

import { Emitter, addEmitter } from './emitter';
import { Socket, Options, shut } from './socket';
import { host, Listener } from './host';
import { Request } from './handshake';
import { isSupportedType, supportedReceiveTypes, JSON_TYPE } from './message-types';
import { EXTRAS } from './features';
import { EMPTY } from './frame-writer';

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
  /** Passed by the Accessors WebSocketServer accessor: TLS (wss://) is not
   *  served by this module, so only false is taken; the PFX options are
   *  taken and unused. */
  sslTls?: boolean;
  pfxKeyCertPath?: string;
  pfxKeyCertPassword?: string;
}

/** Defaults shared by every target; the host adds its limits. */
var DEFAULTS: any = {
  hostInterface: 'localhost',
  port: 80,
  receiveType: JSON_TYPE,
  sendType: JSON_TYPE,
  queuePolicy: 'fail',
  origins: null
};

/** The options of the optional features (see features.ts), with their
 *  defaults (for maxFragments and idleTimeout, the host's). */
var OPTIONAL: any = { path: null, verify: null, protocols: null, maxFragments: null, idleTimeout: null };

function fill(o: any, given: any, defaults: any): void {
  for (var k in defaults) o[k] = given[k] == null ? defaults[k] : given[k];
}

/**
 * The options as given, checked: throws a TypeError naming an option that is
 * unknown (a misspelled security option must not be ignored), or whose value
 * is of the wrong type or range. A port may be a string of digits (hosts
 * pass parameters as strings); an empty hostInterface is the default.
 * (The tables are made here, when a server is made, rather than kept: on a
 * board only what runs costs memory.)
 */
function checkOptions(given: any): any {
  var kinds: any = {
    hostInterface: 's', port: 'p', receiveType: 't', sendType: 't', queuePolicy: 'q',
    maxPayload: 'n', maxFragments: 'n', maxHeader: 'n', maxConnections: 'n', maxQueue: 'n', fragment: 'n',
    writeSize: '+', handshakeTimeout: 'n', closeTimeout: 'n', pingInterval: 'n', pongTimeout: 'n', idleTimeout: 'n',
    path: '/', origins: 'a', verify: 'f', protocols: 'a', sslTls: 'b', pfxKeyCertPath: 's', pfxKeyCertPassword: 's'
  }, takes: any = {
    s: 'a string',
    p: 'a port number from 0 to 65535',
    t: 'one of ' + supportedReceiveTypes().join(', ') + ' or another text/* type',
    q: "'fail', 'close' or 'latest'",
    n: 'a whole number, 0 or more',
    '+': 'a whole number, 1 or more',
    '/': 'a path starting with /',
    a: 'an array of strings',
    f: 'a function',
    b: 'true or false'
  }, o: any = {}, k, v, kind;
  for (k in given) {
    v = given[k];
    kind = kinds[k];
    if (!kind) throw new TypeError('unknown option ' + k + '; the options are ' + Object.keys(kinds).join(', '));
    if (kind == 'p' && typeof v == 'string' && /^[0-9]+$/.test(v)) v = +v;
    if (k == 'hostInterface' && v === '') v = null;
    if (v == null) continue;
    if (!fits(kind, v)) {
      throw new TypeError('option ' + k + ' takes ' + takes[kind] + ', not ' + (typeof v == 'string' ? JSON.stringify(v) : String(v)));
    }
    o[k] = v;
  }
  if (o.sslTls) throw new TypeError('option sslTls: this server does not serve TLS (wss://); put a TLS proxy in front of it');
  if (!EXTRAS) {
    for (k in OPTIONAL) if (o[k]) throw new TypeError(k + ': only in web-socket-server-full');
    if (o.queuePolicy && o.queuePolicy != 'fail') throw new TypeError("queuePolicy '" + o.queuePolicy + "': only in web-socket-server-full");
  }
  return o;
}

/** Does v fit the kind of value an option takes (see checkOptions)? */
function fits(kind: string, v: any): boolean {
  var i;
  if (kind == 'a') {
    if (!Array.isArray(v)) return false;
    for (i = 0; i < v.length; i++) if (typeof v[i] != 'string') return false;
    return true;
  }
  if (kind == 'f') return typeof v == 'function';
  if (kind == 'b') return typeof v == 'boolean';
  if (typeof v == 'string') return kind == 's' || (kind == 't' && isSupportedType(v)) || (kind == 'q' && ['fail', 'close', 'latest'].indexOf(v) >= 0) || (kind == '/' && v.charAt(0) == '/');
  return typeof v == 'number' && v % 1 == 0 && v >= (kind == '+' ? 1 : 0) && (kind == 'p' ? v <= 65535 : kind == 'n' || kind == '+');
}

export interface Server extends Emitter {}

export class Server {
  /** Open sockets. */
  sockets: Socket[];
  /** @internal Every TCP connection, open or still in its handshake. */
  _all: Socket[];
  /** @internal */
  _o: Options;
  /** @internal */
  _l: Listener | null;

  constructor(options?: ServerOptions) {
    var o: any = {}, given: any = checkOptions(options || {});
    fill(o, given, DEFAULTS);
    if (EXTRAS) fill(o, given, OPTIONAL);
    fill(o, given, host._defaults);
    this._o = o;
    this._ev = {};
    this.sockets = [];
    this._all = [];
    this._l = null;
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
    for (var i = 0; i < all.length; i++) shut(all[i], 1001, EMPTY);
  }
}

addEmitter(Server.prototype);

/** For the target: listening failed. */
export function serverFailed(server: Server, e: any): void {
  server._l = null;
  if (!server.emit('error', e)) throw e;
}
