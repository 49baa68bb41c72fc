import type { FastifyPluginAsync } from 'fastify';
import { SEVERITIES, type Severity } from '#devices';
import type { HubContext } from '../context.ts';

/** Key figures for the control room's header. */
export const statsRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/', async (req) => {
    let total = 0;
    let online = 0;
    for (const d of ctx.registry.all()) {
      if (!ctx.canSeeDevice(req, d)) continue;
      total++;
      if (d.online) online++;
    }
    const unresolved = ctx.alerts.unresolved().filter((a) => ctx.canSeeAlert(req, a));
    const openBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const unackedBySeverity = { ...openBySeverity };
    const perCell: Record<string, number> = {};
    for (const a of unresolved) {
      openBySeverity[a.severity]++;
      if (a.state === 'open') unackedBySeverity[a.severity]++;
      const cell = a.gridCellId ?? 'unassigned';
      perCell[cell] = (perCell[cell] ?? 0) + 1;
    }
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const acked = ctx.alerts
      .openedSince(midnight.getTime())
      .filter((a) => a.acknowledgedAt !== null && ctx.canSeeAlert(req, a));
    const mtta = acked.length ? acked.reduce((s, a) => s + (a.acknowledgedAt! - a.openedAt), 0) / acked.length / 1000 : null;
    return {
      devices: { total, online, onlinePct: total ? Math.round((online / total) * 1000) / 10 : null },
      alerts: { openBySeverity, unacknowledgedBySeverity: unackedBySeverity, perCell },
      meanTimeToAcknowledgeTodayS: mtta === null ? null : Math.round(mtta),
    };
  });
};
