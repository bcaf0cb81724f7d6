// A connection's record: the fields that every step keeps, in one object
// per connection (the application's Socket), and the states it goes
// through. On a board that is one object per connection instead of one per
// step, and no closure: each step is a few functions over its own fields.
//
//   CONNECTING --101--> OPEN --our close frame--> CLOSING --theirs--> CLOSED
//        \--error response--> CLOSED     \--their close frame, or a protocol error--> CLOSED
//
// In CLOSED nothing more is read; once the send queue is written, the target
// ends the TCP connection, and closeTimeout bounds the wait.
//
// Fields hold small integers and `undefined` rather than booleans and null
// where they can: Espruino stores a short-named field with a small integer
// or undefined in one block, and one with a boolean or null in two.

import { Emitter } from './emitter';

export var CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

/** The TCP connection: open; the target was told to end it; closed. */
export var TCP_OPEN = 0, TCP_ENDING = 1, TCP_CLOSED = 2;

/** What a receiveType or sendType comes to (message-types.ts), as a
 *  server's options keep it, in the order supportedReceiveTypes() lists the
 *  types: on a board, a number is compared at once, where the type's string
 *  is compared letter by letter, and it takes no block of its own. */
export const enum Conversion {
  JSON,
  TEXT,
  OCTETS
}

/** Bytes to send: a Uint8Array, or a string where strings are bytes (see
 *  Host._raw in host.ts). */
export type Wire = Uint8Array | string;

/** The limits a target chooses for its platform (see the README's table). */
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
  /** On a board, the blocks of memory that must be free for a TCP
   *  connection beyond the open ones and one in its handshake to be taken
   *  (0: no such check; unused on Node). */
  minFree: number;
}

/** A server's options, checked and with the defaults filled in
 *  (options.ts); ServerOptions (server.ts) says what each one means. The
 *  field names are ones the minifier shortens: on a board, a field whose
 *  name has 9 letters or more takes a block more, for as long as the
 *  server runs. An option that is off is no field at all. */
export interface Options {
  _hostInterface: string;
  _port: number;
  _receiveType: Conversion;
  _sendType: Conversion;
  _maxPayload: number;
  _maxHeader: number;
  _maxConnections: number;
  _maxQueue: number;
  _fragment: number;
  _writeSize: number;
  _handshakeTimeout: number;
  _closeTimeout: number;
  _pingInterval: number;
  _pongTimeout: number;
  _minFree: number;
  _origins?: string[];
  // Only in the full module (the small one has one queue policy, and
  // neither maxFragments nor idleTimeout).
  _queuePolicy: string;
  _maxFragments: number;
  _idleTimeout: number;
  _path?: string;
  _verify?: (request: Request) => any;
  _protocols?: string[];
  // Only where the target has a TLS server (Node).
  _sslTls?: boolean;
  _pfxKeyCertPath?: string;
  _pfxKeyCertPassword?: string;
}

/** The upgrade request. Header names are lower-cased; repeated headers are
 *  joined with ", ". */
export interface Request {
  method: string;
  path: string;
  version: string;
  headers: { [name: string]: string };
}

/** The request head being read: _bytes[0.._length); then the request, and
 *  while it is being decided (an asynchronous verify) the bytes that came
 *  after it. Dropped when the handshake is over. */
export interface HeadReader {
  _bytes: Uint8Array | undefined;
  _length: number;
  _request: Request | undefined;
  _held: Uint8Array | undefined;
  /** The request is a plain HTTP one, being answered (http-response.ts):
   *  what comes after its head is not read. */
  _http?: number;
}

/** What a connection needs of its server. */
export interface Owner extends Emitter {
  _options: Options;
  /** Open connections. */
  sockets: Connection[];
  /** Every TCP connection, open or still in its handshake. */
  _all: Connection[];
}

