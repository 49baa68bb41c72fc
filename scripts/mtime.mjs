import fs from 'node:fs';
import path from 'node:path';

/** The newest modification time of any file under `dir`, to tell whether a build is stale. */
export function newestMtime(dir) {
  let t = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}
