// The Node.js target: the shared core over Node's `net`. Usable in place of
// the Accessors Node host's own web-socket-server module.

import * as net from 'net';
import * as tls from 'tls';
import * as fs from 'fs';
import * as dns from 'dns';
import * as crypto from 'crypto';
import * as buffer from 'buffer';
import { host, Server, Socket, receive, pull, gone, Queue, GUID, NATIVE_RUN, supportedReceiveTypes, supportedSendTypes } from '../../src/index';

/** What this target keeps in each Socket. */
interface Link extends Socket {
  _sock: net.Socket;
  /** The TCP socket's buffer is full: wait for 'drain'. 1 or 0. */
  _busy: number;
  /** Output is being written (flush is not re-entered): 1 or 0. */
  _pumping: number;
  /** A flush is due on the next tick: 1 or 0. */
  _flushDue: number;
}

/** The connection whose chunk is being read. What its listeners send goes
 *  out when the chunk has been read, in one flush, rather than on the next
 *  tick: an echo then costs no tick of its own. */
var reading: Link | undefined;

function attach(server: Server, sock: net.Socket): void {
  var s = new Socket(server, sock) as Link;
  s._busy = s._pumping = s._flushDue = 0;
  sock.setNoDelay(true);
  sock.on('data', function (b: Buffer) {
    reading = s;
    try {
      receive(s, b);
    } finally {
      reading = undefined;
      if (s._flushDue) flush(s);
    }
  });
  sock.on('drain', function () {
    s._busy = 0;
    flush(s);
  });
  // Errors (ECONNRESET and the like) end in 'close', reported as code 1006.
  sock.on('error', function () {});
  sock.on('close', function () {
    gone(s);
  });
}

/** Writes what is queued while the socket takes it, corked: the pieces of
 *  several frames go out in one system call. */
function flush(s: Link): void {
  var sock = s._sock, n;
  s._flushDue = 0;
  if (s._pumping) return;
  s._pumping = 1;
  sock.cork();
  try {
    while (!s._busy && !sock.destroyed) {
      n = pull(s, s._options._writeSize, write);
      if (n <= 0) break;
    }
    writeStaged(s);
    if (n == Queue.END) sock.end();
  } finally {
    clearStaged();
    sock.uncork();
    s._pumping = 0;
  }
}

/** Pieces shorter than this (frame headers, small messages) are copied
 *  together and written as one buffer, up to STAGE_LIMIT bytes at a time: a
 *  write costs Node's stream far more than copying a small piece does.
 *  Longer ones are written as they are, without a copy. */
var STAGE_PIECE = 4096, STAGE_LIMIT = 16384;

/** The pieces of the flush under way (flush is never re-entered, and runs
 *  for one connection at a time): staged[0..stagedCount), stagedBytes in
 *  all. The array keeps its length, which costs less than emptying it and
 *  growing it again at every flush; the pieces are let go once written. */
var staged: (Uint8Array | undefined)[] = [], stagedCount = 0, stagedBytes = 0;

function write(s: Link, d: Uint8Array | string, start: number, end: number, head?: Uint8Array): void {
  // (Always bytes: this host has no _raw, so nothing is queued as a string.)
  var b = d as Uint8Array, piece = start || end < b.length ? b.subarray(start, end) : b;
  // (A header is shorter than STAGE_PIECE: staged, it goes out with what follows.)
  if (head) {
    staged[stagedCount++] = head;
    stagedBytes += head.length;
  }
  if (piece.length < STAGE_PIECE) {
    staged[stagedCount++] = piece;
    stagedBytes += piece.length;
    if (stagedBytes >= STAGE_LIMIT) writeStaged(s);
  } else {
    writeStaged(s);
    writeOut(s, piece);
  }
}

function writeStaged(s: Link): void {
  var b, i, at = 0, piece;
  if (!stagedCount) return;
  if (stagedCount == 1) b = staged[0]!;
  else {
    b = Buffer.allocUnsafe(stagedBytes);
    for (i = 0; i < stagedCount; i++) {
      piece = staged[i]!;
      b.set(piece, at);
      at += piece.length;
    }
  }
  clearStaged();
  writeOut(s, b);
}

function clearStaged(): void {
  for (var i = 0; i < stagedCount; i++) staged[i] = undefined;
  stagedCount = stagedBytes = 0;
}

function writeOut(s: Link, b: Uint8Array): void {
  if (!s._sock.write(b)) s._busy = 1;
}

