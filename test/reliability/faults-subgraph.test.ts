/**
 * Fault: a subgraph crashes (SIGKILL of its own process) under load and comes back on the same
 * port. The gateway keeps answering the other subgraphs' fields, with errors for the dead one's
 * (promptly, with a code: no hang), and returns to whole answers by itself once it is back.
 * A live subscription through the gateway over a crashed subgraph resumes when it returns.
 *
 * The crashed subgraph runs as a child process (the production launcher, from source) sharing
 * the harness's Redis and MongoDB; the rest of the supergraph runs in this process.
 */
import type { TestAccount } from '@social/testing';
import { ObjectId } from 'mongodb';
import { startLoad, summarize, timeUntil, type Outcome } from './faults/load.js';
import { sleep } from './faults/processes.js';
import { supergraphOnPrivateRedis } from './faults/redis-server.js';
import { operationError, reportFigures } from './faults/report.js';
import { moveSubgraphToChild, type SubgraphProcess } from './faults/subgraph-process.js';

const OUTAGE_MS = 5_000;

const bed = supergraphOnPrivateRedis();

/** feed (post), profile (author's displayName), auth (me) and notification (count) in one request. */
const SPANNING = `query ($id: ID!) {
  post(id: $id) { id content author { id displayName } }
  me { id username }
  unreadNotificationCount
}`;

interface Spanning {
  post: { id: string; content: string; author: { id: string; displayName: string | null } } | null;
  me: { id: string; username: string } | null;
  unreadNotificationCount: number | null;
}

type Shape = 'whole' | 'partial' | 'failed';
interface Answer {
  shape: Shape;
  /** Codes of the errors (partial answers). */
  codes: string[];
  /** The first error (partial answers), for the report. */
  sample?: unknown;
  /** What was wrong with a failed one. */
  problem?: string;
}

async function postAs(author: TestAccount, content: string): Promise<string> {
  const response = await bed.sg.query<{ createPost: { id: string } }>(
    'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }',
    { input: { content, visibility: 'PUBLIC' } },
    { token: author.token },
  );
  if (!response.data?.createPost) throw operationError(response);
  return response.data.createPost.id;
}

test('profile killed under load: partial data with errors during the outage, whole answers after it returns', async () => {
  const [alice, bob] = [await bed.sg.user({ firstName: 'Alice' }), await bed.sg.user()];
  const postId = await postAs(alice, 'a post read during the fault');
  const expected = { post: { id: postId, content: 'a post read during the fault' }, me: { id: bob.id } };
  // Alice's profile exists (auth's UserRegistered reached profile).
  let displayName = '';
  await timeUntil(async () => {
    const r = await bed.sg.query<Spanning>(SPANNING, { id: postId }, { token: bob.token });
    displayName = r.data?.post?.author.displayName ?? '';
    return displayName !== '' && !r.errors;
  }, 'a whole answer before the fault');

  const profile: SubgraphProcess = await moveSubgraphToChild(bed.sg, 'profile');
  try {
    const classify = (r: {
      data?: Spanning | null;
      errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }>;
    }): Answer => {
      const codes = (r.errors ?? []).map((e) => String(e.extensions?.code ?? 'NO_CODE'));
      const d = r.data;
      const othersThere =
        d?.post?.id === expected.post.id &&
        d.post.content === expected.post.content &&
        d.me?.id === expected.me.id &&
        typeof d.unreadNotificationCount === 'number';
      if (!othersThere) return { shape: 'failed', codes, problem: JSON.stringify(r).slice(0, 300) };
      if (codes.length === 0 && d.post?.author.displayName === displayName) return { shape: 'whole', codes };
      if (codes.length > 0 && d.post?.author.displayName === null)
        return { shape: 'partial', codes, sample: r.errors?.[0] };
      return { shape: 'failed', codes, problem: JSON.stringify(r).slice(0, 300) };
    };
    const load = startLoad<Answer>(
      async () => {
        const answer = classify(await bed.sg.query<Spanning>(SPANNING, { id: postId }, { token: bob.token }));
        if (answer.shape === 'failed') throw Object.assign(new Error(answer.problem), { code: 'FAILED' });
        return answer;
      },
      { concurrency: 4 },
    );
    let killedAt = 0;
    let restartedAt = 0;
    let wholeAgainMs = 0;
    let startupMs = 0;
    try {
      await load.progress(20);
      killedAt = Date.now();
      await profile.kill();
      await sleep(OUTAGE_MS);
      restartedAt = Date.now();
      await profile.start();
      const listeningAt = Date.now();
      wholeAgainMs = await timeUntil(async () => {
        const answers = load.between(listeningAt, Infinity).filter((o) => o.value?.shape === 'whole');
        return answers.length >= 5;
      }, 'whole answers after profile returned');
      startupMs = listeningAt - restartedAt;
    } finally {
      await load.stop();
    }

    const during = load.between(killedAt + 200, restartedAt);
    const shapes = (outcomes: readonly Outcome<Answer>[]) => {
      const count: Record<string, number> = {};
      for (const o of outcomes) {
        const key = o.value?.shape ?? `failed`;
        count[key] = (count[key] ?? 0) + 1;
      }
      return count;
    };
    const codes = new Set(during.flatMap((o) => o.value?.codes ?? []));
    const health = await fetch(new URL('/health', bed.sg.gatewayUrl));
    reportFigures('subgraph (profile) killed under load', {
      mode: 'SIGKILL of a child-process profile subgraph, restarted on the same port',
      outageMs: restartedAt - killedAt,
      duringOutage: { ...summarize(during), shapes: shapes(during), errorCodes: [...codes] },
      childStartupMs: startupMs,
      wholeAnswersAfterItListensMs: wholeAgainMs,
      samplePartialError: during.find((o) => o.value?.sample)?.value?.sample,
      overall: { ...summarize(load.outcomes), shapes: shapes(load.outcomes) },
    });

    expect(health.status).toBe(200);
    expect(during.length).toBeGreaterThan(10);
    // During the outage: every answer carries the other subgraphs' data plus errors with a code.
    expect(during.filter((o) => o.error !== undefined).map((o) => o.message)).toEqual([]);
    expect(during.every((o) => o.value?.shape === 'partial')).toBe(true);
    expect([...codes].filter((code) => code === 'NO_CODE')).toEqual([]);
    // Promptly: a refused connection is answered at once, not after a timeout.
    expect(summarize(during).maxMs).toBeLessThan(10_000);
  } finally {
    await profile.stop();
    await bed.sg.stack.startSubgraph('profile');
  }
});

