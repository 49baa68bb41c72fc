// The control room's pure logic for issue 16: names from the config (Directory), history as
// sentences in both languages, the queue's urgency order and incident summary.
import { describe, expect, it } from 'vitest';
import { Directory, maskPhone, telHref, type Person } from '../../dashboard/src/lib/names.ts';
import { actorText, historySentence, historyTime, levelText } from '../../dashboard/src/lib/history-text.ts';
import { compareUrgency, foldIncidents, incidentSummary, orderQueue, urgencyTier } from '../../dashboard/src/lib/alerts.ts';
import type { Grid } from '../../dashboard/src/lib/types.ts';
import { alert, device } from './fixtures.ts';

const GRID: Grid = {
  communities: [
    {
      id: 'c1',
      name: { zh: '幸福里社区', en: 'Xingfuli' },
      households: null,
      plan: null,
      controlRoom: { lead: { id: 'lead1', name: '陈刚', role: 'lead', phone: '13800000005' } },
      cells: [
        {
          id: 'c1-g1',
          name: { zh: '第一网格', en: 'Cell 1' },
          area: null,
          supervisor: { id: 'sup1', name: '林艳', role: 'supervisor', phone: '13812345678' },
          workers: [{ id: 'w1', name: '王强', role: 'worker', phone: '13800000001' }],
          buildings: [{ id: 'c1-b03', name: { zh: '3号楼', en: 'Building 3' }, floors: 18 }],
        },
      ],
    },
  ],
};
const PEOPLE: Person[] = [
  { id: 'w1', name: '王强', role: 'worker', phone: '13800000001', cells: ['c1-g1'], username: 'wangq', reachable: { account: true, wecom: true, dingtalk: false } },
];

describe('names from the config', () => {
  const dir = new Directory(GRID, PEOPLE);
  const a = alert({ id: 'a1', communityId: 'c1', gridCellId: 'c1-g1', deviceId: 'c1-smoke-b03-1604', buildingId: 'c1-b03', floor: 16 });
  const d = device({ id: 'c1-smoke-b03-1604', kind: 'smoke', name: { zh: '1604 厨房烟感', en: '1604 kitchen smoke' } });

  it('a place reads building, floor and device name, ids only where no name is configured', () => {
    expect(dir.place('zh', a, d)).toBe('3号楼 16层 · 1604 厨房烟感');
    expect(dir.place('en', a, d)).toBe('Building 3, floor 16 · 1604 kitchen smoke');
    expect(dir.place('zh', a, d, { wide: true })).toBe('幸福里社区 第一网格 3号楼 16层 · 1604 厨房烟感');
    expect(dir.place('zh', a, undefined)).toBe('3号楼 16层 · c1-smoke-b03-1604');
    expect(dir.place('zh', { ...a, buildingId: 'unknown-b' }, d, { deviceName: false })).toBe('unknown-b 16层');
    expect(dir.communityName('en', 'c1')).toBe('Xingfuli');
    expect(dir.cellName('zh', 'c1-g1')).toBe('第一网格');
    expect(dir.cellName('zh', 'nope')).toBe('nope');
    expect(dir.wide).toBe(false);
  });

  it('people are found by worker id and by account username; the cell list puts the supervisor first', () => {
    expect(dir.personName('w1')).toBe('王强');
    expect(dir.personName('wangq')).toBe('王强');
    expect(dir.personName('op')).toBe('op');
    expect(dir.person('sup1')?.phone).toBe('13812345678');
    expect(dir.peopleOfCell('c1-g1').map((p) => p.id)).toEqual(['sup1', 'w1', 'lead1']);
    expect(dir.person('wangq')?.reachable.wecom).toBe(true);
    expect(new Directory(null).peopleOfCell('x')).toEqual([]);
  });

  it('phones are masked on screen and dialled in full', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('110')).toBe('110');
    expect(maskPhone(undefined)).toBe('');
    expect(telHref('138 1234-5678')).toBe('tel:13812345678');
  });
});

