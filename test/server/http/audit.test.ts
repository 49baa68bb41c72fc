import { memoryStateDb } from '../../helpers/state-db.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../server/src/auth/audit.ts';
import { audit, installAudit } from '../../../server/src/http/plugins/audit.ts';

describe('declarative audit (config.audit + one hook)', () => {
  let app: FastifyInstance;
  let log: AuditLog;
  const removed = new Set<string>();

  beforeEach(async () => {
    log = new AuditLog(memoryStateDb(), () => 1000);
    app = Fastify();
    installAudit(app, log, (req) => String(req.headers['x-user'] ?? 'anonymous'));
    type Thing = { Params: { id: string }; Body: { name: string } };
    app.post<Thing>(
      '/things/:id',
      { config: { audit: audit<Thing>({ action: 'thing.rename', target: (req) => req.params.id, detail: (req) => ({ name: req.body.name, existed: !removed.has(req.params.id) }) }) } },
      async (req, reply) => {
        if (req.body.name === 'bad') return reply.status(409).send({ error: 'CONFLICT', message: 'no' });
        if (req.body.name === 'throw') throw new Error('boom');
        removed.add(req.params.id);
        return { ok: true };
      },
    );
    app.post('/leave', { config: { audit: audit({ action: 'thing.leave', actor: (req) => (req.headers['x-session'] as string | undefined) }) } }, async () => ({ ok: true }));
    app.get('/export', { config: { audit: audit({ action: 'thing.export' }) } }, async () => ({ files: 1 }));
    app.get('/plain', async () => ({ ok: true }));
    await app.ready();
  });
  afterEach(async () => app.close());

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url, payload: body as object, headers: { 'x-user': 'alice', ...headers } });

  it('records who, what, target, detail read before the handler ran, and the address, on success', async () => {
    expect((await post('/things/t1', { name: 'new' })).statusCode).toBe(200);
    expect(await log.list()).toEqual([{ id: 1, at: 1000, actor: 'alice', action: 'thing.rename', target: 't1', ip: '127.0.0.1', ok: true, detail: { name: 'new', existed: true } }]);
  });

  it('records nothing for a refused or failed request', async () => {
    expect((await post('/things/t2', { name: 'bad' })).statusCode).toBe(409);
    expect((await post('/things/t2', { name: 'throw' })).statusCode).toBe(500);
    expect(await log.list()).toEqual([]);
  });

  it('an actor function answering undefined records nothing; a spec with action alone records actor and address', async () => {
    await post('/leave', {});
    expect(await log.list()).toEqual([]);
    await post('/leave', {}, { 'x-session': 'bob' });
    await app.inject({ method: 'GET', url: '/export', headers: { 'x-user': 'carol' } });
    expect((await log.list()).map((e) => [e.actor, e.action, e.target, e.detail])).toEqual([
      ['carol', 'thing.export', null, null],
      ['bob', 'thing.leave', null, null],
    ]);
  });

  it('a route without config.audit records nothing; a HEAD of an audited GET records once, as its GET would', async () => {
    await app.inject({ method: 'GET', url: '/plain' });
    expect(await log.list()).toEqual([]);
    await app.inject({ method: 'HEAD', url: '/export' });
    expect(await log.list()).toHaveLength(1);
  });
});
