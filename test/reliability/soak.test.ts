/**
 * The soak (scripts/soak/): the supergraph as seven processes plus the embedded MongoDB, this
 * machine's Redis and PostgreSQL, a mixed workload for SOAK_SECONDS (default 120), then every
 * acknowledged write reconciled against the stores and the API. The bounds are the soak's own
 * (scripts/soak/index.ts BOUNDS), the same `npm run soak` reports against.
 */
import { ObjectId } from 'mongodb';
import { BOUNDS, UNBOUNDED_RSS, runSoak, verdict, type SoakResult } from '../../scripts/soak/index.js';
import { tallies, type Reconciliation } from '../../scripts/soak/reconcile.js';
import { soakReport } from '../../scripts/soak/report.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 120);

describe(`soak: ${seconds} s of mixed load`, () => {
  let result: SoakResult;
  /** The reconciliation again after the test removed or doubled a few records behind the API. */
  let tampered: Reconciliation | undefined;

  beforeAll(
    async () => {
      result = await runSoak({
        durationSeconds: seconds,
        users: Number(process.env.SOAK_USERS ?? 24),
        concurrency: Number(process.env.SOAK_CONNECTIONS ?? 8),
        rate: Number(process.env.SOAK_RATE ?? 5),
        // Once reconciled: a message and a reaction lost, a like counted twice, a notification
        // stored twice. The reconciliation must see each (else its zeros prove nothing).
        inspect: async (world, reconcile) => {
          const { ledger } = world;
          const users = [...ledger.users.keys()];
          const message = [...ledger.messages.values()][0]!;
          await world
            .db('chat')
            .collection('messages')
            .deleteOne({ _id: new ObjectId(message.id) });
          const reaction = [...ledger.reactions.keys()][0]!;
          await world
            .db('feed')
            .collection('likes')
            .deleteOne({ _id: reaction as never });
          const notifications = world.db('notification').collection('notifications');
          await notifications.updateOne(
            { type: 'Like', userId: { $in: users } },
            { $inc: { groupCount: 1 } },
          );
          const post = await notifications.findOne({ type: 'Post', userId: { $in: users } });
          await notifications.insertOne({ ...post, _id: new ObjectId() });
          tampered = await reconcile();
        },
      });
      console.log(soakReport(result));
    },
    (seconds + 600) * 1000,
  );

  it('did real work of every kind', () => {
    expect(result.durationSeconds).toBeGreaterThanOrEqual(seconds);
    for (const kind of ['feed', 'createPost', 'react', 'addComment', 'sendMessage', 'notifications']) {
      expect(result.operations[kind]?.count ?? 0).toBeGreaterThan(0);
    }
    expect(result.counts.reactions).toBeGreaterThan(0);
    expect(result.counts.messages).toBeGreaterThan(0);
    expect(result.reconciliation.notificationsStore.expected).toBeGreaterThan(0);
  });

  it('answered every operation without an error, and no process crashed', () => {
    expect(result.errors).toEqual([]);
    expect(result.crashes).toEqual([]);
    expect(result.counts.unacknowledged).toBe(0);
  });

  it('lost and duplicated nothing: messages, reactions, comments, notifications', () => {
    const r = result.reconciliation;
    for (const tally of tallies(r)) {
      expect({
        lost: tally.lost,
        duplicated: tally.duplicated,
        unexpected: tally.unexpected,
        examples: tally.examples,
      }).toEqual({
        lost: 0,
        duplicated: 0,
        unexpected: 0,
        examples: [],
      });
    }
    expect(r.messagesStore.expected).toBe(result.counts.messages);
    expect(r.reactionsStore.expected).toBe(result.counts.reactions);
    expect(r.counterMismatches).toBe(0);
    expect(r.notificationsApiMismatches).toBe(0);
    expect(result.deadLetters).toBe(0);
    expect(result.groupsAfterDrain.filter((g) => g.pending > 0 || g.lag > 0)).toEqual([]);
  });

  it('kept memory stable after warm-up', () => {
    expect(result.totalRss.slopePctPerMin).toBeLessThanOrEqual(BOUNDS.totalRssSlopePctPerMin);
    for (const rss of result.rss.filter((r) => !UNBOUNDED_RSS.has(r.process))) {
      expect({
        process: rss.process,
        growthPct: (rss.growthMb / rss.start) * 100 < BOUNDS.processRssGrowthPct,
      }).toEqual({
        process: rss.process,
        growthPct: true,
      });
    }
  });

  it('delivered events with bounded lag', () => {
    const lag = result.eventLag.all!;
    expect(lag.count).toBeGreaterThan(0);
    expect(lag.p99).toBeLessThanOrEqual(BOUNDS.eventLagP99Ms);
    expect(lag.max).toBeLessThanOrEqual(BOUNDS.eventLagMaxMs);
    const { post, like, comment } = result.liveNotificationsMissed;
    expect({ post, like, comment }).toEqual({ post: 0, like: 0, comment: 0 });
  });

  it('notices records lost or doubled behind its back', () => {
    expect(tampered).toBeDefined();
    const r = tampered!;
    expect(r.messagesStore.lost).toBe(1);
    expect(r.reactionsStore.lost).toBe(1);
    // The post still counts the removed reaction.
    expect(r.counterMismatches).toBe(1);
    // One group counting an event twice, one notification stored twice.
    expect(r.notificationsStore.duplicated).toBe(2);
    expect(r.notificationsStore.lost).toBe(0);
  });

  it('passes the verdict `npm run soak` reports', () => {
    expect(verdict(result)).toEqual([]);
  });
});
