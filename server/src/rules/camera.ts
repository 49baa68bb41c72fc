import type { KindRule, Signal } from './types.ts';

/** Cameras: tamper, video loss, unreachable, clock drift. */
export const cameraRule: KindRule = ({ msg, thresholds: t }) => {
  const out: Signal[] = [];
  if (msg.channel === 'event') {
    if (msg.type === 'tamper') out.push({ type: 'camera_tamper', action: 'event' });
    else if (msg.type === 'video_loss') out.push({ type: 'video_loss', action: 'active' });
    else if (msg.type === 'video_restored') out.push({ type: 'video_loss', action: 'clear' });
    return out;
  }
  if (msg.channel !== 'telemetry') return out;
  const r = msg.readings;
  if (typeof r.reachable === 'boolean') out.push({ type: 'camera_unreachable', action: r.reachable ? 'clear' : 'active' });
  if (typeof r.clock_drift_s === 'number') {
    out.push({ type: 'clock_drift', action: Math.abs(r.clock_drift_s) > t.camera.maxClockDriftS ? 'active' : 'clear', detail: { clock_drift_s: r.clock_drift_s } });
  }
  return out;
};
