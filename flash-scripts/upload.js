#!/usr/bin/env node
/*
 * flash-scripts/upload.js - upload an Espruino app together with the
 * web-socket-server module, using the `espruino` CLI (npm package "espruino",
 * a devDependency of this project).
 *
 * What it does:
 *   1. Stages a temporary directory holding modules/web-socket-server.js (and
 *      an identical modules/web-socket-server.min.js), copied from
 *      dist/espruino/web-socket-server.js (build it with `npx rollup -c --silent`).
 *   2. Runs the CLI with
 *        --config MODULES_CWD=<stage>
 *        --config MODULE_URL=<stage>/modules[|<the CLI's default online URLs>]
 *        --config MODULE_MINIFICATION_LEVEL=     (the bundle is minified already)
 *      so that `require("web-socket-server")` in the app is found and sent as
 *      `Modules.addCached("web-socket-server",function(){<bundle>});` before the
 *      app. (CLI 0.1.67's local `modules/` lookup, MODULES_CWD, does not work
 *      when the CLI runs under Node because plugins/localModules.js uses an
 *      undefined `fs`; the CLI reads a MODULE_URL that is not http(s) from
 *      disk, so that is the route that actually finds the module. The staged
 *      `.min.js` name makes the CLI treat it as already minified.)
 *   3. Serial (`--port /dev/ttyUSB0 --baud 115200`) or TCP/Telnet
 *      (`--port tcp://192.168.4.1:23`, port 23 if omitted) upload, or, with
 *      `--dry-run --out FILE`, no board at all: the CLI writes the code it
 *      would send (its `-o` output) and FILE receives a copy. On the wire the
 *      CLI adds only its console framing: "\x10reset();" first (RAM uploads),
 *      "\x10" (echo off) at line starts and Alt-Enter newlines inside
 *      statements. With --save, the upload writes that code to the Storage
 *      file .bootcde and load()s it.
 *      For serial and TCP ports the CLI gets --no-ble: its Bluetooth drivers
 *      are not needed and crash it where D-Bus is missing.
 *
 * Network: the CLI fetches any required module that is neither built into the
 * board nor staged from MODULE_URL (espruino.com by default) - on boards
 * without native crypto (ESP8266 512 KB, ESP32 IDF4) that is how it gets its
 * pure-JS `crypto` module. A real upload therefore keeps the CLI's online
 * module URLs after the staged one unless --offline is given. --dry-run (and
 * --offline) never use the network: modules come only from the stage, and the
 * board description comes from a JSON file (--board FILE.json, or one that
 * this script writes for the board names it knows, ESP32 by default).
 *
 * Run with --help for the options. Exit status: 0 on success, 1 on failure
 * (CLI error, no "Connected", "Unable to connect!", time-out, or a dry-run
 * output that lacks the module).
 *
 * This file also exports the helpers install-storage.js uses.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { parseArgs } = require('util');

const ROOT = path.resolve(__dirname, '..');
const MODULE_NAME = 'web-socket-server';
const BUNDLE = path.join(ROOT, 'dist', 'espruino', MODULE_NAME + '.js');
// The bundle with the optional features (path, verify, protocols, ...).
const FULL_BUNDLE = path.join(ROOT, 'dist', 'espruino', MODULE_NAME + '-full.js');
const DEFAULT_APP = path.join(ROOT, 'examples', 'espruino', 'echo.js');
const DEFAULT_BAUD = '115200';
const DEFAULT_TIMEOUT_S = 120;
const DEFAULT_DRY_RUN_BOARD = 'ESP32';

/** The CLI's own default MODULE_URL (core/modules.js), searched after the stage online. */
const CLI_MODULE_URL = 'https://www.espruino.com/modules|https://banglejs.com/apps/modules';

/**
 * Board descriptions used offline (--dry-run, --offline) instead of the CLI
 * downloading www.espruino.com/json/<BOARD>.json. Only `info.builtin_modules`
 * (which require()d names the CLI must not look for) and
 * `info.binary_version` (needed to be >= 1v96 for Storage uploads) matter to
 * the CLI here. The module lists are limited to what this project and its
 * example may require; whether `crypto` is built in follows the board build
 * files (see /work/shared/espruino-platform.md, section 3.1). binary_version
 * is a placeholder, not the board's real firmware version.
 */
