import { textOf, type Manscdp, type XmlNode } from './xml.ts';

/** A MANSCDP Alarm notification (2016 edition §A.2.5.5 and the AlarmType table of §A.2.6). */
export interface GbAlarm {
  /** The alarm source: a channel, or the device itself. */
  sourceId: string;
  sn: string;
  /** 1 (most urgent) to 4. */
  priority: number;
  /** 1 telephone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other. */
  method: number;
  /** Sub-type within the method (2016 addition); undefined when the device gives none. */
  type: number | undefined;
  /** Epoch ms of AlarmTime, read as the platform's local time (the standard's times carry no zone). */
  time: number | undefined;
  description: string | undefined;
  longitude: number | undefined;
  latitude: number | undefined;
}

export type CameraEventType = 'video_loss' | 'tamper' | 'motion' | 'line_crossing';

/**
 * Which camera event an alarm is. Device alarms: 1 video loss, 2 tamper (防拆). Video alarms:
 * 2 motion detection, 5 tripwire, 6 intrusion (a motion in a zone), 11 video anomaly (blocked or
 * defocused lens, treated as tamper). Others (disk full, temperature, loitering...) have no
 * camera event and are only forwarded upward.
 */
export function cameraEventOf(alarm: Pick<GbAlarm, 'method' | 'type'>): CameraEventType | undefined {
  if (alarm.method === 2) return alarm.type === 1 ? 'video_loss' : alarm.type === 2 ? 'tamper' : undefined;
  if (alarm.method === 5) {
    switch (alarm.type) {
      case 2:
      case 6:
        return 'motion';
      case 5:
        return 'line_crossing';
      case 11:
        return 'tamper';
      default:
        return undefined;
    }
  }
  return undefined;
}

const num = (s: string | undefined, min: number, max: number): number | undefined => {
  if (s === undefined || !/^-?\d+(\.\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
};

/** `2026-12-03T10:15:00` (optionally with milliseconds), local time. */
export function parseGbTime(s: string | undefined): number | undefined {
  const m = s ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(s) : null;
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = new Date(y, mo - 1, d, h, mi, se, m[7] ? Number(m[7].padEnd(3, '0')) : 0);
  return t.getMonth() === mo - 1 && t.getDate() === d ? t.getTime() : undefined;
}

export function formatGbTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export class AlarmBodyError extends Error {}

export function parseAlarm(m: Manscdp): GbAlarm {
  const b = m.body;
  const priority = num(textOf(b, 'AlarmPriority'), 1, 4);
  const method = num(textOf(b, 'AlarmMethod'), 1, 7);
  if (priority === undefined || !Number.isInteger(priority)) throw new AlarmBodyError('AlarmPriority must be 1 to 4');
  if (method === undefined || !Number.isInteger(method)) throw new AlarmBodyError('AlarmMethod must be 1 to 7');
  const info = b.Info;
  const typeText = textOf(b, 'AlarmType') ?? (info && typeof info === 'object' && !Array.isArray(info) ? textOf(info as XmlNode, 'AlarmType') : undefined);
  const time = textOf(b, 'AlarmTime');
  const parsedTime = parseGbTime(time);
  if (time !== undefined && parsedTime === undefined) throw new AlarmBodyError(`AlarmTime "${time.slice(0, 30)}" is not YYYY-MM-DDTHH:MM:SS`);
  return {
    sourceId: m.deviceId,
    sn: m.sn,
    priority,
    method,
    type: num(typeText, 0, 999),
    time: parsedTime,
    description: textOf(b, 'AlarmDescription')?.slice(0, 500),
    longitude: num(textOf(b, 'Longitude'), -180, 180),
    latitude: num(textOf(b, 'Latitude'), -90, 90),
  };
}
