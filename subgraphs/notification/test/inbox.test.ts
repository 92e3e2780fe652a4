/**
 * The recipient's inbox: pages without gaps or duplicates (also while new notifications arrive),
 * the unreadOnly and types filters, reading and deleting one's own notifications, and nobody
 * else's: a stranger reading, marking or deleting another user's notification gets nothing /
 * NOT_FOUND, and malformed ids and cursors are BAD_USER_INPUT naming the argument.
 */
import type { TestAccount } from '@social/testing';
import {
  DELETE,
  MARK_ALL_READ,
  MARK_READ,
  NOTIFICATION,
  NOTIFICATIONS,
  startNotificationTestbed,
  type NotificationTestbed,
  type Page,
} from './helpers.js';

let bed: NotificationTestbed;
let owner: TestAccount;
let actor: TestAccount;
let stranger: TestAccount;
/** The owner's 25 notifications, newest first. */
let all: string[];

const ids = (page: Page) => page.edges.map((edge) => edge.node.id);

beforeAll(async () => {
  bed = await startNotificationTestbed();
  [owner, actor, stranger] = await bed.members(3);
  for (let i = 0; i < 23; i += 1) await bed.mention(actor, owner, `mention ${i}`);
  await bed.follow(actor, owner);
  const postId = await bed.post(owner, { content: 'like me', visibility: 'PUBLIC' });
  await bed.react(actor, postId);
  const nodes = await bed.waitForNotifications(owner, (list) => list.length === 25);
  all = nodes.map((node) => node.id);
}, 90_000);
afterAll(async () => {
  await bed?.stop();
});

test('pages follow each other without gaps or duplicates, also while new notifications arrive', async () => {
  const seen: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const page: Page = await bed.notifications(owner, { first: 7, after });
    seen.push(...ids(page));
    pages += 1;
    if (pages === 1) {
      // Newer notifications land above the cursor: later pages are unaffected.
      for (let i = 0; i < 3; i += 1) await bed.mention(actor, owner, `late ${i}`);
      await bed.waitForNotifications(owner, (list) => list.length === 28);
    }
    if (!page.pageInfo.hasNextPage) {
      expect(page.edges).toHaveLength(25 % 7);
      break;
    }
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    after = page.pageInfo.endCursor;
  }
  expect(pages).toBe(4);
  expect(seen).toEqual(all);
  const newest = await bed.notifications(owner, { first: 3 });
  expect(newest.edges.map((edge) => edge.node.message)).toEqual(
    ['late 2', 'late 1', 'late 0'].map((text) => `${'Test User'} mentioned you in a post: "${text}"`),
  );
});

test('a group that absorbs an event while the viewer pages moves to the top: never repeated, seen on a fresh first page', async () => {
  const [viewer, follower, lateFollower, mentioner] = await bed.members(4);
  await bed.follow(follower, viewer);
  await bed.waitForNotifications(viewer, (list) => list.length === 1);
  for (let i = 0; i < 6; i += 1) await bed.mention(mentioner, viewer, `paging ${i}`);
  const before = await bed.waitForNotifications(viewer, (list) => list.length === 7);
  const group = before.at(-1);
  expect(group).toMatchObject({ type: 'FOLLOW', groupCount: 1 });

  const first: Page = await bed.notifications(viewer, { first: 4 });
  // The follow group, not reached yet, absorbs a new follower: it is now above the cursor.
  await bed.follow(lateFollower, viewer);
  await bed.waitForNotifications(viewer, (list) => list[0]?.id === group?.id);
  const rest: Page = await bed.notifications(viewer, { first: 4, after: first.pageInfo.endCursor });
  expect(rest.pageInfo.hasNextPage).toBe(false);
  const seen = [...ids(first), ...ids(rest)];
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen).toEqual(before.slice(0, 6).map((node) => node.id));
  const fresh = await bed.notifications(viewer, { first: 1 });
  expect(fresh.edges[0]?.node).toMatchObject({
    id: group?.id,
    groupCount: 2,
    actor: { id: lateFollower.id },
  });
});

test('filters: unread only, and by type', async () => {
  const [, , , fourth, fifth] = all;
  await bed.run(MARK_READ, { id: fourth }, owner);
  await bed.run(MARK_READ, { id: fifth }, owner);
  const unread = await bed.notifications(owner, { unreadOnly: true });
  expect(ids(unread)).not.toContain(fourth);
  expect(ids(unread)).not.toContain(fifth);
  expect(unread.edges.every((edge) => !edge.node.isRead)).toBe(true);
  const everything = await bed.notifications(owner);
  expect(unread.edges).toHaveLength(everything.edges.length - 2);

  const social = await bed.notifications(owner, { types: ['FOLLOW', 'LIKE'] });
  expect(social.edges.map((edge) => edge.node.type)).toEqual(['LIKE', 'FOLLOW']);
  expect(ids(await bed.notifications(owner, { types: [] }))).toEqual(ids(everything));
  const none = await bed.notifications(owner, { types: ['PROFILE_VIEW'] });
  expect(none).toEqual({
    edges: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  });
});

