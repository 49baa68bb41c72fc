import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { loadConfig } from '../server/src/config.ts';
import { Hub } from '../server/src/hub.ts';
import { createLogger } from '../server/src/log.ts';
import { createGateway, login, TEST_BOOTSTRAP_ADMIN } from '../test/helpers/auth.ts';
import { tempDataDir } from '../test/helpers/hub.ts';

/** The push service thread: subscriptions on demand, each push's arrival reported. */
async function pushServiceThread(onPush: (alertId: string, at: number) => void) {
  // A worker thread does not inherit tsx's loader: it registers it, then imports the TypeScript.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(new URL('./push-service-thread.ts', import.meta.url).href)}); })`;
  const worker = new Worker(boot, { eval: true });
  let waiting: ((msg: unknown) => void) | undefined;
  const next = () => new Promise<unknown>((r) => (waiting = r));
  worker.on('message', (msg: { type: string; alertId: string; at: number }) => {
    if (msg.type === 'push') return onPush(msg.alertId, msg.at);
    waiting?.(msg);
  });
  const ready = (await next()) as { cert: string };
  return {
    agent: new https.Agent({ ca: ready.cert, keepAlive: true, maxSockets: 16 }),
    async subscriptions(n: number) {
      worker.postMessage({ type: 'subscribe', n });
      return ((await next()) as { subs: { endpoint: string; keys: { p256dh: string; auth: string } }[] }).subs;
    },
    async refused() {
      worker.postMessage({ type: 'refused' });
      return ((await next()) as { refused: number }).refused;
    },
    async stop() {
      worker.postMessage({ type: 'stop' });
      const { refused } = (await next()) as { refused: number };
      await worker.terminate();
      return refused;
    },
  };
}

export interface DeliveryBenchResult {
  subscribedWorkers: number;
  /** alarm published over MQTT → push request received (and decrypted) at a local push service, each of the cell's workers */
  alarmToPush: { alarms: number; pushes: number; received: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; alarmToAlertP50Ms: number | null; alarmToAlertP99Ms: number | null };
  /** 500 alerts in 10 s across the district */
  /** pushes the push service refused (bad VAPID or encryption): must be 0 */
  refusedByPushService: number;
  storm: {
    alerts: number;
    critical: number;
    durationS: number;
    pushesExpected: number;
    pushesReceived: number;
    criticalDeliveredWithin5s: number;
    criticalP99Ms: number | null;
    allDeliveredMs: number | null;
    maxPushesPerSecond: number;
    dropped: number;
    /** at-least-once: a push resent after a send that timed out but had arrived */
    duplicates: number;
  };
}

const CELLS = 200;
const PER_CELL = 5;
const q = (sorted: number[], p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10 : null);

/**
 * Delivery figures (issue 15): a district of 200 cells with 5 grid workers each, every worker
 * subscribed to Web Push at a local push service that checks VAPID and decrypts each message.
 * The hub runs in this process (its state DB takes the accounts directly: no password hashing
 * for a thousand accounts); alarms go in over MQTT through the embedded broker like a device's.
 */
