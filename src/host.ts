// What a target supplies: the few things the core cannot do in plain
// ECMAScript 5. Everything else, protocol and API, is shared.

import { Codec } from './connection';
import { Server } from './server';
import { Socket } from './socket';

/** _text decodes UTF-8 where strings are UTF-16 (Node), and keeps the bytes
 *  where strings are bytes (Espruino); _bytes is its reverse. */
export interface Host extends Codec {
  /** Calls fn(arg) after ms milliseconds (a timer per call, never a closure). */
  _timer(fn: (arg: any) => void, ms: number, arg: any): any;
  /** Cancels a timer; does nothing for undefined. */
  _cancel(t: any): void;
  /** Starts listening; the target makes a new Socket(server, sock) for each TCP
   *  connection, and emits 'listening' (with the port) or calls serverFailed(). */
  _listen(server: Server, port: number, hostInterface: string): Listener;
  /** Output is waiting on this socket: pull it with flush() while the TCP
   *  connection takes it. */
  _kick(s: Socket): void;
  /** Drops the socket's TCP connection now. The target then calls gone(s). */
  _destroy(s: Socket): void;
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

/** The target's host, set once before any Server is made. */
export var host: Host;

export function useHost(h: Host): void {
  host = h;
}
