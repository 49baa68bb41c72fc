import type { Severity } from '#devices';
import type { PersonMessage } from './transport.ts';

const SEVERITY = {
  critical: { zh: '紧急', en: 'Critical' },
  major: { zh: '重要', en: 'Major' },
  minor: { zh: '一般', en: 'Minor' },
  info: { zh: '提示', en: 'Info' },
} as const satisfies Record<Severity, { zh: string; en: string }>;

const CHANGE = {
  opened: { zh: '新告警', en: 'New alert' },
  reminded: { zh: '提醒：仍未确认', en: 'Reminder: not acknowledged yet' },
  escalated: { zh: '已升级', en: 'Escalated' },
} as const satisfies Record<PersonMessage['change'], { zh: string; en: string }>;

/** The words every message to a person carries (push, app messages, SMS), in both languages. */
export function personText(m: Pick<PersonMessage, 'alert' | 'change' | 'level' | 'place'>): { title: string; body: string } {
  const sev = SEVERITY[m.alert.severity];
  const change = CHANGE[m.change];
  const level = m.level > 0 ? [`升级级别 ${m.level} · Escalation level ${m.level}`] : [];
  return {
    title: `【${sev.zh} ${sev.en}】${m.alert.title}`,
    body: [`${change.zh} · ${change.en}`, m.place.zh, ...(m.place.en !== m.place.zh ? [m.place.en] : []), ...level].join('\n'),
  };
}

export const ACTION_TEXT = { ack: '确认 Acknowledge', open: '查看 Open' } as const;
