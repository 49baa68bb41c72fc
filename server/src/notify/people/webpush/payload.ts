import { casePushText } from '../case-text.ts';
import type { CaseMessage, PersonMessage } from '../transport.ts';
import { personText } from '../text.ts';

/** The decrypted body of a push message (the contract's shape, plus the notification's words). */
export interface PushPayload {
  type: 'alert';
  change: PersonMessage['change'];
  alert: {
    id: string;
    title: string;
    severity: PersonMessage['alert']['severity'];
    state: PersonMessage['alert']['state'];
    deviceId: string;
    communityId: string;
    gridCellId: string | null;
    escalationLevel: number;
    place: { zh: string; en: string };
  };
  ackUrl: string;
  /** what the service worker shows: one notification per alert (tag), renewed on every reminder and escalation */
  notification: { title: string; body: string; tag: string; openUrl: string; requireInteraction: boolean };
}

export function pushPayload(m: PersonMessage): PushPayload {
  const { alert } = m;
  return {
    type: 'alert',
    change: m.change,
    alert: {
      id: alert.id,
      title: alert.title,
      severity: alert.severity,
      state: alert.state,
      deviceId: alert.deviceId,
      communityId: alert.communityId,
      gridCellId: alert.gridCellId,
      escalationLevel: m.level,
      place: m.place,
    },
    ackUrl: m.ackUrl,
    notification: { ...personText(m), tag: `alert-${alert.id}`, openUrl: `/worker?alert=${encodeURIComponent(alert.id)}`, requireInteraction: alert.severity === 'critical' || alert.severity === 'major' },
  };
}

/** A case's push body: what it is, and where to act on it (no acknowledgement: one acts on /worker). */
export interface CasePushPayload {
  type: 'case';
  change: CaseMessage['change'];
  case: CaseMessage['case'] & { place: { zh: string; en: string }; escalationLevel: number };
  openUrl: string;
  notification: { title: string; body: string; tag: string; openUrl: string; requireInteraction: boolean };
}

export function casePushPayload(m: CaseMessage): CasePushPayload {
  const open = `/worker?case=${encodeURIComponent(m.case.id)}`;
  return {
    type: 'case',
    change: m.change,
    case: { ...m.case, place: m.place, escalationLevel: m.level },
    openUrl: m.openUrl,
    notification: { ...casePushText(m), tag: `case-${m.case.id}`, openUrl: open, requireInteraction: m.change !== 'reminded' },
  };
}