test('the recipient reads (idempotently), marks all read and deletes; the count follows', async () => {
  const [recipient, sender] = await bed.members(2);
  for (let i = 0; i < 3; i += 1) await bed.mention(sender, recipient, `m${i}`);
  const [first, second, third] = (await bed.waitForNotifications(recipient, (list) => list.length === 3)).map(
    (node) => node.id,
  );
  expect(await bed.unreadCount(recipient)).toBe(3);
  const read = await bed.run<{ markNotificationRead: { isRead: boolean; readAt: string } }>(
    MARK_READ,
    { id: first },
    recipient,
  );
  expect(read.markNotificationRead.isRead).toBe(true);
  const again = await bed.run<{ markNotificationRead: { readAt: string } }>(
    MARK_READ,
    { id: first },
    recipient,
  );
  expect(again.markNotificationRead.readAt).toBe(read.markNotificationRead.readAt);
  expect(await bed.unreadCount(recipient)).toBe(2);

  expect(await bed.run(DELETE, { id: second }, recipient)).toEqual({ deleteNotification: true });
  expect(await bed.unreadCount(recipient)).toBe(1);
  expect((await bed.failure(DELETE, { id: second }, recipient)).extensions?.code).toBe('NOT_FOUND');
  expect(await bed.run(NOTIFICATION, { id: second }, recipient)).toEqual({ notification: null });

  expect(await bed.run(MARK_ALL_READ, {}, recipient)).toEqual({ markAllNotificationsRead: 1 });
  expect(await bed.run(MARK_ALL_READ, {}, recipient)).toEqual({ markAllNotificationsRead: 0 });
  expect(await bed.unreadCount(recipient)).toBe(0);
  const { notification } = await bed.run<{ notification: { id: string; isRead: boolean } }>(
    NOTIFICATION,
    { id: third },
    recipient,
  );
  expect(notification).toMatchObject({ id: third, isRead: true });
});

test('a stranger cannot read, mark or delete another user’s notification', async () => {
  const [target] = all;
  expect(await bed.run(NOTIFICATION, { id: target }, stranger)).toEqual({ notification: null });
  for (const mutation of [MARK_READ, DELETE]) {
    const error = await bed.failure(mutation, { id: target }, stranger);
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', entity: 'Notification' });
  }
  // The same through an entity reference: only its recipient resolves it.
  const entities = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id } } }`;
  const representations = [{ __typename: 'Notification', id: target }];
  const asStranger = await bed.supergraph.query(
    entities,
    { r: representations },
    {
      token: stranger.token,
      target: 'notification',
    },
  );
  expect(asStranger.data).toEqual({ _entities: [null] });
  const asOwner = await bed.supergraph.query(
    entities,
    { r: representations },
    {
      token: owner.token,
      target: 'notification',
    },
  );
  expect(asOwner.data).toEqual({ _entities: [{ id: target }] });
  // Untouched for its recipient.
  const { notification } = await bed.run<{ notification: { isRead: boolean } }>(
    NOTIFICATION,
    { id: target },
    owner,
  );
  expect(notification.isRead).toBe(false);
});

test('bad ids, cursors and sizes are BAD_USER_INPUT naming the argument; anonymous callers are refused', async () => {
  for (const [query, variables, field] of [
    [NOTIFICATION, { id: 'not-an-id' }, 'id'],
    [MARK_READ, { id: '12345' }, 'id'],
    [DELETE, { id: `${all[0]}x` }, 'id'],
    [NOTIFICATIONS, { after: 'garbage!' }, 'after'],
    [NOTIFICATIONS, { after: Buffer.from('["conv",1,"x"]').toString('base64url') }, 'after'],
    [NOTIFICATIONS, { first: 0 }, 'first'],
    [NOTIFICATIONS, { first: 51 }, 'first'],
    ['query ($id: ID!) { notification(id: $id) { actors(first: 11) { id } } }', { id: all[0] }, 'first'],
  ] as const) {
    const error = await bed.failure(query, variables, owner);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  }
  const anonymous = await bed.failure('{ unreadNotificationCount }');
  expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
});
