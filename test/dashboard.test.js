// The dashboard (npm start, and examples/espruino/dashboard.js on a board)
// in headless Chromium: the page comes from the server itself, on the same
// port as its WebSocket. It must show readings as they arrive, switch the
// LED, echo text, JSON and binary, count the clients, and reconnect by
// itself after the server restarts. On every target: the Node app as
// `npm start` runs it, the board app with the small module on an emulated
// ESP32, and (where ESPRUINO names one) on a real Espruino interpreter with
// the module and the page in Storage.
//
// A screenshot of the Node dashboard goes to DASHBOARD_SCREENSHOT if set
// (docs/dashboard.png is one), else to a temporary file.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { CHROMIUM, launch } = require('./helpers/browser');
const { freePort } = require('./helpers/free-port');
const { loadBundle } = require('./helpers/espruino-emulator');
const { until } = require('./helpers/harness');

const ROOT = path.join(__dirname, '..');
const PAGE = path.join(ROOT, 'examples', 'dashboard', 'index.html');
const BOARD_APP = path.join(ROOT, 'examples', 'espruino', 'dashboard.js');
const ESPRUINO = process.env.ESPRUINO;

/** The board app as a test runs it: the network already up, this port. */
function boardApp(port) {
  return fs.readFileSync(BOARD_APP, 'latin1').replace("var SSID = 'YOUR_WIFI_SSID';", "var SSID = '';")
    .replace('var PORT = 80;', 'var PORT = ' + port + ';');
}

/** A process that prints `ready` once it serves; resolves with it. */
function startProcess(cmd, args, opts, ready) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, Object.assign({ stdio: ['pipe', 'pipe', 'pipe'] }, opts));
    p.out = '';
    const seen = (d) => {
      p.out += d;
      if (ready.test(p.out)) resolve(p);
    };
    p.stdout.on('data', seen);
    p.stderr.on('data', seen);
    p.on('exit', (code) => reject(new Error(cmd + ' exited (' + code + '):\n' + p.out.slice(-1500))));
  });
}

function stopProcess(p) {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode) return resolve();
    p.removeAllListeners('exit');
    p.on('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

/** The ways to run the dashboard: each gives start(port) and stop(). */
const RUNS = [
  {
    name: 'Node (npm start)',
    async start(port) {
      this.p = await startProcess(process.execPath, [path.join(ROOT, 'examples', 'dashboard', 'node.js'), '--port', String(port)], {},
        /dashboard: open http/);
    },
    stop() {
      return stopProcess(this.p);
    },
    screenshot: true
  },
  {
    name: 'the small module on an emulated ESP32',
    async start(port) {
      this.board = loadBundle({ board: 'ESP32', bundlePath: path.join(ROOT, 'dist', 'espruino', 'web-socket-server.js'),
        storage: { 'dashboard.html': fs.readFileSync(PAGE, 'latin1') } });
      this.board.evaluate(boardApp(port));
      await until(() => this.board.stats().servers > 0, 'the board to listen');
    },
    stop() {
      return this.board.close();
    }
  }
];
if (ESPRUINO) {
  RUNS.push({
    name: 'the small module on a real Espruino interpreter (' + ESPRUINO + '), module and page in Storage',
    async start(port) {
      if (!this.dir) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-'));
        fs.copyFileSync(path.join(ROOT, 'dist', 'espruino', 'web-socket-server.js'), path.join(this.dir, 'module.js'));
        fs.copyFileSync(PAGE, path.join(this.dir, 'page.html'));
        fs.writeFileSync(path.join(this.dir, 'write.js'), 'var S = require("Storage"), f = require("fs");' +
          'S.write("web-socket-server", f.readFileSync("module.js")); S.write("dashboard.html", f.readFileSync("page.html")); quit();');
        spawnSync(ESPRUINO, ['write.js'], { cwd: this.dir, stdio: 'ignore', timeout: 20000 });
      }
      fs.writeFileSync(path.join(this.dir, 'app.js'), boardApp(port));
      this.p = await startProcess(ESPRUINO, ['app.js'], { cwd: this.dir }, /dashboard on port/);
    },
    async stop() {
      await stopProcess(this.p);
    },
    cleanup() {
      if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    }
  });
}

(CHROMIUM ? describe : describe.skip)('the dashboard in a real browser (' + (CHROMIUM || 'set CHROMIUM or install chromium to run') + ')', function () {
  this.timeout(60000);
  let browser;

  before(async function () {
    browser = await launch();
  });

  after(async function () {
    if (browser) await browser.close();
    for (const run of RUNS) if (run.cleanup) run.cleanup();
  });

  for (const run of RUNS) {
    it('on ' + run.name + ': live readings, the LED, echoes of text, JSON and binary, the client count, a reconnect after a restart', async function () {
      const port = await freePort();
      await run.start(port);
      const page = await browser.newPage({ viewport: { width: 1100, height: 330 } });
      try {
        const text = (id) => page.locator('#' + id).textContent();
        const waitText = async (id, re, ms) => {
          const deadline = Date.now() + (ms || 5000);
          let t;
          while (!re.test((t = await text(id)))) {
            if (Date.now() > deadline) throw new Error('#' + id + ': expected ' + re + ', got ' + JSON.stringify(t));
            await new Promise((r) => setTimeout(r, 25));
          }
          return t;
        };
        const t0 = Date.now();
        await page.goto('http://127.0.0.1:' + port + '/');
        await waitText('status', /^connected$/);
        // Live data within 2 s of opening the page, and more after it.
        const first = Number(await waitText('count', /^\d+$/, 2000));
        assert.ok(Date.now() - t0 < 2500, 'the first reading took ' + (Date.now() - t0) + ' ms');
        await waitText('count', new RegExp('^(?!' + first + '$)\\d+$'));
        await waitText('temp', /°C$/);
        assert.match(await text('up'), /^\d+ s$/);
        assert.match(await text('mem'), /^\d+ (MB|blocks)$/);
        await waitText('clients', /^1$/);
        // The LED: the board acts on the command and every page sees it.
        const led = page.locator('#led');
        assert.strictEqual(await led.getAttribute('class'), '');
        await page.click('#toggle');
        await page.waitForFunction(() => document.getElementById('led').className === 'on', null, { timeout: 5000 });
        // Echoes.
        await page.click('#text');
        await waitText('out', /^text: "hello, board"$/);
        await page.click('#json');
        await waitText('out', /^json: \{"text":"hello, board","at":\d+\}$/);
        await page.click('#bin');
        await waitText('out', /^binary: 1 2 3 250 255$/);
        if (run.screenshot) {
          // With a few readings in the chart.
          await waitText('count', /^([5-9]|\d\d+)$/, 10000);
          await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT || path.join(os.tmpdir(), 'dashboard.png') });
        }
        // A restart: the page reconnects by itself.
        await run.stop();
        await waitText('status', /^reconnecting$/);
        await run.start(port);
        await waitText('status', /^connected$/, 10000);
        const again = Number(await waitText('count', /^\d+$/));
        await waitText('count', new RegExp('^(?!' + again + '$)\\d+$'));
      } finally {
        await page.close();
        await run.stop();
      }
    });
  }
});
