/**
 * The per-subscriber stream rules on their own: messages in sequence order exactly once whatever
 * order pub/sub delivers them in, other events kept behind the messages that came before them,
 * and a stream that ends at once when the client leaves and after its last event when told to.
 */
import { MemoryPubSub, silentLogger } from '@social/kit';
import { Pump, Sequencer } from '../src/realtime/streams.js';

type Event = { kind: string; sequence?: number; id?: string };
const added = (sequence: number): Event => ({ kind: 'MessageAdded', sequence });

describe('Sequencer', () => {
  test('delivers messages in sequence order, each once, from the start position on', () => {
    const sequencer = new Sequencer<Event>(10);
    expect(sequencer.push(added(12))).toEqual([]);
    expect(sequencer.missing()).toEqual({ from: 11, to: 12 });
    expect(sequencer.push(added(9))).toEqual([]); // before the subscription started
    expect(sequencer.push(added(11))).toEqual([added(11), added(12)]);
    expect(sequencer.push(added(12))).toEqual([]); // a duplicate
    expect(sequencer.waiting).toBe(false);
    expect(sequencer.push(added(13))).toEqual([added(13)]);
  });

  test('keeps other events behind a message still missing, in arrival order', () => {
    const sequencer = new Sequencer<Event>(0);
    const edit = { kind: 'MessageEdited', sequence: 2, id: 'edit' };
    const receipt = { kind: 'ReadReceipt', id: 'receipt' };
    expect(sequencer.push(receipt)).toEqual([receipt]);
    expect(sequencer.push(added(2))).toEqual([]);
    expect(sequencer.push(edit)).toEqual([]);
    expect(sequencer.push(added(1))).toEqual([added(1), added(2), edit]);
  });

  test('gives up on a gap nothing can fill and continues from the first held message', () => {
    const sequencer = new Sequencer<Event>(0);
    sequencer.push(added(3));
    expect(sequencer.missing()).toEqual({ from: 1, to: 3 });
    expect(sequencer.skipGap()).toEqual([added(3)]);
    expect(sequencer.push(added(4))).toEqual([added(4)]);
  });
});

describe('Pump', () => {
  const pubsub = new MemoryPubSub({ logger: silentLogger() });
  afterAll(() => pubsub.close());

  test('emits what the handler makes of each input, and ends after the queued events when told', async () => {
    const source = pubsub.subscribe<number>('pump-end');
    const pump = new Pump<number, string>(source, (value, control) => {
      control.emit(`got ${value}`);
      if (value === 2) control.end();
    });
    let cleaned = false;
    pump.onEnd(() => {
      cleaned = true;
    });
    for (const value of [1, 2, 3]) await pubsub.publish('pump-end', value);
    expect(await pump.next()).toEqual({ value: 'got 1', done: false });
    expect(await pump.next()).toEqual({ value: 'got 2', done: false });
    expect(await pump.next()).toEqual({ value: undefined, done: true });
    expect(cleaned).toBe(true);
  });

  test('return() frees the subscription at once, even while waiting for the next event', async () => {
    const source = pubsub.subscribe<number>('pump-return');
    const pump = new Pump<number, number>(source, (value, control) => control.emit(value));
    const pending = pump.next();
    await pump.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await source.next()).toEqual({ value: undefined, done: true });
  });

  test('timer tasks run between inputs, one at a time', async () => {
    const source = pubsub.subscribe<number>('pump-run');
    const pump = new Pump<number, string>(source, async (value, control) => {
      control.run(() => control.emit(`after ${value}`));
      control.emit(`input ${value}`);
    });
    await pubsub.publish('pump-run', 1);
    expect(await pump.next()).toEqual({ value: 'input 1', done: false });
    expect(await pump.next()).toEqual({ value: 'after 1', done: false });
    await pump.return();
  });
});
