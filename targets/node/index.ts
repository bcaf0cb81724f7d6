// The Node.js target: the shared core over Node's `net`. Usable in place of
// the Accessors Node host's own web-socket-server module.

import * as net from 'net';
import * as dns from 'dns';
import * as crypto from 'crypto';
import { useHost, Server, Socket, receive, flush, gone, serverFailed, supportedReceiveTypes, supportedSendTypes } from '../../src/index';
import { GUID } from '../../src/handshake';

/** What this target keeps in each Socket. */
interface Link extends Socket {
  _sock: net.Socket;
  /** The TCP socket's buffer is full: wait for 'drain'. */
  _busy: boolean;
  /** Output is being written (flush is not re-entered). */
  _pump: boolean;
}

function attach(server: Server, sock: net.Socket): void {
  var s = new Socket(server, sock) as Link;
  s._busy = s._pump = false;
  sock.setNoDelay(true);
  sock.on('data', function (b: Buffer) {
    receive(s, b);
  });
  sock.on('drain', function () {
    s._busy = false;
    kick(s);
  });
  // Errors (ECONNRESET and the like) end in 'close', reported as code 1006.
  sock.on('error', function () {});
  sock.on('close', function () {
    gone(s);
  });
}

function kick(s: Link): void {
  var sock = s._sock, n;
  if (s._pump) return;
  s._pump = true;
  sock.cork();
  try {
    while (!s._busy && !sock.destroyed) {
      n = flush(s, s._o.writeSize, write);
      if (n < 0) sock.end();
      if (n <= 0) break;
    }
  } finally {
    sock.uncork();
    s._pump = false;
  }
}

interface NodeListener {
  _servers: net.Server[];
  _closed: boolean;
  _close(): void;
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
  var srv = net.createServer(function (sock) {
    attach(server, sock);
  }), first = !listener._servers.length;
  if (listener._closed) return;
  listener._servers.push(srv);
  srv.on('error', function (e: any) {
    if (!first && (e.code == 'EADDRNOTAVAIL' || e.code == 'EAFNOSUPPORT')) next(port);
    else {
      e.message = 'cannot listen on ' + addresses[0] + ':' + port + ': ' + e.message;
      closeAll.call(listener);
      serverFailed(server, e);
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

function write(s: Link, b: Uint8Array, start: number, end: number): void {
  if (!s._sock.write(start || end < b.length ? b.subarray(start, end) : b)) s._busy = true;
}

useHost({
  _text: function (b) {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
  },
  _bytes: function (s) {
    return Buffer.from(s, 'utf8');
  },
  _accept: function (key) {
    return crypto.createHash('sha1').update(key + GUID).digest('base64');
  },
  _timer: function (fn, ms, arg) {
    var t = setTimeout(fn, ms, arg);
    if (t.unref) t.unref();
    return t;
  },
  _cancel: function (t) {
    clearTimeout(t);
  },
  _kick: kick,
  _destroy: function (s: Link) {
    s._sock.destroy();
  },
  _listen: function (server, port, hostInterface) {
    var listener = { _servers: [] as net.Server[], _closed: false, _close: closeAll };
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
  },
  _defaults: {
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
    idleTimeout: 0
  }
});

export { Server, Socket, supportedReceiveTypes, supportedSendTypes };
export { ServerOptions } from '../../src/index';
