import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { PushAdapters } from '../../ingest/adapters/index.ts';
import type { PushAnswer } from '../../ingest/adapters/push-ingest.ts';

const ProductParams = Type.Object({ product: Type.String({ maxLength: 64 }) });
const CtwingQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) });
const OnenetQuery = Type.Object({
  msg: Type.Optional(Type.String({ maxLength: 1000 })),
  nonce: Type.Optional(Type.String({ maxLength: 100 })),
  signature: Type.Optional(Type.String({ maxLength: 200 })),
});

/**
 * The carriers' platforms push here (docs/platforms.md). Public routes: a platform has no hub
 * login; each request is authenticated by its product's token or signature instead. The
 * per-address limit of the rest of the API would throttle a platform's few sending addresses.
 */
export const ingestAdapterRoutes: FastifyPluginAsync<{ adapters: PushAdapters }> = async (app, { adapters }) => {
  // The raw bytes: OneNET signs the JSON text as sent, and a refusal keeps a sample of it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const route = { access: 'public' as const, rateLimit: false as const };

  app.post<{ Params: Static<typeof ProductParams>; Querystring: Static<typeof CtwingQuery> }>(
    '/ctwing/:product',
    { schema: { params: ProductParams, querystring: CtwingQuery }, config: route },
    async (req, reply) => {
      const header = req.headers['x-hub-token'];
      const token = req.query.token ?? (typeof header === 'string' ? header : undefined);
      return answer(reply, await adapters.ctwing.push(req.params.product, token, bodyOf(req.body)));
    },
  );

  app.get<{ Params: Static<typeof ProductParams>; Querystring: Static<typeof OnenetQuery> }>(
    '/onenet/:product',
    { schema: { params: ProductParams, querystring: OnenetQuery }, config: route },
    async (req, reply) => {
      const verified = adapters.onenet.verify(req.params.product, req.query);
      // The platform compares the answer with msg exactly: plain text, nothing around it.
      if ('text' in verified) return reply.type('text/plain; charset=utf-8').send(verified.text);
      return answer(reply, verified);
    },
  );

  app.post<{ Params: Static<typeof ProductParams> }>(
    '/onenet/:product',
    { schema: { params: ProductParams }, config: route },
    async (req, reply) => answer(reply, await adapters.onenet.push(req.params.product, bodyOf(req.body))),
  );
};

function bodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

function answer(reply: FastifyReply, a: PushAnswer): FastifyReply {
  if (a.retryAfterS !== undefined) void reply.header('retry-after', String(a.retryAfterS));
  return reply.status(a.status).send(a.body);
}
