import { ALERT_TYPES, isAlertType, kindSpecs, validatorFor, type AlertType, type Severity } from '#devices';
import { createRng } from '../src/rng.ts';
import { parseClockStart } from './clock.ts';
import type { District, SimDeviceSpec } from './model.ts';
import type { ScenarioFile, Selector, Step } from './scenario-file.ts';

type Body = Record<string, unknown>;

/** One alert the script implies: the simulator's ground truth. */
export interface ExpectedAlert {
  deviceId: string;
  type: AlertType;
  communityId: string;
  severity: Severity;
  /** true: the condition has gone away by the end (clearedAt set); false: still present; absent: either */
  cleared?: boolean;
  /** the step that causes it */
  step: string;
  atS: number;
}

export interface PlannedStep {
  atS: number;
  title: string;
  deviceId: string;
  kind: SimDeviceSpec['kind'];
  communityId: string;
  online?: true;
  set?: Body;
  unset?: true | string[];
  telemetry?: Body;
  event?: Body;
  offline?: true;
}

export interface ScenarioPlan {
  name: string;
  /** scenario epoch ms at t = 0 */
  clockStart: number;
  steps: PlannedStep[];
  expected: ExpectedAlert[];
  /** devices that go offline at some step: they get their own connection and last will */
  dedicated: string[];
}

/**
 * Resolves every target and expectation against a district, deterministically for a seed, and
 * checks the script against the contract (event types, readings, alert types) before anything runs.
 */
export function planScenario(script: ScenarioFile, district: District, seed: number, now = Date.now()): ScenarioPlan {
  const byId = new Map(district.devices.map((d) => [d.id, d]));
  const community = script.community ?? district.communities[0]?.id;
  if (!community || !district.communities.some((c) => c.id === community)) throw new Error(`scenario ${script.name}: community ${community} is not in the district`);
  const rng = createRng((seed ^ 0x5ce7a210) >>> 0);
  const aliases = new Map<string, string>();
  const used = new Set<string>();
  const steps: PlannedStep[] = [];
  const expected = new Map<string, ExpectedAlert>();
  const dedicated = new Set<string>();
  const ordered = script.steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.at - b.s.at || a.i - b.i);

  const lookup = (ref: string, where: string): SimDeviceSpec => {
    const d = byId.get(aliases.get(ref) ?? ref);
    if (!d) throw new Error(`${where}: no device or alias "${ref}"`);
    return d;
  };

  for (const { s, i } of ordered) {
    const where = `scenario ${script.name}, step ${i + 1}${s.title ? ` (${titleOf(s)})` : ''}`;
    const device = typeof s.target === 'string' ? lookup(s.target, where) : select(s.target, district, community, used, aliases, byId, rng, where);
    used.add(device.id);
    if (s.as) aliases.set(s.as, device.id);
    const step: PlannedStep = { atS: s.at, title: titleOf(s) || `step ${i + 1}`, deviceId: device.id, kind: device.kind, communityId: device.communityId };
    if (s.online) step.online = true;
    if (s.set) step.set = checked(device, 'telemetry', { ...s.set }, where);
    if (s.unset) step.unset = s.unset === true ? true : [...s.unset];
    if (s.telemetry) step.telemetry = checked(device, 'telemetry', { ...s.telemetry }, where);
    if (s.event) step.event = checked(device, 'event', { ...s.event }, where);
    if (s.offline) {
      step.offline = true;
      dedicated.add(device.id);
    }
    steps.push(step);
    for (const e of s.expect ?? []) {
      const type = typeof e === 'string' ? e : e.type;
      if (!isAlertType(type)) throw new Error(`${where}: unknown alert type "${type}"`);
      const target = typeof e === 'string' || !e.device ? device : lookup(e.device, where);
      const key = `${target.id}\u0000${type}`;
      const prev = expected.get(key);
      const cleared = typeof e === 'string' ? undefined : e.cleared;
      expected.set(key, {
        deviceId: target.id,
        type,
        communityId: target.communityId,
        severity: type === 'device_offline' ? kindSpecs[target.kind].offlineSeverity : ALERT_TYPES[type].severity,
        ...(cleared !== undefined ? { cleared } : prev?.cleared !== undefined ? { cleared: prev.cleared } : {}),
        step: prev?.step ?? step.title,
        atS: prev?.atS ?? s.at,
      });
    }
  }
  return { name: script.name, clockStart: parseClockStart(script.clock, now), steps, expected: [...expected.values()], dedicated: [...dedicated] };
}

function select(
  sel: Selector,
  district: District,
  defaultCommunity: string,
  used: Set<string>,
  aliases: Map<string, string>,
  byId: Map<string, SimDeviceSpec>,
  rng: () => number,
  where: string,
): SimDeviceSpec {
  const community = sel.community ?? defaultCommunity;
  const cell = sel.cell === undefined ? undefined : typeof sel.cell === 'number' ? `${community}-g${sel.cell}` : sel.cell;
  const building = sel.building === undefined ? undefined : buildingId(sel.building, community);
  let covers: string[] | undefined;
  if (sel.covers) {
    const target = byId.get(aliases.get(sel.covers) ?? sel.covers);
    covers = target ? [target.id, ...(target.buildingId ? [target.buildingId] : [])] : [buildingId(sel.covers, community)];
  }
  const matches = district.devices.filter(
    (d) =>
      d.kind === sel.kind &&
      d.communityId === community &&
      (cell === undefined || d.gridCellId === cell) &&
      (building === undefined || d.buildingId === building) &&
      (sel.floor === undefined || d.floor === sel.floor) &&
      (sel.place === undefined || d.place === sel.place) &&
      (covers === undefined || (d.covers ?? []).some((c) => covers.includes(c))) &&
      !used.has(d.id),
  );
  if (matches.length === 0) throw new Error(`${where}: no unused device matches ${JSON.stringify(sel)}`);
  matches.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Draw even for "first", so adding pick: first to one step does not reshuffle the others.
  const r = rng();
  return sel.pick === 'first' ? matches[0]! : matches[Math.floor(r * matches.length)]!;
}

function buildingId(ref: string | number, community: string): string {
  if (typeof ref === 'number') return `${community}-b${String(ref).padStart(2, '0')}`;
  return /^b\d+$/.test(ref) ? `${community}-${ref}` : ref;
}

function checked(device: SimDeviceSpec, channel: 'telemetry' | 'event', body: Body, where: string): Body {
  const probe = { ...body, ts: 0, seq: 0 };
  if (!validatorFor(device.kind, channel).Check(probe)) {
    throw new Error(`${where}: ${channel} ${JSON.stringify(body)} is not a valid ${device.kind} ${channel} (see devices/src/kinds/${device.kind}.ts)`);
  }
  return body;
}

function titleOf(s: Step): string {
  if (!s.title) return '';
  return typeof s.title === 'string' ? s.title : `${s.title.zh} · ${s.title.en}`;
}
