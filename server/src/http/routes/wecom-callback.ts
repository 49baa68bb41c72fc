import type { FastifyPluginAsync } from 'fastify';
import { CallbackRefused, type CallbackQuery, type WeComCallback } from '../../notify/people/wecom/callback.ts';

/**
 * The WeCom app's callback URL (set it in the WeCom admin console as https://<hub>/api/wecom/callback).
 * Public: WeCom proves itself with the signature and the encryption, checked before anything is acted on.
 */
export const wecomCallbackRoutes: FastifyPluginAsync<{ callback: WeComCallback }> = async (app, { callback }) => {
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));

  app.get<{ Querystring: CallbackQuery }>('/callback', { config: { access: 'public' } }, async (req, reply) => {
    try {
      const echo = callback.verifyUrl(req.query);
      return reply.type('text/plain').send(echo);
    } catch (err) {
      return refused(err, reply);
    }
  });

  app.post<{ Querystring: CallbackQuery; Body: string }>('/callback', { config: { access: 'public' } }, async (req, reply) => {
    try {
      const outcome = await callback.handle(req.query, typeof req.body === 'string' ? req.body : '');
      req.log.info({ outcome }, 'WeCom callback');
      // An empty 200 tells WeCom the event arrived (no passive reply).
      return reply.type('text/plain').send('');
    } catch (err) {
      return refused(err, reply);
    }
  });
};

function refused(err: unknown, reply: import('fastify').FastifyReply) {
  if (err instanceof CallbackRefused) return reply.type('application/json').status(err.reason === 'bad_signature' || err.reason === 'wrong_corp' ? 401 : 400).send({ error: 'WECOM_CALLBACK_REFUSED', reason: err.reason, message: err.message });
  throw err;
}
