// Names (not ids) for what the admin pages list: communities, cells and grid workers from the config file.
import type { Grid } from '../lib/types.ts';
import type { LocalizedName } from '../lib/types.ts';

export interface Directory {
  community: Map<string, LocalizedName>;
  cell: Map<string, LocalizedName>;
}

export function directoryOf(grid: Grid | null): Directory {
  const community = new Map<string, LocalizedName>();
  const cell = new Map<string, LocalizedName>();
  for (const c of grid?.communities ?? []) {
    community.set(c.id, c.name);
    for (const g of c.cells) cell.set(g.id, g.name);
  }
  return { community, cell };
}

/** A comma-free list of names for ids, '*' read as "all". */
export function scopeText(ids: readonly string[], names: Map<string, LocalizedName>, local: (n: LocalizedName) => string, all: string): string {
  return ids.map((id) => (id === '*' ? all : names.has(id) ? local(names.get(id)!) : id)).join('、');
}
