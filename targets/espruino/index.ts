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

var net = require('net');
var board = process.env.BOARD || '', small = board.indexOf('ESP8266') >= 0, esp32 = board.indexOf('ESP32') >= 0;
var WRITE = small ? 268 : 536;

function attach(server: Server, sock: any): void {
  // busy: a write is in Espruino's buffer and 'drain' has not come yet.
  // queued: the timer of the next flush. out: the bytes of this write.
  // bigStr: the message being sliced as a string (see put).
  var busy = false, queued: any, out = '', bigStr = '';
  function put(d: Uint8Array, start: number, end: number): void {
    // Espruino cannot make a view that starts past byte 65535 of a buffer,
    // so pieces from further in are cut from a string of the whole message.
    // The outbox hands out one message's bytes in order up to its end, so
    // the string is made at its first such piece and dropped at its last.
    // (Never compare typed arrays with === on Espruino: it compares them as
    // "1,2,3..." strings, over 250 KB for a 70 KB message.)
    if (d.byteOffset + start < 65536) out += E.toString(d.subarray(start, end));
    else {
      if (!bigStr) bigStr = E.toString(d);
      out += bigStr.substr(start, end - start);
      if (end == d.length) bigStr = '';
    }
  }
  // Writes one piece. Run from a timer or 'drain', never from inside the
  // application's handler: a deep call chain that keeps the Socket as `this`
  // locks it 15 times, Espruino's limit, and it is then never freed.
  function flush(): void {
    queued = undefined;
    if (busy) return;
    busy = true;
    out = '';
    var r = s._flush(server._o.writeSize, put);
    // write() and end() throw once the socket is closed; 'close' is on its way.
    try {
      if (out) sock.write(out);
      else busy = false;
      if (r < 0) sock.end();
    } catch (e) {}
    out = '';
  }
  var link: Link = {
    _kick: function () {
      if (!busy && queued === undefined) queued = setTimeout(flush, 0);
    },
    _destroy: function () {
      // end() waits until Espruino's send buffer is empty, which a peer that
      // has stopped reading never allows. clsNow is Espruino's own close-now
      // flag (what end() sets when nothing is pending): the socket closes on
      // the next idle pass, unsent data or not. It is the one socket field
      // this target ever writes.
      sock.clsNow = true;
    }
  };
  var s: Socket = server._accept(link);
  function gone(): void {
    if (queued !== undefined) clearTimeout(queued);
    queued = undefined;
    s._gone();
  }
  // Straight to the Connection (as Socket._data does), so that the Socket is
  // not `this` of one more call level while the application's handler runs.
  var c = s._c;
  sock.on('data', function (d: string) {
    try {
      c._receive(E.toUint8Array(d));
    } catch (e) {
      c._fail(1011, 'internal error');
    }
  });
  sock.on('drain', function () {
    busy = false;
    flush();
  });
  sock.on('error', function () {});
  sock.on('end', gone);
  sock.on('close', gone);
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
      attach(server as Server, sock);
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
