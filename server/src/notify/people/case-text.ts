// The words of a case message on every channel (Web Push, WeCom card, DingTalk card), zh and en,
// from one place, as message-text.ts is for alerts.
import { BRAND, type TextLang } from './message-text.ts';
import type { CaseMessage } from './transport.ts';

const CHANGE = {
  zh: { dispatched: '派遣给您', reminded: '即将到期', overdue: '已超时', escalated: '超时·升级' },
  en: { dispatched: 'Dispatched to you', reminded: 'Due soon', overdue: 'Overdue', escalated: 'Overdue, escalated' },
} as const satisfies Record<TextLang, Record<CaseMessage['change'], string>>;

const STAGE = {
  zh: { accepted: '受理', registered: '立案', dispatched: '派遣', disposed: '处置', verified: '核查', closed: '结案', revisited: '回访' },
  en: { accepted: 'accept', registered: 'register', dispatched: 'dispatch', disposed: 'disposal', verified: 'check', closed: 'closing', revisited: 'return visit' },
} as const;

export const OPEN_CASE_LABEL = { zh: '查看事件', en: 'Open case' } as const;

/** "【事件·派遣给您】楼道堆物" / "[Case · Dispatched to you] 楼道堆物" */
export function caseTitle(lang: TextLang, m: CaseMessage): string {
  return lang === 'zh' ? `【事件·${CHANGE.zh[m.change]}】${m.case.title}` : `[Case · ${CHANGE.en[m.change]}] ${m.case.title}`;
}

/** Code, category, where (by name), the deadline and its stage, the escalation level. */
export function caseLines(lang: TextLang, m: CaseMessage): { key: string; value: string }[] {
  const stage = STAGE[lang][m.case.stage as keyof (typeof STAGE)['zh']] ?? m.case.stage;
  const zh = lang === 'zh';
  const lines = [
    { key: zh ? '编号' : 'Case', value: m.case.code },
    { key: zh ? '类别' : 'Category', value: m.case.category[lang] || m.case.category.zh },
    { key: zh ? '位置' : 'Where', value: m.place[lang] || m.place.zh },
    { key: zh ? '期限' : 'Due', value: m.case.due ? (zh ? `${stage} ${m.case.due}` : `${stage} by ${m.case.due}`) : '—' },
  ];
  if (m.level > 0) lines.push({ key: zh ? '升级级别' : 'Escalation level', value: String(m.level) });
  return lines;
}

/** A card's markdown body in both languages (DingTalk action card). */
export function caseMarkdown(m: CaseMessage): string {
  const part = (lang: TextLang) => [`### ${caseTitle(lang, m)}`, ...caseLines(lang, m).map((l) => `- ${l.key}: ${l.value}`)].join('\n');
  return `${part('zh')}\n\n${part('en')}`;
}

/** A push notification's words: both languages, since a locked phone shows no language switch. */
export function casePushText(m: CaseMessage): { title: string; body: string } {
  const zh = caseLines('zh', m), en = caseLines('en', m);
  return {
    title: `【${BRAND.zh}·${CHANGE.zh[m.change]} ${CHANGE.en[m.change]}】${m.case.title}`,
    body: [`${m.case.code} · ${m.case.category.zh}`, m.place.zh, zh[3]!.value, en[3]!.value, ...(m.level > 0 ? [`升级级别 ${m.level} · Escalation level ${m.level}`] : [])].join('\n'),
  };
}
