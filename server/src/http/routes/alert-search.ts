import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ALERT_STATES, ALERT_TYPES, ID_PATTERN, KINDS, SEVERITIES } from '#devices';
import type { HubContext } from '../context.ts';
import { SEARCH_PAGE_MAX, type AlertSearchQuery, type AlertSearchSource } from '../../alerts/search.ts';
import { alertCsvAsync, alertNames, type CsvLang } from '../../alerts/export-csv.ts';
import { audit } from '../plugins/audit.ts';
import { Errors } from '../../errors.ts';
import { parseTimeParam } from '../time.ts';

const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Filters = {
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  communityId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  gridCellId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  kind: Type.Optional(literals(KINDS)),
  type: Type.Optional(literals(Object.keys(ALERT_TYPES))),
  severity: Type.Optional(literals(SEVERITIES)),
  state: Type.Optional(literals([...ALERT_STATES, 'unresolved'])),
  q: Type.Optional(Type.String({ maxLength: 100 })),
};
const SearchQuery = Type.Object({ ...Filters, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_PAGE_MAX })), cursor: Type.Optional(Type.String({ maxLength: 400 })) }, { additionalProperties: false });
const ExportQuery = Type.Object({ ...Filters, lang: Type.Optional(literals(['zh', 'en'])) }, { additionalProperties: false });
type Search = { Querystring: Static<typeof SearchQuery> };
type Export = { Querystring: Static<typeof ExportQuery> };

/** The filters of a search or export, times parsed (epoch ms, ISO-8601 or -1h); 400 for a bad time. */
function filters(q: Static<typeof ExportQuery>, now: number): AlertSearchQuery {
  const from = parseTimeParam(q.from, now);
  const to = parseTimeParam(q.to, now);
  if (from === 'invalid' || to === 'invalid') throw new Errors.BadRange('from and to are epoch ms, ISO-8601 or -<n>(ms|s|m|h|d)');
  const out: AlertSearchQuery = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  for (const key of ['communityId', 'gridCellId', 'kind', 'type', 'severity', 'state'] as const) if (q[key] !== undefined) Object.assign(out, { [key]: q[key] });
  if (q.q?.trim()) out.q = q.q.trim();
  return out;
}

/** GET /api/alerts/search (keyset pages) and GET /api/alerts/export.csv (streamed), both in the caller's scope. */
export const alertSearchRoutes: FastifyPluginAsync<{ ctx: HubContext; search: AlertSearchSource; utcOffsetMin: number }> = async (app, { ctx, search, utcOffsetMin }) => {
  const now = () => (ctx.clock ?? Date.now)();

  app.get<Search>('/search', { schema: { querystring: SearchQuery } }, async (req) => {
    const { limit, cursor, ...rest } = req.query;
    return search.page(filters(rest, now()), ctx.scope(req), { ...(limit !== undefined ? { limit } : {}), ...(cursor ? { cursor } : {}) });
  });

  app.get<Export>(
    '/export.csv',
    { schema: { querystring: ExportQuery }, config: { audit: audit<Export>({ action: 'alert.export', detail: (req) => ({ ...req.query }) }) } },
    async (req, reply) => {
      const { lang = 'zh', ...rest } = req.query;
      const query = filters(rest, now());
      const rows = alertCsvAsync(search.all(query, ctx.scope(req)), alertNames(ctx.grid, ctx.registry), lang as CsvLang, utcOffsetMin);
      const stamp = new Date(now()).toISOString().slice(0, 10);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="alerts-${stamp}.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(rows, { objectMode: false, highWaterMark: 64 * 1024 }));
    },
  );
};
