// The Espruino emulator (test/helpers/espruino-emulator.js): first that it
// behaves like Espruino where it matters (built-ins, net semantics), then the
// built bundle under it, talking to the real `ws` client.
'use strict';
const { until } = require('./helpers/harness');

const assert = require('assert');
const fs = require('fs');
const net = require('net');
const path = require('path');
const crypto = require('crypto');
const acorn = require('acorn');
const WebSocket = require('ws');
const { loadBundle, freePort } = require('./helpers/espruino-emulator');

const BUNDLE = path.join(__dirname, '..', 'dist', 'espruino', 'web-socket-server.js');
const CHUNK = { ESP32: 536, ESP8266: 268 };



/** Collects console output and "Uncaught" reports instead of printing them. */
function recorder() {
  const lines = [];
  const log = (level, args) => lines.push(level + ': ' + args.join(' '));
  return { lines, log };
}

/** A raw TCP client that keeps everything it receives. */
function rawClient(port, options) {
  const sock = net.connect(port, '127.0.0.1');
  const c = { sock, data: Buffer.alloc(0), ended: false, closed: false };
  if (!(options && options.paused)) {
    sock.on('data', (d) => {
      c.data = Buffer.concat([c.data, d]);
    });
  }
  sock.on('end', () => {
    c.ended = true;
  });
  sock.on('close', () => {
    c.closed = true;
  });
  sock.on('error', () => {});
  c.connected = new Promise((resolve, reject) => {
    sock.on('connect', resolve);
    sock.on('error', reject);
  });
  return c;
}

