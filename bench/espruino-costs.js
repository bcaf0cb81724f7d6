// What the module's shape costs on a real Espruino interpreter, in the terms
// docs/design.md weighs its choices by. Small test modules, written here,
// each required from Storage as on a board:
//
//   1. blocks: a module of 10 functions without parameters, the same with 3
//      parameters each (so: per function, per parameter), and with the 3
//      read from `arguments` instead (what the build makes of a function
//      marked 'rarely run'); a class of a constructor and 4 methods as ES5
//      writes it (a function called in place that makes them) and unwrapped
//      (made at module level);
//   1b. time per call of a function of 3 parameters, and of the same reading
//      them from `arguments`, from Storage;
//   1c. time per call of a function of 5 parameters, and of the same taking
//      them from module-level variables its caller sets (1 block less per
//      parameter, as `arguments` is), each called in a loop of the module's;
//   2. time per call of a function that reads its whole text at every call:
//      a short one, and one that skips 2, 4 and 8 KB of code it does not run
//      (as a function holding many rarely run ones would), from Storage and
//      from RAM (Modules.addCached). The code is the same in each, and is
//      not pretokenised.
//
//   ESPRUINO=/path/to/espruino node bench/espruino-costs.js [--calls N]
//
// --calls  calls timed per case (default 300). Blocks are exact; times are
//          the median of 5 runs, each on a fresh interpreter, and say what
//          one function costs against another on the same build, not how
//          fast a board is.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { median, options, workDir } = require('./espruino-run');

const ESPRUINO = process.env.ESPRUINO;
const OPTIONS = options({ calls: ['string', '300'] });
const CALLS = +OPTIONS.calls;
const RUNS = 5;

if (!ESPRUINO) {
  console.log('Measures what functions cost on a real Espruino interpreter: blocks, and time per call by the length of their text.');
  console.log('Usage: ESPRUINO=/path/to/espruino node bench/espruino-costs.js [--calls N]');
  process.exit(0);
}

