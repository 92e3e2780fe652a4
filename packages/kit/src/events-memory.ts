import type { Logger } from './logger.js';
import {
  DEAD_SUFFIX,
  assertName,
  positiveInt,
  settingsOf,
  createEnvelope,
  encodeEnvelope,
  decodeDeadLetter,
  deadLetterFields,
  deliver,
  type EventEnvelope,
  type EventHandler,
  type EventSubscribeOptions,
  type EventSubscription,
  type DeadLetter,
  type EventBus,
  type Fields,
  type Settings,
  type Delivery,
} from './event-bus.js';

interface MemoryEntry {
  readonly seq: number;
  readonly streamId: string;
  readonly fields: Fields;
}

interface MemoryPending {
  readonly entry: MemoryEntry;
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}

/** A consumer group's state, mirroring Redis: a cursor into the stream and a pending-entries list. */
class MemoryGroup {
  /** Sequence number of the last entry handed out as new. */
  lastDelivered = 0;
  /** Delivered but not acknowledged, by sequence number. */
  readonly pending = new Map<number, MemoryPending>();
  private readonly waiters = new Set<() => void>();

  /**
   * Resolves on the next notify(), after `ms`, or when the function passed to `register` is called
   * (how a stopping subscription interrupts its own wait).
   */
  wait(ms: number | undefined, register: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      if (ms !== undefined) {
        timer = setTimeout(done, ms);
        timer.unref();
      }
      this.waiters.add(done);
      register(done);
    });
  }

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A bounded log, like a stream with MAXLEN: the oldest entries go first. */
class MemoryStream {
  readonly entries: MemoryEntry[] = [];
  readonly groups = new Map<string, MemoryGroup>();
  private nextSeq = 1;

  constructor(private readonly maxLen: number) {}

  append(fields: Fields): MemoryEntry {
    const seq = this.nextSeq++;
    const entry = { seq, streamId: `${Date.now()}-${seq}`, fields };
    this.entries.push(entry);
    if (this.entries.length > this.maxLen) this.entries.splice(0, this.entries.length - this.maxLen);
    for (const group of this.groups.values()) group.notify();
    return entry;
  }

  /** The first entry after `seq`, if any; sequence numbers are contiguous so this is an index lookup. */
  after(seq: number): MemoryEntry | undefined {
    const first = this.entries[0];
    if (!first) return undefined;
    return this.entries[Math.max(0, seq + 1 - first.seq)];
  }
}

export interface MemoryEventBusOptions {
  readonly logger: Logger;
  /** Entries kept per stream (default 10 000) for groups that subscribe later. */
  readonly maxLen?: number;
}

