import type { Severity } from '#devices';
import { severityRank } from '#devices';
import type { GridModel, Person } from '../grid/model.ts';
import type { WebhookOutbox } from '../notify/outbox.ts';
import { localMinute } from './code.ts';
import type { Case } from './model.ts';
import type { CaseChange, CaseService } from './service.ts';

const STAGE_ZH: Record<string, string> = { accepted: '受理', registered: '立案', dispatched: '派遣', disposed: '处置', verified: '核查', closed: '结案', revisited: '回访' };
/** What each change weighs against a robot's `minSeverity`. */
const WEIGHT = { reminded: 'minor', escalated: 'major' } as const satisfies Record<string, Severity>;
const REASON = { reminded: '事件即将到期 Case due soon', escalated: '事件超时·升级 Case overdue, escalated' } as const;

/**
 * Case reminders and escalations to the WeCom / DingTalk group robots of the case's cell and
 * control room, through the alerts' durable outbox (so a robot that is away loses nothing),
 * @-mentioning the people the monitor named.
 */
export class CaseWebhookChannel {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly cases: CaseService,
    private readonly grid: GridModel,
    private readonly outbox: WebhookOutbox,
    private readonly utcOffsetMin: number,
  ) {}

  start(): void {
    this.unsubscribe = this.cases.onChange((change) => this.deliver(change));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private deliver(change: CaseChange): void {
    if (change.type !== 'reminded' && change.type !== 'escalated') return;
    const weight = WEIGHT[change.type];
    for (const hook of this.grid.webhooks(change.case.communityId, change.case.gridCellId)) {
      if (severityRank[weight] > severityRank[hook.minSeverity ?? 'minor']) continue;
      const text = this.lines(change.case, change.type, change.stage, change.recipients);
      const phones = change.recipients.map((p) => p.phone).filter((p): p is string => Boolean(p));
      const body =
        hook.format === 'wecom'
          ? { msgtype: 'text', text: { content: text.join('\n'), mentioned_mobile_list: phones } }
          : { msgtype: 'markdown', markdown: { title: REASON[change.type], text: [...text, phones.map((p) => `@${p}`).join(' ')].join('\n\n') }, at: { atMobiles: phones, isAtAll: false } };
      this.outbox.enqueue(change.case.id, hook.url, hook.format, body, weight);
    }
  }

  private lines(c: Case, type: 'reminded' | 'escalated', stage: string, to: Person[]): string[] {
    const name = (n: unknown, id: string) => (n === undefined ? id : typeof n === 'string' ? n : (n as { zh: string }).zh);
    const deadline = c.deadlines[stage as keyof Case['deadlines']];
    const when = deadline === undefined ? '—' : localMinute(deadline, this.utcOffsetMin);
    return [
      `【${REASON[type]}】${c.title}`,
      `编号 Case: ${c.code}`,
      `期限 Due: ${STAGE_ZH[stage] ?? stage} ${when}`,
      `位置 Where: ${[name(this.grid.community(c.communityId)?.name, c.communityId), c.gridCellId ? name(this.grid.cell(c.gridCellId)?.name, c.gridCellId) : null].filter(Boolean).join(' / ')}`,
      ...(to.length ? [`通知 To: ${to.map((p) => p.name).join('、')}`] : []),
    ];
  }
}
