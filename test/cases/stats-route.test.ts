import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodRange } from '../../server/src/http/routes/cases.ts';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 4, 1, 0); // Tuesday 2025-11-04 09:00 China time

describe('GET /api/stats/cases on a real hub', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
    const post = (user: string, url: string, payload: object = {}) => h.as(user)({ method: 'POST', url, payload });
    const report = async (communityId: string, gridCellId: string) =>
      (await post('opall', '/api/cases', { title: 't', category: 'hazard', communityId, gridCellId, description: '', source: 'patrol' })).body.case.id as string;
    const walk = async (id: string, steps: [string, object?][]) => {
      for (const [a, b] of steps) {
        h.clock.now += 10 * MIN;
        const res = await post('admin', `/api/cases/${id}/${a}`, b ?? {});
        if (res.status !== 200) throw new Error(`${a}: ${JSON.stringify(res.body)}`);
      }
    };
    const toDisposed: [string, object?][] = [['accept'], ['register'], ['dispatch', { assignee: 'zhang' }], ['dispose', { note: 'n' }]];
    const a = await report('hx', 'g1');
    await walk(a, [...toDisposed, ['verify', { passed: true }], ['close'], ['revisit', { satisfied: true }]]);
    const b = await report('hx', 'g1');
    await walk(b, [...toDisposed, ['verify', { passed: false, note: 'x' }], ['dispose', { note: 'n' }], ['verify', { passed: true }], ['close']]);
    const c = await report('hx', 'g2');
    await walk(c, [['accept']]);
    await report('yq', 'y1');
  });
  afterAll(async () => h?.stop());

  it('answers the contract shape, and reconciles with the case list', async () => {
    const stats = (await h.as('opall')({ method: 'GET', url: '/api/stats/cases' })).body;
    expect(stats).toMatchObject({ total: 4, disposed: 2, closed: 2, closedOnTime: 2, disposedOnTime: 2, reworked: 1, extended: 0, firstTimeDone: 1, revisited: 1, satisfied: 1 });
    expect(stats.rates).toEqual({ closure: 0.5, onTimeClosure: 1, onTimeDisposal: 1, rework: 0.5, extension: 0, firstTime: 0.5, satisfaction: 1 });
    expect(stats.times.acceptP50Ms).toBe(10 * MIN);
    const list = async (q: string) => (await h.as('opall')({ method: 'GET', url: `/api/cases?${q}` })).body.total as number;
    expect(stats.total).toBe(await list(''));
    expect(stats.closed).toBe((await list('stage=closed')) + (await list('stage=revisited')));
    expect(stats.revisited).toBe(await list('stage=revisited'));
  });

  it('filters and groups; the groups add up; a scoped caller counts only its own', async () => {
    const grouped = (await h.as('opall')({ method: 'GET', url: '/api/stats/cases?groupBy=cell' })).body;
    expect(grouped.groups.map((g: { key: string; total: number }) => [g.key, g.total])).toEqual([['g1', 2], ['g2', 1], ['y1', 1]]);
    expect((await h.as('opall')({ method: 'GET', url: '/api/stats/cases?communityId=yq' })).body.total).toBe(1);
    expect((await h.as('op')({ method: 'GET', url: '/api/stats/cases' })).body.total).toBe(3);
    expect((await h.as('zhang')({ method: 'GET', url: '/api/stats/cases' })).body.total).toBe(2);
    expect((await h.as('opall')({ method: 'GET', url: `/api/stats/cases?from=${T0 + 1}` })).body.total).toBe(3);
    expect((await h.as('opall')({ method: 'GET', url: '/api/stats/cases?groupBy=planet' })).status).toBe(400);
    const day = (await h.as('opall')({ method: 'GET', url: '/api/stats/cases?groupBy=day' })).body;
    expect(day.groups.map((g: { key: string }) => g.key)).toEqual(['2025-11-04']);
  });
});

describe('daily and monthly report workbooks', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
    const post = (user: string, url: string, payload: object = {}) => h.as(user)({ method: 'POST', url, payload });
    const id = (await post('opall', '/api/cases', { title: '消防通道堵塞', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol' })).body.case.id as string;
    await post('opall', '/api/cases', { title: '阳泉的事', category: 'dispute', communityId: 'yq', gridCellId: 'y1', description: '', source: 'patrol' });
    // Overdue: nobody accepted it within 30 working minutes.
    h.clock.now = T0 + 31 * MIN;
    h.hub.caseMonitor.tick();
    expect(h.hub.cases.get(id)!.overdue).toBe(true);
    // The next day's case is not in the 11-04 daily report.
    h.clock.now = T0 + 86_400_000;
    await post('opall', '/api/cases', { title: '次日', category: 'hazard', communityId: 'hx', gridCellId: 'g2', description: '', source: 'patrol' });
  });
  afterAll(async () => h?.stop());

  const workbook = async (user: string, q: string) => {
    const res = await h.hub.app.inject({ method: 'GET', url: `/api/cases/report.xlsx?${q}`, headers: { authorization: `Bearer ${h.token(user)}` } });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    return wb;
  };

  it('a community’s 日报: figures, cases and the overdue ones by name', async () => {
    const wb = await workbook('op', 'period=day&date=2025-11-04&communityId=hx');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总 Summary', '网格 Cells', '类别 Categories', '案件 Cases', '超时 Overdue']);
    const summary = wb.getWorksheet('汇总 Summary')!;
    expect(summary.getCell('A1').value).toBe('和谐社区 日报 2025-11-04');
    const value = (label: string) => {
      const rows = summary.getSheetValues().filter((r): r is ExcelJS.CellValue[] => Array.isArray(r));
      return rows.find((r) => String(r[1]).startsWith(label))?.[2];
    };
    expect(value('案件总数')).toBe(1);
    expect(value('超时')).toBe(1);
    expect(value('结案率')).toBe(0);
    const overdue = wb.getWorksheet('超时 Overdue')!;
    expect(overdue.rowCount).toBe(2);
    expect(overdue.getRow(2).getCell(1).value).toBe('HX01-20251104-0001');
    expect(overdue.getRow(2).getCell(2).value).toBe('消防通道堵塞');
    expect(overdue.getRow(2).getCell(5).value).toBe('一网格');
    expect(wb.getWorksheet('网格 Cells')!.getRow(2).getCell(1).value).toBe('一网格');
  });

  it('a 月报 within scope; bad periods refused', async () => {
    const all = await workbook('opall', 'period=month&date=2025-11');
    expect(all.getWorksheet('案件 Cases')!.rowCount).toBe(4);
    const mine = await workbook('op', 'period=month&date=2025-11');
    expect(mine.getWorksheet('案件 Cases')!.rowCount).toBe(3);
    const bad = await h.as('op')({ method: 'GET', url: '/api/cases/report.xlsx?period=day&date=2025-11' });
    expect(bad.status).toBe(400);
    expect(periodRange('day', '2025-11-04', 480)).toEqual({ from: Date.UTC(2025, 10, 3, 16), to: Date.UTC(2025, 10, 4, 16) });
    expect(periodRange('month', '2025-12', 480)).toEqual({ from: Date.UTC(2025, 10, 30, 16), to: Date.UTC(2025, 11, 31, 16) });
  });
});