// Long text that is all ASCII, most text, is decoded and encoded as
// Latin-1, which gives the same string and bytes in about half the time;
// for short text the check would cost more than it saves.
//
// Text sent as it was received (an echo, a relay, a broadcast of what a
// client said) goes out from the bytes it came in, without being encoded
// again: the last text decoded is kept with its bytes. Those bytes are not
// written to again (receive() hands them over for good), and once they are
// known to be valid UTF-8, they are exactly what encoding the string would
// give. (Messages and close reasons reach here validated; a request head
// does not, and is checked should its text ever be sent: buffer.isUtf8
// costs more than decoding short text.) Text over KEPT_TEXT bytes is not
// kept: it would hold its memory until the next.
var KEPT_TEXT = 1024 * 1024;
var lastText: string | undefined, lastBytes: Uint8Array | undefined, lastValid = false;
host._text = function (b, valid) {
  // (A message in one chunk is a Buffer already, a view of that chunk.)
  var buf = b instanceof Buffer ? b : Buffer.from(b.buffer, b.byteOffset, b.length),
    ascii = buf.length > NATIVE_RUN && host._isAscii && host._isAscii(buf),
    t = ascii ? buf.toString('latin1') : buf.toString();
  if (b.length > KEPT_TEXT) lastText = lastBytes = undefined;
  else {
    lastText = t;
    lastBytes = b;
    lastValid = !!(ascii || valid);
  }
  return t;
};
host._bytes = function (t) {
  if (t === lastText && (lastValid || (lastValid = buffer.isUtf8(lastBytes!)))) return lastBytes;
  // (Its UTF-8 is as long as it is only if every character is ASCII.)
  return Buffer.from(t, t.length > NATIVE_RUN && Buffer.byteLength(t) == t.length ? 'latin1' : 'utf8');
};
host._accept = function (key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
};
host._timer = function (fn, ms, arg) {
  var t = setTimeout(fn, ms, arg);
  if (t.unref) t.unref();
  return t;
};
host._cancel = function (t) {
  clearTimeout(t);
};
// Output is written on the next tick, or once the chunk being read has
// been (for the connection it came on), never from inside the send() that
// queued it: what one tick sends goes out together.
host._kick = function (s: Link) {
  if (!s._flushDue) {
    s._flushDue = 1;
    if (s !== reading) process.nextTick(flush, s);
  }
};
host._destroy = function (s: Link) {
  s._sock.destroy();
};

// Native code for the loops over long payloads, as ws has it: unmasking by
// the optional bufferutil package, if it is installed and its native part
// loaded (its fallback, a byte loop, is slower than the core's word loop);
// the ASCII check by Node's own buffer.isAscii.
var bufferutil = optional('bufferutil'), rotated = new Uint8Array(4);
if (bufferutil && bufferutil !== optional('bufferutil/fallback')) {
  host._unmask = function (b, i, end, mask, phase) {
    var k;
    for (k = 0; k < 4; k++) rotated[k] = mask[(phase + k) & 3];
    bufferutil.unmask(b.subarray(i, end), rotated);
  };
}
if ((buffer as any).isAscii) host._isAscii = (buffer as any).isAscii;

/** An optional package, or undefined if it is not installed. */
function optional(name: string): any {
  try {
    return require(name);
  } catch (e) {
    return undefined;
  }
}
host._listen = function (server, port, hostInterface) {
  var listener = { _servers: [] as net.Server[], _closed: false, close: closeAll };
  // 'localhost' is every address the name has (127.0.0.1, and ::1 where it
  // resolves there), as a browser may try either.
  if (hostInterface != 'localhost') listenOn(server, listener, port, [hostInterface]);
  else {
    dns.lookup('localhost', { all: true }, function (e, found) {
      var addresses = e ? [] : found.map(function (a) { return a.address; });
      listenOn(server, listener, port, addresses.length ? addresses : ['127.0.0.1']);
    });
  }
  return listener;
};
host._tls = true;
host._defaults = function () {
  return {
    maxPayload: 100 * 1024 * 1024,
    maxFragments: 131072,
    maxHeader: 4096,
    maxConnections: 1024,
    maxQueue: 16 * 1024 * 1024,
    fragment: 0,
    writeSize: 65536,
    handshakeTimeout: 10000,
    closeTimeout: 10000,
    pingInterval: 30000,
    pongTimeout: 10000,
    idleTimeout: 0,
    minFree: 0
  };
};

interface NodeListener {
  _servers: net.Server[];
  _closed: boolean;
  close(): void;
}

function closeAll(this: NodeListener): void {
  this._closed = true;
  this._servers.forEach(function (srv) {
    srv.close();
  });
}

/** Listens on each address in turn: the first picks the port (a free one
 *  for port 0), the others take the same. 'listening' comes once all are
 *  bound, and never after stop(). An extra address this machine does not
 *  have (EADDRNOTAVAIL, EAFNOSUPPORT) is skipped. */
function listenOn(server: Server, listener: NodeListener, port: number, addresses: string[]): void {
  var o = server._options, first = !listener._servers.length, srv: net.Server, accept = function (sock: net.Socket) {
    attach(server, sock);
  };
  if (listener._closed) return;
  try {
    srv = o._sslTls ? tls.createServer({ pfx: fs.readFileSync(o._pfxKeyCertPath!), passphrase: o._pfxKeyCertPassword }, accept) :
      net.createServer(accept);
  } catch (e: any) {
    e.message = 'cannot serve TLS with ' + o._pfxKeyCertPath + ': ' + e.message;
    server._l = null;
    if (!server.emit('error', e)) throw e;
    return;
  }
  listener._servers.push(srv);
  srv.on('error', function (e: any) {
    if (!first && (e.code == 'EADDRNOTAVAIL' || e.code == 'EAFNOSUPPORT')) next(port);
    else {
      e.message = 'cannot listen on ' + addresses[0] + ':' + port + ': ' + e.message;
      closeAll.call(listener);
      server._l = null;
      if (!server.emit('error', e)) throw e;
    }
  });
  srv.listen(port, addresses[0], function () {
    next((srv.address() as net.AddressInfo).port);
  });
  function next(bound: number): void {
    if (listener._closed) srv.close();
    else if (addresses.length > 1) listenOn(server, listener, bound, addresses.slice(1));
    else server.emit('listening', bound);
  }
}

export { Server, Socket, supportedReceiveTypes, supportedSendTypes };
export { ServerOptions } from '../../src/index';
