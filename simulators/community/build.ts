import { simBehaviour } from '../kinds/index.ts';
import type { DeviceKind } from '#devices';
import { createRng, pick } from '../src/rng.ts';
import type { District, Place, Rect, SimBuilding, SimCell, SimCommunity, SimDeviceSpec, SimWorker } from './model.ts';
import { bilingual, buildingName, cellName, communityName, personName, phoneNumber, type Name } from './names.ts';

/** Defaults sized like a real urban community (../shared/DOMAIN.md): ~2,500 households, 8 cells, 30 buildings. */
export interface CommunityOptions {
  households?: number;
  cells?: number;
  buildings?: number;
  seed?: number;
}

export interface DistrictOptions extends CommunityOptions {
  communities?: number;
}

export const COMMUNITY_DEFAULTS = { households: 2500, cells: 8, buildings: 30, seed: 1 } as const;
const PLAN = { w: 1000, h: 700 };
// Typical residential heights: walk-ups, small high-rises, 18/26/33-storey towers.
const FLOOR_CHOICES = [6, 11, 18, 18, 26, 33];

/** A seed per community, so community k is the same whether 1 or 20 are built. */
export function communitySeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

export function buildDistrict(o: DistrictOptions = {}): District {
  const n = Math.max(1, Math.floor(o.communities ?? 1));
  const out: District = { seed: o.seed ?? COMMUNITY_DEFAULTS.seed, communities: [], workers: [], devices: [] };
  for (let k = 0; k < n; k++) {
    const c = buildCommunity(k, o);
    out.communities.push(c.community);
    out.workers.push(...c.workers);
    for (const d of c.devices) out.devices.push(d);
  }
  return out;
}

export function buildCommunity(index: number, o: CommunityOptions = {}) {
  const households = Math.max(1, Math.floor(o.households ?? COMMUNITY_DEFAULTS.households));
  const nCells = Math.max(1, Math.floor(o.cells ?? COMMUNITY_DEFAULTS.cells));
  const nBuildings = Math.max(nCells, Math.floor(o.buildings ?? Math.max(COMMUNITY_DEFAULTS.buildings * Math.min(1, households / 2500), nCells)));
  const rng = createRng(communitySeed(o.seed ?? COMMUNITY_DEFAULTS.seed, index));
  const id = `c${index + 1}`;

  const workers: SimWorker[] = [];
  const staff = (role: SimWorker['role'], wid: string, cells: string[]) => {
    workers.push({ id: wid, name: personName(rng), phone: phoneNumber(rng), role, cells });
    return wid;
  };

  const cellRects = tile(PLAN, nCells);
  const floors = Array.from({ length: nBuildings }, () => pick(rng, FLOOR_CHOICES));
  const perBuilding = apportion(households, floors);
  const cells: SimCell[] = [];
  let buildingNo = 0;
  let workerNo = 0;
  for (let ci = 0; ci < nCells; ci++) {
    const cellId = `${id}-g${ci + 1}`;
    const count = Math.floor(nBuildings / nCells) + (ci < nBuildings % nCells ? 1 : 0);
    const area = cellRects[ci]!;
    const slots = buildingSlots(area, count);
    const buildings: SimBuilding[] = slots.map((r) => {
      const b = buildingNo++;
      const hh = perBuilding[b]!;
      const f = floors[b]!;
      return {
        id: `${id}-b${pad(b + 1)}`,
        number: b + 1,
        name: buildingName(b + 1),
        cellId,
        floors: f,
        households: hh,
        unitsPerFloor: Math.max(1, Math.ceil(hh / f)),
        ...r,
      };
    });
    const nWorkers = rng() < 0.5 ? 1 : 2;
    const cellWorkers = Array.from({ length: nWorkers }, () => staff('worker', `w-${id}-${++workerNo}`, [cellId]));
    const supervisor = staff('supervisor', `w-${id}-sup${ci + 1}`, [cellId]);
    cells.push({ id: cellId, name: cellName(ci + 1), supervisor, workers: cellWorkers, area, buildings });
  }
  const lead = staff('lead', `w-${id}-lead`, cells.map((c) => c.id));
  const community: SimCommunity = { id, name: communityName(index), households, plan: { ...PLAN }, cells, controlRoom: { lead } };
  return { community, workers, devices: devicesOf(community, rng) };
}