export interface Connection extends Emitter {
  // Read for every chunk, so made first (Espruino finds a field by walking
  // an object's fields in the order they were made).
  /** The target's handle of the TCP connection. */
  _sock: any;
  _state: number;
  /** Reads the request head, until the handshake is over. */
  _head: HeadReader | undefined;

  // The frame parser (incoming/frames.ts). Only _frameState and
  // _messageOp, which receive() reads for every chunk, are made with the
  // connection; the general parser makes the others as it first reads a
  // frame, each written before it is read (on a board, a field is a block:
  // 8 less for a connection that sends only short messages).
  /** Where in a frame the parser is (see frames.ts). */
  _frameState: number;
  /** Payload bytes of the current frame still to come. */
  _frameLeft: number;
  /** The mask, and the mask position of the next payload byte. (No field
   *  until a frame needs it: short frames are unmasked by receive() with
   *  the key where it lies in the chunk.) */
  _mask?: Uint8Array;
  _maskPhase: number;
  /** The frame's first byte: FIN, RSV and the opcode. */
  _frameHead: number;
  /** The frame's payload length, as declared. */
  _frameLength: number;
  /** Bytes of the extended length or of the mask still to come. */
  _need: number;

  // The message being read (incoming/frames.ts).
  /** Its opcode (TEXT or BINARY), or 0 between messages. */
  _messageOp: number;
  /** The UTF-8 validator's state (incoming/utf8.ts). */
  _utf8: number;
  /** The message so far, _messageBuf[0.._messageLength): a buffer that
   *  grows, or (while _messageCap is 0) the whole message as a view of a
   *  chunk. */
  _messageBuf: Uint8Array | undefined;
  _messageLength: number;
  /** How far _messageBuf may grow for the current frame; 0 while the
   *  message can be delivered as a view. */
  _messageCap: number;
  /** Frames of the current message so far (maxFragments). */
  _fragments: number;
  /** A control frame's payload, kept apart (control frames may come
   *  between fragments). */
  _control: Uint8Array | undefined;

  // The send queue (outgoing/send-queue.ts).
  /** Message bytes queued and not yet handed to the network. */
  bufferedAmount: number;
  /** Messages, close frames and HTTP responses in order, as op, data pairs;
   *  _queueOffset: bytes of the first one already framed. */
  _queue: any[];
  _queueOffset: number;
  /** Pong frames waiting for the next frame boundary, and a ping. */
  _pongFrames: Uint8Array | undefined;
  _pingFrame: Uint8Array | undefined;
  /** The frame being written: its header from _outHeadPos, then
   *  _outBody[_outPos.._outEnd). */
  _outHead: Uint8Array | undefined;
  _outHeadPos: number;
  _outBody: Wire | undefined;
  _outPos: number;
  _outEnd: number;
  /** What the frame being written is (see send-queue.ts). */
  _outKind: number;
  /** A send() was refused, or left bytes queued: 'drain' is due when the
   *  queue empties. 1 or 0. */
  _drainDue: number;
  /** The network took bytes since the heartbeat last looked. 1 or 0. */
  _moved: number;

  // Closing.
  /** The close code and reason to report: from the peer's close frame, or
   *  of the error that failed the connection; no fields until there is one
   *  (gone() reports 1006 then). */
  _closeCode?: number;
  _closeReason: string | undefined;
  /** TCP_OPEN, TCP_ENDING or TCP_CLOSED. */
  _tcp: number;

  _server: Owner;
  _options: Options;
  /** The one timer of the handshake, heartbeat or close (timers.ts). */
  _timer: any;
  _timerPurpose: number;

  // The application's (socket.ts).
  request: Request | null;
  maxQueue: number;
  queuePolicy: string;
  protocol: string;

  // With the optional features (features.ts): counts for stats(), and the
  // idle timer.
  _received: number;
  _sent: number;
  _refused: number;
  _dropped: number;
  _lastMessageAt: number;
  _idleTimer: any;
}
