// A slow reader: the server pushes a large stream of 16 KB binary messages
// (a sequence number in the first 4 bytes) as fast as send() allows, with
// queuePolicy 'fail' and maxQueue 256 KB, to a raw client whose socket is
// paused at first and then resumed in short bursts. The producer follows the
// intended backpressure pattern: a refused message is retried when 'drain'
// fires. bufferedAmount must never pass maxQueue, some sends must have been
// refused, and every accepted message must arrive exactly once, whole, and in
// order. The Node process's heap growth over the run is printed.
'use strict';
const assert = require('assert');
const net = require('net');
const { targets } = require('./helpers/targets');
const { Harness, delay, upgradeRequest, getGc } = require('./helpers/harness');
const { FrameReader } = require('./helpers/raw-client');

const MSG = 16 * 1024;
// 10 MB on every target (the emulated board keeps up, 536 bytes at a time).
const COUNT = 640;
const MAX_QUEUE = 256 * 1024;
// The reader takes about BURST bytes, then pauses PAUSE ms.
const BURST = 128 * 1024, PAUSE = 5;

/**
 * The Node-streams way to write the documented pattern ("send() returns
 * false: wait for drain and send again"): send while send() says yes; on
 * 'drain', go on.
 */
function plainProducer(s, n, size, prod) {
  let seq = 0;
  const pump = () => {
    prod.inSend = true;
    while (seq < n) {
      const ok = s.send(message(seq, size));
      prod.inSend = false;
      if (!ok) {
        prod.refusals++;
        prod.check('refused ' + seq);
        return;
      }
      prod.accepted.push(seq++);
      prod.check('sent ' + (seq - 1));
      prod.inSend = true;
    }
    prod.inSend = false;
    prod.done = true;
  };
  s.on('drain', () => {
    if (prod.inSend) prod.reentrant++;
    prod.drains++;
    prod.check('drain');
    pump();
  });
  pump();
}

/** The same, guarded against 'drain' arriving inside its own send(). */
function guardedProducer(s, n, size, prod) {
  let seq = 0, sending = false;
  const pump = () => {
    if (sending) {
      // 'drain' fired inside our own send(): the loop below goes on.
      prod.reentrant++;
      return;
    }
    sending = true;
    try {
      while (seq < n) {
        if (!s.send(message(seq, size))) {
          prod.refusals++;
          prod.check('refused ' + seq);
          return; // retried on 'drain'
        }
        prod.accepted.push(seq++);
        prod.check('sent ' + (seq - 1));
      }
      prod.done = true;
    } finally {
      sending = false;
    }
  };
  s.on('drain', () => {
    prod.drains++;
    prod.check('drain');
    pump();
  });
  pump();
}

/**
 * Streams `count` messages of `size` bytes from a server (queuePolicy
 * 'fail', maxQueue) to a slow reader: paused for `pausedMs`, then reading
 * about BURST bytes at a time. Returns what the producer and the reader saw.
 */
async function transfer(hs, target, o) {
  const prod = {
    accepted: [], refusals: 0, drains: 0, reentrant: 0, maxBuffered: 0, overLimit: [], done: false, socket: null, inSend: false,
    check: null
  };
  const { server, port } = await hs.startServer(
    { receiveType: 'application/octet-stream', sendType: 'application/octet-stream', queuePolicy: 'fail', maxQueue: o.maxQueue, closeTimeout: 5000 },
    {
      onSocket(s) {
        prod.socket = s;
        prod.check = (where) => {
          const b = s.bufferedAmount;
          if (b > prod.maxBuffered) prod.maxBuffered = b;
          if (b > o.maxQueue) prod.overLimit.push(where + ': ' + b);
        };
        s.on('error', (e) => prod.overLimit.push('socket error ' + e.message));
        if (o.startDelay) setTimeout(() => o.producer(s, o.count, o.size, prod), o.startDelay);
        else o.producer(s, o.count, o.size, prod);
      }
    }
  );
  const got = { seqs: [], bytes: 0, problems: [] };
  const client = await slowClient(port, (m) => {
    if (m.length !== o.size) return got.problems.push('message ' + got.seqs.length + ' has ' + m.length + ' bytes');
    const seq = m.readUInt32BE(0);
    if (!m.equals(message(seq, o.size))) got.problems.push('message ' + seq + ' is corrupted');
    got.seqs.push(seq);
    got.bytes += m.length;
  });
  const sampler = setInterval(() => {
    if (prod.socket) prod.check('sampled');
    if (o.onSample) o.onSample();
  }, 5);
  try {
    await delay(o.pausedMs);
    const refusedWhilePaused = prod.refusals;
    const deadline = Date.now() + 40000;
    let bursts = 0;
    while (!(prod.done && got.seqs.length >= prod.accepted.length) && !got.problems.length && Date.now() < deadline) {
      await client.burst(BURST, 50);
      await delay(PAUSE);
      bursts++;
    }
    client.sock.resume();
    // stats() is an optional feature (not in the small Espruino bundle).
    return { server, client, prod, got, bursts, refusedWhilePaused, stats: prod.socket.stats ? prod.socket.stats() : null };
  } finally {
    clearInterval(sampler);
  }
}

