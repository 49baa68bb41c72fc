import { randomUUID } from 'node:crypto';
import type { Alert } from '#devices';
import { Listeners } from '../events.ts';
import type { CasesConfig } from '../grid/config-file.ts';
import type { GridModel, Person } from '../grid/model.ts';
import type { Logger } from '../log.ts';
import { caseCode, dayStamp, defaultCommunityCode } from './code.ts';
import type { CaseDeadlines } from './deadlines.ts';
import { CaseErrors } from './errors.ts';
import type { Case, CaseAction, CaseHistoryEntry, CaseStage } from './model.ts';
import type { CaseFilter, CaseRepository, StoredPhoto } from './repository.ts';
import type { IdempotencyStore } from './idempotency.ts';
import type { CaseFacts, CaseFigures, GroupBy } from './figures.ts';
import type { FiguresScope } from './figures-sql.ts';
import type { CaseActor } from './roles.ts';
import { applyAction, createCase, record, type ActionInput, type NewCase } from './stages.ts';

/** What happened to a case: the live channel sends every one, people hear of reminders and escalations. */
export type CaseChange =
  | { type: 'created'; case: Case }
  | { type: 'action'; case: Case; action: CaseAction; actor: string }
  | { type: 'reminded' | 'overdue' | 'escalated'; case: Case; stage: CaseStage; recipients: Person[] };

export interface CaseServiceDeps {
  repo: CaseRepository;
  deadlines: CaseDeadlines;
  grid: GridModel;
  clock: () => number;
  log: Logger;
  config?: CasesConfig;
  /** answers kept by Idempotency-Key (the phone's offline queue) */
  idempotency?: IdempotencyStore;
}

/** Alert types that become a fire case; other safety alerts are hazards, the rest device faults. */
const FIRE_ALERTS = new Set(['fire_alarm', 'cable_over_temperature', 'electrical_leakage', 'electrical_fire_fault']);
const HAZARD_ALERTS = new Set(['gas_leak', 'low_water_pressure', 'extinguishers_missing', 'door_held_open', 'door_forced', 'tailgating', 'intrusion_motion', 'cabinet_opened']);

export function categoryForAlert(type: string): string {
  if (FIRE_ALERTS.has(type)) return 'fire';
  if (HAZARD_ALERTS.has(type)) return 'hazard';
  return 'device';
}

/** Checked photos as the repository stores them, each with its own id. */
function toStore(caseId: string, photos: readonly { type: string; data: Buffer }[]): StoredPhoto[] {
  return photos.map((p) => ({ id: randomUUID().slice(0, 12), caseId, type: p.type, data: p.data }));
}

/**
 * The cases: creating them (from alerts, patrols, residents), taking actions through the stage
 * rules, and recording what the deadline monitor finds. Every change is saved, then emitted.
 */
export class CaseService {
  private readonly listeners = new Listeners<CaseChange>((err, change) => this.d.log.error({ err, caseId: change.case.id, change: change.type }, 'case change listener failed'));

  constructor(private readonly d: CaseServiceDeps) {}

  get deadlines(): CaseDeadlines {
    return this.d.deadlines;
  }

  get idempotency(): IdempotencyStore | undefined {
    return this.d.idempotency;
  }

  onChange(listener: (change: CaseChange) => void): () => void {
    return this.listeners.add(listener);
  }

  get(id: string): Case | undefined {
    return this.d.repo.get(id);
  }

  byAlert(alertId: string): Case | undefined {
    return this.d.repo.byAlert(alertId);
  }

  list(filter: CaseFilter): Case[] {
    return this.d.repo.list(filter);
  }

  /** The figures' facts of the matching cases (cheap: columns, no JSON). */
  facts(filter: CaseFilter): CaseFacts[] {
    return this.d.repo.facts(filter);
  }

  /** The assessment figures of the matching cases the scope may see, computed by the store. */
  figures(filter: CaseFilter, scope: FiguresScope, utcOffsetMin: number): CaseFigures {
    return this.d.repo.figures.figures(filter, scope, utcOffsetMin);
  }

  groupedFigures(filter: CaseFilter, scope: FiguresScope, by: GroupBy, utcOffsetMin: number): ({ key: string } & CaseFigures)[] {
    return this.d.repo.figures.grouped(filter, scope, by, utcOffsetMin);
  }

