import { Type } from '@sinclair/typebox';
import { OptionalNonNegativeNumber as N, defineKind, type KindSignal } from './common.ts';

export const camera = defineKind({
  kind: 'camera',
  label: { zh: '摄像机', en: 'Camera' },
  fields: {
    reachable: { schema: Type.Boolean(), label: { zh: '可访问', en: 'Reachable' }, rollup: 'mean' },
    fps: { schema: Type.Number({ minimum: 0, maximum: 1000 }), unit: 'fps', label: { zh: '帧率', en: 'Frame rate' }, rollup: 'mean' },
    bitrate_kbps: { schema: Type.Number({ minimum: 0, maximum: 10_000_000 }), unit: 'kbps', label: { zh: '码率', en: 'Bitrate' }, rollup: 'mean' },
    clock_drift_s: { schema: Type.Number({ minimum: -1e9, maximum: 1e9 }), unit: 's', label: { zh: '时钟偏差', en: 'Clock drift' }, rollup: 'mean' },
  },
  events: {
    motion: { zh: '移动侦测', en: 'Motion' },
    tamper: { zh: '防拆', en: 'Tamper' },
    video_loss: { zh: '视频丢失', en: 'Video loss' },
    video_restored: { zh: '视频恢复', en: 'Video restored' },
    line_crossing: { zh: '越线', en: 'Line crossing' },
  },
  alerts: {
    camera_tamper: { severity: 'major', label: { zh: '摄像机被遮挡或破坏', en: 'Camera tampered' } },
    video_loss: { severity: 'major', label: { zh: '视频丢失', en: 'Video loss' } },
    camera_unreachable: { severity: 'major', label: { zh: '摄像机无法访问', en: 'Camera unreachable' } },
    clock_drift: { severity: 'minor', label: { zh: '摄像机时钟偏差', en: 'Camera clock drift' } },
    // Raised by the rule engine (server/src/rules/engine.ts): it needs other devices' open alerts.
    intrusion_motion: { severity: 'info', label: { zh: '闯入后画面有移动', en: 'Motion after intrusion' } },
  },
  thresholdsKey: 'camera',
  thresholds: { maxClockDriftS: 5 },
  thresholdOverrides: Type.Object({ maxClockDriftS: N() }),
  /** Tamper, video loss, unreachable, clock drift. */
  rule: ({ msg, thresholds: t }) => {
    const out: KindSignal<'camera_tamper' | 'video_loss' | 'camera_unreachable' | 'clock_drift'>[] = [];
    if (msg.channel === 'event') {
      if (msg.type === 'tamper') out.push({ type: 'camera_tamper', action: 'event' });
      else if (msg.type === 'video_loss') out.push({ type: 'video_loss', action: 'active' });
      else if (msg.type === 'video_restored') out.push({ type: 'video_loss', action: 'clear' });
      return out;
    }
    const r = msg.readings;
    if (typeof r.reachable === 'boolean') out.push({ type: 'camera_unreachable', action: r.reachable ? 'clear' : 'active' });
    if (typeof r.clock_drift_s === 'number') {
      out.push({ type: 'clock_drift', action: Math.abs(r.clock_drift_s) > t.maxClockDriftS ? 'active' : 'clear', detail: { clock_drift_s: r.clock_drift_s } });
    }
    return out;
  },
  // The ONVIF bridge polls health on this period.
  reportingPeriodS: 60,
  offlineSeverity: 'major',
});
