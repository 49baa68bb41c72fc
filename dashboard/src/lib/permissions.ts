import type { WireUser } from '#devices/wire.ts';

/**
 * What the signed-in account may do with an alert on screen. The hub decides (403 otherwise); this
 * only keeps buttons off screens that would be refused: a viewer watches, a paired wall screen
 * (kiosk) watches and acknowledges, everyone else also assigns and resolves.
 */
export function alertPermissions(user: Pick<WireUser, 'role' | 'display'> | null): { ack: boolean; manage: boolean } {
  if (!user) return { ack: false, manage: false };
  if (user.role === 'viewer') return { ack: user.display === true, manage: false };
  return { ack: true, manage: true };
}
