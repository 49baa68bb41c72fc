import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import type { IsapiClient } from '../../server/src/ingest/adapters/isapi.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { fakeJpeg, SimAccessController, type AccessEvent } from '../../simulators/access-controller/index.ts';
import { startPlatformHub } from './platform-clients.ts';

/**
 * Hikvision access controllers over ISAPI: a local controller that demands HTTP Digest and
 * streams multipart/mixed events and pictures, read by a real hub into gate events and alerts.
 */
describe('Hikvision ISAPI alertStream', () => {
  let hub: Hub;
  let s: HubSession;
  const gate = new SimAccessController('admin', 'gate-pass-1');
  const locked = new SimAccessController('admin', 'the-real-password');
  let client: IsapiClient;
  let serial = 100;
  const now = () => new Date().toISOString();
  const ev = (major: number, minor: number, extra: Partial<AccessEvent> = {}): AccessEvent => ({ major, minor, serialNo: ++serial, dateTime: now(), ...extra });

  beforeAll(async () => {
    await gate.start();
    await locked.start();
    hub = await startPlatformHub(
      [
        { id: 'gate-north', kind: 'gate', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1' },
        { id: 'gate-south', kind: 'gate', communityId: 'c1', gridCellId: 'g1' },
      ],
      {},
      {},
      {
        hikvision: [
          { deviceId: 'gate-north', url: gate.url, username: 'admin', password: 'gate-pass-1' },
          { deviceId: 'gate-south', url: locked.url, username: 'admin', password: 'a-wrong-password' },
        ],
      },
    );
    s = await adminSession(hub.httpUrl);
    client = hub.accessControllers!.clients[0]!;
    await waitFor(async () => (gate.connected === 1 && client.state === 'connected' ? true : undefined), { what: 'alertStream connected' });
  });
  afterAll(async () => {
    await hub?.stop();
    await gate.stop();
    await locked.stop();
  });

  async function events(deviceId: string): Promise<{ type: string; seq?: number; readings?: Record<string, unknown>; detail?: Record<string, unknown> }[]> {
    const res = await s.fetch(`${hub.httpUrl}/api/devices/${deviceId}/events?from=${Date.now() - 3600_000}&to=${Date.now() + 60_000}`);
    return ((await res.json()) as { events: { type: string; seq?: number; readings?: Record<string, unknown>; detail?: Record<string, unknown> }[] }).events;
  }
  async function openAlert(deviceId: string, type: string): Promise<Alert | undefined> {
    const res = await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`);
    return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === deviceId && a.type === type);
  }

  it('answers the Digest challenge and keeps the stream; a wrong password is refused and retried no sooner than the longest backoff', async () => {
    expect(gate.challenges).toBeGreaterThanOrEqual(1);
    expect(gate.streams).toBe(1);
    const south = hub.accessControllers!.clients[1]!;
    await waitFor(async () => (south.state === 'unauthorized' ? true : undefined), { what: 'wrong password refused' });
    expect(locked.refusedDigest).toBe(1);
    expect(locked.streams).toBe(0);
  });

  it('a forced door (JSON part) raises the critical alert with the controller picture attached like a camera snapshot', async () => {
    const picture = fakeJpeg('forced');
    gate.send(ev(5, 0x1b, { cardNo: '' }), { picture });
    const alert = await waitFor(async () => {
      const a = await openAlert('gate-north', 'door_forced');
      return a?.snapshots?.length ? a : undefined;
    }, { what: 'door_forced alert with its picture' });
    expect(alert).toMatchObject({ kind: 'gate', severity: 'critical', state: 'open' });
    expect(alert.snapshots![0]!.cameraId).toBe('gate-north');
    const img = await s.fetch(`${hub.httpUrl}${alert.snapshots![0]!.url}`);
    expect(img.status).toBe(200);
    expect(Buffer.from(await img.arrayBuffer()).equals(picture)).toBe(true);
  });

  it('XML parts: denied cards become access_denied events (a hash, never the card number) and a burst raises its alert; routine pictures are not kept', async () => {
    for (let i = 0; i < 5; i++) gate.send(ev(5, 0x06, { cardNo: '3097861234' }), { format: 'xml', picture: fakeJpeg(`denied-${i}`) });
    const alert = await waitFor(() => openAlert('gate-north', 'access_denied_burst'), { what: 'access denied burst' });
    expect(alert.severity).toBe('major');
    const denied = (await events('gate-north')).filter((e) => e.type === 'access_denied');
    expect(denied).toHaveLength(5);
    expect(JSON.stringify(denied)).not.toContain('3097861234');
    // Numeric extras are kept as readings, text ones as detail (as for MQTT events).
    expect(denied[0]).toMatchObject({ readings: { major: 5, minor: 6, door_no: 1 }, detail: { credential_hash: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    gate.send(ev(5, 0x4b), { picture: fakeJpeg('granted') });
    await waitFor(async () => ((await events('gate-north')).some((e) => e.type === 'access_granted') ? true : undefined), { what: 'granted event' });
  });

  it('door open/close codes become the door reading; a part without Content-Length ends at the boundary', async () => {
    gate.send(ev(5, 0x19), { withLength: false });
    gate.heartbeat();
    const res = async () => ((await (await s.fetch(`${hub.httpUrl}/api/devices/gate-north/telemetry?field=door&from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`)).json()) as { points: { value: unknown }[] }).points;
    expect(await waitFor(async () => ((await res()).length ? res() : undefined), { what: 'door reading' })).toMatchObject([{ value: 'open' }]);
  });

  it('the same serial number twice is stored once', async () => {
    const e = ev(5, 0x1c);
    gate.send(e);
    gate.send(e);
    await waitFor(() => openAlert('gate-north', 'door_held_open'), { what: 'held open alert' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await events('gate-north')).filter((x) => x.type === 'door_held_open')).toHaveLength(1);
    expect((await openAlert('gate-north', 'door_held_open'))!.count).toBe(1);
  });

  it('a part of broken JSON is skipped and the stream goes on', async () => {
    gate.raw('--MIME_boundary\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"broken\r\n');
    gate.send(ev(5, 0x85));
    expect(await waitFor(() => openAlert('gate-north', 'tailgating'), { what: 'tailgating after a broken part' })).toBeDefined();
    expect(gate.streams).toBe(1);
  });

  it('a tamper alarm (major 1, host or card reader case opened) raises gate_tamper', async () => {
    gate.send(ev(1, 0x404));
    const alert = await waitFor(() => openAlert('gate-north', 'gate_tamper'), { what: 'gate tamper alert' });
    expect(alert.severity).toBe('major');
    expect((await events('gate-north')).find((x) => x.type === 'tamper')).toMatchObject({ readings: { major: 1, minor: 0x404 } });
  });

  it('the controller dropping the stream mid-event: nothing half-read is stored, the hub reconnects and reads on', async () => {
    // Earlier events may still be on their way to the store: count the cut event's own type.
    const forced = async () => (await events('gate-north')).filter((e) => e.type === 'door_forced').length;
    const before = await forced();
    const cut = ev(5, 0x1b);
    gate.dropMidEvent(cut);
    await waitFor(async () => (gate.streams === 2 && client.state === 'connected' ? true : undefined), { what: 'reconnected', timeoutMs: 10_000 });
    const after = ev(5, 0x01, { cardNo: '42' });
    gate.send(after);
    await waitFor(async () => ((await events('gate-north')).some((e) => e.seq === after.serialNo) ? true : undefined), { what: 'event after reconnect' });
    expect(await forced()).toBe(before);
    expect((await events('gate-north')).some((e) => e.seq === cut.serialNo)).toBe(false);
  });

  it('a malformed multipart part (bad Content-Length) drops the stream; the hub reconnects', async () => {
    const streams = gate.streams;
    gate.raw('--MIME_boundary\r\nContent-Type: application/json\r\nContent-Length: lots\r\n\r\n{}');
    await waitFor(async () => (gate.streams === streams + 1 && client.state === 'connected' ? true : undefined), { what: 'reconnected after a malformed part', timeoutMs: 10_000 });
  });
});

describe('Dahua eventManager.cgi attach stream', () => {
  let hub: Hub;
  let s: HubSession;
  const dahua = new SimAccessController('admin', 'dahua-pass', 'myboundary', 'dahua');

  beforeAll(async () => {
    await dahua.start();
    hub = await startPlatformHub([{ id: 'gate-east', kind: 'gate', communityId: 'c1', gridCellId: 'g1' }], {}, {}, {
      dahua: [{ deviceId: 'gate-east', url: dahua.url, username: 'admin', passwordEnv: 'DAHUA_PASSWORD' }],
    });
    s = await adminSession(hub.httpUrl);
    await waitFor(async () => (dahua.connected === 1 ? true : undefined), { what: 'Dahua stream attached' });
  });
  afterAll(async () => {
    await hub?.stop();
    await dahua.stop();
  });

  it('attaches with Digest to AccessControl and the door codes, and maps them to gate events and the door reading', async () => {
    expect(dahua.attachQuery).toContain('codes=[AccessControl,DoorStatus,BreakIn,DoorNotClosed,ChassisIntruded]');
    const utc = Math.floor(Date.now() / 1000);
    dahua.sendDahua('AccessControl', 'Pulse', 0, { CardNo: '8A3F21', Method: 1, Status: 1, Type: 'Entry', UserID: '12', RecNo: 501, UTC: utc });
    dahua.sendDahua('DoorStatus', 'Pulse', 0, { Status: 'Open', UTC: utc });
    dahua.sendDahua('BreakIn', 'Start', 0, { UTC: utc + 1 });
    dahua.sendDahua('BreakIn', 'Stop', 0, { UTC: utc + 2 });
    dahua.sendDahua('ChassisIntruded', 'Start', 0, { UTC: utc + 3 });
    const alert = await waitFor(async () => {
      const res = await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`);
      return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === 'gate-east' && a.type === 'door_forced');
    }, { what: 'door forced from Dahua' });
    expect(alert.severity).toBe('critical');
    await waitFor(async () => (await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`).then((r) => r.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === 'gate-east' && a.type === 'gate_tamper'), { what: 'tamper from Dahua ChassisIntruded' });
    const events = ((await (await s.fetch(`${hub.httpUrl}/api/devices/gate-east/events?from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`)).json()) as { events: { type: string; seq?: number; ts: number }[] }).events;
    expect(events.map((e) => e.type).sort()).toEqual(['access_granted', 'door_forced', 'tamper']);
    expect(events.find((e) => e.type === 'access_granted')).toMatchObject({ seq: 501, ts: utc * 1000 });
    expect(JSON.stringify(events)).not.toContain('8A3F21');
    const door = ((await (await s.fetch(`${hub.httpUrl}/api/devices/gate-east/telemetry?field=door&from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`)).json()) as { points: { value: unknown }[] }).points;
    expect(door).toMatchObject([{ value: 'open' }]);
  });
});

describe('Hikvision push mode (the controller POSTs to the hub)', () => {
  let hub: Hub;
  let s: HubSession;
  const token = 'gate-west-push-token-5b1d';
  const url = () => `${hub.httpUrl}/api/ingest/isapi/gate-west?token=${token}`;

  beforeAll(async () => {
    hub = await startPlatformHub([{ id: 'gate-west', kind: 'gate', communityId: 'c1', gridCellId: 'g1' }], {}, {}, { hikvision: [{ deviceId: 'gate-west', pushToken: token }] });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());

  /** multipart/form-data as the controller's HTTP listening sends it: the event, then its picture. */
  function form(event: Buffer, picture?: Buffer): { body: Buffer; type: string } {
    const b = 'hkform7f3a';
    const parts = [Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="AccessControllerEvent"\r\nContent-Type: application/json\r\nContent-Length: ${event.length}\r\n\r\n`), event, Buffer.from('\r\n')];
    if (picture) parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\nContent-Length: ${picture.length}\r\n\r\n`), picture, Buffer.from('\r\n'));
    parts.push(Buffer.from(`--${b}--\r\n`));
    return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${b}` };
  }

  it('takes a pushed forced-door event with its picture, answering once it is spooled', async () => {
    const picture = fakeJpeg('pushed');
    const f = form(SimAccessController.json({ major: 5, minor: 0x1b, serialNo: 9001, dateTime: new Date().toISOString() }), picture);
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': f.type }, body: new Uint8Array(f.body) });
    expect(res.status, await res.clone().text()).toBe(200);
    const res2 = await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`);
    const alert = ((await res2.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === 'gate-west' && a.type === 'door_forced');
    expect(alert?.snapshots).toHaveLength(1);
  });

  it('refuses a wrong token (401), an unknown controller (404) and a cut multipart body (422)', async () => {
    const f = form(SimAccessController.json({ major: 5, minor: 0x1b, serialNo: 9002, dateTime: new Date().toISOString() }));
    expect((await fetch(`${hub.httpUrl}/api/ingest/isapi/gate-west?token=wrong-token-wrong-token`, { method: 'POST', headers: { 'content-type': f.type }, body: new Uint8Array(f.body) })).status).toBe(401);
    expect((await fetch(`${hub.httpUrl}/api/ingest/isapi/gate-nope?token=${token}`, { method: 'POST', headers: { 'content-type': f.type }, body: new Uint8Array(f.body) })).status).toBe(404);
    expect((await fetch(url(), { method: 'POST', headers: { 'content-type': f.type }, body: new Uint8Array(f.body.subarray(0, 120)) })).status).toBe(422);
    expect((await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"eventType": "AccessControllerEvent", ' })).status).toBe(422);
    const stored = async () => ((await (await s.fetch(`${hub.httpUrl}/api/devices/gate-west/events?from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`)).json()) as { events: unknown[] }).events;
    await waitFor(async () => ((await stored()).length > 0 ? true : undefined), { what: 'the pushed event stored' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await stored()).toHaveLength(1);
  });
});
