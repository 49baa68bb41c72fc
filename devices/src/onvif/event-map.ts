import type { CameraEventType } from './types.ts';

export interface MappedEvent {
  type: CameraEventType;
  topic: string;
  cameraTime: string | undefined;
}

/**
 * Turns one ONVIF NotificationMessage (as the `onvif` package parses it) into a contract camera event.
 * Vendors name the same thing differently, so topics are matched by their last segments.
 * `Initialized` messages describe the state at subscription time: only an active condition is reported then
 * (a camera already in video loss), never a "restored" that did not happen.
 */
export function mapNotification(message: unknown): MappedEvent | undefined {
  const m = message as Record<string, any> | undefined;
  const rawTopic = m?.topic?._ ?? m?.topic;
  if (typeof rawTopic !== 'string') return undefined;
  const topic = rawTopic.trim();
  const inner = m?.message?.message;
  const operation = String(inner?.$?.PropertyOperation ?? 'Changed');
  const data = items(inner?.data?.simpleItem);
  const utc = inner?.$?.UtcTime;
  const cameraTime = utc instanceof Date ? utc.toISOString() : typeof utc === 'string' ? utc : undefined;
  const initialized = operation === 'Initialized';
  const path = topic.replace(/^[A-Za-z0-9_]+:/, '').replace(/\/[A-Za-z0-9_]+:/g, '/');

  const state = (...names: string[]) => {
    for (const n of names) if (n in data) return truthy(data[n]);
    return undefined;
  };

  if (/(SignalLoss|VideoLoss)$/i.test(path)) {
    const lost = state('State', 'IsVideoLoss', 'SignalLoss');
    if (lost === undefined) return undefined;
    if (lost) return { type: 'video_loss', topic, cameraTime };
    return initialized ? undefined : { type: 'video_restored', topic, cameraTime };
  }
  if (/(GlobalSceneChange(\/[A-Za-z]+)?|TamperDetector(\/Tamper)?|Tamper)$/i.test(path)) {
    return state('State', 'IsTamper', 'IsGlobalSceneChange') ? { type: 'tamper', topic, cameraTime } : undefined;
  }
  if (/(MotionDetector\/Motion|MotionAlarm|\/Motion)$/i.test(path)) {
    return state('IsMotion', 'State') ? { type: 'motion', topic, cameraTime } : undefined;
  }
  if (/(LineDetector\/Crossed|LineCrossing)$/i.test(path) && !initialized) {
    return { type: 'line_crossing', topic, cameraTime };
  }
  return undefined;
}

function items(node: unknown): Record<string, unknown> {
  const list = Array.isArray(node) ? node : node ? [node] : [];
  const out: Record<string, unknown> = {};
  for (const it of list) {
    const a = (it as { $?: { Name?: unknown; Value?: unknown } }).$;
    if (a && typeof a.Name === 'string') out[a.Name] = a.Value;
  }
  return out;
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && /^(true|1)$/i.test(v));
}
