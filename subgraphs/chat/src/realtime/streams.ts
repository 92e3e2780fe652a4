/**
 * The sources of the chat subscriptions: a pub/sub iterator turned into the events one
 * subscriber receives (the kit's Pump), with per-subscriber rules (ordering by sequence, typing
 * expiry, presence visibility, ending when the viewer is removed).
 */
export { Pump, type PumpControl } from '@social/kit';

/** What the sequencer needs to know of an event. */
export interface SequencedEvent {
  readonly kind: string;
  readonly sequence?: number;
}

/**
 * Delivers a conversation's MessageAdded events in sequence order, exactly once each, whatever
 * order pub/sub brought them in (two instances publish independently after their commits, and
 * pub/sub may lose a message). Other events keep their arrival order relative to the messages
 * that arrived before them. `missing()` names the gap to read from the database when it lasts.
 */
export class Sequencer<E extends SequencedEvent> {
  private expected: number;
  private held: E[] = [];

  /** `lastSequence`: the conversation's last sequence when the subscriber started. */
  constructor(lastSequence: number) {
    this.expected = lastSequence + 1;
  }

  get waiting(): boolean {
    return this.held.length > 0;
  }

  /** Takes an event; returns the events now deliverable, in order. */
  push(event: E): E[] {
    this.held.push(event);
    return this.drain();
  }

  /** The sequences [from, to) missing before the first held message, or null. */
  missing(): { from: number; to: number } | null {
    const pending = this.held.filter((e) => e.kind === 'MessageAdded').map((e) => e.sequence ?? 0);
    if (pending.length === 0) return null;
    return { from: this.expected, to: Math.min(...pending) };
  }

  /** Gives up on a gap that cannot be filled: continues from the first held message. */
  skipGap(): E[] {
    const gap = this.missing();
    if (gap) this.expected = gap.to;
    return this.drain();
  }

  private drain(): E[] {
    const out: E[] = [];
    for (let progressed = true; progressed;) {
      progressed = false;
      for (let index = 0; index < this.held.length; index += 1) {
        const event = this.held[index] as E;
        if (event.kind === 'MessageAdded') {
          const sequence = event.sequence ?? 0;
          if (sequence > this.expected) continue;
          if (sequence === this.expected) {
            out.push(event);
            this.expected += 1;
          }
          // Older than expected: a duplicate, or from before the subscription started.
        } else if (index === 0) {
          out.push(event);
        } else {
          // Behind a message still missing: keeps its place.
          continue;
        }
        this.held.splice(index, 1);
        progressed = true;
        break;
      }
    }
    return out;
  }
}
