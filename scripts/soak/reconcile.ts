/**
 * No data loss: the acknowledged writes of the ledger against the stores (chat's messages, feed's
 * likes, comments and counters, notification's documents) and against the API (history, post
 * counters, every user's notifications and unread count). Each category reports how many records
 * were expected, lost (acknowledged but absent, or a group counting fewer events than were
 * acknowledged), duplicated (present twice, or counted twice) and unexpected (present though
 * nothing acknowledged it).
 */
import { ObjectId, type Document } from 'mongodb';
import type { Ledger } from './ledger.js';
import type { Client, World } from './workload.js';

export interface Tally {
  expected: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** What went wrong, a few examples. */
  examples: string[];
}

const tally = (): Tally => ({ expected: 0, lost: 0, duplicated: 0, unexpected: 0, examples: [] });
const note = (t: Tally, example: string) => {
  if (t.examples.length < 5) t.examples.push(example);
};

export interface Reconciliation {
  /** Chat messages in the store (by idempotency key) and in each member's history via the API. */
  messagesStore: Tally;
  messagesApi: Tally;
  /** Messages received on the watchers' conversationEvents subscriptions. */
  messagesLive: Tally;
  reactionsStore: Tally;
  commentsStore: Tally;
  /** Posts whose likesCount/commentsCount (stored, or via the API) differ from the real counts. */
  counterMismatches: number;
  /** Notification events (a group counts each event it absorbed) in the store. */
  notificationsStore: Tally;
  /** Users whose notifications via the API differ from the store, or whose unread count is off. */
  notificationsApiMismatches: number;
  examples: string[];
}

/** Every ledger of a reconciliation: what the report lists and the soak's bounds check. */
export function tallies(r: Reconciliation): Tally[] {
  return [
    r.messagesStore,
    r.messagesApi,
    r.messagesLive,
    r.reactionsStore,
    r.commentsStore,
    r.notificationsStore,
  ];
}

interface ExpectedNotification {
  readonly userId: string;
  readonly type: string;
  /** Events it stands for: 1, or the group's count. */
  readonly count: number;
  /** For groups whose members count once each: the distinct actors. */
  readonly actors?: ReadonlySet<string>;
}

/** The notifications the acknowledged actions call for, keyed as `keyOf` keys the stored ones. */
export function expectedNotifications(ledger: Ledger): Map<string, ExpectedNotification> {
  const expected = new Map<string, ExpectedNotification>();
  for (const { senderId, receiverId, requestId } of ledger.friendships) {
    expected.set(`FriendRequest|${receiverId}|${requestId}`, {
      userId: receiverId,
      type: 'FriendRequest',
      count: 1,
    });
    expected.set(`FriendAccepted|${senderId}|${receiverId}`, {
      userId: senderId,
      type: 'FriendAccepted',
      count: 1,
    });
  }
  for (const post of ledger.posts.values()) {
    const author = ledger.users.get(post.authorId)!;
    for (const friend of author.friends) {
      expected.set(`Post|${friend}|${post.id}`, { userId: friend, type: 'Post', count: 1 });
    }
  }
  const groups = new Map<string, { userId: string; type: string; actors: Set<string> }>();
  const join = (type: string, userId: string, groupKey: string, actor: string) => {
    if (userId === actor) return;
    const key = `${type}|${userId}|${groupKey}`;
    const group = groups.get(key);
    if (group) group.actors.add(actor);
    else groups.set(key, { userId, type, actors: new Set([actor]) });
  };
  for (const key of ledger.reactions.keys()) {
    const [postId, userId] = key.split(':') as [string, string];
    join('Like', ledger.posts.get(postId)!.authorId, `Like:post:${postId}`, userId);
  }
  for (const comment of ledger.comments.values()) {
    join(
      'Comment',
      ledger.posts.get(comment.postId)!.authorId,
      `Comment:post:${comment.postId}`,
      comment.authorId,
    );
  }
  for (const [key, group] of groups) {
    expected.set(key, {
      userId: group.userId,
      type: group.type,
      count: group.actors.size,
      actors: group.actors,
    });
  }
  // Messages group per conversation and count every message, for members not watching it.
  for (const conversation of ledger.conversations) {
    for (const member of conversation.members.filter((m) => !conversation.viewers.includes(m))) {
      let count = 0;
      for (const message of ledger.messages.values()) {
        if (message.conversationId === conversation.id && message.senderId !== member) count += 1;
      }
      if (count > 0) {
        expected.set(`Message|${member}|Message:conversation:${conversation.id}`, {
          userId: member,
          type: 'Message',
          count,
        });
      }
    }
  }
  return expected;
}

