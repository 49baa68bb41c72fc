// Community plan geometry: cells and buildings from the grid config's x,y,w,h when every one has
// them, otherwise a generated layout (cells on a square grid, buildings on a grid inside each cell).
// Devices sit at their own `location`, else spread over their building, else over their cell.
import type { Building, Device, Grid, LocalizedName, PlanRect } from './types.ts';

/** What the plan is drawn from: the hub's grid, filled in with what the devices imply. */
export interface PlanCell {
  id: string;
  name?: LocalizedName;
  area?: PlanRect | null;
  buildings: Building[];
}
export interface PlanCommunity {
  id: string;
  name?: LocalizedName;
  plan?: { w: number; h: number } | null;
  cells: PlanCell[];
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface PlacedBuilding extends Box {
  id: string;
  name: LocalizedName | null;
  cellId: string;
}
export interface PlacedCell extends Box {
  id: string;
  name: LocalizedName | null;
}
export interface Plan {
  communityId: string;
  viewBox: Box;
  cells: PlacedCell[];
  buildings: PlacedBuilding[];
  generated: boolean;
}

const CELL = 100;
/** Cell id used on the plan for devices not yet placed in a grid cell. */
export const UNASSIGNED_CELL = '—';
const GAP = 12;

function hasBox(r: Partial<PlanRect> | null | undefined): r is PlanRect {
  return !!r && [r.x, r.y, r.w, r.h].every((v) => typeof v === 'number' && Number.isFinite(v)) && r.w! > 0 && r.h! > 0;
}

/** Fill a grid with what the devices imply when /api/grid is missing or has fewer entries. */
export function mergeGridWithDevices(grid: Grid | null, devices: readonly Device[]): PlanCommunity[] {
  const byId = new Map<string, { c: PlanCommunity; cells: Map<string, { cell: PlanCell; b: Map<string, Building> }> }>();
  for (const c of grid?.communities ?? []) {
    const cells = new Map<string, { cell: PlanCell; b: Map<string, Building> }>();
    for (const cell of c.cells) {
      cells.set(cell.id, { cell, b: new Map(cell.buildings.map((b) => [b.id, b])) });
    }
    byId.set(c.id, { c, cells });
  }
  const seen = new Set<string>();
  for (const d of devices) {
    const cellId = d.gridCellId ?? UNASSIGNED_CELL;
    const key = `${d.communityId}\u0000${cellId}\u0000${d.buildingId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let entry = byId.get(d.communityId);
    if (!entry) {
      entry = { c: { id: d.communityId, cells: [] }, cells: new Map() };
      byId.set(d.communityId, entry);
    }
    let cell = entry.cells.get(cellId);
    if (!cell) {
      cell = { cell: { id: cellId, buildings: [] }, b: new Map() };
      entry.cells.set(cellId, cell);
    }
    if (d.buildingId && !cell.b.has(d.buildingId)) cell.b.set(d.buildingId, { id: d.buildingId });
  }
  return [...byId.values()].map(({ c, cells }) => ({
    ...c,
    cells: [...cells.values()].map(({ cell, b }) => ({ ...cell, buildings: [...b.values()] })),
  }));
}

function gridPositions(n: number, box: Box, pad: number): Box[] {
  if (n <= 0) return [];
  const cols = Math.ceil(Math.sqrt(n * (box.w / Math.max(1, box.h))));
  const rows = Math.ceil(n / cols);
  const w = (box.w - pad * (cols + 1)) / cols;
  const h = (box.h - pad * (rows + 1)) / rows;
  const out: Box[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % cols;
    const r = Math.floor(i / cols);
    out.push({ x: box.x + pad + c * (w + pad), y: box.y + pad + r * (h + pad), w: Math.max(1, w), h: Math.max(1, h) });
  }
  return out;
}

export function planFor(community: PlanCommunity): Plan {
  const cells = community.cells;
  const allCellsBoxed = cells.length > 0 && cells.every((c) => hasBox(c.area));
  const placedCells: PlacedCell[] = [];
  const buildings: PlacedBuilding[] = [];
  let generated = !allCellsBoxed;
  if (allCellsBoxed) {
    for (const c of cells) {
      const r = c.area!;
      placedCells.push({ id: c.id, name: c.name ?? null, x: r.x, y: r.y, w: r.w, h: r.h });
    }
  } else {
    const cols = Math.max(1, Math.ceil(Math.sqrt(cells.length)));
    cells.forEach((c, i) => {
      placedCells.push({
        id: c.id,
        name: c.name ?? null,
        x: (i % cols) * (CELL + GAP),
        y: Math.floor(i / cols) * (CELL + GAP),
        w: CELL,
        h: CELL,
      });
    });
  }
  cells.forEach((c, i) => {
    const cellBox = placedCells[i]!;
    const bs = c.buildings;
    const boxed = bs.length > 0 && bs.every((b) => hasBox(b));
    if (!boxed && bs.length) generated = true;
    const inner: Box = { x: cellBox.x, y: cellBox.y + cellBox.h * 0.14, w: cellBox.w, h: cellBox.h * 0.86 };
    const gen = boxed ? [] : gridPositions(bs.length, inner, Math.min(inner.w, inner.h) * 0.05);
    bs.forEach((b, j) => {
      const box = boxed ? { x: b.x!, y: b.y!, w: b.w!, h: b.h! } : gen[j]!;
      buildings.push({ id: b.id, name: b.name ?? null, cellId: c.id, ...box });
    });
  });
  const all: Box[] = [...placedCells, ...buildings];
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const b of all) {
    minX = Math.min(minX, b.x);
    minY = Math.min(minY, b.y);
    maxX = Math.max(maxX, b.x + b.w);
    maxY = Math.max(maxY, b.y + b.h);
  }
  if (!Number.isFinite(minX)) {
    minX = minY = 0;
    maxX = maxY = CELL;
  }
  const m = Math.max(maxX - minX, maxY - minY) * 0.02;
  const p = community.plan;
  if (!generated && p && p.w > 0 && p.h > 0 && minX >= 0 && minY >= 0 && maxX <= p.w && maxY <= p.h) {
    // the configured plan size frames the drawing
    return { communityId: community.id, viewBox: { x: 0, y: 0, w: p.w, h: p.h }, cells: placedCells, buildings, generated };
  }
  return {
    communityId: community.id,
    viewBox: { x: minX - m, y: minY - m, w: maxX - minX + 2 * m, h: maxY - minY + 2 * m },
    cells: placedCells,
    buildings,
    generated,
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Marker positions for devices of one community. Devices in the same building are spread on a small
 * grid inside it, in a stable order, so markers neither overlap nor jump between renders.
 */
export function placeDevices(plan: Plan, devices: readonly Device[]): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const bIndex = new Map(plan.buildings.map((b) => [`${b.cellId}\u0000${b.id}`, b]));
  const bAny = new Map(plan.buildings.map((b) => [b.id, b]));
  const cIndex = new Map(plan.cells.map((c) => [c.id, c]));
  const groups = new Map<Box, Device[]>();
  for (const d of devices) {
    if (d.communityId !== plan.communityId) continue;
    if (d.location && Number.isFinite(d.location.x) && Number.isFinite(d.location.y)) {
      out.set(d.id, { x: d.location.x, y: d.location.y });
      continue;
    }
    const box =
      (d.buildingId ? (bIndex.get(`${d.gridCellId ?? UNASSIGNED_CELL}\u0000${d.buildingId}`) ?? bAny.get(d.buildingId)) : undefined) ??
      cIndex.get(d.gridCellId ?? UNASSIGNED_CELL);
    if (!box) continue;
    let g = groups.get(box);
    if (!g) groups.set(box, (g = []));
    g.push(d);
  }
  for (const [outer, unsorted] of groups) {
    // decorate-sort-undecorate: one hash per device, not two per comparison
    const keyed = unsorted.map((d) => [hash(d.id), d] as const);
    keyed.sort((a, b) => a[0] - b[0] || (a[1].id < b[1].id ? -1 : 1));
    const list = keyed.map((k) => k[1]);
    const n = list.length;
    // keep clear of the label: a building's name sits at its bottom, a cell's at its top
    const box = 'cellId' in outer ? { ...outer, h: outer.h * 0.78 } : { ...outer, y: outer.y + outer.h * 0.14, h: outer.h * 0.86 };
    const cols = Math.max(1, Math.ceil(Math.sqrt(n * (box.w / box.h))));
    const rows = Math.ceil(n / cols);
    list.forEach((d, i) => {
      const c = i % cols;
      const r = Math.floor(i / cols);
      out.set(d.id, { x: box.x + ((c + 0.5) * box.w) / cols, y: box.y + ((r + 0.5) * box.h) / rows });
    });
  }
  return out;
}
