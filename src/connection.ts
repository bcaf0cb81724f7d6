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
import { isWireCloseCode } from './close-code';
import { isUtf8 } from './utf8';

export var CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

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
  /** A valid upgrade request: an HTTP status refuses it; 0 or a string
   *  accepts it, the string holding extra response header lines. */
  _request(req: Request): number | string;
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
  /** Reads the request head, until the handshake is over. */
  private _head: RequestReader | null;
  private _frames: FrameParser;

  constructor(private _h: ConnectionHandler, limits: ConnectionLimits, private _o: Codec) {
    this._out = new Outbox(limits.fragment);
    this._head = new RequestReader(limits.maxHeader, _o._text);
    this._frames = new FrameParser(new MessageReader(this, limits.maxPayload, limits.maxFragments));
  }

  /** Bytes from the peer. The chunk is unmasked in place, and views of it
   *  may be delivered as messages: the caller must not reuse it. Never throws:
   *  should a bug in this code throw, it costs this connection only (1011). */
  _receive(b: Uint8Array): void {
    var i = 0, head = this._head;
    try {
      if (head) {
        i = head._push(b, 0);
        if (i == -1) return;
        var req = head._req, answer = i < 0 ? -i : checkRequest(req) || this._h._request(req);
        this._head = null;
        if (typeof answer == 'number' && answer) {
          this._state = CLOSED;
          this._queue(RAW, errorResponse(answer));
          return;
        }
        this._state = OPEN;
        this._queue(RAW, acceptResponse(this._o._accept(req.headers['sec-websocket-key']), (answer as string) || ''));
        this._h._open(req);
      }
      if (this._state < CLOSED && i < b.length) this._frames._push(b, i);
    } catch (e) {
      this._fail(1011, 'internal error');
    }
  }

  /** Queues a message; false if the connection is not open. */
  _send(data: Uint8Array, binary: boolean): boolean {
    return this._state == OPEN && this._queue(binary ? BINARY : TEXT, data);
  }

  _ping(payload: Uint8Array): boolean {
    return this._state == OPEN && this._queue(PING, payload);
  }

  /** Starts the closing handshake. The code and reason must already be valid. */
  _close(code: number, reason: Uint8Array): void {
    if (this._state == OPEN) {
      this._state = CLOSING;
      this._queue(CLOSE, closePayload(code, reason));
    } else if (!this._state) this._state = CLOSED;
  }

  _message(data: Uint8Array, binary: boolean): boolean {
    this._h._message(data, binary);
    return this._state != CLOSED;
  }

  /** Answers pings, reports pongs, and completes the closing handshake.
   *  Returns false once the connection is closed: nothing more is read. */
  _control(op: number, p: Uint8Array): boolean {
    if (op == PING) {
      if (this._state == OPEN) this._queue(PONG, p);
    } else if (op == PONG) this._h._pong(p);
    else {
      var code = p.length ? (p[0] << 8) | p[1] : 1005, reason = p.subarray(2);
      if (p.length == 1 || (p.length && !isWireCloseCode(code))) this._fail(1002, 'bad close code');
      else if (!isUtf8(reason)) this._fail(1007, 'invalid UTF-8');
      else {
        this._code = code;
        this._reason = this._o._text(reason);
        // Answer a close with a close (echoing the code), unless ours went first.
        var open = this._state == OPEN;
        this._state = CLOSED;
        // Either way the target can now end the TCP connection (the server
        // closes it first, RFC 6455 section 7.1.1).
        if (open) this._queue(CLOSE, closePayload(code, reason.subarray(0, 0)));
        else this._h._output();
      }
    }
    return this._state != CLOSED;
  }

  _fail(code: number, message: string): void {
    var st = this._state;
    if (st == CLOSED) return;
    this._code = code;
    this._reason = message;
    this._state = CLOSED;
    this._h._error(code, message);
    if (st == OPEN) this._queue(CLOSE, closePayload(code, this._o._bytes(message)));
    else this._h._output();
  }

  /** Queues bytes (a string is an HTTP response) and tells the handler. */
  private _queue(op: number, data: any): boolean {
    var out = this._out;
    if (typeof data == 'string') out._add(op, this._o._bytes(data));
    else if (op == PING || op == PONG) out._addControl(op, data);
    else out._add(op, data);
    this._h._output();
    return true;
  }
}