/** Describes how `seqs` differs from 0, 1, ... n-1. */
function orderProblems(seqs, n) {
  const out = [];
  const seen = new Map();
  for (let i = 0; i < seqs.length; i++) {
    if (seen.has(seqs[i])) out.push('message ' + seqs[i] + ' arrived twice (positions ' + seen.get(seqs[i]) + ' and ' + i + ')');
    seen.set(seqs[i], i);
  }
  for (let k = 0; k < n; k++) if (!seen.has(k)) out.push('message ' + k + ' never arrived');
  for (let i = 1; i < seqs.length; i++) if (seqs[i] < seqs[i - 1]) out.push('message ' + seqs[i] + ' after ' + seqs[i - 1]);
  return out.slice(0, 10);
}


function heapUsed(gc) {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

const mb = (n) => (n / 1048576).toFixed(1) + ' MB';

/** Message `seq` of `size` bytes: the number, big-endian, then bytes derived from it. */
function message(seq, size) {
  const b = Buffer.alloc(size || MSG);
  b.writeUInt32BE(seq, 0);
  for (let k = 4; k < b.length; k++) b[k] = (seq * 31 + k) & 255;
  return b;
}

/**
 * A raw client that completes the handshake and reassembles binary
 * messages, handing each to onMessage(buffer); its socket is paused as soon
 * as the 101 has arrived. It answers a close frame with a close frame.
 * client.burst(bytes) resumes the socket until about that many bytes have
 * been read (a slow reader takes a little at a time). Resolves with
 * { sock, problems, burst }.
 */
function slowClient(port, onMessage) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const problems = [];
    let head = Buffer.alloc(0), open = false, parts = null, budget = 0, burstDone = null;
    const reader = new FrameReader((f) => {
      if (f.masked) problems.push('masked frame');
      if (f.rsv) problems.push('RSV bits');
      if (f.opcode === 8) {
        sock.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, f.payload[0], f.payload[1]]));
        return;
      }
      if (f.opcode === 2) {
        if (parts) problems.push('new message inside a fragmented one');
        parts = [f.payload];
      } else if (f.opcode === 0) {
        if (!parts) return problems.push('continuation without a message');
        parts.push(f.payload);
      } else return problems.push('unexpected opcode ' + f.opcode);
      if (f.fin) {
        const m = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        parts = null;
        onMessage(m);
      }
    });
    sock.setNoDelay(true);
    sock.on('error', reject);
    sock.on('connect', () => sock.write(upgradeRequest(port).text));
    const client = {
      sock,
      problems,
      /** Reads about `bytes` more (or until `ms` pass), then pauses again. */
      burst(bytes, ms) {
        budget = bytes;
        return new Promise((done) => {
          const timer = setTimeout(() => burstDone && burstDone(), ms);
          burstDone = () => {
            clearTimeout(timer);
            burstDone = null;
            sock.pause();
            done();
          };
          sock.resume();
        });
      }
    };
    sock.on('data', (d) => {
      if (open) {
        reader.push(d);
        budget -= d.length;
        if (budget <= 0 && burstDone) burstDone();
        return;
      }
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = head.subarray(0, end).toString('latin1').split('\r\n')[0];
      if (!/^HTTP\/1\.1 101 /.test(status)) return reject(new Error('handshake refused: ' + status));
      open = true;
      sock.pause();
      const rest = head.subarray(end + 4);
      if (rest.length) reader.push(rest);
      resolve(client);
    });
  });
}

