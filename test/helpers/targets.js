// The targets that the behaviour suites run against. Each entry loads a module
// with the public surface { Server, supportedReceiveTypes, supportedSendTypes }.
'use strict';
const path = require('path');

const root = path.join(__dirname, '..', '..');

const targets = [
  {
    name: 'node',
    load: () => require(path.join(root, 'dist/node/targets/node/index.js')),
    // Options every test server gets on this target.
    defaults: {}
  }
];

module.exports = { targets, root };
