// PersonMessage fixtures for the transport tests.
import type { AlertType, Severity } from '#devices';
import { alert as alertFixture } from '../dashboard/fixtures.ts';
import type { PersonMessage, PersonRecipient } from '../../server/src/notify/people/transport.ts';

export const worker: PersonRecipient = { id: 'w1', name: '王芳', role: 'worker', phone: '13800138000', accounts: { wecom: 'wangfang', dingtalk: 'ding-wangfang' } };

let seq = 0;
export function personMessage(over: { severity?: Severity; type?: AlertType; alertId?: string; recipient?: PersonRecipient; place?: { zh: string; en: string }; now?: number } = {}): PersonMessage {
  const n = ++seq;
  const now = over.now ?? Date.now();
  const alertId = over.alertId ?? `al-${n}`;
  const alert = alertFixture({
    id: alertId,
    deviceId: 'smoke-306',
    type: over.type ?? 'fire_alarm',
    severity: over.severity ?? 'critical',
    title: '火灾报警 Fire alarm · 306 厨房烟感',
    openedAt: now - 5000,
    lastSeenAt: now,
    buildingId: 'b3',
    floor: 3,
  });
  const recipient = over.recipient ?? worker;
  return {
    key: `${alertId}:opened:0:${recipient.id}:${n}`,
    change: 'opened',
    level: 0,
    alert,
    recipient,
    place: over.place ?? { zh: '3号楼2单元 3层 · 306 厨房烟感', en: 'Building 3 unit 2, floor 3 · 306 kitchen smoke' },
    ackUrl: `https://hub.example.cn/a/${alertId}.sig${n}`,
  };
}