  /** The overall figures and, with `by`, each group's, from one pass over the cases. */
  figuresWithGroups(filter: CaseFilter, scope: FiguresScope, by: GroupBy | undefined, utcOffsetMin: number): { overall: CaseFigures; groups: ({ key: string } & CaseFigures)[] } {
    return this.d.repo.figures.withGroups(filter, scope, by, utcOffsetMin);
  }

  /** Photo retention: deletes finished cases' photos stored before `before`; how many. */
  sweepPhotos(before: number): number {
    return this.d.repo.sweepPhotos(before);
  }

  unfinished(): Case[] {
    return this.d.repo.unfinished();
  }

  photo(caseId: string, photoId: string): StoredPhoto | undefined {
    return this.d.repo.photo(caseId, photoId);
  }

  /** 上报: a new case with its code; photos (already checked) are stored with it in one transaction. */
  create(input: NewCase, reportedBy: string, photos: readonly { type: string; data: Buffer }[] = []): Case {
    if (!this.d.deadlines.has(input.category)) throw new CaseErrors.UnknownCategory(input.category);
    if (input.alertId) {
      const existing = this.d.repo.byAlert(input.alertId);
      if (existing) throw new CaseErrors.Conflict(`alert ${input.alertId} is already case ${existing.code}`);
    }
    const now = this.d.clock();
    const community = this.d.config?.communityCodes?.[input.communityId] ?? defaultCommunityCode(input.communityId);
    const day = dayStamp(now, this.d.config?.utcOffsetMin ?? 480);
    const id = `k-${randomUUID()}`;
    const c = this.d.repo.transaction(() => {
      const code = caseCode(community, day, this.d.repo.nextSequence(community, day));
      const stored = toStore(id, photos);
      const made = createCase({ ...input, photos: stored.map((p) => ({ id: p.id, type: p.type, bytes: p.data.length })) }, { id, code }, reportedBy, now, this.d.deadlines.planner(input.category));
      for (const p of stored) this.d.repo.savePhoto(p, now);
      this.d.repo.save(made);
      return made;
    });
    this.listeners.emit({ type: 'created', case: c });
    return c;
  }

  /** A case for an alert (fire alarms on their own, others by an operator's click); one case an alert. */
  fromAlert(alert: Alert, by: string, category = categoryForAlert(alert.type)): Case {
    return this.create(
      {
        title: alert.title,
        category,
        description: alert.title,
        source: 'alert',
        alertId: alert.id,
        communityId: alert.communityId,
        gridCellId: alert.gridCellId,
      },
      by,
    );
  }

  /** One action; photos (already checked: a disposal's) are stored with the changed case in one transaction. */
  act(id: string, action: CaseAction, input: ActionInput, actor: CaseActor, photos: readonly { type: string; data: Buffer }[] = []): Case {
    const c = this.mustGet(id);
    const now = this.d.clock();
    const next = applyAction(c, action, input, actor, now, this.d.deadlines.planner(c.category));
    const stored = toStore(id, photos);
    next.photos.push(...stored.map((p) => ({ id: p.id, type: p.type, bytes: p.data.length, stage: next.stage })));
    if (stored.length) next.history.at(-1)!.detail = { ...next.history.at(-1)!.detail, photos: stored.map((p) => p.id) };
    this.d.repo.transaction(() => {
      for (const p of stored) this.d.repo.savePhoto(p, now);
      this.d.repo.save(next);
    });
    this.listeners.emit({ type: 'action', case: next, action, actor: actor.username });
    return next;
  }

  /** What the hub itself found (a reminder, 超时, an escalation): history, save, tell the channels. */
  note(id: string, type: 'reminded' | 'overdue' | 'escalated', stage: CaseStage, recipients: Person[], change: (c: Case) => void, detail: CaseHistoryEntry['detail'] = {}): Case {
    const c = this.mustGet(id);
    const now = this.d.clock();
    change(c);
    c.updatedAt = now;
    record(c, { at: now, action: type, by: 'system', detail: { stage, deadline: c.deadlines[stage], to: recipients.map((p) => ({ id: p.id, name: p.name, role: p.role })), ...detail } });
    this.d.repo.save(c);
    this.listeners.emit({ type, case: c, stage, recipients });
    return c;
  }

  private mustGet(id: string): Case {
    const c = this.d.repo.get(id);
    if (!c) throw new CaseErrors.NotFound(id);
    return c;
  }
}
