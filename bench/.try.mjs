import path from 'path';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import { minify } from 'terser';
process.chdir('/work/main');
const { default: configs, TERSER_PASSES } = await import('/work/main/rollup.config.mjs');
const cfg = configs[0];
const features = cfg.plugins.find((p) => p.name == 'features');
const bundle = await rollup({ input: cfg.input, plugins: [features, typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false } })], onwarn() {} });
const { output } = await bundle.generate({ ...cfg.output, plugins: [], file: undefined });
const extra = JSON.parse(process.argv[2] || '{}');
let code = output[0].code;
for (let i = 0; i < TERSER_PASSES.length; i++) {
  const p = structuredClone({ ...TERSER_PASSES[i], mangle: undefined });
  p.mangle = TERSER_PASSES[i].mangle;
  if (i == 0) Object.assign(p.compress, extra);
  code = (await minify(code, p)).code;
}
console.log(code.length);
