// Helpers for the bench scripts that run an app on a real Espruino
// interpreter (the Linux builds): a working directory with the module in
// Storage, starting the app and waiting for it to listen, a `ws` client,
// medians. Not a benchmark itself.
'use strict';
const { freePort } = require('../test/helpers/free-port');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { parseArgs } = require('util');
const WebSocket = require('ws');
const { storageImage } = require('../flash-scripts/storage-image');

const ROOT = path.join(__dirname, '..');

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The command line's options, by Node's util.parseArgs: `spec` maps each
 *  name to [type ('string' or 'boolean'), default]. An unknown option, or
 *  one without its value, is an error that says so. */
function options(spec) {
  const parsed = {};
  for (const name in spec) parsed[name] = { type: spec[name][0] };
  let values;
  try {
    ({ values } = parseArgs({ options: parsed, strict: true, allowPositionals: false }));
  } catch (e) {
    console.error(path.basename(process.argv[1]) + ': ' + e.message);
    process.exit(2);
  }
  const out = {};
  for (const name in spec) out[name] = name in values ? values[name] : spec[name][1];
  return out;
}

/** A folder of its own for one interpreter (the Linux build keeps Storage in
 *  ./espruino.flash). With `moduleFile`, the module is written to Storage
 *  as "web-socket-server" first, by a run of its own, read from a file so
 *  that the interpreter holds only one copy of it: what a board's
 *  `require("web-socket-server")` then finds. It is written pretokenised,
 *  as flash-scripts/install-storage.js writes it to a board's Storage, or
 *  with `plain` as it is. */
function workDir(exe, moduleFile, plain) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-bench-'));
  if (moduleFile) {
    fs.writeFileSync(path.join(dir, 'module.js'), plain ? fs.readFileSync(moduleFile) : storageImage(moduleFile));
    fs.writeFileSync(path.join(dir, 'write.js'), 'require("Storage").write("web-socket-server", require("fs").readFileSync("module.js")); quit();');
    spawnSync(exe, ['write.js'], { cwd: dir, stdio: 'ignore', timeout: 20000 });
    if (!fs.existsSync(path.join(dir, 'espruino.flash'))) throw new Error(exe + ' did not write the module to Storage');
  }
  return dir;
}

/** Runs the app `source` in `dir` on `exe`; resolves once it prints READY
 *  on a line of its own, with { output(), stop() }. */
function start(exe, dir, source) {
  fs.writeFileSync(path.join(dir, 'app.js'), source);
  // Standard input stays an open pipe: at its end the interpreter stops serving.
  const p = spawn(exe, ['app.js'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', exited = false;
  p.stdout.on('data', (d) => (out += d.toString('latin1')));
  p.stderr.on('data', (d) => (out += d.toString('latin1')));
  p.on('exit', (code, signal) => (exited = signal || 'exit code ' + code));
  const run = {
    output: () => out,
    /** false while it runs; then how it ended ('exit code N' or the signal). */
    exited: () => exited,
    stop() {
      if (!exited) p.kill('SIGKILL');
    }
  };
  return (async () => {
    for (const t0 = Date.now(); !/READY\r?\n/.test(out); await delay(20)) {
      if (exited || Date.now() - t0 > 20000) {
        run.stop();
        throw new Error('the app did not start (' + (exited ? 'the interpreter ended, ' + exited : 'no READY within 20 s') + '):\n' + out.slice(-1500));
      }
    }
    return run;
  })();
}

/** A `ws` client on 127.0.0.1:port. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const w = new WebSocket('ws://127.0.0.1:' + port + '/', { perMessageDeflate: false, maxPayload: 1 << 20 });
    w.once('open', () => resolve(w));
    w.once('error', reject);
    w.once('unexpected-response', (req, res) => reject(new Error('HTTP ' + res.statusCode)));
  });
}

/** Sends `data` on `w`, resolves with the next message (a Buffer) and whether it was binary. */
function roundTrip(w, data, binary, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error('no reply within ' + ms + ' ms')), ms || 30000);
    const onMessage = (m, isBinary) => done(null, { m, isBinary });
    const onClose = (code) => done(new Error('the connection closed (' + code + ')'));
    function done(err, r) {
      clearTimeout(t);
      w.off('message', onMessage);
      w.off('close', onClose);
      if (err) reject(err);
      else resolve(r);
    }
    w.on('message', onMessage);
    w.on('close', onClose);
    w.send(data, { binary: !!binary });
  });
}

/** Closes `w` with a close handshake; resolves when it is closed. */
function close(w) {
  return new Promise((resolve) => {
    if (w.readyState === w.CLOSED) return resolve();
    w.once('close', resolve);
    w.close();
  });
}

module.exports = { ROOT, delay, median, options, freePort, workDir, start, connect, roundTrip, close };
