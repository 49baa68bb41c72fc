import fs from 'node:fs';
import path from 'node:path';

export interface SnapshotRetention {
  /** total bytes kept; the oldest go first */
  maxBytes: number;
  /** files older than this go */
  maxAgeDays: number;
}

export const DEFAULT_SNAPSHOT_RETENTION: SnapshotRetention = { maxBytes: 512 * 1024 * 1024, maxAgeDays: 30 };

const SAFE_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

/** Camera snapshots taken for alerts, as JPEG files under DATA_DIR/snapshots, with a retention limit. */
export class SnapshotStore {
  constructor(
    private readonly dir: string,
    private readonly retention: SnapshotRetention = DEFAULT_SNAPSHOT_RETENTION,
    private readonly clock: () => number = Date.now,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  save(alertId: string, cameraId: string, jpeg: Buffer): string {
    const name = `${alertId}--${cameraId}--${this.clock()}.jpg`;
    fs.writeFileSync(path.join(this.dir, name), jpeg);
    this.prune();
    return name;
  }

  /** The file's bytes, or undefined when it is gone (pruned) or the name is not one of ours. */
  read(name: string): Buffer | undefined {
    if (!SAFE_NAME.test(name) || name.includes('..')) return undefined;
    try {
      return fs.readFileSync(path.join(this.dir, name));
    } catch {
      return undefined;
    }
  }

  prune(): void {
    const files = fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.jpg'))
      .map((f) => {
        const st = fs.statSync(path.join(this.dir, f));
        return { f, size: st.size, mtime: st.mtimeMs };
      })
      .sort((a, b) => a.mtime - b.mtime);
    let total = files.reduce((s, x) => s + x.size, 0);
    const oldest = this.clock() - this.retention.maxAgeDays * 86_400_000;
    for (const file of files) {
      if (total <= this.retention.maxBytes && file.mtime >= oldest) break;
      fs.rmSync(path.join(this.dir, file.f), { force: true });
      total -= file.size;
    }
  }
}