describe('Espruino emulator', function () {
  this.timeout(20000);

  describe('sandbox', function () {
    let board, rec;
    before(function () {
      rec = recorder();
      board = loadBundle({ board: 'ESP32', bundlePath: BUNDLE, log: rec.log });
    });
    after(function () {
      return board.close();
    });

    it('lacks what Espruino lacks', function () {
      const missing = ['Buffer', 'TextDecoder', 'TextEncoder', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy',
        'Reflect', 'BigInt', 'setImmediate', 'queueMicrotask', 'RangeError', 'Intl', 'WebAssembly', 'escape',
        'Object.freeze', 'Object.seal', 'Array.from', 'Array.of', 'Uint8Array.from', 'Promise.prototype.finally',
        'Promise.race', 'ArrayBuffer.prototype.slice', 'ArrayBuffer.isView', 'String.prototype.codePointAt',
        'String.prototype.trimStart', 'Number.isInteger', 'Math.trunc', 'Math.imul', 'Array.prototype.lastIndexOf',
        'Uint8Array.prototype.lastIndexOf', 'Object.prototype.propertyIsEnumerable', 'process.nextTick',
        'process.argv', 'process.versions'];
      for (const name of missing) {
        assert.strictEqual(board.evaluate('typeof ' + name), 'undefined', name + ' should be missing');
      }
      assert.strictEqual(board.evaluate('Object.freeze'), undefined);
    });

    it('has the Espruino globals', function () {
      const present = ['E.toString', 'E.toUint8Array', 'E.lookupNoCase', 'E.getSizeOf', 'btoa', 'atob', 'setTimeout',
        'clearTimeout', 'setInterval', 'clearInterval', 'console.log', 'require', 'process.memory', 'InternalError',
        'Promise', 'DataView', 'Uint8Array.prototype.subarray', 'Object.setPrototypeOf', 'String.prototype.padStart'];
      for (const name of present) assert.strictEqual(board.evaluate('typeof ' + name), 'function', name);
      assert.strictEqual(board.evaluate('process.env.BOARD'), 'ESP32');
      assert.strictEqual(board.evaluate('process.memory().blocksize'), 14);
      assert.strictEqual(board.evaluate('global === this'), true);
    });

    it('require() knows net and crypto only', function () {
      assert.strictEqual(board.evaluate('typeof require("net").createServer'), 'function');
      assert.strictEqual(board.evaluate('require("net") === require("net")'), true);
      assert.strictEqual(board.evaluate('try { require("fs"); "loaded" } catch (e) { e.message }'), 'Module "fs" not found');
      assert.strictEqual(board.evaluate('try { require("events"); "loaded" } catch (e) { e instanceof Error }'), true);
    });

    it('crypto.SHA1 returns a 20-byte ArrayBuffer', function () {
      const key = 'dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
      const r = board.evaluate('var h = require("crypto").SHA1(' + JSON.stringify(key) + ');' +
        '[h instanceof ArrayBuffer, h.byteLength, btoa(h), btoa(E.toString(h))]');
      assert.deepEqual(Array.from(r), [true, 20, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']);
    });

    it('btoa takes strings, arrays, ArrayBuffers and typed arrays; atob never throws', function () {
      const r = board.evaluate('[btoa("Man"), btoa([77, 97, 110]), btoa(new Uint8Array([77, 97, 110])),' +
        ' btoa(new Uint8Array([77, 97, 110]).buffer), btoa("\\xff\\x00"), atob("TWFu"), atob("TWE"),' +
        ' atob(" T W F u\\n"), atob("!!!!"), (function () { try { btoa(5); } catch (e) { return e.message; } })()]');
      assert.deepEqual(Array.from(r), ['TWFu', 'TWFu', 'TWFu', 'TWFu', '/wA=', 'Man', 'Ma', 'Man', '\0\0\0',
        'Expecting String or Array, got Number']);
    });

    it('E.toString, E.toUint8Array and E.lookupNoCase work as on Espruino', function () {
      const r = board.evaluate('var u = E.toUint8Array("a\\xff", [1, 2], 300, {data: 7, count: 2});' +
        '[u instanceof Uint8Array, u.join(), E.toString(new Uint8Array([104, 105])), E.toString([72, 0x169]),' +
        ' E.lookupNoCase({"Sec-WebSocket-Key": "k"}, "sec-websocket-key"),' +
        ' E.lookupNoCase({"Sec-WebSocket-Key": "k"}, "SEC-websocket-KEY", true),' +
        ' E.lookupNoCase({a: 1}, "b")]');
      assert.deepEqual(Array.from(r), [true, '97,255,1,2,44,7,7', 'hi', 'Hi', 'k', 'Sec-WebSocket-Key', undefined]);
    });

    it('strings are 8-bit', function () {
      const r = board.evaluate('[String.fromCharCode(0x20AC, 65).charCodeAt(0), "\\xdf\\xff\\xb5".toUpperCase(),' +
        ' "\\xc9T\\xc9".toLowerCase(), "abc\\xe9".toUpperCase()]');
      assert.deepEqual(Array.from(r), [0xac, '\xdf\xff\xb5', '\xe9t\xe9', 'ABC\xc9']);
    });

    it('typed arrays behave as on Espruino', function () {
      const r = board.evaluate('var big = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);' +
        'var view = big.subarray(2, 6);' +
        'var t = new Uint8Array(3); t.set([1, 2, 3, 4, 5]);' +
        '[view.subarray(2, 6).length, view.subarray(2, 6).join(), Array.isArray(view.slice(1)),' +
        ' view.subarray(1, 1).buffer === big.buffer, t.join()]');
      // The end is not clamped: 4 elements past a 4-element view's middle.
      assert.deepEqual(Array.from(r), [4, '4,5,6,7', true, false, '1,2,3']);
      assert.throws(() => board.evaluate('new Uint8Array(4).subarray(2, 9)'), /outside its ArrayBuffer/);
      const hazards = board.stats().hazards;
      assert(hazards.some((h) => /subarray\(2, 6\)/.test(h)), hazards.join('\n'));
      assert(hazards.some((h) => /set\(\) of 5 elements/.test(h)), hazards.join('\n'));
    });

    it('Function#apply takes at most 256 arguments', function () {
      assert.strictEqual(board.evaluate('String.fromCharCode.apply(null, new Array(256).fill(65)).length'), 256);
      assert.throws(() => board.evaluate('String.fromCharCode.apply(null, new Array(257).fill(65))'),
        /Maximum 256 arguments, got 257/);
    });

    it('clearTimeout(undefined) throws, clearTimeout() clears every timer, ids are reused', function () {
      assert.throws(() => board.evaluate('clearTimeout(undefined)'),
        (e) => e.message === 'clearTimeout(undefined) not allowed. Use clearTimeout() instead');
      assert.throws(() => board.evaluate('clearInterval(undefined)'), /clearInterval\(undefined\) not allowed/);
      const ids = board.evaluate('var a = setTimeout(function () {}, 60000); clearTimeout(a);' +
        'var b = setTimeout(function () {}, 60000); var c = setInterval(function () {}, 60000); [a, b, c]');
      assert.deepEqual(Array.from(ids), [1, 1, 2]);
      assert.strictEqual(board.stats().timers, 2);
      board.evaluate('clearTimeout(12345)');
      assert.strictEqual(board.stats().timers, 2);
      board.evaluate('clearTimeout()');
      assert.strictEqual(board.stats().timers, 0);
    });

    it('timers run, and an exception in one is reported as Uncaught', async function () {
      board.evaluate('var fired = []; setTimeout(function (x) { fired.push(x); throw new Error("boom"); }, 1, "a")');
      await until(() => board.evaluate('fired.length') === 1, 'the timer');
      await until(() => board.stats().uncaught.length === 1, 'the report');
      assert.match(board.stats().uncaught[0], /^Uncaught Error: boom/);
    });

    it('gives every object Espruino\'s built-in event methods, emit being asynchronous', async function () {
      const r = board.evaluate('var seen = []; var o = {}; T1 = o.on("x", function (a) { seen.push(a + this.n); });' +
        ' o.n = 1; o.emit("x", 41); seen.push("sync"); ["on" in {}, typeof [].emit, T1, Object.keys(o).join()]');
      assert.deepEqual(Array.from(r), [true, 'function', undefined, 'n']);
      await until(() => board.evaluate('seen.length') === 2, 'the event');
      assert.deepEqual(Array.from(board.evaluate('seen')), ['sync', 42]);
      assert.throws(() => board.evaluate('"str".on("x", function () {})'), /Parent must be an object/);
    });

    it('makes its own functions in the board realm', function () {
      assert.strictEqual(board.evaluate('E.toString instanceof Function && btoa.call(null, "a") === "YQ=="' +
        ' && typeof require("net").createServer.bind === "function"'), true);
    });

    it('failNext(name, n, skip): after skip calls that work, the next n calls return undefined', function () {
      const emu = board.emulator;
      const calls = (fn, k) => Array.from(board.evaluate('var r = []; for (var i = 0; i < ' + k + '; i++) r.push(' + fn + '); r'));
      emu.failNext('E.toString', 2, 1);
      assert.deepStrictEqual(calls('E.toString([104, 105])', 4), ['hi', undefined, undefined, 'hi']);
      // One String argument is handed back as it is: nothing is allocated, nothing fails.
      emu.failNext('E.toString');
      assert.deepStrictEqual(calls('E.toString("as is")', 1), ['as is']);
      assert.deepStrictEqual(calls('E.toString([104, 105])', 2), [undefined, 'hi']);
      emu.failNext('E.toUint8Array');
      assert.deepStrictEqual(calls('E.toUint8Array("ab") === undefined', 2), [true, false]);
      assert.strictEqual(board.evaluate('E.toUint8Array("ab").join()'), '97,98');
      emu.failNext('E.toFlatString', 1, 2);
      assert.deepStrictEqual(calls('E.toFlatString("x", 1)', 4), ['x\x01', 'x\x01', undefined, 'x\x01']);
      emu.failNext('E.toString', 0);
      assert.deepStrictEqual(calls('E.toString([104, 105])', 1), ['hi']);
      emu.failNext('E.toArrayBuffer');
      assert.deepStrictEqual(calls('E.toArrayBuffer("ab") === undefined', 2), [true, false]);
      assert.throws(() => emu.failNext('E.getSizeOf'), /no such function E\.getSizeOf/);
    });

    it('recognises host binary data as binary in the board realm', function () {
      const check = board.evaluate('(function (b) { return [b instanceof Uint8Array, b.buffer instanceof ArrayBuffer,' +
        ' E.toString(b)]; })');
      assert.deepEqual(Array.from(check(Buffer.from('hi'))), [true, true, 'hi']);
    });
  });

  for (const boardName of ['ESP32', 'ESP8266']) {
    const chunk = CHUNK[boardName];

    describe('net on ' + boardName, function () {
      let board, rec, port;
      beforeEach(async function () {
        rec = recorder();
        board = loadBundle({ board: boardName, bundlePath: BUNDLE, log: rec.log });
        port = await freePort();
      });
      afterEach(function () {
        return board.close();
      });

      /** Starts a server on the board; `body` runs in its connection callback
       *  with the socket as `s`; `T` collects results. */
      function serve(body) {
        board.evaluate('var T = { events: [], data: [], drains: 0 };' +
          'var srv = require("net").createServer(function (s) { T.sock = s;\n' + body + '\n});' +
          'T.listenResult = srv.listen(' + port + ') === srv;');
      }

      it('write() sends Strings byte for byte, anything else as text, and returns false', async function () {
        serve('T.r = s.write(new Uint8Array([1, 2, 3])); s.write("|"); s.write([4, 5]); s.write("|");' +
          ' s.write(new Uint8Array([6, 7]).buffer); s.write("|"); s.write(42); s.write("|\\xff\\u0100");' +
          ' s.write(""); s.end();');
        const c = rawClient(port);
        await until(() => c.ended, 'the end of the data');
        assert.strictEqual(c.data.toString('latin1'), '1,2,3|4,5|6,7|42|\xff\x00');
        assert.strictEqual(board.evaluate('T.r'), false);
        assert.strictEqual(board.evaluate('T.listenResult'), true);
      });

      it("delivers 'data' as byte Strings of at most " + chunk + ' bytes, each a separate event', async function () {
        serve('s.on("data", function (d) { T.data.push(d); });');
        const sent = crypto.randomBytes(20000);
        for (let i = 0; i < 256; i++) sent[i] = i;
        const c = rawClient(port);
        await c.connected;
        c.sock.write(sent);
        await until(() => board.evaluate('T.data.join("").length') === sent.length, 'all the data');
        const chunks = Array.from(board.evaluate('T.data'));
        assert(chunks.every((d) => typeof d === 'string'));
        const sizes = chunks.map((d) => d.length);
        assert(Math.max(...sizes) <= chunk, 'largest chunk ' + Math.max(...sizes));
        assert.strictEqual(Math.max(...sizes), chunk);
        assert(Buffer.from(chunks.join(''), 'latin1').equals(sent));
        assert(board.stats().maxDataEvent <= chunk);
        c.sock.destroy();
      });

      it("says 'drain' when the send buffer empties, not after end(), then 'end' just before 'close'", async function () {
        serve('s.on("drain", function () { T.drains++; if (T.drains == 1) s.end("bye"); });' +
          ' s.on("end", function () { T.events.push("end"); });' +
          ' s.on("close", function (hadError) { T.events.push("close " + hadError); });' +
          ' s.write(E.toString({data: 120, count: 5000}));' +
          ' T.buffered = s.dSnd.length;');
        const c = rawClient(port);
        await until(() => c.closed, 'the close');
        await until(() => board.evaluate('T.events.length') === 2, 'the events');
        assert.strictEqual(c.data.length, 5003);
        assert.strictEqual(c.data.toString('latin1', 5000), 'bye');
        assert.strictEqual(board.evaluate('T.buffered'), 5000);
        assert.strictEqual(board.evaluate('T.drains'), 1);
        assert.deepEqual(Array.from(board.evaluate('T.events')), ['end', 'close false']);
        assert.strictEqual(board.evaluate('try { T.sock.write("x"); "written" } catch (e) { e.message }'),
          'This socket is closed');
        assert.strictEqual(board.stats().sockets, 0);
      });

      it('throws "This socket is closed" for a write after end()', async function () {
        serve('s.end("bye"); try { s.write("x"); } catch (e) { T.error = e.message; T.isError = e instanceof Error; }');
        const c = rawClient(port);
        await until(() => c.closed, 'the close');
        assert.strictEqual(c.data.toString(), 'bye');
        assert.strictEqual(board.evaluate('T.error'), 'This socket is closed');
        assert.strictEqual(board.evaluate('T.isError'), true);
      });

      it("reports a peer that vanishes with data unsent as 'error' {code, message}, then close(true)", async function () {
        serve('s.on("error", function (e) { T.events.push(e); T.errorIsError = e instanceof Error; });' +
          ' s.on("close", function (hadError) { T.events.push("close " + hadError); });' +
          ' s.write(E.toString({data: 0, count: 200000}));');
        // The board's idle loop holds once the first chunk is out: left to
        // run, it could hand all 200 KB to the kernel before the peer
        // vanishes, and there would be no unsent data to report.
        const held = board.emulator.holdAfterSent(1);
        const c = rawClient(port, { paused: true });
        await c.connected;
        await held;
        assert.strictEqual(board.stats().bytesSent, chunk, 'one chunk sent');
        c.sock.resetAndDestroy();
        // The next pass sees the reset once the board's real socket has.
        await until(() => board.stats().peers.length === 1 && board.stats().peers[0].closed, "the reset at the board's socket");
        assert.strictEqual(board.stats().peers[0].error, 'ECONNRESET');
        board.emulator.release();
        await until(() => board.evaluate('T.events.length') === 2, 'the error and the close');
        const events = board.evaluate('T.events');
        const expected = boardName === 'ESP32' ? { code: -8, message: 'unsent data' } :
          { code: -9, message: 'connection reset' };
        assert.deepEqual(Object.assign({}, events[0]), expected);
        assert.strictEqual(events[1], 'close true');
        assert.strictEqual(board.evaluate('T.errorIsError'), false);
        assert.strictEqual(board.stats().sockets, 0);
      });

      it('queues events only for listeners that exist, and emit() is asynchronous with at most 4 arguments', async function () {
        serve('T.onResult = s.on("x", function (a, b, c, d) { T.events.push([a, b, c, d].join()); });' +
          ' T.events.push("before"); s.emit("x", 1, 2, 3, 4); T.events.push("after");' +
          ' try { s.emit("x", 1, 2, 3, 4, 5); } catch (e) { T.emitError = e.message; }' +
          ' s.emit("nobody"); s.end();');
        const c = rawClient(port);
        await until(() => c.closed, 'the close');
        await until(() => board.evaluate('T.events.length') >= 4, 'the events');
        assert.deepEqual(Array.from(board.evaluate('T.events')), ['before', 'after', '1,2,3,4', '1,2,3,4']);
        assert.strictEqual(board.evaluate('T.emitError'), 'Too many arguments (>4)');
        assert.strictEqual(board.evaluate('T.onResult'), undefined);
      });

      it("keeps a 'data' listener that throws, reporting Uncaught", async function () {
        serve('s.on("data", function (d) { T.data.push(d); throw new Error("bad " + d); });');
        const c = rawClient(port);
        await c.connected;
        c.sock.write('one');
        await until(() => board.evaluate('T.data.length') === 1, 'the first data');
        c.sock.write('two');
        await until(() => board.evaluate('T.data.length') === 2, 'the second data');
        assert.match(board.stats().uncaught[0], /^Uncaught Error: bad one/);
        c.sock.destroy();
      });

      it('listen() throws synchronously on a port in use, and needs a real port', async function () {
        const other = net.createServer();
        await new Promise((resolve) => other.listen(port, '127.0.0.1', resolve));
        try {
          assert.strictEqual(board.evaluate('try { require("net").createServer(function () {}).listen(' + port +
            '); "listening" } catch (e) { e.name + ": " + e.message }'), 'InternalError: Unable to create socket');
        } finally {
          other.close();
        }
        assert.throws(() => board.evaluate('require("net").createServer(function () {}).listen(0)'), /port number/);
        assert.strictEqual(board.stats().servers, 0);
      });

      it('reports fields that code adds to socket objects', async function () {
        serve('s.myState = 1; s.end();');
        const c = rawClient(port);
        await until(() => c.closed, 'the close');
        assert.deepEqual(board.stats().foreignFields, ['socket.myState']);
      });

      it('closes the server: no more connections, open ones stay', async function () {
        serve('s.on("data", function (d) { s.write(d); });');
        const c = rawClient(port);
        await c.connected;
        await until(() => board.stats().sockets === 1, 'the accept');
        board.evaluate('srv.close()');
        assert.strictEqual(board.stats().servers, 0);
        c.sock.write('still here');
        await until(() => c.data.toString() === 'still here', 'the echo');
        const refused = rawClient(port);
        await assert.rejects(refused.connected);
        c.sock.end();
        await until(() => board.stats().sockets === 0, 'the close');
      });
    });
  }

  describe('the built bundle', function () {
    it('parses as ECMAScript 5 and is ASCII only', function () {
      const src = fs.readFileSync(BUNDLE, 'utf8');
      acorn.parse(src, { ecmaVersion: 5 });
      const at = src.search(/[^\x00-\x7f]/);
      assert.strictEqual(at, -1, 'non-ASCII character at ' + at);
    });

    it('hands host listeners host values, and its errors are instances of the host classes', async function () {
      const board = loadBundle({ board: 'ESP32', bundlePath: BUNDLE });
      const { Server } = board.module;
      try {
        assert.throws(() => new Server({ receiveType: 'image/png' }), TypeError);
        assert.deepStrictEqual(board.module.supportedSendTypes().slice().sort(),
          ['application/json', 'application/octet-stream', 'text/plain']);
        const port = await freePort();
        const server = new Server({ port, receiveType: 'application/json' });
        const got = [];
        let socket;
        server.on('connection', (s) => {
          socket = s;
          s.on('message', (m, isBinary) => got.push([m, isBinary]));
        });
        await new Promise((resolve) => {
          server.on('listening', resolve);
          server.start();
        });
        const client = new WebSocket('ws://127.0.0.1:' + port + '/');
        await new Promise((resolve, reject) => {
          client.on('open', resolve);
          client.on('error', reject);
        });
        client.send(JSON.stringify({ a: [1, 'x', null] }));
        client.send(Buffer.from([1, 2, 3]));
        await until(() => got.length === 2, 'the messages');
        assert.deepStrictEqual(got[0], [{ a: [1, 'x', null] }, false]);
        assert(got[1][0] instanceof Uint8Array);
        assert.deepStrictEqual(got[1], [new Uint8Array([1, 2, 3]), true]);
        assert.throws(() => socket.close(999), TypeError);
        const closed = new Promise((resolve) => client.on('close', resolve));
        socket.close(1000);
        await closed;
        server.stop();
      } finally {
        await board.close();
      }
    });

    it("survives send() to a socket the board closed in this pass, before its 'close' event ran", async function () {
      // Within one idle pass Espruino closes B (its peer left) and only queues
      // B's 'end'/'close', then calls A's 'data' listener at once: a broadcast
      // from A's message reaches B while B's write() throws.
      const board = loadBundle({ board: 'ESP32', bundlePath: BUNDLE });
      const { Server } = board.module;
      try {
        const port = await freePort();
        const server = new Server({ port, receiveType: 'text/plain', sendType: 'text/plain' });
        const log = [];
        server.on('connection', (s) => {
          s.on('error', (e) => log.push('error ' + e.message));
          s.on('close', (code) => log.push('close ' + code));
          s.on('message', (m) => {
            // B is already closed on the board, yet still open for the server.
            log.push('board sockets ' + board.stats().sockets + ', server sockets ' + server.sockets.length);
            for (const other of server.sockets) log.push('send ' + other.send(m));
          });
        });
        await new Promise((resolve) => {
          server.on('listening', resolve);
          server.start();
        });
        const open = (ws) => new Promise((resolve, reject) => {
          ws.on('open', resolve);
          ws.on('error', reject);
        });
        const b = new WebSocket('ws://127.0.0.1:' + port + '/');
        await open(b);
        const a = new WebSocket('ws://127.0.0.1:' + port + '/');
        await open(a);
        const echoes = [];
        a.on('message', (m) => echoes.push(m.toString()));
        await until(() => server.sockets.length === 2, 'both sockets');
        board.emulator.hold();
        b.on('error', () => {});
        b._socket.destroy();
        a.send('hi');
        // One pass after the release sees both: B's FIN at its socket (B
        // was accepted first) and A's 8-byte frame.
        await until(() => {
          const st = board.stats();
          return st.peers.length === 2 && st.peers[0].ended && st.receiveBuffered >= 8;
        }, "B's close and A's message at the board's sockets");
        board.emulator.release();
        await until(() => log.indexOf('close 1006') >= 0, "B's close");
        assert.deepStrictEqual(log.slice(0, 3), ['board sockets 1, server sockets 2', 'send true', 'send true']);
        assert.deepStrictEqual(log.filter((x) => /^error/.test(x)), []);
        assert.deepStrictEqual(board.stats().uncaught, []);
        await until(() => echoes.length === 1, 'the echo to A');
        assert.deepStrictEqual(echoes, ['hi']);
        a.terminate();
        server.stop();
      } finally {
        await board.close();
      }
    });

    it("reports a port in use as an 'error' (InternalError: Unable to create socket)", async function () {
      const board = loadBundle({ board: 'ESP32', bundlePath: BUNDLE });
      const other = net.createServer();
      try {
        const port = await freePort();
        await new Promise((resolve) => other.listen(port, '127.0.0.1', resolve));
        const server = new board.module.Server({ port });
        const err = await new Promise((resolve) => {
          server.on('error', resolve);
          server.start();
        });
        assert(err instanceof Error);
        assert.strictEqual(String(err), 'InternalError: Unable to create socket');
        assert.strictEqual(board.stats().servers, 0);
      } finally {
        other.close();
        await board.close();
      }
    });

    for (const boardName of ['ESP32', 'ESP8266']) {
      it('echoes text and a 70000-byte binary message to a ws client on ' + boardName + ', then closes cleanly',
        async function () {
          const board = loadBundle({ board: boardName, bundlePath: BUNDLE });
          const { Server } = board.module;
          try {
            const port = await freePort();
            const server = new Server({ port, receiveType: 'text/plain', sendType: 'text/plain', maxPayload: 100000, maxQueue: 100000 });
            const serverCloses = [];
            server.on('connection', (s) => {
              s.on('message', (m) => s.send(m));
              s.on('close', (code) => serverCloses.push(code));
            });
            const listening = await new Promise((resolve, reject) => {
              server.on('listening', resolve);
              server.on('error', reject);
              server.start();
            });
            assert.strictEqual(listening, port);

            const client = new WebSocket('ws://127.0.0.1:' + port + '/');
            const received = [];
            client.on('message', (data, isBinary) => received.push({ data, isBinary }));
            await new Promise((resolve, reject) => {
              client.on('open', resolve);
              client.on('error', reject);
            });
            const binary = crypto.randomBytes(70000);
            client.send('hello');
            client.send(binary);
            await until(() => received.length === 2, 'the two echoes', 10000);
            assert.strictEqual(received[0].isBinary, false);
            assert.strictEqual(received[0].data.toString(), 'hello');
            assert.strictEqual(received[1].isBinary, true);
            assert(received[1].data.equals(binary), 'the binary echo differs');

            const closed = new Promise((resolve) => client.on('close', (code) => resolve(code)));
            client.close(1000);
            assert.strictEqual(await closed, 1000);
            await until(() => board.stats().sockets === 0, 'the board to close the socket');
            await until(() => serverCloses.length > 0, "the server socket's 'close'");
            assert.deepEqual(serverCloses, [1000]);
            server.stop();
            assert.strictEqual(server.sockets.length, 0);

            const stats = board.stats();
            assert.strictEqual(stats.servers, 0);
            assert.strictEqual(stats.sockets, 0);
            assert.strictEqual(stats.timers, 0);
            assert.strictEqual(stats.listeners, 0);
            assert.strictEqual(stats.sendBuffered, 0);
            assert.strictEqual(stats.queuedEvents, 0);
            assert.deepEqual(stats.foreignFields, []);
            assert.deepEqual(stats.uncaught, []);
            assert.deepEqual(stats.hazards, []);
            assert(stats.maxDataEvent <= CHUNK[boardName], 'data event of ' + stats.maxDataEvent + ' bytes');
          } finally {
            await board.close();
          }
        });
    }

    // Espruino's write() buffers without bound; the target promises to keep
    // at most writeSize bytes in that buffer and to write the next piece only
    // on 'drain', when the buffer is empty again.
    for (const boardName of ['ESP32', 'ESP8266']) {
      const writeSize = { ESP32: 536, ESP8266: 268 }[boardName];
      it('on ' + boardName + ' sends a 64 KB message in writes of at most writeSize (' + writeSize + ') bytes, ' +
        "each made only once the one before has left the send buffer ('drain')", async function () {
        const board = loadBundle({ board: boardName, bundlePath: BUNDLE });
        const emu = board.emulator;
        try {
          const port = await freePort();
          const server = new board.module.Server({ port, maxPayload: 100000, maxQueue: 100000 });
          let socket = null;
          server.on('connection', (s) => (socket = s));
          await new Promise((resolve, reject) => {
            server.on('listening', resolve);
            server.on('error', reject);
            server.start();
          });
          const client = new WebSocket('ws://127.0.0.1:' + port + '/');
          const got = [];
          client.on('message', (data, isBinary) => got.push({ data, isBinary }));
          await new Promise((resolve, reject) => {
            client.on('open', resolve);
            client.on('error', reject);
          });
          assert.ok(socket, 'the connection event came before the 101');
          const record = () => emu.writes()[0];
          const before = record().sizes.length;
          // With the idle loop held nothing leaves the send buffer, so no
          // 'drain' can come: the first piece must be the only write.
          emu.hold();
          const payload = crypto.randomBytes(65536);
          assert.strictEqual(socket.send(payload), true);
          await until(() => record().sizes.length > before, 'the first write');
          // More messages queue behind it: they must not be written past it.
          for (const t of ['one', 'two', 'three']) assert.strictEqual(socket.send(t), true);
          // The target writes from 0 ms timers: any it made for a next piece
          // have run by now.
          await emu.afterTimers();
          assert.deepStrictEqual(record().sizes.slice(before), [writeSize], 'writes while the first piece waited');
          emu.release();
          await until(() => got.length === 4, 'the four messages');
          assert.strictEqual(got[0].isBinary, true);
          assert.ok(Buffer.from(got[0].data).equals(payload), 'the 64 KB message differs');
          assert.deepStrictEqual(got.slice(1).map((m) => JSON.parse(m.data.toString())), ['one', 'two', 'three']);
          const w = record(), sizes = w.sizes.slice(before);
          assert.deepStrictEqual(sizes.filter((n) => n > writeSize), [], 'writes larger than writeSize');
          assert.ok(sizes.length >= Math.ceil(65536 / writeSize), sizes.length + ' writes');
          assert.ok(w.maxOutstanding <= writeSize, 'up to ' + w.maxOutstanding + ' bytes in the send buffer');
          assert.strictEqual(w.maxPending, 0, 'a write was made while an earlier one still waited in the send buffer');
          client.close(1000);
          await new Promise((resolve) => client.on('close', resolve));
          server.stop();
        } finally {
          await board.close();
        }
      });
    }

    // The README's table of per-board defaults (maxPayload, maxHeader).
    const DEFAULTS = { ESP32: { maxPayload: 8192, maxHeader: 4096 }, ESP8266: { maxPayload: 512, maxHeader: 1024 } };
    for (const boardName of ['ESP32', 'ESP8266']) {
      const d = DEFAULTS[boardName];
      it('on ' + boardName + ' by default takes a message of ' + d.maxPayload + ' bytes and closes with 1009 past it, ' +
        'and takes a request head under ' + d.maxHeader + ' bytes and answers 431 past it', async function () {
        const board = loadBundle({ board: boardName, bundlePath: BUNDLE });
        try {
          const port = await freePort();
          const server = new board.module.Server({ port, receiveType: 'text/plain', sendType: 'text/plain' });
          server.on('connection', (s) => s.on('message', (m) => s.send(m)));
          await new Promise((resolve, reject) => {
            server.on('listening', resolve);
            server.on('error', reject);
            server.start();
          });
          // ws's own request head is about 200 bytes; X-Pad makes up the rest.
          // Each client records what happens to it: open, messages, close code, HTTP status.
          const open = (headBytes) => {
            const w = new WebSocket('ws://127.0.0.1:' + port + '/', { headers: { 'X-Pad': 'p'.repeat(headBytes - 200) } });
            w.log = { open: false, messages: [], code: null, status: null };
            w.on('open', () => (w.log.open = true));
            w.on('message', (m) => w.log.messages.push(m));
            w.on('close', (code) => (w.log.code = code));
            w.on('unexpected-response', (req, res) => (w.log.status = res.statusCode));
            w.on('error', () => {});
            return w;
          };
          const client = open(d.maxHeader - 100);
          await until(() => client.log.open || client.log.status !== null, 'the handshake');
          assert.strictEqual(client.log.status, null, 'a head under maxHeader is taken');
          client.send('x'.repeat(d.maxPayload));
          await until(() => client.log.messages.length > 0 || client.log.code !== null, 'the echo');
          assert.strictEqual(client.log.messages.length && client.log.messages[0].length, d.maxPayload);
          client.send('x'.repeat(d.maxPayload + 1));
          await until(() => client.log.code !== null, 'the close');
          assert.strictEqual(client.log.code, 1009);
          assert.strictEqual(client.log.messages.length, 1);
          const refused = open(d.maxHeader + 100);
          await until(() => refused.log.status !== null || refused.log.open, 'the answer to a long head');
          assert.strictEqual(refused.log.status, 431);
          refused.terminate();
          server.stop();
        } finally {
          await board.close();
        }
      });
    }
  });
});
