import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { routeTable } from '../../server/src/http/route-table.ts';
import { startHub } from '../helpers/hub.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const CONTRACT = path.resolve(repoRoot, '..', 'shared', 'CONTRACT.md');

/**
 * Contract routes the hub does not serve yet. Listed so the check stays honest both ways: a route
 * from here that appears must be taken off the list. (Cases and Web Push now are all served.)
 */
const CONTRACT_NOT_YET: string[] = [];

const norm = (p: string) => p.replace(/\?.*$/, '').replace(/\/:[A-Za-z_]+/g, '/{}').replace(/\{[A-Za-z_]+\}/g, '{}').replace(/(.)\/$/, '$1');

/** `METHOD[|METHOD] /path` in backticks (query strings and trailing prose dropped). */
function documentedRoutes(markdown: string): string[] {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/`((?:GET|POST|PATCH|PUT|DELETE)(?:\|(?:GET|POST|PATCH|PUT|DELETE))*) (\/[^\s`]*)[^`]*`/g)) {
    for (const method of m[1]!.split('|')) out.add(`${method} ${norm(m[2]!)}`);
  }
  return [...out].sort();
}

/** A section of a markdown file, from its heading to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = heading.split(' ')[0]!;
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n${level} `));
  return end < 0 ? rest : rest.slice(0, end);
}

describe('documented routes against the route table', () => {
  let hub: Hub;
  let served: Set<string>;
  beforeAll(async () => {
    hub = await startHub();
    served = new Set(routeTable(hub.app).filter((r) => r.method !== 'HEAD' && r.url !== '/*').map((r) => `${r.method} ${norm(r.url)}`));
  });
  afterAll(async () => hub?.stop());

  const missing = (docs: string[]) => docs.filter((r) => !served.has(r));

  it('every route in docs/api.md exists', () => {
    const docs = documentedRoutes(fs.readFileSync(path.join(repoRoot, 'docs/api.md'), 'utf8'));
    expect(docs.length).toBeGreaterThan(25);
    expect(missing(docs)).toEqual([]);
  });

  it('every /api route, /healthz, /metrics and /ws the hub serves is in docs/api.md', () => {
    const docs = new Set(documentedRoutes(fs.readFileSync(path.join(repoRoot, 'docs/api.md'), 'utf8')));
    const undocumented = [...served].filter((r) => /^(GET|POST|PATCH|PUT|DELETE) (\/api\/|\/healthz$|\/metrics$|\/ws$)/.test(r) && !docs.has(r));
    expect(undocumented).toEqual([]);
  });

  it("every route README.md's HTTP API section names exists", () => {
    const text = section(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8'), '## HTTP API');
    expect(missing(documentedRoutes(text))).toEqual([]);
    // Bare paths (`/ws`) too.
    const paths = [...text.matchAll(/`(\/[^\s`?]*)`/g)].map((m) => norm(m[1]!));
    const servedPaths = new Set([...served].map((r) => r.split(' ')[1]));
    expect(paths.filter((p) => !servedPaths.has(p))).toEqual([]);
  });

  it.skipIf(!fs.existsSync(CONTRACT))("the contract's routes exist, except the listed ones not served yet", () => {
    const contract = documentedRoutes(fs.readFileSync(CONTRACT, 'utf8'));
    expect(contract.length).toBeGreaterThan(10);
    expect(missing(contract).sort()).toEqual([...CONTRACT_NOT_YET].sort());
  });

  it('the route the issue found documented but absent stays absent from the docs', () => {
    expect(fs.readFileSync(path.join(repoRoot, 'docs/api.md'), 'utf8')).not.toContain('/api/devices/credentials');
  });
});