/** The key of a stored notification, as `expectedNotifications` keys it. */
/** Each post's likes and comments as the acknowledged writes say they must be. */
function expectedPostCounters(ledger: Ledger): {
  expectedLikes: Map<string, number>;
  expectedComments: Map<string, number>;
} {
  const expectedLikes = new Map<string, number>();
  for (const key of ledger.reactions.keys()) {
    const postId = key.split(':')[0] as string;
    expectedLikes.set(postId, (expectedLikes.get(postId) ?? 0) + 1);
  }
  const expectedComments = new Map<string, number>();
  for (const comment of ledger.comments.values()) {
    expectedComments.set(comment.postId, (expectedComments.get(comment.postId) ?? 0) + 1);
  }
  return { expectedLikes, expectedComments };
}

function keyOf(doc: Document): string {
  if (doc.groupKey) return `${doc.type}|${doc.userId}|${doc.groupKey}`;
  if (doc.type === 'Post' || doc.type === 'FriendRequest' || doc.type === 'FriendAccepted') {
    return `${doc.type}|${doc.userId}|${doc.relatedEntityId}`;
  }
  return `${doc.type}|${doc.userId}|${String(doc._id)}`;
}

/** The stored side only: cheap enough to poll while the last events drain. */
export async function reconcileStores(world: World): Promise<Reconciliation> {
  const { ledger } = world;
  const result: Reconciliation = {
    messagesStore: tally(),
    messagesApi: tally(),
    messagesLive: tally(),
    reactionsStore: tally(),
    commentsStore: tally(),
    counterMismatches: 0,
    notificationsStore: tally(),
    notificationsApiMismatches: 0,
    examples: [],
  };

  // Chat: each acknowledged message stored once, under its idempotency key and its id.
  const conversationIds = ledger.conversations.map((c) => c.id);
  const stored = await world
    .db('chat')
    .collection('messages')
    .find({ conversationId: { $in: conversationIds }, clientMessageId: { $ne: null } })
    .project({ _id: 1, clientMessageId: 1, senderId: 1 })
    .toArray();
  const byClientId = new Map<string, Document[]>();
  for (const doc of stored) {
    const list = byClientId.get(doc.clientMessageId as string) ?? [];
    list.push(doc);
    byClientId.set(doc.clientMessageId as string, list);
  }
  const acked = new Set<string>();
  const messages = result.messagesStore;
  for (const message of ledger.messages.values()) {
    acked.add(message.clientMessageId);
    messages.expected += 1;
    const docs = byClientId.get(message.clientMessageId) ?? [];
    if (docs.length === 0 || !docs.some((doc) => String(doc._id) === message.id)) {
      messages.lost += 1;
      note(messages, `message ${message.id} (${message.clientMessageId}) not stored`);
    }
    if (docs.length > 1) {
      messages.duplicated += docs.length - 1;
      note(messages, `message ${message.clientMessageId} stored ${docs.length} times`);
    }
  }
  for (const clientMessageId of byClientId.keys()) {
    if (!acked.has(clientMessageId)) messages.unexpected += 1;
  }

  // Live: each watcher received each message of its conversation exactly once.
  const live = result.messagesLive;
  for (const conversation of ledger.conversations) {
    for (const viewer of conversation.viewers) {
      for (const message of ledger.messages.values()) {
        if (message.conversationId !== conversation.id) continue;
        live.expected += 1;
        const arrivals = ledger.messageArrivals.get(`${viewer}|${message.id}`)?.length ?? 0;
        if (arrivals === 0) {
          live.lost += 1;
          note(live, `${viewer} never received ${message.id}`);
        } else if (arrivals > 1) {
          live.duplicated += arrivals - 1;
          note(live, `${viewer} received ${message.id} ${arrivals} times`);
        }
      }
    }
  }

  // Feed: reactions (one document per user and post) and comments, and the posts' counters.
  const feed = world.db('feed');
  const postIds = [...ledger.posts.keys()].map((id) => new ObjectId(id));
  const likes = await feed
    .collection('likes')
    .find({ entityType: 'Post', entityId: { $in: postIds } })
    .project({ _id: 1, entityId: 1 })
    .toArray();
  const likeIds = new Map<string, number>();
  for (const like of likes) likeIds.set(String(like._id), (likeIds.get(String(like._id)) ?? 0) + 1);
  const reactions = result.reactionsStore;
  for (const key of ledger.reactions.keys()) {
    reactions.expected += 1;
    const found = likeIds.get(key) ?? 0;
    if (found === 0) {
      reactions.lost += 1;
      note(reactions, `reaction ${key} not stored`);
    } else if (found > 1) reactions.duplicated += found - 1;
  }
  for (const key of likeIds.keys()) if (!ledger.reactions.has(key)) reactions.unexpected += 1;

  const comments = await feed
    .collection('comments')
    .find({ postId: { $in: postIds } })
    .project({ _id: 1, postId: 1, isDeleted: 1 })
    .toArray();
  const commentIds = new Set(comments.map((c) => String(c._id)));
  const commentTally = result.commentsStore;
  for (const id of ledger.comments.keys()) {
    commentTally.expected += 1;
    if (!commentIds.has(id)) {
      commentTally.lost += 1;
      note(commentTally, `comment ${id} not stored`);
    }
  }
  for (const id of commentIds) if (!ledger.comments.has(id)) commentTally.unexpected += 1;

  const { expectedLikes, expectedComments } = expectedPostCounters(ledger);
  const posts = await feed
    .collection('posts')
    .find({ _id: { $in: postIds } })
    .project({ _id: 1, likesCount: 1, commentsCount: 1 })
    .toArray();
  // The real counts: the reaction and comment documents themselves.
  const realLikes = new Map<string, number>();
  for (const like of likes)
    realLikes.set(String(like.entityId), (realLikes.get(String(like.entityId)) ?? 0) + 1);
  const realComments = new Map<string, number>();
  for (const c of comments) {
    if (!c.isDeleted) realComments.set(String(c.postId), (realComments.get(String(c.postId)) ?? 0) + 1);
  }
  for (const post of posts) {
    const id = String(post._id);
    const likesCount = expectedLikes.get(id) ?? 0;
    const commentsCount = expectedComments.get(id) ?? 0;
    const real = [realLikes.get(id) ?? 0, realComments.get(id) ?? 0];
    if (
      post.likesCount !== likesCount ||
      post.commentsCount !== commentsCount ||
      real[0] !== post.likesCount ||
      real[1] !== post.commentsCount
    ) {
      result.counterMismatches += 1;
      if (result.examples.length < 5) {
        result.examples.push(
          `post ${id} stores ${post.likesCount} likes/${post.commentsCount} comments, has ${real.join('/')}, expected ${likesCount}/${commentsCount}`,
        );
      }
    }
  }
  if (posts.length !== postIds.length) result.counterMismatches += postIds.length - posts.length;

  // Notifications: every expected one present once, each group counting what it absorbed.
  const expected = expectedNotifications(ledger);
  const docs = await world
    .db('notification')
    .collection('notifications')
    .find({ userId: { $in: [...ledger.users.keys()] } })
    .toArray();
  const byKey = new Map<string, Document[]>();
  for (const doc of docs) {
    const key = keyOf(doc);
    const list = byKey.get(key) ?? [];
    list.push(doc);
    byKey.set(key, list);
  }
  const notifications = result.notificationsStore;
  for (const [key, want] of expected) {
    notifications.expected += want.count;
    const found = byKey.get(key) ?? [];
    if (found.length === 0) {
      notifications.lost += want.count;
      note(notifications, `missing ${key} (${want.count} events)`);
      continue;
    }
    if (found.length > 1) {
      notifications.duplicated += found.length - 1;
      note(notifications, `${key} stored ${found.length} times`);
    }
    const count = found.reduce((sum, doc) => sum + (doc.groupCount as number), 0) - (found.length - 1);
    if (count < want.count) {
      notifications.lost += want.count - count;
      note(notifications, `${key} counts ${count} of ${want.count} events`);
    } else if (count > want.count) {
      notifications.duplicated += count - want.count;
      note(notifications, `${key} counts ${count} events, ${want.count} happened`);
    }
    if (want.actors && found.length === 1) {
      const actors = new Set(found[0]!.actors as string[]);
      const wrong = [...actors].filter((actor) => !want.actors!.has(actor));
      const complete = want.actors.size > 10 ? actors.size === 10 : actors.size === want.actors.size;
      if (wrong.length > 0 || !complete) {
        notifications.duplicated += wrong.length;
        note(
          notifications,
          `${key} actors ${[...actors].join(',')} (expected ${[...want.actors].join(',')})`,
        );
      }
    }
  }
  for (const [key, found] of byKey) {
    if (!expected.has(key)) {
      notifications.unexpected += found.length;
      note(notifications, `unexpected ${key}`);
    }
  }
  return result;
}

