import type { Alert } from '#devices';
import type { AddressedChange } from '../../alerts/changes.ts';
import type { Person } from '../../grid/model.ts';

/**
 * Delivery to one person on one channel (Web Push, WeCom app message, DingTalk work notification,
 * SMS, voice call). The people channel fans an addressed change (opened, reminded, escalated) out
 * to (recipient × channel) items in the durable outbox; a transport only sends one item and says
 * how it went. A transport never decides who hears what: the ladder does.
 */
export type PersonChannelName = 'webpush' | 'wecom' | 'dingtalk' | 'sms' | 'voice';

/** The person with the addresses the config file gives them (worker `accounts`). */
export interface PersonRecipient extends Person {
  accounts?: { wecom?: string; dingtalk?: string };
}

export interface PersonMessage {
  /** idempotency key: one message per (alert, change, level, recipient, channel) */
  key: string;
  change: AddressedChange['type'];
  level: number;
  alert: Alert;
  recipient: PersonRecipient;
  /** where the device is, by name, in both languages (devices/src/place.ts) */
  place: { zh: string; en: string };
  /** one-tap, single-use acknowledgement link bound to this alert and this recipient */
  ackUrl: string;
}

/**
 * A case (事件) for a person: dispatched to them, a deadline near (reminded), passed (overdue),
 * or escalated to them. It goes through the same outbox and channels as alerts; it has no
 * acknowledgement link (one acts on a case on /worker), only a link to it.
 */
export interface CaseMessage {
  kind: 'case';
  /** idempotency key: one message per (case, stage, level, recipient, channel) */
  key: string;
  change: 'dispatched' | 'reminded' | 'overdue' | 'escalated';
  level: number;
  case: {
    id: string;
    code: string;
    title: string;
    category: { zh: string; en: string };
    communityId: string;
    gridCellId: string | null;
    /** the stage whose deadline this is about (the disposal, for a dispatch) */
    stage: string;
    deadline: number | null;
    /** the deadline as the calendar's local time, "2026-02-21 17:30" */
    due: string | null;
  };
  recipient: PersonRecipient;
  /** where, by name (community / cell), in both languages */
  place: { zh: string; en: string };
  /** absolute link to the case on /worker */
  openUrl: string;
}

/** What the outbox carries: an alert's message or a case's. */
export type OutboxMessage = PersonMessage | CaseMessage;

export function isCaseMessage(m: OutboxMessage): m is CaseMessage {
  return (m as CaseMessage).kind === 'case';
}

export interface SendResult {
  ok: boolean;
  /** false for a permanent refusal (bad address, 404/410 subscription): never retried */
  retry?: boolean;
  status?: number;
  error?: string;
  /** the provider's id for the message, to update or recall it later (e.g. a WeCom card) */
  providerMessageId?: string;
}

export interface PersonTransport {
  readonly channel: PersonChannelName;
  /** Side effects (token refresh timers, stream connections) begin here, never in the constructor. */
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
  /** Whether this person can be reached on this channel at all (has a subscription, an account id, a phone). */
  reachable(recipient: PersonRecipient): boolean;
  send(message: PersonMessage): Promise<SendResult>;
  /** Sends a case message; a channel without it cannot carry cases (the case channel skips it). */
  sendCase?(message: CaseMessage): Promise<SendResult>;
  /**
   * The alert was acknowledged, on any channel or the dashboard: update what this channel sent
   * (grey out a card's button, say who). Called once per acknowledgement; failures are logged.
   */
  acknowledged?(alertId: string, by: string): Promise<void> | void;
}
