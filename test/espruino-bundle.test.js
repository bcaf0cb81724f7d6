// Checks on the built Espruino bundles' source that no emulation can make:
// Espruino does not hoist `var` or function declarations, so a name used
// before its declaration in the same function refers to an outer variable
// (or to nothing). Running under V8 would never show that. Also the size
// ceilings of the two bundles.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const acorn = require('acorn');
const { storageImage } = require('../flash-scripts/storage-image');

const dist = path.join(__dirname, '..', 'dist', 'espruino');

/** The bundles and their size ceilings in bytes, a little above their
 *  sizes (bench/README.md), so that growth is a decision, not an accident,
 *  as they are and pretokenised for Storage (flash-scripts/storage-image.js);
 *  how many of their functions read their parameters from `arguments` (those
 *  marked 'rarely run' in the source: rollup.config.mjs);
 *  and how many of their functions Espruino keeps in RAM (a 'ram'
 *  directive): the four with the loops over a payload's bytes and words in
 *  both, and in the full bundle also the 17 every message passes through
 *  (docs/design.md, Code in RAM). */
const BUNDLES = [
  { file: 'web-socket-server.js', ceiling: 17920, storageCeiling: 15488, rarelyRun: 19, inRam: 4, onlyLoops: true },
  { file: 'web-socket-server-full.js', ceiling: 19712, storageCeiling: 17024, rarelyRun: 25, inRam: 19, onlyLoops: false }
];

/** What the module keeps in module-level variables (each takes blocks for
 *  as long as it is loaded, beside the functions): the values of the
 *  variables assigned at its top level, as their source text. The
 *  constants of src/ are written where they are used (by the minifier, or,
 *  for numbers of more than one digit, by TypeScript: src/protocol.ts). */
function moduleVariables(src) {
  const kept = [];
  const visit = (n) => {
    if (n.type == 'ExpressionStatement') visit(n.expression);
    else if (n.type == 'SequenceExpression') n.expressions.forEach(visit);
    else if (n.type == 'AssignmentExpression' && n.left.type == 'Identifier') keep(n.right);
    else if (n.type == 'VariableDeclaration') n.declarations.forEach((d) => d.init && keep(d.init));
  };
  // (A function kept in a variable is a function: the other checks count those.)
  const keep = (value) => isFunction(value) || kept.push(src.slice(value.start, value.end));
  acorn.parse(src, { ecmaVersion: 5 }).body.forEach(visit);
  return kept;
}

/** The module-level variables of both bundles, beside functions: the
 *  message of the error thrown when the board is out of memory (made
 *  before it is needed), the shared empty payload, the byte order of a
 *  word, and the target's `net`, its two lists of sockets, its output
 *  string and its host._raw. (No MIME type: a server's options keep a
 *  type's Conversion, record.ts. No `host` object: the build binds its
 *  properties, rollup.config.mjs.) */
const MODULE_VARIABLES = ['"out of memory"', 'new Uint8Array(0)',
  'new Uint8Array(new Uint32Array([1]).buffer)[0]', 'require("net")', '[]', '[]', '""', '1==E.toUint8Array("\\u20ac").length?String:void 0'];

function isFunction(n) {
  return n && (n.type == 'FunctionDeclaration' || n.type == 'FunctionExpression');
}

/** Calls visit(node, parent) on every node below `node`; visit returns false to skip a subtree. */
function walk(node, visit, parent) {
  if (!node || typeof node.type != 'string') return;
  if (visit(node, parent) === false) return;
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (Array.isArray(v)) v.forEach((c) => walk(c, visit, node));
    else if (v && typeof v.type == 'string') walk(v, visit, node);
  }
}

/** The functions whose body starts with the directive 'ram', and of them
 *  those with a loop. */
function ramFunctions(src) {
  const all = [], looping = [];
  walk(acorn.parse(src, { ecmaVersion: 5 }), (n) => {
    if (!isFunction(n) || !n.body.body.some((x) => x.directive == 'ram')) return;
    all.push(n.start);
    let loops = false;
    walk(n.body, (x) => {
      if (/^(For|While|DoWhile)Statement$/.test(x.type)) loops = true;
      return !isFunction(x) || x === n.body;
    });
    if (loops) looping.push(n.start);
  });
  return { all, looping };
}

/** Names read or written, in a function body or the program, before their
 *  `var` (or function declaration) in that same scope. */
