// Echo throughput: this project's Node server against a plain `ws`
// WebSocketServer, side by side in one run, driven by the same `ws` client.
// In the style of ws's own bench/speed.js: serial round trips (one message in
// flight), binary and text, at 64 B, 16 KiB, 128 KiB and 1 MiB.
//
//   npm run build:node && node bench/echo.js
//
// Each server runs in a child process of its own (this file, forked with the
// argument `server ours` or `server ws`), so neither shares an event loop with
// the client or with the other server. Every configuration is measured
// BENCH_ROUNDS times (default 5), the two servers alternating (AB BA AB ...),
// after a short warm-up on a fresh connection to each. The table shows medians
// only, and the ratio this project / ws: machines are shared and noisy.
// MB/s counts both directions (2 x size x round trips, as speed.js does),
// with MB = 10^6 bytes.
//
// Environment:
//   BENCH_SCALE   multiplies the round-trip counts (default 1; e.g. 0.1 for a quick run)
//   BENCH_ROUNDS  measured runs per server and configuration (default 5)
//
// The echo handlers are each API's natural echo: this project's server uses
// receiveType/sendType 'text/plain' (text arrives as a string and is sent back
// as a string; binary arrives as a Uint8Array and goes back as binary); the ws
// server sends back the Buffer it received with { binary: isBinary } (ws
// validates text as UTF-8 but does not decode it to a string).
'use strict';
const path = require('path');
const { fork } = require('child_process');

const CONFIGS = [
  // [size in bytes, round trips at BENCH_SCALE=1]
  [64, 20000],
  [16 * 1024, 5000],
  [128 * 1024, 1000],
  [1024 * 1024, 100]
];
const MAX_PAYLOAD = 64 * 1024 * 1024;

if (process.argv[2] === 'server') runServer(process.argv[3]);
else main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});

// ---------------------------------------------------------------- server side

function runServer(kind) {
  let stop;
  const ready = (port) => process.send({ type: 'listening', port });
  if (kind === 'ours') {
    const { Server } = require(path.join(__dirname, '..', 'dist/node/targets/node/index.js'));
    const server = new Server({
      port: 0,
      hostInterface: '127.0.0.1',
      receiveType: 'text/plain',
      sendType: 'text/plain',
      maxPayload: MAX_PAYLOAD,
      maxQueue: MAX_PAYLOAD,
      pingInterval: 0
    });
    server.on('error', (err) => {
      console.error('ours: ' + err.message);
      process.exit(1);
    });
    server.on('listening', ready);
    server.on('connection', (socket) => {
      socket.on('message', (value) => {
        if (!socket.send(value)) console.error('ours: send refused');
      });
      socket.on('error', (err) => console.error('ours: socket error: ' + err.message));
    });
    server.start();
    stop = () => server.stop();
  } else if (kind === 'ws') {
    const { WebSocketServer } = require('ws');
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxPayload: MAX_PAYLOAD,
      perMessageDeflate: false,
      clientTracking: false
    });
    wss.on('error', (err) => {
      console.error('ws: ' + err.message);
      process.exit(1);
    });
    wss.on('listening', () => ready(wss.address().port));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', (err) => console.error('ws: socket error: ' + err.message));
    });
    stop = () => wss.close();
  } else {
    console.error('unknown server kind ' + kind);
    process.exit(2);
  }

  process.on('message', (msg) => {
    if (msg && msg.type === 'rss') {
      const mu = process.memoryUsage();
      process.send({
        type: 'rss',
        rss: mu.rss,
        heapUsed: mu.heapUsed,
        external: mu.external + mu.arrayBuffers,
        maxRSS: process.resourceUsage().maxRSS * 1024
      });
    } else if (msg && msg.type === 'stop') {
      stop();
      process.exit(0);
    }
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- client side

function startServer(kind) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['server', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const onMessage = (msg) => {
      if (msg && msg.type === 'listening') {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve({ kind, child, port: msg.port });
      }
    };
    const onExit = (code) => reject(new Error(kind + ' server exited with code ' + code));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function ask(server, type) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg && msg.type === type) {
        server.child.off('message', onMessage);
        resolve(msg);
      }
    };
    server.child.on('message', onMessage);
    server.child.send({ type });
  });
}

