import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { PushAdapters } from '../../ingest/adapters/index.ts';
import type { PushAnswer } from '../../ingest/adapters/push-ingest.ts';
import { MultipartError, MultipartReader, type MultipartPart } from '../../ingest/adapters/multipart.ts';

const PLATFORM_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

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
  const route = { access: 'platform' as const, rateLimit: false as const };
  // A platform reads JSON or plain text, never renders it: the dashboard's browser headers
  // (plugins/security.ts skips 'platform' routes) give way to a fixed set that still forbids
  // sniffing, framing and any active content.
  app.addHook('onRequest', async (_req, reply) => {
    void reply.headers(PLATFORM_HEADERS);
  });

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

  app.post<{ Params: Static<typeof ProductParams>; Querystring: Static<typeof CtwingQuery> }>(
    '/isapi/:product',
    // A pushed event carries its picture: more than the API's usual body limit.
    { schema: { params: ProductParams, querystring: CtwingQuery }, config: route, bodyLimit: 2 * 1024 * 1024 },
    async (req, reply) => {
      const body = bodyOf(req.body);
      const where = `isapi/${req.params.product}`;
      const found = adapters.controllers?.pushClient(req.params.product, req.query.token) ?? 'unknown';
      if (found === 'unknown') return answer(reply, adapters.ingest.refuse('unknown_product', where, `no push-mode access controller ${req.params.product} is configured`, body));
      if (found === 'bad_token') return answer(reply, adapters.ingest.refuse('bad_signature', where, 'the push URL does not carry the controller token', body));
      const contentType = String(req.headers['content-type'] ?? '');
      const boundary = MultipartReader.boundaryOf(contentType);
      const parts: MultipartPart[] = [];
      try {
        if (boundary) {
          const reader = new MultipartReader(boundary, (p) => parts.push(p), 2 * 1024 * 1024);
          reader.write(body);
          if (!reader.ended) throw new MultipartError('the body ends before its closing boundary');
        } else parts.push({ headers: { 'content-type': contentType }, body });
      } catch (err) {
        if (!(err instanceof MultipartError)) throw err;
        return answer(reply, adapters.ingest.refuse('unmappable', where, `malformed multipart body: ${err.message}`, body));
      }
      const unreadable = await found.accept(parts);
      if (unreadable) return answer(reply, adapters.ingest.refuse('unmappable', where, unreadable, body));
      return answer(reply, { status: 200, body: { ok: true } });
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
