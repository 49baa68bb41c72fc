import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import { localName } from '#devices/place.ts';
import { AuthErrors } from '../../auth/errors.ts';
import { CaseErrors } from '../../cases/errors.ts';
import { CASE_ACTIONS, CASE_SOURCES, CASE_STAGES, type Case, type CaseAction } from '../../cases/model.ts';
import { acceptPhotos } from '../../cases/photos.ts';
import { caseActorFor, type CaseActor } from '../../cases/roles.ts';
import type { CaseService } from '../../cases/service.ts';
import { allowedActions, type ActionInput } from '../../cases/stages.ts';
import { visibleAlert } from '../../scope/alert-list.ts';
import type { CallerScope } from '../../scope/caller-scope.ts';
import type { HubContext } from '../context.ts';
import { audit } from '../plugins/audit.ts';
import { parseTimeParam } from '../time.ts';
import type { LocalizedName } from '../../grid/config-file.ts';
import type { ResidentReportGuard } from '../../cases/resident-guard.ts';
import { RESIDENT_FORM_SCRIPT, residentFormPage } from '../../cases/resident-form.ts';
import { GROUP_BYS } from '../../cases/figures.ts';
import { caseReportXlsx } from '../../cases/report-xlsx.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../../cases/idempotency.ts';
import type { FastifyReply } from 'fastify';

const Id = Type.String({ pattern: ID_PATTERN });
export const CATEGORY_PATTERN = '^[a-z][a-z0-9_]{0,31}$';
/** Photos travel as base64 in the JSON body: three of 1 MiB each, plus the rest of the case. */
export const CASE_BODY_LIMIT = 4 * 1024 * 1024 + 64 * 1024;

const CreateBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  category: Type.String({ pattern: CATEGORY_PATTERN }),
  communityId: Type.Optional(Id),
  gridCellId: Type.Optional(Type.Union([Id, Type.Null()])),
  description: Type.String({ maxLength: 4000 }),
  source: Type.Union(CASE_SOURCES.map((s) => Type.Literal(s))),
  alertId: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  photos: Type.Optional(Type.Array(Type.String({ maxLength: 2_000_000 }), { maxItems: 3 })),
  /** where exactly, in words (a patrol report: "3号楼东侧消防通道") */
  placeText: Type.Optional(Type.String({ maxLength: 200 })),
});
const CaseParams = Type.Object({ id: Type.String({ pattern: '^k-[0-9a-f-]{36}$' }) });
const ActionParams = Type.Object({ id: CaseParams.properties.id, action: Type.Union(CASE_ACTIONS.map((a) => Type.Literal(a))) });
const PhotoParams = Type.Object({ id: CaseParams.properties.id, photoId: Type.String({ pattern: '^[0-9a-f-]{1,36}$' }) });
const ActionBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    passed: Type.Optional(Type.Boolean()),
    satisfied: Type.Optional(Type.Boolean()),
    until: Type.Optional(Type.Union([Type.Number(), Type.String({ maxLength: 40 })])),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    approved: Type.Optional(Type.Boolean()),
    /** dispose: photos of the work done (as POST /api/cases takes them) */
    photos: Type.Optional(Type.Array(Type.String({ maxLength: 2_000_000 }), { maxItems: 3 })),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object({
  stage: Type.Optional(Type.Union(CASE_STAGES.map((s) => Type.Literal(s)))),
  communityId: Type.Optional(Id),
  gridCellId: Type.Optional(Id),
  category: Type.Optional(Type.String({ pattern: CATEGORY_PATTERN })),
  assignee: Type.Optional(Type.String({ maxLength: 100 })),
  overdue: Type.Optional(Type.Boolean()),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
const ReportQuery = Type.Object({
  period: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')])),
  date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}(-\\d{2})?$' })),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  communityId: Type.Optional(Id),
  gridCellId: Type.Optional(Id),
  category: Type.Optional(Type.String({ pattern: CATEGORY_PATTERN })),
});
type Create = { Body: Static<typeof CreateBody> };
type Act = { Params: Static<typeof ActionParams>; Body: Static<typeof ActionBody> };

/** The caller as a case actor; 401 without a login. */
export function caseActor(ctx: HubContext, req: FastifyRequest): CaseActor {
  if (!req.user) throw new AuthErrors.Unauthorized();
  return caseActorFor(req.user, ctx.grid);
}

/** One case the caller may see: 404 when unknown, 403 outside its communities or cells. */
export function visibleCase(cases: Pick<CaseService, 'get'>, id: string, scope: CallerScope): Case {
  const c = cases.get(id);
  if (!c) throw new CaseErrors.NotFound(id);
  if (!scope.alert(c)) throw new AuthErrors.Forbidden(`case ${id} is outside your communities or cells`);
  return c;
}

/** from / to of a list or figure: epoch ms, ISO-8601 or relative; 400 otherwise. */
export function caseTimeRange(q: { from?: string | undefined; to?: string | undefined }, now: number): { from?: number; to?: number } {
  const from = parseTimeParam(q.from, now);
  const to = parseTimeParam(q.to, now);
  if (from === 'invalid' || to === 'invalid') throw new CaseErrors.BadInput('from and to are epoch ms, ISO-8601 or -<n>(ms|s|m|h|d)');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** A calendar day (YYYY-MM-DD) or month (YYYY-MM) in the calendar's zone, as [from, to). */
export function periodRange(period: 'day' | 'month', date: string | undefined, utcOffsetMin: number): { from: number; to: number } {
  const m = date ? /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(date) : null;
  if (!m || (period === 'day') !== (m[3] !== undefined)) throw new CaseErrors.BadInput(period === 'day' ? 'a daily report needs date=YYYY-MM-DD' : 'a monthly report needs date=YYYY-MM');
  const y = Number(m[1]), mo = Number(m[2]) - 1, d = Number(m[3] ?? 1);
  const offset = utcOffsetMin * 60_000;
  const from = Date.UTC(y, mo, d) - offset;
  const to = (period === 'day' ? Date.UTC(y, mo, d + 1) : Date.UTC(y, mo + 1, 1)) - offset;
  return { from, to };
}

/**
 * Runs a case command once per `Idempotency-Key` (per user and route): a repeat gets the first
 * answer, marked `Idempotent-Replayed: true`. Refusals are not kept, so a retry is checked again.
 */
function once(cases: CaseService, req: FastifyRequest, reply: FastifyReply, run: () => { status: number; body: unknown }) {
  const key = req.headers['idempotency-key'];
  if (key === undefined || !cases.idempotency) {
    const r = run();
    return reply.status(r.status).send(r.body);
  }
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) throw new CaseErrors.BadInput('Idempotency-Key is 8 to 100 letters, digits or _ . : -');
  const owner = `${req.user?.username ?? 'anonymous'}|${req.method} ${req.url.split('?')[0]}`;
  const seen = cases.idempotency.get(owner, key);
  if (seen) return reply.status(seen.status).header('idempotent-replayed', 'true').send(seen.body);
  const r = run();
  cases.idempotency.put(owner, key, r.status, r.body);
  return reply.status(r.status).send(r.body);
}

function actionInput(body: Static<typeof ActionBody> | undefined, now: number): ActionInput {
  const { until, ...rest } = body ?? {};
  if (until === undefined) return rest;
  const ms = typeof until === 'number' ? until : parseTimeParam(until, now);
  if (ms === undefined || ms === 'invalid') throw new CaseErrors.BadInput('until is epoch ms or ISO-8601');
  return { ...rest, until: ms };
}

/** Cases (事件): report, act on, list and read, within the caller's communities and cells. */
export const caseRoutes: FastifyPluginAsync<{ ctx: HubContext; cases: CaseService; guard: ResidentReportGuard; utcOffsetMin: number }> = async (app, { ctx, cases, guard, utcOffsetMin }) => {
  const now = ctx.clock ?? Date.now;

  // Before /:id: what the public form refused, by reason.
  app.get('/rejected-reports', { config: { access: ['admin', 'operator'] } }, async () => ({ byReason: guard.byReason() }));

  // 日报 / 月报: period=day&date=2026-12-03 or period=month&date=2026-12, or any from / to.
  app.get<{ Querystring: Static<typeof ReportQuery> }>('/report.xlsx', { schema: { querystring: ReportQuery } }, async (req, reply) => {
    const { period, date, from, to, ...filter } = req.query;
    const range = period ? periodRange(period, date, utcOffsetMin) : caseTimeRange({ from, to }, now());
    const scope = ctx.scope(req);
    const found = cases.list({ ...filter, ...range, limit: Number.MAX_SAFE_INTEGER }).filter((c) => scope.alert(c));
    const where = filter.communityId ? (ctx.grid.community(filter.communityId)?.name ?? filter.communityId) : '全部社区';
    const title = `${typeof where === 'string' ? where : where.zh} ${period === 'day' ? '日报' : period === 'month' ? '月报' : '事件报表'} ${date ?? ''}`.trim();
    const file = await caseReportXlsx({ title, cases: found, grid: ctx.grid, categories: cases.deadlines.categories(), utcOffsetMin });
    const name = `cases-${period ?? 'report'}-${date ?? 'range'}.xlsx`;
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').header('content-disposition', `attachment; filename="${name}"`).send(file);
  });

  app.post<Create>(
    '/',
    {
      bodyLimit: CASE_BODY_LIMIT,
      schema: { body: CreateBody },
      config: { audit: audit<Create>({ action: 'case.create', detail: (req) => ({ source: req.body.source, category: req.body.category, ...(req.body.alertId ? { alertId: req.body.alertId } : {}) }) }) },
    },
    async (req, reply) =>
      once(cases, req, reply, () => {
        const actor = caseActor(ctx, req);
        const scope = ctx.scope(req);
        const b = req.body;
        if (actor.roles.has('viewer')) throw new CaseErrors.RoleForbidden('viewer', 'report');
        let created: Case;
        if (b.source === 'alert') {
          if (!actor.roles.has('control') && !actor.roles.has('supervisor')) throw new CaseErrors.RoleForbidden('worker', 'open a case from an alert');
          if (!b.alertId) throw new CaseErrors.BadInput('a case from an alert names the alertId');
          const alert = visibleAlert(ctx.alerts, b.alertId, scope);
          created = cases.create({ title: b.title, category: b.category, description: b.description, source: 'alert', alertId: alert.id, communityId: alert.communityId, gridCellId: alert.gridCellId }, actor.username, acceptPhotos(b.photos ?? []));
        } else {
          // Residents report through their community's public form; the control room may enter a phoned-in one.
          if (b.source === 'resident' && !actor.roles.has('control')) throw new CaseErrors.RoleForbidden('worker', 'enter a resident report');
          if (!b.communityId) throw new CaseErrors.BadInput('communityId is required');
          const place = { communityId: b.communityId, gridCellId: b.gridCellId ?? null };
          if (!scope.alert(place)) throw new AuthErrors.Forbidden(`community ${b.communityId}${place.gridCellId ? ` cell ${place.gridCellId}` : ''} is outside your scope`);
          const placeText = b.placeText?.trim();
          created = cases.create({ title: b.title, category: b.category, description: b.description, source: b.source, ...place, ...(placeText ? { placeText } : {}) }, actor.username, acceptPhotos(b.photos ?? []));
        }
        return { status: 201, body: { case: created } };
      }),
  );

  // The phone's report form: which categories there are, by name.
  app.get('/categories', async () => ({ categories: cases.deadlines.categories().map((k) => ({ id: k.id, name: k.name })) }));

  app.get<{ Querystring: Static<typeof ListQuery> }>('/', { schema: { querystring: ListQuery } }, async (req) => {
    const { from, to, limit = 1000, ...filter } = req.query;
    const scope = ctx.scope(req);
    const found = cases.list({ ...filter, ...caseTimeRange({ from, to }, now()), limit: scope.unrestricted ? limit : 100_000 }).filter((c) => scope.alert(c));
    return { total: found.length, cases: found.slice(0, limit) };
  });

  app.get<{ Params: Static<typeof CaseParams> }>('/:id', { schema: { params: CaseParams } }, async (req) => {
    const c = visibleCase(cases, req.params.id, ctx.scope(req));
    return { case: c, actions: allowedActions(c, caseActor(ctx, req)) };
  });

  app.get<{ Params: Static<typeof PhotoParams> }>('/:id/photos/:photoId', { schema: { params: PhotoParams } }, async (req, reply) => {
    visibleCase(cases, req.params.id, ctx.scope(req));
    const photo = cases.photo(req.params.id, req.params.photoId);
    if (!photo) throw new CaseErrors.NotFound(`${req.params.id} photo ${req.params.photoId}`);
    return reply.type(photo.type).header('cache-control', 'private, max-age=3600').send(photo.data);
  });

  app.post<Act>(
    '/:id/:action',
    {
      bodyLimit: CASE_BODY_LIMIT,
      schema: { params: ActionParams, body: ActionBody },
      // accept, register, close and supervise need no body: none counts as {}.
      preValidation: async (req) => {
        req.body ??= {};
      },
      config: {
        audit: audit<Act>({
          action: 'case.action',
          target: (req) => req.params.id,
          detail: (req) => ({ action: req.params.action, ...(req.body?.note ? { note: req.body.note.slice(0, 500) } : {}), ...(req.body?.assignee ? { assignee: req.body.assignee } : {}) }),
        }),
      },
    },
    async (req, reply) =>
      once(cases, req, reply, () => {
        const actor = caseActor(ctx, req);
        visibleCase(cases, req.params.id, ctx.scope(req));
        const { photos, ...body } = req.body ?? {};
        if (photos?.length && req.params.action !== 'dispose') throw new CaseErrors.BadInput('only a disposal carries photos');
        const c = cases.act(req.params.id, req.params.action as CaseAction, actionInput(body, now()), actor, acceptPhotos(photos ?? []));
        return { status: 200, body: { case: c, actions: allowedActions(c, actor) } };
      }),
  );
};

const CommunityParams = Type.Object({ communityId: Id });
const ResidentBody = Type.Object(
  {
    category: Type.String({ pattern: CATEGORY_PATTERN }),
    description: Type.String({ minLength: 1, maxLength: 1000 }),
    buildingId: Type.Optional(Id),
    place: Type.Optional(Type.String({ maxLength: 200 })),
    contact: Type.Optional(Type.String({ maxLength: 40 })),
    photos: Type.Optional(Type.Array(Type.String({ maxLength: 1_500_000 }))),
  },
  { additionalProperties: false },
);
type Resident = { Params: Static<typeof CommunityParams>; Body: Static<typeof ResidentBody> };
const RESIDENT_PHOTOS = { maxBytes: 1024 * 1024, maxCount: 2 };
/** Per address: a few reports in ten minutes; the community's own hourly cap is ResidentReportGuard's. */
export const RESIDENT_RATE_LIMIT = { max: 5, timeWindow: 10 * 60_000 };

/**
 * The residents' form (a QR code in the building), public and without accounts: the page, its
 * script, and the report it posts, which answers with the case code and nothing else of the case.
 */
export const residentReportRoutes: FastifyPluginAsync<{ ctx: HubContext; cases: CaseService; guard: ResidentReportGuard }> = async (app, { ctx, cases, guard }) => {
  const publicRoute = { access: 'public' as const };
  const community = (id: string) => ctx.grid.community(id);
  const name = (n: LocalizedName | undefined, id: string) => ({ zh: localName('zh', n) || id, en: localName('en', n) || id });

  app.get<{ Params: Static<typeof CommunityParams> }>('/report/:communityId', { schema: { params: CommunityParams }, config: publicRoute }, async (req, reply) => {
    const c = community(req.params.communityId);
    if (!c) throw new CaseErrors.NotFound(`community ${req.params.communityId}`);
    const buildings = (c.cells ?? []).flatMap((cell) => cell.buildings ?? []).map((b) => ({ id: b.id, name: name(b.name, b.id).zh }));
    const categories = cases.deadlines.categories().filter((k) => k.id !== 'device');
    return reply.type('text/html; charset=utf-8').send(residentFormPage({ communityId: c.id, communityName: name(c.name, c.id), buildings, categories }));
  });

  app.get('/report.js', { config: publicRoute }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(RESIDENT_FORM_SCRIPT));

  app.post<Resident>(
    '/communities/:communityId/cases',
    {
      bodyLimit: CASE_BODY_LIMIT,
      schema: { params: CommunityParams, body: ResidentBody },
      config: {
        ...publicRoute,
        rateLimit: { ...RESIDENT_RATE_LIMIT, onExceeded: (req: FastifyRequest) => guard.reject('ip_flood', { ip: req.ip }) },
        audit: audit<Resident>({ action: 'case.resident_report', actor: () => 'resident', target: (req) => req.params.communityId }),
      },
      // Schema and body-size refusals are counted too: they never reach the handler.
      errorHandler: (err, req, reply) => {
        const reason = err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'CASE_TOO_LARGE' ? 'too_large' : err.code === 'CASE_BAD_INPUT' && /photo/.test(err.message) ? 'bad_photo' : err.statusCode === 429 ? undefined : err.statusCode === 404 ? undefined : 'bad_input';
        if (reason) guard.reject(reason, { ip: req.ip, message: err.message.slice(0, 200) });
        const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
        void reply.status(status).send({ error: err.code ?? 'BAD_REQUEST', message: status === 500 ? 'internal error' : err.message });
      },
    },
    async (req, reply) => {
      const c = community(req.params.communityId);
      if (!c) {
        guard.reject('unknown_community', { ip: req.ip, communityId: req.params.communityId });
        throw new CaseErrors.NotFound(`community ${req.params.communityId}`);
      }
      const b = req.body;
      if (!cases.deadlines.has(b.category) || b.category === 'device') throw new CaseErrors.UnknownCategory(b.category);
      let cellId: string | null = null;
      if (b.buildingId) {
        const building = ctx.grid.building(b.buildingId);
        if (!building || building.communityId !== c.id) throw new CaseErrors.BadInput(`building ${b.buildingId} is not in community ${c.id}`);
        cellId = building.cellId;
      }
      const description = b.description.trim();
      if (!description) throw new CaseErrors.BadInput('say what is wrong');
      // Checked before the budget is spent: a broken photo costs the community nothing.
      const photos = acceptPhotos(b.photos ?? [], RESIDENT_PHOTOS);
      if (!guard.admit(c.id, req.ip)) throw new AuthErrors.RateLimited(3600);
      const category = cases.deadlines.categories().find((k) => k.id === b.category)!;
      const made = cases.create(
        {
          title: `${category.name.zh}：${description.slice(0, 40)}`,
          category: b.category,
          description,
          source: 'resident',
          communityId: c.id,
          gridCellId: cellId,
          ...(b.contact?.trim() ? { contact: b.contact.trim() } : {}),
          ...(b.place?.trim() ? { placeText: b.place.trim() } : {}),
        },
        'resident',
        photos,
      );
      return reply.status(201).send({ code: made.code });
    },
  );
};

const StatsQuery = Type.Object({
  // 日报 / 月报 as the workbook and the printable page count them (the calendar's day or month)
  period: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')])),
  date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}(-\\d{2})?$' })),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  communityId: Type.Optional(Id),
  gridCellId: Type.Optional(Id),
  category: Type.Optional(Type.String({ pattern: CATEGORY_PATTERN })),
  groupBy: Type.Optional(Type.Union(GROUP_BYS.map((g) => Type.Literal(g)))),
});

/** GET /api/stats/cases: the assessment figures over the cases reported in the period that the caller may see. */
export const caseStatsRoutes: FastifyPluginAsync<{ ctx: HubContext; cases: CaseService; utcOffsetMin: number }> = async (app, { ctx, cases, utcOffsetMin }) => {
  const now = ctx.clock ?? Date.now;
  app.get<{ Querystring: Static<typeof StatsQuery> }>('/', { schema: { querystring: StatsQuery } }, async (req) => {
    const { from, to, groupBy, period, date, ...filter } = req.query;
    const range = period ? periodRange(period, date, utcOffsetMin) : caseTimeRange({ from, to }, now());
    const user = ctx.scope(req).user;
    // Counted in SQL within the caller's communities and cells (what scope.alert allows); nobody counts nothing.
    const scope = user ? { communities: user.communities, cells: user.cells } : { communities: new Set<string>(), cells: null };
    const { overall, groups } = cases.figuresWithGroups({ ...filter, ...range }, scope, groupBy, utcOffsetMin);
    return {
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: range.to } : {}),
      ...overall,
      ...(groupBy ? { groupBy, groups } : {}),
    };
  });
};
