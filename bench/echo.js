// Echo benchmarks: this project's Node server against a plain `ws`
// WebSocketServer, side by side in one run, driven by the same clients
// (`ws` clients, or in the load part light ones: --clients raw).
//
//   npm run build:node && node bench/echo.js          # both parts
//   node bench/echo.js serial                         # round trips only
//   node bench/echo.js load                           # server CPU only
//   node bench/echo.js load --previous DIR            # and a previous build
//   node bench/echo.js load --clients raw             # light clients (below)
//
// Each server runs in a child process of its own (this file, forked with the
// argument `server ours`, `server ws` or `server previous DIR`), so none
// shares an event loop with the clients or with another server; the clients
// all live in this (the parent) process. Every configuration is measured BENCH_ROUNDS times
// (default 5), the two servers alternating (AB BA AB ...), after a warm-up on
// the same connections. The tables show medians only, and the ratio of this
// project to ws: machines are shared and noisy.
//
// 1. Serial round trips ("serial"), in the style of ws's own bench/speed.js:
//    one connection per server, one message in flight, binary and text, at
//    64 B, 16 KiB, 128 KiB and 1 MiB. MB/s counts both directions
//    (2 x size x round trips, as speed.js does), with MB = 10^6 bytes.
//
// 2. Server CPU time per echoed message ("load"): LOAD_CONNECTIONS (50)
//    connections per server, each keeping LOAD_WINDOW (4) messages in flight:
//    it sends 4, then one more each time an echo comes back, until the run's
//    total count has been sent; the run ends when every echo is in. Text and
//    binary, at 64 B and 16 KiB. The parent sends the server child 'start'
//    (after the connections are open and a warm-up run on them) and 'stop'
//    (once the last echo is in); the child takes process.cpuUsage() (user +
//    system, all of its threads, so garbage collection counts) at each, and
//    the table shows that difference divided by the messages echoed (the
//    child counts them too, and the two counts must agree), in microseconds.
//    The client's CPU is not in it: the client is the parent process.
//    Messages/s (wall clock, start to stop as the parent sees it) is shown
//    as a secondary figure: it depends on the client as much as on the
//    server, and on how many cores the machine has for the two processes.
//
// --previous DIR: the load part also runs a previous version of this
// project's server beside the two, from DIR, a copy of that version's
// dist/node: build it in a checkout of that version (git worktree add
// /tmp/previous-src COMMIT; npm run build:node there, with this project's
// node_modules linked in or installed) and copy its dist/node anywhere. It
// finds its packages (bufferutil) in this project's node_modules, as the
// current build does. Its column and the ratio ours/previous show what a
// change did, measured in the same run. (The serial part leaves it out.)
//
// --clients raw: in the load part, the clients are plain TCP sockets instead
// of `ws` clients. Each sends one frame, masked once in advance, and reads
// the echoes by their length, checking every frame's header and the first
// echo on each connection byte for byte. A `ws` client takes more CPU per
// message than either server, and all 50 share the parent's one thread: on a
// machine with two CPUs they are what limits the rate, and how many messages
// a server finds in each read, which changes its CPU per message. With light
// clients, each read brings a server more messages, as on a busy server;
// both servers are measured under the same clients. The serial part always
// uses `ws` clients.
//
// Environment:
//   BENCH_SCALE    multiplies the round-trip and message counts (default 1;
//                  e.g. 0.1 for a quick run)
//   BENCH_ROUNDS   measured runs per server and configuration (default 5)
//   BENCH_VERBOSE  1: also print each measured run of the load part
//   BENCH_PROFILE  a directory: the server children record a V8 CPU profile
//                  of each measured window of the load part there, named
//                  <server>-<type>-<size>-<round>.cpuprofile (open them in
//                  Chrome DevTools); the profiler's own cost is then in the
//                  CPU figures
//
// The echo handlers are each API's natural echo: this project's server uses
// receiveType/sendType 'text/plain' (text arrives as a string and is sent back
// as a string; binary arrives as a Uint8Array and goes back as binary); the ws
// server sends back the Buffer it received with { binary: isBinary } (ws
// validates text as UTF-8 but does not decode it to a string). Both count
// the messages they echo, which costs each the same.
'use strict';
const path = require('path');
const fs = require('fs');
const { fork } = require('child_process');