describe('history as sentences', () => {
  const dir = new Directory(GRID, PEOPLE);
  const at = new Date(2026, 2, 3, 19, 42).getTime();
  const esc = { at, action: 'escalated' as const, by: 'system', detail: { level: 2, to: [{ id: 'sup1', name: '林艳', role: 'supervisor', phone: '13812345678' }] } };

  it('escalation names who was told, with role and masked phone, in zh and en', () => {
    expect(`${historyTime('zh-CN', at, at)} ${historySentence('zh-CN', esc, dir)}`).toBe('19:42 升级至二级：通知 林艳（网格长，138****5678）');
    expect(historySentence('en', esc, dir)).toBe('Escalated to level 2: notified 林艳 (cell supervisor, 138****5678)');
    const nobody = { ...esc, detail: { level: 1, to: [], missing: 'no supervisor configured for the cell' } };
    expect(historySentence('zh-CN', nobody, dir)).toBe('升级至一级：该网格未配置网格长');
    expect(historySentence('en', { ...nobody, detail: { level: 2, to: [] } }, dir)).toBe('Escalated to level 2: no control-room lead configured');
  });

  it('people are named by their real names, the hub is "the system"', () => {
    expect(historySentence('zh-CN', { at, action: 'acknowledged', by: 'wangq' }, dir)).toBe('王强 确认');
    expect(historySentence('en', { at, action: 'assigned', by: 'op', detail: { assignee: 'w1' } }, dir)).toBe('op assigned it to 王强');
    expect(historySentence('en', { at, action: 'resolved', by: 'wangq', note: 'x' }, dir)).toBe('Resolved by 王强');
    expect(actorText('zh-CN', 'system', dir)).toBe('系统');
    const notified = { at, action: 'notified' as const, by: 'system', detail: { to: [{ id: 'w1', name: '王强', role: 'worker', phone: '13800000001' }, { id: 'sup9', name: '周洁', role: 'supervisor' }, { id: 'sup1' }] } };
    // a phone the entry lacks comes from the directory; a person unknown to both has none
    expect(historySentence('zh-CN', notified, dir)).toBe('通知 王强（网格员，138****0001）、周洁（网格长）、林艳（网格长，138****5678）');
    expect(historySentence('en', { ...notified, detail: { to: [] } }, dir)).toBe('Notified the control room');
  });

  it('device and delivery entries read as sentences; unknown actions fall back to their label', () => {
    expect(historySentence('zh-CN', { at, action: 'repeated', by: 'system', detail: { count: 2 } }, dir)).toBe('设备再次报告（第 3 次）');
    expect(historySentence('en', { at, action: 'cleared', by: 'system' }, dir)).toBe('The device reports the condition cleared');
    expect(historySentence('zh-CN', { at, action: 'webhook_failed', by: 'system', detail: { format: 'wecom', status: 500, retrying: true } }, dir)).toBe('推送到企业微信失败（HTTP 500），重试中');
    expect(historySentence('en', { at, action: 'webhook_delivered', by: 'system', detail: { format: 'dingtalk' } }, dir)).toBe('Pushed to DingTalk');
    expect(historySentence('en', { at, action: 'snapshot', by: 'system', detail: { cameraId: 'cam-1' } }, dir)).toBe('Snapshot from camera cam-1');
    expect(historySentence('en', { at, action: 'future_thing' as never, by: 'system' }, dir, (x) => `<${x}>`)).toBe('<future_thing>');
  });

  it('delivery to people reads as who was reached by which channel, and how it was acknowledged', () => {
    const queued = { at, action: 'delivery_queued' as const, by: 'system', detail: { change: 'opened', level: 0, count: 3, channels: { webpush: ['王强', '李娜'], wecom: ['王强'] } } };
    expect(historySentence('zh-CN', queued, dir)).toBe('待发送：手机推送 王强、李娜；企业微信 王强');
    expect(historySentence('en', queued, dir)).toBe('Queued: phone push to 王强, 李娜; WeCom to 王强');
    expect(historySentence('zh-CN', { at, action: 'delivery_sent', by: 'system', detail: { channel: 'sms', to: ['林艳'], count: 1 } }, dir)).toBe('已通过短信发送给 林艳');
    expect(historySentence('en', { at, action: 'delivery_sent', by: 'system', detail: { channel: 'webpush', to: ['王强', '李娜'], count: 40 } }, dir)).toBe('Sent via phone push to 王强, 李娜 and others (40)');
    expect(historySentence('zh-CN', { at, action: 'delivery_failed', by: 'system', detail: { channel: 'dingtalk', to: ['王强'], count: 1, error: 'HTTP 503', retrying: true } }, dir)).toBe('通过钉钉发送给 王强 失败（HTTP 503），重试中');
    expect(historySentence('en', { at, action: 'acknowledged_via', by: 'wangq', detail: { channel: 'wecom', recipient: '王强' } }, dir)).toBe('Acknowledged by 王强 on WeCom');
    // the raw detail is never shown
    expect(historySentence('en', esc, dir)).not.toContain('{');
  });

  it('levels and times follow the language; other days show the date', () => {
    expect(levelText('zh-CN', 3)).toBe('三级');
    expect(levelText('en', 3)).toBe('level 3');
    expect(levelText('zh-CN', 9)).toBe('9级');
    expect(historyTime('en', at, at + 86_400_000)).toMatch(/03.*19:42/);
  });
});

