/**
 * GB/T 28181 at scale: NVRs with 2,000 channels in all register to a hub process (Digest, catalog),
 * then channel alarms (NOTIFY) are timed to their alert on a WebSocket client, one clock (the
 * simulated NVRs and the WebSocket client live in this process).
 *
 *   node --import tsx bench/gb28181.ts [--nvrs 20] [--channels 100] [--probes 300]
 *
 * Floor (issue 19): alarm NOTIFY → WebSocket p99 ≤ 50 ms with 2,000 registered channels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { SimGbDevice } from '../simulators/gb28181/index.ts';
import { login } from '../test/helpers/auth.ts';
import { startHubProcess, tempDataDir } from '../test/helpers/hub.ts';
import { freePort, waitFor } from '../test/helpers/ports.ts';

const { values } = parseArgs({
  options: {
    nvrs: { type: 'string', default: '20' },
    channels: { type: 'string', default: '100' },
    probes: { type: 'string', default: '300' },
    'interval-ms': { type: 'string', default: '40' },
  },
});
const NVRS = Number(values.nvrs);
const CHANNELS = Number(values.channels);
const PROBES = Number(values.probes);
const PLATFORM = { sipId: '34020000002000000001', domain: '3402000000' };
const PASSWORD = 'bench-realm-pass';
const FLOOR_P99_MS = 50;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100 : null;
};
const log = (l: string) => process.stderr.write(`${l}\n`);

const dataDir = tempDataDir('bench-gb');
const sipPort = await freePort();
const configFile = path.join(dataDir, 'config.yaml');
fs.writeFileSync(
  configFile,
  stringify({
    communities: [{ id: 'c1', cells: [{ id: 'g1', buildings: [{ id: 'b1' }] }] }],
    gb28181: { ...PLATFORM, host: '127.0.0.1', port: sipPort, password: PASSWORD, communityId: 'c1', gridCellId: 'g1', buildingId: 'b1' },
  }),
);
const hub = await startHubProcess({ HUB_CONFIG: configFile, LOG_LEVEL: 'warn' });
const nvrs: SimGbDevice[] = [];
let ws: WebSocket | undefined;
try {
  for (let i = 0; i < NVRS; i++) {
    const d = new SimGbDevice({ id: `3402000000118${String(i + 1).padStart(7, '0')}`, password: PASSWORD, channels: CHANNELS, catalogBatch: 20, platform: { ...PLATFORM, host: '127.0.0.1', port: sipPort } });
    await d.start();
    nvrs.push(d);
  }
  const regStarted = performance.now();
  const regMs: number[] = [];
  await Promise.all(
    nvrs.map(async (d) => {
      const t = performance.now();
      const status = await d.register();
      if (status !== 200) throw new Error(`${d.id}: REGISTER ${status}`);
      regMs.push(performance.now() - t);
    }),
  );
  const registeredIn = performance.now() - regStarted;
  const token = await login(hub.httpUrl);
  const total = NVRS * CHANNELS;
  await waitFor(
    async () => {
      const res = await fetch(`${hub.httpUrl}/api/devices?kind=camera&online=true&limit=1`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { total: number }).total >= total + NVRS;
    },
    { timeoutMs: 120_000, intervalMs: 250, what: `${total} channels online` },
  );
  const catalogIn = performance.now() - regStarted;
  log(`${NVRS} NVRs registered in ${Math.round(registeredIn)} ms; ${total} channels online after ${Math.round(catalogIn)} ms`);

  ws = new WebSocket(`${hub.httpUrl.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise((r, j) => ws!.once('open', r).once('error', j));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { type: string; alert?: { deviceId: string; count: number } };
    if (msg.type !== 'alert' || !msg.alert || msg.alert.count !== 1) return;
    const t = sentAt.get(msg.alert.deviceId);
    if (t === undefined) return;
    latencies.push(performance.now() - t);
    sentAt.delete(msg.alert.deviceId);
  });
  const probes = Math.min(PROBES, total);
  for (let k = 0; k < probes; k++) {
    // A different channel each time: each alarm opens a new alert (count 1).
    const nvr = nvrs[k % NVRS]!;
    const channel = Math.floor(k / NVRS) % CHANNELS;
    sentAt.set(nvr.channelIds[channel]!, performance.now());
    void nvr.raiseAlarm({ alarm: k % 2 ? 'tamper' : 'video_loss', channel }).catch(() => {});
    await new Promise((r) => setTimeout(r, Number(values['interval-ms'])));
  }
  await waitFor(() => sentAt.size === 0 || undefined, { timeoutMs: 10_000, what: 'every alert' }).catch(() => {});
  const p99 = quantile(latencies, 0.99);
  const result = {
    nvrs: NVRS,
    channels: total,
    registerTotalMs: Math.round(registeredIn),
    registerP99Ms: quantile(regMs, 0.99),
    catalogOnlineMs: Math.round(catalogIn),
    probes,
    received: latencies.length,
    alarmToWsP50Ms: quantile(latencies, 0.5),
    alarmToWsP99Ms: p99,
    alarmToWsMaxMs: quantile(latencies, 1),
    floorP99Ms: FLOOR_P99_MS,
    pass: p99 !== null && p99 <= FLOOR_P99_MS && latencies.length === probes,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.exitCode = result.pass ? 0 : 1;
} finally {
  ws?.close();
  await Promise.all(nvrs.map((d) => d.stop()));
  await hub.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