const CONFIGS = [
  // [size in bytes, round trips at BENCH_SCALE=1]
  [64, 20000],
  [16 * 1024, 5000],
  [128 * 1024, 1000],
  [1024 * 1024, 100]
];
const LOAD_CONFIGS = [
  // [size in bytes, messages per measured run at BENCH_SCALE=1]
  [64, 200000],
  [16 * 1024, 50000]
];
const LOAD_CONNECTIONS = 50;
const LOAD_WINDOW = 4;
const MAX_PAYLOAD = 64 * 1024 * 1024;

if (process.argv[2] === 'server') runServer(process.argv[3]);
else main(process.argv.slice(2)).catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});

// ---------------------------------------------------------------- server side

function runServer(kind) {
  let stop;
  let echoed = 0;
  const ready = (port) => process.send({ type: 'listening', port });
  if (kind === 'ours' || kind === 'previous') {
    const built = kind === 'ours' ? path.join(__dirname, '..', 'dist/node') : path.resolve(process.argv[4]);
    const { Server } = require(path.join(built, 'targets/node/index.js'));
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
        echoed++;
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
      ws.on('message', (data, isBinary) => {
        echoed++;
        ws.send(data, { binary: isBinary });
      });
      ws.on('error', (err) => console.error('ws: socket error: ' + err.message));
    });
    stop = () => wss.close();
  } else {
    console.error('unknown server kind ' + kind);
    process.exit(2);
  }

  // The measured window of the load part: from 'start' to 'stop'.
  const profileDir = process.env.BENCH_PROFILE;
  let session = null;
  let cpu0, echoed0, label;
  const post = (method, params) => new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => err ? reject(err) : resolve(result));
  });
  const onStart = async (msg) => {
    label = msg.label;
    if (profileDir) {
      if (!session) {
        session = new (require('inspector').Session)();
        session.connect();
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 200 });
      }
      await post('Profiler.start');
    }
    echoed0 = echoed;
    cpu0 = process.cpuUsage();
    process.send({ type: 'started' });
  };
  const onStop = async () => {
    const cpu = process.cpuUsage(cpu0);
    const count = echoed - echoed0;
    if (session) {
      const { profile } = await post('Profiler.stop');
      fs.mkdirSync(profileDir, { recursive: true });
      fs.writeFileSync(path.join(profileDir, kind + '-' + label + '.cpuprofile'), JSON.stringify(profile));
    }
    process.send({ type: 'stopped', user: cpu.user, system: cpu.system, echoed: count });
  };

  process.on('message', (msg) => {
    if (!msg) return;
    if (msg.type === 'start') onStart(msg).catch(die);
    else if (msg.type === 'stop') onStop().catch(die);
    else if (msg.type === 'rss') {
      const mu = process.memoryUsage();
      process.send({
        type: 'rss',
        rss: mu.rss,
        heapUsed: mu.heapUsed,
        external: mu.external + mu.arrayBuffers,
        maxRSS: process.resourceUsage().maxRSS * 1024
      });
    } else if (msg.type === 'exit') {
      stop();
      process.exit(0);
    }
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
}

function die(err) {
  console.error(err && err.stack || err);
  process.exit(1);
}

// ---------------------------------------------------------------- client side

function startServer(kind, dir) {
  return new Promise((resolve, reject) => {
    const env = Object.assign({}, process.env, { NODE_PATH: path.join(__dirname, '..', 'node_modules') });
    const child = fork(__filename, ['server', kind].concat(dir ? [dir] : []), { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

// Sends the server child a message and waits for its answer.
function ask(server, type, reply, extra) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg && msg.type === reply) {
        server.child.off('message', onMessage);
        resolve(msg);
      }
    };
    server.child.on('message', onMessage);
    server.child.send(Object.assign({ type }, extra));
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

function badEcho(reply, isBinary, data, binary) {
  return new Error('bad echo: ' + (isBinary ? 'binary' : 'text') + ' of ' +
    reply.length + ' bytes for ' + (binary ? 'binary' : 'text') + ' of ' + data.length);
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
      if (isBinary !== binary || reply.length !== data.length) return fail(badEcho(reply, isBinary, data, binary));
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

// `total` messages over the connections `conns`, each keeping `window` in
// flight: every connection sends `window` to begin with, and one more each
// time an echo comes back, while fewer than `total` have been sent. Resolves
// with the elapsed ns once all `total` echoes are in. `client` says how a
// message is sent on a connection (send(conn)) and how its echoes are read
// and checked (listen(conn, onEcho, fail), which gives back a function that
// stops listening).
function pipelined(conns, total, window, client) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let t0;
    let done = false;
    const detach = [];
    const finish = (err) => {
      if (done) return;
      done = true;
      for (const off of detach) off();
      if (err) reject(err);
      else resolve(Number(process.hrtime.bigint() - t0));
    };
    const onEcho = (conn) => {
      if (++received === total) return finish(null);
      if (sent < total) {
        sent++;
        client.send(conn);
      }
    };
    for (const conn of conns) detach.push(client.listen(conn, onEcho, finish));
    t0 = process.hrtime.bigint();
    for (let k = 0; k < window; k++) {
      for (const conn of conns) {
        if (sent === total) break;
        sent++;
        client.send(conn);
      }
    }
  });
}

// Messages of `data` on `ws` clients. Every echo is checked for type and
// length, the first on each connection byte for byte.
function wsEchoes(data, binary) {
  return {
    send: (ws) => ws.send(data, { binary }),
    listen(ws, onEcho, fail) {
      let first = true;
      const onMessage = (reply, isBinary) => {
        if (isBinary !== binary || reply.length !== data.length) return fail(badEcho(reply, isBinary, data, binary));
        if (first) {
          first = false;
          if (!reply.equals(data)) return fail(new Error('echo differs from what was sent'));
        }
        onEcho(ws);
      };
      const onClose = (code) => fail(new Error('connection closed (' + code + ') during a run'));
      ws.on('message', onMessage);
      ws.on('close', onClose);
      return () => {
        ws.off('message', onMessage);
        ws.off('close', onClose);
      };
    }
  };
}

// ---------------------------------------------------------------- raw clients

// A WebSocket client that costs little (--clients raw): a TCP socket.
function rawConnect(port) {
  const net = require('net');
  const key = require('crypto').randomBytes(16).toString('base64');
  const accept = require('crypto').createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let head = Buffer.alloc(0);
    sock.setNoDelay(true);
    // (Kept: an error later, a reset during a run, is then no crash; the
    // 'close' that follows fails the run.)
    sock.on('error', reject);
    sock.once('connect', () => sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1:' + port + '\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\nSec-WebSocket-Key: ' + key + '\r\nSec-WebSocket-Version: 13\r\n\r\n'));
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const text = head.toString('latin1', 0, end);
      if (!/^HTTP\/1\.1 101 /.test(text) || !new RegExp('\r\nsec-websocket-accept: ' + accept.replace(/[+/]/g, '\\$&') + '(\r|$)', 'i').test(text)) {
        sock.destroy();
        return reject(new Error('no 101 with the right Sec-WebSocket-Accept: ' + text.split('\r\n')[0]));
      }
      if (head.length > end + 4) {
        sock.destroy();
        return reject(new Error('bytes after the 101'));
      }
      resolve(sock);
    };
    sock.on('data', onData);
  });
}

