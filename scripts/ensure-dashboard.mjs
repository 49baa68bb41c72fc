// Builds the dashboard before `npm start` when its build is missing or older than its sources,
// so a fresh clone shows the real dashboard with no extra step.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newestMtime } from './mtime.mjs';

const root = path.resolve(import.meta.dirname, '..');
const config = path.join(root, 'dashboard', 'vite.config.ts');
const built = path.join(root, 'dashboard', 'dist', 'index.html');
if (!fs.existsSync(config)) process.exit(0);


const sources = Math.max(newestMtime(path.join(root, 'dashboard', 'src')), fs.statSync(config).mtimeMs, newestMtime(path.join(root, 'devices', 'src')));
if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) process.exit(0);
console.error('building the dashboard (once; about 10 s) ...');
execFileSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', config, '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
