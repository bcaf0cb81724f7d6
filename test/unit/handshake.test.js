// The opening handshake (RFC 6455 section 4.2): handshake.js on its own, and
// the request reader through Connection.
'use strict';
const assert = require('assert');
const crypto = require('crypto');
const path = require('path');
const h = require('./helpers');

const fx = h.fixture('handshake');
const hs = h.load('incoming/handshake');

/** The accept value the fixture gives for a key (every key the tests use has one). */
function acceptOf(key) {
  const v = fx.acceptVectors.find((x) => x.key == key);
  assert.ok(v, 'handshake.json has no accept vector for ' + key);
  return v.accept;
}

/** The request lines of BASIC_REQUEST with its Sec-WebSocket-Version line
 *  replaced by `line` (none if null). */
function withVersion(line) {
  const lines = h.BASIC_REQUEST.filter((l) => !/^sec-websocket-version:/i.test(l));
  return line === null ? lines : lines.concat([line]);
}

/** The parts of a request as checkRequest expects them. */
function parseLines(lines) {
  const [method, path, version] = lines[0].split(' ');
  const headers = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    const name = l.slice(0, c).toLowerCase();
    const value = l.slice(c + 1).trim();
    headers[name] = name in headers ? headers[name] + ', ' + value : value;
  }
  return { method, path, version, headers };
}

/** Checks a refusal: one proper HTTP/1.1 error response, state CLOSED. */
function assertRefused(t, status, header) {
  const res = h.parseHttp(t.drain());
  assert.strictEqual(res.status, status, res.statusLine);
  assert.ok(res.reason.length > 0, 'status line has a reason phrase');
  assert.strictEqual(res.headers['connection'], 'close');
  if (header) assert.strictEqual(res.headers[header[0]], header[1], header[0]);
  assert.strictEqual(t.conn._state, 3, 'state CLOSED');
  assert.strictEqual(t.of('open').length, 0, '_open not called');
  assert.ok(t.conn._out._empty(), 'nothing else queued');
  // Nothing more is read.
  t.receive(h.text('late'));
  t.receive(h.requestBytes(h.BASIC_REQUEST));
  assert.strictEqual(t.drain().length, 0, 'no output after the refusal');
  assert.strictEqual(t.messages().length + t.of('open').length, 0);
  return res;
}

