// The Espruino target: the shared core over Espruino's `net`.
//
// Espruino facts this file is built around:
// - 'data' arrives as byte Strings (at most 536 bytes, 268 on ESP8266);
//   each is seen as a Uint8Array over the String's own bytes
//   (E.toArrayBuffer: no copy, 34 blocks less for a 512-byte chunk on an
//   ESP8266). The core unmasks it in place, and nothing else reads it.
// - write() takes a byte String (a Uint8Array would be sent as "1,2,3"),
//   always returns false, and buffers without bound; 'drain' fires when that
//   buffer is empty. So one piece of at most writeSize bytes is written, and
//   the next only on 'drain'.
// - E.toString, E.toUint8Array and E.toArrayBuffer return undefined when
//   they cannot get the memory: every result is checked.
// - A typed-array view cannot start past byte 65535 of its buffer.
// - No fields are ever added to Espruino's socket objects (the only write is
//   Espruino's own close-now flag, for an abortive close: see _destroy).
// - listen() takes only a port: the server listens on every interface.
// - Listeners are called with the socket as `this`. The listeners below are
//   made once, and find their Socket by it: a function made per connection
//   would cost memory per connection.

import { host, Server, Socket, receive, pull, gone, lost, NO_MEMORY, Queue, GUID, Board, Limits, supportedReceiveTypes, supportedSendTypes } from '../../src/index';

/** What this target keeps in each Socket. */
interface Link extends Socket {
  /** A piece is in Espruino's send buffer and 'drain' has not come yet: 1 or 0. */
  _busy: number;
  /** The timer of the next write. */
  _writeTimer: any;
  /** The message being sliced as a string (see put); no field until a
   *  message needs it (a block less for every other connection). */
  _big?: string;
}

var net = require('net');
/** Each Espruino socket, and its Socket at the same index. */
var socks: any[] = [], links: Link[] = [];
/** The bytes of the write being made (writePiece fills it through put, at once). */
var out: string | undefined = '';

function onData(this: any, d: string): void {
  'ram if full';
  var s = links[socks.indexOf(this)], ab, b;
  if (!s) return;
  // (Short of memory, E.toArrayBuffer gives undefined, and the view may
  // throw.)
  try {
    ab = E.toArrayBuffer(d);
    if (ab) b = new Uint8Array(ab);
  } catch (e) {}
  if (b) receive(s, b);
  else lost(s, new Error(NO_MEMORY));
  // What was sent while the chunk was read goes out now, not from a timer:
  // from here the call chain is short (see writePiece).
  if (s._writeTimer !== undefined && !s._busy) {
    clearTimeout(s._writeTimer);
    writePiece(s);
  }
}

function onDrain(this: any): void {
  'ram if full';
  var s = links[socks.indexOf(this)];
  if (s) {
    s._busy = 0;
    writePiece(s);
  }
}

/** 'close': it always comes, last (after 'error' and 'end'). */
function onGone(this: any): void {
  var i = socks.indexOf(this), s = links[i];
  if (s) {
    socks.splice(i, 1);
    links.splice(i, 1);
    if (s._writeTimer !== undefined) clearTimeout(s._writeTimer);
    gone(s);
  }
}

/** Writes one piece of at most writeSize bytes. Never called from inside
 *  the application's handler, but from a timer, 'drain' or the end of
 *  'data': a call chain as deep as the application's keeps the Socket
 *  locked so often that Espruino's 4-bit lock count saturates, and an
 *  object locked 15 times is never freed. */
function writePiece(s: Link): void {
  'ram if full';
  var sock = s._sock, r;
  s._writeTimer = undefined;
  if (s._busy) return;
  out = '';
  // (From a timer or 'drain': nothing may throw out of here.)
  try {
    r = pull(s, s._options._writeSize, put);
  } catch (e) {
    out = '';
    return lost(s, e);
  }
  // A piece that could not be made: the stream would be corrupt without it.
  if (out === undefined) {
    out = '';
    return lost(s, new Error(NO_MEMORY));
  }
  // write() and end() throw once the socket is closed; 'close' is on its way.
  try {
    if (out) {
      s._busy = 1;
      sock.write(out);
    }
    if (r == Queue.END) sock.end();
  } catch (e) {}
  out = '';
}

function put(s: Link, d: Uint8Array | string, start: number, end: number, head?: Uint8Array): void {
  'ram if full';
  // Espruino cannot make a view that starts past byte 65535 of a buffer
  // (Board.VIEW_OFFSET_LIMIT), so pieces from further in are cut from a
  // string of the whole message.
  // The send queue hands out one message's bytes in order up to its end, so
  // the string is made at its first such piece and dropped at its last.
  // (Never compare typed arrays with === on Espruino: it compares them as
  // "1,2,3..." strings, over 250 KB for a 70 KB message.) Once a piece could
  // not be made, out stays undefined.
  var piece, h = head ? E.toString(head) : '';
  if (out === undefined) return;
  // A string (an HTTP body, perhaps a file in Storage) is bytes already.
  if (typeof d == 'string') piece = d.substr(start, end - start);
  else if (d.byteOffset + start < Board.VIEW_OFFSET_LIMIT) piece = E.toString(d.subarray(start, end));
  else {
    if (!s._big) s._big = E.toString(d) || '';
    piece = s._big ? s._big.substr(start, end - start) : undefined;
    if (end == d.length) s._big = undefined;
  }
  out = piece === undefined || h === undefined ? undefined : out + h + piece;
}

