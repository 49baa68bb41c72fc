// Builds dashboard/dist when it is missing or older than its sources, so browser tests run against current code.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const dashboard = path.join(root, 'dashboard');
const index = path.join(dashboard, 'dist', 'index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, f.name);
    if (f.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export async function ensureDashboardBuilt(): Promise<void> {
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const src = Math.max(
    newestSource(path.join(dashboard, 'src')),
    newestSource(path.join(dashboard, 'public')),
    newestSource(path.join(root, 'devices', 'src', 'kinds')),
    fs.statSync(path.join(dashboard, 'index.html')).mtimeMs,
    fs.statSync(path.join(dashboard, 'vite.config.ts')).mtimeMs,
  );
  if (built > src) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(dashboard, 'vite.config.ts'), logLevel: 'warn' });
}
