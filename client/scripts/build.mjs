// Bundles the extension into one file, dist/extension.js (vscode stays external).
// `--production` minifies and drops source maps (used by `vsce package`).
import { rmSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');

rmSync('dist', { recursive: true, force: true });
await esbuild.build({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
});
console.log(`built dist/extension.js${production ? ' (production)' : ''}`);
