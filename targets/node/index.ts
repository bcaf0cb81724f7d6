// The Node.js target: the shared core over Node's `net`. Usable in place of
// the Accessors Node host's own web-socket-server module.

import * as net from 'net';
import * as crypto from 'crypto';
import { useHost, Server, Socket, Link, supportedReceiveTypes, supportedSendTypes } from '../../src/index';
import { GUID } from '../../src/handshake';

function attach(server: Server, sock: net.Socket): void {
  var blocked = false, pumping = false;
  var link: Link = {
    _kick: function () {
      if (pumping) return;
      pumping = true;
      sock.cork();
      try {
        while (!blocked && !sock.destroyed) {
          var n = s._flush(server._o.writeSize, write);
          if (n < 0) sock.end();
          if (n <= 0) break;
        }
      } finally {
        sock.uncork();
        pumping = false;
      }
    },
    _destroy: function () {
      sock.destroy();
    }
  };
  function write(b: Uint8Array, start: number, end: number): void {
    if (!sock.write(start || end < b.length ? b.subarray(start, end) : b)) blocked = true;
  }
  var s: Socket = server._accept(link), c = s._c;
  sock.setNoDelay(true);
  sock.on('data', function (b: Buffer) {
    c._receive(b);
  });
  sock.on('drain', function () {
    blocked = false;
    link._kick();
  });
  // Errors (ECONNRESET and the like) end in 'close', reported as code 1006.
  sock.on('error', function () {});
  sock.on('close', function () {
    s._gone();
  });
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
  _timer: function (fn, ms) {
    var t = setTimeout(fn, ms);
    if (t.unref) t.unref();
    return t;
  },
  _cancel: function (t) {
    clearTimeout(t);
  },
  _listen: function (server, port, hostInterface) {
    var srv = net.createServer(function (sock) {
      attach(server as Server, sock);
    });
    srv.on('error', function (e: any) {
      e.message = 'cannot listen on ' + hostInterface + ':' + port + ': ' + e.message;
      server._failed(e);
    });
    srv.listen(port, hostInterface, function () {
      server._listening((srv.address() as net.AddressInfo).port);
    });
    return {
      _close: function () {
        srv.close();
      }
    };
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
