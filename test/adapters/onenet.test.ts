import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { onenetEncrypt, onenetPlainBody, onenetSecureBody, onenetSignature, percentile, post, randomNonce, startPlatformHub, TOKENS } from './platform-clients.ts';

const SMOKE_DEV = 518_002_301;
const GAS_DEV = 518_002_302;

/**
 * OneNET HTTP data push into a real hub, plain and secure (AES) mode, signed by a test-side
 * implementation of the platform's documented algorithms (platform-clients.ts).
 */
describe('OneNET HTTP push', () => {
  let hub: Hub;
  let s: HubSession;
  let smokeUrl: string;
  let gasUrl: string;
  const t0 = Date.now() - 120_000;

  beforeAll(async () => {
    hub = await startPlatformHub(
      [
        { id: 'onenet-smoke-301', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 2 },
        // The default: the hub id is the platform's dev_id.
        { id: String(GAS_DEV), kind: 'gas', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 4 },
        { id: 'onenet-bench', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' },
      ],
      { onenet: { 'onenet-smoke': { [String(SMOKE_DEV)]: 'onenet-smoke-301', '999': 'onenet-bench' } } },
    );
    s = await adminSession(hub.httpUrl);
    smokeUrl = `${hub.httpUrl}/api/ingest/onenet/onenet-smoke`;
    gasUrl = `${hub.httpUrl}/api/ingest/onenet/onenet-gas`;
  });
  afterAll(async () => hub?.stop());

  async function points(deviceId: string, field: string): Promise<{ ts: number; value: unknown }[]> {
    const res = await s.fetch(`${hub.httpUrl}/api/devices/${deviceId}/telemetry?field=${field}&from=${t0 - 3600_000}&to=${Date.now() + 60_000}`);
    return ((await res.json()) as { points: { ts: number; value: unknown }[] }).points;
  }
  async function openAlert(deviceId: string): Promise<Alert | undefined> {
    const res = await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`);
    return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === deviceId);
  }
  async function rejected(): Promise<Record<string, number>> {
    return ((await (await s.fetch(`${hub.httpUrl}/api/ingest/rejected`)).json()) as { byReason: Record<string, number> }).byReason;
  }

  it('URL verification: echoes msg, as plain text, only when the signature from token, nonce and msg matches', async () => {
    const msg = 'xQx2kD9sLm';
    const nonce = 'abcdefgh';
    const signature = onenetSignature(TOKENS.ONENET_SMOKE_TOKEN, nonce, msg);
    const ok = await fetch(`${smokeUrl}?msg=${msg}&nonce=${nonce}&signature=${encodeURIComponent(signature)}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(msg);
    // A query that left the base64 '+' unescaped (a space once decoded) is the same signature.
    const spaced = await fetch(`${smokeUrl}?msg=${msg}&nonce=${nonce}&signature=${signature.replace(/\//g, '%2F').replace(/=/g, '%3D')}`);
    expect(spaced.status).toBe(200);
    const before = (await rejected()).bad_signature ?? 0;
    const bad = await fetch(`${smokeUrl}?msg=${msg}&nonce=${nonce}&signature=${encodeURIComponent(onenetSignature('other-token', nonce, msg))}`);
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toContain(msg);
    expect((await rejected()).bad_signature).toBe(before + 1);
    expect((await fetch(`${hub.httpUrl}/api/ingest/onenet/nope?msg=a&nonce=b&signature=c`)).status).toBe(404);
  });

  it('plain mode: data points of one device at one time make one telemetry message; type 2 sets the status, type 7 is acknowledged', async () => {
    const msgs = [
      { type: 1, dev_id: SMOKE_DEV, ds_id: 'battery', at: t0, value: 91 },
      { type: 1, dev_id: SMOKE_DEV, ds_id: 'signal', at: t0, value: -88 },
      { type: 1, dev_id: SMOKE_DEV, ds_id: 'iccid', at: t0, value: '898600' },
      { type: 7, dev_id: SMOKE_DEV, cmd_type: 1, cmd_id: 'c1', send_time: t0, confirm_time: t0, confirm_status: 0, at: t0 },
    ];
    const r = await post(smokeUrl, onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, msgs));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ ok: true, stored: 1 });
    const battery = await waitFor(async () => ((await points('onenet-smoke-301', 'battery_pct')).length ? points('onenet-smoke-301', 'battery_pct') : undefined), { what: 'battery point' });
    expect(battery).toEqual([{ ts: t0, value: 91 }]);
    expect(await points('onenet-smoke-301', 'rssi_dbm')).toEqual([{ ts: t0, value: -88 }]);

    const offline = await post(smokeUrl, onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, { type: 2, dev_id: SMOKE_DEV, status: 0, login_type: 10, at: Date.now() }));
    expect(offline.status).toBe(200);
    const online = async () => ((await (await s.fetch(`${hub.httpUrl}/api/devices/onenet-smoke-301`)).json()) as { device: { online: boolean } }).device.online;
    expect(await online()).toBe(false);
    expect((await post(smokeUrl, onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, { type: 2, dev_id: SMOKE_DEV, status: 1, login_type: 10, at: Date.now() }))).status).toBe(200);
    expect(await online()).toBe(true);
  });

  it('plain mode: an alarm data point raises the fire alarm; a retry of the same push is acknowledged, not counted again', async () => {
    const body = onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, { type: 1, dev_id: SMOKE_DEV, ds_id: 'alarm_state', at: t0 + 1000, value: 1 });
    expect((await post(smokeUrl, body)).status).toBe(200);
    const alert = await waitFor(() => openAlert('onenet-smoke-301'), { what: 'fire alarm' });
    expect(alert).toMatchObject({ type: 'fire_alarm', severity: 'critical', count: 1 });
    const again = await post(smokeUrl, body);
    expect(again.json).toMatchObject({ ok: true, stored: 0, replayed: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await openAlert('onenet-smoke-301'))!.count).toBe(1);
  });

  it('secure mode: AES-256-CBC enc_msg (PKCS#7 to 16 or 32 bytes) is decrypted, stored, and the gas leak raised', async () => {
    const msgs = [
      { type: 1, dev_id: GAS_DEV, ds_id: 'gas_concentration', at: t0 + 2000, value: 42 },
      { type: 1, dev_id: GAS_DEV, ds_id: 'battery', at: t0 + 2000, value: 64 },
    ];
    const r = await post(gasUrl, onenetSecureBody(TOKENS.ONENET_GAS_TOKEN, TOKENS.ONENET_GAS_AES_KEY, msgs));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const lel = await waitFor(async () => ((await points(String(GAS_DEV), 'lel_pct')).length ? points(String(GAS_DEV), 'lel_pct') : undefined), { what: 'gas point' });
    expect(lel).toEqual([{ ts: t0 + 2000, value: 42 }]);
    expect(await waitFor(() => openAlert(String(GAS_DEV)), { what: 'gas leak' })).toMatchObject({ kind: 'gas', type: 'gas_leak', severity: 'critical' });

    const r32 = await post(gasUrl, onenetSecureBody(TOKENS.ONENET_GAS_TOKEN, TOKENS.ONENET_GAS_AES_KEY, { type: 1, dev_id: GAS_DEV, ds_id: 'valve_state', at: t0 + 3000, value: 1 }, randomNonce(), 32));
    expect(r32.status, JSON.stringify(r32.json)).toBe(200);
    expect(r32.json).toMatchObject({ stored: 1 });
  });

  it('refuses a bad signature (401), a tampered or wrongly keyed enc_msg, an unknown device and unmappable data (404/422), nothing stored', async () => {
    const before = await rejected();
    const msg = { type: 1, dev_id: SMOKE_DEV, ds_id: 'battery', at: t0 + 5000, value: 10 };
    // Signed with another token.
    expect((await post(smokeUrl, onenetPlainBody('not-the-token', msg))).status).toBe(401);
    // Signed right, then the value changed in transit.
    const tampered = onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, msg).replace('"value": 10', '"value": 11');
    expect(tampered).toContain('"value": 11');
    expect((await post(smokeUrl, tampered)).status).toBe(401);
    // enc_msg altered after signing.
    const secure = JSON.parse(onenetSecureBody(TOKENS.ONENET_GAS_TOKEN, TOKENS.ONENET_GAS_AES_KEY, { ...msg, dev_id: GAS_DEV, ds_id: 'battery' })) as { enc_msg: string };
    secure.enc_msg = 'A' + secure.enc_msg.slice(1);
    expect((await post(gasUrl, JSON.stringify(secure))).status).toBe(401);
    // Signed right, encrypted with another key: 422, it cannot be read.
    const wrongKey = onenetEncrypt('B'.repeat(43), JSON.stringify({ ...msg, dev_id: GAS_DEV }));
    const nonce = randomNonce();
    const r = await post(gasUrl, JSON.stringify({ enc_msg: wrongKey, msg_signature: onenetSignature(TOKENS.ONENET_GAS_TOKEN, nonce, wrongKey), nonce }));
    expect(r.status).toBe(422);
    expect((await post(smokeUrl, onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, { ...msg, dev_id: 123 }))).status).toBe(404);
    // One unmappable stream refuses the whole push: the good battery point beside it is not stored.
    const mixed = await post(smokeUrl, onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, [msg, { ...msg, ds_id: 'humidity', at: t0 + 6000, value: 40 }]));
    expect(mixed.status).toBe(422);
    const after = await rejected();
    const grew = (reason: string) => (after[reason] ?? 0) - (before[reason] ?? 0);
    expect(grew('bad_signature')).toBe(3);
    expect(grew('unmappable')).toBe(2);
    expect(grew('unknown_device')).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await points('onenet-smoke-301', 'battery_pct')).map((p) => p.value)).toEqual([91]);
  });

  it('300 sequential signed pushes are all answered 200 and stored (answer time is measured, not asserted: speed belongs in the bench)', async () => {
    const times: number[] = [];
    // Within one device's burst (200): more in a rush than its budget allows is, rightly, a 429.
    const n = 180;
    for (let i = 0; i < n; i++) {
      const r = await post(smokeUrl, onenetPlainBody(TOKENS.ONENET_SMOKE_TOKEN, { type: 1, dev_id: 999, ds_id: 'battery', at: t0 - 400_000 + i * 1000, value: 50 + (i % 40) }));
      expect(r.status).toBe(200);
      times.push(r.ms);
    }
    console.log(`OneNET push answer time over ${n} sequential pushes: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`);
    expect(await waitFor(async () => ((await points('onenet-bench', 'battery_pct')).length === n ? n : undefined), { what: 'bench points', timeoutMs: 20_000 })).toBe(n);
  });
});