for (const target of targets) {
  const total = COUNT * MSG;

  describe('slow reader [' + target.name + ']', function () {
    this.timeout(60000);
    let hs;
    beforeEach(function () {
      hs = new Harness(target);
    });
    afterEach(async function () {
      await hs.cleanup();
    });

    it(mb(total) + ' as ' + COUNT + ' x 16 KB messages to a paused, then slowly resumed reader; queuePolicy fail, maxQueue 256 KB, retry on drain', async function () {
      const boardBefore = target.stats ? target.stats() : null;
      const gc = getGc();
      const heap0 = heapUsed(gc);
      let heapPeak = heap0;
      const t0 = Date.now();
      const r = await transfer(hs, target, {
        count: COUNT, size: MSG, maxQueue: MAX_QUEUE, pausedMs: 400, producer: guardedProducer,
        onSample: () => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed))
      });
      const elapsed = Date.now() - t0;
      const { prod, got, client, server, stats: st } = r;
      try {
        assert.deepStrictEqual(got.problems.concat(client.problems), [], 'what the reader saw');
        assert.deepStrictEqual(prod.overLimit, [], 'bufferedAmount passed maxQueue');
        assert.ok(prod.done, 'the producer finished (' + prod.accepted.length + ' accepted)');
        assert.deepStrictEqual(prod.accepted, Array.from({ length: COUNT }, (_, i) => i), 'accepted in order, each once');
        assert.deepStrictEqual(orderProblems(got.seqs, COUNT), [], 'every accepted message exactly once, in order');
        assert.strictEqual(got.seqs.length, COUNT, 'messages received');
        assert.strictEqual(got.bytes, total, 'bytes received');
        assert.ok(prod.maxBuffered <= MAX_QUEUE, 'max bufferedAmount ' + prod.maxBuffered);
        assert.ok(prod.refusals > 0, 'send() refused ' + prod.refusals + ' times');
        assert.strictEqual(!!st, !!target.extras, 'stats() is there with the optional features');
        if (st) {
          assert.strictEqual(st.refused, prod.refusals, 'stats().refused counts the refusals');
          assert.strictEqual(st.sent, COUNT, 'stats().sent');
          assert.strictEqual(st.dropped, 0, 'stats().dropped');
          assert.strictEqual(st.bufferedAmount, 0, 'stats().bufferedAmount at the end');
        }
        assert.strictEqual(prod.socket.bufferedAmount, 0, 'bufferedAmount at the end');
        assert.ok(prod.drains >= 1, "'drain' fired");

        // The connection is still healthy: close it cleanly.
        prod.socket.close(1000);
        await new Promise((resolve) => client.sock.on('close', resolve));
        const t = Date.now() + 5000;
        while (server.sockets.length && Date.now() < t) await delay(10);
        assert.strictEqual(server.sockets.length, 0);
        if (target.stats) {
          while (target.stats().sockets && Date.now() < t) await delay(10);
          const bs = target.stats();
          assert.strictEqual(bs.sockets, 0, 'sockets on the board');
          assert.strictEqual(bs.timers, 0, 'timers on the board');
          assert.deepStrictEqual(bs.uncaught.slice(boardBefore.uncaught.length), [], 'uncaught exceptions on the board');
          assert.deepStrictEqual(bs.hazards.filter((x) => boardBefore.hazards.indexOf(x) < 0), [], 'Espruino hazards');
        }
      } finally {
        client.sock.destroy();
      }
      const heap1 = heapUsed(gc);
      console.log('      slow reader [' + target.name + ']: ' + mb(total) + ' (' + COUNT + ' messages) in ' + elapsed + ' ms, ' + r.bursts +
        ' read bursts; ' + prod.refusals + ' refused sends (' + r.refusedWhilePaused + ' while paused), ' + prod.drains + " 'drain' events (" +
        prod.reentrant + ' inside send()), max bufferedAmount ' + prod.maxBuffered + ' of ' + MAX_QUEUE + '; heapUsed ' + mb(heap0) + ' -> ' +
        mb(heap1) + ' (growth ' + mb(heap1 - heap0) + ', peak ' + mb(heapPeak) + ')' + (gc ? ', after gc' : ', no gc available: not collected'));
    });

    it("the same pattern written the Node-streams way (send while send() says yes, go on at 'drain') sends each message once, in order", async function () {
      // 1000 messages of 4 KB (more than the kernel buffers while the reader
      // is paused), maxQueue 16 KB, the producer starting a little after the
      // handshake: the first send() finds the socket idle and its message
      // goes straight out to the network.
      const N = 1000, SIZE = 4096;
      const r = await transfer(hs, target, { count: N, size: SIZE, maxQueue: 16384, pausedMs: 100, startDelay: 30, producer: plainProducer });
      const { prod, got, client } = r;
      try {
        const why = prod.reentrant ? " ('drain' was emitted " + prod.reentrant + ' time(s) synchronously inside send(), re-entering the producer' +
          ' before send() had returned)' : '';
        assert.deepStrictEqual(got.problems.concat(client.problems), [], 'what the reader saw');
        assert.deepStrictEqual(prod.overLimit, [], 'bufferedAmount passed maxQueue');
        assert.deepStrictEqual(orderProblems(got.seqs, N), [], 'every message exactly once, in order' + why);
        assert.deepStrictEqual(prod.accepted, Array.from({ length: N }, (_, i) => i), 'the producer\'s view: each message accepted once' + why);
        assert.ok(prod.refusals > 0, 'send() refused ' + prod.refusals + ' times');
        if (r.stats) assert.strictEqual(r.stats.refused, prod.refusals, 'stats().refused');
      } finally {
        client.sock.destroy();
      }
    });
  });
}