// A frame of `data` as a client sends it (masked), and as the server sends
// it back (unmasked).
function rawFrames(data, binary) {
  const n = data.length;
  const len = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + len + n);
  const masked = Buffer.allocUnsafe(2 + len + 4 + n);
  out[0] = masked[0] = 0x80 | (binary ? 2 : 1);
  out[1] = len == 0 ? n : len == 2 ? 126 : 127;
  if (len == 2) out.writeUInt16BE(n, 2);
  if (len == 8) out.writeBigUInt64BE(BigInt(n), 2);
  out.copy(masked, 0, 0, 2 + len);
  masked[1] |= 0x80;
  const mask = [0x37, 0xfa, 0x21, 0x3d];
  masked.set(mask, 2 + len);
  for (let i = 0; i < n; i++) masked[6 + len + i] = data[i] ^ mask[i & 3];
  out.set(data, 2 + len);
  return { masked, echo: out, headerLength: 2 + len };
}

// Messages of `data` on raw clients: each sends one frame, masked in advance,
// and reads the echoes by their length, checking every echo's header and the
// first echo on each connection byte for byte.
function rawEchoes(data, binary) {
  const { masked, echo, headerLength } = rawFrames(data, binary);
  return {
    send: (sock) => sock.write(masked),
    listen(sock, onEcho, fail) {
      // The offset in the echo being read.
      let at = 0;
      let first = true;
      const onData = (d) => {
        let i = 0;
        while (i < d.length) {
          if (at < headerLength || first) {
            if (d[i] !== echo[at]) return fail(new Error('echo differs from what was sent, at byte ' + at));
            i++;
            at++;
          } else {
            const take = Math.min(echo.length - at, d.length - i);
            i += take;
            at += take;
          }
          if (at < echo.length) continue;
          at = 0;
          first = false;
          onEcho(sock);
        }
      };
      const onClose = () => fail(new Error('connection closed during a run'));
      sock.on('data', onData);
      sock.on('close', onClose);
      return () => {
        sock.off('data', onData);
        sock.off('close', onClose);
      };
    }
  };
}

