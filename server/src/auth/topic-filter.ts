/** MQTT topic-filter arithmetic for the ACL. */

/** Does a concrete topic match a filter (with + and #)? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Is every topic a subscription filter can match also matched by `allowed`? */
export function filterWithin(sub: string, allowed: string): boolean {
  const s = sub.split('/');
  const a = allowed.split('/');
  for (let i = 0; i < s.length; i++) {
    const al = a[i];
    if (al === undefined) return false;
    if (al === '#') return true;
    const sl = s[i]!;
    if (sl === '#') return false;
    if (al === '+') continue;
    if (sl === '+' || sl !== al) return false;
  }
  return s.length === a.length;
}

/** `$share/<group>/<filter>` → `<filter>`. */
export function stripShare(filter: string): string {
  const m = /^\$share\/[^/]+\/(.*)$/.exec(filter);
  return m ? m[1]! : filter;
}

/** A shared subscription (`$share/<group>/…`), in any letter case a broker might accept. */
export function isShared(filter: string): boolean {
  return /^\$share\//i.test(filter);
}
