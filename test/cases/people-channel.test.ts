// The case fan-out onto the people outbox, without providers: who gets a row for which change, at
// which level, and that a replayed change adds nothing while a moved deadline or a rework is news.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseDeadlines } from '../../server/src/cases/deadlines.ts';
import { CasePeopleChannel } from '../../server/src/cases/people-channel.ts';
import { CaseRepository } from '../../server/src/cases/repository.ts';
import type { CaseActor } from '../../server/src/cases/roles.ts';
import { CaseService, type CaseChange } from '../../server/src/cases/service.ts';
import { openStateDb } from '../../server/src/db.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import { GridModel } from '../../server/src/grid/model.ts';
import { createLogger } from '../../server/src/log.ts';
import { DeliveryLadder } from '../../server/src/notify/people/ladder.ts';
import { PersonOutbox } from '../../server/src/notify/people/outbox.ts';
import type { CaseMessage, PersonChannelName, PersonRecipient, PersonTransport, SendResult } from '../../server/src/notify/people/transport.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { CASE_CONFIG } from './case-hub.ts';

const T0 = Date.UTC(2026, 2, 4, 2, 0); // Wednesday 10:00 China time
const boss: CaseActor = { username: 'boss', ids: new Set(['boss']), roles: new Set(['control', 'supervisor', 'worker']) };

class CaseTransport implements PersonTransport {
  sendCase?: (m: CaseMessage) => Promise<SendResult>;
  constructor(
    readonly channel: PersonChannelName,
    cases: boolean,
  ) {
    if (cases) this.sendCase = async () => ({ ok: true });
  }
  reachable(r: PersonRecipient): boolean {
    return Boolean(r.accounts?.wecom);
  }
  async send(): Promise<SendResult> {
    return { ok: true };
  }
}

describe('cases onto the people outbox', () => {
  const dir = tempDataDir('case-people');
  const db = openStateDb(dir);
  afterAll(() => (db.close(), fs.rmSync(dir, { recursive: true, force: true })));

  it('one row per (case, stage, level, recipient, channel): replays add nothing, a moved deadline and a rework do', () => {
    const file = parseHubConfig({ ...CASE_CONFIG, workers: CASE_CONFIG.workers!.map((w) => (w.id === 'zhang' ? { ...w, accounts: { wecom: 'zw' } } : w.id === 'li' ? { ...w, accounts: { wecom: 'ln' } } : w)) });
    const grid = new GridModel(file);
    const clock = { now: T0 };
    const log = createLogger('silent');
    const cases = new CaseService({ repo: new CaseRepository(db), deadlines: new CaseDeadlines(file.cases), grid, clock: () => clock.now, log, ...(file.cases ? { config: file.cases } : {}) });
    const outbox = new PersonOutbox(db, log, () => clock.now);
    outbox.register(new CaseTransport('wecom', true));
    // SMS is on the ladder here, but it carries no cases.
    outbox.register(new CaseTransport('sms', false));
    const channel = new CasePeopleChannel({ cases, grid, outbox, ladder: new DeliveryLadder({ ladder: [{ worker: ['wecom', 'sms'], supervisor: ['wecom', 'sms'], lead: ['wecom'] }] }), publicUrl: () => 'https://hub.example.cn/', utcOffsetMin: 480, log });
    channel.start();
    const heard: CaseChange[] = [];
    cases.onChange((c) => heard.push(c));
    const rows = () => db.prepare("SELECT recipient_id AS who, channel, json_extract(message, '$.change') AS change, json_extract(message, '$.level') AS level FROM people_outbox WHERE alert_id = ? AND state = 'pending' ORDER BY id").all(made.id);
    const step = (fn: () => unknown) => ((clock.now += 60_000), fn());

    const made = cases.create({ title: '楼道堆物', category: 'hazard', description: '', source: 'patrol', communityId: 'hx', gridCellId: 'g1' }, 'zhang');
    step(() => cases.act(made.id, 'accept', {}, boss));
    step(() => cases.act(made.id, 'register', {}, boss));
    step(() => cases.act(made.id, 'dispatch', { assignee: 'zhang' }, boss));
    expect(rows()).toEqual([{ who: 'zhang', channel: 'wecom', change: 'dispatched', level: 0 }]);
    const message = JSON.parse((db.prepare('SELECT message FROM people_outbox WHERE alert_id = ?').get(made.id) as { message: string }).message) as CaseMessage;
    expect(message).toMatchObject({ kind: 'case', case: { code: made.code, category: { zh: '安全隐患', en: 'Safety hazard' }, stage: 'disposed' }, place: { zh: '和谐社区 一网格', en: 'Hexie, 一网格' }, openUrl: `https://hub.example.cn/worker?case=${made.id}` });
    channel.deliver(heard.at(-1)!);
    expect(rows()).toHaveLength(1);

    const zhang = grid.person('zhang')!, li = grid.person('li')!, lead = grid.person('lead')!;
    step(() => cases.note(made.id, 'reminded', 'disposed', [zhang], () => {}));
    channel.deliver(heard.at(-1)!);
    step(() => cases.note(made.id, 'escalated', 'disposed', [li, lead], () => {}, { level: 1 }));
    channel.deliver(heard.at(-1)!);
    // The lead has no WeCom account: nobody to reach there.
    expect(rows().slice(1)).toEqual([
      { who: 'zhang', channel: 'wecom', change: 'reminded', level: 0 },
      { who: 'li', channel: 'wecom', change: 'escalated', level: 1 },
    ]);

    // An extension moves the disposal's deadline: its reminder is news again.
    step(() => cases.act(made.id, 'extend', { until: made.createdAt + 10 * 86_400_000, reason: '等配件' }, boss));
    step(() => cases.note(made.id, 'reminded', 'disposed', [zhang], () => {}));
    expect(rows().map((r) => (r as { change: string }).change)).toEqual(['dispatched', 'reminded', 'escalated', 'reminded']);

    // Disposing moves the case on: what is still queued is cancelled. A failed check sends it back: dispatched again.
    step(() => cases.act(made.id, 'dispose', { note: '已清理' }, boss));
    expect(rows()).toEqual([]);
    step(() => cases.act(made.id, 'verify', { passed: false, note: '仍有纸箱' }, boss));
    expect(rows()).toEqual([{ who: 'zhang', channel: 'wecom', change: 'dispatched', level: 0 }]);
    channel.stop();
  });
});