// Sends a close frame (1000, masked) and waits for the TCP connection to
// close: the server answers, then closes it.
function rawClose(sock) {
  return new Promise((resolve) => {
    if (sock.destroyed) return resolve();
    sock.on('data', () => {});
    sock.once('close', resolve);
    sock.on('end', () => sock.end());
    sock.on('error', () => {});
    sock.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
  });
}

const WS_CLIENTS = { name: 'ws', connect, echoes: wsEchoes, close };
const RAW_CLIENTS = { name: 'raw TCP sockets', connect: rawConnect, echoes: rawEchoes, close: rawClose };

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

async function main(args) {
  const scale = process.env.BENCH_SCALE === undefined ? 1 : Number(process.env.BENCH_SCALE);
  const rounds = process.env.BENCH_ROUNDS === undefined ? 5 : Number(process.env.BENCH_ROUNDS);
  const verbose = process.env.BENCH_VERBOSE === '1';
  if (!(scale > 0)) throw new Error('BENCH_SCALE must be a positive number');
  if (!(rounds >= 1) || Math.floor(rounds) !== rounds) throw new Error('BENCH_ROUNDS must be a whole number >= 1');
  const { values, positionals } = require('util').parseArgs({
    args, allowPositionals: true, options: { previous: { type: 'string' }, clients: { type: 'string', default: 'ws' } }
  });
  if (values.clients !== 'ws' && values.clients !== 'raw') throw new Error('--clients ' + values.clients + ': ws or raw');
  for (const a of positionals) {
    if (a !== 'serial' && a !== 'load') throw new Error('unknown argument ' + a + ' (serial, load, or none for both)');
  }
  const parts = positionals.length ? positionals : ['serial', 'load'];
  if (values.previous && !fs.existsSync(path.join(values.previous, 'targets/node/index.js'))) {
    throw new Error('--previous ' + values.previous + ': no targets/node/index.js there (give a copy of a dist/node)');
  }

  const started = process.hrtime.bigint();
  const servers = [await startServer('ours'), await startServer('ws')];
  if (values.previous) servers.push(await startServer('previous', values.previous));
  const os = require('os');
  console.log('echo benchmark: node ' + process.version + ', ws ' + require('ws/package.json').version +
    ', ' + os.cpus().length + ' CPUs (' + (os.cpus()[0] || { model: '?' }).model.trim() + ')');
  console.log('BENCH_SCALE=' + scale + ', ' + rounds + ' rounds per server and configuration, alternating; medians');
  console.log('');

  if (parts.includes('serial')) await serialPart(servers.slice(0, 2), scale, rounds);
  if (parts.includes('load')) await loadPart(servers, scale, rounds, verbose, values.clients === 'raw' ? RAW_CLIENTS : WS_CLIENTS);

  console.log('server process memory after the run (MB = 10^6 bytes):');
  console.log('server      rss    max rss   heap used   external+buffers');
  for (const s of servers) {
    const m = await ask(s, 'rss', 'rss');
    console.log(
      s.kind.padEnd(8) + mb(m.rss).padStart(7) + mb(m.maxRSS).padStart(11) +
      mb(m.heapUsed).padStart(12) + mb(m.external).padStart(19)
    );
  }
  for (const s of servers) {
    const exited = new Promise((resolve) => s.child.once('exit', resolve));
    s.child.send({ type: 'exit' });
    await exited;
  }
  console.log('');
  console.log('total time: ' + (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1) + ' s');
}

