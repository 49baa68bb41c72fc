import { describe, expect, it } from 'vitest';
import { ID_PATTERN, KINDS, validatorFor } from '#devices';
import { buildDistrict, hubConfigYaml } from '../../simulators/community/index.ts';
import { initialState, routineReport } from '../../simulators/community/telemetry.ts';

const id = new RegExp(ID_PATTERN);

describe('community model', () => {
  it('the same seed builds the same community and config; another seed does not', () => {
    const a = hubConfigYaml(buildDistrict({ seed: 7 }));
    expect(hubConfigYaml(buildDistrict({ seed: 7 }))).toBe(a);
    expect(hubConfigYaml(buildDistrict({ seed: 8 }))).not.toBe(a);
  });

  it('is sized like a real community (DOMAIN.md)', () => {
    const d = buildDistrict({ seed: 1 });
    const [c] = d.communities;
    expect(d.communities).toHaveLength(1);
    expect(c!.households).toBeGreaterThanOrEqual(2000);
    expect(c!.households).toBeLessThanOrEqual(3000);
    expect(c!.cells).toHaveLength(8);
    const buildings = c!.cells.flatMap((cell) => cell.buildings);
    expect(buildings).toHaveLength(30);
    expect(buildings.reduce((a, b) => a + b.households, 0)).toBe(c!.households);

    const byKind = Object.fromEntries(KINDS.map((k) => [k, d.devices.filter((x) => x.kind === k)]));
    // A smoke sensor in every household, plus common areas.
    const households = byKind.smoke!.filter((x) => x.place === 'household');
    expect(households).toHaveLength(c!.households);
    expect(byKind.smoke!.length).toBeGreaterThan(c!.households);
    // Gates at the compound entrances and at every building door.
    expect(byKind.gate!.filter((x) => x.place === 'entrance').length).toBeGreaterThanOrEqual(2);
    for (const b of buildings) expect(byKind.gate!.some((g) => g.place === 'building_door' && g.buildingId === b.id)).toBe(true);
    expect(byKind.fire_station!.length).toBeGreaterThanOrEqual(1);
    expect(byKind.fire_station!.length).toBeLessThanOrEqual(2);
    expect(byKind.camera!.length).toBeGreaterThanOrEqual(120);
    expect(byKind.camera!.length).toBeLessThanOrEqual(180);

    // Grid workers: 1–2 per cell, a supervisor per cell, a control-room lead; phones look real.
    for (const cell of c!.cells) {
      expect(cell.workers.length).toBeGreaterThanOrEqual(1);
      expect(cell.workers.length).toBeLessThanOrEqual(2);
      expect(d.workers.find((w) => w.id === cell.supervisor)?.role).toBe('supervisor');
    }
    expect(d.workers.find((w) => w.id === c!.controlRoom.lead)?.role).toBe('lead');
    for (const w of d.workers) {
      expect(w.phone).toMatch(/^1[3-9]\d{9}$/);
      expect(w.name).toMatch(/^[\u4e00-\u9fa5]{2,3}$/);
    }
  });

  it('gives every device a valid unique id, an existing cell and building, and a place on the plan', () => {
    const d = buildDistrict({ seed: 3, communities: 2 });
    const ids = new Set<string>();
    const cells = new Map(d.communities.flatMap((c) => c.cells.map((cell) => [cell.id, { c, cell }] as const)));
    for (const dev of d.devices) {
      expect(dev.id).toMatch(id);
      expect(ids.has(dev.id)).toBe(false);
      ids.add(dev.id);
      const where = cells.get(dev.gridCellId);
      expect(where?.c.id).toBe(dev.communityId);
      if (dev.buildingId) expect(where!.cell.buildings.some((b) => b.id === dev.buildingId)).toBe(true);
      expect(dev.location.x).toBeGreaterThanOrEqual(0);
      expect(dev.location.x).toBeLessThanOrEqual(where!.c.plan.w);
      expect(dev.location.y).toBeGreaterThanOrEqual(0);
      expect(dev.location.y).toBeLessThanOrEqual(where!.c.plan.h);
    }
    for (const w of d.workers) expect(w.id).toMatch(id);
  });

  it('district mode: 20 communities, about 58,000 devices, built fast', () => {
    const t = performance.now();
    const d = buildDistrict({ seed: 1, communities: 20 });
    expect(performance.now() - t).toBeLessThan(15_000);
    expect(d.communities).toHaveLength(20);
    expect(d.devices.length).toBeGreaterThan(50_000);
    expect(new Set(d.devices.map((x) => x.id)).size).toBe(d.devices.length);
    // Community k is the same however many are built.
    const one = buildDistrict({ seed: 1, communities: 1 });
    expect(d.devices.filter((x) => x.communityId === 'c1')).toEqual(one.devices);
  });
});

