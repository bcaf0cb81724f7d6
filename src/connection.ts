// One WebSocket connection as a state machine, with no I/O of its own:
// bytes go in through receive() (protocol.ts), events come out through the
// handler methods of the connection's record, and bytes to send wait in the
// send queue until the target flushes them (outbox.ts).
//
//   CONNECTING --101--> OPEN --close sent--> CLOSING --close received--> CLOSED
//        \--error response--> CLOSED      \--close received or error--> CLOSED
//
// In CLOSED nothing more is read, and the target ends the TCP connection as
// soon as the send queue is empty.
//
// A connection's whole state is one flat record (the application's Socket
// object), and each step of the core (handshake, frame parser, message
// reader, send queue) is a set of functions over the fields it owns. On a
// microcontroller that is one object per connection instead of seven, and no
// closure per connection.

import { ParserState } from './frame-parser';
import { ReaderState } from './message-reader';
import { OutboxState, outAdd, outControl } from './outbox';
import { HeadReader, Request } from './handshake';
import { TEXT, BINARY, CLOSE, PING, PONG, closePayload } from './frame-writer';
import { isWireCloseCode } from './close-code';
import { isUtf8 } from './utf8';

export var CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

/** The reason given for invalid UTF-8 (1007). */
export var INVALID = 'invalid UTF-8';

/** The message of the Error a Codec throws when the board cannot get the
 *  memory for a result (Espruino's E.toString returns undefined then). */
export var NO_MEMORY = 'out of memory';

/** Limits, from the server's options. */
export interface ConnectionLimits {
  /** Largest message, in bytes, before it is refused with 1009. */
  maxPayload: number;
  /** Largest request head, in bytes, before it is refused with 431. */
  maxHeader: number;
  /** Most frames (fragments) per message before it is refused with 1009. */
  maxFragments: number;
  /** Largest payload per outgoing frame; 0 sends each message as one frame. */
  fragment: number;
}

/** What the target does for the connection in plain computation. Each may
 *  throw an Error with the message NO_MEMORY. */
export interface Codec {
  /** Bytes to a string (request lines, close reasons). */
  _text(b: Uint8Array): string;
  /** A string to bytes (responses, close reasons). */
  _bytes(s: string): Uint8Array;
  /** base64(SHA-1(key + GUID)). */
  _accept(key: string): string;
}

/** What the connection tells its owner. */
export interface Handler {
  /** A valid upgrade request: an HTTP status refuses it; 0 or a string
   *  accepts it, the string holding extra response header lines; null
   *  decides later, with respond() (protocol.ts). */
  _request(req: Request): number | string | null;
  _open(req: Request): void;
  _message(data: Uint8Array, binary: boolean): void;
  _pong(payload: Uint8Array): void;
  /** The peer broke the protocol; a close frame with `code` is on its way. */
  _error(code: number, message: string): void;
  /** Bytes are waiting in the send queue. */
  _output(): void;
  /** Drop the TCP connection now, without sending what is queued. */
  _abort(): void;
}

/** The connection's record: the handler, and the fields of every step. */
export interface Conn extends Handler, ParserState, ReaderState, OutboxState {
  _state: number;
  /** The close code and reason to report: from the peer's close frame, or
   *  of the error that failed the connection; 0 if there was none. */
  _code: number;
  _reason: string;
  _o: ConnectionLimits;
  _k: Codec;
  /** Reads the request head, until the handshake is over. */
  _hd: HeadReader | null;
}

/** Queues a message; false if the connection is not open. */
export function connSend(c: Conn, data: Uint8Array, binary: boolean): boolean {
  return c._state == OPEN && queue(c, binary ? BINARY : TEXT, data);
}

export function connPing(c: Conn, payload: Uint8Array): boolean {
  return c._state == OPEN && queue(c, PING, payload);
}

/** Starts the closing handshake. The code and reason must already be valid. */
export function connClose(c: Conn, code: number, reason: Uint8Array): void {
  if (c._state == OPEN) {
    c._state = CLOSING;
    queue(c, CLOSE, closePayload(code, reason));
  } else if (!c._state) c._state = CLOSED;
}

/** A control frame from the peer: answers pings, reports pongs, and completes
 *  the closing handshake. */
export function onControl(c: Conn, op: number, p: Uint8Array): void {
  if (op == PING) {
    if (c._state == OPEN) queue(c, PONG, p);
  } else if (op == PONG) c._pong(p);
  else {
    var code = p.length ? (p[0] << 8) | p[1] : 1005, reason = p.subarray(2);
    if (p.length == 1 || (p.length && !isWireCloseCode(code))) fail(c, 1002, 'bad close code');
    else if (!isUtf8(reason)) fail(c, 1007, INVALID);
    else {
      c._code = code;
      c._reason = c._k._text(reason);
      // Answer a close with a close (echoing the code), unless ours went first.
      // Either way the target can now end the TCP connection (the server
      // closes it first, RFC 6455 section 7.1.1).
      var st = c._state;
      c._state = CLOSED;
      if (st == OPEN) queue(c, CLOSE, closePayload(code, reason.subarray(0, 0)));
      else c._output();
    }
  }
}

/** Fails the connection: reports the error and sends a close frame with its
 *  code (or, before the handshake is over, just ends the connection). */
export function fail(c: Conn, code: number, message: string): void {
  var st = c._state;
  if (st == CLOSED) return;
  c._code = code;
  c._reason = message;
  c._state = CLOSED;
  c._error(code, message);
  if (st == OPEN) queue(c, CLOSE, closePayload(code, c._k._bytes(message)));
  else c._output();
}

/** Ends the connection at once, without a close frame (for when even that
 *  cannot be made): reports the error, unless one was, and has the owner
 *  drop the TCP connection. */
export function abort(c: Conn, message: string): void {
  var st = c._state;
  c._state = CLOSED;
  if (st != CLOSED) c._error(1006, message);
  c._abort();
}

/** Queues bytes (a string is an HTTP response) and tells the handler. */
export function queue(c: Conn, op: number, data: any): boolean {
  if (typeof data == 'string') data = c._k._bytes(data);
  if (op == PING || op == PONG) outControl(c, op, data);
  else outAdd(c, op, data);
  c._output();
  return true;
}