async function serialPart(servers, scale, rounds) {
  console.log('serial round trips, one message in flight, one connection per server; ' +
    'MB/s = 2 x size x round trips / s');
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
}

async function loadPart(servers, scale, rounds, verbose, clients) {
  console.log('server CPU per echoed message: ' + LOAD_CONNECTIONS + ' connections per server, ' +
    LOAD_WINDOW + ' messages in flight on each; clients: ' + clients.name + ', in the parent process;');
  console.log('CPU = process.cpuUsage() (user + system) of the server process from start to stop / messages;');
  console.log('msg/s = wall clock, client and server together' +
    (process.env.BENCH_PROFILE ? '; PROFILING: the CPU figures include the profiler' : ''));
  const previous = servers.length > 2;
  const head =
    'type    size        messages' +
    '  ours us/msg' + '  ws us/msg' + '   ours/ws' +
    '   ours msg/s' + '   ws msg/s' +
    (previous ? '  prev us/msg  ours/prev' : '');
  console.log(head);
  console.log('-'.repeat(head.length));

  for (const binary of [false, true]) {
    for (const [size, baseCount] of LOAD_CONFIGS) {
      const total = Math.max(LOAD_CONNECTIONS * LOAD_WINDOW, Math.round(baseCount * scale));
      const data = payload(size, binary);
      const label = (binary ? 'binary' : 'text') + '-' + humanSize(size).replace(' ', '');
      const conns = [];
      for (const s of servers) {
        const opening = [];
        for (let c = 0; c < LOAD_CONNECTIONS; c++) opening.push(clients.connect(s.port));
        conns.push(await Promise.all(opening));
      }
      // Warm-up on the same connections: a fifth of a run.
      const warm = Math.max(LOAD_CONNECTIONS * LOAD_WINDOW, Math.round(total / 5));
      for (const cs of conns) await pipelined(cs, warm, LOAD_WINDOW, clients.echoes(data, binary));

      const cpu = servers.map(() => []);
      const rate = servers.map(() => []);
      for (let r = 0; r < rounds; r++) {
        const order = servers.map((_, i) => i);
        if (r % 2) order.reverse();
        for (const i of order) {
          await ask(servers[i], 'start', 'started', { label: label + '-' + (r + 1) });
          const ns = await pipelined(conns[i], total, LOAD_WINDOW, clients.echoes(data, binary));
          const m = await ask(servers[i], 'stop', 'stopped');
          if (m.echoed !== total) {
            throw new Error(servers[i].kind + ' echoed ' + m.echoed + ' messages in a run of ' + total);
          }
          cpu[i].push((m.user + m.system) / total);
          rate[i].push(total / (ns / 1e9));
          if (verbose) {
            console.log('  ' + label + ' round ' + (r + 1) + ' ' + servers[i].kind + ': ' +
              ((m.user + m.system) / total).toFixed(2) + ' us/msg (user ' + (m.user / total).toFixed(2) +
              ', system ' + (m.system / total).toFixed(2) + '), ' + (total / (ns / 1e9)).toFixed(0) + ' msg/s');
          }
        }
      }
      for (const cs of conns) await Promise.all(cs.map(clients.close));

      const us = cpu.map(median);
      const perS = rate.map(median);
      console.log(
        (binary ? 'binary' : 'text').padEnd(8) +
        humanSize(size).padEnd(10) +
        String(total).padStart(10) +
        us[0].toFixed(2).padStart(13) +
        us[1].toFixed(2).padStart(11) +
        (us[0] / us[1]).toFixed(2).padStart(10) +
        perS[0].toFixed(0).padStart(13) +
        perS[1].toFixed(0).padStart(11) +
        (previous ? us[2].toFixed(2).padStart(13) + (us[0] / us[2]).toFixed(2).padStart(11) : '')
      );
    }
  }
  console.log('-'.repeat(head.length));
  console.log('');
}
