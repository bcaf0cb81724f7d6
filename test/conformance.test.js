// The Autobahn TestSuite fuzzingclient cases (1.x-7.x, 9.x, 10.x, 12.x/13.x),
// re-created as raw-TCP tests against the conformance echo server, on every
// target of test/helpers/targets.js. Titles carry Autobahn's case numbers;
// test/AUTOBAHN.md maps each case group to its tests. Byte vectors live in
// test/fixtures/ (frames.json, utf8-cases.json).
//
// Verdicts follow Autobahn's, made strict where RFC 6455 leaves no choice:
// - "echo" cases: exactly the expected messages/pongs come back, then our
//   close 1000 is answered with close 1000 and the server closes TCP.
// - "fail" cases: whatever had to come back first (an earlier echo), then a
//   close frame with the code (1002 may also be a bare TCP close; 1007 needs
//   the frame), nothing else, and the server closes TCP without waiting for
//   our close frame.
'use strict';
const { freePort } = require('./helpers/free-port');

const assert = require('assert');
const net = require('net');
const zlib = require('zlib');
const { targets } = require('./helpers/targets');
const { RawClient, frame, fragments, closePayload, bytes, hex, OP, sleep, describeEvent } = require('./helpers/raw-client');
const utf8Cases = require('./fixtures/utf8-cases.json');
const fx = require('./fixtures/frames.json');

const KB = 1024, MB = 1024 * 1024;

/**
 * Per-target sizes and times. scale multiplies the 9.x message sizes and the
 * 9.7/9.8 and 12.x message counts (titles then give Autobahn's sizes too);
 * slow stretches every timeout and wait. Targets may set
 * `conformance: { scale, slow }` themselves. The emulated ESP32 runs the
 * whole suite at full size in about the time Node takes, so it is not
 * scaled; its maxPayload (2 MB, from its defaults) turns the larger 9.1/9.2
 * cases into maxPayload checks instead (see below).
 */
const PROFILES = {
  node: { scale: 1, slow: 1 },
  'espruino-emulated': { scale: 1, slow: 2 }
};

/** Payload bytes per outgoing frame by default (README, Limits and
 *  defaults): Node sends whole messages, Espruino boards fragment them. */
const FRAGMENT = { node: 0, ESP32: 532, ESP8266: 264 };

function fragmentOf(target) {
  const f = FRAGMENT[target.board || target.name];
  assert.ok(f !== undefined, 'no default fragment size known for ' + target.name);
  return f;
}

function profileOf(target) {
  return Object.assign({ scale: 1, slow: 1 }, PROFILES[target.name], target.conformance);
}


/** The options of the conformance echo server on this target. */
function echoOptions(target, port) {
  return Object.assign({
    hostInterface: '127.0.0.1',
    port,
    receiveType: 'text/plain',
    sendType: 'text/plain',
    maxPayload: 16 * MB
  }, target.defaults);
}

/** The conformance echo server on this target; resolves { server, port }. */
async function startEchoServer(target) {
  const m = target.load();
  const port = target.pickPort ? await freePort() : 0;
  const s = new m.Server(echoOptions(target, port));
  s.on('connection', (sock) => sock.on('message', (v) => sock.send(v)));
  const listening = await new Promise((resolve, reject) => {
    s.on('listening', resolve);
    s.on('error', reject);
    s.start();
  });
  return { server: s, port: listening || port };
}

function sizeName(n) {
  if (n >= MB && n % MB === 0) return n / MB + ' MB';
  if (n >= KB && n % KB === 0) return n / KB + ' KB';
  return n + ' bytes';
}

/** A payload of n bytes repeating `pattern` (as Autobahn's payload_len does). */
function repeat(pattern, n) {
  const p = bytes(pattern), b = Buffer.alloc(n);
  for (let i = 0; i < n; i += p.length) p.copy(b, i, 0, Math.min(p.length, n - i));
  return b;
}

/** Exactly n bytes of UTF-8 text: `text` repeated, cut on a code point
 *  boundary, padded with spaces. */
function utf8Of(text, n) {
  const b = repeat(text, n + 4); // a few bytes past n, to see where n falls
  let end = n;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  b.fill(0x20, end, n);
  return b.subarray(0, n);
}

/** The UTF-8 sequence split at code point boundaries (lead bytes). */
function codePoints(b) {
  const out = [];
  let start = 0;
  for (let i = 1; i <= b.length; i++) {
    if (i === b.length || (b[i] & 0xc0) !== 0x80) {
      out.push(b.subarray(start, i));
      start = i;
    }
  }
  return out;
}

/** A text message as frames, one per piece (an empty list: one empty frame). */
function textFrames(pieces) {
  if (!pieces.length) return [{ opcode: OP.TEXT, payload: '' }];
  return pieces.map((p, i) => ({ opcode: i ? OP.CONT : OP.TEXT, fin: i === pieces.length - 1, payload: p }));
}

// ---- expected events ----

const TEXT = (d) => ({ type: 'text', data: bytes(d) });
const BINARY = (d) => ({ type: 'binary', data: bytes(d) });
const PONG = (d) => ({ type: 'pong', data: bytes(d) });
/** A close frame with one of these codes; null stands for an empty payload. */
const CLOSE = (...codes) => ({ type: 'close', codes });

function matches(a, e) {
  if (a.type !== e.type) return false;
  if (e.type === 'close') return e.codes.some((c) => (c === null ? a.payload.length === 0 : a.code === c));
  return a.data.equals(e.data);
}

function describeExpected(e) {
  if (e.type === 'close') return 'close(' + e.codes.map((c) => (c === null ? 'empty' : c)).join(' or ') + ')';
  return describeEvent(e);
}

function assertEvents(c, expected) {
  const ok = c.events.length === expected.length && expected.every((e, i) => matches(c.events[i], e));
  if (!ok) {
    assert.fail('expected [' + expected.map(describeExpected).join(', ') + '], received ' + c.describe());
  }
}

