import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { routeTable, type RouteEntry } from '../../server/src/http/route-table.ts';
import { login } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { startInflux, type Service } from '../helpers/services.ts';
import { scopeConfigFile, seed, type Seeded } from './fuzz-helpers.ts';

/** Requests per store mode (property runs); FUZZ_RUNS=20000 for a long hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const RAW = '@@raw@@';
/** encodeURIComponent throws on a lone surrogate; such text is sent as its replacement character. */
const wellFormed = (v: string) => v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const enc = (v: string) => encodeURIComponent(wellFormed(v));
/** A JSON literal that JSON.stringify cannot produce (it is spliced into the body text). */
const raw = (text: string) => `${RAW}${text}${RAW}`;

const hostileText = fc.constantFrom(
  '1e400', '-1e400', '-0', '0', '-1', '1.5', '1e20', '99999999999999999999', '-99999999999999999999', 'NaN', 'Infinity', '-Infinity',
  '0x10', '0b11', ' 1', '1 ', '', ' ', '1,2', '1;2', 'true', 'false', 'null', 'undefined', '[]', '{}', '[object Object]',
  '0001-01-01T00:00:00Z', '1600-01-01T00:00:00Z', '1677-09-21T00:12:43Z', '1969-12-31T23:59:59.999Z', '2262-04-12T00:00:00Z',
  '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z', '2026-02-30', '2026-13-45T99:99', 'March 7',
  '-99999999999d', '-9999999999999999999999h', '-1h', '-0s', '-1ms', '-1.5h', '1ms', '0ms', '0', '30s', '5m', '1h', '99999999999999d', '1y', '-1',
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '../../etc/passwd', '..%2F..%2Fhub.db', '%00', '%ED%A0%80', '%E0%A4%A', '%C0%AF', '\u0000', '\uD800', '\uFEFF', '\u202E', '𝔘𝔫𝔦', '社区', '\r\nX-Injected: 1', '=cmd|"/c calc"!A1',
  '<script>alert(1)</script>', "' OR 1=1 --", '"; DROP TABLE users; --', '${jndi:ldap://x}', '*', '%', '%%', '?', '#', '&', '+',
  'd1', 's1', 's2', 's3', 'c1', 'c2', 'g1', 'g3', 'w1', 'open', 'acknowledged', 'resolved', 'unresolved', 'smoke', 'gate', 'alarm',
  'battery_pct', 'temperature_c', 'time', 'device', 'seq', 'community', 'x'.repeat(65), 'x'.repeat(5000),
);
const hostileString = fc.oneof(
  { weight: 5, arbitrary: hostileText },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
);
const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.constantFrom(raw('1e400'), raw('-1e400'), raw('-0'), raw('1e-400'), raw('123456789012345678901234567890')),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileText, fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const rawBodies = fc.constantFrom(
  '{', '}', '[]', 'null', '"x"', '1e400', 'true', '\uFEFF{}', '{"a":1,"a":2}', '{"__proto__":{"admin":true,"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}', '['.repeat(20_000), '\u0000',
  'x'.repeat(70 * 1024), 'username=admin&password=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
);
const contentType = fc.constantFrom(
  'application/json', 'application/json', 'application/json', 'application/json; charset=utf-16', 'text/plain',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/xml', '',
);

/** Numbers at the edges: what Ajv coerces, what no store can hold. */
const numericText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1e400', '-1e400', 'Infinity', '-Infinity', 'NaN', '-0', '0', '-1', '1e20', '99999999999999999999', '1.5', '0x10', ' 1', '1e2', '2147483648', '9007199254740993') },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
);
/** Times at the edges: before 1677 and after 2262 InfluxDB cannot say; JavaScript dates end at ±275760. */
const timeText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('0001-01-01T00:00:00Z', '1600-01-01T00:00:00Z', '1677-09-21T00:12:43Z', '2262-04-12T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '-99999999999d', '-9999999999999999999999h', '-1h', '99999999999999999999', '-99999999999999999999', '1e400', '-1') },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }).map(String) },
);

type Props = Record<string, { type?: string } | undefined>;
const propsOf = (schema: unknown): Props => (schema as { properties?: Props } | undefined)?.properties ?? {};

/** A value for one schema property, biased to its type: numbers get numeric edges, times get time edges. */
function valueFor(key: string, prop: { type?: string } | undefined): fc.Arbitrary<string> {
  if (prop?.type === 'integer' || prop?.type === 'number') return fc.oneof({ weight: 3, arbitrary: numericText }, { weight: 1, arbitrary: hostileString });
  if (key === 'from' || key === 'to' || key === 'until') return fc.oneof({ weight: 3, arbitrary: timeText }, { weight: 1, arbitrary: hostileString });
  if (key === 'every') return fc.oneof({ weight: 2, arbitrary: fc.constantFrom('0', '0ms', '1ms', '1', '99999999999999d', '367d', '1y', '-1m') }, { weight: 1, arbitrary: numericText }, { weight: 1, arbitrary: hostileString });
  return hostileString;
}

