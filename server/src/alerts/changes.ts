import type { Alert, AlertHistoryEntry } from '#devices';
import type { Person } from '../grid/model.ts';

/** An alert camera snapshot, as kept in `alert.snapshots`. */
export type AlertSnapshot = NonNullable<Alert['snapshots']>[number];

/** The people a change must reach, for channels that address people rather than broadcast. */
interface Addressed {
  recipients: readonly Person[];
  /** true when the community's control room is among the recipients */
  controlRoom: boolean;
  /** the alert's escalation level when the change was made */
  level: number;
}

/**
 * One change of one alert, as the alert service emits it. `alert` is the alert after the change;
 * the rest is what the change itself says. Consumers switch on `type`: the stored `history`
 * stays the record, not the signal.
 *
 * - `opened` also covers joining an existing incident (`grouped`; history `grouped`).
 * - `repeated` also covers the condition coming back after it had cleared (`recurred`; history
 *   `recurred`): the same alert, `count` raised, `clearedAt` back to null.
 * - `snapshot_attached` changes the alert's content (`snapshots`), so whole-alert channels send it.
 * - `annotated` adds only a history entry (delivery results): channels send the entry, if anything,
 *   never the whole alert again.
 */
export type AlertChange =
  | ({ type: 'opened'; alert: Alert; grouped: boolean } & Addressed)
  | { type: 'repeated'; alert: Alert; recurred: boolean }
  | { type: 'cleared'; alert: Alert }
  | ({ type: 'escalated'; alert: Alert } & Addressed)
  | ({ type: 'reminded'; alert: Alert } & Addressed)
  | { type: 'acknowledged'; alert: Alert; actor: string }
  | { type: 'assigned'; alert: Alert; actor: string; assignee: string }
  | { type: 'resolved'; alert: Alert; actor: string; note: string }
  | { type: 'snapshot_attached'; alert: Alert; snapshot: AlertSnapshot }
  | { type: 'annotated'; alert: Alert; entry: AlertHistoryEntry };

export type AlertChangeType = AlertChange['type'];

/** The changes that must reach people: a new alert, a reminder, an escalation. */
export type AddressedChange = Extract<AlertChange, { type: 'opened' | 'reminded' | 'escalated' }>;

export function addressedChange(change: AlertChange): AddressedChange | undefined {
  switch (change.type) {
    case 'opened':
    case 'reminded':
    case 'escalated':
      return change;
    default:
      return undefined;
  }
}

/** A history entry added from outside the lifecycle (a channel's delivery result). */
export type Annotation = Omit<AlertHistoryEntry, 'at'>;