async function pool<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

async function pages<T>(
  client: Client,
  token: string,
  fetchPage: (after: string | null) => { query: string; variables: Record<string, unknown> },
  connectionOf: (data: never) => {
    edges: Array<{ node: T }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  },
): Promise<T[]> {
  const nodes: T[] = [];
  let after: string | null = null;
  for (;;) {
    const { query, variables } = fetchPage(after);
    const connection = connectionOf(await client.run<never>(query, variables, token));
    nodes.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage || !connection.pageInfo.endCursor) return nodes;
    after = connection.pageInfo.endCursor;
  }
}

/** The API side: history, post counters and notifications as the users see them. */
export async function reconcileApi(world: World, result: Reconciliation): Promise<void> {
  const { ledger, client } = world;
  const users = ledger.users;
  const history = result.messagesApi;
  for (const conversation of ledger.conversations) {
    for (const member of conversation.members) {
      const seen = await pages<{ id: string }>(
        client,
        users.get(member)!.token,
        (after) => ({
          query:
            'query ($id: ID!, $after: String) { messages(conversationId: $id, first: 50, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
          variables: { id: conversation.id, after },
        }),
        (data: { messages: never }) => data.messages,
      );
      const counts = new Map<string, number>();
      for (const node of seen) counts.set(node.id, (counts.get(node.id) ?? 0) + 1);
      for (const message of ledger.messages.values()) {
        if (message.conversationId !== conversation.id) continue;
        history.expected += 1;
        const found = counts.get(message.id) ?? 0;
        if (found === 0) {
          history.lost += 1;
          note(history, `${member}'s history lacks ${message.id}`);
        } else if (found > 1) history.duplicated += found - 1;
      }
    }
  }

  const { expectedLikes, expectedComments } = expectedPostCounters(ledger);
  await pool([...ledger.posts.values()], 6, async (post) => {
    const data = await client.run<{ post: { likesCount: number; commentsCount: number } | null }>(
      'query ($id: ID!) { post(id: $id) { likesCount commentsCount } }',
      { id: post.id },
      users.get(post.authorId)!.token,
    );
    const likes = expectedLikes.get(post.id) ?? 0;
    const comments = expectedComments.get(post.id) ?? 0;
    if (data.post?.likesCount !== likes || data.post.commentsCount !== comments) {
      result.counterMismatches += 1;
      if (result.examples.length < 5) {
        result.examples.push(
          `API post ${post.id}: ${JSON.stringify(data.post)}, expected ${likes}/${comments}`,
        );
      }
    }
  });

  const stored = await world
    .db('notification')
    .collection('notifications')
    .find({ userId: { $in: [...users.keys()] } })
    .project({ _id: 1, userId: 1, groupCount: 1, isRead: 1 })
    .toArray();
  await pool([...users.values()], 4, async (user) => {
    const seen = await pages<{ id: string; groupCount: number }>(
      client,
      user.token,
      (after) => ({
        query:
          'query ($after: String) { notifications(first: 50, after: $after) { edges { node { id groupCount } } pageInfo { hasNextPage endCursor } } }',
        variables: { after },
      }),
      (data: { notifications: never }) => data.notifications,
    );
    const mine = stored.filter((doc) => doc.userId === user.id);
    const apiView = new Map(seen.map((n) => [n.id, n.groupCount]));
    const same =
      apiView.size === seen.length &&
      apiView.size === mine.length &&
      mine.every((doc) => apiView.get(String(doc._id)) === doc.groupCount);
    const { unreadNotificationCount } = await client.run<{ unreadNotificationCount: number }>(
      '{ unreadNotificationCount }',
      {},
      user.token,
    );
    const unread = mine.filter((doc) => !doc.isRead).length;
    if (!same || unreadNotificationCount !== unread) {
      result.notificationsApiMismatches += 1;
      if (result.examples.length < 5) {
        result.examples.push(
          `${user.id}: API lists ${seen.length} (${apiView.size} distinct), stored ${mine.length}; unread ${unreadNotificationCount} vs ${unread}`,
        );
      }
    }
  });
}
