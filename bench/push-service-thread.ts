// The local push service in a thread of its own, as a push service is another machine: the hub's
// event loop does not pay for TLS and decryption on the receiving side. Arrival times are absolute
// (timeOrigin + now), comparable across threads.
import { parentPort } from 'node:worker_threads';
import { LocalPushService } from '../test/push/push-service.ts';

const push = new LocalPushService();
await push.start();
push.onPush = (p) => parentPort!.postMessage({ type: 'push', alertId: (p.body as { alert: { id: string } }).alert.id, at: performance.timeOrigin + performance.now() });
parentPort!.on('message', (msg: { type: 'subscribe'; n: number } | { type: 'refused' } | { type: 'stop' }) => {
  if (msg.type === 'refused') {
    parentPort!.postMessage({ type: 'refused', refused: push.refused.length, errors: push.refused.slice(0, 3) });
  } else if (msg.type === 'subscribe') {
    const subs = Array.from({ length: msg.n }, () => {
      const s = push.subscription();
      return { endpoint: s.endpoint, keys: s.keys };
    });
    parentPort!.postMessage({ type: 'subscriptions', subs, refused: push.refused.length });
  } else {
    void push.stop().then(() => parentPort!.postMessage({ type: 'stopped', refused: push.refused.length }));
  }
});
parentPort!.postMessage({ type: 'ready', cert: push.certificate.toString('utf8') });
