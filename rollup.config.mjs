// Bundles the Espruino target into minified ES5 CommonJS modules:
//   dist/espruino/web-socket-server.js       the protocol core and the API,
//                                            without the optional features
//   dist/espruino/web-socket-server-full.js  with them (src/features.ts)
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { statSync } from 'fs';
import { parse } from 'acorn';
import { createRequire } from 'module';

const { storageImage } = createRequire(import.meta.url)('./flash-scripts/storage-image.js');

/** The minifier's two passes. The first minifies; no object of ours has a
 *  getter; directives stay (Espruino's 'ram'). Private members (_name) are
 *  renamed; `of` is a reserved word on Espruino. The second moves every
 *  `var` to the top of its function: Espruino does not hoist them.
 *  (Hoisting in the first pass would keep constants such as OPEN = 1 as
 *  variables, which Espruino looks up by name each time, instead of
 *  inlining them.) In both, reduce_funcs: false keeps
 *  a function used once from being pasted where it is called as a function
 *  expression: Espruino would make it, copying its code, at every call (20%
 *  slower small round trips on the interpreter, for 137 bytes saved). A call
 *  with an @__INLINE__ comment is pasted all the same: the source marks a
 *  few that run once per handshake or per server (docs/design.md). And
 *  arguments: false keeps `arguments[i]` as it is (see argumentsRead): left
 *  to itself, the minifier makes such reads into parameters again. */
export const TERSER_PASSES = [
  {
    ecma: 5,
    toplevel: true,
    compress: { passes: 2, pure_getters: true, reduce_funcs: false, directives: false, arguments: false },
    mangle: { reserved: ['of'], properties: { regex: /^_[^_]/ } },
    format: { ascii_only: true, comments: false }
  },
  {
    ecma: 5,
    toplevel: true,
    compress: { passes: 1, hoist_vars: true, pure_getters: true, reduce_funcs: false, directives: false, arguments: false },
    mangle: { reserved: ['of'] },
    format: { ascii_only: true, comments: false }
  }
];

/** `var C = (function () { function C() {...} C.prototype.m = ...; return C;
 *  }());`, the ES5 form TypeScript gives a class at the top level of a
 *  module, becomes `function C() {...} C.prototype.m = ...;`. The call's
 *  body holds nothing but the class (its declaration, statements, and the
 *  return), so nothing else in the module can see a difference. */
export function unwrapClasses(code) {
  const cut = [];
  for (const st of parse(code, { ecmaVersion: 2020, sourceType: 'module' }).body) {
    const d = st.type == 'VariableDeclaration' && st.declarations.length == 1 && st.declarations[0];
    const call = d && d.init && d.init.type == 'CallExpression' && !d.init.arguments.length && d.init.callee;
    const body = call && call.type == 'FunctionExpression' && !call.params.length && call.body.body;
    if (!body || body[0].type != 'FunctionDeclaration' || body[0].id.name != d.id.name) continue;
    const last = body[body.length - 1];
    if (last.type != 'ReturnStatement' || !last.argument || last.argument.name != d.id.name) continue;
    cut.push([st.start, body[0].start], [last.start, st.end]);
  }
  // From the end, so that the earlier offsets stay true.
  for (const [from, to] of cut.reverse()) code = code.slice(0, from) + code.slice(from, to).replace(/[^\n]/g, '') + code.slice(to);
  return code;
}

/** Calls visit(node) on `node` and every node below it; where visit returns
 *  false, not below that node. */
function walk(node, visit) {
  if (!node || typeof node.type != 'string') return;
  if (visit(node) === false) return;
  for (const key in node) {
    const v = node[key];
    if (Array.isArray(v)) v.forEach((c) => walk(c, visit));
    else if (v && typeof v.type == 'string') walk(v, visit);
  }
}

const isFunction = (n) => /^(Function(Declaration|Expression)|ArrowFunctionExpression)$/.test(n.type);

/** Does the code of `node` make a function? */
function makesFunctions(node) {
  let found = false;
  walk(node, (n) => {
    if (isFunction(n)) found = true;
  });
  return found;
}

/** A function whose body starts with the directive 'rarely run' takes its
 *  parameters from `arguments`: `function f(a, b) { 'rarely run'; ... }`
 *  becomes `function f() { var args = arguments, a = args[0], b = args[1];
 *  ... }` (`var a = arguments[0]` for one).
 *  On Espruino a function keeps a block for each parameter for as long as it
 *  exists, and one made when the module loads exists as long as the module;
 *  `arguments` costs a little time at each call instead, and its memory only
 *  while the call runs (docs/design.md, Few functions). So it is for
 *  functions that run once per connection or less, never on a message's
 *  path; and never for one that makes a function, which would keep the
 *  call's scope, `arguments` and all, for as long as it lives (refused here;
 *  a helper the minifier pastes into the function later is the source's
 *  care). (Each edit stays on its own line: the lines, and so a source map,
 *  stay true.) */
