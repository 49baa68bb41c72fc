import type { PersonMessage } from './transport.ts';
import { ACK_LABEL, changeText, severityText } from './message-text.ts';

/** A push notification's words: both languages at once, since a locked phone shows no language switch. */
export function personText(m: Pick<PersonMessage, 'alert' | 'change' | 'level' | 'place'>): { title: string; body: string } {
  const level = m.level > 0 ? [`升级级别 ${m.level} · Escalation level ${m.level}`] : [];
  return {
    title: `【${severityText('zh', m.alert.severity)} ${severityText('en', m.alert.severity)}】${m.alert.title}`,
    body: [`${changeText('zh', m.change)} · ${changeText('en', m.change)}`, m.place.zh, ...(m.place.en !== m.place.zh ? [m.place.en] : []), ...level].join('\n'),
  };
}

export const ACTION_TEXT = { ack: `${ACK_LABEL.zh} ${ACK_LABEL.en}`, open: '查看 Open' } as const;