function usedBeforeDeclaration(src) {
  const ast = acorn.parse(src, { ecmaVersion: 5 });
  const found = [];
  function scope(body, params) {
    const declared = {};
    walk(body, (n) => {
      if (n === body) return;
      if (isFunction(n)) {
        if (n.type == 'FunctionDeclaration') declared[n.id.name] = Math.min(declared[n.id.name] || Infinity, n.start);
        return false;
      }
      if (n.type == 'VariableDeclarator') declared[n.id.name] = Math.min(declared[n.id.name] || Infinity, n.id.start);
    });
    walk(body, (n, p) => {
      if (n === body) return;
      if (isFunction(n)) {
        // A nested function runs later; only its name's position matters here.
        return false;
      }
      if (n.type != 'Identifier' || !(n.name in declared) || params.indexOf(n.name) >= 0) return;
      if (p && p.type == 'MemberExpression' && p.property === n && !p.computed) return;
      if (p && p.type == 'Property' && p.key === n) return;
      if (n.start < declared[n.name]) found.push(n.name + ' at ' + n.start + ': ' + src.slice(Math.max(0, n.start - 30), n.start + 20));
    });
  }
  scope(ast, []);
  walk(ast, (n) => {
    if (isFunction(n)) scope(n.body, n.params.map((x) => x.name));
  });
  return found;
}

/** Function expressions called where they stand, inside another function:
 *  each call of the outer function makes the inner one anew, and Espruino
 *  copies a function's code when it makes it (module loaded into RAM). The
 *  minifier makes these from functions used once unless told not to; the
 *  source tells it to for a few that run once per handshake or per server
 *  (a call marked @__INLINE__: docs/design.md). Each one found, with where
 *  it stands: inside a function kept in RAM (on a message's path), or in a
 *  loop. */
function immediateCallsInFunctions(src) {
  const found = [];
  function visit(n, inRam, inLoop) {
    walk(n, (m) => {
      if (m === n) return;
      if (isFunction(m)) {
        visit(m.body, inRam || m.body.body.some((x) => x.directive == 'ram'), false);
        return false;
      }
      if (/^(For|ForIn|While|DoWhile)Statement$/.test(m.type)) {
        visit(m, inRam, true);
        return false;
      }
      if (m.type == 'CallExpression' && m.callee.type == 'FunctionExpression') {
        found.push({ text: src.slice(m.start, m.start + 60), inRam, inLoop });
      }
    });
  }
  walk(acorn.parse(src, { ecmaVersion: 5 }), (n) => {
    if (!isFunction(n)) return;
    visit(n.body, n.body.body.some((x) => x.directive == 'ram'), false);
    return false;
  });
  return found;
}

/** Functions made inside a function that runs once when the module loads
 *  (a class as ES5 writes it, a call of a function expression at the top
 *  level). Espruino gives each of them its own copy of the list of scopes it
 *  was made in, about 3 blocks each for as long as the module is loaded; the
 *  build unwraps classes so that there are none (rollup.config.mjs). Each one
 *  found, by its first characters. */
function functionsMadeInTopLevelCalls(src) {
  const found = [];
  walk(acorn.parse(src, { ecmaVersion: 5 }), (n) => {
    if (isFunction(n)) return false;
    if (n.type != 'CallExpression' || n.callee.type != 'FunctionExpression') return;
    walk(n.callee.body, (m) => {
      if (m === n.callee.body) return;
      if (isFunction(m)) found.push(src.slice(m.start, m.start + 40));
      return !isFunction(m);
    });
    return false;
  });
  return found;
}

/** The functions that read `arguments`, each with whether it is kept in
 *  RAM (a 'ram' directive). */
function argumentsReaders(src) {
  const found = [];
  function visit(fn) {
    let reads = false;
    walk(fn.body, (m) => {
      if (isFunction(m)) {
        visit(m);
        return false;
      }
      if (m.type == 'Identifier' && m.name == 'arguments') reads = true;
    });
    if (reads) found.push({ text: src.slice(fn.start, fn.start + 60), inRam: fn.body.body.some((x) => x.directive == 'ram') });
  }
  walk(acorn.parse(src, { ecmaVersion: 5 }), (n) => {
    if (!isFunction(n)) return;
    visit(n);
    return false;
  });
  return found;
}

/** The calls in src/ that the minifier is told to replace with the function
 *  they call. */
function inlineMarks() {
  const marks = [];
  (function scan(dir) {
    for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, f.name);
      if (f.isDirectory()) scan(p);
      else if (/\.ts$/.test(f.name)) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/\/\*@__INLINE__\*\/ *(\w+)\(/g)) marks.push(m[1]);
      }
    }
  })(path.join(__dirname, '..', 'src'));
  return marks;
}