/**
 * The event bus for a single process without Redis, with the Redis bus's semantics: each group gets
 * every event; consumers of a group share the work; failures are retried after retryIdleMs and
 * dead-lettered after maxDeliveries; events published before a group first subscribes are delivered
 * (as far as the bounded log reaches). Nothing survives a restart.
 */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly streams = new Map<string, MemoryStream>();
  private readonly subscriptions = new Set<MemorySubscription>();
  private readonly maxLen: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: MemoryEventBusOptions) {
    this.logger = options.logger.child({ component: 'events', kind: 'memory' });
    this.maxLen = positiveInt('maxLen', options.maxLen ?? 10_000);
  }

  async publish<T>(
    producer: string,
    type: string,
    data: T,
    options?: { id?: string },
  ): Promise<EventEnvelope<T>> {
    if (this.closed) throw new Error('EventBus is closed');
    const event = createEnvelope(producer, type, data, options?.id);
    this.stream(producer).append(encodeEnvelope(event));
    return event;
  }

  async subscribe(
    producer: string,
    group: string,
    handler: EventHandler,
    options?: EventSubscribeOptions,
  ): Promise<EventSubscription> {
    if (this.closed) throw new Error('EventBus is closed');
    assertName('producer', producer, true);
    assertName('group', group);
    const settings = settingsOf(options);
    const stream = this.stream(producer);
    let state = stream.groups.get(group);
    if (!state) {
      state = new MemoryGroup();
      stream.groups.set(group, state);
    }
    const subscription = new MemorySubscription({
      producer,
      group,
      state,
      stream,
      handler,
      settings,
      logger: this.logger.child({ stream: producer, group, consumer: settings.consumer }),
      deadLetter: (delivery, error) => {
        this.stream(producer + DEAD_SUFFIX).append(
          deadLetterFields(delivery.fields ?? {}, group, settings.consumer, error, delivery.deliveries),
        );
      },
      onStopped: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async readDeadLetters(producer: string, options?: { count?: number }): Promise<DeadLetter[]> {
    assertName('producer', producer);
    const count = positiveInt('count', options?.count ?? 100);
    const entries = this.streams.get(producer + DEAD_SUFFIX)?.entries ?? [];
    return entries.slice(0, count).map((e) => decodeDeadLetter(e.fields, e.streamId, producer));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.streams.clear();
  }

  private stream(producer: string): MemoryStream {
    let stream = this.streams.get(producer);
    if (!stream) {
      stream = new MemoryStream(this.maxLen);
      this.streams.set(producer, stream);
    }
    return stream;
  }
}

interface MemorySubscriptionInit {
  readonly producer: string;
  readonly group: string;
  readonly state: MemoryGroup;
  readonly stream: MemoryStream;
  readonly handler: EventHandler;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly deadLetter: (delivery: Delivery, error: string) => void;
  readonly onStopped: (subscription: MemorySubscription) => void;
}

class MemorySubscription implements EventSubscription {
  readonly producer: string;
  readonly group: string;
  readonly consumer: string;
  private readonly init: MemorySubscriptionInit;
  private readonly loop: Promise<void>;
  private stopping = false;
  private wakeUp: (() => void) | undefined;

  constructor(init: MemorySubscriptionInit) {
    this.init = init;
    this.producer = init.producer;
    this.group = init.group;
    this.consumer = init.settings.consumer;
    this.loop = this.run().finally(() => init.onStopped(this));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    // Start the loop on a later tick, as a Redis consumer would: subscribe() returns first.
    await Promise.resolve();
    const { state } = this.init;
    // A restarted consumer finishes what its name still holds before anything else.
    const own = [...state.pending.values()].filter((p) => p.consumer === this.consumer);
    for (const pending of own.sort((a, b) => a.entry.seq - b.entry.seq)) {
      if (this.stopping) return;
      if (state.pending.get(pending.entry.seq) !== pending || pending.consumer !== this.consumer) continue;
      await this.process(this.redeliver(pending));
    }
    while (!this.stopping) {
      const pending = this.claimIdle() ?? this.takeNew();
      if (pending) await this.process(pending);
      else await state.wait(this.untilNextRetry(), (wake) => (this.wakeUp = wake));
    }
  }

  /** Like XAUTOCLAIM: the oldest entry of the group idle for retryIdleMs, now held by this consumer. */
  private claimIdle(): MemoryPending | undefined {
    const cutoff = Date.now() - this.init.settings.retryIdleMs;
    for (const pending of this.init.state.pending.values()) {
      if (pending.deliveredAt <= cutoff) return this.redeliver(pending);
    }
    return undefined;
  }

  private redeliver(pending: MemoryPending): MemoryPending {
    pending.consumer = this.consumer;
    pending.deliveries += 1;
    pending.deliveredAt = Date.now();
    return pending;
  }

  /** Like XREADGROUP '>': the next entry no consumer of the group has seen. */
  private takeNew(): MemoryPending | undefined {
    const { state, stream } = this.init;
    const entry = stream.after(state.lastDelivered);
    if (!entry) return undefined;
    state.lastDelivered = entry.seq;
    const pending = { entry, consumer: this.consumer, deliveries: 1, deliveredAt: Date.now() };
    state.pending.set(entry.seq, pending);
    return pending;
  }

  /** Ms until the earliest pending entry becomes claimable, or undefined when nothing is pending. */
  private untilNextRetry(): number | undefined {
    let earliest: number | undefined;
    for (const pending of this.init.state.pending.values()) {
      if (earliest === undefined || pending.deliveredAt < earliest) earliest = pending.deliveredAt;
    }
    return earliest === undefined
      ? undefined
      : Math.max(1, earliest + this.init.settings.retryIdleMs - Date.now());
  }

  private async process(pending: MemoryPending): Promise<void> {
    const { state, handler, settings, logger } = this.init;
    const seq = pending.entry.seq;
    const delivery: Delivery = {
      streamId: pending.entry.streamId,
      fields: pending.entry.fields,
      deliveries: pending.deliveries,
    };
    await deliver(
      delivery,
      handler,
      settings,
      {
        ack: async () => {
          state.pending.delete(seq);
        },
        deadLetter: async (d, error) => {
          this.init.deadLetter(d, error);
          state.pending.delete(seq);
        },
      },
      logger,
    );
  }
}

// ---------------------------------------------------------------------------------------------
