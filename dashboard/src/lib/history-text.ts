// An alert's history as sentences a person reads: "19:42 升级至二级：通知 林艳（网格长，138****0004）".
// Pure: the language and the names (Directory) are passed in.
import { translate, type Locale } from './i18n.ts';
import { maskPhone, type Directory } from './names.ts';
import type { AlertHistoryEntry } from './types.ts';

const ZH_LEVELS = ['', '一级', '二级', '三级', '四级', '五级'];

export function levelText(locale: Locale, level: number): string {
  if (locale !== 'en' && ZH_LEVELS[level]) return ZH_LEVELS[level]!;
  return translate(locale, 'level.n', { n: level });
}

interface Recipient {
  id?: unknown;
  name?: unknown;
  role?: unknown;
  phone?: unknown;
}

function recipientText(locale: Locale, r: Recipient, dir: Directory | null): string {
  const id = typeof r.id === 'string' ? r.id : '';
  const known = dir?.person(id);
  const name = typeof r.name === 'string' ? r.name : (known?.name ?? id);
  const role = typeof r.role === 'string' ? r.role : known?.role;
  const phone = maskPhone(typeof r.phone === 'string' ? r.phone : known?.phone);
  const roleText = role === 'worker' || role === 'supervisor' || role === 'lead' ? translate(locale, `person.${role}`) : '';
  if (!roleText) return name;
  return phone ? translate(locale, 'history.person', { name, role: roleText, phone }) : translate(locale, 'history.personNoPhone', { name, role: roleText });
}

function recipients(locale: Locale, to: unknown, dir: Directory | null): string {
  if (!Array.isArray(to)) return '';
  return to
    .filter((r): r is Recipient => typeof r === 'object' && r !== null)
    .map((r) => recipientText(locale, r, dir))
    .join(translate(locale, 'history.listSep'));
}

/** Who did it: a person's real name for a username or worker id, "the system" for the hub. */
export function actorText(locale: Locale, by: string, dir: Directory | null): string {
  if (!by || by === 'system') return translate(locale, 'history.system');
  return dir?.personName(by) ?? by;
}

const PERSON_CHANNELS = ['webpush', 'wecom', 'dingtalk', 'sms', 'voice'] as const;

function channelText(locale: Locale, channel: unknown): string {
  return (PERSON_CHANNELS as readonly unknown[]).includes(channel) ? translate(locale, `channel.${channel as (typeof PERSON_CHANNELS)[number]}`) : String(channel ?? '?');
}

/** Names the hub gathered (at most a few), "and others" when it sent to more. */
function namesText(locale: Locale, names: unknown, count: unknown): string {
  const list = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  const joined = list.join(translate(locale, 'history.listSep'));
  return typeof count === 'number' && count > list.length ? translate(locale, 'history.andMore', { names: joined, count }) : joined;
}

function targetText(locale: Locale, format: unknown): string {
  if (format === 'wecom' || format === 'dingtalk') return translate(locale, `channel.${format}`);
  return typeof format === 'string' ? format : 'webhook';
}

/** One history entry as a sentence, without its time. `actionLabel` names actions this module does not know. */
export function historySentence(locale: Locale, h: AlertHistoryEntry, dir: Directory | null, actionLabel: (a: string) => string = (a) => a): string {
  const d = (h.detail ?? {}) as Record<string, unknown>;
  const by = actorText(locale, h.by, dir);
  const count = typeof d.count === 'number' ? d.count : 0;
  switch (h.action) {
    case 'opened':
      return translate(locale, 'history.opened');
    case 'repeated':
      return translate(locale, 'history.repeated', { count: count + 1 });
    case 'recurred':
      return translate(locale, 'history.recurred', { count: count + 1 });
    case 'cleared':
      return translate(locale, 'history.cleared');
    case 'grouped':
      return translate(locale, 'history.grouped');
    case 'notified': {
      const to = recipients(locale, d.to, dir);
      return to ? translate(locale, 'history.notified', { to }) : translate(locale, 'history.notifiedRoom');
    }
    case 'escalated': {
      const level = levelText(locale, typeof d.level === 'number' ? d.level : 1);
      const to = recipients(locale, d.to, dir);
      if (to) return translate(locale, 'history.escalated', { level, to });
      const missing = translate(locale, d.level === 1 ? 'history.noSupervisor' : 'history.noLead');
      return translate(locale, 'history.escalatedNobody', { level, missing });
    }
    case 'reminded':
      return translate(locale, 'history.reminded', { to: recipients(locale, d.to, dir) || translate(locale, 'history.notifiedRoom') });
    case 'acknowledged':
      return translate(locale, 'history.acknowledged', { by });
    case 'assigned':
      return translate(locale, 'history.assigned', { by, to: actorText(locale, typeof d.assignee === 'string' ? d.assignee : '', dir) });
    case 'resolved':
      return translate(locale, 'history.resolved', { by });
    case 'webhook_delivered':
      return translate(locale, 'history.webhookDelivered', { target: targetText(locale, d.format) });
    case 'webhook_failed': {
      const why = typeof d.status === 'number' ? `HTTP ${d.status}` : typeof d.error === 'string' ? d.error : '?';
      return translate(locale, d.retrying ? 'history.webhookFailed' : 'history.webhookFailedFinal', { target: targetText(locale, d.format), why });
    }
    case 'delivery_queued': {
      const channels = typeof d.channels === 'object' && d.channels !== null ? Object.entries(d.channels as Record<string, unknown>) : [];
      const list = channels.map(([channel, names]) => translate(locale, 'history.deliveryQueuedItem', { channel: channelText(locale, channel), to: namesText(locale, names, undefined) }));
      return translate(locale, 'history.deliveryQueued', { list: list.join(locale === 'en' ? '; ' : '；') });
    }
    case 'delivery_sent':
      return translate(locale, 'history.deliverySent', { channel: channelText(locale, d.channel), to: namesText(locale, d.to, d.count) });
    case 'delivery_failed': {
      const why = typeof d.error === 'string' ? d.error : '?';
      return translate(locale, d.retrying ? 'history.deliveryFailed' : 'history.deliveryFailedFinal', { channel: channelText(locale, d.channel), to: namesText(locale, d.to, d.count), why });
    }
    case 'acknowledged_via':
      return translate(locale, 'history.ackedVia', { by, channel: channelText(locale, d.channel) });
    case 'snapshot':
      return translate(locale, 'history.snapshot', { camera: typeof d.cameraId === 'string' ? d.cameraId : '?' });
    default:
      return translate(locale, 'history.other', { action: actionLabel(h.action) });
  }
}

/** "19:42" on the day it happened, "12-03 19:42" on other days (relative to `now`). */
export function historyTime(locale: Locale, at: number, now: number): string {
  const d = new Date(at);
  const sameDay = d.toDateString() === new Date(now).toDateString();
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit', hour12: false }
    : { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
  return d.toLocaleString(locale, opts);
}
