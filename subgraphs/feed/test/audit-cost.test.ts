/**
 * Audit of per-item queries (issue 6, DESIGN 10): a feed page whose posts each list their comments,
 * the comments' replies and reactions, and the posts' reactions, costs as many feed MongoDB
 * commands for 12 posts as for 3, and every list holds exactly its own items.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed();
});
afterAll(async () => {
  await bed?.stop();
});

const PAGE = `query ($first: Int) { feed(first: $first) { edges { node {
  id content
  reactions(first: 2) { totalCount edges { node { user { id } reaction } } }
  comments(first: 2) { pageInfo { hasNextPage } edges { node {
    id content
    reactions(first: 5) { edges { node { user { id } } } }
    replies(first: 1) { pageInfo { hasNextPage } edges { node { id content } } }
  } } }
  oldest: comments(first: 1, order: OLDEST_FIRST) { edges { node { content } } }
} } } }`;

interface Node {
  id: string;
  content: string;
  reactions: { totalCount: number; edges: Array<{ node: { user: { id: string }; reaction: string } }> };
  comments: {
    pageInfo: { hasNextPage: boolean };
    edges: Array<{
      node: {
        content: string;
        reactions: { edges: Array<{ node: { user: { id: string } } }> };
        replies: { pageInfo: { hasNextPage: boolean }; edges: Array<{ node: { content: string } }> };
      };
    }>;
  };
  oldest: { edges: Array<{ node: { content: string } }> };
}

const ADD = `mutation ($id: ID!, $c: String!, $p: ID) { addComment(input: { postId: $id, content: $c, parentCommentId: $p }) { id } }`;
const REACT = `mutation ($id: ID!, $t: FeedReactionTargetType!, $r: FeedReactionType!) {
  react(input: { entityId: $id, entityType: $t, reaction: $r }) { id } }`;

async function commandsFor(viewer: TestAccount, first: number): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    let count = 0;
    const stop = onMongoCommand((event) => {
      if (event.appName === 'feed') count += 1;
    });
    try {
      const page = await bed.run<{ feed: { edges: unknown[] } }>(PAGE, { first }, viewer);
      expect(page.feed.edges).toHaveLength(first);
    } finally {
      stop();
    }
    runs.push(count);
  }
  return Math.min(...runs);
}

test('comments, replies and reactions of a page of posts cost the same for 12 posts as for 3', async () => {
  const [viewer, author, fan] = await bed.members(3);
  await bed.follow(viewer, author);
  for (let index = 0; index < 12; index += 1) {
    const postId = await bed.post(author, { content: `post ${index}`, visibility: 'PUBLIC' });
    const comments: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      comments.push(
        (await bed.run<{ addComment: { id: string } }>(ADD, { id: postId, c: `c${index}.${n}` }, author))
          .addComment.id,
      );
    }
    for (let n = 0; n < 2; n += 1) {
      await bed.run(ADD, { id: postId, c: `r${index}.${n}`, p: comments[2] }, fan);
    }
    await bed.run(REACT, { id: postId, t: 'POST', r: 'LOVE' }, fan);
    if (index % 2 === 0) await bed.run(REACT, { id: postId, t: 'POST', r: 'WOW' }, viewer);
    await bed.run(REACT, { id: comments[2], t: 'COMMENT', r: 'LIKE' }, fan);
  }

  const { feed } = await bed.run<{ feed: { edges: Array<{ node: Node }> } }>(PAGE, { first: 12 }, viewer);
  feed.edges.forEach(({ node }, position) => {
    const index = 11 - position;
    expect(node.content).toBe(`post ${index}`);
    expect(node.reactions.totalCount).toBe(index % 2 === 0 ? 2 : 1);
    expect(node.reactions.edges.map((edge) => edge.node.user.id)).toEqual(
      index % 2 === 0 ? [viewer.id, fan.id] : [fan.id],
    );
    expect(node.comments.pageInfo.hasNextPage).toBe(true);
    expect(node.comments.edges.map((edge) => edge.node.content)).toEqual([`c${index}.2`, `c${index}.1`]);
    const [newest, older] = node.comments.edges.map((edge) => edge.node);
    expect(newest!.reactions.edges.map((edge) => edge.node.user.id)).toEqual([fan.id]);
    expect(newest!.replies).toEqual({
      pageInfo: { hasNextPage: true },
      edges: [{ node: { id: expect.any(String), content: `r${index}.0` } }],
    });
    expect(older!.reactions.edges).toEqual([]);
    expect(older!.replies).toEqual({ pageInfo: { hasNextPage: false }, edges: [] });
    expect(node.oldest.edges.map((edge) => edge.node.content)).toEqual([`c${index}.0`]);
  });

  const three = await commandsFor(viewer, 3);
  const twelve = await commandsFor(viewer, 12);
  expect(three).toBeGreaterThan(0);
  expect(twelve).toBe(three);
});
