// What a target supplies: the few things the core cannot do in plain
// ECMAScript 5. Everything else, protocol and API, is shared.

import { Codec } from './connection';

/** _text decodes UTF-8 where strings are UTF-16 (Node), and keeps the bytes
 *  where strings are bytes (Espruino); _bytes is its reverse. */
export interface Host extends Codec {
  _timer(fn: () => void, ms: number): any;
  _cancel(t: any): void;
  /** Starts listening; the target calls server._accept(link) for each TCP
   *  connection, then server._listening(port), or server._failed(error). */
  _listen(server: ServerLike, port: number, hostInterface: string): Listener;
  /** Defaults for options the user does not give. */
  _defaults: Limits;
}

/** The defaults a target chooses for its platform (see the README's table). */
export interface Limits {
  maxPayload: number;
  maxFragments: number;
  maxHeader: number;
  maxConnections: number;
  maxQueue: number;
  /** Largest payload per outgoing frame; 0 sends each message as one frame. */
  fragment: number;
  /** Bytes handed to the TCP socket at a time (on Espruino: per 'drain'). */
  writeSize: number;
  handshakeTimeout: number;
  closeTimeout: number;
  pingInterval: number;
  pongTimeout: number;
  idleTimeout: number;
}

export interface Listener {
  _close(): void;
}

/** One TCP connection, as the target drives it. */
export interface Link {
  /** Output is waiting: pull it with socket._flush() while the socket takes it. */
  _kick(): void;
  /** Drops the TCP connection now. The target then calls socket._gone(). */
  _destroy(): void;
}

export interface ServerLike {
  _listening(port: number): void;
  _failed(e: any): void;
}