const COMMON = ['net', 'http', 'Wifi', 'TelnetServer', 'Storage', 'Flash'];
const BOARDS = {
  ESP32: { builtin: COMMON.concat(['ESP32', 'crypto', 'tls', 'dgram']) },
  ESP32_IDF4: { builtin: COMMON.concat(['ESP32', 'dgram']) },
  ESP8266_4MB: { builtin: COMMON.concat(['ESP8266', 'crypto']) },
  ESP8266_BOARD: { builtin: COMMON.concat(['ESP8266']) }
};
const PLACEHOLDER_VERSION = '2v25';

function cliPath() {
  return require.resolve('espruino/bin/espruino-cli.js');
}

/** Throws a usage error (printed without a stack trace by main()). */
function usageError(msg) {
  const e = new Error(msg);
  e.usage = true;
  return e;
}

/** Checks that the module file exists; returns its absolute path. */
function checkBundle(file) {
  const f = path.resolve(file || BUNDLE);
  if (!fs.existsSync(f)) {
    throw usageError(f + ' not found' + (f === BUNDLE || f === FULL_BUNDLE ? ': build it first with `npm run build`' : ''));
  }
  return f;
}

/** The module file that --module and --full ask for (undefined: the default bundle). */
function moduleChoice(values) {
  if (values.full && values.module) throw usageError('--full and --module contradict each other');
  return values.full ? FULL_BUNDLE : values.module;
}

/**
 * Makes the temporary stage directory. With `withModule`, it holds
 * modules/web-socket-server.js and .min.js, copies of the bundle (or of
 * `moduleFile`), taken once so that a rebuild during the upload cannot mix
 * two versions.
 */
function makeStage(withModule, moduleFile) {
  const text = withModule ? fs.readFileSync(checkBundle(moduleFile)) : null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wss-flash-'));
  const mods = path.join(dir, 'modules');
  fs.mkdirSync(mods);
  fs.mkdirSync(path.join(dir, 'boards'));
  if (withModule) {
    fs.writeFileSync(path.join(mods, MODULE_NAME + '.js'), text);
    fs.writeFileSync(path.join(mods, MODULE_NAME + '.min.js'), text);
  }
  return dir;
}

function removeStage(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    // best effort
  }
}

/**
 * The CLI arguments that point module lookups at the stage (and, offline,
 * board JSON lookups too).
 */
function configArgs(stage, offline) {
  const mods = path.join(stage, 'modules');
  const args = [
    '--config', 'MODULES_CWD=' + stage,
    '--config', 'MODULE_URL=' + (offline ? mods : mods + '|' + CLI_MODULE_URL),
    '--config', 'MODULE_MINIFICATION_LEVEL='
  ];
  // When the CLI connects to a board it loads BOARD_JSON_URL/<BOARD>.json
  // (www.espruino.com by default). Offline, point it at the (empty) stage:
  // the CLI logs a "not found" error and carries on with what the board reported.
  if (offline) args.push('--config', 'BOARD_JSON_URL=' + path.join(stage, 'boards'));
  return args;
}

/**
 * Resolves --board. A path to a JSON file is used as it is; with `useTable`
 * (dry runs and --offline) a known name is written to
 * <stage>/boards/<NAME>.json; otherwise the name is passed to the CLI, which
 * downloads www.espruino.com/json/<NAME>.json. Returns the CLI arguments
 * (possibly none).
 */
function boardArgs(board, stage, useTable) {
  if (!board) return [];
  const asFile = path.resolve(board);
  if (/\.json$/i.test(board) || fs.existsSync(asFile)) {
    if (!fs.existsSync(asFile)) throw usageError('board JSON file not found: ' + board);
    // The CLI treats a --board value containing "." as a file name.
    return ['--board', asFile];
  }
  if (!useTable) return ['--board', board];
  const known = BOARDS[board];
  if (!known) {
    throw usageError('unknown board name "' + board + '" for a dry run or --offline; known: ' + Object.keys(BOARDS).join(', ') +
      ' (or pass a board JSON file, e.g. one saved from https://www.espruino.com/json/' + board + '.json)');
  }
  const file = path.join(stage, 'boards', board + '.json');
  const json = {
    info: {
      name: board + ' (offline description written by flash-scripts)',
      binary_version: PLACEHOLDER_VERSION,
      builtin_modules: known.builtin
    }
  };
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
  return ['--board', file];
}