/** Runs `app` on ESPRUINO with `module` (text) in Storage; its printed lines. */
function run(module, app) {
  const file = path.join(require('os').tmpdir(), 'costs-module-' + process.pid + '.js');
  fs.writeFileSync(file, module);
  const dir = workDir(ESPRUINO, file, true);
  fs.rmSync(file);
  try {
    fs.writeFileSync(path.join(dir, 'app.js'), app + '\nquit();\n');
    const r = spawnSync(ESPRUINO, ['app.js'], { cwd: dir, input: '', encoding: 'latin1', timeout: 120000 });
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Blocks the module takes once required from Storage. */
function blocks(module) {
  const out = run(module, [
    'function used() { process.memory(); return process.memory().usage; }',
    'require("Storage").read("none");',
    'var before = used(), m = require("web-socket-server");',
    'print("BLOCKS " + (used() - before));'
  ].join('\n'));
  const m = /BLOCKS (\d+)/.exec(out);
  if (!m) throw new Error('no figure:\n' + out);
  return +m[1];
}

const repeat = (n, f) => Array.from({ length: n }, (_, i) => f(i)).join('\n');
const tenFunctions = (params) => repeat(10, (i) => 'function f' + i + '(' + params + ') { return ' + i + '; }') + '\nexports.f = f0;';
const tenReading = repeat(10, (i) => 'function f' + i + '() { var args = arguments, a = args[0], b = args[1], c = args[2]; return ' + i + '; }') + '\nexports.f = f0;';
const threeWays = 'function given(a, b, c) { return a + b + c; }\nfunction read() { var args = arguments, a = args[0], b = args[1], c = args[2]; return a + b + c; }\n' +
  'exports.given = given;\nexports.read = read;';
const fiveWays = 'var A0, A1, A2, A3, A4;\n' +
  'function given(a, b, c, d, e) { return a + b + c + d + e; }\n' +
  'function shared() { var a = A0, b = A1, c = A2, d = A3, e = A4; return a + b + c + d + e; }\n' +
  'function callGiven(n) { var i, r = 0; for (i = 0; i < n; i++) r += given(1, 2, i, 1, 2); return r; }\n' +
  'function callShared(n) { var i, r = 0; for (i = 0; i < n; i++) r += (A0 = 1, A1 = 2, A2 = i, A3 = 1, A4 = 2, shared()); return r; }\n' +
  'exports.given = callGiven;\nexports.shared = callShared;';
const wrapped = 'var C = (function () {\nfunction C(x) { this.x = x; }\n' + repeat(4, (i) => 'C.prototype.m' + i + ' = function (a) { return a; };') + '\nreturn C;\n}());\nexports.C = C;';
const unwrapped = 'function C(x) { this.x = x; }\n' + repeat(4, (i) => 'C.prototype.m' + i + ' = function (a) { return a; };') + '\nexports.C = C;';

/** A function that returns at once for k == 1 and skips `bytes` of code it
 *  does not run (function expressions called in place, one per other k),
 *  beside a short one. */
function skipping(bytes) {
  const work = 'if (s.x == 1) { s.y = a + b * 2; t = s.z.indexOf(a); } else { u = new Uint8Array(4); u[0] = a >> 8; u[1] = a & 255; }' +
    ' for (i = 0; i < n.length; i++) if (n[i] == "abc") return i;';
  let body = '', k = 100;
  while (body.length < bytes) body += 'if (k == ' + k++ + ') return function (s, a, b) { var t, u, i, n; ' + work + work + work + ' }(a, a, a);\n';
  return 'function long(k, a) {\nif (k == 1) return a + 1;\n' + body + 'return 0;\n}\nfunction short(k, a) { return a + 1; }\nexports.long = long;\nexports.short = short;';
}

/** ms per call of the module's functions `first` and `second`, each called
 *  with (1, 2, i), from Storage or RAM; with `loops`, each called once with
 *  the number of calls, which it makes itself. */
function callTimes(module, first, second, inRam, loops) {
  const calls = (name) => loops ? 'm.' + name + '(' + CALLS + ');' : 'for (i = 0; i < ' + CALLS + '; i++) m.' + name + '(1, 2, i);';
  const out = run(module, [
    inRam ? 'Modules.addCached("web-socket-server", ' + JSON.stringify(module) + ');' : '',
    'var m = require("web-socket-server"), i, t0, t1, t2;',
    't0 = getTime(); ' + calls(first),
    't1 = getTime(); ' + calls(second),
    't2 = getTime();',
    'print("TIMES " + (t1 - t0) * 1000 / ' + CALLS + ' + " " + (t2 - t1) * 1000 / ' + CALLS + ');'
  ].join('\n'));
  const m = /TIMES (\S+) (\S+)/.exec(out);
  if (!m) throw new Error('no figure:\n' + out);
  return [+m[1], +m[2]];
}

const fmt = (ms) => (ms < 0.1 ? ms.toFixed(4) : ms.toFixed(3)) + ' ms';

console.log('What functions cost on ' + ESPRUINO + ', modules required from Storage');
console.log('  command: ESPRUINO=' + ESPRUINO + ' node bench/espruino-costs.js' + (CALLS != 300 ? ' --calls ' + CALLS : ''));
console.log('');
const none = blocks(tenFunctions('')), three = blocks(tenFunctions('a, b, c')), base = blocks('exports.f = function () {};');
console.log('blocks');
console.log('  10 functions, no parameters, beyond a module of one: ' + (none - base) + ' (' + ((none - base) / 9).toFixed(1) + ' per function; the module of one: ' + base + ')');
console.log('  the same with 3 parameters each: ' + (three - base) + ' (' + ((three - none) / 30).toFixed(1) + ' per parameter)');
console.log('  the same with the 3 read from `arguments` instead: ' + (blocks(tenReading) - base));
console.log('  a class of a constructor and 4 methods, as ES5 writes it: ' + blocks(wrapped) + '; unwrapped: ' + blocks(unwrapped));
console.log('');
const ways = Array.from({ length: RUNS }, () => callTimes(threeWays, 'given', 'read', false));
console.log('time per call of a function of 3 parameters, from Storage, median of ' + RUNS + ' runs of ' + CALLS + ' calls');
console.log('  given as parameters: ' + fmt(median(ways.map((x) => x[0]))) + '; read from `arguments`: ' + fmt(median(ways.map((x) => x[1]))));
console.log('');
const five = Array.from({ length: RUNS }, () => callTimes(fiveWays, 'given', 'shared', false, true));
const fiveGiven = median(five.map((x) => x[0])), fiveShared = median(five.map((x) => x[1]));
console.log('time per call of a function of 5 parameters, from Storage, called in a loop of its module, median of ' + RUNS + ' runs of ' + CALLS + ' calls');
console.log('  given as parameters: ' + fmt(fiveGiven) + '; set by the caller in module-level variables: ' + fmt(fiveShared) + ' (' + (fiveShared / fiveGiven).toFixed(2) + 'x)');
console.log('');
console.log('time per call, median of ' + RUNS + ' runs of ' + CALLS + ' calls: a short function / one that skips N KB of code');
for (const kb of [2, 4, 8]) {
  const module = skipping(kb * 1024);
  for (const inRam of [false, true]) {
    const t = Array.from({ length: RUNS }, () => callTimes(module, 'short', 'long', inRam));
    const s = median(t.map((x) => x[0])), l = median(t.map((x) => x[1]));
    console.log('  ' + (kb + ' KB, from ' + (inRam ? 'RAM' : 'Storage')).padEnd(20) + fmt(s).padStart(12) + ' / ' + fmt(l).padStart(10) + '   (' + (l / s).toFixed(0) + 'x)');
  }
}
