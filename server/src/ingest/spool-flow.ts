import { isAlertTopic, parseDeviceTopic, type SubscriptionLane } from '#devices';
import type { Journal } from '../spool/journal.ts';
import type { InboundMessage } from './batch-subscriber.ts';
import type { IngestPipeline } from './pipeline.ts';

/** Messages handled before the event loop gets a turn: about a millisecond of work. */
const BATCH_SLICE = 64;

/**
 * Flow control between the broker and the spool: the hot path of every message. Acks wait for
 * the journal append, and a full spool holds them (backpressure, not loss) until release().
 */
export class SpoolFlow {
  /** Batches waiting for spool space, events' ahead of telemetry's. */
  private readonly waiters: Record<SubscriptionLane, (() => void)[]> = { events: [], telemetry: [] };
  /** Telemetry published to the embedded broker, gathered for one append and one release of PUBACKs. */
  private embeddedBatch: { messages: InboundMessage[]; dones: (() => void)[] } | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly pipeline: IngestPipeline,
  ) {}

  /**
   * Spools what the budget allows, then holds the rest (and so the broker's delivery: the ack
   * comes only once every message is spooled) until the writer frees space or the disk takes
   * writes again. Backpressure, not loss. Telemetry stops short of the events' reserve; events
   * and status may use it, and events that find even the reserve used up are still evaluated
   * at once (rules, alerts, live views) and only their spooling and their acks wait; on an
   * external broker the events lane keeps reading meanwhile (BatchSubscriber maxHeldMessages).
   */
  onBatch(messages: InboundMessage[], ack: () => void, lane: SubscriptionLane): void {
    const journal = this.journal;
    const blocked = lane === 'events' ? () => journal.full : () => journal.telemetryFull;
    let next = 0;
    let held: string[] = [];
    const spoolSome = () => {
      const receivedAt = Date.now();
      const sliceEnd = Math.min(messages.length, next + BATCH_SLICE);
      journal.batch(() => {
        if (held.length > 0 && !blocked()) {
          let i = 0;
          while (i < held.length && !blocked()) journal.append(held[i++]!);
          held = i === held.length ? [] : held.slice(i);
        }
        while (next < sliceEnd && held.length === 0 && !blocked()) {
          const m = messages[next++]!;
          this.pipeline.handle(m.topic, m.payload, receivedAt);
        }
        // Every held event is evaluated now, not one per freed slot: an alarm behind routine
        // events must not wait for the store either.
        if (lane === 'events' && next < messages.length && (held.length > 0 || blocked())) {
          while (next < messages.length) {
            const m = messages[next++]!;
            this.pipeline.handle(m.topic, m.payload, receivedAt, (line) => held.push(line));
          }
        }
      });
      if (next >= messages.length && held.length === 0 && !journal.holding) ack();
      else if (blocked()) this.waiters[lane].push(spoolSome);
      // A long batch yields between slices, so an alarm on the events lane never waits behind it.
      else setImmediate(spoolSome);
    };
    spoolSome();
  }

  /** Spool space came back (the writer committed, or the disk takes writes again): resume held batches. */
  release(): void {
    const { events, telemetry } = this.waiters;
    while (events.length > 0 && !this.journal.full) events.shift()!();
    while (telemetry.length > 0 && !this.journal.telemetryFull) telemetry.shift()!();
  }

  /**
   * The embedded broker's publish path: aedes writes a QoS 1 PUBACK once this calls `done`, so it
   * is called only after the journal append (or the rejection). Events and status go through on
   * their own at once; telemetry that arrives in the same turn of the event loop (a socket read,
   * several clients) is spooled with one write and released together. A full spool holds `done`,
   * and aedes reads nothing more from that client meanwhile: backpressure.
   */
  onEmbeddedPublish(packet: { topic: string; payload: Buffer | string }, done: () => void): void {
    const message = { topic: packet.topic, payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload };
    if (isAlertTopic(message.topic)) return done();
    const parsed = parseDeviceTopic(message.topic);
    if (typeof parsed !== 'string' && parsed.channel !== 'telemetry') return this.onBatch([message], done, 'events');
    if (!this.embeddedBatch) {
      const batch = (this.embeddedBatch = { messages: [] as InboundMessage[], dones: [] as (() => void)[] });
      setImmediate(() => {
        this.embeddedBatch = undefined;
        this.onBatch(batch.messages, () => {
          for (const d of batch.dones) d();
        }, 'telemetry');
      });
    }
    this.embeddedBatch.messages.push(message);
    this.embeddedBatch.dones.push(done);
  }
}
