import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '#devices';
import { withCurrentTables } from '../../scripts/device-docs.ts';

const file = path.resolve(import.meta.dirname, '../../docs/devices.md');

describe('docs/devices.md', () => {
  it('holds the tables generated from the current registrations (run: node --import tsx scripts/gen-device-docs.ts)', () => {
    const doc = fs.readFileSync(file, 'utf8');
    expect(withCurrentTables(doc)).toBe(doc);
    for (const kind of KINDS) expect(doc).toContain(`### \`${kind}\``);
  });
});
