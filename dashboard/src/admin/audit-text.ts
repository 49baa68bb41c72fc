// An audit entry as a sentence a person reads: "19:02 王芳 确认了 3号楼 16层 · 1604 厨房烟感 火灾报警",
// "王芳 acknowledged Building 3, floor 16 · 1604 厨房烟感 Fire alarm at 19:02". Names, not ids: the
// page resolves people, alerts and devices through `AuditNames`; what it cannot resolve stays as sent.
import { roleLabel, translate, type Locale, type MessageKey, type Params } from '../lib/i18n.ts';
import type { User } from '../lib/types.ts';

type UserRole = User['role'];
import type { AuditEntry } from './admin-api.ts';

export interface AuditNames {
  /** a username's real name (the account's display name, its grid worker's name), else the username */
  person(username: string): string;
  /** an alert id as its place and type, null while unknown */
  alert(id: string): string | null;
  /** a device id as its name and place, null when unknown */
  device(id: string): string | null;
  community(id: string): string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Community ids as names, "*" as "all". */
function communityList(locale: Locale, v: unknown, names: AuditNames): string {
  return list(v).map((c) => (c === '*' ? translate(locale, 'admin.all') : names.community(c))).join(locale === 'en' ? ', ' : '、');
}

/** What an account update changed, in words: "停用", "角色改为 值班员", "修改密码". */
function changes(locale: Locale, d: Record<string, unknown>, names: AuditNames): string {
  const sep = locale === 'en' ? ', ' : '，';
  const out: string[] = [];
  if (d.disabled === true) out.push(translate(locale, 'audit.change.disabled'));
  if (d.disabled === false) out.push(translate(locale, 'audit.change.enabled'));
  if (d.password === 'changed') out.push(translate(locale, 'audit.change.password'));
  if (str(d.role)) out.push(translate(locale, 'audit.change.role', { role: roleLabel(locale, d.role as UserRole) }));
  if (Array.isArray(d.communities)) out.push(translate(locale, 'audit.change.communities', { list: communityList(locale, d.communities, names) }));
  if (Array.isArray(d.cells)) out.push(translate(locale, 'audit.change.cells'));
  if ('workerId' in d) out.push(translate(locale, 'audit.change.worker', { name: str(d.workerId) ? names.person(d.workerId as string) : '—' }));
  if (str(d.displayName) !== undefined || d.displayName === null) out.push(translate(locale, 'audit.change.displayName'));
  if (d.unlock === true) out.push(translate(locale, 'audit.change.unlock'));
  return out.join(sep);
}

/** The sentence without the time. */
export function auditSentence(locale: Locale, e: AuditEntry, names: AuditNames): string {
  const d = e.detail ?? {};
  const actor = e.actor === 'display' ? translate(locale, 'role.display') : e.actor === 'bootstrap' ? translate(locale, 'audit.bootstrap') : names.person(e.actor);
  const target = e.target ?? '';
  const p: Params = { actor, target };
  let key: MessageKey | null = null;
  switch (e.action) {
    case 'alert.ack':
    case 'alert.assign':
    case 'alert.resolve':
      p.alert = names.alert(target) ?? target;
      p.assignee = str(d.assignee) ? names.person(d.assignee as string) : '';
      p.note = str(d.note) ?? '';
      key = e.action === 'alert.resolve' && !p.note ? 'audit.s.alert.resolveNoNote' : (`audit.s.${e.action}` as MessageKey);
      break;
    case 'user.create':
    case 'user.delete':
    case 'user.password':
      p.target = names.person(target);
      p.role = str(d.role) ? roleLabel(locale, d.role as UserRole) : '';
      key = e.action === 'user.create' && !p.role ? 'audit.s.user.createNoRole' : (`audit.s.${e.action}` as MessageKey);
      break;
    case 'user.update':
      p.target = names.person(target);
      p.changes = changes(locale, d, names);
      key = p.changes ? 'audit.s.user.update' : 'audit.s.user.updateNothing';
      break;
    case 'device.provision':
    case 'device.credential_rotate':
      p.device = names.device(target) ?? target;
      p.community = str(d.communityId) ? names.community(d.communityId as string) : '';
      key = `audit.s.${e.action}` as MessageKey;
      break;
    case 'gateway.create':
      p.community = communityList(locale, d.communities, names);
      key = 'audit.s.gateway.create';
      break;
    case 'auth.login_failed':
    case 'auth.login_throttled':
      p.wait = typeof d.waitS === 'number' ? d.waitS : 0;
      key = `audit.s.${e.action}` as MessageKey;
      break;
    case 'auth.login':
    case 'auth.logout':
    case 'mqtt.credential_revoke':
    case 'mqtt.config_export':
    case 'display.create':
    case 'display.pair':
    case 'display.revoke':
    case 'alert.export':
    case 'case.create':
    case 'case.action':
    case 'case.resident_report':
    case 'push.subscribe':
    case 'push.unsubscribe':
      key = `audit.s.${e.action}` as MessageKey;
      break;
  }
  const sentence = key ? translate(locale, key, p) : `${actor} · ${e.action}${target ? ` · ${target}` : ''}`;
  return e.ok ? sentence : translate(locale, 'audit.refusedSentence', { sentence });
}

/** With the time: "19:02 王芳 确认了 …" in Chinese, "王芳 acknowledged … at 19:02" in English. */
export function auditLine(locale: Locale, e: AuditEntry, names: AuditNames, time: string): string {
  return translate(locale, 'audit.line', { time, sentence: auditSentence(locale, e, names) });
}