describe('routine telemetry', () => {
  it('is valid and never crosses a default alert threshold over two simulated days', () => {
    const d = buildDistrict({ seed: 5, households: 400 });
    const states = d.devices.map((spec, i) => initialState(spec, 5, i));
    const start = Date.parse('2024-06-01T00:00:00+08:00');
    const problems: string[] = [];
    let denials = 0;
    for (let step = 0; step <= 48 * 12; step++) {
      const scenarioNow = start + step * 300_000; // every 5 scenario minutes
      d.devices.forEach((spec, i) => {
        const r = routineReport(spec, states[i]!, scenarioNow, step * 1000);
        const t = r.telemetry;
        if (!validatorFor(spec.kind, 'telemetry').Check({ ...t, ts: 0, seq: 0 })) problems.push(`${spec.id} invalid telemetry ${JSON.stringify(t)}`);
        for (const e of r.events) {
          if (!validatorFor(spec.kind, 'event').Check({ ...e, ts: 0, seq: 0 })) problems.push(`${spec.id} invalid event ${JSON.stringify(e)}`);
          if (['alarm', 'tamper', 'fault', 'door_forced', 'door_held_open', 'tailgating', 'cabinet_opened', 'pressure_low', 'video_loss'].includes(e.type as string)) problems.push(`${spec.id} alarming event ${e.type}`);
          if (e.type === 'access_denied') denials++;
          if (e.type === 'motion' && (spec.covers || spec.buildingId)) problems.push(`${spec.id} motion near a gate or building`);
        }
        const n = (k: string) => t[k] as number;
        if (spec.kind === 'smoke' && (n('smoke_obscuration_pct_per_m') >= 10 || n('battery_pct') < 25)) problems.push(`${spec.id} ${JSON.stringify(t)}`);
        if (spec.kind === 'gate' && (t.door !== 'closed' || n('battery_pct') < 25)) problems.push(`${spec.id} ${JSON.stringify(t)}`);
        if (spec.kind === 'fire_station' && (n('water_pressure_mpa') < 0.25 || n('extinguishers_ok') < n('extinguishers_total') || t.cabinet_door !== 'closed' || n('staff_on_duty') < 1)) problems.push(`${spec.id} ${JSON.stringify(t)}`);
        if (spec.kind === 'camera' && (t.reachable !== true || Math.abs(n('clock_drift_s')) >= 1)) problems.push(`${spec.id} ${JSON.stringify(t)}`);
      });
    }
    expect(problems.slice(0, 10)).toEqual([]);
    // Wrong cards happen, but rarely (the burst rule needs 5 at one gate within 60 s).
    expect(denials).toBeGreaterThan(0);
  });

  it('gate traffic follows the time of day', () => {
    const d = buildDistrict({ seed: 2, households: 400 });
    const gates = d.devices.map((spec, i) => ({ spec, i })).filter((x) => x.spec.place === 'entrance');
    const passesIn = (hour: number) => {
      const at = Date.parse(`2024-06-03T${String(hour).padStart(2, '0')}:00:00+08:00`);
      let total = 0;
      for (const { spec, i } of gates) {
        const s = initialState(spec, 2, i);
        routineReport(spec, s, at, 0);
        const before = s.passes;
        routineReport(spec, s, at + 3_600_000, 0);
        total += s.passes - before;
      }
      return total;
    };
    expect(passesIn(8)).toBeGreaterThan(passesIn(3) * 10);
  });
});