const EXTRA_KEYS = ['from', 'to', 'every', 'field', 'limit', 'offset', 'state', 'communityId', 'gridCellId', '__proto__', 'constructor', 'prototype', 'x'];

function queryArb(route: RouteEntry): fc.Arbitrary<string> {
  const props = propsOf(route.schema?.querystring);
  const own = Object.keys(props);
  const encodePair = ([k, v, encode]: [string, string, boolean]) => (encode ? `${enc(k)}=${enc(v)}` : `${k}=${wellFormed(v).replace(/[#\s]/g, encodeURIComponent)}`);
  // The route's own parameters, each present or not, with values of their kind.
  const ownPairs = own.length
    ? fc.subarray(own).chain((keys) => (keys.length ? fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), valueFor(k, props[k]), fc.boolean()))) : fc.constant([] as [string, string, boolean][])))
    : fc.constant([] as [string, string, boolean][]);
  const extraKey = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...EXTRA_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom(...EXTRA_KEYS, ...own).map((k) => `${k}[]`) },
    { weight: 1, arbitrary: fc.constantFrom(...EXTRA_KEYS, ...own).map((k) => `${k}[__proto__]`) },
  );
  const extraPairs = fc.array(fc.tuple(extraKey, hostileString, fc.boolean()), { maxLength: 3 });
  return fc.tuple(ownPairs, extraPairs, fc.boolean()).map(([a, b, shuffle]) => {
    const pairs = [...a, ...b].map(encodePair);
    if (shuffle) pairs.reverse();
    return pairs.length ? `?${pairs.join('&')}` : '';
  });
}

function bodyArb(route: RouteEntry): fc.Arbitrary<{ type: string; text: string } | undefined> {
  const props = propsOf(route.schema?.body);
  const keys = [...new Set([...Object.keys(props), 'note', 'id', '__proto__', 'constructor'])];
  // Typed values as JSON strings ("1e400" in a string is what Ajv coerces) or any hostile JSON.
  const entry = fc.constantFrom(...keys).chain((k) => fc.tuple(fc.constant(k), fc.oneof({ weight: 2, arbitrary: valueFor(k, props[k]) as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: hostileJson })));
  const obj = fc.array(entry, { maxLength: 6 }).map((entries) => Object.fromEntries(entries));
  const json = fc.oneof({ weight: 6, arbitrary: obj }, { weight: 1, arbitrary: hostileJson }).map((v) => ({
    type: 'application/json',
    text: JSON.stringify(v).replace(new RegExp(`"${RAW}(.*?)${RAW}"`, 'g'), '$1'),
  }));
  const rawOne = fc.tuple(contentType, rawBodies).map(([type, text]) => ({ type, text }));
  return fc.oneof({ weight: 6, arbitrary: json }, { weight: 1, arbitrary: rawOne }, { weight: 1, arbitrary: fc.constant(undefined) });
}

type Who = 'admin' | 'none' | 'operator' | 'worker' | 'garbage' | 'cookie-no-csrf';

function urlArb(route: RouteEntry, s: Seeded): fc.Arbitrary<string> {
  const idPool = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('s1', 's2', 's3', s.alertIds.s1, s.alertIds.s2, s.alertIds.s3, 'nope', 'fz-gw', 'op2', 'worker1') },
    { weight: 2, arbitrary: hostileString },
  );
  const segments = route.url.split('/');
  const parts = segments.map((seg) => {
    if (seg === '*') return fc.oneof(fc.constant(''), hostileString.map(enc));
    if (!seg.startsWith(':')) return fc.constant(seg);
    // The fuzzing admin must not change its own account (a disabled admin would answer 401 to everything after).
    if (seg === ':username') return fc.oneof(fc.constantFrom('fz-victim', 'nobody', 'attack-gw', 'op2'), hostileString.filter((u) => u.toLowerCase() !== 'admin')).map(enc);
    if (seg === ':file') return fc.oneof(fc.constantFrom('x.jpg', '..%2F..%2Fhub.db', '....jpg', '%2e%2e.jpg'), hostileString.map(enc));
    return idPool.map(enc);
  });
  return fc.tuple(...parts).map((p) => p.join('/') || '/');
}

