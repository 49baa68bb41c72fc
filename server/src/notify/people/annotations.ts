import type { Annotation } from '../../alerts/changes.ts';
import type { PersonChannelName } from './transport.ts';

type Action = 'delivery_sent' | 'delivery_failed';
const MAX_NAMES = 20;

interface Pending {
  alertId: string;
  action: Action;
  channel: PersonChannelName;
  to: string[];
  count: number;
  detail: Record<string, unknown>;
}

/**
 * Delivery results as history sentences, gathered for a moment so that an alert sent to a
 * thousand phones gets one "sent via webpush to …" entry, not a thousand writes of the alert.
 */
export class DeliveryAnnotations {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly annotate: (alertId: string, annotation: Annotation) => void,
    private readonly windowMs = 200,
  ) {}

  add(alertId: string, action: Action, channel: PersonChannelName, to: string, detail: Record<string, unknown> = {}): void {
    const key = `${alertId}\u0000${action}\u0000${channel}\u0000${JSON.stringify(detail)}`;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { alertId, action, channel, to: [], count: 0, detail }));
    p.count++;
    if (p.to.length < MAX_NAMES && !p.to.includes(to)) p.to.push(to);
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  /** Writes what is gathered (also on stop, so nothing is lost from the history at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) this.annotate(p.alertId, { action: p.action, by: 'system', detail: { channel: p.channel, to: p.to, count: p.count, ...p.detail } });
  }
}