function assertNoViolations(c) {
  if (c.violations.length) assert.fail('server broke RFC 6455: ' + c.violations.join('; ') + '; received ' + c.describe());
}

function defineCases(target) {
  const prof = profileOf(target);
  const scaled = prof.scale !== 1;
  const T = {
    event: 5000 * prof.slow, // for an expected frame
    close: 5000 * prof.slow, // for the TCP connection to close
    quiet: 150 * prof.slow // to show that the server is waiting (6.4.x)
  };
  const maxPayload = echoOptions(target, 0).maxPayload;
  const fragment = fragmentOf(target);
  let server, port, boardBefore;
  const clients = [];

  before(async function () {
    this.timeout(20000);
    ({ server, port } = await startEchoServer(target));
    if (target.stats) boardBefore = target.stats();
  });
  after(() => {
    for (const c of clients) c.destroy();
    if (server) server.stop();
  });
  afterEach(() => {
    while (clients.length) clients.pop().destroy();
  });

  async function open(opts) {
    const c = await RawClient.connect(port, Object.assign({ timeout: T.event }, opts));
    clients.push(c);
    return c;
  }

  /** Autobahn's passing "echo" verdict: the expected events, then a clean
   *  close (ours 1000, answered 1000) with the server closing TCP. */
  async function expectEchoes(c, expected) {
    await c.waitEvents(expected.length, T.event);
    await c.sendClose(1000);
    await c.waitClosed(T.close);
    assertEvents(c, expected.concat([CLOSE(1000)]));
    assertNoViolations(c);
    assert.ok(c.gotFin, 'the server did not close the TCP connection');
  }

  /** Autobahn's "connection failed" verdict: the `before` events, then a close
   *  frame with `code` (for 1002 also no frame at all), and the server closes
   *  TCP without waiting for anything from us. */
  async function expectFailure(c, code, before) {
    before = before || [];
    await c.waitClosed(T.close);
    const ev = c.events;
    const prefixOk = ev.length >= before.length && before.every((e, i) => matches(ev[i], e));
    const rest = ev.slice(before.length);
    const tailOk = rest.length === 0 ? code === 1002 : rest.length === 1 && rest[0].type === 'close' && rest[0].code === code;
    if (!prefixOk || !tailOk) {
      assert.fail('expected [' + before.map(describeExpected).concat(['close(' + code + ')' + (code === 1002 ? ' or none' : '')]).join(', ') +
        ', TCP closed], received ' + c.describe());
    }
    assertNoViolations(c);
  }

  /** Sends, then expects the connection to be failed with `code`. */
  async function sendExpectingFailure(what, sendOpts, code, before) {
    const c = await open();
    await c.send(what, sendOpts);
    await expectFailure(c, code, before);
  }

  /** Sends, then expects the echoes and a clean close. */
  async function sendExpectingEchoes(what, sendOpts, expected) {
    const c = await open();
    await c.send(what, sendOpts);
    await expectEchoes(c, expected);
  }

  // ---------------------------------------------------------------- 1.x
  describe('1 Framing', function () {
    const sizes = [0, 125, 126, 127, 128, 65535, 65536];
    for (const [group, opcode, kind, fill, EV] of [['1.1', OP.TEXT, 'text', '*', TEXT], ['1.2', OP.BINARY, 'binary', [0xfe], BINARY]]) {
      sizes.forEach((n, i) => {
        it(`${group}.${i + 1} ${kind}, ${n} bytes`, async function () {
          const p = repeat(fill, n);
          await sendExpectingEchoes({ opcode, payload: p }, {}, [EV(p)]);
        });
      });
      it(`${group}.8 ${kind}, 65536 bytes sent in chops of 997 bytes`, async function () {
        const p = repeat(fill, 65536);
        await sendExpectingEchoes({ opcode, payload: p }, { chop: 997 }, [EV(p)]);
      });
    }
  });

  // ---------------------------------------------------------------- 2.x
  describe('2 Pings/Pongs', function () {
    it('2.1 ping, 0 bytes -> pong', async function () {
      await sendExpectingEchoes({ opcode: OP.PING }, {}, [PONG('')]);
    });
    it('2.2 ping, small text payload -> pong', async function () {
      await sendExpectingEchoes({ opcode: OP.PING, payload: 'Hello, world!' }, {}, [PONG('Hello, world!')]);
    });
    it('2.3 ping, small binary (non-UTF-8) payload -> pong', async function () {
      const p = hex('00fffefdfcfb00ff');
      await sendExpectingEchoes({ opcode: OP.PING, payload: p }, {}, [PONG(p)]);
    });
    it('2.4 ping, 125 bytes -> pong', async function () {
      const p = Buffer.alloc(125, 0xfe);
      await sendExpectingEchoes({ opcode: OP.PING, payload: p }, {}, [PONG(p)]);
    });
    it('2.5 ping, 126 bytes -> close 1002', async function () {
      await sendExpectingFailure({ opcode: OP.PING, payload: Buffer.alloc(126, 0xfe) }, {}, 1002);
    });
    it('2.6 ping, 125 bytes sent in 1-byte chops -> pong', async function () {
      const p = Buffer.alloc(125, 0xfe);
      await sendExpectingEchoes({ opcode: OP.PING, payload: p }, { chop: 1 }, [PONG(p)]);
    });
    it('2.7 unsolicited pong, 0 bytes -> no reply', async function () {
      await sendExpectingEchoes({ opcode: OP.PONG }, {}, []);
    });
    it('2.8 unsolicited pong with payload -> no reply', async function () {
      await sendExpectingEchoes({ opcode: OP.PONG, payload: 'unsolicited pong payload' }, {}, []);
    });
    it('2.9 unsolicited pong, then ping -> only the pong for the ping', async function () {
      await sendExpectingEchoes([
        { opcode: OP.PONG, payload: 'unsolicited pong payload' },
        { opcode: OP.PING, payload: 'ping payload' }
      ], {}, [PONG('ping payload')]);
    });
    const tenPings = () => Array.from({ length: 10 }, (_, i) => ({ opcode: OP.PING, payload: 'payload-' + i }));
    const tenPongs = () => Array.from({ length: 10 }, (_, i) => PONG('payload-' + i));
    it('2.10 ten pings, one write each -> ten pongs in order', async function () {
      await sendExpectingEchoes(tenPings(), { each: true }, tenPongs());
    });
    it('2.10 ten pings in a single write -> ten pongs in order', async function () {
      await sendExpectingEchoes(tenPings(), {}, tenPongs());
    });
    it('2.11 ten pings sent in 1-byte chops -> ten pongs in order', async function () {
      await sendExpectingEchoes(tenPings(), { chop: 1 }, tenPongs());
    });
  });

  // ---------------------------------------------------------------- 3.x
  describe('3 Reserved bits', function () {
    const hello = 'Hello, world!';
    it('3.1 text with RSV=1 -> close 1002', async function () {
      await sendExpectingFailure({ opcode: OP.TEXT, payload: hello, rsv: 1 }, {}, 1002);
    });
    const withPing = (rsv) => [
      { opcode: OP.TEXT, payload: hello },
      { opcode: OP.TEXT, payload: hello, rsv },
      { opcode: OP.PING }
    ];
    it('3.2 text, text with RSV=2, ping (one write) -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure(withPing(2), {}, 1002, [TEXT(hello)]);
    });
    it('3.3 text, text with RSV=3, ping (frame-wise writes) -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure(withPing(3), { each: true }, 1002, [TEXT(hello)]);
    });
    it('3.4 text, text with RSV=4, ping (1-byte chops) -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure(withPing(4), { chop: 1 }, 1002, [TEXT(hello)]);
    });
    it('3.5 binary with RSV=5 -> close 1002', async function () {
      await sendExpectingFailure({ opcode: OP.BINARY, payload: hex('00fffefdfcfb00ff'), rsv: 5 }, {}, 1002);
    });
    it('3.6 ping with RSV=6 -> close 1002, no pong', async function () {
      await sendExpectingFailure({ opcode: OP.PING, payload: hello, rsv: 6 }, {}, 1002);
    });
    it('3.7 close with RSV=7 -> close 1002', async function () {
      await sendExpectingFailure({ opcode: OP.CLOSE, payload: closePayload(1000), rsv: 7 }, {}, 1002);
    });
    describe('3.x (extra) every RSV value on every frame type, after a valid message', function () {
      for (const [name, opcode, payload] of [['text', OP.TEXT, hello], ['binary', OP.BINARY, hex('00ff')],
        ['ping', OP.PING, 'ping'], ['close', OP.CLOSE, closePayload(1000)]]) {
        for (let rsv = 1; rsv <= 7; rsv++) {
          it(`3.x ${name} with RSV=${rsv} -> echo of the message before, close 1002`, async function () {
            await sendExpectingFailure([{ opcode: OP.TEXT, payload: 'before' }, { opcode, payload, rsv }],
              {}, 1002, [TEXT('before')]);
          });
        }
      }
    });
  });

  // ---------------------------------------------------------------- 4.x
  describe('4 Opcodes', function () {
    const hello = 'Hello, world!';
    const reserved = 'reserved opcode payload';
    it('4.1.1 reserved non-control opcode 3 -> close 1002', async function () {
      await sendExpectingFailure({ opcode: 3 }, {}, 1002);
    });
    it('4.1.2 reserved non-control opcode 4 with payload -> close 1002', async function () {
      await sendExpectingFailure({ opcode: 4, payload: reserved }, {}, 1002);
    });
    it('4.1.3 text, opcode 5, ping -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: 5 }, { opcode: OP.PING }], {}, 1002, [TEXT(hello)]);
    });
    it('4.1.4 text, opcode 6 with payload, ping -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: 6, payload: hello }, { opcode: OP.PING }],
        {}, 1002, [TEXT(hello)]);
    });
    it('4.1.5 text, opcode 7 with payload, ping (1-byte chops) -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: 7, payload: hello }, { opcode: OP.PING }],
        { chop: 1 }, 1002, [TEXT(hello)]);
    });
    it('4.2.1 reserved control opcode 11 -> close 1002', async function () {
      await sendExpectingFailure({ opcode: 11 }, {}, 1002);
    });
    it('4.2.2 reserved control opcode 12 with payload -> close 1002', async function () {
      await sendExpectingFailure({ opcode: 12, payload: reserved }, {}, 1002);
    });
    it('4.2.3 text, opcode 13, ping -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: 13 }, { opcode: OP.PING }], {}, 1002, [TEXT(hello)]);
    });
    it('4.2.4 text, opcode 14 with payload, ping -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: 14, payload: hello }, { opcode: OP.PING }],
        {}, 1002, [TEXT(hello)]);
    });
    it('4.2.5 text, opcode 15 with payload, ping (1-byte chops) -> echo, close 1002, no pong', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: 15, payload: hello }, { opcode: OP.PING }],
        { chop: 1 }, 1002, [TEXT(hello)]);
    });
    describe('4.x (extra) every reserved opcode, with and without payload, first and after a valid message', function () {
      for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
        for (const payload of ['', reserved]) {
          const what = `opcode ${opcode}${payload ? ' with payload' : ''}`;
          it(`4.x ${what} -> close 1002`, async function () {
            await sendExpectingFailure({ opcode, payload }, {}, 1002);
          });
          it(`4.x text, then ${what} -> echo, close 1002`, async function () {
            await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode, payload }], {}, 1002, [TEXT(hello)]);
          });
        }
      }
    });
  });

  // ---------------------------------------------------------------- 5.x
  describe('5 Fragmentation', function () {
    const f = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
    const hello = 'Hello, world!';
    it('5.1 ping in 2 fragments -> close 1002', async function () {
      await sendExpectingFailure([{ opcode: OP.PING, fin: false, payload: f[0] }, { opcode: OP.CONT, payload: f[1] }], {}, 1002);
    });
    it('5.2 pong in 2 fragments -> close 1002', async function () {
      await sendExpectingFailure([{ opcode: OP.PONG, fin: false, payload: f[0] }, { opcode: OP.CONT, payload: f[1] }], {}, 1002);
    });
    const two = () => [{ opcode: OP.TEXT, fin: false, payload: f[0] }, { opcode: OP.CONT, payload: f[1] }];
    it('5.3 text in 2 fragments (one write) -> echo', async function () {
      await sendExpectingEchoes(two(), {}, [TEXT(f[0] + f[1])]);
    });
    it('5.4 text in 2 fragments (frame-wise writes) -> echo', async function () {
      await sendExpectingEchoes(two(), { each: true }, [TEXT(f[0] + f[1])]);
    });
    it('5.5 text in 2 fragments (1-byte chops) -> echo', async function () {
      await sendExpectingEchoes(two(), { chop: 1 }, [TEXT(f[0] + f[1])]);
    });
    const withPing = () => [
      { opcode: OP.TEXT, fin: false, payload: f[0] },
      { opcode: OP.PING, payload: 'ping payload' },
      { opcode: OP.CONT, payload: f[1] }
    ];
    it('5.6 text in 2 fragments, ping between (one write) -> pong, then echo', async function () {
      await sendExpectingEchoes(withPing(), {}, [PONG('ping payload'), TEXT(f[0] + f[1])]);
    });
    it('5.7 text in 2 fragments, ping between (frame-wise writes) -> pong, then echo', async function () {
      await sendExpectingEchoes(withPing(), { each: true }, [PONG('ping payload'), TEXT(f[0] + f[1])]);
    });
    it('5.8 text in 2 fragments, ping between (1-byte chops) -> pong, then echo', async function () {
      await sendExpectingEchoes(withPing(), { chop: 1 }, [PONG('ping payload'), TEXT(f[0] + f[1])]);
    });
    const nothing = (fin) => [{ opcode: OP.CONT, fin, payload: 'non-continuation payload' }, { opcode: OP.TEXT, payload: hello }];
    const modes = [['one write', {}], ['frame-wise writes', { each: true }], ['1-byte chops', { chop: 1 }]];
    modes.forEach(([mode, opts], i) => {
      it(`5.${9 + i} continuation (FIN) with nothing to continue, then text (${mode}) -> close 1002`, async function () {
        await sendExpectingFailure(nothing(true), opts, 1002);
      });
    });
    modes.forEach(([mode, opts], i) => {
      it(`5.${12 + i} continuation (no FIN) with nothing to continue, then text (${mode}) -> close 1002`, async function () {
        await sendExpectingFailure(nothing(false), opts, 1002);
      });
    });
    it('5.12 (extra) unfragmented text, then a continuation frame -> echo, close 1002', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, payload: hello }, { opcode: OP.CONT, payload: 'continuation' }], {}, 1002, [TEXT(hello)]);
    });
    it('5.15 text in 2 fragments, then continuation (no FIN) with nothing to continue, then text -> echo, close 1002', async function () {
      await sendExpectingFailure([
        { opcode: OP.TEXT, fin: false, payload: f[0] },
        { opcode: OP.CONT, payload: f[1] },
        { opcode: OP.CONT, fin: false, payload: f[2] },
        { opcode: OP.TEXT, payload: f[3] }
      ], {}, 1002, [TEXT(f[0] + f[1])]);
    });
    const twice = (fin) => {
      const one = [{ opcode: OP.CONT, fin, payload: f[0] }, { opcode: OP.TEXT, fin: false, payload: f[1] }, { opcode: OP.CONT, payload: f[2] }];
      return one.concat(one);
    };
    it('5.16 2x (continuation no FIN with nothing to continue, text in 2 fragments) -> close 1002', async function () {
      await sendExpectingFailure(twice(false), {}, 1002);
    });
    it('5.17 2x (continuation FIN with nothing to continue, text in 2 fragments) -> close 1002', async function () {
      await sendExpectingFailure(twice(true), {}, 1002);
    });
    it('5.18 text in 2 fragments, both with opcode text -> close 1002', async function () {
      await sendExpectingFailure([{ opcode: OP.TEXT, fin: false, payload: f[0] }, { opcode: OP.TEXT, payload: f[1] }], {}, 1002);
    });
    // 5.19/5.20: Autobahn waits 1 s between the two parts; here the first pong
    // must arrive while the message is still incomplete, then part 2 is sent.
    const pings = ['pongme 1!', 'pongme 2!'];
    const part1 = () => [
      { opcode: OP.TEXT, fin: false, payload: f[0] },
      { opcode: OP.CONT, fin: false, payload: f[1] },
      { opcode: OP.PING, payload: pings[0] }
    ];
    const part2 = () => [
      { opcode: OP.CONT, fin: false, payload: f[2] },
      { opcode: OP.CONT, fin: false, payload: f[3] },
      { opcode: OP.PING, payload: pings[1] },
      { opcode: OP.CONT, payload: f[4] }
    ];
    const pingsBetween = async (opts) => {
      const c = await open();
      await c.send(part1(), opts);
      await c.waitEvents(1, T.event);
      assertEvents(c, [PONG(pings[0])]);
      await c.send(part2(), opts);
      await expectEchoes(c, [PONG(pings[0]), PONG(pings[1]), TEXT(f.join(''))]);
    };
    it('5.19 text in 5 fragments, pings between (one write per part) -> pong before the message ends, pong, echo', async function () {
      await pingsBetween({});
    });
    it('5.20 text in 5 fragments, pings between (frame-wise writes) -> pong before the message ends, pong, echo', async function () {
      await pingsBetween({ each: true });
    });
    it('5.20 (extra) text in 5 fragments, pings between (1-byte chops) -> pong before the message ends, pong, echo', async function () {
      await pingsBetween({ chop: 1 });
    });
  });

  // ---------------------------------------------------------------- 6.x
  describe('6 UTF-8 handling', function () {
    const hello = hex(utf8Cases.strings.hello.hex);
    const kosme = hex(utf8Cases.strings.kosme.hex);
    it('6.1.1 text, 0 bytes -> echo', async function () {
      await sendExpectingEchoes({ opcode: OP.TEXT, payload: '' }, {}, [TEXT('')]);
    });
    it('6.1.2 text in 3 empty fragments -> empty echo', async function () {
      await sendExpectingEchoes(textFrames(['', '', '']), {}, [TEXT('')]);
    });
    it('6.1.3 text in 3 fragments, only the middle one non-empty -> echo', async function () {
      await sendExpectingEchoes(textFrames(['', 'middle frame payload', '']), {}, [TEXT('middle frame payload')]);
    });
    it('6.2.1 "Hello-µ@ßöäüàá-UTF-8!!" in one frame -> echo', async function () {
      await sendExpectingEchoes({ opcode: OP.TEXT, payload: hello }, {}, [TEXT(hello)]);
    });
    it('6.2.2 "Hello-µ@ßöäüàá-UTF-8!!" in 2 fragments split on a code point boundary -> echo', async function () {
      await sendExpectingEchoes(textFrames(utf8Cases['6.2.2'].fragments.map(hex)), {}, [TEXT(hello)]);
    });
    it('6.2.3 "Hello-µ@ßöäüàá-UTF-8!!" in 1-byte fragments -> echo', async function () {
      await sendExpectingEchoes(textFrames([...hello].map((b) => [b])), {}, [TEXT(hello)]);
    });
    it('6.2.4 "κόσμε" in 1-byte fragments -> echo', async function () {
      await sendExpectingEchoes(textFrames([...kosme].map((b) => [b])), {}, [TEXT(kosme)]);
    });
    const bad = hex(utf8Cases['6.3'].hex);
    it('6.3.1 invalid UTF-8 (κόσμε + U+D800 + "edited") in one frame -> close 1007', async function () {
      await sendExpectingFailure({ opcode: OP.TEXT, payload: bad }, {}, 1007);
    });
    it('6.3.2 the same in 1-byte fragments -> close 1007', async function () {
      await sendExpectingFailure(textFrames([...bad].map((b) => [b])), { each: true }, 1007);
    });

    /** 6.4.x: part 1 is accepted (the server stays quiet), part 2 makes the
     *  payload invalid and must be refused at once: part 3 is never sent. */
    async function failFast(parts) {
      const c = await open();
      await c.send(parts[0]);
      await sleep(T.quiet);
      assert.deepStrictEqual(c.events.map(describeEvent), [], 'the server answered the valid first part');
      assert.ok(!c.gotFin && !c.closed, 'the server closed the connection after the valid first part');
      await c.send(parts[1]);
      await expectFailure(c, 1007);
    }
    const p41 = utf8Cases['6.4.1'].parts.map(hex), p42 = utf8Cases['6.4.2'].parts.map(hex);
    it('6.4.1 fail fast: frame κόσμε, then frame f4 90 80 80 (U+110000), never the rest -> close 1007', async function () {
      await failFast([{ opcode: OP.TEXT, fin: false, payload: p41[0] }, { opcode: OP.CONT, fin: false, payload: p41[1] }]);
    });
    it('6.4.2 fail fast: frame κόσμε f4, then frame 90, never the rest -> close 1007', async function () {
      await failFast([{ opcode: OP.TEXT, fin: false, payload: p42[0] }, { opcode: OP.CONT, fin: false, payload: p42[1] }]);
    });
    it('6.4.3 fail fast: one frame, sent as κόσμε then f4 90 80 80, never the rest -> close 1007', async function () {
      // One masked frame announcing the whole payload, written in pieces.
      const whole = Buffer.concat(p41);
      const b = frame({ opcode: OP.TEXT, payload: whole });
      const head = b.length - whole.length;
      await failFast([b.subarray(0, head + p41[0].length), b.subarray(head + p41[0].length, head + p41[0].length + p41[1].length)]);
    });
    it('6.4.4 fail fast: one frame, sent as κόσμε f4 then 90, never the rest -> close 1007', async function () {
      const whole = Buffer.concat(p42);
      const b = frame({ opcode: OP.TEXT, payload: whole });
      const head = b.length - whole.length;
      await failFast([b.subarray(0, head + p42[0].length), b.subarray(head + p42[0].length, head + p42[0].length + p42[1].length)]);
    });

    // 6.5.x-6.23.x: Autobahn's UTF-8 test sequences, and a few extra ones.
    const all = utf8Cases.sequences.concat(utf8Cases.extraSequences);
    for (const s of all) {
      const b = hex(s.hex);
      const shown = b.length > 12 ? b.subarray(0, 12).toString('hex') + '... (' + b.length + ' bytes)' : b.toString('hex');
      const title = `${s.case} ${s.group}: ${shown}`;
      if (s.valid) {
        it(`${title} -> echo`, async function () {
          await sendExpectingEchoes({ opcode: OP.TEXT, payload: b }, {}, [TEXT(b)]);
        });
        it(`${title}, 1-byte fragments -> echo`, async function () {
          await sendExpectingEchoes(textFrames([...b].map((x) => [x])), {}, [TEXT(b)]);
        });
        it(`${title}, one fragment per code point -> echo`, async function () {
          await sendExpectingEchoes(textFrames(codePoints(b)), {}, [TEXT(b)]);
        });
      } else {
        it(`${title} -> close 1007`, async function () {
          await sendExpectingFailure({ opcode: OP.TEXT, payload: b }, {}, 1007);
        });
        if (s.failAt < b.length) {
          it(`${title}, fail fast: 1-byte fragments up to the bad byte at ${s.failAt}, no FIN -> close 1007`, async function () {
            const frames = [...b.subarray(0, s.failAt + 1)].map((x, i) => ({ opcode: i ? OP.CONT : OP.TEXT, fin: false, payload: [x] }));
            await sendExpectingFailure(frames, {}, 1007);
          });
        } else {
          it(`${title}, 1-byte fragments (only the end is incomplete) -> close 1007`, async function () {
            await sendExpectingFailure(textFrames([...b].map((x) => [x])), {}, 1007);
          });
        }
      }
    }
  });

  // ---------------------------------------------------------------- 7.x
  describe('7 Close handling', function () {
    const hw = 'Hello World!';
    const close = (code, reason) => ({ opcode: OP.CLOSE, payload: closePayload(code, reason) });
    it('7.1.1 text, then close -> echo, then close 1000, TCP closed', async function () {
      const c = await open();
      await c.send([{ opcode: OP.TEXT, payload: hw }, close(1000)]);
      await c.waitClosed(T.close);
      assertEvents(c, [TEXT(hw), CLOSE(1000)]);
      assertNoViolations(c);
      assert.ok(c.gotFin, 'the server did not close the TCP connection');
    });
    /** Sends, expects just the close reply (one of `codes`) and the server
     *  closing TCP. */
    async function closeReply(what, opts, codes, before) {
      const c = await open();
      await c.send(what, opts);
      await c.waitClosed(T.close);
      assertEvents(c, (before || []).concat([CLOSE(...codes)]));
      assertNoViolations(c);
      assert.ok(c.gotFin, 'the server did not close the TCP connection');
    }
    it('7.1.2 close twice -> one close 1000, the second ignored', async function () {
      await closeReply([close(1000), close()], { each: true }, [1000]);
    });
    it('7.1.3 close, then ping -> close 1000, no pong', async function () {
      await closeReply([close(1000), { opcode: OP.PING }], { each: true }, [1000]);
    });
    it('7.1.4 close, then text -> close 1000, no echo', async function () {
      await closeReply([close(1000), { opcode: OP.TEXT, payload: hw }], { each: true }, [1000]);
    });
    it('7.1.5 text fragment, close, last fragment -> close 1000, no echo', async function () {
      await closeReply([{ opcode: OP.TEXT, fin: false, payload: 'fragment1' }, close(1000), { opcode: OP.CONT, payload: 'fragment2' }],
        { each: true }, [1000]);
    });
    it('7.1.6 256 KB text, text, close, ping -> both echoes, close 1000, no pong', async function () {
      const big = repeat('BAsd7&jh23', 256 * KB);
      await closeReply([{ opcode: OP.TEXT, payload: big }, { opcode: OP.TEXT, payload: hw }, close(1000), { opcode: OP.PING }],
        { each: true }, [1000], [TEXT(big), TEXT(hw)]);
    });
    it('7.3.1 close with empty payload -> empty close (or 1000)', async function () {
      await closeReply(close(), {}, [null, 1000]);
    });
    it('7.3.2 close with a 1-byte payload -> close 1002', async function () {
      await sendExpectingFailure({ opcode: OP.CLOSE, payload: 'a' }, {}, 1002);
    });
    it('7.3.3 close 1000 without reason -> close 1000', async function () {
      await closeReply(close(1000), {}, [1000]);
    });
    it('7.3.4 close 1000 with a reason -> close 1000', async function () {
      await closeReply(close(1000, hw), {}, [1000]);
    });
    it('7.3.5 close 1000 with a 123-byte reason (125-byte payload) -> close 1000', async function () {
      await closeReply(close(1000, '*'.repeat(123)), {}, [1000]);
    });
    it('7.3.6 close 1000 with a 124-byte reason (126-byte payload) -> close 1002', async function () {
      await sendExpectingFailure(close(1000, '*'.repeat(124)), {}, 1002);
    });
    it('7.5.1 close 1000 with an invalid UTF-8 reason -> close 1007', async function () {
      await sendExpectingFailure(close(1000, hex(utf8Cases['6.3'].hex)), {}, 1007);
    });
    const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
    valid.forEach((code, i) => {
      it(`7.7.${i + 1} close with valid code ${code} -> close ${code} echoed`, async function () {
        await closeReply(close(code), {}, [code]);
      });
    });
    for (const code of [1012, 1013, 1014]) {
      it(`7.7.x (extra) close with registered code ${code} -> close ${code} echoed`, async function () {
        await closeReply(close(code), {}, [code]);
      });
    }
    const invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
    invalid.forEach((code, i) => {
      it(`7.9.${i + 1} close with invalid code ${code} -> close 1002`, async function () {
        await sendExpectingFailure(close(code), {}, 1002);
      });
    });
    it('7.9.x (extra) close with invalid code 1015 -> close 1002', async function () {
      await sendExpectingFailure(close(1015), {}, 1002);
    });
    it('7.13.1 close with code 5000 -> close 1002 (Autobahn: informational)', async function () {
      await sendExpectingFailure(close(5000), {}, 1002);
    });
    it('7.13.2 close with code 65535 -> close 1002 (Autobahn: informational)', async function () {
      await sendExpectingFailure(close(65535), {}, 1002);
    });
  });

  // ---------------------------------------------------------------- 9.x
  describe('9 Limits/performance' + (scaled ? ` (sizes scaled by ${prof.scale} on ${target.name})` : ''), function () {
    this.timeout(60000 * prof.slow);
    const S = (n) => Math.max(1, Math.round(n * prof.scale));
    const fits = (n) => n <= maxPayload;
    const textPattern = 'BAsd7&jh23', binPattern = hex('00fe23faf0');
    const sizes = [64 * KB, 256 * KB, 1 * MB, 4 * MB, 8 * MB, 16 * MB];
    for (const [group, opcode, kind, pattern, EV] of [['9.1', OP.TEXT, 'text', textPattern, TEXT], ['9.2', OP.BINARY, 'binary', binPattern, BINARY]]) {
      sizes.forEach((n, i) => {
        const size = S(n), auto = scaled ? ` (Autobahn: ${sizeName(n)})` : '';
        if (fits(size)) {
          it(`${group}.${i + 1} ${kind}, ${sizeName(size)}${auto} -> echo`, async function () {
            const p = repeat(pattern, size);
            await sendExpectingEchoes({ opcode, payload: p }, {}, [EV(p)]);
          });
        } else {
          // Over the target's maxPayload: the frame must be refused with 1009
          // from its header, so only the header and 1 KB of payload are sent.
          it(`${group}.${i + 1} ${kind}, ${sizeName(size)}${auto} is over this target's maxPayload ` +
            `(${sizeName(maxPayload)}) -> close 1009 (Autobahn: echo)`, async function () {
            const b = frame({ opcode, payload: repeat(pattern, 1024), length: size });
            await sendExpectingFailure(b, {}, 1009);
          });
        }
      });
    }
    // 9.3/9.4: Autobahn sends 4 MB; 1 MB here keeps the 64-byte case quick.
    const fragSizes = [64, 256, 1 * KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, 1 * MB, 4 * MB];
    for (const [group, opcode, kind, fill, EV] of [['9.3', OP.TEXT, 'text', '*', TEXT], ['9.4', OP.BINARY, 'binary', [0xfe], BINARY]]) {
      const size = S(1 * MB);
      fragSizes.forEach((fs, i) => {
        it(`${group}.${i + 1} ${kind}, ${sizeName(size)} (Autobahn: 4 MB) in ${sizeName(fs)} fragments -> echo`, async function () {
          if (!fits(size)) this.skip();
          const p = repeat(fill, size);
          await sendExpectingEchoes(fragments(opcode, p, fs), {}, [EV(p)]);
        });
      });
    }
    const chops = [64, 128, 256, 512, 1024, 2048];
    for (const [group, opcode, kind, pattern, EV] of [['9.5', OP.TEXT, 'text', textPattern, TEXT], ['9.6', OP.BINARY, 'binary', binPattern, BINARY]]) {
      const size = S(1 * MB);
      chops.forEach((chop, i) => {
        it(`${group}.${i + 1} ${kind}, ${sizeName(size)}${scaled ? ' (Autobahn: 1 MB)' : ''} sent in chops of ${chop} bytes -> echo`, async function () {
          if (!fits(size)) this.skip();
          const p = repeat(pattern, size);
          await sendExpectingEchoes({ opcode, payload: p }, { chop }, [EV(p)]);
        });
      });
    }
    // 9.7/9.8: round trips, one message at a time.
    const rtt = [0, 16, 64, 256, 1024, 4096];
    const count = Math.max(10, Math.round(1000 * prof.scale));
    for (const [group, opcode, kind, fill, EV] of [['9.7', OP.TEXT, 'text', '*', TEXT], ['9.8', OP.BINARY, 'binary', [0xfe], BINARY]]) {
      rtt.forEach((n, i) => {
        it(`${group}.${i + 1} ${count}${count !== 1000 ? ' (Autobahn: 1000)' : ''} ${kind} messages of ${n} bytes, one at a time -> each echoed`, async function () {
          const c = await open();
          const p = repeat(fill, n);
          for (let k = 0; k < count; k++) {
            await c.send({ opcode, payload: p });
            await c.waitEvents(k + 1, T.event);
          }
          await expectEchoes(c, Array.from({ length: count }, () => EV(p)));
        });
      });
    }
  });

  // ---------------------------------------------------------------- 10.x
  describe('10 Misc', function () {
    it('10.1.1 text, 65536 bytes in 1300-byte fragments -> echo', async function () {
      const p = repeat('*', 65536);
      await sendExpectingEchoes(fragments(OP.TEXT, p, 1300), {}, [TEXT(p)]);
    });
  });

  // ---------------------------------------------------------------- 12.x/13.x
  describe('12/13 permessage-deflate (not supported: must be declined)', function () {
    // The offers of Autobahn's 13.1-13.7 (client side of its DEFLATE_PARAMS).
    const offers = [
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover',
      'permessage-deflate; client_max_window_bits; server_max_window_bits=9',
      'permessage-deflate; client_max_window_bits; server_max_window_bits=15',
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9',
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15',
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9, ' +
        'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, ' +
        'permessage-deflate; client_max_window_bits'
    ];
    function assertDeclined(c) {
      assert.strictEqual(c.response.code, 101);
      const ext = c.response.rawHeaders.filter(([name]) => name === 'sec-websocket-extensions');
      assert.deepStrictEqual(ext, [], 'the 101 response must not carry Sec-WebSocket-Extensions');
    }
    const json = JSON.stringify({ greeting: 'Hello-µ@ßöäüàá-UTF-8!!', list: Array.from({ length: 40 }, (_, i) => ({ i, v: 'value ' + i })) });
    const msgSizes = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072];
    const perSize = Math.max(2, Math.round(10 * prof.scale));
    for (const [group, opcode, kind, EV] of [['12.1', OP.TEXT, 'text (JSON)', TEXT], ['12.2', OP.BINARY, 'binary', BINARY]]) {
      msgSizes.forEach((n, i) => {
        it(`${group}.${i + 1} deflate offered; ${perSize} ${kind} messages of ${n} bytes go uncompressed -> echoed`, async function () {
          const c = await open({ headers: { 'Sec-WebSocket-Extensions': offers[0] } });
          assertDeclined(c);
          const msgs = [];
          for (let k = 0; k < perSize; k++) {
            const p = opcode === OP.TEXT ? utf8Of(json, n) : Buffer.from(Array.from({ length: n }, (_, j) => (j * 31 + k) & 255));
            msgs.push(EV(p));
            await c.send({ opcode, payload: p });
          }
          await expectEchoes(c, msgs);
        });
      });
    }
    it('12.x (extra) deflate offered; 64 KB text in 256-byte fragments -> echoed uncompressed', async function () {
      const c = await open({ headers: { 'Sec-WebSocket-Extensions': offers[0] } });
      assertDeclined(c);
      const p = utf8Of(json, 65536);
      await c.send(fragments(OP.TEXT, p, 256));
      await expectEchoes(c, [TEXT(p)]);
    });
    offers.forEach((offer, i) => {
      it(`13.${i + 1} offer "${offer.length > 60 ? offer.slice(0, 60) + '...' : offer}" -> 101 without extension, echo works`, async function () {
        const c = await open({ headers: { 'Sec-WebSocket-Extensions': offer } });
        assertDeclined(c);
        await c.send({ opcode: OP.TEXT, payload: json });
        await expectEchoes(c, [TEXT(json)]);
      });
    });
    it('12.x (extra) deflate offered but declined; a frame with RSV1 (compressed) anyway -> close 1002', async function () {
      const c = await open({ headers: { 'Sec-WebSocket-Extensions': offers[0] } });
      assertDeclined(c);
      // "Hello" compressed with raw DEFLATE, as permessage-deflate would send it.
      await c.send({ opcode: OP.TEXT, rsv: 4, payload: zlib.deflateRawSync('Hello') });
      await expectFailure(c, 1002);
    });
  });

  // ---------------------------------------------------------------- board
  if (target.stats) {
    describe('emulated board', function () {
      it('no uncaught exceptions or Espruino hazards during these cases', function () {
        const st = target.stats();
        const fresh = (list, n) => list.slice(n);
        assert.deepStrictEqual(fresh(st.uncaught, boardBefore.uncaught.length), [], 'uncaught exceptions on the board');
        assert.deepStrictEqual(st.hazards.filter((h) => boardBefore.hazards.indexOf(h) < 0), [], 'Espruino hazards');
      });
    });
  }

  // ---------------------------------------------------------------- extra
  describe('RFC 6455 byte vectors (not Autobahn cases)', function () {
    it('1.3 handshake: Sec-WebSocket-Key of the RFC example gives its Sec-WebSocket-Accept', async function () {
      const c = await open({ key: fx.handshake.key });
      assert.strictEqual(c.response.headers['sec-websocket-accept'], fx.handshake.accept);
    });
    it('5.7 masked "Hello" -> exactly the unmasked "Hello" frame', async function () {
      const c = await open();
      await c.send(hex(fx.rfcMaskedHello.client));
      await c.waitEvents(1, T.event);
      assert.strictEqual(c.received.toString('hex'), hex(fx.rfcMaskedHello.server).toString('hex'));
      await expectEchoes(c, [TEXT('Hello')]);
    });
    it('5.7 "Hel" + "lo" fragmented, in one write -> exactly one unmasked "Hello" frame', async function () {
      const c = await open();
      await c.send(fx.rfcFragmentedHello.client.map(hex));
      await c.waitEvents(1, T.event);
      assert.strictEqual(c.received.toString('hex'), hex(fx.rfcFragmentedHello.server).toString('hex'));
      await expectEchoes(c, [TEXT('Hello')]);
    });
    it('5.7 "Hel" + "lo" fragmented, split in the middle of the second header -> one "Hello" frame', async function () {
      const c = await open();
      const b = Buffer.concat(fx.rfcFragmentedHello.client.map(hex));
      await c.send(b, { splitAt: [3, 10, 11] });
      await expectEchoes(c, [TEXT('Hello')]);
    });
    it('5.7 masked ping "Hello" -> exactly the unmasked pong "Hello" frame', async function () {
      const c = await open();
      await c.send(hex(fx.rfcPingHello.client));
      await c.waitEvents(1, T.event);
      assert.strictEqual(c.received.toString('hex'), hex(fx.rfcPingHello.server).toString('hex'));
      await expectEchoes(c, [PONG('Hello')]);
    });
    it('5.7 256-byte and 65536-byte binary echoes: the 16-bit length header, then ' +
      (fragment ? fragment + '-byte fragments with 16-bit length headers and a 7-bit last one' : 'the 64-bit length header'), async function () {
      const c = await open();
      await c.send([{ opcode: OP.BINARY, payload: Buffer.alloc(256, 1) }]);
      await c.waitEvents(1, T.event);
      await c.send([{ opcode: OP.BINARY, payload: Buffer.alloc(65536, 2) }]);
      await c.waitEvents(2, T.event);
      // The header bytes of every frame, as they came on the wire.
      const heads = [];
      let at = 0;
      for (const f of c.frames) {
        heads.push(c.received.subarray(at, at + f.headerLength).toString('hex'));
        at += f.headerLength + f.length;
      }
      const hx = (s) => hex(s).toString('hex');
      let big;
      if (!fragment) big = [hx(fx.binary65536Header.server)];
      else {
        const v = fx.binary65536Fragmented[fragment];
        assert.ok(v, 'frames.json has no binary65536Fragmented vector for fragment ' + fragment);
        big = [hx(v.first)].concat(new Array(v.middleCount).fill(hx(v.middle)), [hx(v.last)]);
        assert.strictEqual(c.frames[c.frames.length - 1].length, v.lastPayload, 'payload of the last fragment');
      }
      assert.deepStrictEqual(heads, [hx(fx.binary256Header.server)].concat(big));
      await expectEchoes(c, [BINARY(Buffer.alloc(256, 1)), BINARY(Buffer.alloc(65536, 2))]);
    });
    it('5.5.1 close 1000 (mask 00000000) -> exactly close 1000 back, TCP closed', async function () {
      const c = await open();
      await c.send(hex(fx.close1000.client));
      await c.waitClosed(T.close);
      assert.strictEqual(c.received.toString('hex'), hex(fx.close1000.server).toString('hex'));
      assert.ok(c.gotFin);
    });
    it('5.1 unmasked client frame -> close 1002', async function () {
      await sendExpectingFailure(hex(fx.unmaskedText.client), {}, 1002);
    });
    it('5.2 64-bit length with the most significant bit set -> close 1002', async function () {
      await sendExpectingFailure(hex(fx.length63.client), {}, 1002);
    });
  });
}

describe('Autobahn TestSuite fuzzingclient cases, over raw TCP', function () {
  for (const target of targets) {
    describe(`target ${target.name}`, function () {
      defineCases(target);
    });
  }
});