describe('handshake', function () {
  describe('fixture', function () {
    it('handshake.json: every accept vector is base64(SHA-1(key + GUID)) by Node\'s crypto (fixture check)', function () {
      assert.strictEqual(fx.acceptVectors[0].key, fx.rfcKey.key);
      assert.strictEqual(fx.acceptVectors[0].accept, fx.rfcKey.accept);
      for (const v of fx.acceptVectors) {
        assert.strictEqual(crypto.createHash('sha1').update(v.key + h.GUID).digest('base64'), v.accept, v.key);
      }
    });
  });

  describe("the Node target's _accept", function () {
    // The Node target hands the core its host (with _accept) when it loads.
    let host;
    before(function () {
      require(path.join(h.root, 'dist', 'node', 'targets', 'node', 'index.js'));
      host = h.load('host').host;
    });

    it('gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo= for the RFC 6455 section 1.3 example key dGhlIHNhbXBsZSBub25jZQ==', function () {
      assert.strictEqual(host._accept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    });

    for (const v of fx.acceptVectors.slice(1)) {
      it('gives ' + v.accept + ' for ' + v.key, function () {
        assert.strictEqual(host._accept(v.key), v.accept);
      });
    }
  });

  describe('handshake.js', function () {
    it('exports the RFC 6455 GUID', function () {
      assert.strictEqual(hs.GUID, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
    });

    /** checkRequest of the RFC example request with one header changed. */
    function withHeader(name, value) {
      const r = parseLines(fx.rfcRequest);
      if (value === undefined) delete r.headers[name];
      else r.headers[name] = value;
      return hs.checkRequest(r);
    }

    for (const k of fx.keys.valid) {
      it('checkRequest accepts the key ' + k, function () {
        assert.strictEqual(withHeader('sec-websocket-key', k), 0);
      });
    }
    for (const k of fx.keys.invalid) {
      it('checkRequest refuses a key with 400: ' + k.why, function () {
        assert.strictEqual(withHeader('sec-websocket-key', k.key), 400);
      });
    }
    it('checkRequest refuses a request with no key with 400', function () {
      assert.strictEqual(withHeader('sec-websocket-key', undefined), 400);
    });

    it('checkRequest agrees with a base64 round trip for every last character of the key', function () {
      const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      for (const c of b64) {
        const key = 'dGhlIHNhbXBsZSBub25jZ' + c + '==';
        const decoded = Buffer.from(key, 'base64');
        const canonical = decoded.length == 16 && decoded.toString('base64') == key;
        assert.strictEqual(withHeader('sec-websocket-key', key), canonical ? 0 : 400, key);
      }
    });

    for (const c of fx.tokens) {
      it('checkRequest finds ' + c.token + ' in ' + JSON.stringify(c.value) + ': ' + c.has, function () {
        const header = c.token == 'websocket' ? 'upgrade' : 'connection';
        assert.strictEqual(withHeader(header, c.value), c.has ? 0 : c.value ? 400 : header == 'upgrade' ? 426 : 400);
      });
    }

    it('checkRequest accepts the RFC example request', function () {
      assert.strictEqual(hs.checkRequest(parseLines(fx.rfcRequest)), 0);
    });
    for (const c of fx.accepted) {
      it('checkRequest accepts: ' + c.name, function () {
        assert.strictEqual(hs.checkRequest(parseLines(c.lines)), 0);
      });
    }
    for (const c of fx.rejected.filter((c) => c.lines[0].split(' ').length == 3 && c.lines.every((l, i) => !i || l.includes(':')))) {
      it('checkRequest gives ' + c.status + ': ' + c.name, function () {
        assert.strictEqual(hs.checkRequest(parseLines(c.lines)), c.status);
      });
    }

    for (const c of fx.versions) {
      it('checkRequest gives ' + (c.status == 101 ? 0 : c.status) + ' for Sec-WebSocket-Version ' + c.name, function () {
        assert.strictEqual(hs.checkRequest(parseLines(withVersion(c.line))), c.status == 101 ? 0 : c.status);
      });
    }

    for (const c of fx.statuses) {
      it('answers ' + c.status + ' with a complete HTTP/1.1 response', function () {
        // A status the checks give, or one verify() gives.
        const t = h.makeConn({ request: () => c.status });
        t.receive(h.requestBytes(c.lines || h.BASIC_REQUEST));
        const res = h.parseHttp(t.drain());
        assert.strictEqual(res.statusLine, 'HTTP/1.1 ' + c.status + ' ' + c.text);
        assert.strictEqual(res.headers['connection'], 'close');
        assert.ok('content-length' in res.headers, 'has Content-Length');
        if (c.header) assert.strictEqual(res.headers[c.header[0]], c.header[1]);
      });
    }
    for (const status of [401, 418, 502]) {
      it('answers ' + status + ' (a status an application may choose) with a well-formed HTTP/1.1 response', function () {
        const t = h.makeConn({ request: () => status });
        t.receive(h.requestBytes(h.BASIC_REQUEST));
        const res = h.parseHttp(t.drain());
        assert.strictEqual(res.status, status);
        assert.ok(res.reason.length > 0, 'non-empty reason phrase');
        assert.strictEqual(res.headers['connection'], 'close');
      });
    }
  });

  describe('through Connection', function () {
    it('answers the RFC 6455 example request with the example accept value', function () {
      const t = h.makeConn();
      assert.strictEqual(t.conn._state, 0, 'CONNECTING at first');
      t.receive(h.requestBytes(fx.rfcRequest));
      const res = h.parseHttp(t.drain());
      assert.strictEqual(res.statusLine, 'HTTP/1.1 101 Switching Protocols');
      assert.strictEqual(res.headers['upgrade'].toLowerCase(), 'websocket');
      assert.strictEqual(res.headers['connection'].toLowerCase(), 'upgrade');
      assert.strictEqual(res.headers['sec-websocket-accept'], fx.rfcKey.accept);
      assert.strictEqual(res.body.length, 0, 'nothing after the response head');
      assert.strictEqual(t.conn._state, 1, 'OPEN');
      const opens = t.of('open');
      assert.strictEqual(opens.length, 1);
      const req = opens[0].req;
      assert.strictEqual(req.method, 'GET');
      assert.strictEqual(req.path, '/chat');
      assert.strictEqual(req.version, 'HTTP/1.1');
      assert.strictEqual(req.headers['host'], 'server.example.com');
      assert.strictEqual(req.headers['origin'], 'http://example.com');
      assert.strictEqual(req.headers['sec-websocket-protocol'], 'chat, superchat');
      assert.strictEqual(t.of('request').length, 1, '_request asked once');
      assert.ok(t.events.findIndex((e) => e.type == 'request') < t.events.findIndex((e) => e.type == 'open'));
    });

    it('reads a request delivered one byte at a time', function () {
      const req = h.requestBytes(fx.rfcRequest);
      const t = h.makeConn();
      for (let i = 0; i < req.length; i++) {
        assert.strictEqual(t.conn._state, 0, 'still CONNECTING before byte ' + i);
        assert.strictEqual(t.of('open').length, 0);
        t.receive(req.subarray(i, i + 1));
      }
      assert.strictEqual(t.conn._state, 1);
      assert.strictEqual(t.of('open').length, 1);
      assert.strictEqual(h.parseHttp(t.drain()).headers['sec-websocket-accept'], fx.rfcKey.accept);
    });

    it('reads a request split at every possible position', function () {
      const req = h.requestBytes(fx.rfcRequest);
      const whole = h.makeConn();
      whole.receive(req);
      const expected = whole.drain();
      for (const [a, b, k] of h.splits(req)) {
        const t = h.makeConn();
        t.receive(a);
        t.receive(b);
        assert.strictEqual(t.conn._state, 1, 'split at ' + k);
        assert.strictEqual(t.of('open').length, 1, 'split at ' + k);
        assert.deepStrictEqual(t.of('open')[0].req, whole.of('open')[0].req, 'split at ' + k);
        assert.ok(t.drain().equals(expected), 'same response, split at ' + k);
      }
    });

    it('does not lose frames pipelined in the chunk that ends the head', function () {
      const frames = Buffer.concat([h.text('Hello'), h.ping('p'), h.binary([1, 2, 3])]);
      const t = h.makeConn();
      t.receive(Buffer.concat([h.requestBytes(h.BASIC_REQUEST), frames]));
      assert.strictEqual(t.conn._state, 1);
      const out = t.drain();
      const res = h.parseHttp(out);
      assert.strictEqual(res.status, 101);
      const msgs = t.messages();
      assert.strictEqual(msgs.length, 2);
      assert.strictEqual(msgs[0].data.toString(), 'Hello');
      assert.strictEqual(msgs[0].binary, false);
      assert.deepStrictEqual([...msgs[1].data], [1, 2, 3]);
      assert.strictEqual(msgs[1].binary, true);
      // _open came before the messages.
      assert.ok(t.events.findIndex((e) => e.type == 'open') < t.events.findIndex((e) => e.type == 'message'));
      const pongs = h.parseFrames(res.body);
      assert.strictEqual(pongs.length, 1);
      assert.strictEqual(pongs[0].opcode, 10);
      assert.strictEqual(pongs[0].payload.toString(), 'p');
    });

    it('does not lose pipelined frames wherever the stream is split', function () {
      const all = Buffer.concat([h.requestBytes(h.BASIC_REQUEST), h.text('Hello'), h.text('world')]);
      for (const [a, b, k] of h.splits(all)) {
        const t = h.makeConn();
        t.receive(a);
        t.receive(b);
        assert.deepStrictEqual(t.messages().map((m) => m.data.toString()), ['Hello', 'world'], 'split at ' + k);
      }
    });

    for (const c of fx.accepted) {
      it('accepts (case-insensitive names and tokens): ' + c.name, function () {
        const t = h.makeConn();
        t.receive(h.requestBytes(c.lines));
        const res = h.parseHttp(t.drain());
        assert.strictEqual(res.status, 101);
        const key = c.lines.find((l) => /^sec-websocket-key:/i.test(l)).split(':')[1].trim();
        assert.strictEqual(res.headers['sec-websocket-accept'], acceptOf(key));
        assert.strictEqual(t.conn._state, 1);
      });
    }

    it('lower-cases header names and joins repeated headers', function () {
      const t = h.makeConn();
      t.receive(h.requestBytes(fx.accepted[3].lines));
      const req = t.of('request')[0].req;
      assert.strictEqual(req.headers['connection'], 'keep-alive, foo,UpGrAdE');
      assert.ok(Object.keys(req.headers).every((k) => k == k.toLowerCase()));
    });

    it('accepts bare LF line ends', function () {
      const t = h.makeConn();
      t.receive(h.bytes(h.BASIC_REQUEST.join('\n') + '\n\n'));
      assert.strictEqual(h.parseHttp(t.drain()).status, 101);
    });

    for (const c of fx.rejected) {
      it('refuses with ' + c.status + ': ' + c.name, function () {
        const t = h.makeConn();
        t.receive(h.requestBytes(c.lines));
        assertRefused(t, c.status, c.header);
        assert.strictEqual(t.of('request').length, 0, '_request is not asked about an invalid request');
      });
    }

    for (const c of fx.versions) {
      if (c.status == 101) {
        it('accepts Sec-WebSocket-Version ' + c.name, function () {
          const t = h.makeConn();
          t.receive(h.requestBytes(withVersion(c.line)));
          const res = h.parseHttp(t.drain());
          assert.strictEqual(res.status, 101);
          assert.strictEqual(res.headers['sec-websocket-accept'], fx.rfcKey.accept);
          assert.strictEqual(t.conn._state, 1);
        });
      } else {
        it('refuses Sec-WebSocket-Version ' + c.name + ' with 426 naming version 13', function () {
          const t = h.makeConn();
          t.receive(h.requestBytes(withVersion(c.line)));
          const res = assertRefused(t, 426);
          assert.strictEqual(res.headers['sec-websocket-version'], '13');
          assert.ok(/\r\nSec-WebSocket-Version: 13\r\n/.test(res.head), 'Sec-WebSocket-Version: 13 header line');
          assert.strictEqual(res.headers['upgrade'], 'websocket');
        });
      }
    }

    it('refuses when _request returns 403', function () {
      const t = h.makeConn({ request: () => 403 });
      t.receive(h.requestBytes(h.BASIC_REQUEST));
      const res = assertRefused(t, 403);
      assert.strictEqual(res.statusLine, 'HTTP/1.1 403 Forbidden');
      const asked = t.of('request');
      assert.strictEqual(asked.length, 1);
      assert.strictEqual(asked[0].req.path, '/chat');
    });

    it('passes the request to _request, which may accept it', function () {
      let seen;
      const t = h.makeConn({ request: (req) => { seen = { headers: Object.assign({}, req.headers) }; return 0; } });
      t.handshake();
      assert.strictEqual(seen.headers['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');
    });

    it('refuses with 431 a head past maxHeader', function () {
      const t = h.makeConn({ limits: { maxHeader: 256 } });
      const lines = h.BASIC_REQUEST.concat(['X-Big: ' + 'a'.repeat(300)]);
      t.receive(h.requestBytes(lines));
      assertRefused(t, 431);
    });

    it('refuses with 431 a head that never ends (many header lines)', function () {
      const t = h.makeConn({ limits: { maxHeader: 1024 } });
      let sent = 0, i = 0;
      const push = (s) => { t.receive(h.bytes(s)); sent += s.length; };
      push('GET / HTTP/1.1\r\nHost: a\r\n');
      while (t.conn._state == 0 && i < 1000) push('X-Header-' + i++ + ': value\r\n');
      assert.ok(sent > 1024 && sent <= 1024 + 24, 'refused once past maxHeader (' + sent + ' bytes sent)');
      assertRefused(t, 431);
    });

    it('refuses with 431 a single line that never ends', function () {
      const t = h.makeConn({ limits: { maxHeader: 1024 } });
      t.receive(h.bytes('GET /'));
      let sent = 5;
      while (t.conn._state == 0 && sent < 100000) {
        t.receive(h.bytes('aaaaaaaaaaaaaaaa'));
        sent += 16;
      }
      assert.ok(sent <= 1024 + 16, 'refused once past maxHeader (' + sent + ' bytes sent)');
      assertRefused(t, 431);
    });

    it('refuses with 431 a head past maxHeader arriving in one chunk without its end', function () {
      const t = h.makeConn({ limits: { maxHeader: 100 } });
      t.receive(h.bytes('GET / HTTP/1.1\r\n' + 'X: ' + 'b'.repeat(200)));
      assertRefused(t, 431);
    });

    describe('maxHeader counts the bytes of the head, however they arrive', function () {
      const req = h.requestBytes(h.BASIC_REQUEST);

      it('a head of exactly maxHeader bytes in one chunk is accepted, one more byte is not', function () {
        const ok = h.makeConn({ limits: { maxHeader: req.length } });
        ok.receive(req);
        assert.strictEqual(ok.conn._state, 1);
        const no = h.makeConn({ limits: { maxHeader: req.length - 1 } });
        no.receive(req);
        assertRefused(no, 431);
      });

      it('a head of exactly maxHeader bytes delivered one byte at a time is accepted', function () {
        const t = h.makeConn({ limits: { maxHeader: req.length } });
        t.receiveChunks(h.byteChunks(req));
        assert.strictEqual(h.parseHttp(t.drain()).status, 101);
        assert.strictEqual(t.conn._state, 1);
      });

      it('a head of exactly maxHeader bytes split at any position is accepted', function () {
        const bad = [];
        for (const [a, b, k] of h.splits(req)) {
          const t = h.makeConn({ limits: { maxHeader: req.length } });
          t.receive(a);
          t.receive(b);
          if (t.conn._state != 1) bad.push(k);
        }
        assert.deepStrictEqual(bad, [], 'refused when split at these positions');
      });
    });

    it('_close while CONNECTING closes without output', function () {
      const t = h.makeConn();
      t.conn._close(1000, new Uint8Array(0));
      assert.strictEqual(t.conn._state, 3);
      assert.strictEqual(t.drain().length, 0);
    });

    it('_send and _ping before the handshake return false', function () {
      const t = h.makeConn();
      assert.strictEqual(t.conn._send(h.bytes('x'), false), false);
      assert.strictEqual(t.conn._ping(h.bytes('x')), false);
      assert.strictEqual(t.drain().length, 0);
    });
  });
});
