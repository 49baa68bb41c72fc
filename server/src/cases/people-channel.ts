import { placeText } from '#devices/place.ts';
import type { GridModel, Person } from '../grid/model.ts';
import type { Logger } from '../log.ts';
import type { DeliveryLadder } from '../notify/people/ladder.ts';
import type { PersonOutbox, QueuedMessage } from '../notify/people/outbox.ts';
import type { CaseMessage, PersonRecipient } from '../notify/people/transport.ts';
import { localMinute } from './code.ts';
import type { Case, CaseStage } from './model.ts';
import type { CaseChange, CaseService } from './service.ts';

export interface CasePeopleChannelDeps {
  cases: CaseService;
  grid: GridModel;
  outbox: PersonOutbox;
  ladder: DeliveryLadder;
  /** the hub's address as phones reach it (the link to the case) */
  publicUrl: () => string;
  utcOffsetMin: number;
  log: Logger;
}

/** Actions after which what is still queued for the case is no longer news (the stage moved on). */
const MOVES_ON = new Set(['accept', 'register', 'dispatch', 'dispose', 'verify', 'close', 'revisit']);
/** Cases weigh as major alerts on the ladder: the everyday channels, never an SMS or a call. */
const SEVERITY = 'major';

/**
 * Cases to people, through the people outbox and its channels (Web Push, WeCom, DingTalk): the
 * dispatched case to its assignee, the monitor's reminders and 超时 to whom it names, and its
 * escalation (the cell's supervisor, the control-room lead) at the escalation's level of the same
 * ladder as alerts. One message per (case, stage, level, recipient, channel): the key holds the
 * change, the stage and its deadline (or the dispatch's time), so a replayed change is a no-op
 * and a moved deadline is news again.
 */
export class CasePeopleChannel {
  private unsubscribe: (() => void) | undefined;
  private readonly accounts = new Map<string, PersonRecipient['accounts']>();

  constructor(private readonly d: CasePeopleChannelDeps) {
    for (const w of d.grid.allWorkers()) if (w.accounts) this.accounts.set(w.id, w.accounts);
  }

  start(): void {
    this.unsubscribe = this.d.cases.onChange((change) => this.deliver(change));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** One case change (public so a replay can be shown to be a no-op). */
  deliver(change: CaseChange): void {
    const c = change.case;
    if (change.type === 'created') return;
    if (change.type === 'action') {
      // A dispatch, or a failed check sending it back (返工): the assignee has it to dispose of.
      const back = change.action === 'verify' && c.stage === 'dispatched';
      const person = (change.action === 'dispatch' || back) && c.assignee ? this.d.grid.person(c.assignee) : undefined;
      const items = person ? this.messages(c, 'dispatched', 'disposed', 0, [person], `@${c.stageAt.dispatched ?? c.updatedAt}`) : [];
      // What is still queued for the case is no longer news, but this very message (a replay).
      if (MOVES_ON.has(change.action)) this.d.outbox.cancel(c.id, items.map((i) => i.message.key));
      this.enqueue(c, 'dispatched', items);
      return;
    }
    const entry = c.history.at(-1);
    const level = change.type === 'escalated' ? Number(entry?.detail?.level ?? 1) : 0;
    this.enqueue(c, change.type, this.messages(c, change.type, change.stage, level, change.recipients, `@${c.deadlines[change.stage] ?? ''}`));
  }

  private enqueue(c: Case, type: CaseMessage['change'], items: QueuedMessage[]): void {
    if (!items.length) return;
    const added = this.d.outbox.enqueue(items, SEVERITY);
    if (added.length) this.d.log.info({ caseId: c.id, code: c.code, change: type, queued: added.length }, 'case queued for people');
  }

  private messages(c: Case, type: CaseMessage['change'], stage: CaseStage, level: number, people: readonly Person[], occurrence: string): QueuedMessage[] {
    const base = this.d.publicUrl().replace(/\/$/, '');
    const deadline = c.deadlines[stage] ?? null;
    const category = this.d.cases.deadlines.categories().find((k) => k.id === c.category)?.name ?? { zh: c.category, en: c.category };
    const subject: CaseMessage['case'] = {
      id: c.id,
      code: c.code,
      title: c.title,
      category,
      communityId: c.communityId,
      gridCellId: c.gridCellId,
      stage,
      deadline,
      due: deadline === null ? null : localMinute(deadline, this.d.utcOffsetMin),
    };
    const place = this.place(c);
    const items: QueuedMessage[] = [];
    for (const person of people) {
      const recipient: PersonRecipient = { ...person, ...(this.accounts.has(person.id) ? { accounts: this.accounts.get(person.id) } : {}) };
      for (const channel of this.d.ladder.channels(level, person.role, SEVERITY)) {
        const transport = this.d.outbox.transport(channel);
        if (!transport?.sendCase || !transport.reachable(recipient)) continue;
        items.push({
          channel,
          message: {
            kind: 'case',
            key: ['case', c.id, `${type}:${stage}${occurrence}`, level, person.id, channel].join('|'),
            change: type,
            level,
            case: subject,
            recipient,
            place,
            openUrl: `${base}/worker?case=${encodeURIComponent(c.id)}`,
          },
        });
      }
    }
    return items;
  }

  /** The community and cell by name, and the place the reporter wrote. */
  private place(c: Case): { zh: string; en: string } {
    const names = { community: this.d.grid.community(c.communityId)?.name ?? c.communityId, cell: c.gridCellId ? (this.d.grid.cell(c.gridCellId)?.name ?? c.gridCellId) : null };
    const at = (lang: 'zh' | 'en') => [placeText(lang, names, { wide: true }), c.placeText].filter(Boolean).join(' · ');
    return { zh: at('zh'), en: at('en') };
  }
}
