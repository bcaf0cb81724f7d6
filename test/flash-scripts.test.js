// Tests for flash-scripts/upload.js, flash-scripts/install-storage.js and
// examples/espruino/echo.js, with no board and no network.
//
// - Dry runs (--dry-run --out FILE) are checked on their real content: the
//   module code in the upload is the bundle text, unchanged; the Storage
//   upload, replayed against a fake Storage, stores exactly the bundle.
// - Real uploads go over TCP (-p tcp://127.0.0.1:PORT) to a fake board in this
//   process that answers like the Espruino console and decodes Storage writes.
// - Every child process loads a guard (NODE_OPTIONS --require) that refuses and
//   records any TCP connection that is not to localhost; the tests assert that
//   nothing was recorded.
'use strict';

const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const vm = require('vm');
const { spawn, execSync } = require('child_process');
const acorn = require('acorn');

const root = path.join(__dirname, '..');
const UPLOAD = path.join(root, 'flash-scripts', 'upload.js');
const INSTALL = path.join(root, 'flash-scripts', 'install-storage.js');
const { storageImage } = require(path.join(root, 'flash-scripts', 'storage-image.js'));
const DIST = path.join(root, 'dist', 'espruino', 'web-socket-server.js');
const DIST_FULL = path.join(root, 'dist', 'espruino', 'web-socket-server-full.js');
const APP = path.join(root, 'examples', 'espruino', 'echo.js');
const NAME = 'web-socket-server';
const CHILD_TIMEOUT_MS = 60000;

// Refuses (and records) connections to anything but localhost / local sockets.
const GUARD = `'use strict';
const net = require('net');
const fs = require('fs');
const LOG = process.env.WSS_NET_GUARD_LOG;
const LOCAL = ['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1'];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function () {
  let o = arguments[0];
  if (Array.isArray(o)) o = o[0];
  if (typeof o !== 'object' || o === null) {
    o = typeof o === 'string' && !/^\\d+$/.test(o) ? { path: o } :
      { port: o, host: typeof arguments[1] === 'string' ? arguments[1] : undefined };
  }
  if (!o.path && LOCAL.indexOf(o.host || 'localhost') < 0) {
    if (LOG) fs.appendFileSync(LOG, process.pid + ' connect ' + o.host + ':' + o.port + '\\n');
    const self = this;
    process.nextTick(function () { self.destroy(new Error('network access blocked by test')); });
    return this;
  }
  return connect.apply(this, arguments);
};
`;

function parse5(code) {
  return acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' });
}

function isAscii(s) {
  return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(s);
}

/** A fake Storage plus Modules/load/atob/print, for replaying uploads in a vm. */
function fakeEspruino() {
  const files = {};
  const log = { cached: [], loaded: [], printed: [] };
  const Storage = {
    write: function (name, data, offset, size) {
      offset = offset || 0;
      let f = files[name];
      if (size !== undefined || !f) {
        f = files[name] = Buffer.alloc(size !== undefined ? size : data.length, 0xff);
      }
      const b = Buffer.from(data, 'latin1');
      assert.ok(offset + b.length <= f.length, 'Storage.write past the end of ' + name);
      b.copy(f, offset);
      return true;
    },
    read: function (name) {
      return files[name] ? files[name].toString('latin1') : undefined;
    }
  };
  const sandbox = {
    require: function (n) {
      if (n === 'Storage') return Storage;
      throw new Error('unexpected require(' + n + ')');
    },
    Modules: { addCached: function (n, f) { log.cached.push([n, f]); } },
    load: function (f) { log.loaded.push(f); },
    atob: function (s) { return Buffer.from(s, 'base64').toString('latin1'); },
    print: function () { log.printed.push([].slice.call(arguments).join(' ')); }
  };
  return { files: files, log: log, sandbox: sandbox, Storage: Storage };
}

/** The single Modules.addCached(NAME, function(){...}) statement of an upload. */
function findAddCached(ast) {
  return ast.body.filter(function (st) {
    const c = st.type === 'ExpressionStatement' && st.expression;
    return c && c.type === 'CallExpression' && c.callee.type === 'MemberExpression' &&
      c.callee.object.name === 'Modules' && c.callee.property.name === 'addCached';
  });
}

