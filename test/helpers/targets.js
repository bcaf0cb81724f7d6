// The targets that the behaviour suites run against. Each entry loads a module
// with the public surface { Server, supportedReceiveTypes, supportedSendTypes }.
//
// Entry fields:
//   name, load()  the target and its module
//   defaults      options every test server gets on this target
//   pickPort      true: tests must pass a real port (from freePort()), since
//                 the target cannot listen on port 0 and 'listening' reports
//                 the port that was asked for
//   byteStrings   true: strings are 8-bit on the target (Espruino), so text
//                 the server receives is a String of UTF-8 bytes, and strings
//                 given to send() are taken byte for byte
//   extras        the optional features are there (src/features.ts): path,
//                 verify, protocols, idleTimeout, maxFragments,
//                 queuePolicy 'close' and 'latest', stats(), ping(), 'pong'
//                 and 'drain' events
//   board         (espruino-emulated) the emulated board: 'ESP32' or 'ESP8266'
//   stats()       (espruino-emulated) the emulated board's live state: open
//                 sockets, servers, timers, listeners, buffered bytes,
//                 foreignFields, uncaught exceptions (see espruino-emulator.js)
'use strict';
const path = require('path');
const { loadBundle } = require('./espruino-emulator');

const root = path.join(__dirname, '..', '..');

// One emulated board per kind, bundle and process, made on first use.
const boards = {};
function espruinoEmulated(file, board) {
  const key = board + ' ' + file;
  if (!boards[key]) boards[key] = loadBundle({ board, bundlePath: path.join(root, 'dist/espruino', file) });
  return boards[key];
}

/** The built Espruino bundle `file` on a Node-emulated board (test/helpers/espruino-emulator.js):
 *  an ESP32 unless `board` says 'ESP8266'. */
function espruinoTarget(name, file, extras, board) {
  const b = board || 'ESP32';
  // The board defaults (8 KB messages and send queue, 64 fragments) are too
  // small for the 1 MB tests.
  const defaults = { maxPayload: 2 * 1024 * 1024, maxQueue: 4 * 1024 * 1024 };
  if (extras) defaults.maxFragments = 131072;
  return {
    name,
    load: () => espruinoEmulated(file, b).module,
    stats: () => espruinoEmulated(file, b).stats(),
    defaults,
    pickPort: true,
    byteStrings: true,
    extras,
    board: b
  };
}

const targets = [
  {
    name: 'node',
    load: () => require(path.join(root, 'dist/node/targets/node/index.js')),
    defaults: {},
    pickPort: false,
    byteStrings: false,
    extras: true
  },
  // The small bundle: the protocol core without the optional features
  // (src/features.ts); tests of those run on the other two targets, and
  // test/espruino-bundle.test.js checks that the small bundle refuses them.
  espruinoTarget('espruino-emulated', 'web-socket-server.js', false),
  espruinoTarget('espruino-emulated-full', 'web-socket-server-full.js', true)
];

module.exports = { targets, espruinoTarget, root };
