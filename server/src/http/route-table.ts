import type { FastifyInstance, FastifySchema } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
  websocket: boolean;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Records every route as it is added, so tests can check the docs and fuzz every route against the real table. */
export function trackRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      table.push({ method, url: route.url, schema: route.schema, websocket: !!(route as { websocket?: boolean }).websocket || typeof (route as { wsHandler?: unknown }).wsHandler === 'function' });
    }
  });
}

/** The routes of an app built by buildApp, in registration order. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}
