// Build switch for the optional features: path, verify, protocols,
// idleTimeout, maxFragments, the 'close' and 'latest' queue policies, stats(),
// ping() and 'pong' events. True in
// the Node build and in the full Espruino bundle; the small Espruino bundle
// (dist/espruino/web-socket-server.js) is built with it false
// (rollup.config.mjs), and the minifier drops their code. There, giving one
// of those options throws.
export var EXTRAS = true;
