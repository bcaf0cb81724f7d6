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
//   Espruino's own close-now flag, for an abortive close: see destroy).
// - listen() takes only a port: the server listens on every interface.
// - Listeners are called with the socket as `this`. The listeners below are
//   made once, and find their Socket by it: a function made per connection
//   would carry its own copy of its code when the module is loaded into RAM.

import { useHost, Server, Socket, receive, flush, gone, outOfMemory, serverFailed, supportedReceiveTypes, supportedSendTypes } from '../../src/index';
import { NO_MEMORY } from '../../src/connection';
import { GUID } from '../../src/handshake';
import { EXTRAS } from '../../src/features';

/** What this target keeps in each Socket. */
interface Link extends Socket {
  /** A write is in Espruino's buffer and 'drain' has not come yet. */
  _busy: boolean;
  /** The timer of the next write. */
  _qd: any;
  /** The message being sliced as a string (see put). */
  _big: string;
}

var net = require('net');
var board = process.env.BOARD || '', small = board.indexOf('ESP8266') >= 0, esp32 = board.indexOf('ESP32') >= 0, pico = board.indexOf('PICO_R1') >= 0;
var WRITE = small ? 268 : 536;
/** Every connection of every server. */
var links: Link[] = [];
/** The bytes of the write being made (write() fills it through put(), at once). */
var out: string | undefined = '';

/** clearTimeout, which throws for undefined. */
function cancel(t: any): void {
  if (t !== undefined) clearTimeout(t);
}

function find(sock: any): Link | undefined {
  for (var i = 0; i < links.length; i++) if (links[i]._sock === sock) return links[i];
}

/** E.toString and E.toUint8Array return undefined when the board cannot
 *  get the memory (after a garbage collection): every result is checked. */
function made(v: any): any {
  if (v === undefined) throw new Error(NO_MEMORY);
  return v;
}

function onData(this: any, d: string): void {
  var s = find(this), b;
  if (!s) return;
  b = E.toUint8Array(d);
  if (b) receive(s, b);
  else outOfMemory(s);
}

function onDrain(this: any): void {
  var s = find(this);
  if (s) {
    s._busy = false;
    write(s);
  }
}

/** 'close' (or 'end', or 'error': Espruino reports the error, then closes). */
function onGone(this: any): void {
  var s = find(this);
  if (s) {
    links.splice(links.indexOf(s), 1);
    cancel(s._qd);
    gone(s);
  }
}

/** Writes one piece of at most writeSize bytes. Called from a timer, never
 *  from inside the application's handler: a call chain that deep keeps the
 *  Socket locked so often that Espruino's 4-bit lock count saturates, and an
 *  object locked 15 times is never freed. */
function write(s: Link): void {
  var sock = s._sock, r;
  s._qd = undefined;
  if (s._busy) return;
  out = '';
  r = flush(s, s._o.writeSize, put);
  // A piece that could not be made: the stream would be corrupt without it.
  if (out === undefined) {
    out = '';
    return outOfMemory(s);
  }
  // write() and end() throw once the socket is closed; 'close' is on its way.
  try {
    if (out) {
      s._busy = true;
      sock.write(out);
    }
    if (r < 0) sock.end();
  } catch (e) {}
  out = '';
}

function put(s: Link, d: Uint8Array, start: number, end: number): void {
  // Espruino cannot make a view that starts past byte 65535 of a buffer,
  // so pieces from further in are cut from a string of the whole message.
  // The send queue hands out one message's bytes in order up to its end, so
  // the string is made at its first such piece and dropped at its last.
  // (Never compare typed arrays with === on Espruino: it compares them as
  // "1,2,3..." strings, over 250 KB for a 70 KB message.)
  // Once a piece could not be made, out stays undefined (see write).
  var piece;
  if (out === undefined) return;
  if (d.byteOffset + start < 65536) piece = E.toString(d.subarray(start, end));
  else {
    if (!s._big) s._big = E.toString(d) || '';
    piece = s._big ? s._big.substr(start, end - start) : undefined;
    if (end == d.length) s._big = '';
  }
  out = piece === undefined ? undefined : out + piece;
}

// Measured on interpreters with each board's number of blocks, module in
// Storage (README, Limits and defaults). ESP8266 (1,700): two connections
// echoing 512-byte messages, or one handshaking with a 1 KB head while
// another echoes, fit; two echoing 1 KB messages at once ran out of memory.
// Pico (5,100): three echoing 6 KB messages fit, 8 KB did not.
var defaults: any = {
  maxPayload: small ? 512 : pico ? 4096 : 8192,
  maxHeader: small ? 1024 : 4096,
  maxConnections: small ? 2 : esp32 ? 6 : 3,
  maxQueue: small ? 1024 : pico ? 4096 : 8192,
  fragment: WRITE - 4,
  writeSize: WRITE,
  handshakeTimeout: 5000,
  closeTimeout: 5000,
  pingInterval: 60000,
  pongTimeout: 20000
};
if (EXTRAS) {
  defaults.maxFragments = small ? 16 : 64;
  defaults.idleTimeout = 0;
}

useHost({
  // Bytes and byte Strings are one for the other; setTimeout passes
  // arguments on.
  _text: function (b) {
    return made(E.toString(b));
  },
  _bytes: function (t) {
    return made(E.toUint8Array(t));
  },
  _accept: function (key) {
    return made(btoa(require('crypto').SHA1(key + GUID)));
  },
  _timer: setTimeout,
  _cancel: cancel,
  _kick: function (s: Link) {
    if (!s._busy && s._qd === undefined) s._qd = setTimeout(write, 0, s);
  },
  _destroy: function (s: Link) {
    // end() waits until Espruino's send buffer is empty, which a peer that
    // has stopped reading never allows. clsNow is Espruino's own close-now
    // flag (what end() sets when nothing is pending): the socket closes on
    // the next idle pass, unsent data or not. It is the one socket field
    // this target ever writes.
    s._sock.clsNow = true;
  },
  _listen: function (server, port) {
    var err: any, srv = net.createServer(function (sock: any) {
      if (server._all.length > server._o.maxConnections) return sock.end();
      var s = new Socket(server, sock) as Link;
      s._busy = false;
      s._big = '';
      links.push(s);
      sock.on('data', onData);
      sock.on('drain', onDrain);
      sock.on('error', onGone);
      sock.on('end', onGone);
      sock.on('close', onGone);
    });
    var listener = {
      _close: function () {
        srv.close();
      }
    };
    try {
      srv.listen(port);
    } catch (e) {
      err = e;
    }
    // On the next tick, as on Node; and not at all if stop() came first.
    setTimeout(function () {
      if (server._l !== listener) return;
      if (err) serverFailed(server, err);
      else server.emit('listening', port);
    }, 0);
    return listener;
  },
  _defaults: defaults
});

exports.Server = Server;
exports.supportedReceiveTypes = supportedReceiveTypes;
exports.supportedSendTypes = supportedSendTypes;
