// Slowloris and connection floods against every target (loopback only,
// bounded in count and time): many raw TCP clients dribble a request one byte
// every 50 ms and never finish it, hundreds more connect and send nothing or
// garbage, and meanwhile a well-behaved `ws` client connects and completes 50
// echo round trips. The server must cut every slowloris client at its
// handshakeTimeout, answer or cut the flood, serve the good client, and still
// accept connections afterwards.
'use strict';
const assert = require('assert');
const net = require('net');
const crypto = require('crypto');
const WebSocket = require('ws');
const { targets } = require('./helpers/targets');
const { Harness, delay, upgradeRequest } = require('./helpers/harness');

const HANDSHAKE_TIMEOUT = 300;
const PLAN = {
  node: { slowloris: 150, flood: 500, parallelFlood: 100 },
  'espruino-emulated': { slowloris: 50, flood: 300, parallelFlood: 50 }
};

/** A deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A slowloris client: connects, writes one byte of a valid request every
 * `gap` ms, never reaching the end of the head. Returns { connected, done,
 * cut }: connected resolves on the TCP connect, done when the server
 * disconnects it, with { sent, ms (connect to disconnect), how }; cut()
 * says whether it has been disconnected yet.
 */
function slowloris(port, gap, giveUpMs) {
  let onConnect, over = false;
  const connected = new Promise((resolve) => (onConnect = resolve));
  const done = new Promise((resolve) => {
    const req = Buffer.from(upgradeRequest(port).text.replace(/\r\n\r\n$/, '\r\nX-Slow: '));
    const sock = net.connect(port, '127.0.0.1');
    let sent = 0, timer = null, t0 = 0, gotData = Buffer.alloc(0);
    const finish = (how) => {
      if (over) return;
      over = true;
      onConnect();
      clearInterval(timer);
      clearTimeout(giveUp);
      sock.destroy();
      resolve({ sent, ms: Date.now() - t0, how, data: gotData });
    };
    const giveUp = setTimeout(() => finish('gave up: the server never disconnected'), giveUpMs);
    sock.on('connect', () => {
      t0 = Date.now();
      onConnect();
      timer = setInterval(() => {
        // The head never ends: after the request, an endless header value.
        sock.write(sent < req.length ? req.subarray(sent, sent + 1) : Buffer.from('x'));
        sent++;
      }, gap);
    });
    sock.on('data', (d) => (gotData = Buffer.concat([gotData, d])));
    sock.on('end', () => finish('end'));
    sock.on('close', () => finish('close'));
    sock.on('error', (e) => finish('error ' + e.code));
  });
  return { connected, done, cut: () => over };
}

/** A flood client: connects, sends nothing or some garbage, waits for the
 *  server to answer/close (at most `wait` ms), then leaves. `onConnect` is
 *  called on the TCP connect. */
function floodClient(port, i, rand, wait, onConnect) {
  return new Promise((resolve) => {
    const kind = ['silent', 'garbage', 'garbage-line', 'half-request'][i % 4];
    const sock = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0), closedByServer = false;
    const end = (how) => {
      clearTimeout(timer);
      sock.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got.toString('latin1'));
      resolve({ kind, how, closedByServer, status: m ? Number(m[1]) : 0 });
    };
    const timer = setTimeout(() => end('cut by the client'), wait);
    sock.on('connect', () => {
      onConnect();
      if (kind === 'garbage') {
        const n = 1 + Math.floor(rand() * 600);
        const b = crypto.randomBytes(n);
        sock.write(b);
      } else if (kind === 'garbage-line') sock.write('\x16\x03\x01 not http at all \xff\xfe\r\n\r\n');
      else if (kind === 'half-request') sock.write(upgradeRequest(port).text.slice(0, 40));
    });
    sock.on('data', (d) => (got = Buffer.concat([got, d])));
    sock.on('end', () => {
      closedByServer = true;
      end('end');
    });
    sock.on('close', () => end('close'));
    sock.on('error', () => {});
  });
}

async function echoRounds(ws, n, tag) {
  for (let i = 0; i < n; i++) {
    const text = tag + ' round ' + i + ' ' + crypto.randomBytes(8).toString('hex');
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(tag + ': no echo for round ' + i + ' within 5 s')), 5000);
      ws.once('message', (data) => {
        clearTimeout(timer);
        resolve(data.toString('utf8'));
      });
    });
    ws.send(text);
    assert.strictEqual(await got, text, tag + ' round ' + i);
  }
}

