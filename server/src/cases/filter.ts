import type { CaseStage } from './model.ts';

export interface CaseFilter {
  stage?: CaseStage;
  communityId?: string;
  gridCellId?: string;
  category?: string;
  assignee?: string;
  overdue?: boolean;
  /** created at or after, ms */
  from?: number;
  /** created before, ms */
  to?: number;
  limit?: number;
}

/** The filter as SQL conditions on the cases table (ANDed) and their named arguments; the limit is the caller's. */
export function caseWhere(f: CaseFilter): { clause: string[]; args: Record<string, unknown> } {
  const clause: string[] = [];
  const args: Record<string, unknown> = {};
  const eq = (column: string, key: keyof CaseFilter) => {
    if (f[key] === undefined) return;
    clause.push(`${column} = @${key}`);
    args[key] = f[key];
  };
  eq('stage', 'stage');
  eq('community_id', 'communityId');
  eq('cell_id', 'gridCellId');
  eq('category', 'category');
  eq('assignee', 'assignee');
  if (f.overdue !== undefined) (clause.push('overdue = @overdue'), (args.overdue = f.overdue ? 1 : 0));
  if (f.from !== undefined) (clause.push('created_at >= @from'), (args.from = f.from));
  if (f.to !== undefined) (clause.push('created_at < @to'), (args.to = f.to));
  return { clause, args };
}
