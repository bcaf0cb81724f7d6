// What a target supplies: the few things the core cannot do in plain
// ECMAScript 5. Everything else, protocol and API, is shared. The target
// fills in `host` once, before any Server is made. (In the Espruino bundles
// the build binds each property where it is used, and no object is made:
// bindHost in rollup.config.mjs. So only `host._name` is ever done with it.)

import { Limits, Connection } from './record';

export interface Host {
  /** UTF-8 bytes to a string where strings are UTF-16 (Node); the bytes
   *  kept as a byte string where strings are bytes (Espruino). Undefined
   *  when the board has no memory for the result (see made()). `valid`
   *  (VALID_UTF8) says the bytes have been checked as UTF-8 (a message, a
   *  close reason); the core gives it only where NATIVE is on, since the
   *  Espruino target's _text joins all its arguments into the string. */
  _text(b: Uint8Array, valid?: number): string | undefined;
  /** The reverse of _text. */
  _bytes(s: string): Uint8Array | undefined;
  /** Where strings are bytes (Espruino): a string to queue as it is, with
   *  no copy (a message's text; a file read from Storage then goes out from
   *  flash). Left out elsewhere: the core queues _bytes() of it. */
  _raw?: (s: string) => string;
  /** base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2. */
  _accept(key: string): string | undefined;
  /** Calls fn(arg) after ms milliseconds (a timer per call, never a closure). */
  _timer(fn: (arg: any) => void, ms: number, arg: any): any;
  /** Cancels a timer (never called with undefined). */
  _cancel(t: any): void;
  /** Starts listening; for each TCP connection the target makes a
   *  `new Socket(server, handle)`, and it emits 'listening' with the port,
   *  or 'error'. */
  _listen(server: any, port: number, hostInterface: string): Listener;
  /** Output is waiting on this connection: pull it with pull()
   *  (outgoing/send-queue.ts) while the TCP connection takes it, never
   *  from inside the call that queued it. */
  _kick(s: Connection): void;
  /** Drops the TCP connection now; the target then calls gone(s). */
  _destroy(s: Connection): void;
  /** Defaults for the limits the user does not give. */
  _defaults(): Limits;
  /** Where the host has native code for them (Node, with the optional
   *  bufferutil package; Node's buffer.isAscii), runs of more than
   *  NATIVE_RUN bytes go to these rather than to the core's loops.
   *  _unmask XORs b[i..end) with the mask from mask position `phase`, in
   *  place; _isAscii says whether every byte of b is ASCII. */
  _unmask?: (b: Uint8Array, i: number, end: number, mask: Uint8Array, phase: number) => void;
  _isAscii?: (b: Uint8Array) => boolean;
  /** The target serves TLS (wss://) with the sslTls and PFX options. */
  _tls?: boolean;
}

/** What _listen gives back: closing it stops listening. (On Espruino, the
 *  interpreter's own server object, so that a server holds no object of
 *  ours for it.) */
export interface Listener {
  close(): void;
}

export var host: Host = {} as Host;

/** Runs longer than this go to the host's native _unmask or _isAscii: a
 *  call into native code pays for itself only on long runs (ws hands
 *  unmasking to native code from 48 bytes). Not tuned: 64-byte and 16 KiB
 *  messages are on either side of it. */
export var NATIVE_RUN = 256;

/** What a board allows (a const enum: TypeScript writes the values where
 *  they are used, see protocol.ts). */
export const enum Board {
  /** A typed array view starts before this byte of its buffer: Espruino
   *  cannot make one that starts further in. Past it, the word loops are
   *  left out and bytes are taken one at a time. */
  VIEW_OFFSET_LIMIT = 65536
}

/** host._text's second argument: the bytes are valid UTF-8. */
export var VALID_UTF8 = 1;

/** The error a call of the core throws when the board has no memory for
 *  what it needs: the connection then fails alone (connection.ts). */
export var NO_MEMORY = 'out of memory';

/** A result of host._text, _bytes or _accept: undefined means the board
 *  could not get the memory for it. */
export function made<T>(v: T | undefined): T {
  'ram if full';
  if (v === undefined) throw new Error(NO_MEMORY);
  return v;
}
