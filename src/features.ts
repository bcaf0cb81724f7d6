// Build switches. EXTRAS: the optional features: path, verify, protocols,
// idleTimeout, maxFragments, the 'close' and 'latest' queue policies, stats(),
// ping() and 'pong' events. True in the Node build and in the full Espruino
// bundle; the small Espruino bundle (dist/espruino/web-socket-server.js) is
// built with it false (rollup.config.mjs), and the minifier drops their code.
// There, giving one of those options throws.
//
// NATIVE: the host may have native code for the loops over long payloads
// (host.ts, _unmask and _isAscii). True in the Node build; false in both
// Espruino bundles, which then carry no code that looks for them.
export var EXTRAS = true;
export var NATIVE = true;