function devicesOf(c: SimCommunity, rng: () => number): SimDeviceSpec[] {
  const out: SimDeviceSpec[] = [];
  const cellAt = (x: number, y: number) =>
    (c.cells.find((cell) => x >= cell.area.x && x <= cell.area.x + cell.area.w && y >= cell.area.y && y <= cell.area.y + cell.area.h) ?? c.cells[0]!).id;
  const add = (kind: DeviceKind, suffix: string, place: Place, name: Name, at: { x: number; y: number }, extra: Partial<SimDeviceSpec> = {}) => {
    const location = { x: round1(clamp(at.x, 0, c.plan.w)), y: round1(clamp(at.y, 0, c.plan.h)) };
    out.push({ id: `${c.id}-${kindTag(kind)}-${suffix}`, kind, communityId: c.id, gridCellId: extra.gridCellId ?? cellAt(location.x, location.y), place, name: bilingual(name), location, ...extra });
  };
  const jitter = () => (rng() - 0.5) * 4;

  // Compound entrances on the fence: pedestrian gates on every side, vehicle barriers on two.
  const sides = [
    { key: 'n', zh: '北门', en: 'North gate', x: c.plan.w / 2, y: 2 },
    { key: 's', zh: '南门', en: 'South gate', x: c.plan.w / 2, y: c.plan.h - 2 },
    { key: 'e', zh: '东门', en: 'East gate', x: c.plan.w - 2, y: c.plan.h / 2 },
    { key: 'w', zh: '西门', en: 'West gate', x: 2, y: c.plan.h / 2 },
  ];
  for (const s of sides) {
    add('gate', s.key, 'entrance', { zh: `${s.zh}人行门禁`, en: `${s.en} pedestrian` }, s);
    const gateId = `${c.id}-gate-${s.key}`;
    add('camera', `${s.key}-in`, 'entrance', { zh: `${s.zh}入口`, en: `${s.en} inbound` }, { x: s.x + 3, y: s.y }, { covers: [gateId] });
    add('camera', `${s.key}-out`, 'entrance', { zh: `${s.zh}出口`, en: `${s.en} outbound` }, { x: s.x - 3, y: s.y }, { covers: [gateId] });
  }
  for (const s of sides.slice(0, 2)) {
    add('gate', `${s.key}-car`, 'vehicle_entrance', { zh: `${s.zh}车辆道闸`, en: `${s.en} vehicle barrier` }, { x: s.x + 12, y: s.y });
    add('camera', `${s.key}-car`, 'vehicle_entrance', { zh: `${s.zh}车牌识别`, en: `${s.en} plate camera` }, { x: s.x + 14, y: s.y }, { covers: [`${c.id}-gate-${s.key}-car`] });
  }

  // Underground garages under the first and the middle cell.
  const garageCells = [...new Set([c.cells[0]!, c.cells[Math.floor(c.cells.length / 2)]!])];
  garageCells.forEach((cell, i) => {
    const at = { x: cell.area.x + cell.area.w * 0.85, y: cell.area.y + cell.area.h * 0.9 };
    const n = i + 1;
    add('gate', `garage${n}`, 'garage', { zh: `${n}号地库出入口`, en: `Garage ${n} entrance` }, at, { floor: -1 });
    add('smoke', `garage${n}`, 'garage', { zh: `${n}号地库`, en: `Garage ${n}` }, { x: at.x - 10, y: at.y - 10 }, { floor: -1 });
    for (let k = 1; k <= 2; k++) add('camera', `garage${n}-${k}`, 'garage', { zh: `${n}号地库${k}`, en: `Garage ${n} #${k}` }, { x: at.x - 5 * k, y: at.y }, { floor: -1, covers: [`${c.id}-gate-garage${n}`] });
  });

  // Micro fire stations (微型消防站): one per ~1,500 households, at most two.
  const stations = c.households >= 1500 ? 2 : 1;
  for (let i = 1; i <= stations; i++) {
    const cell = c.cells[i === 1 ? 0 : c.cells.length - 1]!;
    const at = { x: cell.area.x + cell.area.w * 0.15, y: cell.area.y + cell.area.h * 0.92 };
    const name = { zh: `${i}号微型消防站`, en: `Micro fire station ${i}` };
    add('fire_station', String(i), 'fire_station', name, at);
    add('camera', `fs${i}`, 'fire_station', name, { x: at.x + 6, y: at.y }, { covers: [`${c.id}-fs-${i}`] });
  }

  // The service centre with the comprehensive-governance control room (综治中心).
  const svc = c.cells[0]!.area;
  for (let i = 1; i <= 2; i++) add('smoke', `svc${i}`, 'service_centre', { zh: `综治中心${i}`, en: `Service centre ${i}` }, { x: svc.x + 20 + i * 6, y: svc.y + svc.h * 0.93 }, { floor: 1 });
  add('camera', 'svc', 'service_centre', { zh: '综治中心大厅', en: 'Service centre hall' }, { x: svc.x + 30, y: svc.y + svc.h * 0.93 }, { floor: 1 });

  // The perimeter fence, watched every ~130 m (雪亮工程).
  const perimeter = 2 * (c.plan.w + c.plan.h);
  const fenceCams = Math.max(4, Math.round(perimeter / 130));
  for (let i = 0; i < fenceCams; i++) {
    const at = alongFence(c.plan, (i + 0.5) / fenceCams);
    add('camera', `fence${pad(i + 1)}`, 'perimeter', { zh: `围墙${i + 1}`, en: `Fence ${i + 1}` }, at);
  }

  for (const cell of c.cells) {
    for (const b of cell.buildings) {
      const bn = `b${pad(b.number)}`;
      const door = { x: b.x + b.w / 2, y: b.y + b.h };
      const here = { gridCellId: cell.id, buildingId: b.id };
      add('gate', bn, 'building_door', { zh: `${b.name.zh}单元门`, en: `${b.name.en} door` }, door, { ...here, floor: 1 });
      add('camera', `${bn}-door`, 'building_door', { zh: `${b.name.zh}单元门`, en: `${b.name.en} door` }, { x: door.x + 3, y: door.y }, { ...here, floor: 1, covers: [`${c.id}-gate-${bn}`, b.id] });
      add('camera', `${bn}-lobby`, 'lobby', { zh: `${b.name.zh}大堂`, en: `${b.name.en} lobby` }, { x: door.x - 3, y: door.y - 2 }, { ...here, floor: 1, covers: [b.id] });
      // Towers have two lifts, each with a camera; walk-ups have none.
      const lifts = b.floors >= 11 ? 2 : 0;
      for (let l = 1; l <= lifts; l++) add('camera', `${bn}-lift${l}`, 'lift', { zh: `${b.name.zh}${l}号电梯`, en: `${b.name.en} lift ${l}` }, { x: b.x + (b.w * l) / 3, y: b.y + b.h / 2 }, { ...here, floor: 1, covers: [b.id] });
      add('smoke', `${bn}-lobby`, 'lobby', { zh: `${b.name.zh}大堂`, en: `${b.name.en} lobby` }, { x: door.x + jitter(), y: door.y - 3 }, { ...here, floor: 1 });
      add('smoke', `${bn}-bsmt`, 'basement', { zh: `${b.name.zh}地下室`, en: `${b.name.en} basement` }, { x: b.x + b.w * 0.2, y: b.y + b.h * 0.8 }, { ...here, floor: -1 });
      // Stairwell corridors every third floor.
      for (let f = 3; f <= b.floors; f += 3) {
        add('smoke', `${bn}-c${pad(f)}`, 'corridor', { zh: `${b.name.zh}${f}层走廊`, en: `${b.name.en} floor ${f} corridor` }, { x: b.x + b.w * 0.5 + jitter(), y: b.y + (b.h * f) / b.floors }, { ...here, floor: f });
      }
      // A smoke sensor in every household's kitchen; floors fill from the ground up.
      for (let h = 0; h < b.households; h++) {
        const floor = Math.floor(h / b.unitsPerFloor) + 1;
        const unit = (h % b.unitsPerFloor) + 1;
        const room = `${floor}${pad(unit)}`;
        add('smoke', `${bn}-${pad(floor)}${pad(unit)}`, 'household', { zh: `${b.name.zh}${room}厨房`, en: `B${b.number} ${room} kitchen` },
          { x: b.x + (b.w * (unit - 0.5)) / b.unitsPerFloor, y: b.y + (b.h * (floor - 0.5)) / b.floors }, { ...here, floor });
      }
    }
  }
  // Added after the original devices so their ids and order (which the scenarios rely on) stay put.
  // A combustible gas detector in every tenth kitchen (households on piped gas that fitted one).
  for (const cell of c.cells) {
    for (const b of cell.buildings) {
      const bn = `b${pad(b.number)}`;
      for (let h = 0; h < b.households; h += 10) {
        const floor = Math.floor(h / b.unitsPerFloor) + 1;
        const unit = (h % b.unitsPerFloor) + 1;
        const room = `${floor}${pad(unit)}`;
        add('gas', `${bn}-${pad(floor)}${pad(unit)}`, 'household', { zh: `${b.name.zh}${room}厨房燃气`, en: `B${b.number} ${room} kitchen gas` },
          { x: b.x + (b.w * (unit - 0.5)) / b.unitsPerFloor + 1, y: b.y + (b.h * (floor - 0.5)) / b.floors }, { gridCellId: cell.id, buildingId: b.id, floor });
      }
    }
  }
  // An e-bike charging shed (电动自行车充电棚) beside each garage entrance, its circuits on an electrical fire detector.
  garageCells.forEach((cell, i) => {
    const n = i + 1;
    const at = { x: cell.area.x + cell.area.w * 0.7, y: cell.area.y + cell.area.h * 0.9 };
    add('electrical_fire', `shed${n}`, 'charging_shed', { zh: `${n}号电动自行车充电棚`, en: `E-bike charging shed ${n}` }, at);
  });
  return out;
}

