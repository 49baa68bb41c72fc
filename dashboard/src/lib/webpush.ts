// Web Push for the worker view: the service worker, the browser's subscription, and the hub's
// /api/push routes (docs/delivery.md). One tap asks for permission and subscribes.
import type { Api } from './api.ts';

export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export interface PushDevice {
  id: string;
  endpointOrigin: string;
  userAgent: string | null;
  createdAt: number;
  lastSuccessAt: number | null;
}

export function pushSupported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof window !== 'undefined' && 'PushManager' in window && typeof Notification !== 'undefined';
}

/** Makes /worker installable: the manifest and theme colour (index.html is shared with the control room). */
export function linkManifest(): void {
  if (!document.querySelector('link[rel=manifest]')) {
    const link = document.createElement('link');
    link.rel = 'manifest';
    link.href = '/manifest.webmanifest';
    document.head.append(link);
  }
  if (!document.querySelector('meta[name=theme-color]')) {
    const meta = document.createElement('meta');
    meta.name = 'theme-color';
    meta.content = '#c81e1e';
    document.head.append(meta);
  }
}

export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return null;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    return await within(navigator.serviceWorker.ready, 10_000, null);
  } catch {
    return null;
  }
}

/** A browser without a reachable push service may never answer: the page must not wait on it. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p.catch(() => fallback), new Promise<T>((r) => setTimeout(() => r(fallback), ms))]);
}

export async function pushState(reg: ServiceWorkerRegistration | null): Promise<PushState> {
  if (!reg || !pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const sub = await within(reg.pushManager.getSubscription(), 3000, null);
  return sub && Notification.permission === 'granted' ? 'on' : 'off';
}

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Asks for permission (must run in a tap), subscribes with the hub's VAPID key, and gives the hub the subscription. */
export async function subscribePush(api: Api, reg: ServiceWorkerRegistration): Promise<PushState> {
  const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'off';
  const { publicKey } = await api.request<{ publicKey: string }>('GET', '/api/push/vapid-public-key');
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another key (a hub whose DATA_DIR was replaced) cannot be used.
  if (sub && sub.options.applicationServerKey && btoa(String.fromCharCode(...new Uint8Array(sub.options.applicationServerKey))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') !== publicKey) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  await api.request('POST', '/api/push/subscriptions', sub.toJSON());
  return 'on';
}

export async function pushDevices(api: Api): Promise<PushDevice[]> {
  return (await api.request<{ subscriptions: PushDevice[] }>('GET', '/api/push/subscriptions')).subscriptions;
}

export async function removePushDevice(api: Api, id: string): Promise<void> {
  await api.request('DELETE', `/api/push/subscriptions/${encodeURIComponent(id)}`);
}

/** Whether sound can play without a tap first (autoplay policy). */
export function audioAllowed(): boolean {
  try {
    const Ctx = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return false;
    const ctx = new Ctx();
    const ok = ctx.state === 'running';
    void ctx.close();
    return ok;
  } catch {
    return false;
  }
}
