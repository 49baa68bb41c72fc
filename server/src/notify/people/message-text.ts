// The words every person-addressed message carries (WeCom card, DingTalk action card, SMS, voice),
// in zh and en, from one place. Places come by name (PersonMessage.place, built with placeText).
import { ALERT_TYPES, type Severity } from '#devices';
import type { PersonMessage } from './transport.ts';

export type TextLang = 'zh' | 'en';

const SEVERITY = {
  zh: { critical: '紧急', major: '重要', minor: '一般', info: '提示' },
  en: { critical: 'Critical', major: 'Major', minor: 'Minor', info: 'Info' },
} as const satisfies Record<TextLang, Record<Severity, string>>;

const CHANGE = {
  zh: { opened: '新告警', reminded: '提醒：仍未确认', escalated: '已升级' },
  en: { opened: 'New alert', reminded: 'Reminder: not yet acknowledged', escalated: 'Escalated' },
} as const satisfies Record<TextLang, Record<PersonMessage['change'], string>>;

export const ACK_LABEL = { zh: '确认', en: 'Acknowledge' } as const;
export const ACKED_LABEL = { zh: '已确认', en: 'Acknowledged' } as const;
export const BRAND = { zh: '社区安全', en: 'Community safety' } as const;

export function severityText(lang: TextLang, s: Severity): string {
  return SEVERITY[lang][s];
}

/** "新告警" / "New alert", "已升级" / "Escalated" */
export function changeText(lang: TextLang, c: PersonMessage['change']): string {
  return CHANGE[lang][c];
}

/** "烟感火警" / "Smoke fire alarm" */
export function alertLabel(lang: TextLang, m: Pick<PersonMessage, 'alert'>): string {
  return ALERT_TYPES[m.alert.type]?.label[lang] ?? m.alert.title;
}

/** "【紧急·新告警】烟感火警" / "[Critical · New alert] Smoke fire alarm" */
export function titleText(lang: TextLang, m: PersonMessage): string {
  const head = `${severityText(lang, m.alert.severity)}${lang === 'zh' ? '·' : ' · '}${changeText(lang, m.change)}`;
  return lang === 'zh' ? `【${head}】${alertLabel(lang, m)}` : `[${head}] ${alertLabel(lang, m)}`;
}

/** The lines under the title: where, since when, which escalation level. */
export function detailLines(lang: TextLang, m: PersonMessage, timeZone = 'Asia/Shanghai'): { key: string; value: string }[] {
  const opened = new Date(m.alert.openedAt).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone, hour12: false });
  const lines = [
    { key: lang === 'zh' ? '位置' : 'Where', value: m.place[lang] || m.place.zh || m.place.en },
    { key: lang === 'zh' ? '时间' : 'Opened', value: opened },
  ];
  if (m.level > 0) lines.push({ key: lang === 'zh' ? '升级级别' : 'Escalation level', value: String(m.level) });
  return lines;
}

/** A card's markdown body in both languages (DingTalk action card, WeCom description). */
export function markdownText(m: PersonMessage): string {
  const part = (lang: TextLang) => [`### ${titleText(lang, m)}`, ...detailLines(lang, m).map((l) => `- ${l.key}: ${l.value}`)].join('\n');
  return `${part('zh')}\n\n${part('en')}`;
}

/** "【社区安全】3号楼2单元 烟感火警，请确认：<ackUrl>": short enough for one SMS segment plus the link. */
export function smsText(m: PersonMessage): string {
  return `【${BRAND.zh}】${m.place.zh} ${alertLabel('zh', m)}，请确认：${m.ackUrl}`;
}

/** The sentence a voice call reads out (no link: the callee acknowledges from any other channel). */
export function voiceText(m: PersonMessage): string {
  return `${BRAND.zh}${severityText('zh', m.alert.severity)}告警：${m.place.zh}，${alertLabel('zh', m)}。请立即处理并在短信或企业微信中确认。`;
}

/** "另有 3 条告警：3号楼" / "3 more alerts in 3号楼": what a storm of non-critical messages becomes. */
export function mergedText(lang: TextLang, merged: readonly PersonMessage[]): string {
  const places = [...new Set(merged.map((m) => m.place[lang] || m.place.zh).filter(Boolean))];
  const where = places.slice(0, 3).join(lang === 'zh' ? '、' : ', ') + (places.length > 3 ? (lang === 'zh' ? '等' : ' and more') : '');
  const n = merged.length;
  if (lang === 'zh') return `另有 ${n} 条告警${where ? `：${where}` : ''}`;
  return `${n} more alert${n === 1 ? '' : 's'}${where ? ` in ${where}` : ''}`;
}