describe('queue order by urgency', () => {
  const base = 1_000_000;
  const freshFalseAlarm = alert({ id: 'new-major', severity: 'major', openedAt: base + 600_000 });
  const escalatedDoor = alert({ id: 'door-esc2', type: 'door_forced' as never, severity: 'major', openedAt: base + 360_000, escalationLevel: 2 });
  const escalated1 = alert({ id: 'esc1', severity: 'minor', openedAt: base, escalationLevel: 1 });
  const critical = alert({ id: 'crit', severity: 'critical', openedAt: base + 500_000 });
  const olderCritical = alert({ id: 'crit-old', severity: 'critical', openedAt: base + 100_000 });
  const ackedCritical = alert({ id: 'crit-acked', severity: 'critical', state: 'acknowledged', openedAt: base });
  const oldMinor = alert({ id: 'old-minor', severity: 'minor', openedAt: base - 1000 });

  it('unacknowledged critical first (oldest first), then escalated (higher level first), then the rest; taken ones last', () => {
    const list = [freshFalseAlarm, escalatedDoor, escalated1, critical, olderCritical, ackedCritical, oldMinor];
    expect(orderQueue(list, 'urgency').map((a) => a.id)).toEqual(['crit-old', 'crit', 'door-esc2', 'esc1', 'new-major', 'old-minor', 'crit-acked']);
    expect(urgencyTier(ackedCritical)).toBe(3);
    expect(compareUrgency(escalatedDoor, freshFalseAlarm)).toBeLessThan(0);
    // the age orders stay available
    expect(orderQueue(list, 'newest')[0]!.id).toBe('crit');
  });

  it('a folded incident shows when it started and how many devices it covers', () => {
    const inc = [
      alert({ id: 'i1', incidentId: 'inc1', deviceId: 'd1', severity: 'critical', openedAt: base + 50 }),
      alert({ id: 'i2', incidentId: 'inc1', deviceId: 'd2', openedAt: base + 10 }),
      alert({ id: 'i3', incidentId: 'inc1', deviceId: 'd2', type: 'smoke_tamper' as never, openedAt: base + 20 }),
    ];
    const [entry] = foldIncidents(orderQueue(inc, 'urgency'));
    expect(entry!.alert.id).toBe('i1');
    expect(incidentSummary(entry!)).toEqual({ startedAt: base + 10, devices: 2, alerts: 3 });
  });
});

describe('the repeat chime runs on its own timer', () => {
  it('saying "still critical" again (another alert changed) does not reset the period', async () => {
    const { Repeater } = await import('../../dashboard/src/lib/repeat.ts');
    let now = 0;
    const timers: { at: number; every: number; fn: () => void }[] = [];
    const fake = {
      set: (fn: () => void, every: number) => {
        const t = { at: now + every, every, fn };
        timers.push(t);
        return t;
      },
      clear: (h: unknown) => void timers.splice(timers.indexOf(h as (typeof timers)[number]), 1),
    };
    const advance = (ms: number) => {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = next.at;
        next.at += next.every;
        next.fn();
      }
      now = end;
    };
    const chimes: number[] = [];
    const r = new Repeater(() => chimes.push(now), 20_000, fake);
    r.set(true);
    advance(15_000);
    r.set(true); // a new minor alert, an ack of something else: the effect runs again
    r.set(true);
    advance(5_000);
    expect(chimes).toEqual([20_000]);
    advance(20_000);
    expect(chimes).toEqual([20_000, 40_000]);
    expect(timers).toHaveLength(1);
    r.set(false); // the last critical alert acknowledged
    advance(60_000);
    expect(chimes).toHaveLength(2);
    expect(r.running).toBe(false);
  });
});

