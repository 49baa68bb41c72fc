import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, type Alert } from '#devices';
import type { AckRefusal } from '../../notify/people/ack-links.ts';
import type { PeopleDelivery } from '../../notify/people/delivery.ts';

const Params = Type.Object({ alertId: Type.String({ pattern: ID_PATTERN }) });
const Query = Type.Object({ t: Type.String({ maxLength: 1000 }) });
type OnLink = { Params: Static<typeof Params>; Querystring: Static<typeof Query> };

const REFUSED: Record<AckRefusal, { status: number; zh: string; en: string }> = {
  malformed: { status: 403, zh: '链接无效。', en: 'This link is not valid.' },
  forged: { status: 403, zh: '链接无效。', en: 'This link is not valid.' },
  wrong_alert: { status: 403, zh: '此链接不属于这条告警。', en: 'This link belongs to another alert.' },
  expired: { status: 410, zh: '链接已过期，请打开看板确认。', en: 'This link has expired: acknowledge from the dashboard.' },
  used: { status: 409, zh: '此链接已使用过。', en: 'This link has already been used.' },
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;background:#111;color:#eee;margin:0;padding:1.5em;max-width:32em}
h1{font-size:1.3em}.sev{display:inline-block;padding:.1em .5em;border-radius:.3em;background:#b00;color:#fff}
button{font-size:1.3em;padding:.7em 1.2em;border:0;border-radius:.4em;background:#1a7f37;color:#fff;width:100%}p{line-height:1.5}</style></head>
<body>${body}</body></html>`;
}

function alertBlock(alert: Alert, place: { zh: string; en: string }): string {
  return `<h1>${esc(alert.title)}</h1><p><span class="sev">${esc(alert.severity)}</span></p><p>${esc(place.zh)}<br>${esc(place.en)}</p>`;
}

function ackedBy(alert: Alert): string {
  return `<p>已由 ${esc(alert.acknowledgedBy ?? '')} 确认。<br>Already acknowledged by ${esc(alert.acknowledgedBy ?? '')}.</p>`;
}

/**
 * One-tap acknowledgement links (docs/delivery.md): GET shows what the alert is and a confirm
 * button, POST acknowledges as the link's recipient. No session: the link is the credential.
 */
export const ackLinkRoutes: FastifyPluginAsync<{ delivery: PeopleDelivery }> = async (app, { delivery }) => {
  // The confirm page's form posts urlencoded; its body says nothing (the URL is the link).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_req, body, done) => done(null, body));
  const lastLogged = new Map<AckRefusal, number>();
  // The token is the credential: never in a Referer, never in a cache.
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
    return payload;
  });

  const refuse = (req: FastifyRequest<OnLink>, reply: FastifyReply, reason: AckRefusal) => {
    delivery.refused(reason);
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? 0) > 10_000) {
      lastLogged.set(reason, now);
      req.log.warn({ reason, alertId: req.params.alertId, ip: req.ip }, 'acknowledgement link refused');
    }
    const r = REFUSED[reason];
    if (wantsJson(req)) return reply.status(r.status).send({ error: `ACK_LINK_${reason.toUpperCase()}`, message: r.en });
    return reply.status(r.status).type('text/html').send(page('告警确认 Acknowledge', `<h1>无法确认 Cannot acknowledge</h1><p>${esc(r.zh)}<br>${esc(r.en)}</p>`));
  };

  app.get<OnLink>('/ack/:alertId', { schema: { params: Params, querystring: Query }, config: { access: 'public' } }, async (req, reply) => {
    const checked = delivery.ackLinks.check(req.params.alertId, req.query.t);
    if (!checked.ok) return refuse(req, reply, checked.reason);
    const alert = delivery.alert(req.params.alertId);
    void reply.type('text/html');
    if (!alert) {
      if (wantsJson(req)) return reply.status(404).type('application/json').send({ error: 'ALERT_NOT_FOUND', message: `alert ${req.params.alertId} not found` });
      return reply.status(404).send(page('告警确认 Acknowledge', '<h1>告警不存在 Alert not found</h1>'));
    }
    const head = alertBlock(alert, delivery.place(alert));
    if (alert.state !== 'open') return reply.send(page('告警确认 Acknowledge', head + (alert.state === 'resolved' ? '<p>告警已处理完毕。<br>This alert is resolved.</p>' : ackedBy(alert))));
    return reply.send(
      page('告警确认 Acknowledge', `${head}<form method="post"><button type="submit">确认告警 · Acknowledge</button></form><p>确认后将停止对所有人的提醒。<br>Acknowledging stops the reminders to everyone.</p>`),
    );
  });

  app.post<OnLink>('/ack/:alertId', { schema: { params: Params, querystring: Query }, config: { access: 'public' } }, async (req, reply) => {
    const existing = delivery.alert(req.params.alertId);
    const checked = delivery.ackLinks.check(req.params.alertId, req.query.t);
    if (!checked.ok) return refuse(req, reply, checked.reason);
    if (!existing) return reply.status(404).send({ error: 'ALERT_NOT_FOUND', message: `alert ${req.params.alertId} not found` });
    if (existing.state === 'resolved') {
      if (wantsJson(req)) return reply.status(409).send({ error: 'ALERT_RESOLVED', message: `alert ${existing.id} is already resolved` });
      return reply.status(409).type('text/html').send(page('告警确认 Acknowledge', `${alertBlock(existing, delivery.place(existing))}<p>告警已处理完毕。<br>This alert is resolved.</p>`));
    }
    const used = delivery.ackLinks.use(req.params.alertId, req.query.t);
    if (!used.ok) return refuse(req, reply, used.reason);
    const wasAcked = existing.state === 'acknowledged';
    const alert = wasAcked ? existing : await delivery.acknowledge({ alertId: existing.id, recipientId: used.claims.recipientId, channel: used.claims.channel, ip: req.ip });
    if (wantsJson(req)) return reply.send({ alert, acknowledged: !wasAcked });
    const done = wasAcked ? ackedBy(alert) : `<p>已确认，谢谢。<br>Acknowledged. Thank you.</p>`;
    return reply.type('text/html').send(page('告警确认 Acknowledge', alertBlock(alert, delivery.place(alert)) + done));
  });
};

/** A browser opening or submitting the page asks for HTML; anything else (the service worker, a script) gets JSON. */
function wantsJson(req: FastifyRequest): boolean {
  return !(req.headers.accept ?? '').includes('text/html');
}
