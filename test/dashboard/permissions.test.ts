import { describe, expect, it } from 'vitest';
import { alertPermissions } from '../../dashboard/src/lib/permissions.ts';

describe('what the control room offers each account on an alert', () => {
  it('a viewer watches; a paired wall screen also acknowledges; others also assign and resolve', () => {
    expect(alertPermissions(null)).toEqual({ ack: false, manage: false });
    expect(alertPermissions({ role: 'viewer' })).toEqual({ ack: false, manage: false });
    expect(alertPermissions({ role: 'viewer', display: true })).toEqual({ ack: true, manage: false });
    for (const role of ['operator', 'admin', 'worker'] as const) expect(alertPermissions({ role })).toEqual({ ack: true, manage: true });
  });
});
