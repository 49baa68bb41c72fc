/** The case (事件): one incident of community governance, from report to return visit. */
import { CASE_STAGES, type Case, type CaseStage } from '#devices/cases.ts';

export { CASE_ACTIONS, CASE_SOURCES, CASE_STAGES, receivedSinceDispatch } from '#devices/cases.ts';
export type { Case, CaseAction, CaseHistoryEntry, CasePhoto, CaseSource, CaseStage, ExtensionRequest } from '#devices/cases.ts';

export function nextStage(stage: CaseStage): CaseStage | undefined {
  return CASE_STAGES[CASE_STAGES.indexOf(stage) + 1];
}

export function stageIndex(stage: CaseStage): number {
  return CASE_STAGES.indexOf(stage);
}

/** Closed and revisited cases are finished (结案). */
export function isFinished(c: Pick<Case, 'stage'>): boolean {
  return stageIndex(c.stage) >= stageIndex('closed');
}