function connect(port) {
  const WebSocket = require('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/', {
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function close(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', resolve);
    ws.close();
  });
}

// `count` serial round trips of `data` on `ws`; resolves with the elapsed ns.
// Every echo is checked for type and length, the first one byte for byte.
function roundTrips(ws, data, binary, count) {
  return new Promise((resolve, reject) => {
    let done = 0;
    let t0;
    const fail = (err) => {
      ws.off('message', onMessage);
      ws.off('close', onClose);
      reject(err);
    };
    const onClose = (code) => fail(new Error('connection closed (' + code + ') during a run'));
    const onMessage = (reply, isBinary) => {
      if (isBinary !== binary || reply.length !== data.length) {
        return fail(new Error('bad echo: ' + (isBinary ? 'binary' : 'text') + ' of ' +
          reply.length + ' bytes for ' + (binary ? 'binary' : 'text') + ' of ' + data.length));
      }
      if (done === 0 && !reply.equals(data)) return fail(new Error('echo differs from what was sent'));
      if (++done < count) return ws.send(data, { binary });
      const elapsed = Number(process.hrtime.bigint() - t0);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(elapsed);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    t0 = process.hrtime.bigint();
    ws.send(data, { binary });
  });
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function humanSize(n) {
  if (n >= 1024 * 1024) return n / (1024 * 1024) + ' MiB';
  if (n >= 1024) return n / 1024 + ' KiB';
  return n + ' B';
}

function payload(size, binary) {
  if (binary) {
    const b = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) b[i] = (i * 131 + 7) & 0xff;
    return b;
  }
  // Printable ASCII text, pre-encoded so the client does the same (no) work
  // for both servers; it is still sent as a text frame.
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 0x20 + ((i * 31 + 5) % 95);
  return b;
}

function mb(x) {
  return (x / 1e6).toFixed(1);
}

async function main() {
  const scale = process.env.BENCH_SCALE === undefined ? 1 : Number(process.env.BENCH_SCALE);
  const rounds = process.env.BENCH_ROUNDS === undefined ? 5 : Number(process.env.BENCH_ROUNDS);
  if (!(scale > 0)) throw new Error('BENCH_SCALE must be a positive number');
  if (!(rounds >= 1) || Math.floor(rounds) !== rounds) throw new Error('BENCH_ROUNDS must be a whole number >= 1');

  const started = process.hrtime.bigint();
  const servers = [await startServer('ours'), await startServer('ws')];
  const os = require('os');
  console.log('echo benchmark: node ' + process.version + ', ws ' + require('ws/package.json').version +
    ', ' + os.cpus().length + ' CPUs (' + (os.cpus()[0] || { model: '?' }).model.trim() + ')');
  console.log('serial round trips, one message in flight; BENCH_SCALE=' + scale + ', ' + rounds +
    ' rounds per server, alternating; medians; MB/s = 2 x size x round trips / s');
  console.log('');

  const head =
    'type    size      round trips' +
    '    ours rt/s' + '     ws rt/s' +
    '   ours MB/s' + '     ws MB/s' +
    '   ours/ws';
  console.log(head);
  console.log('-'.repeat(head.length));

  const ratios = [];
  for (const binary of [true, false]) {
    for (const [size, baseCount] of CONFIGS) {
      const count = Math.max(1, Math.round(baseCount * scale));
      const data = payload(size, binary);
      const conns = [];
      for (const s of servers) conns.push(await connect(s.port));
      // Warm-up on each connection: about a tenth of a run, at least a few.
      const warm = Math.max(3, Math.round(count / 10));
      for (const ws of conns) await roundTrips(ws, data, binary, warm);

      const times = [[], []];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) times[i].push(await roundTrips(conns[i], data, binary, count));
      }
      for (const ws of conns) await close(ws);

      const rate = times.map((ts) => median(ts.map((ns) => count / (ns / 1e9))));
      const ratio = rate[0] / rate[1];
      ratios.push(ratio);
      console.log(
        (binary ? 'binary' : 'text').padEnd(8) +
        humanSize(size).padEnd(10) +
        String(count).padStart(11) +
        rate[0].toFixed(0).padStart(13) +
        rate[1].toFixed(0).padStart(12) +
        mb(rate[0] * size * 2).padStart(12) +
        mb(rate[1] * size * 2).padStart(12) +
        ratio.toFixed(2).padStart(10)
      );
    }
  }
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  console.log('-'.repeat(head.length));
  console.log('geometric mean of ratios (ours / ws): ' + geo.toFixed(2));
  console.log('');

  console.log('server process memory after the run (MB = 10^6 bytes):');
  console.log('server      rss    max rss   heap used   external+buffers');
  for (const s of servers) {
    const m = await ask(s, 'rss');
    console.log(
      s.kind.padEnd(8) + mb(m.rss).padStart(7) + mb(m.maxRSS).padStart(11) +
      mb(m.heapUsed).padStart(12) + mb(m.external).padStart(19)
    );
  }
  for (const s of servers) {
    const exited = new Promise((resolve) => s.child.once('exit', resolve));
    s.child.send({ type: 'stop' });
    await exited;
  }
  console.log('');
  console.log('total time: ' + (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1) + ' s');
}
