// Where the bytes of the Espruino modules come from: builds each bundle as
// rollup.config.mjs does, with a source map, and prints how many bytes of the
// minified output each source file accounts for. A figure, not a test (the
// size ceilings are in test/espruino-bundle.test.js).
//
//   node bench/bundle-size.mjs
import path from 'path';
import { fileURLToPath } from 'url';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import { minify } from 'terser';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const { default: configs, TERSER_PASSES } = await import(path.join(root, 'rollup.config.mjs'));

for (const cfg of configs) {
  // The same plugins and output options, with source maps (the TypeScript
  // plugin made to give them; no size report); then the same terser passes,
  // by hand, so that their maps can be chained.
  const plugins = cfg.plugins.filter((p) => p.name != 'size').map((p) => p.name == 'typescript' ?
    typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true } }) : p);
  const bundle = await rollup({ input: cfg.input, plugins, onwarn() {} });
  const { output } = await bundle.generate({ ...cfg.output, plugins: [], file: undefined, sourcemap: true });
  let code = output[0].code, map = output[0].map;
  for (const pass of TERSER_PASSES) {
    const r = await minify(code, { ...pass, sourceMap: { content: map } });
    code = r.code;
    map = r.map;
  }
  const trace = new TraceMap(map), per = {};
  let last = '(rollup)';
  const lines = code.split('\n');
  for (let l = 0; l < lines.length; l++) {
    for (let c = 0; c < lines[l].length; c++) {
      const p = originalPositionFor(trace, { line: l + 1, column: c });
      if (p.source) last = p.source.replace(/^.*?\/?((src|targets)\/)/, '$1');
      per[last] = (per[last] || 0) + 1;
    }
  }
  console.log(path.basename(cfg.output.file) + ': ' + code.length + ' bytes');
  for (const [file, n] of Object.entries(per).sort((a, b) => b[1] - a[1])) {
    console.log(String(n).padStart(8) + '  ' + ((100 * n) / code.length).toFixed(1).padStart(5) + '%  ' + file);
  }
  console.log('');
}
