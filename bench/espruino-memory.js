// Memory that the Espruino modules take on a real Espruino interpreter, in
// blocks (JsVars): the module once loaded, and each open connection. Both
// ways a board loads it:
//
//   ram      Modules.addCached(name, source), as the Web IDE and the CLI
//            upload it: the code of every function is copied into RAM.
//   storage  require(name) of a Storage file: on a board, Storage is flash
//            mapped into memory, so function code stays there and RAM holds
//            only the functions, their parameter names and the objects.
//
//   npm run build
//   ESPRUINO=/path/to/espruino node bench/espruino-memory.js [--connections N]
//
// N (default 4): connections opened after the first, for the per-connection
// figure; fewer on an interpreter built with a board's small memory.
//
// The Linux build of Espruino keeps Storage in ./espruino.flash and, like a
// board, hands out a Storage file as a string of 1 block that refers to it;
// the script checks that, and says so if an interpreter copies the file
// instead. Blocks are counted after a garbage collection, from
// process.memory().usage.
'use strict';
const { freePort } = require('../test/helpers/free-port');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const WebSocket = require('ws');

const ESPRUINO = process.env.ESPRUINO;
const ROOT = path.join(__dirname, '..');
const MODULES = ['web-socket-server.js', 'web-socket-server-full.js'];
const at = process.argv.indexOf('--connections');
const CONNECTIONS = at > 0 ? +process.argv[at + 1] : 4;

if (!ESPRUINO) {
  console.log('Measures the memory the Espruino modules take on a real Espruino interpreter.');
  console.log('Usage: ESPRUINO=/path/to/espruino node bench/espruino-memory.js [--connections N]');
  process.exit(0);
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app: loads the module (from RAM or Storage), runs an echo server
 *  that answers "memory?" with its figures. */
function app(source, mode, port) {
  return [
    mode == 'ram' ? 'var SRC = ' + JSON.stringify(source) + ';' : '',
    'function used() { process.memory(); return process.memory().usage; }',
    'var mapped = 0, before = used();',
    // The source text is uploaded with the app; it is not the module's cost.
    mode == 'ram'
      ? 'before -= E.getSizeOf(SRC); Modules.addCached("web-socket-server", SRC); SRC = undefined;'
      : 'mapped = E.getSizeOf(require("Storage").read("web-socket-server")) == 1;',
    'var ws = require("web-socket-server");',
    'var loaded = used() - before, idle;',
    'var s = new ws.Server({port: ' + port + ', receiveType: "text/plain", sendType: "text/plain", maxConnections: 8});',
    's.on("connection", function (c) { c.on("message", function (m) {',
    '  c.send(m == "memory?" ? JSON.stringify({loaded: loaded, now: used(), mapped: mapped}) : m);',
    '}); });',
    's.start();',
    ''
  ].join('\n');
}

function open(port) {
  return new Promise((resolve, reject) => {
    const w = new WebSocket('ws://127.0.0.1:' + port + '/');
    w.on('open', () => resolve(w));
    w.on('error', reject);
  });
}

function ask(w) {
  return new Promise((resolve) => {
    w.once('message', (d) => resolve(JSON.parse(String(d))));
    w.send('memory?');
  });
}

async function measure(file, mode) {
  const source = fs.readFileSync(path.join(ROOT, 'dist', 'espruino', file), 'utf8');
  // Its own folder: the Linux build keeps Storage in ./espruino.flash.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-memory-'));
  const port = await freePort();
  if (mode == 'storage') {
    // Read from a file rather than written out in the program, so that a
    // small build holds one copy of it.
    fs.writeFileSync(path.join(dir, 'module.js'), source);
    fs.writeFileSync(path.join(dir, 'write.js'), 'require("Storage").write("web-socket-server", require("fs").readFileSync("module.js")); quit();');
    spawnSync(ESPRUINO, ['write.js'], { cwd: dir, stdio: 'ignore', timeout: 20000 });
  }
  fs.writeFileSync(path.join(dir, 'app.js'), app(source, mode, port));
  const p = spawn(ESPRUINO, ['app.js'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const sockets = [];
  try {
    let first;
    for (let i = 0; !first; i++) {
      try {
        first = await open(port);
      } catch (e) {
        if (i > 100) throw new Error('the interpreter did not listen:\n' + out.slice(-2000));
        await delay(100);
      }
    }
    sockets.push(first);
    const one = await ask(first);
    for (let i = 0; i < CONNECTIONS; i++) sockets.push(await open(port));
    const more = await ask(first);
    return { loaded: one.loaded, perConnection: (more.now - one.now) / CONNECTIONS, mapped: one.mapped };
  } finally {
    for (const w of sockets) w.terminate();
    p.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  console.log('Blocks of the interpreter\'s memory (' + ESPRUINO + '), ' + CONNECTIONS + ' connections for the per-connection figure:');
  for (const file of MODULES) {
    for (const mode of ['ram', 'storage']) {
      let r;
      try {
        r = await measure(file, mode);
      } catch (e) {
        // For example: too little memory on a small build of the interpreter.
        console.log('  ' + file.padEnd(28) + mode.padEnd(8) + ' failed: ' + e.message.split('\n').filter((l) => /\S/.test(l)).slice(-3).join(' / '));
        continue;
      }
      const note = mode == 'storage' && !r.mapped ? '  (this interpreter copied the Storage file into RAM: not what a board does)' : '';
      console.log('  ' + file.padEnd(28) + mode.padEnd(8) + ' module ' + String(r.loaded).padStart(5) + '   per connection ' + String(r.perConnection).padStart(5) + note);
    }
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
