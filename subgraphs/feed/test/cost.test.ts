/**
 * The database cost of a home feed page (DESIGN 10): N posts with their authors' profiles, media,
 * the viewer's reactions, counts and the top two comments with their authors cost as many MongoDB
 * commands in feed and in profile for N = 5 as for N = 50. The numbers are printed for
 * docs/BENCHMARKS.md.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { ObjectId } from 'mongodb';
import { startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed({
    EVENT_WAIT_MS: '2000',
    // Background pollers stay quiet while pages are measured: a 50-post page can take longer than
    // the 1 s outbox poll on a loaded runner, adding one `find` to every run. Writes still kick
    // the outbox at once, so the set-up's events flow as usual.
    OUTBOX_POLL_MS: '600000',
    GRAPH_CLEANUP_POLL_MS: '600000',
    PRESENCE_SWEEP_MS: '600000',
  });
});
afterAll(async () => {
  await bed?.stop();
});

const PAGE = `query ($first: Int) { feed(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id content createdAt visibility
    author { id displayName avatarUrl }
    media { id }
    viewerReaction likesCount commentsCount sharesCount viewsCount reactionsSummary { reaction count }
    topComments(first: 2) { id content likesCount viewerReaction author { id displayName avatarUrl } }
  } } } }`;

type Page = {
  feed: {
    edges: Array<{
      node: {
        author: { displayName: string | null };
        media: unknown[];
        viewerReaction: string | null;
        topComments: Array<{ author: { displayName: string | null }; viewerReaction: string | null }>;
      };
    }>;
  };
};

/** Commands per service while the page loads: the fewest of three runs (in case a poller still runs). */
async function commandsFor(viewer: TestAccount, first: number): Promise<{ feed: number; profile: number }> {
  const runs: Array<{ feed: number; profile: number }> = [];
  for (let run = 0; run < 3; run += 1) {
    const counts = { feed: 0, profile: 0 };
    const stop = onMongoCommand((event) => {
      if (event.appName === 'feed' || event.appName === 'profile') counts[event.appName] += 1;
    });
    try {
      const page = await bed.run<Page>(PAGE, { first }, viewer);
      expect(page.feed.edges).toHaveLength(first);
    } finally {
      stop();
    }
    runs.push(counts);
  }
  return {
    feed: Math.min(...runs.map((run) => run.feed)),
    profile: Math.min(...runs.map((run) => run.profile)),
  };
}

test('a feed page costs as many commands for 50 posts as for 5, in feed and in profile', async () => {
  const viewer = await bed.member();
  const authors = await bed.members(5);
  for (const [index, author] of authors.entries()) {
    if (index % 2 === 0) await bed.befriend(viewer, author);
    else await bed.follow(viewer, author);
  }
  // Every post has a file, reactions (some the viewer's) and three comments (two shown).
  const mediaIds = await Promise.all(
    authors.map(async (author) => {
      const mediaId = new ObjectId().toHexString();
      await bed.supergraph.stack.resources.events.publish('media', 'MediaUploaded', {
        mediaId,
        ownerId: author.id,
        fileType: 'IMAGE',
        mimeType: 'image/png',
        category: 'POST',
        isPublic: true,
        fileSize: 10,
        uploadedAt: new Date().toISOString(),
      });
      return mediaId;
    }),
  );
  await bed.mediaKnown(mediaIds);
  const posts: string[] = [];
  for (let round = 0; round < 10; round += 1) {
    posts.push(
      ...(await Promise.all(
        authors.map((author, index) =>
          bed.post(author, {
            content: `post ${round}-${index}`,
            // Friends see FRIENDS posts; followers only PUBLIC ones.
            visibility: index % 2 === 0 && round % 2 === 1 ? 'FRIENDS' : 'PUBLIC',
            mediaIds: [mediaIds[index]],
          }),
        ),
      )),
    );
  }
  const comment =
    'mutation ($id: ID!, $c: String!) { addComment(input: { postId: $id, content: $c }) { id } }';
  const react =
    'mutation ($id: ID!, $t: FeedReactionTargetType!) { react(input: { entityId: $id, entityType: $t, reaction: LOVE }) { id } }';
  for (let i = 0; i < posts.length; i += 10) {
    await Promise.all(
      posts.slice(i, i + 10).map(async (postId, offset) => {
        const author = authors[(i + offset) % authors.length]!;
        const made: string[] = [];
        for (const [n, who] of [author, viewer, author].entries()) {
          made.push(
            (await bed.run<{ addComment: { id: string } }>(comment, { id: postId, c: `c${n}` }, who))
              .addComment.id,
          );
        }
        if ((i + offset) % 2 === 0) await bed.run(react, { id: postId, t: 'POST' }, viewer);
        await bed.run(react, { id: made[0], t: 'COMMENT' }, viewer);
      }),
    );
  }

  const page = await bed.run<Page>(PAGE, { first: 50 }, viewer);
  const nodes = page.feed.edges.map((edge) => edge.node);
  expect(nodes).toHaveLength(50);
  expect(nodes.every((node) => node.author.displayName && node.media.length === 1)).toBe(true);
  expect(
    nodes.every((node) => node.topComments.length === 2 && node.topComments[0]!.author.displayName),
  ).toBe(true);
  expect(nodes.filter((node) => node.viewerReaction === 'LOVE')).toHaveLength(25);
  expect(nodes.every((node) => node.topComments[0]!.viewerReaction === 'LOVE')).toBe(true);

  const five = await commandsFor(viewer, 5);
  const fifty = await commandsFor(viewer, 50);
  console.log(`feed page MongoDB commands: ${JSON.stringify({ 'N=5': five, 'N=50': fifty })}`);
  expect(five.feed).toBeGreaterThan(0);
  expect(five.profile).toBeGreaterThan(0);
  expect(fifty).toEqual(five);
  // 50 posts with 150 comments and 75 reactions to set up: slow on a loaded two-core runner.
}, 90_000);
