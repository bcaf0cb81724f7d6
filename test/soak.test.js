// Soak: thousands of connect / echo / close cycles against every target, a
// few at a time, ending in every way a connection can end: the client closes,
// the server closes, the client drops TCP, the server terminates. Afterwards
// nothing may be left: no Socket in the server, no TCP connection, no timer or
// listener on the emulated board, and the listening socket closes on stop().
'use strict';
const assert = require('assert');
const net = require('net');
const crypto = require('crypto');
const WebSocket = require('ws');
const { targets } = require('./helpers/targets');
const { Harness, delay, until } = require('./helpers/harness');

const PLAN = { node: { cycles: 2000, parallel: 16 }, 'espruino-emulated': { cycles: 2000, parallel: 4 } };
const ENDINGS = ['client-close', 'server-close', 'client-terminate', 'server-terminate'];

/** Every TCP connection the server tracks (open or in its handshake): its
 *  private `_all` list, whose name the Espruino bundle mangles. */
function allOf(server) {
  if (server._all) return server._all;
  const lists = Object.keys(server).filter((k) => k !== 'sockets' && Array.isArray(server[k]));
  assert.strictEqual(lists.length, 1, 'one private list of connections in the server: ' + lists);
  return server[lists[0]];
}

/** One cycle: connect, one echo, then the given ending. Resolves with what happened. */
function cycle(port, i, ending) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/');
    const text = 'cycle ' + i + ' ' + crypto.randomBytes(1 + (i % 40)).toString('hex') + ' \u00e9\u20ac';
    const r = { i, ending, echoed: false, code: 0, errors: [] };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('cycle ' + i + ' (' + ending + ') timed out; echoed ' + r.echoed));
    }, 10000);
    ws.on('error', (e) => r.errors.push(e.message));
    ws.on('open', () => ws.send(text));
    ws.on('message', (data, isBinary) => {
      if (r.echoed) return;
      assert.strictEqual(isBinary, false);
      assert.strictEqual(data.toString('utf8'), text, 'echo of cycle ' + i);
      r.echoed = true;
      if (ending === 'client-close') ws.close(1000, 'client bye');
      else if (ending === 'client-terminate') ws.terminate();
      else ws.send(ending);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      r.code = code;
      resolve(r);
    });
  });
}

