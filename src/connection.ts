// One WebSocket connection as a state machine, with no I/O of its own:
// bytes go in through receive(), events come out through the handler, and
// bytes to send wait in the outbox until the target flushes them.
//
//   CONNECTING --101--> OPEN --close sent--> CLOSING --close received--> CLOSED
//        \--error response--> CLOSED      \--close received or error--> CLOSED
//
// In CLOSED nothing more is read, and the target ends the TCP connection as
// soon as the outbox is empty.

import { FrameParser } from './frame-parser';
import { MessageReader, MessageSink } from './message-reader';
import { Outbox, RAW } from './outbox';
import { RequestReader, Request, checkRequest, acceptResponse, errorResponse } from './handshake';
import { TEXT, BINARY, CLOSE, PING, PONG, closePayload } from './frame-writer';
import { isWireCloseCode, MAX_REASON } from './close-code';
import { isUtf8 } from './utf8';

export var CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

/** Limits, from the server's options. */
export interface ConnectionLimits {
  /** Largest message, in bytes, before it is refused with 1009. */
  maxPayload: number;
  /** Largest request head, in bytes, before it is refused with 431. */
  maxHeader: number;
  /** Largest payload per outgoing frame; 0 sends each message as one frame. */
  fragment: number;
}

/** What the target does for the connection in plain computation. */
export interface Codec {
  /** Bytes to a string (request lines, close reasons). */
  _text(b: Uint8Array): string;
  /** A string to bytes (responses, close reasons). */
  _bytes(s: string): Uint8Array;
  /** base64(SHA-1(key + GUID)). */
  _accept(key: string): string;
}

export interface ConnectionHandler {
  /** A valid upgrade request: 0 accepts it, an HTTP status refuses it. */
  _request(req: Request): number;
  _open(req: Request): void;
  _message(data: Uint8Array, binary: boolean): void;
  _pong(payload: Uint8Array): void;
  /** The peer broke the protocol; a close frame with `code` is on its way. */
  _error(code: number, message: string): void;
  /** Bytes are waiting in the outbox. */
  _output(): void;
}

export class Connection implements MessageSink {
  _state = CONNECTING;
  /** The close code and reason to report: from the peer's close frame, or
   *  of the error that failed the connection; 0 if there was none. */
  _code = 0;
  _reason = '';
  _out: Outbox;
  private _head: RequestReader | null;
  private _frames: FrameParser;

  constructor(private _h: ConnectionHandler, limits: ConnectionLimits, private _o: Codec) {
    this._out = new Outbox(limits.fragment);
    this._head = new RequestReader(limits.maxHeader, _o._text);
    this._frames = new FrameParser(new MessageReader(this, limits.maxPayload));
  }

  /** Bytes from the peer. The chunk is unmasked in place, and views of it
   *  may be delivered as messages: the caller must not reuse it. */
  _receive(b: Uint8Array): void {
    var i = 0;
    if (this._state == CONNECTING) {
      var head = this._head!;
      i = head._push(b, 0);
      if (head._status) return this._refuse(head._status);
      if (i < 0) return;
      var req = head._req!;
      this._head = null;
      var status = checkRequest(req) || this._h._request(req);
      if (status) return this._refuse(status);
      this._out._add(RAW, this._o._bytes(acceptResponse(this._o._accept(req.headers['sec-websocket-key']), '')));
      this._state = OPEN;
      this._h._output();
      this._h._open(req);
    }
    if (this._state < CLOSED && i < b.length) this._frames._push(b, i);
  }

  /** Queues a message; false if the connection is not open. */
  _send(data: Uint8Array, binary: boolean): boolean {
    if (this._state != OPEN) return false;
    this._out._add(binary ? BINARY : TEXT, data);
    this._h._output();
    return true;
  }

  _ping(payload: Uint8Array): boolean {
    if (this._state != OPEN) return false;
    this._out._addControl(PING, payload);
    this._h._output();
    return true;
  }

  /** Starts the closing handshake. The code and reason must already be valid. */
  _close(code: number, reason: Uint8Array): void {
    if (this._state == OPEN) {
      this._out._add(CLOSE, code == 1005 ? new Uint8Array(0) : closePayload(code, reason));
      this._state = CLOSING;
      this._h._output();
    } else if (this._state == CONNECTING) this._state = CLOSED;
  }

  _message(data: Uint8Array, binary: boolean): void {
    this._h._message(data, binary);
  }

  _control(op: number, p: Uint8Array): void {
    if (op == PING) {
      if (this._state == OPEN) {
        this._out._addControl(PONG, p);
        this._h._output();
      }
    } else if (op == PONG) this._h._pong(p);
    else {
      var code = p.length ? (p[0] << 8) | p[1] : 1005;
      if (p.length == 1 || (p.length && !isWireCloseCode(code))) return this._fail(1002, 'invalid close code');
      var reason = p.subarray(2);
      if (!isUtf8(reason)) return this._fail(1007, 'close reason is not UTF-8');
      this._code = code;
      this._reason = this._o._text(reason);
      // Answer a close with a close (echoing the code), unless ours went first.
      if (this._state == OPEN) this._out._add(CLOSE, code == 1005 ? reason : closePayload(code, reason.subarray(0, 0)));
      this._state = CLOSED;
      this._h._output();
    }
  }

  _fail(code: number, message: string): void {
    if (this._state == CLOSED) return;
    this._code = code;
    this._reason = message;
    if (this._state == OPEN) this._out._add(CLOSE, closePayload(code, this._o._bytes(message.slice(0, MAX_REASON))));
    this._state = CLOSED;
    this._h._error(code, message);
    this._h._output();
  }

  private _refuse(status: number): void {
    this._head = null;
    this._out._add(RAW, this._o._bytes(errorResponse(status)));
    this._state = CLOSED;
    this._h._output();
  }
}
