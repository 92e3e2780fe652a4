/**
 * The notification flow end to end: someone acts through the gateway (a reaction, a friend
 * request), feed or profile tell the bus, and the recipient sees a notification in their list
 * (with the actor's name, resolved by profile through the gateway) and on their subscription;
 * similar unread ones collapse into one group; settings, self-actions and blocks keep them away;
 * a redelivered event changes nothing.
 */
import type { EventEnvelope } from '@social/kit';
import type { TestAccount } from '@social/testing';
import {
  NOTIFICATION_ADDED,
  NOTIFICATION_FIELDS,
  startNotificationTestbed,
  type Notification,
  type NotificationTestbed,
} from './helpers.js';

let bed: NotificationTestbed;
beforeAll(async () => {
  bed = await startNotificationTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const likesOf = (nodes: Notification[]) => nodes.filter((node) => node.type === 'LIKE');
const addedChannel = (account: TestAccount) => `notification:added:${account.id}`;

test('B likes A’s post: A is notified, in the list (with B’s name) and on A’s subscription', async () => {
  const alice = await bed.member({ firstName: 'Alice', lastName: 'Author' });
  const bob = await bed.member({ firstName: 'Bob', lastName: 'Liker' });
  const postId = await bed.post(alice, { content: 'Hello   world, my first post', visibility: 'PUBLIC' });
  // Through the gateway, which resolves the actor's profile fields for each event.
  const subscription = await bed.subscribe<{
    notificationAdded: Notification & { actor: { id: string; displayName: string } };
  }>(
    `subscription { notificationAdded { ${NOTIFICATION_FIELDS} actor { id displayName } } }`,
    alice,
    addedChannel(alice),
  );

  await bed.react(bob, postId);
  const pushed = (await subscription.next(10_000)).data?.notificationAdded;
  expect(pushed).toMatchObject({
    type: 'LIKE',
    title: 'New like',
    message: 'Bob Liker liked your post',
    actor: { id: bob.id, displayName: 'Bob Liker' },
    actors: [{ id: bob.id }],
    groupCount: 1,
    relatedEntityId: postId,
    relatedEntityType: 'POST',
    actionUrl: `/posts/${postId}`,
    metadata: { postId, postPreview: 'Hello world, my first post', totalLikes: 1, reaction: 'LIKE' },
    isRead: false,
    readAt: null,
    priority: 'LOW',
  });
  expect([...(pushed?.channels ?? [])].sort()).toEqual(['EMAIL', 'IN_APP', 'PUSH']);
  expect(new Date(pushed!.expiresAt).getTime() - new Date(pushed!.createdAt).getTime()).toBe(7 * 86_400_000);

  const listed = await bed.run<{
    notifications: {
      edges: Array<{ node: { id: string; actor: { id: string; displayName: string; username: string } } }>;
    };
  }>('{ notifications { edges { node { id actor { id displayName username } } } } }', {}, alice);
  expect(listed.notifications.edges.map((edge) => edge.node)).toEqual([
    { id: pushed?.id, actor: { id: bob.id, displayName: 'Bob Liker', username: bob.username } },
  ]);
  expect(await bed.unreadCount(alice)).toBe(1);

  // Email and push go out after the commit and are recorded on the notification.
  const [delivered] = await bed.waitForNotifications(alice, (nodes) => nodes[0]?.deliveryStatus === 'SENT');
  expect([...(delivered?.sentVia ?? [])].sort()).toEqual(['EMAIL', 'IN_APP', 'PUSH']);
  const mail = await bed.supergraph.latestMail(alice.email, 'notification');
  expect(mail).toMatchObject({
    subject: 'New like',
    text: expect.stringContaining('Bob Liker liked your post'),
  });
  await subscription.close();
});

test('likes from four people collapse into one notification with the newest actors first', async () => {
  const author = await bed.member();
  const likers = [
    await bed.member({ firstName: 'Ann', lastName: 'One' }),
    await bed.member({ firstName: 'Ben', lastName: 'Two' }),
    await bed.member({ firstName: 'Cat', lastName: 'Three' }),
    await bed.member({ firstName: 'Dan', lastName: 'Four' }),
  ];
  const postId = await bed.post(author, { content: 'Group me', visibility: 'PUBLIC' });
  const subscription = await bed.subscribe<{ notificationAdded: Notification }>(
    NOTIFICATION_ADDED,
    author,
    addedChannel(author),
  );
  for (const liker of likers) await bed.react(liker, postId, 'POST', liker === likers[1] ? 'LOVE' : 'LIKE');

  // Each absorbed like is re-delivered under the same id, its count growing.
  const pushed: Notification[] = [];
  while (pushed.at(-1)?.groupCount !== 4)
    pushed.push((await subscription.next(10_000)).data!.notificationAdded);
  expect(new Set(pushed.map((node) => node.id)).size).toBe(1);

  const [grouped, ...rest] = likesOf(
    await bed.waitForNotifications(author, (nodes) => likesOf(nodes)[0]?.groupCount === 4),
  );
  expect(rest).toEqual([]);
  expect(grouped).toMatchObject({
    id: pushed[0]?.id,
    message: 'Dan Four and 3 others liked your post',
    actor: { id: likers[3]?.id },
    actors: [likers[3], likers[2], likers[1]].map((liker) => ({ id: liker?.id })),
    metadata: { totalLikes: 4 },
  });
  const { notification } = await bed.run<{ notification: { actors: Array<{ id: string }> } }>(
    'query ($id: ID!) { notification(id: $id) { actors(first: 10) { id } } }',
    { id: grouped?.id },
    author,
  );
  expect(notification.actors).toEqual([...likers].reverse().map((liker) => ({ id: liker.id })));
  expect(await bed.unreadCount(author)).toBe(1);

  // Ann takes her like back and likes again: she moves to the front, and is still counted once.
  await bed.run(
    'mutation ($id: ID!) { unreact(entityId: $id, entityType: POST) { id } }',
    { id: postId },
    likers[0],
  );
  await bed.react(likers[0]!, postId);
  const [again] = likesOf(
    await bed.waitForNotifications(author, (nodes) => likesOf(nodes)[0]?.actor?.id === likers[0]?.id),
  );
  expect(again).toMatchObject({
    id: grouped?.id,
    groupCount: 4,
    message: 'Ann One and 3 others liked your post',
  });

  // A read notification absorbs nothing: the next like starts a new one.
  await bed.run('mutation ($id: ID!) { markNotificationRead(id: $id) { id } }', { id: grouped?.id }, author);
  const late = await bed.member({ firstName: 'Eve', lastName: 'Late' });
  await bed.react(late, postId);
  const [fresh, old] = likesOf(
    await bed.waitForNotifications(author, (nodes) => likesOf(nodes).length === 2),
  );
  expect(fresh).toMatchObject({ groupCount: 1, isRead: false, message: 'Eve Late liked your post' });
  expect(old).toMatchObject({ id: grouped?.id, groupCount: 4, isRead: true });
  await subscription.close();
});

test('turning likes off in the profile settings stops like notifications, and on again resumes them', async () => {
  const [author, fan] = await bed.members(2);
  const postId = await bed.post(author, { content: 'quiet please', visibility: 'PUBLIC' });
  await bed.settings(author, { likeNotifications: false });
  await bed.react(fan, postId);
  // The comment comes after the like on feed's stream: once it is there, the like was handled.
  await bed.comment(fan, postId, 'nice');
  const nodes = await bed.waitForNotifications(author, (list) =>
    list.some((node) => node.type === 'COMMENT'),
  );
  expect(nodes.map((node) => node.type)).toEqual(['COMMENT']);

  await bed.settings(author, { likeNotifications: true });
  const other = await bed.post(author, { content: 'loud again', visibility: 'PUBLIC' });
  await bed.react(fan, other);
  await bed.waitForNotifications(author, (list) => likesOf(list).length === 1);
});

test('nobody is notified of their own actions', async () => {
  const [author, friend] = await bed.members(2);
  const postId = await bed.post(author, { content: 'talking to myself', visibility: 'PUBLIC' });
  await bed.react(author, postId);
  await bed.comment(author, postId, 'first!');
  await bed.comment(friend, postId, 'second');
  const nodes = await bed.waitForNotifications(author, (list) => list.length > 0);
  expect(nodes.map((node) => [node.type, node.actor?.id])).toEqual([['COMMENT', friend.id]]);
});

test('a block withdraws the blocked user from the blocker’s notifications and keeps new ones away', async () => {
  const [author, pest, sentinel] = await bed.members(3);
  const postId = await bed.post(author, { content: 'block me maybe', visibility: 'PUBLIC' });
  await bed.react(pest, postId);
  await bed.react(sentinel, postId);
  await bed.waitForNotifications(author, (nodes) => likesOf(nodes)[0]?.groupCount === 2);

  await bed.block(author, pest);
  const [like] = await bed.waitForNotifications(author, (nodes) => likesOf(nodes)[0]?.groupCount === 1);
  expect(like).toMatchObject({ actor: { id: sentinel.id }, actors: [{ id: sentinel.id }] });

  // Feed no longer lets them react; an event from before the block arriving late tells nobody.
  const events = bed.supergraph.stack.resources.events;
  await events.publish('feed', 'PostReacted', {
    postId,
    postAuthorId: author.id,
    postVisibility: 'PUBLIC',
    audienceUserIds: [],
    postPreview: 'block me maybe',
    actorId: pest.id,
    reaction: 'LIKE',
    previousReaction: null,
    likesCount: 3,
    reactedAt: new Date().toISOString(),
  });
  await bed.comment(sentinel, postId, 'still here');
  const nodes = await bed.waitForNotifications(author, (list) =>
    list.some((node) => node.type === 'COMMENT'),
  );
  expect(nodes.flatMap((node) => node.actors.map((actor) => actor.id))).not.toContain(pest.id);
  expect(likesOf(nodes)).toHaveLength(1);
  expect(likesOf(nodes)[0]?.groupCount).toBe(1);
});

test('a redelivered event never notifies twice', async () => {
  const [alice, bob] = await bed.members(2);
  const profileStream = await bed.record('profile');
  const feedStream = await bed.record('feed');
  try {
    await bed.run('mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }', { id: alice.id }, bob);
    const [request] = await bed.waitForNotifications(alice, (nodes) => nodes.length === 1);
    expect(request).toMatchObject({ type: 'FRIEND_REQUEST', actor: { id: bob.id } });
    const postId = await bed.post(alice, { content: 'once only', visibility: 'PUBLIC' });
    await bed.react(bob, postId);
    const [like] = await bed.waitForNotifications(alice, (nodes) => likesOf(nodes).length === 1);

    const sent = (await bed.eventually(
      async () => profileStream.events.find((event) => event.type === 'FriendRequestSent'),
      (event) => event !== undefined,
    )) as EventEnvelope;
    const reacted = (await bed.eventually(
      async () => feedStream.events.find((event) => event.type === 'PostReacted'),
      (event) => event !== undefined,
    )) as EventEnvelope;
    // The bus delivers at least once: the same envelopes again, twice.
    const events = bed.supergraph.stack.resources.events;
    for (let copy = 0; copy < 2; copy += 1) {
      await events.publish('profile', sent.type, sent.data, { id: sent.id });
      await events.publish('feed', reacted.type, reacted.data, { id: reacted.id });
    }
    // A later event on each stream: when it is visible, the copies before it were handled.
    await bed.run('mutation ($id: ID!) { follow(userId: $id) { id } }', { id: alice.id }, bob);
    await bed.comment(bob, postId, 'after the copies');
    const nodes = await bed.waitForNotifications(
      alice,
      (list) => list.some((node) => node.type === 'FOLLOW') && list.some((node) => node.type === 'COMMENT'),
    );
    expect(nodes.filter((node) => node.type === 'FRIEND_REQUEST').map((node) => node.id)).toEqual([
      request?.id,
    ]);
    const pick = (node?: Notification) =>
      node && [node.id, node.groupCount, node.lastEventAt, node.updatedAt];
    expect(likesOf(nodes).map(pick)).toEqual([pick(like)]);
    expect(await bed.unreadCount(alice)).toBe(4);
  } finally {
    await profileStream.stop();
    await feedStream.stop();
  }
});

test('an actor’s new display name replaces the old one in the texts of their notifications', async () => {
  const alice = await bed.member();
  const bob = await bed.member({ firstName: 'Bob', lastName: 'Before' });
  const postId = await bed.post(alice, { content: 'rename me', visibility: 'PUBLIC' });
  await bed.react(bob, postId);
  const [before] = await bed.waitForNotifications(alice, (nodes) => nodes.length === 1);
  expect(before?.message).toBe('Bob Before liked your post');

  await bed.run(
    'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }',
    { input: { displayName: 'Robert After' } },
    bob,
  );
  const [after] = await bed.waitForNotifications(alice, (nodes) => nodes[0]?.message !== before?.message);
  expect(after).toMatchObject({
    id: before?.id,
    message: 'Robert After liked your post',
    groupCount: 1,
    isRead: false,
  });
});