function openWs(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/');
    const timer = setTimeout(() => reject(new Error('the ws client could not connect within 5 s')), 5000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

for (const target of targets) {
  const plan = PLAN[target.name] || { slowloris: 20, flood: 100, parallelFlood: 20 };

  describe('flood [' + target.name + ']', function () {
    this.timeout(60000);
    let hs;
    beforeEach(function () {
      hs = new Harness(target);
    });
    afterEach(async function () {
      await hs.cleanup();
    });

    it(plan.slowloris + ' slowloris clients + ' + plan.flood + ' flood connects; a ws client completes 50 echoes meanwhile; still accepting afterwards', async function () {
      const before = target.stats ? target.stats() : null;
      const t0 = Date.now();
      const { server, port } = await hs.startServer({
        receiveType: 'text/plain', sendType: 'text/plain',
        handshakeTimeout: HANDSHAKE_TIMEOUT, closeTimeout: 1000, maxConnections: 8
      }, { echo: true });
      const serverErrors = [];
      server.on('error', (e) => serverErrors.push(e));

      // The slowloris clients, all at once.
      const lorises = [];
      for (let i = 0; i < plan.slowloris; i++) lorises.push(slowloris(port, 50, 8000));
      // The flood, plan.parallelFlood connections at a time.
      const rand = prng(7);
      const floods = [];
      let nextFlood = 0, floodConnects = 0, firstWave;
      const firstWaveIn = new Promise((resolve) => (firstWave = resolve));
      const flooded = () => {
        if (++floodConnects == plan.parallelFlood) firstWave();
      };
      const flood = Promise.all(Array.from({ length: plan.parallelFlood }, async () => {
        while (nextFlood < plan.flood) floods.push(await floodClient(port, nextFlood++, rand, 3000, flooded));
      }));

      // The good client comes once the attack is in full swing: every
      // slowloris client and the first wave of the flood are connected.
      await Promise.all(lorises.map((l) => l.connected));
      await firstWaveIn;
      const lorisesCutBefore = lorises.filter((l) => l.cut()).length;
      const floodDoneBefore = floods.length;
      const tGood = Date.now();
      const ws = await openWs(port);
      await echoRounds(ws, 50, 'good client');
      const goodMs = Date.now() - tGood;
      const floodDoneAfter = floods.length;

      const slow = await Promise.all(lorises.map((l) => l.done));
      await flood;

      // Meanwhile: the good client was served while the attack went on. It
      // came while slowloris clients were still connected, and its 50
      // echoes were done before the flood was over.
      assert.ok(lorisesCutBefore < plan.slowloris, 'every slowloris client was already cut when the good client came');
      assert.ok(floodDoneBefore < plan.flood, 'the flood was over when the good client came');
      assert.ok(floodDoneAfter < plan.flood, 'the flood was over (' + floodDoneAfter + ' of ' + plan.flood +
        ' connections done) before the good client\'s 50 echoes were (' + goodMs + ' ms)');
      const elapsed = Date.now() - t0;

      // Every slowloris client was disconnected by the server, at the handshake timeout.
      const notCut = slow.filter((s) => /^gave up/.test(s.how));
      assert.deepStrictEqual(notCut, [], notCut.length + ' slowloris clients were never disconnected');
      const times = slow.map((s) => s.ms).sort((a, b) => a - b);
      assert.ok(times[0] >= HANDSHAKE_TIMEOUT - 60, 'a slowloris client was cut after only ' + times[0] + ' ms');
      assert.ok(times[times.length - 1] < HANDSHAKE_TIMEOUT + 4000, 'a slowloris client lasted ' + times[times.length - 1] + ' ms');
      for (const s of slow) assert.ok(!/^HTTP\/1\.1 101/.test(s.data.toString('latin1')), 'a slowloris client got a 101');

      // The flood: silent and unfinished connections cut, garbage refused (or cut).
      const byKind = {};
      for (const f of floods) {
        const k = f.kind + ' ' + (f.status || (f.closedByServer ? 'closed' : f.how));
        byKind[k] = (byKind[k] || 0) + 1;
      }
      assert.strictEqual(floods.length, plan.flood);
      const lingering = floods.filter((f) => f.how === 'cut by the client');
      assert.deepStrictEqual(lingering.map((f) => f.kind), [], 'flood connections the server never closed');
      for (const f of floods) {
        if (f.kind === 'garbage-line') assert.strictEqual(f.status, 400, 'a garbage line is answered with 400');
        if (f.kind === 'silent' || f.kind === 'half-request') assert.strictEqual(f.status, 0, f.kind + ' got an HTTP answer');
      }

      // Still accepting: a new client connects and echoes; nothing is left over.
      const ws2 = await openWs(port);
      await echoRounds(ws2, 5, 'client after the flood');
      ws.close(1000);
      ws2.close(1000);
      const deadline = Date.now() + 5000;
      const all = () => Object.keys(server).filter((k) => k !== 'sockets' && Array.isArray(server[k])).map((k) => server[k])[0];
      while ((server.sockets.length || all().length) && Date.now() < deadline) await delay(20);
      assert.strictEqual(server.sockets.length, 0, 'open sockets left');
      assert.strictEqual(all().length, 0, 'connections left in the server');
      if (target.stats) {
        while (target.stats().sockets && Date.now() < deadline) await delay(20);
        const st = target.stats();
        assert.strictEqual(st.sockets, 0, 'sockets on the board');
        assert.strictEqual(st.timers, 0, 'timers on the board');
        assert.strictEqual(st.listeners, 0, 'listeners on the board');
        assert.deepStrictEqual(st.uncaught.slice(before.uncaught.length), [], 'uncaught exceptions on the board');
        assert.deepStrictEqual(st.foreignFields, []);
      }
      assert.deepStrictEqual(serverErrors.map(String), []);
      console.log('      flood [' + target.name + ']: ' + plan.slowloris + ' slowloris (cut after ' + times[0] + '-' + times[times.length - 1] +
        ' ms, ' + slow.reduce((n, s) => n + s.sent, 0) + ' bytes dribbled) + ' + plan.flood + ' flood connections (' + plan.parallelFlood +
        ' at a time) in ' + elapsed + ' ms; good client: 50 echoes in ' + goodMs + ' ms, while ' + floodDoneAfter + ' of the flood connections ended' +
        '; flood outcomes ' + JSON.stringify(byKind));
    });
  });
}