/** A module's code as the Espruino tools put it inside Modules.addCached:
 *  trimmed, and ended by a line feed if it holds "//" (which could start a
 *  comment that would swallow the closing brace). */
function asSent(code) {
  const t = code.trim();
  return t + (t.includes('//') ? '\n' : '');
}

describe('flash-scripts', function () {
  this.timeout(120000);
  let tmp, bundle, bundleFile, guardLog, env, appText;

  before(function () {
    if (!fs.existsSync(DIST)) {
      this.timeout(300000);
      execSync('npx rollup -c --silent', { cwd: root, stdio: 'inherit', timeout: 240000 });
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wss-flash-test-'));
    // A snapshot of the bundle, passed with --module, so that a rebuild by
    // someone else during the tests cannot change what is compared.
    bundle = fs.readFileSync(DIST, 'latin1');
    bundleFile = path.join(tmp, NAME + '.js');
    fs.writeFileSync(bundleFile, bundle, 'latin1');
    appText = fs.readFileSync(APP, 'latin1');
    const guard = path.join(tmp, 'net-guard.js');
    fs.writeFileSync(guard, GUARD);
    guardLog = path.join(tmp, 'net-guard.log');
    env = Object.assign({}, process.env, {
      WSS_NET_GUARD_LOG: guardLog,
      NODE_OPTIONS: ((process.env.NODE_OPTIONS || '') + ' --require "' + guard + '"').trim()
    });
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Network connections the guard refused since the last call. */
  function takeNetworkAttempts() {
    if (!fs.existsSync(guardLog)) return '';
    const attempts = fs.readFileSync(guardLog, 'utf8');
    fs.unlinkSync(guardLog);
    return attempts;
  }

  /** Runs a script (async, so the in-process fake board keeps working), time-limited. */
  function run(script, args) {
    return new Promise(function (resolve) {
      const child = spawn(process.execPath, [script].concat(args), { cwd: root, env: env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '', timedOut = false;
      const timer = setTimeout(function () {
        timedOut = true;
        child.kill('SIGKILL');
      }, CHILD_TIMEOUT_MS);
      child.stdout.on('data', function (d) { stdout += d; });
      child.stderr.on('data', function (d) { stderr += d; });
      child.on('close', function (code) {
        clearTimeout(timer);
        resolve({ code: code, stdout: stdout, stderr: stderr, timedOut: timedOut, all: stdout + stderr, network: takeNetworkAttempts() });
      });
    });
  }

  function ok(r) {
    assert.strictEqual(r.network, '', 'tried to use the network');
    assert.ok(!r.timedOut, 'timed out:\n' + r.all);
    assert.strictEqual(r.code, 0, 'exit code ' + r.code + ':\n' + r.all);
  }

  function fails(r, re) {
    assert.strictEqual(r.network, '', 'tried to use the network');
    assert.ok(!r.timedOut, 'timed out:\n' + r.all);
    assert.notStrictEqual(r.code, 0, 'should have failed:\n' + r.all);
    if (re) assert.match(r.all, re);
  }

  function tmpFile(name) {
    return path.join(tmp, name);
  }

  describe('the bundle and the example app', function () {
    it('the bundle is ES5 and ASCII', function () {
      assert.ok(isAscii(bundle), 'bundle has non-ASCII characters');
      parse5(bundle);
      assert.match(bundle, /require\("net"\)/);
      assert.match(bundle, /require\("crypto"\)/);
    });

    it('echo.js is ES5 and ASCII', function () {
      assert.ok(isAscii(appText), 'echo.js has non-ASCII characters');
      parse5(appText);
      const words = [];
      for (const tok of acorn.tokenizer(appText, { ecmaVersion: 5 })) words.push(tok.value);
      assert.ok(words.indexOf('let') < 0 && words.indexOf('const') < 0);
    });

    it('echo.js connects WiFi, turns Telnet off and echoes messages', function () {
      const calls = { wifi: null, telnet: null, server: null, printed: [] };
      function FakeServer(options) {
        this.options = options;
        this.handlers = {};
        calls.server = this;
      }
      FakeServer.prototype.on = function (ev, fn) { this.handlers[ev] = fn; return this; };
      FakeServer.prototype.start = function () { this.started = true; this.handlers.listening(8080); };
      const modules = {
        Wifi: {
          connect: function (ssid, opts, cb) { calls.wifi = [ssid, opts]; cb(null); },
          getIP: function (cb) { cb(null, { ip: '192.168.1.42' }); }
        },
        TelnetServer: { setOptions: function (o) { calls.telnet = o; } },
        'web-socket-server': { Server: FakeServer }
      };
      vm.runInNewContext(appText, {
        require: function (n) {
          if (!modules[n]) throw new Error('Module ' + n + ' not found');
          return modules[n];
        },
        print: function (s) { calls.printed.push(String(s)); },
        E: { getConsole: function () { return 'Serial1'; } }
      });
      assert.strictEqual(typeof calls.wifi[0], 'string');
      assert.strictEqual(typeof calls.wifi[1].password, 'string');
      // (objects made in the vm context: compare as JSON)
      assert.strictEqual(JSON.stringify(calls.telnet), '{"mode":"off"}');
      const s = calls.server;
      assert.strictEqual(JSON.stringify(s.options), '{"port":8080,"receiveType":"text/plain","sendType":"text/plain"}');
      assert.ok(s.started);
      assert.ok(calls.printed.some(function (l) { return l.indexOf('192.168.1.42') >= 0; }), calls.printed.join('\n'));
      assert.ok(calls.printed.some(function (l) { return /listening/.test(l); }), calls.printed.join('\n'));
      // a connection: every message is sent back
      const sent = [];
      const sock = { handlers: {}, on: function (ev, fn) { this.handlers[ev] = fn; }, send: function (m) { sent.push(m); } };
      s.handlers.connection(sock);
      sock.handlers.message('hello');
      sock.handlers.message('again');
      assert.deepStrictEqual(sent, ['hello', 'again']);
    });

    it('echo.js leaves Telnet on while it is the console', function () {
      let telnet = null;
      vm.runInNewContext(appText, {
        require: function (n) {
          if (n === 'TelnetServer') return { setOptions: function (o) { telnet = o; } };
          if (n === 'Wifi') return { connect: function () {} };
          throw new Error('Module ' + n + ' not found');
        },
        print: function () {},
        E: { getConsole: function () { return 'Telnet'; } }
      });
      assert.strictEqual(telnet, null);
    });
  });

  describe('upload.js --dry-run', function () {
    it('--help documents the options', async function () {
      const r = await run(UPLOAD, ['--help']);
      ok(r);
      for (const o of ['--port', '--baud', '--app', '--board', '--save', '--dry-run', '--out', '--module-in-storage', '--full']) {
        assert.ok(r.stdout.indexOf(o) >= 0, 'help lacks ' + o);
      }
    });

    it('writes the module (the bundle text, unchanged) followed by the app', async function () {
      const out = tmpFile('upload-ram.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile]);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      const ast = parse5(code);
      const adds = findAddCached(ast);
      assert.strictEqual(adds.length, 1, 'expected one Modules.addCached');
      const call = adds[0].expression;
      assert.strictEqual(call.arguments[0].value, NAME);
      const fn = call.arguments[1];
      assert.strictEqual(fn.type, 'FunctionExpression');
      const body = code.slice(fn.body.start + 1, fn.body.end - 1);
      assert.strictEqual(body, asSent(bundle), 'module code differs from the bundle');
      // exactly: module line, newline, app
      assert.strictEqual(code, 'Modules.addCached("' + NAME + '",function(){' + asSent(bundle) + '});\n' + appText);
    });

    it('uses dist/espruino/web-socket-server.js by default', async function () {
      const out = tmpFile('upload-default.js');
      const before = fs.readFileSync(DIST, 'latin1');
      const r = await run(UPLOAD, ['--dry-run', '--out', out]);
      const after = fs.readFileSync(DIST, 'latin1');
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      const call = findAddCached(parse5(code))[0].expression;
      const body = code.slice(call.arguments[1].body.start + 1, call.arguments[1].body.end - 1);
      parse5(body);
      assert.ok(body === asSent(before) || body === asSent(after), 'module code differs from dist/espruino bundle');
      assert.ok(code.endsWith(appText));
    });

    it('--full sends dist/espruino/web-socket-server-full.js as the module', async function () {
      const out = tmpFile('upload-full.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--full']);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      const call = findAddCached(parse5(code))[0].expression;
      assert.strictEqual(call.arguments[0].value, NAME);
      const body = code.slice(call.arguments[1].body.start + 1, call.arguments[1].body.end - 1);
      assert.strictEqual(body, asSent(fs.readFileSync(DIST_FULL, 'latin1')), 'module code differs from the full bundle');
      assert.notStrictEqual(body, asSent(fs.readFileSync(DIST, 'latin1')));
      fails(await run(UPLOAD, ['--dry-run', '--out', tmpFile('z.js'), '--full', '--module', bundleFile]), /contradict/);
      fails(await run(UPLOAD, ['--dry-run', '--out', tmpFile('z.js'), '--full', '--module-in-storage']), /--module-in-storage/);
    });

    it('--app uploads another app', async function () {
      const app = tmpFile('tiny-app.js');
      fs.writeFileSync(app, 'var S = require("web-socket-server").Server;\nprint(typeof S);\n');
      const out = tmpFile('upload-tiny.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile, '--app', app]);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      assert.strictEqual(code, 'Modules.addCached("' + NAME + '",function(){' + asSent(bundle) + '});\n' + fs.readFileSync(app, 'latin1'));
    });

    it('--save writes module + app to the Storage file .bootcde and loads it', async function () {
      const ram = tmpFile('upload-ram2.js');
      ok(await run(UPLOAD, ['--dry-run', '--out', ram, '--module', bundleFile]));
      const out = tmpFile('upload-save.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile, '--save']);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      parse5(code);
      assert.ok(code.indexOf('require("Storage").write(".bootcde",') === 0, code.slice(0, 80));
      const fake = fakeEspruino();
      vm.runInNewContext(code, fake.sandbox);
      assert.deepStrictEqual(Object.keys(fake.files), ['.bootcde']);
      assert.strictEqual(fake.files['.bootcde'].toString('latin1'), fs.readFileSync(ram, 'latin1'));
      assert.deepStrictEqual(fake.log.loaded, ['.bootcde']);
      assert.deepStrictEqual(fake.log.cached, [], 'nothing may run before load()');
    });

    it('--module-in-storage sends the app only', async function () {
      const out = tmpFile('upload-nomodule.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module-in-storage']);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      assert.strictEqual(code, '\n' + appText); // the CLI adds the newline
      assert.match(r.stderr, /expected with --module-in-storage/);
    });

    it('--board ESP8266_BOARD (no native crypto) warns that crypto was not sent', async function () {
      const out = tmpFile('upload-esp8266.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile, '--board', 'ESP8266_BOARD']);
      ok(r);
      assert.match(r.stderr, /Module crypto not found/);
      assert.match(r.stderr, /could not find module\(s\) crypto/);
      assert.ok(fs.readFileSync(out, 'latin1').indexOf('Modules.addCached("' + NAME + '"') === 0);
    });

    it('accepts a board JSON file', async function () {
      const board = tmpFile('myboard.json');
      fs.writeFileSync(board, JSON.stringify({ info: { builtin_modules: ['net', 'crypto', 'Wifi', 'TelnetServer'], binary_version: '2v25' } }));
      const out = tmpFile('upload-boardjson.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile, '--board', board]);
      ok(r);
      assert.doesNotMatch(r.all, /not found/);
      assert.ok(fs.readFileSync(out, 'latin1').endsWith(appText));
    });

    it('fails on bad arguments and a missing module file', async function () {
      fails(await run(UPLOAD, ['--dry-run']), /--out/);
      fails(await run(UPLOAD, []), /--port/);
      fails(await run(UPLOAD, ['--dry-run', '--out', tmpFile('x.js'), '--port', '/dev/ttyUSB0']), /--port/);
      fails(await run(UPLOAD, ['--bogus']), /bogus/);
      fails(await run(UPLOAD, ['--dry-run', '--out', tmpFile('x.js'), '--module', tmpFile('missing.js')]), /not found/);
      fails(await run(UPLOAD, ['--dry-run', '--out', tmpFile('x.js'), '--app', tmpFile('missing-app.js')]), /not found/);
      fails(await run(UPLOAD, ['--dry-run', '--out', tmpFile('x.js'), '--board', 'NO_SUCH_BOARD']), /NO_SUCH_BOARD/);
      assert.ok(!fs.existsSync(tmpFile('x.js')));
    });
  });

  describe('upload.js: the WiFi network and the dry run', function () {
    const DASHBOARD = path.join(root, 'examples', 'espruino', 'dashboard.js');

    it('puts --wifi-ssid and --wifi-password in place of the placeholders, leaving the app file as it was', async function () {
      const before = fs.readFileSync(DASHBOARD, 'latin1');
      const out = tmpFile('wifi.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile, '--app', DASHBOARD,
        '--wifi-ssid', 'My "Net"', '--wifi-password', 'pa$$ word']);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      assert.ok(code.indexOf("var SSID = \"My \\\"Net\\\"\";") >= 0, 'the SSID, as a string literal');
      assert.ok(code.indexOf('var PASSWORD = "pa$$ word";') >= 0, 'the password, as a string literal');
      assert.ok(code.indexOf('YOUR_WIFI') < 0, 'no placeholder left');
      assert.doesNotMatch(r.stderr, /WARNING/);
      assert.strictEqual(fs.readFileSync(DASHBOARD, 'latin1'), before);
    });

    it('takes them from WIFI_SSID and WIFI_PASSWORD, and warns when a placeholder would go up', async function () {
      const out = tmpFile('wifi-env.js');
      const saved = Object.assign({}, env);
      env.WIFI_SSID = 'FromEnv';
      delete env.WIFI_PASSWORD;
      try {
        const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile, '--app', DASHBOARD]);
        ok(r);
        assert.ok(fs.readFileSync(out, 'latin1').indexOf('var SSID = "FromEnv";') >= 0);
        assert.match(r.stderr, /WARNING: the app still holds the WiFi placeholder 'YOUR_WIFI_PASSWORD': give --wifi-password/);
      } finally {
        for (const k of Object.keys(env)) delete env[k];
        Object.assign(env, saved);
      }
    });

    it('a dry run says the file it wrote, and that file stays', async function () {
      const out = tmpFile('named.js');
      const r = await run(UPLOAD, ['--dry-run', '--out', out, '--module', bundleFile]);
      ok(r);
      const named = /Writing output to (\S+)/.exec(r.stdout);
      assert.ok(named, r.stdout);
      assert.strictEqual(path.resolve(named[1]), path.resolve(out));
      assert.ok(fs.existsSync(named[1]), named[1] + ' is gone');
    });
  });

  describe('install-storage.js --dry-run', function () {
    it('--file NAME:PATH writes another file into Storage beside the module', async function () {
      const out = tmpFile('storage-files.js');
      const page = path.join(root, 'examples', 'dashboard', 'index.html');
      const r = await run(INSTALL, ['--dry-run', '--out', out, '--module', bundleFile, '--file', 'dashboard.html:' + page]);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      assert.ok(code.indexOf('require("Storage").write("dashboard.html",') >= 0, 'the page is written');
      assert.ok(code.indexOf('require("Storage").write("web-socket-server",') >= 0, 'and the module');
      fails(await run(INSTALL, ['--dry-run', '--out', out, '--file', 'no-colon']), /--file takes NAME:PATH/);
    });

    it('--help documents the options', async function () {
      const r = await run(INSTALL, ['--help']);
      ok(r);
      for (const o of ['--port', '--baud', '--dry-run', '--out', '--full']) assert.ok(r.stdout.indexOf(o) >= 0, 'help lacks ' + o);
    });

    it('writes the Storage file "web-socket-server": the bundle, pretokenised', async function () {
      const out = tmpFile('storage.js');
      const r = await run(INSTALL, ['--dry-run', '--out', out, '--module', bundleFile]);
      ok(r);
      const code = fs.readFileSync(out, 'latin1');
      assert.ok(isAscii(code));
      parse5(code);
      assert.ok(code.indexOf('require("Storage").write("' + NAME + '",atob("') === 0, code.slice(0, 80));
      assert.ok(code.indexOf('Modules.addCached') < 0, 'the module must not be loaded into RAM');
      const fake = fakeEspruino();
      vm.runInNewContext(code, fake.sandbox);
      assert.deepStrictEqual(Object.keys(fake.files), [NAME]);
      const stored = fake.files[NAME];
      assert.ok(stored.equals(storageImage(bundleFile)), 'Storage file differs from the pretokenised bundle');
      // Keywords and operators are Espruino's token bytes (138 and on: its
      // jslex.h), everything else as in the bundle.
      const tokens = [...stored].filter((c) => c >= 0x80);
      assert.ok(tokens.length > 500 && tokens.every((c) => c >= 138 && c < 200), tokens.length + ' token bytes');
      assert.ok(stored.includes(Buffer.from('"out of memory"')), 'strings are kept as they are');
      assert.ok(stored.length < 0.9 * bundle.length, stored.length + ' bytes, from ' + bundle.length);
      assert.deepStrictEqual(fake.log.printed, [NAME + ' in Storage: ' + stored.length + ' bytes']);
      assert.deepStrictEqual(fake.log.loaded, []);
    });

    it('uses dist/espruino/web-socket-server.js by default', async function () {
      const out = tmpFile('storage-default.js');
      const before = fs.readFileSync(DIST, 'latin1');
      const r = await run(INSTALL, ['--dry-run', '--out', out]);
      const after = fs.readFileSync(DIST, 'latin1');
      ok(r);
      const fake = fakeEspruino();
      vm.runInNewContext(fs.readFileSync(out, 'latin1'), fake.sandbox);
      const stored = fake.files[NAME].toString('latin1');
      const image = (text) => {
        const f = tmpFile('dist-copy.js');
        fs.writeFileSync(f, text, 'latin1');
        return storageImage(f).toString('latin1');
      };
      assert.ok(stored === image(before) || stored === image(after), 'Storage file differs from the pretokenised dist/espruino bundle');
    });

    it('--full installs dist/espruino/web-socket-server-full.js under the same name', async function () {
      const out = tmpFile('storage-full.js');
      ok(await run(INSTALL, ['--dry-run', '--out', out, '--full']));
      const fake = fakeEspruino();
      vm.runInNewContext(fs.readFileSync(out, 'latin1'), fake.sandbox);
      assert.ok(fake.files[NAME].equals(storageImage(DIST_FULL)), 'Storage file differs from the pretokenised full bundle');
      fails(await run(INSTALL, ['--dry-run', '--out', tmpFile('w.js'), '--full', '--module', bundleFile]), /contradict/);
    });

    it('fails on bad arguments', async function () {
      fails(await run(INSTALL, ['--dry-run']), /--out/);
      fails(await run(INSTALL, []), /--port/);
      fails(await run(INSTALL, ['--dry-run', '--out', tmpFile('y.js'), '--module', tmpFile('missing.js')]), /not found/);
      fails(await run(INSTALL, ['--nope']), /nope/);
    });
  });

  describe('real uploads over TCP to a fake board', function () {
    let server, port, received, files;

    // Answers like the Espruino console: a prompt per line, process.env for
    // the CLI's board query, and Storage writes decoded into `files`.
    before(function (done) {
      server = net.createServer(function (sock) {
        let line = '';
        sock.on('data', function (d) {
          const t = d.toString('latin1');
          received += t;
          line += t;
          let i;
          while ((i = line.indexOf('\n')) >= 0) {
            const l = line.slice(0, i);
            line = line.slice(i + 1);
            if (/\x1b$/.test(l)) continue; // Alt-Enter newline: not executed yet
            const m = /require\("Storage"\)\.write\("([^"]+)",atob\("([^"]*)"\),(\d+)(?:,(\d+))?\)/.exec(l);
            if (m) {
              const data = Buffer.from(m[2], 'base64');
              if (m[4] !== undefined) files[m[1]] = Buffer.alloc(Number(m[4]), 0xff);
              data.copy(files[m[1]], Number(m[3]));
            }
            if (l.indexOf('JSON.stringify(process.env)') >= 0) {
              sock.write('< <<' + JSON.stringify({ VERSION: '2v25', BOARD: 'ESP32', MODULES: 'Flash,Storage,net,http,Wifi,ESP32,TelnetServer,crypto' }) + '>> >\r\n>');
            } else if (l.indexOf('in Storage: "') >= 0) {
              const f = files[NAME];
              sock.write(NAME + ' in Storage: ' + (f ? f.length : 0) + ' bytes\r\n>');
            } else {
              sock.write('\r\n>');
            }
          }
        });
        sock.on('error', function () {});
      });
      server.listen(0, '127.0.0.1', function () {
        port = server.address().port;
        done();
      });
    });

    beforeEach(function () {
      received = '';
      files = {};
    });

    after(function (done) {
      server.close(function () { done(); });
    });

    it('upload.js sends reset, the module and the app', async function () {
      const r = await run(UPLOAD, ['--port', 'tcp://127.0.0.1:' + port, '--offline', '--module', bundleFile, '--timeout', '50']);
      ok(r);
      assert.match(r.stdout, /^Connected/m);
      assert.ok(received.indexOf('\x10reset();\n') >= 0, 'no reset() sent');
      // (A line inside a statement goes out as ESC, line feed: a line feed
      // the board's console does not run.)
      assert.ok(received.replace(/\x1b\n/g, '\n').indexOf('Modules.addCached("' + NAME + '",function(){' + asSent(bundle) + '});') >= 0,
        'module not sent unchanged');
      assert.ok(received.indexOf("wifi.connect(SSID, { password: PASSWORD }, function (err) {") >= 0, 'app not sent');
    });

    it('install-storage.js writes the Storage file and checks its size', async function () {
      // The CLI waits 250 ms after each 384-byte Storage.write (flash write
      // time on a real board), so a small module keeps this test fast; the
      // dry-run test above checks the full bundle.
      const small = tmpFile('small-module.js');
      const text = 'exports.Server = function () {};\n' + bundle.slice(0, 900).replace(/[^\w]/g, ' ') + '\n';
      fs.writeFileSync(small, text);
      const r = await run(INSTALL, ['--port', 'tcp://127.0.0.1:' + port, '--offline', '--module', small, '--timeout', '50']);
      ok(r);
      assert.ok(files[NAME], 'no Storage file written');
      assert.ok(files[NAME].equals(storageImage(small)), 'the Storage file is the module, pretokenised');
      assert.ok(files[NAME].length < text.length && files[NAME].includes(Buffer.from('exports.Server')));
      assert.match(r.stdout, /Installed "web-socket-server" in Storage/);
      assert.ok(received.indexOf('reset()') < 0, 'installing must not reset the board');
    });

    it('a refused connection is a failure', async function () {
      const s = net.createServer();
      await new Promise(function (res) { s.listen(0, '127.0.0.1', res); });
      const closedPort = s.address().port;
      await new Promise(function (res) { s.close(res); });
      fails(await run(UPLOAD, ['--port', 'tcp://127.0.0.1:' + closedPort, '--offline', '--timeout', '30']), /did not connect/);
      fails(await run(INSTALL, ['--port', 'tcp://127.0.0.1:' + closedPort, '--offline', '--timeout', '30']), /did not connect/);
    });
  });
});