describe('plan zoom, pan and floors', async () => {
  const { clampView, floorsOf, focusOn, labelSize, panBy, zoomAt, zoomOf, MAX_ZOOM } = await import('../../dashboard/src/lib/plan-view.ts');
  const full = { x: 0, y: 0, w: 200, h: 100 };

  it('zooms around the pointer, pans within the plan, stays within the limits', () => {
    const z = zoomAt(full, full, 2, 0.25, 0.5);
    expect(z).toEqual({ x: 25, y: 25, w: 100, h: 50 });
    expect(zoomOf(full, z)).toBe(2);
    // the point under the pointer stays put: 0.25 of the way across before and after
    expect(z.x + z.w * 0.25).toBe(full.x + full.w * 0.25);
    expect(zoomOf(full, zoomAt(full, full, 1000))).toBe(MAX_ZOOM);
    expect(zoomAt(full, z, 0.01)).toEqual(full);
    // a drag to the right by half the view moves the view left, not beyond the plan's edge
    expect(panBy(full, z, 0.5, 0)).toEqual({ x: 0, y: 25, w: 100, h: 50 });
    expect(panBy(full, z, -5, -5)).toEqual({ x: 100, y: 50, w: 100, h: 50 });
    expect(clampView(full, { x: -50, y: 0, w: 400, h: 200 })).toEqual(full); // never more than the whole plan
  });

  it('focuses on a device and keeps labels the same size on screen', () => {
    const f = focusOn(full, full, 150, 20, 4);
    expect(f).toEqual({ x: 125, y: 7.5, w: 50, h: 25 });
    // 15 px on a 1000 px wide stage: 3 units at the whole plan, 0.75 at 4×
    expect(labelSize(full, 1000, 15)).toBe(3);
    expect(labelSize(f, 1000, 15)).toBe(0.75);
  });

  it('lists a building\'s floors top first with their devices, all configured floors shown', () => {
    const devs = [
      device({ id: 'a', kind: 'smoke', buildingId: 'b1', floor: 3 }),
      device({ id: 'b', kind: 'smoke', buildingId: 'b1', floor: 3 }),
      device({ id: 'c', kind: 'smoke', buildingId: 'b1', floor: -1 }),
      device({ id: 'd', kind: 'smoke', buildingId: 'b1', floor: null }),
      device({ id: 'e', kind: 'smoke', buildingId: 'b2', floor: 1 }),
    ];
    const rows = floorsOf(devs, 'b1', 5);
    expect(rows.map((r) => r.floor)).toEqual([5, 4, 3, 2, 1, -1, Number.NaN]);
    expect(rows.find((r) => r.floor === 3)!.devices.map((d) => d.id)).toEqual(['a', 'b']);
    expect(rows.at(-1)!.devices.map((d) => d.id)).toEqual(['d']);
  });
});

describe('chart axes follow the UI language', async () => {
  const { timeTicks } = await import('../../dashboard/src/lib/series.ts');
  it('times of day within a day, dates beyond, in zh and en', () => {
    const t = new Date(2026, 11, 3, 19, 42).getTime() / 1000;
    expect(timeTicks('zh-CN', [t], 3600)).toEqual(['19:42']);
    expect(timeTicks('en', [t], 3600)).toEqual(['19:42']);
    expect(timeTicks('zh-CN', [t], 7 * 86400)[0]).toMatch(/^12月3日/);
    expect(timeTicks('en', [t], 7 * 86400)[0]).toMatch(/^Dec 3/);
  });
});