const KIND_TAGS: Partial<Record<DeviceKind, string>> = { smoke: 'smoke', gate: 'gate', camera: 'cam', fire_station: 'fs' };
export const kindTag = (k: DeviceKind) => KIND_TAGS[k] ?? simBehaviour(k).tag;

/** Cells tiling the plan in rows (8 cells → 4 × 2 of 250 × 350 m). */
function tile(plan: { w: number; h: number }, n: number): Rect[] {
  const rows = Math.max(1, Math.round(Math.sqrt((n * plan.h) / plan.w)));
  const cols = Math.ceil(n / rows);
  const out: Rect[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols);
    const inRow = r === rows - 1 ? n - cols * (rows - 1) : cols;
    const w = plan.w / inRow;
    const h = plan.h / rows;
    out.push({ x: round1((i % cols) * w), y: round1(r * h), w: round1(w), h: round1(h) });
  }
  return out;
}

/** Slab blocks laid out in one or two columns inside a cell, clear of its edges. */
function buildingSlots(area: Rect, n: number): Rect[] {
  if (n === 0) return [];
  const cols = n <= 3 ? 1 : 2;
  const rows = Math.ceil(n / cols);
  const sw = area.w / cols;
  const sh = (area.h * 0.85) / rows;
  const w = Math.min(60, sw * 0.7);
  const h = Math.min(16, sh * 0.45);
  return Array.from({ length: n }, (_, i) => ({
    x: round1(area.x + (i % cols) * sw + (sw - w) / 2),
    y: round1(area.y + Math.floor(i / cols) * sh + (sh - h) / 2),
    w: round1(w),
    h: round1(h),
  }));
}

/** Splits a total in proportion to weights, exactly (largest remainder). */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((v, i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

function alongFence(plan: { w: number; h: number }, t: number): { x: number; y: number } {
  let d = t * 2 * (plan.w + plan.h);
  if (d < plan.w) return { x: d, y: 1 };
  d -= plan.w;
  if (d < plan.h) return { x: plan.w - 1, y: d };
  d -= plan.h;
  if (d < plan.w) return { x: plan.w - d, y: plan.h - 1 };
  return { x: 1, y: plan.h - (d - plan.w) };
}

const pad = (n: number) => String(n).padStart(2, '0');
const round1 = (v: number) => Math.round(v * 10) / 10;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