function describeFuzz(mode: 'sqlite' | 'influx') {
  describe(`property: every route answers 2xx or 4xx with a JSON error (${mode})`, () => {
    let hub: Hub;
    let influx: Service | undefined;
    let s: Seeded;
    let adminToken: string;
    beforeAll(async () => {
      if (mode === 'influx') influx = await startInflux();
      hub = await startHub({
        httpRateLimit: 10_000_000,
        loginRateLimit: 10_000_000,
        configFile: scopeConfigFile(),
        ...(influx ? { influxUrl: `http://127.0.0.1:${influx.port}/fuzz` } : {}),
      });
      s = await seed(hub);
      adminToken = s.admin.token;
      await s.admin.fetch(`${hub.httpUrl}/api/users`, { method: 'POST', body: JSON.stringify({ username: 'fz-victim', password: 'long-enough-password', role: 'viewer', communities: ['c1'] }) });
    });
    afterAll(async () => {
      await hub?.stop();
      await influx?.stop();
    });

    it(`${RUNS} generated requests over the route table: no 5xx, the hub still answers`, async () => {
      const routes = routeTable(hub.app);
      expect(routes.length).toBeGreaterThan(20);
      const statuses = new Map<number, number>();
      const perRoute = new Map<string, number>();
      // Routes that take input get more of the budget: that is where the 5xx were.
      const routeArb = fc.oneof(...routes.map((r) => ({ weight: r.schema?.querystring || r.schema?.body ? 4 : 1, arbitrary: fc.constant(r) })));
      const requestArb = routeArb.chain((route) =>
        fc.record({
          route: fc.constant(route),
          url: urlArb(route, s),
          query: queryArb(route),
          body: route.method === 'GET' || route.method === 'HEAD' ? fc.constant(undefined) : bodyArb(route),
          who: fc.constantFrom<Who>('admin', 'admin', 'admin', 'none', 'operator', 'worker', 'garbage', 'cookie-no-csrf'),
          xrw: fc.boolean(),
        }),
      );
      await fc.assert(
        fc.asyncProperty(requestArb, async ({ route, url, query, body, who, xrw }) => {
          const headers: Record<string, string> = {};
          const token = who === 'admin' ? adminToken : who === 'operator' ? s.tokens.op2 : who === 'worker' ? s.tokens.worker1 : undefined;
          if (token && who !== 'cookie-no-csrf') headers.authorization = `Bearer ${token}`;
          if (who === 'cookie-no-csrf') headers.cookie = `hub_session=${adminToken}`;
          if (who === 'garbage') headers.authorization = 'Bearer ' + 'A'.repeat(150);
          if (xrw) headers['x-requested-with'] = 'fetch';
          if (body?.type) headers['content-type'] = body.type;
          const res = await fetch(`${hub.httpUrl}${url}${query}`, { method: route.method, headers, ...(body ? { body: body.text } : {}) });
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          perRoute.set(`${route.method} ${route.url}`, (perRoute.get(`${route.method} ${route.url}`) ?? 0) + 1);
          // The fuzzer logged itself out or changed its own password: log in again.
          if (who === 'admin' && res.status === 401) adminToken = await login(hub.httpUrl);
          const documented503 = route.url === '/healthz' && res.status === 503;
          expect(res.status >= 500 && !documented503, `${route.method} ${url}${query} → ${res.status} ${text.slice(0, 300)}`).toBe(false);
          if (res.status >= 400 && route.method !== 'HEAD') {
            const err = JSON.parse(text) as { error?: unknown; message?: unknown };
            expect(typeof err.error === 'string' && typeof err.message === 'string', `${route.method} ${url}${query}: ${text.slice(0, 200)}`).toBe(true);
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
      );
      const dist = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
      console.log(`[http-fuzz ${mode}] ${RUNS} requests over ${perRoute.size} of ${routes.length} routes; statuses ${JSON.stringify(dist)}`);
      expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      // Routes that really ran (2xx), not only refusals.
      expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 20);
    });

    it('known 5xx triggers from the issue answer 400 or clamp, never 500', async () => {
      const get = (p: string) => fetch(`${hub.httpUrl}${p}`, { headers: { authorization: `Bearer ${adminToken}` } });
      for (const q of ['from=1600-01-01T00:00:00Z', 'to=9999-12-31T00:00:00Z', 'from=-99999999999d', 'from=0001-01-01T00:00:00Z&to=1600-01-01T00:00:00Z']) {
        for (const p of [`/api/devices/s1/telemetry?${q}`, `/api/devices/s1/events?${q}`, `/api/devices/s1/telemetry?field=battery_pct&every=1m&${q}`]) {
          const res = await get(p);
          expect(res.status, `${p}: ${await res.clone().text()}`).toBe(200);
        }
      }
      for (const p of ['/api/devices/s1/telemetry?limit=1e400', '/api/devices/s1/events?limit=-1e400', '/api/alerts?limit=1e400', '/api/audit?limit=Infinity', '/api/devices/s1/telemetry?every=0&field=battery_pct', '/api/devices/s1/telemetry?from=1e400']) {
        const res = await get(p);
        expect(res.status, p).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(/^(BAD_NUMBER|BAD_RANGE|FST_ERR_VALIDATION)$/);
      }
      // Clamped, and the answer says to what.
      const clamped = (await (await get('/api/devices/s1/telemetry?from=1600-01-01T00:00:00Z&to=9999-01-01T00:00:00Z')).json()) as { from: number; to: number; points: unknown[] };
      expect(clamped.from).toBe(0);
      expect(clamped.to).toBe(Date.UTC(2100, 0, 1));
      expect(clamped.points.length).toBeGreaterThan(0);
    });
  });
}

describeFuzz('sqlite');
describeFuzz('influx');
