// The layout rules of the TypeScript source that no compiler checks: the core
// (src/) imports go one way, with no cycles, and name no Node or Espruino
// API; a target imports the core only through src/index.ts.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');

/** Every .ts file under dir, as paths relative to ROOT. */
function tsFiles(dir) {
  const out = [];
  for (const f of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const p = path.join(dir, f.name);
    if (f.isDirectory()) out.push(...tsFiles(p));
    else if (/\.ts$/.test(f.name) && !/\.d\.ts$/.test(f.name)) out.push(p);
  }
  return out;
}

/** The relative imports of a file, as paths relative to ROOT (with .ts). */
function importsOf(file) {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const found = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*from\s+'(\.[^']+)'/gm)) {
    found.push(path.join(path.dirname(file), m[1]) + '.ts');
  }
  return found;
}

/** The import cycles among `files`, each as the list of files around it. */
function cycles(files) {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((g) => files.includes(g))]));
  const found = [], state = new Map(), stack = [];
  function visit(f) {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f)) {
      if (state.get(g) == 'open') found.push(stack.slice(stack.indexOf(g)).concat(g));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  }
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

describe('the source layout', function () {
  const core = tsFiles('src');

  it('the cycle check finds a cycle', function () {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b';\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import { a } from './a';\n");
      const rel = path.relative(ROOT, dir);
      assert.deepStrictEqual(cycles([path.join(rel, 'a.ts'), path.join(rel, 'b.ts')]).length, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no import cycle in src/', function () {
    assert.ok(core.length > 10, 'the core files are found');
    assert.deepStrictEqual(cycles(core).map((c) => c.join(' -> ')), []);
  });

  it('names no Node or Espruino API in src/ (only the targets do)', function () {
    const found = [];
    for (const f of core) {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      for (const m of text.matchAll(/\b(require\(|process\.|Buffer\b|E\.[a-zA-Z]+\(|setTimeout|clearTimeout|setImmediate)/g)) found.push(f + ': ' + m[0]);
    }
    assert.deepStrictEqual(found, []);
  });

  it('a target imports the core only through src/index.ts', function () {
    const found = [];
    for (const f of tsFiles('targets')) {
      for (const g of importsOf(f)) if (g.startsWith('src' + path.sep) && g != path.join('src', 'index.ts')) found.push(f + ' imports ' + g);
    }
    assert.deepStrictEqual(found, []);
  });
});