/** The CLI arguments for the connection (none for a dry run). */
function portArgs(opts) {
  if (opts.dryRun) return [];
  const baud = String(opts.baud || DEFAULT_BAUD);
  if (!/^\d+$/.test(baud)) throw usageError('--baud must be a number, got ' + baud);
  // "-b" (starts with "-") ends the CLI's list of ports after -p.
  const args = ['-p', opts.port, '-b', baud];
  // Bluetooth LE is only wanted for a Bluetooth address; otherwise --no-ble
  // stops the CLI from starting its BLE drivers (node-ble needs D-Bus, and the
  // CLI crashes where the system bus is missing).
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(opts.port)) args.push('--no-ble');
  return args;
}

/** Checks the options shared by both scripts. */
function checkCommon(opts) {
  if (opts.dryRun) {
    if (!opts.out) throw usageError('--dry-run needs --out FILE');
    if (opts.port) throw usageError('--dry-run does not connect: leave out --port');
  } else {
    if (!opts.port) throw usageError('--port is required (or use --dry-run --out FILE)');
    if (opts.out) throw usageError('--out is only used with --dry-run');
  }
  if (opts.timeout !== undefined && !/^\d+(\.\d+)?$/.test(String(opts.timeout))) {
    throw usageError('--timeout must be a number of seconds');
  }
}

/** Lines of CLI output that mean the upload did not happen. */
const FAILURE_PATTERNS = [
  /Unable to connect!/,
  /Prompt not detected - upload failed/,
  /Error: No Ports Found/,
  /pre-1v96 firmware - unable to upload to Storage/,
  /Invalid Storage file name/
];

/**
 * Runs the CLI with `args` (options: cwd, timeoutS, verbose, quiet,
 * hideMissingIn), forwarding its output. Resolves to
 * { code, signal, output, timedOut, failed, missing } where `failed` lists
 * matched FAILURE_PATTERNS and `missing` the "Module X not found" names.
 */
