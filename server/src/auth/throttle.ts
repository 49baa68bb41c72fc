/**
 * Login throttling by (username, source address), never by username alone: a lockout keyed by
 * name alone lets anyone lock the owner out from anywhere. After a few failures from one
 * address for one name, each further attempt from there must wait longer (1 s, 2 s, 4 s … at
 * most `maxDelayMs`, about a minute); the same name from another address is unaffected. A
 * second, looser budget per address across all names slows password spraying (one password
 * tried against many names). Attempts inside a wait are refused before any password check, so
 * a flood costs no argon2 time, and they do not lengthen the wait. Failures are forgotten
 * `forgetAfterMs` after the last one. IPv6 addresses count per /64 (one host holds all of it).
 * Held in memory and bounded in size; a restart clears it, which an attacker cannot trigger.
 */
export interface ThrottleOptions {
  /** failures of one name from one address before waits start */
  freeAttempts?: number;
  /** failures from one address, any names, before that address waits too */
  addressFreeAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  forgetAfterMs?: number;
  clock?: () => number;
  maxEntries?: number;
}

interface Entry {
  failures: number;
  nextAllowedAt: number;
  lastFailureAt: number;
}

export interface ThrottleVerdict {
  waitMs: number;
  /** which budget imposes the wait */
  by: 'account' | 'address' | null;
}

export class LoginThrottle {
  private readonly pairs = new Map<string, Entry>();
  private readonly addresses = new Map<string, Entry>();
  private readonly o: Required<ThrottleOptions>;

  constructor(o: ThrottleOptions = {}) {
    this.o = {
      freeAttempts: o.freeAttempts ?? 3,
      addressFreeAttempts: o.addressFreeAttempts ?? 20,
      baseDelayMs: o.baseDelayMs ?? 1000,
      maxDelayMs: o.maxDelayMs ?? 60_000,
      forgetAfterMs: o.forgetAfterMs ?? 15 * 60_000,
      clock: o.clock ?? Date.now,
      maxEntries: o.maxEntries ?? 100_000,
    };
  }

  /** Milliseconds to wait before the next attempt of this name from this address may be checked (0: go ahead). */
  waitMs(username: string, address: string): number {
    return this.verdict(username, address).waitMs;
  }

  verdict(username: string, address: string): ThrottleVerdict {
    const now = this.o.clock();
    const pair = Math.max(0, (this.pairs.get(pairKey(username, address))?.nextAllowedAt ?? 0) - now);
    const addr = Math.max(0, (this.addresses.get(addressKey(address))?.nextAllowedAt ?? 0) - now);
    if (pair === 0 && addr === 0) return { waitMs: 0, by: null };
    return pair >= addr ? { waitMs: pair, by: 'account' } : { waitMs: addr, by: 'address' };
  }

  /** Records a failure; returns the wait now imposed on the next attempt. */
  failure(username: string, address: string): ThrottleVerdict {
    const now = this.o.clock();
    this.count(this.pairs, pairKey(username, address), this.o.freeAttempts, now);
    this.count(this.addresses, addressKey(address), this.o.addressFreeAttempts, now);
    return this.verdict(username, address);
  }

  /** The right password clears that name's failures from that address (not the address budget: a sprayer may know one password). */
  success(username: string, address: string): void {
    this.pairs.delete(pairKey(username, address));
  }

  /** An admin's unlock: the name's failures from every address. */
  reset(username: string): void {
    const prefix = `${username.toLowerCase()}\u0000`;
    for (const k of this.pairs.keys()) if (k.startsWith(prefix)) this.pairs.delete(k);
  }

  private count(map: Map<string, Entry>, key: string, free: number, now: number): void {
    let e = map.get(key);
    if (e && now - e.lastFailureAt > this.o.forgetAfterMs) e = undefined;
    if (!e) {
      if (map.size >= this.o.maxEntries) this.evict(map, now);
      e = { failures: 0, nextAllowedAt: 0, lastFailureAt: now };
      map.set(key, e);
    }
    e.failures++;
    e.lastFailureAt = now;
    const wait = e.failures >= free ? Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(30, e.failures - free)) : 0;
    e.nextAllowedAt = Math.max(e.nextAllowedAt, now + wait);
  }

  private evict(map: Map<string, Entry>, now: number): void {
    for (const [k, e] of map) if (e.nextAllowedAt <= now && now - e.lastFailureAt > this.o.maxDelayMs) map.delete(k);
    // Still full of live entries: drop the oldest half (a Map iterates in insertion order).
    if (map.size >= this.o.maxEntries) {
      let n = Math.floor(map.size / 2);
      for (const k of map.keys()) {
        if (n-- <= 0) break;
        map.delete(k);
      }
    }
  }
}

const pairKey = (username: string, address: string) => `${username.toLowerCase()}\u0000${addressKey(address)}`;

/** IPv4 as is (also IPv4-mapped IPv6); IPv6 by its /64. */
export function addressKey(address: string): string {
  const a = address.toLowerCase().replace(/%.*$/, '');
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = a.includes('::') && tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
