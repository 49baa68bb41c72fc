// Bundles the hub (and its store-writer thread) into dist/server with esbuild, so `npm start`
// runs plain JavaScript: no TypeScript loader in memory, faster start. Skips when up to date.
import fs from 'node:fs';
import path from 'node:path';
import { newestMtime } from './mtime.mjs';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'server');
const entries = [path.join(root, 'server/src/main.ts'), path.join(root, 'server/src/store/writer-worker.ts')];


const built = path.join(out, 'main.js');
const sources = Math.max(newestMtime(path.join(root, 'server/src')), newestMtime(path.join(root, 'devices/src')), fs.statSync(path.join(root, 'package.json')).mtimeMs);
if (process.argv.includes('--if-stale') && fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) process.exit(0);

await build({
  entryPoints: entries,
  outdir: out,
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled ESM still needs require() for the CommonJS packages it imports dynamically.
  banner: { js: "import { createRequire as __hubCreateRequire } from 'node:module'; const require = __hubCreateRequire(import.meta.url);" },
});
console.error(`built the hub into ${path.relative(root, out)}/`);