function runCli(args, options) {
  const o = options || {};
  const timeoutMs = (o.timeoutS === undefined ? DEFAULT_TIMEOUT_S : Number(o.timeoutS)) * 1000;
  return new Promise(function (resolve) {
    if (o.verbose) process.stderr.write('espruino ' + args.map(quote).join(' ') + '\n');
    const child = spawn(process.execPath, [cliPath()].concat(args), {
      cwd: o.cwd || ROOT,
      env: process.env,
      // stdin is not forwarded: these scripts never use the CLI's terminal mode.
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let output = '';
    let timedOut = false;
    let timer = null;
    if (timeoutMs > 0) {
      timer = setTimeout(function () {
        timedOut = true;
        process.stderr.write('espruino CLI did not finish within ' + timeoutMs / 1000 + ' s: stopping it\n');
        child.kill('SIGTERM');
        setTimeout(function () {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, 2000).unref();
      }, timeoutMs);
    }
    child.stdout.on('data', function (d) {
      output += d;
      if (!o.quiet) process.stdout.write(d);
    });
    // The CLI prints a multi-line ENOENT error object for every stage file it
    // tries and does not find (e.g. modules/net.min.js); "Module X not found"
    // follows when no place had it. Those error objects are not forwarded.
    let errLine = '';
    let skipping = false;
    function forwardErr(line) {
      if (o.hideMissingIn && !skipping && line.indexOf('[Error: ENOENT') === 0 && line.indexOf(o.hideMissingIn) >= 0) {
        skipping = !/\}\s*$/.test(line);
        return;
      }
      if (skipping) {
        if (/^\}\s*$/.test(line)) skipping = false;
        return;
      }
      if (!o.quiet) process.stderr.write(line);
    }
    child.stderr.on('data', function (d) {
      output += d;
      errLine += d;
      let i;
      while ((i = errLine.indexOf('\n')) >= 0) {
        forwardErr(errLine.slice(0, i + 1));
        errLine = errLine.slice(i + 1);
      }
    });
    child.on('error', function (e) {
      if (timer) clearTimeout(timer);
      resolve({ code: 1, output: output + String(e), timedOut: timedOut, failed: [String(e)], missing: [] });
    });
    child.on('close', function (code, signal) {
      if (timer) clearTimeout(timer);
      if (errLine) forwardErr(errLine);
      const failed = FAILURE_PATTERNS.filter(function (re) { return re.test(output); }).map(String);
      const missing = [];
      output.replace(/Module (\S+) not found/g, function (_, name) {
        if (missing.indexOf(name) < 0) missing.push(name);
        return _;
      });
      resolve({ code: code === null ? 1 : code, signal: signal, output: output, timedOut: timedOut, failed: failed, missing: missing });
    });
  });
}

function quote(a) {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\\''") + "'";
}

/**
 * True if the CLI run worked; prints why not otherwise. `connecting`: a real
 * upload, which must have printed "Connected" (the CLI exits with status 0
 * when, for example, a TCP connection is refused).
 */
function reportRun(r, connecting) {
  if (r.timedOut) return false;
  if (r.code !== 0) {
    process.stderr.write('espruino CLI exited with ' + (r.signal || 'code ' + r.code) + '\n');
    return false;
  }
  if (r.failed.length) {
    process.stderr.write('espruino CLI reported a failure: ' + r.failed.join(', ') + '\n');
    return false;
  }
  if (connecting && !/^Connected\s*$/m.test(r.output)) {
    process.stderr.write('espruino CLI did not connect to the board\n');
    return false;
  }
  return true;
}

/** Where a dry run's CLI writes (-o): the user's --out file itself, so
 *  that what the CLI prints ("Writing output to ...") names a file that
 *  stays. */
function outputFile(out) {
  const dest = path.resolve(out);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (fs.existsSync(dest)) fs.rmSync(dest);
  return dest;
}

/** The dry run's output: the CLI must have written it. */
function readOutput(dest) {
  if (!fs.existsSync(dest)) throw new Error('the espruino CLI wrote no output file');
  return fs.readFileSync(dest, 'latin1');
}

/** The WiFi placeholders of the example apps, as they appear in them. */
const WIFI_PLACEHOLDERS = { ssid: "'YOUR_WIFI_SSID'", password: "'YOUR_WIFI_PASSWORD'" };

/**
 * The app as it is uploaded: a copy in the stage, with the WiFi network
 * from --wifi-ssid and --wifi-password (or WIFI_SSID and WIFI_PASSWORD in
 * the environment) in place of the placeholders, so that they are never
 * edited into the file. Warns when placeholders would be uploaded.
 */
function stageApp(app, stage, wifi) {
  let text = fs.readFileSync(app, 'latin1');
  for (const k of Object.keys(WIFI_PLACEHOLDERS)) {
    if (wifi[k] !== undefined) text = text.split(WIFI_PLACEHOLDERS[k]).join(JSON.stringify(wifi[k]));
  }
  const left = Object.keys(WIFI_PLACEHOLDERS).filter((k) => text.indexOf(WIFI_PLACEHOLDERS[k]) >= 0);
  if (left.length) {
    process.stderr.write('WARNING: the app still holds the WiFi placeholder' + (left.length > 1 ? 's ' : ' ') +
      left.map((k) => WIFI_PLACEHOLDERS[k]).join(' and ') + ': give ' + left.map((k) => '--wifi-' + k).join(' and ') +
      ' (or ' + left.map((k) => 'WIFI_' + k.toUpperCase()).join(' and ') + ' in the environment), or the board cannot join the network.\n');
  }
  const staged = path.join(stage, 'app', path.basename(app));
  fs.mkdirSync(path.dirname(staged), { recursive: true });
  fs.writeFileSync(staged, text, 'latin1');
  return staged;
}

// ---------------------------------------------------------------- upload.js

const HELP = `Usage: node flash-scripts/upload.js [options]

Uploads an Espruino app together with the web-socket-server module
(dist/espruino/web-socket-server.js, sent as Modules.addCached) using the
espruino CLI from node_modules.

Options:
  --port PORT        Serial device (/dev/ttyUSB0, COM3) or tcp://HOST[:PORT]
                     (Telnet console, port 23 by default), or a Bluetooth LE
                     address. Required unless --dry-run.
  --baud N           Serial baud rate (default ${DEFAULT_BAUD}; ignored for USB and TCP).
  --app FILE         App to upload (default examples/espruino/echo.js).
  --wifi-ssid NAME   The WiFi network, in place of the app's 'YOUR_WIFI_SSID'
  --wifi-password P  and 'YOUR_WIFI_PASSWORD' (default: WIFI_SSID and
                     WIFI_PASSWORD in the environment). The app file is not
                     changed; the upload warns if a placeholder would go up.
  --module FILE      Module file to send as "web-socket-server"
                     (default dist/espruino/web-socket-server.js).
  --full             Send dist/espruino/web-socket-server-full.js, the module
                     with the optional features (path, verify, protocols,
                     idleTimeout, ...), as "web-socket-server".
  --board B          Board description to use instead of asking the board:
                     a JSON file (e.g. saved from https://www.espruino.com/json/ESP32.json),
                     or a name. For --dry-run or --offline the name must be one of
                     ${Object.keys(BOARDS).join(', ')}
                     (described locally; dry-run default ${DEFAULT_DRY_RUN_BOARD}); for a real
                     upload the CLI downloads https://www.espruino.com/json/NAME.json.
                     Best left out for real uploads: the board then reports its
                     own firmware version and built-in modules.
  --save             Save to flash: the whole upload (module + app) is written to the
                     Storage file .bootcde, runs at every boot, and is started now;
                     function code stays in flash instead of RAM.
                     Without --save the code goes to RAM and is lost on reset.
  --module-in-storage
                     Do not send the module: the board already has it in Storage
                     (flash-scripts/install-storage.js). The CLI then warns
                     "Module web-socket-server not found"; that is expected.
  --dry-run          Do not connect to a board: write the exact code the CLI would
                     send to --out. Never uses the network.
  --out FILE         Output file for --dry-run.
  --offline          Real upload without network access: modules only from the
                     stage (a board without native crypto then lacks 'crypto').
  --online           Dry run that may download modules missing from the stage
                     (e.g. crypto for --board ESP8266_BOARD) from espruino.com.
  --sleep S          Keep listening to the board for S seconds after the upload
                     (to see the IP address and 'listening').
  --timeout S        Stop the CLI after S seconds (default ${DEFAULT_TIMEOUT_S}; 0 = never).
  --verbose          Print the CLI command line and pass -v to the CLI.
  --help             Show this help.

Examples:
  node flash-scripts/upload.js --port /dev/ttyUSB0
  node flash-scripts/upload.js --port /dev/ttyUSB0 --baud 115200 --save --sleep 15
  node flash-scripts/upload.js --port tcp://192.168.4.1:23 --app my-app.js
  node flash-scripts/upload.js --dry-run --out /tmp/upload.js --board ESP8266_4MB
`;

/** The options both scripts take. */
const COMMON_OPTIONS = {
  port: { type: 'string' },
  baud: { type: 'string', default: DEFAULT_BAUD },
  module: { type: 'string' },
  full: { type: 'boolean', default: false },
  board: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  out: { type: 'string' },
  offline: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
};

/**
 * Parses a script's arguments: COMMON_OPTIONS and the script's own `extra`
 * ones. For --help, prints `help` and returns null. Otherwise returns
 * { values, opts }: opts holds the common options, checked, as the
 * functions here take them.
 */
function parseCommon(argv, extra, help) {
  const options = Object.assign({}, COMMON_OPTIONS, extra);
  const { values } = parseArgs({ args: argv, options: options, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(help);
    return null;
  }
  const opts = {
    port: values.port,
    baud: values.baud,
    board: values.board,
    dryRun: values['dry-run'],
    out: values.out,
    timeout: values.timeout,
    verbose: values.verbose
  };
  checkCommon(opts);
  return { values: values, opts: opts };
}

const UPLOAD_OPTIONS = {
  app: { type: 'string', default: DEFAULT_APP },
  'wifi-ssid': { type: 'string' },
  'wifi-password': { type: 'string' },
  save: { type: 'boolean', default: false },
  'module-in-storage': { type: 'boolean', default: false },
  online: { type: 'boolean', default: false },
  sleep: { type: 'string' }
};

async function uploadMain(argv) {
  const parsed = parseCommon(argv, UPLOAD_OPTIONS, HELP);
  if (!parsed) return 0;
  const values = parsed.values, opts = parsed.opts;
  opts.app = path.resolve(values.app);
  opts.save = values.save;
  opts.moduleInStorage = values['module-in-storage'];
  if (values.offline && values.online) throw usageError('--offline and --online contradict each other');
  if (values.online && !opts.dryRun) throw usageError('--online is only for --dry-run (real uploads are online by default)');
  if (values.sleep !== undefined && !/^\d+(\.\d+)?$/.test(values.sleep)) throw usageError('--sleep must be a number of seconds');
  if (!fs.existsSync(opts.app)) throw usageError('app file not found: ' + values.app);
  // The CLI only accepts a file name containing ".js" as the file to upload.
  if (!/\.js/i.test(path.basename(opts.app)) || /\.json$/i.test(opts.app)) {
    throw usageError('--app must be a .js file (the espruino CLI insists), got ' + values.app);
  }
  const offline = opts.dryRun ? !values.online : values.offline;

  const moduleFile = moduleChoice(values);
  if (opts.moduleInStorage && moduleFile) throw usageError('--module-in-storage sends no module: --module and --full do not apply');
  const stage = makeStage(!opts.moduleInStorage, moduleFile);
  try {
    const app = stageApp(opts.app, stage, {
      ssid: values['wifi-ssid'] !== undefined ? values['wifi-ssid'] : process.env.WIFI_SSID,
      password: values['wifi-password'] !== undefined ? values['wifi-password'] : process.env.WIFI_PASSWORD
    });
    const stageOut = opts.dryRun ? outputFile(opts.out) : null;
    const board = opts.board || (opts.dryRun ? DEFAULT_DRY_RUN_BOARD : undefined);
    const args = [].concat(
      configArgs(stage, offline),
      boardArgs(board, stage, offline || opts.dryRun),
      // "--storage .bootcde:-" makes the CLI write the code to the Storage file
      // .bootcde (run at boot) and load() it, also when it writes -o output.
      // (SAVE_ON_SEND=1 would be ignored: the CLI resets it to -1 when -o is used.)
      opts.save ? ['--storage', '.bootcde:-'] : [],
      opts.dryRun ? ['-o', stageOut] : portArgs(opts),
      values.sleep !== undefined ? ['--sleep', values.sleep] : [],
      opts.verbose ? ['-v'] : [],
      [app]
    );
    const r = await runCli(args, { timeoutS: opts.timeout, verbose: opts.verbose, cwd: stage, hideMissingIn: stage });
    if (!reportRun(r, !opts.dryRun)) return 1;
    if (opts.moduleInStorage && r.missing.indexOf(MODULE_NAME) >= 0) {
      process.stderr.write('NOTE: "Module ' + MODULE_NAME + ' not found" is expected with --module-in-storage: ' +
        'the board loads it from Storage.\n');
    }
    if (r.missing.length) {
      const expected = opts.moduleInStorage ? [MODULE_NAME] : [];
      const others = r.missing.filter(function (m) { return expected.indexOf(m) < 0; });
      if (others.length) {
        process.stderr.write('NOTE: the CLI could not find module(s) ' + others.join(', ') +
          '; they were not sent. They must be built into the board (or in its Storage), or require() will fail there.\n');
      }
    }
    if (opts.dryRun) {
      const code = readOutput(stageOut);
      const expect = opts.save ? 'require("Storage").write(".bootcde"' : 'Modules.addCached("' + MODULE_NAME + '"';
      if (!opts.moduleInStorage && code.indexOf(expect) < 0) {
        process.stderr.write('dry run output lacks ' + expect + ': the module was not included\n');
        return 1;
      }
      process.stdout.write('Dry run: wrote ' + code.length + ' bytes to ' + stageOut + '\n');
    }
    return 0;
  } finally {
    removeStage(stage);
  }
}

function runMain(main) {
  main(process.argv.slice(2)).then(function (code) {
    process.exitCode = code;
  }, function (e) {
    if (e && (e.usage || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
        e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')) {
      process.stderr.write(path.basename(process.argv[1]) + ': ' + e.message + '\nTry --help.\n');
    } else {
      process.stderr.write(((e && e.stack) || String(e)) + '\n');
    }
    process.exitCode = 1;
  });
}

module.exports = {
  ROOT: ROOT,
  MODULE_NAME: MODULE_NAME,
  BUNDLE: BUNDLE,
  FULL_BUNDLE: FULL_BUNDLE,
  moduleChoice: moduleChoice,
  BOARDS: BOARDS,
  DEFAULT_BAUD: DEFAULT_BAUD,
  DEFAULT_TIMEOUT_S: DEFAULT_TIMEOUT_S,
  DEFAULT_DRY_RUN_BOARD: DEFAULT_DRY_RUN_BOARD,
  cliPath: cliPath,
  usageError: usageError,
  checkBundle: checkBundle,
  makeStage: makeStage,
  removeStage: removeStage,
  configArgs: configArgs,
  boardArgs: boardArgs,
  portArgs: portArgs,
  parseCommon: parseCommon,
  runCli: runCli,
  reportRun: reportRun,
  outputFile: outputFile,
  readOutput: readOutput,
  runMain: runMain,
  uploadMain: uploadMain
};

if (require.main === module) runMain(uploadMain);
