// What the server makes of a request head (RFC 7230 and RFC 6455 section
// 4.2.1) and of its own options, on every target.
'use strict';
const assert = require('assert');
const { targets } = require('./helpers/targets');
const { Harness, frame, newKey, upgradeRequest, waitFor } = require('./helpers/harness');
const { freePort } = require('./helpers/free-port');
const cases = require('./fixtures/request-heads.json');

const TEXT = 1;

for (const target of targets) {
  describe('request checks [' + target.name + ']', function () {
    this.timeout(20000);
    let h;

    beforeEach(function () {
      h = new Harness(target);
    });

    afterEach(async function () {
      await h.cleanup();
    });

    /** The status the server answers to a request head, and the Socket if it upgraded. */
    async function answer(port, conns, line, headers) {
      const key = newKey();
      const list = headers.map(([n, v]) => [n, v.replace('{port}', String(port)).replace('{key}', key)]);
      const [method, path, version] = line.split(' ');
      const r = await h.raw(port);
      await r.write(upgradeRequest(port, { method, path, version, key, headers: list }).text);
      const head = await r.readHead();
      const socket = head.status === 101 ? (await conns.next()).socket : null;
      return { head, socket, r };
    }

    for (const c of cases) {
      if (c.needs === 'path' && !target.extras) continue;
      it(c.name + ' -> ' + c.status, async function () {
        const { port, conns } = await h.echoServer(c.options || {});
        const { head, socket, r } = await answer(port, conns, c.line, c.headers);
        assert.strictEqual(head.status, c.status, head.statusLine);
        if (c.path) assert.strictEqual(String(socket.request.path), c.path);
        if (socket) {
          await r.write(frame(TEXT, 'works'));
          assert.strictEqual((await r.readFrame()).payload.toString(), 'works');
        } else await r.closedByPeer();
      });
    }

    describe('options', function () {
      /** The TypeError that new Server(opts) throws. */
      function refusal(opts) {
        let err;
        try {
          new h.mod.Server(Object.assign({ port: 8080 }, opts));
        } catch (e) {
          err = e;
        }
        assert.ok(err, 'no error for ' + JSON.stringify(opts));
        assert.ok(err instanceof TypeError, 'a TypeError: ' + err);
        return err.message;
      }

      it('an unknown option is a TypeError naming it (a misspelled security option is never ignored)', function () {
        assert.match(refusal({ orgins: ['https://example.com'] }), /unknown option orgins/);
        assert.match(refusal({ maxpayload: 10 }), /unknown option maxpayload/);
      });

      it('a value of the wrong type or range is a TypeError naming the option and what it takes', function () {
        const bad = {
          maxPayload: ['big', -1, 1.5, NaN, Infinity],
          maxQueue: ['8192', -5],
          pingInterval: [true],
          writeSize: [0],
          port: ['8080x', -1, 65536, 80.5, ''],
          hostInterface: [127001],
          receiveType: ['json', 'application/xml', 42],
          sendType: ['text', false],
          queuePolicy: ['bogus', 'fails'],
          sslTls: ['yes'],
          origins: ['https://example.com']
        };
        for (const name of Object.keys(bad)) {
          for (const v of bad[name]) {
            const message = refusal({ [name]: v });
            assert.ok(message.indexOf('option ' + name + ' takes ') === 0, JSON.stringify(v) + ': ' + message);
          }
        }
        assert.match(refusal({ receiveType: 'json' }), /^option receiveType takes one of application\/json, text\/plain, application\/octet-stream or another text\/\* type, not "json"$/);
      });

      it('sslTls: true is a TypeError: no TLS server (a board), or no PFX file given (Node)', function () {
        assert.match(refusal({ sslTls: true }), target.name === 'node' ? /sslTls needs pfxKeyCertPath/ : /sslTls: this target has no TLS server/);
      });

      it("takes what the Accessors WebSocketServer accessor passes, and a port given as a string of digits", async function () {
        const port = target.pickPort ? await freePort() : 0;
        const server = new h.mod.Server(Object.assign({}, target.defaults, {
          hostInterface: '127.0.0.1', port: String(port), receiveType: 'application/json', sendType: 'text/html',
          sslTls: false, pfxKeyCertPath: '', pfxKeyCertPassword: ''
        }));
        h.servers.push(server);
        const listening = waitFor(server, 'listening', { failOn: 'error' });
        server.start();
        const [reported] = await listening;
        assert.strictEqual(typeof reported, 'number');
        if (port) assert.strictEqual(reported, port);
        const client = await h.connect(reported);
        client.close();
      });

      it('null and undefined mean the default', function () {
        assert.doesNotThrow(() => new h.mod.Server({ port: undefined, maxPayload: null, origins: null, hostInterface: undefined }));
      });
    });
  });
}