export async function deliveryBench(o: { alarms?: number; stormAlerts?: number; stormS?: number; log: (l: string) => void }): Promise<DeliveryBenchResult> {
  const alarms = o.alarms ?? 100;
  const stormAlerts = o.stormAlerts ?? 500;
  const stormS = o.stormS ?? 10;
  // Arrival times per alert id (absolute ms).
  const arrivals = new Map<string, number[]>();
  const push = await pushServiceThread((id, at) => {
    let list = arrivals.get(id);
    if (!list) arrivals.set(id, (list = []));
    list.push(at);
  });
  const now = () => performance.timeOrigin + performance.now();
  const dataDir = tempDataDir('bench-delivery');
  const cells = Array.from({ length: CELLS }, (_, c) => ({
    id: `g${c}`,
    workers: Array.from({ length: PER_CELL }, (_, w) => `w${c}-${w}`),
    buildings: [{ id: `b${c}`, name: { zh: `${c + 1}号楼`, en: `Building ${c + 1}` } }],
  }));
  const devices = [
    ...Array.from({ length: alarms }, (_, i) => ({ id: `probe${i}`, kind: 'smoke', communityId: 'd1', gridCellId: `g${i % CELLS}`, buildingId: `b${i % CELLS}`, floor: 1 + (i % 20) })),
    ...Array.from({ length: stormAlerts }, (_, i) => ({ id: `storm${i}`, kind: 'smoke', communityId: 'd1', gridCellId: `g${(i * 7) % CELLS}`, buildingId: `b${(i * 7) % CELLS}`, floor: 1 + (i % 20) })),
  ];
  const configFile = path.join(dataDir, 'district.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      communities: [{ id: 'd1', name: { zh: '示范街道', en: 'Model district' }, cells }],
      workers: cells.flatMap((c) => c.workers.map((id) => ({ id, name: `网格员${id}`, role: 'worker', cells: [c.id] }))),
      devices,
      // One alert per device: the storm measures delivery, not incident grouping.
      incidents: [],
    }),
  );
  const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir, bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'warn', configFile });
  const hub = new Hub(config, createLogger(config.logLevel, 2), { delivery: { pushAgent: push.agent } });
  await hub.start();
  const mqttClient = await (async () => {
    const gw = await createGateway(hub.httpUrl, await login(hub.httpUrl), 'bench-delivery');
    return mqtt.connectAsync(hub.mqttUrl, { clientId: 'bench-delivery', username: gw.username, password: gw.password });
  })();
  try {
    const insert = hub.db.prepare("INSERT INTO users (username, password_hash, role, display_name, communities, cells, worker_id, disabled, created_at) VALUES (?, 'x', 'worker', NULL, '[]', '[]', ?, 0, ?)");
    hub.db.transaction(() => {
      for (const c of cells) for (const w of c.workers) insert.run(`u-${w}`, w, Date.now());
    })();
    const workers = cells.flatMap((c) => c.workers);
    const subs = await push.subscriptions(workers.length);
    workers.forEach((w, i) => hub.people.subscriptions.add(`u-${w}`, subs[i]!, 'bench'));
    const alertOf = (deviceId: string) => hub.alerts.unresolved().find((a) => a.deviceId === deviceId)?.id;
    const publish = (deviceId: string, type: string) => mqttClient.publishAsync(`community/d1/smoke/${deviceId}/event`, JSON.stringify({ type, ts: Date.now(), seq: 1 }), { qos: 1 });

    o.log(`== delivery: alarm → Web Push at a local push service, ${CELLS * PER_CELL} subscribed workers (${PER_CELL} per cell)`);
    const latencies: number[] = [];
    const toAlert: number[] = [];
    const openedAt = new Map<string, number>();
    const unsubscribe = hub.alerts.onChange((c) => {
      if (c.type === 'opened') openedAt.set(c.alert.deviceId, now());
    });
    let received = 0;
    for (let i = 0; i < alarms; i++) {
      const t0 = now();
      await publish(`probe${i}`, 'alarm');
      const end = Date.now() + 5000;
      let id: string | undefined;
      while (Date.now() < end) {
        id ??= alertOf(`probe${i}`);
        if (id && (arrivals.get(id)?.length ?? 0) >= PER_CELL) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      const got = id ? (arrivals.get(id) ?? []) : [];
      const opened = openedAt.get(`probe${i}`);
      if (opened !== undefined) toAlert.push(opened - t0);
      received += got.length;
      for (const t of got) latencies.push(t - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    unsubscribe();
    latencies.sort((a, b) => a - b);
    toAlert.sort((a, b) => a - b);
    const alarmToPush = {
      alarms,
      pushes: alarms * PER_CELL,
      received,
      p50Ms: q(latencies, 0.5),
      p99Ms: q(latencies, 0.99),
      maxMs: q(latencies, 1),
      alarmToAlertP50Ms: q(toAlert, 0.5),
      alarmToAlertP99Ms: q(toAlert, 0.99),
    };
    o.log(`  alarm → push: p50 ${alarmToPush.p50Ms} ms, p99 ${alarmToPush.p99Ms} ms, max ${alarmToPush.maxMs} ms (${received}/${alarmToPush.pushes}); of which alarm → alert p50 ${alarmToPush.alarmToAlertP50Ms} ms, p99 ${alarmToPush.alarmToAlertP99Ms} ms`);

    o.log(`== delivery storm: ${stormAlerts} alerts in ${stormS} s across ${CELLS} cells (every 5th a fire alarm, the rest tamper)`);
    const sentAt = new Map<string, number>();
    const stormStart = now();
    for (let i = 0; i < stormAlerts; i++) {
      const due = stormStart + (i * stormS * 1000) / stormAlerts;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sentAt.set(`storm${i}`, now());
      void publish(`storm${i}`, i % 5 === 0 ? 'alarm' : 'tamper');
    }
    const expected = stormAlerts * PER_CELL;
    const countStorm = () => {
      let n = 0;
      for (const a of hub.alerts.unresolved()) if (a.deviceId.startsWith('storm')) n += arrivals.get(a.id)?.length ?? 0;
      return n;
    };
    const deadline = Date.now() + 60_000;
    while (countStorm() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const stormAlertsNow = hub.alerts.unresolved().filter((a) => a.deviceId.startsWith('storm'));
    const criticalDelays: number[] = [];
    const all: number[] = [];
    let criticalWithin5s = 0;
    let duplicates = 0;
    let critical = 0;
    for (const a of stormAlertsNow) {
      const got = arrivals.get(a.id) ?? [];
      all.push(...got.slice(0, PER_CELL));
      duplicates += Math.max(0, got.length - PER_CELL);
      if (a.severity !== 'critical') continue;
      critical++;
      const last = got.length >= PER_CELL ? Math.max(...got) - sentAt.get(a.deviceId)! : Infinity;
      criticalDelays.push(last);
      if (last <= 5000) criticalWithin5s++;
    }
    criticalDelays.sort((a, b) => a - b);
    const perSecond = new Map<number, number>();
    for (const t of all) perSecond.set(Math.floor((t - stormStart) / 1000), (perSecond.get(Math.floor((t - stormStart) / 1000)) ?? 0) + 1);
    const storm = {
      alerts: stormAlertsNow.length,
      critical,
      durationS: stormS,
      pushesExpected: expected,
      pushesReceived: all.length,
      criticalDeliveredWithin5s: criticalWithin5s,
      criticalP99Ms: criticalDelays.length && Number.isFinite(criticalDelays.at(-1)!) ? q(criticalDelays, 0.99) : null,
      allDeliveredMs: all.length >= expected ? Math.round(Math.max(...all) - stormStart) : null,
      maxPushesPerSecond: Math.max(0, ...perSecond.values()),
      dropped: expected - all.length,
      duplicates,
    };
    o.log(`  storm: ${storm.pushesReceived}/${expected} pushes, critical ${criticalWithin5s}/${critical} within 5 s (p99 ${storm.criticalP99Ms} ms), all by ${storm.allDeliveredMs} ms, peak ${storm.maxPushesPerSecond}/s`);
    return { subscribedWorkers: workers.length, alarmToPush, refusedByPushService: await push.refused(), storm };
  } finally {
    await mqttClient.endAsync();
    await hub.stop();
    await push.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/delivery.ts`: this part alone, one JSON line.
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await deliveryBench({ log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}
