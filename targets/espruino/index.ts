// The Espruino target: the shared core over Espruino's `net`.
//
// Espruino facts this file is built around:
// - 'data' arrives as byte Strings (at most 536 bytes, 268 on ESP8266);
//   each is turned into a Uint8Array once, with E.toUint8Array.
// - write() takes a byte String (a Uint8Array would be sent as "1,2,3"),
//   always returns false, and buffers without bound; 'drain' fires when that
//   buffer is empty. So one piece of at most writeSize bytes is written, and
//   the next only on 'drain'.
// - A typed-array view cannot start past byte 65535 of its buffer.
// - No fields are ever added to Espruino's socket objects (the only write is
//   Espruino's own close-now flag, for an abortive close: see _destroy).
// - listen() takes only a port: the server listens on every interface.

import { useHost, Server, Socket, Link, supportedReceiveTypes, supportedSendTypes } from '../../src/index';
import { GUID } from '../../src/handshake';
import { Connection } from '../../src/connection';
import { Writer } from '../../src/outbox';

var net = require('net');
var board = process.env.BOARD || '', small = board.indexOf('ESP8266') >= 0, esp32 = board.indexOf('ESP32') >= 0;
var WRITE = small ? 268 : 536;

/**
 * One TCP connection. A class with bound methods rather than closures: on
 * Espruino each closure made per connection carries its own copy of its code
 * when the module was loaded into RAM, and a bound method does not.
 */
class EspruinoLink implements Link {
  /** A write is in Espruino's buffer and 'drain' has not come yet. */
  private _busy = false;
  /** The timer of the next flush. */
  private _queued: any;
  /** The bytes of this write. */
  private _out = '';
  /** The message being sliced as a string (see _put). */
  private _bigStr = '';
  private _s: Socket;
  private _c: Connection;
  private _putB: Writer;
  private _flushB: () => void;

  constructor(private _server: Server, private _sock: any) {
    this._putB = this._put.bind(this);
    this._flushB = this._flush.bind(this);
    this._s = _server._accept(this);
    this._c = this._s._c;
    var gone = this._gone.bind(this);
    _sock.on('data', this._data.bind(this));
    _sock.on('drain', this._drain.bind(this));
    _sock.on('error', gone);
    _sock.on('end', gone);
    _sock.on('close', gone);
  }

  /** Output is waiting: write it from a timer, never from inside the
   *  application's handler. A call chain that deep keeps the Socket as `this`
   *  so often that Espruino's 4-bit lock count saturates, and an object locked
   *  15 times is never freed. */
  _kick(): void {
    if (!this._busy && this._queued === undefined) this._queued = setTimeout(this._flushB, 0);
  }

  _destroy(): void {
    // end() waits until Espruino's send buffer is empty, which a peer that
    // has stopped reading never allows. clsNow is Espruino's own close-now
    // flag (what end() sets when nothing is pending): the socket closes on
    // the next idle pass, unsent data or not. It is the one socket field
    // this target ever writes.
    this._sock.clsNow = true;
  }

  /** Writes one piece of at most writeSize bytes. */
  private _flush(): void {
    var sock = this._sock;
    this._queued = undefined;
    if (this._busy) return;
    this._busy = true;
    this._out = '';
    var r = this._s._flush(this._server._o.writeSize, this._putB);
    // write() and end() throw once the socket is closed; 'close' is on its way.
    try {
      if (this._out) sock.write(this._out);
      else this._busy = false;
      if (r < 0) sock.end();
    } catch (e) {}
    this._out = '';
  }

  private _put(d: Uint8Array, start: number, end: number): void {
    // Espruino cannot make a view that starts past byte 65535 of a buffer,
    // so pieces from further in are cut from a string of the whole message.
    // The outbox hands out one message's bytes in order up to its end, so
    // the string is made at its first such piece and dropped at its last.
    // (Never compare typed arrays with === on Espruino: it compares them as
    // "1,2,3..." strings, over 250 KB for a 70 KB message.)
    if (d.byteOffset + start < 65536) this._out += E.toString(d.subarray(start, end));
    else {
      if (!this._bigStr) this._bigStr = E.toString(d);
      this._out += this._bigStr.substr(start, end - start);
      if (end == d.length) this._bigStr = '';
    }
  }

  /** Straight to the Connection, so that the Socket is not `this` of one
   *  more call level while the application's handler runs. */
  private _data(d: string): void {
    this._c._receive(E.toUint8Array(d));
  }

  private _drain(): void {
    this._busy = false;
    this._flush();
  }

  /** 'close' (or 'end', or 'error': Espruino reports the error, then closes). */
  private _gone(): void {
    if (this._queued !== undefined) clearTimeout(this._queued);
    this._queued = undefined;
    this._s._gone();
  }
}

useHost({
  _text: function (b) {
    return E.toString(b);
  },
  _bytes: function (s) {
    return E.toUint8Array(s);
  },
  _accept: function (key) {
    return btoa(require('crypto').SHA1(key + GUID));
  },
  _timer: function (fn, ms) {
    return setTimeout(fn, ms);
  },
  _cancel: function (t) {
    if (t !== undefined) clearTimeout(t);
  },
  _listen: function (server, port) {
    var srv = net.createServer(function (sock: any) {
      new EspruinoLink(server as Server, sock);
    });
    var err: any;
    try {
      srv.listen(port);
    } catch (e) {
      err = e;
    }
    setTimeout(function () {
      if (err) server._failed(err);
      else server._listening(port);
    }, 0);
    return {
      _close: function () {
        srv.close();
      }
    };
  },
  _defaults: {
    maxPayload: small ? 1024 : 8192,
    maxFragments: small ? 16 : 64,
    maxHeader: small ? 2048 : 4096,
    maxConnections: small ? 2 : esp32 ? 6 : 3,
    maxQueue: small ? 2048 : 8192,
    fragment: WRITE - 4,
    writeSize: WRITE,
    handshakeTimeout: 5000,
    closeTimeout: 5000,
    pingInterval: 60000,
    pongTimeout: 20000,
    idleTimeout: 0
  }
});

exports.Server = Server;
exports.supportedReceiveTypes = supportedReceiveTypes;
exports.supportedSendTypes = supportedSendTypes;