describe('the check for names used before their declaration', function () {
  it('finds a var used before its declaration', function () {
    const bad = 'var o = 1; function f() { o = {}; var o; return o; }';
    assert.strictEqual(usedBeforeDeclaration(bad).length, 1);
    assert.deepStrictEqual(usedBeforeDeclaration('function f() { var o; o = {}; return o; }'), []);
  });

  it('finds a top-level call to a function declared later', function () {
    assert.strictEqual(usedBeforeDeclaration('g(); function g() {}').length, 1);
  });
});

describe('the build step for functions that run rarely', function () {
  let argumentsRead;
  before(async function () {
    ({ argumentsRead } = await import(require('url').pathToFileURL(path.join(__dirname, '..', 'rollup.config.mjs')).href));
  });

  it('makes their parameters reads of `arguments`, on the lines they were on', function () {
    const before = "function f(a, b) {\n  'rarely run';\n  return a + b;\n}\nfunction g(x) { 'rarely run'; return x; }\nfunction h(y) { return y; }";
    const after = argumentsRead(before);
    assert.strictEqual(after, 'function f() {\n  var args = arguments, a = args[0], b = args[1];\n  return a + b;\n}\n' +
      'function g() { var x = arguments[0]; return x; }\nfunction h(y) { return y; }');
    assert.strictEqual(new Function(after + '; return f(2, 3) + g(4) + h(5);')(), 14);
  });

  it("refuses a 'rarely run' that does not come first, or in a function that makes a function", function () {
    assert.throws(() => argumentsRead("function f(a) { var b = a; 'rarely run'; return b; }"), /must come first/);
    assert.throws(() => argumentsRead("function f(a) { 'rarely run'; return function () { return a; }; }"), /makes no function/);
  });

  it('finds the functions that read `arguments`, and which of them are kept in RAM', function () {
    const found = argumentsReaders('function f() { var a = arguments[0]; return function () { "ram"; return arguments.length; }; } function g(a) { return a; }');
    assert.deepStrictEqual(found.map((f) => f.inRam), [true, false]);
  });
});

describe("the build step that binds the core's host", function () {
  let bindHost;
  before(async function () {
    ({ bindHost } = await import(require('url').pathToFileURL(path.join(__dirname, '..', 'rollup.config.mjs')).href));
  });

  it('writes a global where it is used, keeps any other value in a variable, and makes no host object', function () {
    const before = "var host = {};\nfunction f(b) { return host._text(b) + host._kick(b) + host._tls + headers.host; }\n" +
      "var headers = { host: 'h' };\nhost._text = E.toString;\nhost._kick = function (s) { return s; };\nhost._raw = 1 == 1 ? String : undefined;";
    const after = bindHost(before);
    assert.strictEqual(after, "\nfunction f(b) { return E.toString(b) + host_kick(b) + void 0 + headers.host; }\n" +
      "var headers = { host: 'h' };\n\nvar host_kick = function (s) { return s; };\nvar host_raw = 1 == 1 ? String : undefined;");
    assert.strictEqual(new Function('E', after + '; return f(2);')({ toString: String }), '22undefinedh');
  });

  it('refuses host used otherwise, a property set twice or set other than at the top level, a function of it that uses this, and a bundle without it', function () {
    assert.throws(() => bindHost('var host = {}; function f() { return host; }'), /other than as host.name/);
    assert.throws(() => bindHost('var host = {}; host._a = E.toString; host._a = String;'), /set twice/);
    assert.throws(() => bindHost('var host = {}; function f() { host._a = 1; }'), /other than by a statement of its own at the top level/);
    assert.throws(() => bindHost('var host = {}; if (E) host._a = E.toString;'), /other than by a statement of its own at the top level/);
    assert.throws(() => bindHost('host._a = 1;'), /no `var host = {}`/);
    // (Its functions are called without the object as `this`.)
    assert.throws(() => bindHost('var host = {}; host._a = function () { return this; };'), /uses this/);
    assert.strictEqual(bindHost('var host = {}; host._a = function () { return function () { return this; }; };'),
      ' var host_a = function () { return function () { return this; }; };');
  });

  it('keeps a value in a variable where the global it names is declared in the bundle', function () {
    assert.strictEqual(bindHost('var host = {}; var E = {}; host._t = E.toString; function f() { return host._t; }'),
      ' var E = {}; var host_t = E.toString; function f() { return host_t; }');
  });
});

