import type { Principal } from '../auth/roles.ts';
import type { GridModel } from '../grid/model.ts';

/**
 * What a person is in a case's life: the control room (受理, 立案, 派遣, 结案, 回访), a supervisor
 * (核查, 延期 approval, 督办), a grid worker (处置), or someone who only reads.
 */
export type CaseRole = 'control' | 'supervisor' | 'worker' | 'viewer';

export interface CaseActor {
  username: string;
  /** the names a dispatch may use for this person: the username and the grid worker id */
  ids: ReadonlySet<string>;
  roles: ReadonlySet<CaseRole>;
}

/**
 * Admins are everything; operators are the control room; a worker account is a worker, or a
 * supervisor when its grid person is a supervisor or lead (an operator account linked to one too).
 */
export function caseActorFor(user: Principal, grid: Pick<GridModel, 'person'>): CaseActor {
  const roles = new Set<CaseRole>();
  const person = user.workerId ? grid.person(user.workerId) : undefined;
  const supervises = person?.role === 'supervisor' || person?.role === 'lead';
  switch (user.role) {
    case 'admin':
      roles.add('control').add('supervisor').add('worker');
      break;
    case 'operator':
      roles.add('control');
      if (supervises) roles.add('supervisor');
      break;
    case 'worker':
      roles.add(supervises ? 'supervisor' : 'worker');
      break;
    case 'viewer':
      roles.add('viewer');
  }
  const ids = new Set([user.username, ...(user.workerId ? [user.workerId] : [])]);
  return { username: user.username, ids, roles };
}

/** The role named in a refusal: the highest the actor has. */
export function roleName(actor: CaseActor): CaseRole {
  for (const r of ['control', 'supervisor', 'worker'] as const) if (actor.roles.has(r)) return r;
  return 'viewer';
}