export function argumentsRead(code) {
  const edits = [];
  walk(parse(code, { ecmaVersion: 2020, sourceType: 'module' }), (node) => {
    if (/^Function(Declaration|Expression)$/.test(node.type)) {
      const lead = node.body.body.find((st) => st.type == 'ExpressionStatement' && st.expression.value === 'rarely run');
      if (lead) {
        if (node.body.body.indexOf(lead) != 0) throw new Error("'rarely run' must come first in its function: " + code.slice(node.start, node.start + 80));
        if (makesFunctions(node.body)) throw new Error("a 'rarely run' function makes no function: " + code.slice(node.start, node.start + 80));
        const names = node.params.map((p) => p.name);
        if (/\bargs\b/.test(code.slice(node.start, node.end).replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ''))) throw new Error("a 'rarely run' function has a name args of its own: " + code.slice(node.start, node.start + 80));
        if (node.params.length) edits.push([node.params[0].start, node.params[node.params.length - 1].end, '']);
        edits.push([lead.start, lead.end, names.length == 0 ? '' : names.length == 1 ? 'var ' + names[0] + ' = arguments[0];' :
          'var args = arguments, ' + names.map((n, i) => n + ' = args[' + i + ']').join(', ') + ';']);
      }
    }
  });
  // From the end, so that the earlier offsets stay true.
  for (const [from, to, text] of edits.sort((a, b) => b[0] - a[0])) code = code.slice(0, from) + text + code.slice(to);
  return code;
}

/** Does the function `fn` itself (not a function inside it) use `this`? */
function usesThis(fn) {
  let found = false;
  walk(fn, (n) => {
    if (n.type == 'ThisExpression') found = true;
    // (An arrow function's `this` is its maker's.)
    return n === fn || !isFunction(n) || n.type == 'ArrowFunctionExpression';
  });
  return found;
}

/** The target fills in the core's `host` object (src/host.ts) once, as the
 *  module loads: `host._text = E.toString;`, `host._kick = function (s)
 *  {...};`. In a bundle that is all known, so each binding is made here, as
 *  a linker would: every `host._text` becomes `E.toString` (a reference to
 *  a global, written where it is used), and any other value, a function
 *  for one, is kept in a module-level variable (`var host_kick = function
 *  (s) {...};`, in its place, so that it is made when it was), which the
 *  core reads instead; a property no target sets reads as `void 0`. The
 *  object and its properties are then not made at all: on Espruino each of
 *  them takes a block or two for as long as the module is loaded
 *  (docs/design.md, Few functions). Anything else done with `host` is
 *  refused, as is a property set twice or set outside the module's top
 *  level. */
export function bindHost(code) {
  const ast = parse(code, { ecmaVersion: 2020, sourceType: 'module' });
  const isHost = (n) => n.type == 'MemberExpression' && !n.computed && n.object.type == 'Identifier' && n.object.name == 'host';
  const declared = new Set();
  walk(ast, (n) => {
    if (n.type == 'VariableDeclarator' || n.type == 'FunctionDeclaration') declared.add(n.id.name);
    if (isFunction(n)) n.params.forEach((p) => p.type == 'Identifier' && declared.add(p.name));
  });
  /** A reference to a global, which may be written out where it is used. */
  const globalRef = (n) => n.type == 'Identifier' ? !declared.has(n.name) : n.type == 'MemberExpression' && !n.computed && globalRef(n.object);
  const edits = [], bound = new Map(), top = new Set();
  let object;
  for (const st of ast.body) {
    if (st.type == 'VariableDeclaration' && st.declarations.length == 1 && st.declarations[0].id.name == 'host') object = st;
    const a = st.type == 'ExpressionStatement' && st.expression.type == 'AssignmentExpression' && st.expression;
    if (!a || a.operator != '=' || !isHost(a.left)) continue;
    const name = a.left.property.name, value = a.right;
    if (bound.has(name)) throw new Error('host.' + name + ' is set twice');
    top.add(a.left);
    if (globalRef(value)) {
      bound.set(name, code.slice(value.start, value.end));
      edits.push([st.start, st.end, '']);
    } else {
      // (A function here is called as host_kick(s), not host._kick(s).)
      if (isFunction(value) && usesThis(value)) throw new Error('host.' + name + ' uses this');
      bound.set(name, 'host' + name);
      edits.push([st.start, value.start, 'var host' + name + ' = ']);
    }
  }
  if (!object || object.declarations[0].init.type != 'ObjectExpression' || object.declarations[0].init.properties.length) throw new Error('no `var host = {}` in the bundle');
  edits.push([object.start, object.end, '']);
  const seen = new Set([object.declarations[0].id]);
  walk(ast, (n) => {
    if (n.type == 'AssignmentExpression' && isHost(n.left) && !top.has(n.left)) throw new Error('host.' + n.left.property.name + ' is set other than by a statement of its own at the top level');
    if (!isHost(n)) return;
    seen.add(n.object);
    if (!top.has(n)) edits.push([n.start, n.end, bound.get(n.property.name) || 'void 0']);
  });
  walk(ast, (n) => {
    // (A property named host, headers.host or { host: ... }, is no use of it.)
    if (n.type == 'MemberExpression' && !n.computed) seen.add(n.property);
    if (n.type == 'Property' && !n.computed) seen.add(n.key);
    if (n.type == 'Identifier' && n.name == 'host' && !seen.has(n)) throw new Error('host is used other than as host.name: ' + code.slice(n.start - 40, n.end + 40));
  });
  for (const [from, to, text] of edits.sort((a, b) => b[0] - a[0] || b[1] - a[1])) code = code.slice(0, from) + text + code.slice(to);
  return code;
}