describe('the check for function expressions called inside functions', function () {
  it('finds one, and lets a top-level one (run once) pass', function () {
    assert.strictEqual(immediateCallsInFunctions('function f(a) { return function (b) { return b; }(a); }').length, 1);
    assert.deepStrictEqual(immediateCallsInFunctions('var C = function () { function C() {} return C; }();'), []);
  });

  it('tells whether one is in a function kept in RAM, or in a loop', function () {
    const [a] = immediateCallsInFunctions('function f(a) { "ram"; return function (b) { return b; }(a); }');
    assert.ok(a.inRam && !a.inLoop);
    const [b] = immediateCallsInFunctions('function f(a) { while (a--) (function () {})(); }');
    assert.ok(!b.inRam && b.inLoop);
    const [c] = immediateCallsInFunctions('function f(a) { "ram"; function g() { for (;;) (function () {})(); } }');
    assert.ok(c.inRam && c.inLoop);
  });

  it('finds a function made inside a call at the top level, as in a class written as ES5', function () {
    assert.strictEqual(functionsMadeInTopLevelCalls('var C = function () { function C() {} C.prototype.m = function () {}; return C; }();').length, 2);
    assert.deepStrictEqual(functionsMadeInTopLevelCalls('function C() {} C.prototype.m = function () { return function () {}(); };'), []);
  });

  it('finds the marked calls in src/', function () {
    assert.deepStrictEqual(inlineMarks().sort(), ['admit', 'checkOptions', 'checkRequest', 'parseHead', 'serveHttp']);
  });
});

for (const b of BUNDLES) {
  describe('Espruino bundle source: ' + b.file, function () {
    let src;
    before(function () {
      src = fs.readFileSync(path.join(dist, b.file), 'utf8');
    });

    it('is at most ' + b.ceiling + ' bytes', function () {
      const size = fs.statSync(path.join(dist, b.file)).size;
      assert.ok(size <= b.ceiling, b.file + ' is ' + size + ' bytes, over its ceiling of ' + b.ceiling);
    });

    it('is at most ' + b.storageCeiling + ' bytes in Storage, pretokenised', function () {
      this.timeout(60000);
      const size = storageImage(path.join(dist, b.file)).length;
      assert.ok(size <= b.storageCeiling, b.file + ' takes ' + size + ' bytes in Storage, over its ceiling of ' + b.storageCeiling);
    });

    it('is ASCII and parses as ES5', function () {
      assert.ok(/^[\x00-\x7f]*$/.test(src), 'only ASCII');
      acorn.parse(src, { ecmaVersion: 5 });
    });

    it('uses no name before its var or function declaration (Espruino does not hoist)', function () {
      assert.deepStrictEqual(usedBeforeDeclaration(src), []);
    });

    it('makes a function anew inside another only where the source says so, and never on a message\'s path or in a loop', function () {
      const found = immediateCallsInFunctions(src);
      assert.strictEqual(found.length, inlineMarks().length, 'function expressions called inside a function: ' + found.map((f) => f.text).join('\n'));
      assert.deepStrictEqual(found.filter((f) => f.inRam || f.inLoop), []);
    });

    it('makes every function of its own at the top level, none inside a call run as it loads (no class wrapper)', function () {
      assert.deepStrictEqual(functionsMadeInTopLevelCalls(src), []);
    });

    it('reads the parameters of the ' + b.rarelyRun + " functions marked 'rarely run' from `arguments`, and of no function kept in RAM", function () {
      const found = argumentsReaders(src);
      assert.strictEqual(found.length, b.rarelyRun, found.map((f) => f.text).join('\n'));
      assert.deepStrictEqual(found.filter((f) => f.inRam), []);
      assert.ok(!/rarely run/.test(src), "a 'rarely run' marker is left");
    });

    it('keeps ' + b.inRam + ' functions in RAM, among them the 4 that loop over payloads; no build marker is left', function () {
      const ram = ramFunctions(src);
      assert.strictEqual(ram.all.length, b.inRam, 'functions with a ram directive');
      // In the small bundle only the loops; the full bundle's message path
      // has loops of its own (the emitter's, the short frame reader's).
      if (b.onlyLoops) assert.deepStrictEqual(ram.looping, ram.all, 'functions in RAM without a loop');
      else assert.ok(ram.looping.length >= 4, 'of them with a loop: ' + ram.looping.length);
      assert.ok(!/ram if full/.test(src), 'a ram if full marker is left');
    });

    it('keeps no number in a module-level variable, and no other values than ' + MODULE_VARIABLES.length, function () {
      assert.deepStrictEqual(moduleVariables(src), MODULE_VARIABLES);
    });

    it('never names a variable `of` (a reserved word on Espruino)', function () {
      const names = [];
      walk(acorn.parse(src, { ecmaVersion: 5 }), (n) => {
        if (n.type == 'Identifier' && n.name == 'of') names.push(n.start);
      });
      assert.deepStrictEqual(names, []);
    });
  });
}
