import type { SentMessage } from '../../simulators/src/run.ts';
import { decodePayload, parseDeviceTopic } from '#devices';
import type { TelemetryStore } from '../../server/src/store/types.ts';

/**
 * Checks that every sent message is in the store with its values intact.
 * Returns a list of problems (empty when all is well).
 */
export async function verifyStored(store: TelemetryStore, sent: SentMessage[]): Promise<string[]> {
  const problems: string[] = [];
  const byDevice = new Map<string, SentMessage[]>();
  for (const m of sent) {
    const t = parseDeviceTopic(m.topic);
    if (typeof t === 'string') continue;
    const list = byDevice.get(t.deviceId) ?? [];
    list.push(m);
    byDevice.set(t.deviceId, list);
  }
  for (const [deviceId, messages] of byDevice) {
    const t = parseDeviceTopic(messages[0]!.topic) as Exclude<ReturnType<typeof parseDeviceTopic>, string>;
    const from = Math.min(...messages.map((m) => m.body.ts as number));
    const to = Math.max(...messages.map((m) => m.body.ts as number));
    const rows = await store.queryRaw({ deviceId, kind: t.kind, from, to, limit: 1_000_000 });
    const events = await store.queryEvents({ deviceId, from, to, limit: 1_000_000 });
    const stored = new Map<number, Record<string, unknown>>();
    for (const r of rows) if (r.seq !== undefined) stored.set(r.seq, r.readings);
    for (const e of events) if (e.seq !== undefined) stored.set(e.seq, { type: e.type, ...e.readings });
    for (const m of messages) {
      const seq = m.body.seq as number;
      const got = stored.get(seq);
      if (!got) {
        problems.push(`${deviceId} seq ${seq} missing`);
        continue;
      }
      const decoded = decodePayload(t.kind, m.topic.endsWith('/event') ? 'event' : 'telemetry', Buffer.from(JSON.stringify(m.body)), 0);
      if (!decoded.ok || decoded.value.channel === 'status') continue;
      const want: Record<string, unknown> = { ...decoded.value.readings, ...(decoded.value.channel === 'event' ? { type: decoded.value.type } : {}) };
      if (JSON.stringify(sortKeys(want)) !== JSON.stringify(sortKeys(got))) {
        problems.push(`${deviceId} seq ${seq}: sent ${JSON.stringify(want)} stored ${JSON.stringify(got)}`);
      }
    }
  }
  return problems;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