test('notification killed under a live subscription: the gateway resubscribes when it returns', async () => {
  const [alice, bob] = [await bed.sg.user(), await bed.sg.user()];
  const notification = await moveSubgraphToChild(bed.sg, 'notification');
  const live = bed.sg.subscribe<{ notificationAdded: { type: string; relatedEntityId: string | null } }>(
    'subscription { notificationAdded { type relatedEntityId } }',
    {},
    { token: bob.token },
  );
  const seen = new Set<string>();
  let ended = false;
  void live.completed.then(() => (ended = true));
  let pumping = true;
  const pump = (async () => {
    while (pumping && !ended) {
      const event = await live.next(1_000).catch(() => undefined);
      const id = event?.data?.notificationAdded.relatedEntityId;
      if (id) seen.add(id);
    }
  })();
  // A mention of Bob announced on feed's stream, as feed does it; notification turns it into a
  // notification and pushes it to Bob's subscription.
  const mention = async () => {
    const postId = new ObjectId().toHexString();
    await bed.sg.stack.resources.events.publish('feed', 'UserMentioned', {
      postId,
      postAuthorId: alice.id,
      postVisibility: 'PUBLIC',
      audienceUserIds: [],
      postPreview: 'hi @bob',
      actorId: alice.id,
      mentionedUserIds: [bob.id],
      source: 'POST',
      commentId: null,
      preview: 'hi @bob',
      mentionedAt: new Date().toISOString(),
    });
    return postId;
  };
  const reaches = async (what: string) => {
    let postId = '';
    return timeUntil(async () => {
      if (postId !== '' && seen.has(postId)) return true;
      // Each try announces a new mention: one sent before the subscription is live is not replayed.
      postId = await mention();
      await sleep(1_000);
      return seen.has(postId);
    }, what);
  };
  try {
    const before = await reaches('a mention reaching the live subscription');
    const killedAt = Date.now();
    await notification.kill();
    await sleep(OUTAGE_MS);
    const restartedAt = Date.now();
    await notification.start();
    const listeningAt = Date.now();
    await reaches('a mention reaching the subscription after the restart');
    const resumedMs = Date.now() - listeningAt;
    const endedEarly = ended;
    reportFigures('subscription over a killed subgraph (notification)', {
      mode: 'SIGKILL of a child-process notification subgraph, restarted on the same port',
      firstEventMs: before,
      outageMs: restartedAt - killedAt,
      childStartupMs: listeningAt - restartedAt,
      eventsAgainAfterItListensMs: resumedMs,
      clientStreamEnded: endedEarly,
    });
    expect(endedEarly).toBe(false);
  } finally {
    pumping = false;
    await pump;
    await live.close();
    await notification.stop();
    await bed.sg.stack.startSubgraph('notification');
  }
});
