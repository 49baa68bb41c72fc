import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_TYPES, deviceTopic, type Alert, type DeviceKind } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { simBehaviour } from '../../simulators/kinds/index.ts';
import { createRng } from '../../simulators/src/rng.ts';
import { kindLabel, termLabel } from '../../dashboard/src/lib/i18n.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { adminSession, provisionDevice, type HubSession } from '../helpers/auth.ts';

/**
 * The two kinds added by registration alone, end to end: simulator readings and an incident over
 * MQTT → store (read back by field) → rules → alert with its type, severity and zh/en labels.
 */
describe('gas and electrical_fire through the embedded broker, store and rules', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await startHub();
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());

  const cases: { kind: DeviceKind; id: string; field: string; incident: Record<string, unknown>; alert: string; severity: string }[] = [
    { kind: 'gas', id: 'gas-kitchen-1', field: 'lel_pct', incident: { lel_pct: 35, battery_pct: 80 }, alert: 'gas_leak', severity: 'critical' },
    { kind: 'electrical_fire', id: 'shed-efire-1', field: 'cable_temperature_c', incident: { residual_current_ma: 40, cable_temperature_c: 92, load_current_a: 55 }, alert: 'cable_over_temperature', severity: 'critical' },
  ];

  for (const c of cases) {
    it(`${c.kind}: stored, read back by field, and raises ${c.alert}`, async () => {
      const login = await provisionDevice(hub.httpUrl, s.token, { id: c.id, kind: c.kind, communityId: 'c1' });
      const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: login.username, ...login });
      const topic = deviceTopic({ communityId: 'c1', kind: c.kind, deviceId: c.id, channel: 'telemetry' });
      const routine = simBehaviour(c.kind).telemetry(createRng(7), {});
      const t0 = Date.now();
      await client.publishAsync(topic, JSON.stringify({ ...routine, ts: t0 - 2000, seq: 1 }), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ ...c.incident, ts: t0 - 1000, seq: 2 }), { qos: 1 });
      await client.endAsync();

      const points = await waitFor(async () => {
        const res = await s.fetch(`${hub.httpUrl}/api/devices/${c.id}/telemetry?field=${c.field}&from=${t0 - 60_000}&to=${t0 + 60_000}`);
        const body = (await res.json()) as { points: { ts: number; value: unknown }[] };
        return body.points.length === 2 ? body.points : undefined;
      }, { what: `${c.kind} points stored` });
      expect(points.map((p) => p.value)).toEqual([routine[c.field], c.incident[c.field]]);

      const alert = await waitFor(async () => {
        const res = await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`);
        return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === c.id);
      }, { what: `${c.alert} alert` });
      expect(alert).toMatchObject({ kind: c.kind, type: c.alert, severity: c.severity, state: 'open' });
      const label = ALERT_TYPES[alert.type].label;
      expect(alert.title).toContain(label.zh);
      expect(alert.title).toContain(label.en);
      // The dashboard names them from the same registrations.
      expect(termLabel('zh-CN', c.alert)).toBe(label.zh);
      expect(termLabel('en', c.alert)).toBe(label.en);
      expect(kindLabel('zh-CN', c.kind)).not.toBe(c.kind);
      expect(termLabel('en', c.field)).not.toBe(c.field);
    });
  }
});
