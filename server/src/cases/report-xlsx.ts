import ExcelJS from 'exceljs';
import type { GridModel } from '../grid/model.ts';
import type { CaseCategory } from './deadlines.ts';
import { caseFigures, factsOf, groupedFigures } from './figures.ts';
import type { Case, CaseStage } from './model.ts';

const STAGE_NAMES: Record<CaseStage, string> = {
  reported: '上报 Reported',
  accepted: '受理 Accepted',
  registered: '立案 Registered',
  dispatched: '派遣 Dispatched',
  disposed: '处置 Disposed',
  verified: '核查 Verified',
  closed: '结案 Closed',
  revisited: '回访 Revisited',
};

const RATE_ROWS: [keyof ReturnType<typeof caseFigures>['rates'], string][] = [
  ['closure', '结案率 Closure rate'],
  ['onTimeClosure', '按期结案率 On-time closure'],
  ['onTimeDisposal', '按期处置率 On-time disposal'],
  ['rework', '返工率 Rework rate'],
  ['extension', '延期率 Extension rate'],
  ['firstTime', '一次完成率 First-time completion'],
  ['satisfaction', '满意率 Satisfaction'],
];

export interface CaseReportInput {
  title: string;
  cases: readonly Case[];
  grid: GridModel;
  categories: readonly CaseCategory[];
  utcOffsetMin: number;
}

const zh = (n: unknown, id: string) => (n === undefined ? id : typeof n === 'string' ? n : (n as { zh: string }).zh);

/**
 * A report workbook (日报 / 月报): the figures, the figures per cell and per category, every case,
 * and the overdue ones by name. Times are written in the calendar's zone as text, so a spreadsheet
 * in any zone shows what the control room saw.
 */
export async function caseReportXlsx(r: CaseReportInput): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'community safety hub';
  const when = (t: number | undefined) => (t === undefined ? '' : new Date(t + r.utcOffsetMin * 60_000).toISOString().slice(0, 16).replace('T', ' '));
  const community = (id: string) => zh(r.grid.community(id)?.name, id);
  const cell = (id: string | null) => (id ? zh(r.grid.cell(id)?.name, id) : '');
  const person = (id: string | null) => (id ? (r.grid.person(id)?.name ?? id) : '');
  const category = (id: string) => r.categories.find((c) => c.id === id)?.name.zh ?? id;

  const facts = r.cases.map(factsOf);
  const f = caseFigures(facts);
  const summary = wb.addWorksheet('汇总 Summary');
  summary.columns = [{ width: 34 }, { width: 14 }, { width: 40 }];
  summary.addRow([r.title]).font = { bold: true, size: 14 };
  summary.addRow([]);
  summary.addRow(['指标 Figure', '值 Value', '计算 Definition']).font = { bold: true };
  const counts: [string, number][] = [
    ['案件总数 Cases', f.total], ['处置 Disposed', f.disposed], ['结案 Closed', f.closed], ['按期结案 Closed on time', f.closedOnTime],
    ['按期处置 Disposed on time', f.disposedOnTime], ['返工 Reworked', f.reworked], ['延期 Extended', f.extended],
    ['一次完成 First-time done', f.firstTimeDone], ['回访 Revisited', f.revisited], ['满意 Satisfied', f.satisfied], ['超时 Overdue', f.overdue],
  ];
  for (const [name, n] of counts) summary.addRow([name, n]);
  const definitions: Record<string, string> = {
    closure: '结案 / 案件总数', onTimeClosure: '按期结案 / 结案', onTimeDisposal: '按期处置 / 处置', rework: '返工 / 处置',
    extension: '延期 / 案件总数', firstTime: '一次完成 / 结案', satisfaction: '满意 / 回访',
  };
  for (const [key, name] of RATE_ROWS) {
    const row = summary.addRow([name, f.rates[key], definitions[key]]);
    row.getCell(2).numFmt = '0.00%';
  }

  const groups = (sheetName: string, by: 'cell' | 'category', label: (k: string) => string) => {
    const ws = wb.addWorksheet(sheetName);
    ws.addRow(['', '案件 Cases', '结案 Closed', ...RATE_ROWS.map(([, n]) => n)]).font = { bold: true };
    for (const g of groupedFigures(facts, by, r.utcOffsetMin)) {
      const row = ws.addRow([label(g.key), g.total, g.closed, ...RATE_ROWS.map(([k]) => g.rates[k])]);
      for (let i = 4; i < 4 + RATE_ROWS.length; i++) row.getCell(i).numFmt = '0.00%';
    }
    ws.getColumn(1).width = 20;
  };
  groups('网格 Cells', 'cell', (k) => (k === '-' ? '—' : cell(k)));
  groups('类别 Categories', 'category', category);

  const header = ['编号 Code', '标题 Title', '类别 Category', '社区 Community', '网格 Cell', '阶段 Stage', '来源 Source', '上报 Reported', '处置人 Assignee', '处置期限 Dispose by', '结案期限 Close by', '结案 Closed', '返工 Rework', '超时 Overdue', '督办 Supervised'];
  const row = (c: Case) => [
    c.code, c.title, category(c.category), community(c.communityId), cell(c.gridCellId), STAGE_NAMES[c.stage], c.source, when(c.createdAt), person(c.assignee),
    when(c.deadlines.disposed), when(c.deadlines.closed), when(c.stageAt.closed), c.reworkCount, c.overdue ? '是' : '', c.supervised ? '是' : '',
  ];
  for (const [name, list] of [['案件 Cases', r.cases], ['超时 Overdue', r.cases.filter((c) => c.overdue)]] as const) {
    const ws = wb.addWorksheet(name);
    ws.addRow(header).font = { bold: true };
    for (const c of list) ws.addRow(row(c));
    ws.columns.forEach((col) => (col.width = 16));
    ws.views = [{ state: 'frozen', ySplit: 1 }];
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
