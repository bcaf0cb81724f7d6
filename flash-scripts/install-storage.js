#!/usr/bin/env node
/*
 * flash-scripts/install-storage.js - install the web-socket-server module into
 * the board's Storage (flash) as the file "web-socket-server".
 *
 * On the board, require("web-socket-server") then finds that Storage file
 * (when the name is not in the module cache) and runs it as a module. On
 * ESP32/ESP8266 and other MCUs the file is memory-mapped, so the module's
 * source text stays in flash instead of taking RAM, and it survives reset().
 * Upload apps afterwards with `upload.js --module-in-storage`, so that the
 * module is not sent (and cached in RAM) again.
 *
 * The module goes in pretokenised (flash-scripts/storage-image.js): its
 * keywords and operators as Espruino's one-byte tokens, as the Web IDE's
 * "Pretokenise code before upload" does. That is about 14% fewer bytes of
 * Storage, and fewer for the board to read each time it runs a function.
 *
 * How: runs the espruino CLI (node_modules) with
 *   --storage web-socket-server:storage/web-socket-server
 * (the pretokenised bundle, from dist/espruino/web-socket-server.js, in a
 * temporary directory that is the CLI's working directory), which sends
 *   require("Storage").write("web-socket-server",atob("..."),0,<size>)
 *   require("Storage").write("web-socket-server",atob("..."),384) ...
 * followed by a one-line check (-e) that prints the stored size. The board is
 * not reset. With --dry-run --out FILE nothing connects: the CLI writes that
 * code (its -o output) and FILE receives a copy.
 *
 * Storage space: the small module takes about 15 KB, the full one 17 KB.
 * ESP8266 boards with 512 KB flash have only 16 KB of Storage in total.
 *
 * Network: this upload needs no module from espruino.com. When it connects to
 * a board, the CLI downloads www.espruino.com/json/<BOARD>.json for
 * information (carrying on if that fails); --offline stops that. A dry run
 * never uses the network.
 *
 * Run with --help for the options. Exit status: 0 on success, 1 on failure.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const up = require('./upload.js');
const { storageImage } = require('./storage-image.js');

const NAME = up.MODULE_NAME; // Storage file name (at most 28 characters)
const STAGED = 'modules/' + up.MODULE_NAME + '.js'; // relative to the stage: no ':' for --storage
const IMAGE = 'storage/' + up.MODULE_NAME; // the pretokenised module, what goes into Storage
// Printed by the board after the upload (ES5, one line, no leading '-').
const CHECK = 'print("' + NAME + ' in Storage: "+(require("Storage").read("' + NAME + '")||"").length+" bytes")';
const CHECK_RE = new RegExp(NAME + ' in Storage: (\\d+) bytes');

const HELP = `Usage: node flash-scripts/install-storage.js [options]

Writes dist/espruino/web-socket-server.js into the board's Storage as the file
"${NAME}", using the espruino CLI from node_modules. Afterwards
require("${NAME}") on the board loads it from flash; upload apps with
  node flash-scripts/upload.js --port PORT --module-in-storage

Options:
  --port PORT    Serial device (/dev/ttyUSB0, COM3) or tcp://HOST[:PORT]
                 (Telnet console, port 23 by default). Required unless --dry-run.
  --baud N       Serial baud rate (default ${up.DEFAULT_BAUD}; ignored for USB and TCP).
  --module FILE  Module file to install (default dist/espruino/web-socket-server.js).
                 It goes into Storage pretokenised, as the Web IDE's "Pretokenise
                 code before upload" does: about 14% fewer bytes, and faster to
                 run from flash.
  --full         Install dist/espruino/web-socket-server-full.js, the module with
                 the optional features and its message path in RAM (faster, about
                 180 blocks more: for an ESP32, a Pico or an Espruino WiFi), as
                 "${NAME}".
  --file NAME:PATH
                 Also write the file PATH into Storage as NAME (at most 28
                 characters), for example a page:
                 --file dashboard.html:examples/dashboard/index.html
                 May be given more than once.
  --board B      Board description instead of asking the board: a JSON file, or
                 offline/dry run one of ${Object.keys(up.BOARDS).join(', ')}
                 (dry-run default ${up.DEFAULT_DRY_RUN_BOARD}).
  --dry-run      Do not connect: write the exact code the CLI would send to --out.
                 Never uses the network.
  --out FILE     Output file for --dry-run.
  --offline      Do not let the CLI download board information when connecting.
  --timeout S    Stop the CLI after S seconds (default ${up.DEFAULT_TIMEOUT_S}; 0 = never).
  --verbose      Print the CLI command line and pass -v to the CLI.
  --help         Show this help.

Examples:
  node flash-scripts/install-storage.js --port /dev/ttyUSB0
  node flash-scripts/install-storage.js --port tcp://192.168.4.1:23
  node flash-scripts/install-storage.js --dry-run --out /tmp/storage-upload.js
`;

async function main(argv) {
  // Only the options upload.js also takes.
  const parsed = up.parseCommon(argv, { file: { type: 'string', multiple: true } }, HELP);
  if (!parsed) return 0;
  const values = parsed.values, opts = parsed.opts;
  const moduleFile = up.moduleChoice(values);
  up.checkBundle(moduleFile);
  const offline = opts.dryRun || values.offline;

  const stage = up.makeStage(true, moduleFile);
  try {
    // (From the stage's copy: a rebuild meanwhile cannot mix two versions.)
    fs.mkdirSync(path.join(stage, 'storage'));
    fs.writeFileSync(path.join(stage, IMAGE), storageImage(path.join(stage, STAGED)));
    const size = fs.statSync(path.join(stage, IMAGE)).size;
    const stageOut = opts.dryRun ? up.outputFile(opts.out) : null;
    // Other files for Storage (--file NAME:PATH, a page say), staged by
    // index: the CLI's NAME:PATH takes no second ':'.
    const files = (values.file || []).map(function (spec, i) {
      const at = spec.indexOf(':'), name = spec.slice(0, at), from = spec.slice(at + 1);
      if (at < 1 || !from) throw up.usageError('--file takes NAME:PATH, got ' + spec);
      if (name.length > 28) throw up.usageError('a Storage file name has at most 28 characters: ' + name);
      if (!fs.existsSync(from)) throw up.usageError('file not found: ' + from);
      const staged = 'files/' + i;
      fs.mkdirSync(path.join(stage, 'files'), { recursive: true });
      fs.copyFileSync(from, path.join(stage, staged));
      return ['--storage', name + ':' + staged];
    });
    const board = opts.board || (opts.dryRun ? up.DEFAULT_DRY_RUN_BOARD : undefined);
    const args = [].concat(
      up.configArgs(stage, offline),
      up.boardArgs(board, stage, offline),
      ['--storage', NAME + ':' + IMAGE],
      [].concat.apply([], files),
      // With -e and no file the CLI neither resets the board nor enters its
      // interactive terminal mode.
      ['-e', CHECK],
      opts.dryRun ? ['-o', stageOut] : up.portArgs(opts),
      opts.verbose ? ['-v'] : []
    );
    const r = await up.runCli(args, { timeoutS: opts.timeout, verbose: opts.verbose, cwd: stage, hideMissingIn: stage });
    if (!up.reportRun(r, !opts.dryRun)) return 1;
    if (opts.dryRun) {
      const code = up.readOutput(stageOut);
      const expect = 'require("Storage").write(' + JSON.stringify(NAME) + ',';
      if (code.indexOf(expect) < 0) {
        process.stderr.write('dry run output lacks ' + expect + '\n');
        return 1;
      }
      process.stdout.write('Dry run: wrote ' + code.length + ' bytes to ' + stageOut +
        ' (stores ' + size + ' bytes as "' + NAME + '")\n');
      return 0;
    }
    const m = CHECK_RE.exec(r.output);
    if (!m) {
      process.stderr.write('WARNING: did not see the board confirm the Storage file; check with\n  ' + CHECK + '\n');
    } else if (Number(m[1]) !== size) {
      process.stderr.write('Storage file "' + NAME + '" has ' + m[1] + ' bytes, expected ' + size +
        ' (out of Storage space? try require("Storage").compact())\n');
      return 1;
    } else {
      process.stdout.write('Installed "' + NAME + '" in Storage (' + size + ' bytes).\n');
    }
    return 0;
  } finally {
    up.removeStage(stage);
  }
}

module.exports = { main: main, CHECK: CHECK, NAME: NAME };

if (require.main === module) up.runMain(main);
