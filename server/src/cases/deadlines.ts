import type { CaseCategoryConfig, CasesConfig } from '../grid/config-file.ts';
import type { CaseStage } from './model.ts';
import type { DeadlinePlanner } from './stages.ts';
import { WorkingCalendar } from './working-time.ts';

export interface CaseCategory {
  id: string;
  name: { zh: string; en: string };
  calendar: 'working' | 'natural';
  deadlines: Partial<Record<CaseStage, string>>;
}

/**
 * Built-in categories and deadlines (the config file's `cases.categories` replaces or adds).
 * Fire runs on the clock, day and night; the rest on working time: "小纠纷不过夜" gives disputes
 * a one-working-day disposal.
 */
export const DEFAULT_CASE_CATEGORIES: Readonly<Record<string, CaseCategoryConfig>> = {
  fire: { name: { zh: '火情消防', en: 'Fire' }, calendar: 'natural', deadlines: { accepted: '5m', registered: '10m', dispatched: '15m', disposed: '2h', verified: '4h', closed: '1d', revisited: '3d' } },
  hazard: { name: { zh: '安全隐患', en: 'Safety hazard' }, deadlines: { accepted: '30m', registered: '1h', dispatched: '2h', disposed: '2d', verified: '1d', closed: '5d', revisited: '5d' } },
  dispute: { name: { zh: '矛盾纠纷', en: 'Dispute' }, deadlines: { accepted: '30m', registered: '1h', dispatched: '2h', disposed: '1d', verified: '1d', closed: '3d', revisited: '5d' } },
  environment: { name: { zh: '环境卫生', en: 'Environment' }, deadlines: { accepted: '30m', registered: '1h', dispatched: '4h', disposed: '2d', verified: '1d', closed: '5d', revisited: '5d' } },
  facility: { name: { zh: '设施损坏', en: 'Broken facility' }, deadlines: { accepted: '30m', registered: '1h', dispatched: '4h', disposed: '3d', verified: '1d', closed: '7d', revisited: '5d' } },
  device: { name: { zh: '设备故障', en: 'Device fault' }, deadlines: { accepted: '30m', registered: '1h', dispatched: '2h', disposed: '2d', verified: '1d', closed: '5d', revisited: '5d' } },
  other: { name: { zh: '其他', en: 'Other' }, deadlines: { accepted: '30m', registered: '1h', dispatched: '4h', disposed: '3d', verified: '1d', closed: '7d', revisited: '5d' } },
};

const MIN = 60_000;
const UNIT = /^(\d+)(m|h|d)$/;

/** Each category's deadlines, counted on its calendar: the one place a deadline is computed. */
export class CaseDeadlines {
  readonly calendar: WorkingCalendar;
  private readonly byId = new Map<string, CaseCategory>();

  constructor(config: CasesConfig = {}, calendar?: WorkingCalendar) {
    this.calendar = calendar ?? new WorkingCalendar({ ...(config.workingHours ? { periods: config.workingHours } : {}), ...(config.utcOffsetMin !== undefined ? { utcOffsetMin: config.utcOffsetMin } : {}) });
    for (const [id, c] of Object.entries({ ...DEFAULT_CASE_CATEGORIES, ...config.categories })) {
      const name = c.name === undefined ? { zh: id, en: id } : typeof c.name === 'string' ? { zh: c.name, en: c.name } : c.name;
      this.byId.set(id, { id, name, calendar: c.calendar ?? 'working', deadlines: { ...c.deadlines } });
    }
  }

  categories(): CaseCategory[] {
    return [...this.byId.values()];
  }

  has(category: string): boolean {
    return this.byId.has(category);
  }

  /** When `target` is due if its clock starts at `from`; undefined when the category sets no deadline for it. */
  due(category: string, target: CaseStage, from: number): number | undefined {
    const c = this.byId.get(category);
    const spec = c?.deadlines[target];
    if (!c || !spec) return undefined;
    const m = UNIT.exec(spec);
    if (!m) return undefined;
    const n = Number(m[1]);
    if (c.calendar === 'natural') return from + n * { m: 1, h: 60, d: 1440 }[m[2] as 'm' | 'h' | 'd'] * MIN;
    return m[2] === 'd' ? this.calendar.addWorkingDays(from, n) : this.calendar.addWorkingMinutes(from, m[2] === 'h' ? n * 60 : n);
  }

  planner(category: string): DeadlinePlanner {
    return (target, from) => this.due(category, target, from);
  }
}
