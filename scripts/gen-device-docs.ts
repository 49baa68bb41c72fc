// Rewrites the generated region of docs/devices.md from the kinds' registrations (devices/src/kinds/).
import fs from 'node:fs';
import path from 'node:path';
import { withCurrentTables } from './device-docs.ts';

const file = path.resolve(import.meta.dirname, '../docs/devices.md');
const before = fs.readFileSync(file, 'utf8');
const after = withCurrentTables(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(after === before ? 'docs/devices.md is current' : 'docs/devices.md updated');