// Bytes and byte Strings are one for the other; setTimeout passes
// arguments on (and the core never cancels an undefined timer).
host._text = E.toString;
host._bytes = E.toUint8Array;
// So a string is sent as it is, with no copy: on a board strings are bytes.
// Not on a build with Unicode strings (Linux, emulators), where a "\u"
// literal is a string of UTF-8 whose length counts characters: there the
// core queues E.toUint8Array of it. ("\u20ac" is one byte elsewhere.)
host._raw = '\u20ac'.length == E.toUint8Array('\u20ac').length ? String : undefined;
host._accept = function (key: string) {
  'rarely run';
  return btoa(require('crypto').SHA1(key + GUID));
};
host._timer = setTimeout;
host._cancel = clearTimeout;
host._kick = function (s: Link) {
  'ram if full';
  if (!s._busy && s._writeTimer === undefined) s._writeTimer = setTimeout(writePiece, 0, s);
};
host._destroy = function (s: Link) {
  'rarely run';
  // end() waits until Espruino's send buffer is empty, which a peer that
  // has stopped reading never allows. clsNow is Espruino's own close-now
  // flag (what end() sets when nothing is pending): the socket closes on
  // the next idle pass, unsent data or not. It is the one socket field
  // this target ever writes.
  s._sock.clsNow = true;
};
host._listen = function (server: Server, port: number) {
  var err: any, srv = net.createServer(function (sock: any) {
    // A connection costs a Socket's memory before its request is even read.
    // When every connection slot is taken, the answer can only be 503: it
    // goes out at once, unread, and costs no Socket. The defaults leave room
    // for the open connections and one in its handshake; one more is taken
    // only while minFree blocks are free, and otherwise closed at once.
    // (process.memory(false) counts without a garbage collection: a pass
    // over the blocks, in C.)
    var o = server._options, all = server._all, s: Link | undefined, i;
    try {
      if (server.sockets.length >= o._maxConnections) return sock.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      if (all.length > o._maxConnections && process.memory(false).free < o._minFree) return sock.end();
      s = new Socket(server, sock) as Link;
      s._busy = 0;
      socks.push(sock);
      links.push(s);
      sock.on('data', onData);
      sock.on('drain', onDrain);
      sock.on('close', onGone);
    } catch (e) {
      // No memory for a connection: whatever of it was made is let go, and
      // the TCP connection is closed.
      for (i = all.length - 1; i >= 0; i--) if (all[i]._sock === sock) gone(all[i]);
      if ((i = socks.indexOf(sock)) >= 0) {
        socks.splice(i, 1);
        links.splice(i, 1);
      }
      try {
        sock.end();
      } catch (x) {}
    }
  });
  try {
    srv.listen(port);
  } catch (e) {
    err = e;
  }
  // On the next tick, as on Node; and not at all if stop() came first.
  setTimeout(function () {
    var listening = server._l === srv;
    // From here this call's scope need not hold the interpreter's server:
    // held, it and the connection callback above (which the server holds)
    // would form a pair that only a garbage collection frees once stopped.
    srv = undefined;
    if (!listening) return;
    if (!err) return server.emit('listening', port);
    server._l = null;
    if (!server.emit('error', err)) throw err;
  }, 0);
  // (It is the Listener: stop() calls its close().)
  return srv;
};
// Measured on interpreters with each board's number of blocks, module in
// Storage (README, Limits and defaults). ESP8266 (1,700): two connections
// echoing 512-byte messages, or one handshaking with a 1 KB head while
// another echoes, fit; two echoing 1 KB messages at once ran out of memory.
// Pico (5,100): three echoing 6 KB messages fit, 8 KB did not.
host._defaults = function (): Limits {
  // (Worked out here, once per server, rather than kept for as long as the
  // module is loaded.)
  var board = process.env.BOARD || '', small = board.indexOf('ESP8266') >= 0, esp32 = board.indexOf('ESP32') >= 0,
    pico = board.indexOf('PICO_R1') >= 0, write = small ? 268 : 536;
  return {
    maxPayload: small ? 512 : pico ? 4096 : 8192,
    maxFragments: small ? 16 : 64,
    maxHeader: small ? 1024 : 4096,
    maxConnections: small ? 2 : esp32 ? 6 : 3,
    maxQueue: small ? 1024 : pico ? 4096 : 8192,
    fragment: write - 4,
    writeSize: write,
    handshakeTimeout: 5000,
    closeTimeout: 5000,
    pingInterval: 60000,
    pongTimeout: 20000,
    idleTimeout: 0,
    minFree: small ? 600 : pico ? 1000 : 2000
  };
};

exports.Server = Server;
exports.supportedReceiveTypes = supportedReceiveTypes;
exports.supportedSendTypes = supportedSendTypes;
