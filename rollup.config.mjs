// Bundles the Espruino target into one minified ES5 CommonJS module.
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { statSync } from 'fs';

const out = 'dist/espruino/web-socket-server.js';

export default {
  input: 'targets/espruino/index.ts',
  output: {
    file: out,
    format: 'cjs',
    freeze: false,
    generatedCode: 'es5',
    esModule: false,
    strict: false,
    plugins: [
      terser({
        ecma: 5,
        toplevel: true,
        // Espruino does not hoist `var`: every declaration goes to the top of its function.
        compress: { passes: 2, hoist_vars: true },
        // Private members (_name) are renamed; `of` is a reserved word on Espruino.
        mangle: { reserved: ['of'], properties: { regex: /^_[^_]/ } },
        format: { ascii_only: true, comments: false }
      })
    ]
  },
  plugins: [
    typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false } }),
    {
      name: 'size',
      writeBundle() {
        console.log(out + ': ' + statSync(out).size + ' bytes');
      }
    }
  ]
};