/** One bundle: `extras` turns the optional features on (src/features.ts). */
function bundle(out, extras) {
  return {
    input: 'targets/espruino/index.ts',
    output: {
      file: out,
      format: 'cjs',
      freeze: false,
      generatedCode: 'es5',
      esModule: false,
      strict: false,
      plugins: TERSER_PASSES.map((o) => terser(o))
    },
    plugins: [
      {
        // src/features.ts, with the switches set for this bundle: the
        // minifier then drops the code of the features that are off.
        name: 'features',
        resolveId(source) {
          return /\/features$/.test(source) ? '\0features' : null;
        },
        load(id) {
          return id == '\0features' ? 'export var EXTRAS = ' + extras + ', NATIVE = false;' : null;
        }
      },
      {
        // Espruino keeps a function whose body starts with 'ram' in RAM,
        // tokenised, though its module is in Storage: it then runs without
        // reading its text from flash at every call (docs/design.md, Code in
        // RAM). The word loops have it in both bundles; the functions every
        // message passes through are marked 'ram if full': 'ram' in the full
        // bundle, nothing in the small one, made for the ESP8266's memory. (A
        // blank line in its place keeps the lines, and so a source map, true.)
        name: 'ram',
        transform(code, id) {
          if (!/\.ts$/.test(id)) return null;
          return { code: code.replace(/^( *)'ram if full';\n/gm, extras ? "$1'ram';\n" : '\n'), map: null };
        }
      },
      typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false } }),
      {
        // A class in ES5 is a function called in place, which holds the
        // constructor and the methods and returns the constructor. On
        // Espruino every function made in such a call keeps its own copy of
        // the list of scopes it was made in (the module's and the call's):
        // about 3 blocks per method, for as long as the module is loaded
        // (docs/design.md, Few functions). So each class is unwrapped: its
        // constructor and methods are made at module level, where their
        // scope is the module's alone. (Blank lines in place of the wrapper
        // keep the lines, and so a source map, true.)
        name: 'unwrap-classes',
        transform(code, id) {
          return /\.ts$/.test(id) ? { code: unwrapClasses(code), map: null } : null;
        }
      },
      {
        // Functions that run once per connection or less read their
        // parameters from `arguments` (see argumentsRead).
        name: 'rarely-run',
        transform(code, id) {
          return /\.ts$/.test(id) ? { code: argumentsRead(code), map: null } : null;
        }
      },
      {
        // The core's `host`, bound as a linker would (see bindHost).
        name: 'bind-host',
        renderChunk(code) {
          return { code: bindHost(code), map: null };
        }
      },
      {
        // The size of the bundle, and of what goes into a board's Storage:
        // the bundle pretokenised (flash-scripts/storage-image.js).
        name: 'size',
        writeBundle() {
          console.log(out + ': ' + statSync(out).size + ' bytes (in Storage, pretokenised: ' + storageImage(out).length + ')');
        }
      }
    ]
  };
}

export default [
  bundle('dist/espruino/web-socket-server.js', false),
  bundle('dist/espruino/web-socket-server-full.js', true)
];