for (const target of targets) {
  const plan = PLAN[target.name] || { cycles: 500, parallel: 4 };

  describe('soak [' + target.name + ']', function () {
    this.timeout(120000);
    let hs;
    beforeEach(function () {
      hs = new Harness(target);
    });
    afterEach(async function () {
      await hs.cleanup();
    });

    it(plan.cycles + ' connect / echo / close cycles, ' + plan.parallel + ' at a time, every kind of ending; nothing left afterwards', async function () {
      const before = target.stats ? target.stats() : null;
      const t0 = Date.now();
      const serverSide = { connections: 0, closes: 0, codes: {}, errors: 0 };
      let srv = null, maxLive = 0;
      const { server, port } = await hs.startServer(
        { receiveType: 'text/plain', sendType: 'text/plain', maxConnections: 256, closeTimeout: 3000, handshakeTimeout: 5000 },
        {
          onSocket(s) {
            serverSide.connections++;
            if (srv) maxLive = Math.max(maxLive, srv.sockets.length);
            s.on('error', () => serverSide.errors++);
            s.on('close', (code) => {
              serverSide.closes++;
              serverSide.codes[code] = (serverSide.codes[code] || 0) + 1;
            });
            s.on('message', (m) => {
              if (m === 'server-close') s.close(1000, 'server bye');
              else if (m === 'server-terminate') s.terminate();
              else s.send(m);
            });
          }
        }
      );

      srv = server;
      const results = [];
      let next = 0;
      await Promise.all(Array.from({ length: plan.parallel }, async () => {
        while (next < plan.cycles) {
          const i = next++;
          results.push(await cycle(port, i, ENDINGS[i % ENDINGS.length]));
        }
      }));
      const elapsed = Date.now() - t0;

      // Every client saw its echo, and each ending gave its close code.
      assert.strictEqual(results.length, plan.cycles);
      assert.deepStrictEqual(results.filter((r) => !r.echoed).map((r) => r.i), [], 'cycles without their echo');
      const codes = {};
      for (const r of results) codes[r.ending + ' ' + r.code] = (codes[r.ending + ' ' + r.code] || 0) + 1;
      const per = plan.cycles / ENDINGS.length;
      assert.strictEqual(codes['client-close 1000'], per, 'client close: ' + JSON.stringify(codes));
      assert.strictEqual(codes['server-close 1000'], per, 'server close: ' + JSON.stringify(codes));
      assert.strictEqual(codes['client-terminate 1006'], per, 'client terminate: ' + JSON.stringify(codes));
      assert.strictEqual(codes['server-terminate 1006'], per, 'server terminate: ' + JSON.stringify(codes));

      // The server saw every connection open and close, and keeps nothing.
      await until(() => serverSide.closes === plan.cycles && server.sockets.length === 0 && allOf(server).length === 0,
        'the server to let go of every socket (' + server.sockets.length + ' open, ' + allOf(server).length + ' in all, ' + serverSide.closes + ' closes)');
      assert.strictEqual(serverSide.connections, plan.cycles);
      assert.strictEqual(server.sockets.length, 0, 'server.sockets');
      assert.strictEqual(allOf(server).length, 0, 'connections still tracked by the server');
      assert.strictEqual(serverSide.codes[1000], plan.cycles / 2, 'server-side close codes ' + JSON.stringify(serverSide.codes));
      assert.strictEqual(serverSide.codes[1006], plan.cycles / 2, 'server-side close codes ' + JSON.stringify(serverSide.codes));

      if (target.stats) {
        // The emulated board: no socket, timer or listener left behind.
        await until(() => target.stats().sockets === 0, 'the board to drop its sockets');
        const st = target.stats();
        assert.strictEqual(st.sockets, 0, 'open sockets on the board');
        assert.strictEqual(st.timers, 0, 'timers on the board');
        assert.strictEqual(st.listeners, 0, 'socket listeners on the board');
        assert.strictEqual(st.pendingAccepts, 0, 'pending accepts');
        assert.deepStrictEqual(st.foreignFields, [], 'fields set on Espruino objects');
        assert.deepStrictEqual(st.uncaught.slice(before.uncaught.length), [], 'uncaught exceptions on the board');
        assert.deepStrictEqual(st.hazards.filter((x) => before.hazards.indexOf(x) < 0), [], 'Espruino hazards');
        server.stop();
        await until(() => target.stats().servers === before.servers, 'the board to close its server');
        assert.strictEqual(target.stats().timers, 0, 'timers after stop()');
      } else {
        // Node: no handle of ours is left, and the listening socket closes.
        const ours = () => process._getActiveHandles().filter((x) => {
          if (x instanceof net.Server) {
            const a = x.address();
            return a && a.port === port;
          }
          if (x instanceof net.Socket) return x.localPort === port || x.remotePort === port;
          return false;
        });
        await until(() => ours().filter((x) => x instanceof net.Socket).length === 0, 'our TCP sockets to close');
        server.stop();
        await until(() => ours().length === 0, 'the listening socket to close after stop()');
        const refused = await new Promise((resolve) => {
          const c = net.connect(port, '127.0.0.1');
          c.on('connect', () => {
            c.destroy();
            resolve(false);
          });
          c.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
        });
        assert.ok(refused, 'the port still accepts connections after stop()');
        // The port is free again.
        await new Promise((resolve, reject) => {
          const s = net.createServer();
          s.on('error', reject);
          s.listen(port, '127.0.0.1', () => s.close(resolve));
        });
      }
      console.log('      soak [' + target.name + ']: ' + plan.cycles + ' cycles (' + plan.parallel + ' in parallel, at most ' + maxLive +
        ' open at once) in ' + elapsed + ' ms, ' + Math.round((plan.cycles * 1000) / elapsed) + ' cycles/s; client codes ' + JSON.stringify(codes));
    });
  });
}
