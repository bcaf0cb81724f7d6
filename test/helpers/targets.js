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
//   stats()       (espruino-emulated) the emulated board's live state: open
//                 sockets, servers, timers, listeners, buffered bytes,
//                 foreignFields, uncaught exceptions (see espruino-emulator.js)
'use strict';
const path = require('path');
const { loadBundle } = require('./espruino-emulator');

const root = path.join(__dirname, '..', '..');

// One emulated ESP32 per process, made on first use.
let emulated = null;
function espruinoEmulated() {
  if (!emulated) {
    emulated = loadBundle({ board: 'ESP32', bundlePath: path.join(root, 'dist/espruino/web-socket-server.js') });
  }
  return emulated;
}

const targets = [
  {
    name: 'node',
    load: () => require(path.join(root, 'dist/node/targets/node/index.js')),
    defaults: {},
    pickPort: false,
    byteStrings: false
  },
  {
    // The built Espruino bundle on a Node-emulated ESP32 (test/helpers/espruino-emulator.js).
    name: 'espruino-emulated',
    load: () => espruinoEmulated().module,
    stats: () => espruinoEmulated().stats(),
    // The board defaults (8 KB messages and send queue, 64 fragments) are too
    // small for the 1 MB tests.
    defaults: { maxPayload: 2 * 1024 * 1024, maxQueue: 4 * 1024 * 1024, maxFragments: 131072 },
    pickPort: true,
    byteStrings: true
  }
];

module.exports = { targets, root };
