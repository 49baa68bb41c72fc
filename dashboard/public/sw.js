/* The worker view's service worker (docs/delivery.md): shows each pushed alert as one notification
 * per alert (same tag, renotify on every reminder and escalation), and acknowledges from the
 * notification's 确认 / Acknowledge action through the message's one-tap link, without opening a page. */

const ICON = '/icons/icon-192.png';
const BADGE = '/icons/badge-96.png';
const ACTIONS = [
  { action: 'ack', title: '确认 Acknowledge' },
  { action: 'open', title: '查看 Open' },
];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('push', (event) => event.waitUntil(onPush(event.data)));
self.addEventListener('notificationclick', (event) => event.waitUntil(onNotificationClick(event)));

/** A push message's body: the hub's JSON ({ type: "alert", change, alert, ackUrl, notification }, or { type: "case", change, case, notification }). */
async function onPush(data) {
  let msg;
  try {
    msg = data ? data.json() : null;
  } catch {
    msg = null;
  }
  if (msg && msg.type === 'case' && msg.notification) return showCase(msg);
  if (!msg || msg.type !== 'alert' || !msg.notification) {
    // A push must show something (userVisibleOnly): say there is news, without details we cannot read.
    return self.registration.showNotification('社区安全中枢 Community safety hub', { body: '有新消息 New message', icon: ICON, badge: BADGE });
  }
  const critical = msg.alert.severity === 'critical';
  await showPushed(msg.notification, critical ? [400, 150, 400, 150, 400] : [300], { alertId: msg.alert.id, ackUrl: msg.ackUrl, openUrl: msg.notification.openUrl, change: msg.change, level: msg.alert.escalationLevel }, ACTIONS);
  // Open pages re-alert too (sound), and fetch the alert's newest state.
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage({ type: 'push', change: msg.change, alertId: msg.alert.id });
}

/** One notification a subject (tag), renewed with sound on every change. */
function showPushed(n, vibrate, data, actions) {
  return self.registration.showNotification(n.title, {
    body: n.body,
    tag: n.tag,
    renotify: true,
    requireInteraction: Boolean(n.requireInteraction),
    icon: ICON,
    badge: BADGE,
    vibrate,
    timestamp: Date.now(),
    data,
    actions,
  });
}

/** A case (dispatched to one, due soon, overdue, escalated): nothing to acknowledge, one opens it on /worker. */
async function showCase(msg) {
  const late = msg.change === 'overdue' || msg.change === 'escalated';
  await showPushed(msg.notification, late ? [400, 150, 400] : [300], { caseId: msg.case.id, openUrl: msg.notification.openUrl, change: msg.change }, [{ action: 'open', title: '查看 Open' }]);
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage({ type: 'case-push', change: msg.change, caseId: msg.case.id });
}

async function onNotificationClick(event) {
  const notification = event.notification;
  const data = notification.data || {};
  notification.close();
  if (event.action === 'ack' && data.ackUrl) return acknowledge(notification, data);
  return openPage(data.openUrl || '/worker');
}

/** POSTs the one-tap link (no session needed) and says how it went in the same notification. */
async function acknowledge(notification, data) {
  let title;
  let ok = false;
  try {
    const res = await fetch(data.ackUrl, { method: 'POST', headers: { accept: 'application/json' }, credentials: 'omit' });
    const body = await res.json().catch(() => ({}));
    ok = res.ok;
    if (res.ok) title = body.acknowledged === false ? '已由他人确认 Already acknowledged' : '已确认 Acknowledged';
    else if (res.status === 409) title = '此告警已确认或已处置 Already acknowledged or resolved';
    else if (res.status === 410) title = '链接已过期，请打开页面确认 Link expired: open the page to acknowledge';
    else title = '确认失败 Could not acknowledge';
  } catch {
    title = '网络不通，未能确认 Offline: not acknowledged';
  }
  await self.registration.showNotification(title, {
    body: notification.body,
    tag: notification.tag,
    renotify: false,
    silent: true,
    icon: ICON,
    badge: BADGE,
    data: { ...data, ackUrl: ok ? undefined : data.ackUrl, acknowledged: ok },
    actions: ok ? [{ action: 'open', title: '查看 Open' }] : ACTIONS,
  });
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage({ type: 'acknowledged', alertId: data.alertId, ok });
}

async function openPage(url) {
  const target = new URL(url, self.location.origin).href;
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
    if (new URL(client.url).pathname.startsWith('/worker') && 'focus' in client) {
      await client.focus();
      if ('navigate' in client && client.url !== target) await client.navigate(target).catch(() => {});
      return;
    }
  }
  await self.clients.openWindow(target);
}
