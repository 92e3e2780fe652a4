/**
 * Every kind of notification the social graph and the feed give, each with what a client shows
 * and opens (title, message, deep link, related entity, metadata), and the ones that go away:
 * a withdrawn friend request, a deleted post, a deleted account.
 */
import type { TestAccount } from '@social/testing';
import { startNotificationTestbed, type Notification, type NotificationTestbed } from './helpers.js';

let bed: NotificationTestbed;
beforeAll(async () => {
  bed = await startNotificationTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const ofType = (nodes: Notification[], type: string) => nodes.filter((node) => node.type === type);
const person = (firstName: string) => bed.member({ firstName, lastName: 'Test' });

async function sendRequest(from: TestAccount, to: TestAccount, message?: string): Promise<string> {
  const data = await bed.run<{ sendFriendRequest: { id: string } }>(
    'mutation ($id: ID!, $m: String) { sendFriendRequest(userId: $id, message: $m) { id } }',
    { id: to.id, m: message ?? null },
    from,
  );
  return data.sendFriendRequest.id;
}

test('friend requests: the receiver is told (with mutual friends), the sender when it is accepted', async () => {
  const [sam, rita, mutual] = [await person('Sam'), await person('Rita'), await person('Mo')];
  await bed.befriend(sam, mutual);
  await bed.befriend(mutual, rita);
  const fromSam = (nodes: Notification[]) => nodes.filter((node) => node.actor?.id === sam.id);
  const requestId = await sendRequest(sam, rita, 'Hi Rita, we met at the conference');
  const [request] = fromSam(await bed.waitForNotifications(rita, (nodes) => fromSam(nodes).length > 0));
  expect(request).toMatchObject({
    type: 'FRIEND_REQUEST',
    title: 'New friend request',
    message: 'Sam Test sent you a friend request: "Hi Rita, we met at the conference"',
    actor: { id: sam.id },
    relatedEntityId: requestId,
    relatedEntityType: 'FRIEND_REQUEST',
    actionUrl: `/friend-requests/${requestId}`,
    metadata: { requestId, mutualFriendsCount: 1, requestMessage: 'Hi Rita, we met at the conference' },
    priority: 'NORMAL',
  });

  await bed.run(
    'mutation ($id: ID!) { respondToFriendRequest(requestId: $id, accept: true) { id } }',
    { id: requestId },
    rita,
  );
  const byRita = (nodes: Notification[]) => nodes.filter((node) => node.actor?.id === rita.id);
  const [accepted] = byRita(await bed.waitForNotifications(sam, (nodes) => byRita(nodes).length > 0));
  expect(accepted).toMatchObject({
    type: 'FRIEND_ACCEPTED',
    title: 'Friend request accepted',
    message: 'Rita Test accepted your friend request',
    actor: { id: rita.id },
    relatedEntityId: rita.id,
    relatedEntityType: 'USER',
    actionUrl: `/users/${rita.id}`,
  });
  // Answered, the request's own notification is read.
  await bed.waitForNotifications(rita, (nodes) => fromSam(nodes)[0]?.isRead === true);
  expect(await bed.unreadCount(rita)).toBe(0);
});

test('a withdrawn friend request takes its notification with it', async () => {
  const [sam, rita] = [await person('Sam'), await person('Rita')];
  const requestId = await sendRequest(sam, rita);
  await bed.waitForNotifications(rita, (nodes) => nodes.length === 1);
  expect(await bed.unreadCount(rita)).toBe(1);
  await bed.run('mutation ($id: ID!) { cancelFriendRequest(requestId: $id) { id } }', { id: requestId }, sam);
  await bed.waitForNotifications(rita, (nodes) => nodes.length === 0);
  expect(await bed.unreadCount(rita)).toBe(0);
});

test('new followers collapse into one notification', async () => {
  const [star, first, second] = [await person('Star'), await person('Fan'), await person('Zed')];
  await bed.follow(first, star);
  await bed.follow(second, star);
  const [follow, ...rest] = await bed.waitForNotifications(star, (nodes) => nodes[0]?.groupCount === 2);
  expect(rest).toEqual([]);
  expect(follow).toMatchObject({
    type: 'FOLLOW',
    title: 'New follower',
    message: 'Zed Test and 1 other started following you',
    actors: [{ id: second.id }, { id: first.id }],
    relatedEntityType: 'USER',
    relatedEntityId: second.id,
    actionUrl: `/users/${second.id}`,
  });
});

test('comments tell the post’s author, replies the comment’s author', async () => {
  const [author, bob, carol] = [await person('Ava'), await person('Bob'), await person('Cy')];
  const postId = await bed.post(author, {
    content: 'What do you think about TypeScript?',
    visibility: 'PUBLIC',
  });
  const bobsComment = await bed.comment(bob, postId, 'Love it,\n  types everywhere');
  const [comment] = await bed.waitForNotifications(author, (nodes) => nodes.length === 1);
  expect(comment).toMatchObject({
    type: 'COMMENT',
    title: 'New comment',
    message: 'Bob Test commented on your post: "Love it, types everywhere"',
    relatedEntityId: bobsComment,
    relatedEntityType: 'COMMENT',
    actionUrl: `/posts/${postId}?comment=${bobsComment}`,
    metadata: {
      postId,
      commentId: bobsComment,
      commentPreview: 'Love it, types everywhere',
      postPreview: 'What do you think about TypeScript?',
    },
    priority: 'NORMAL',
  });

  const carolsReply = await bed.comment(carol, postId, 'Agreed!', bobsComment);
  const [reply] = await bed.waitForNotifications(bob, (nodes) => nodes.length === 1);
  expect(reply).toMatchObject({
    type: 'COMMENT_REPLY',
    title: 'New reply',
    message: 'Cy Test replied to your comment: "Agreed!"',
    relatedEntityId: carolsReply,
    actionUrl: `/posts/${postId}?comment=${carolsReply}`,
    metadata: { parentCommentId: bobsComment, commentId: carolsReply },
  });
  // The post's author hears of the reply as a comment on their post, grouped with Bob's.
  const [grouped] = await bed.waitForNotifications(author, (nodes) => nodes[0]?.groupCount === 2);
  expect(grouped).toMatchObject({ id: comment?.id, message: 'Cy Test and 1 other commented on your post' });

  // A reply to the author's own comment: one notification, the reply.
  const ownComment = await bed.comment(author, postId, 'Thanks all');
  await bed.comment(bob, postId, 'You are welcome', ownComment);
  const nodes = await bed.waitForNotifications(author, (list) => ofType(list, 'COMMENT_REPLY').length === 1);
  expect(ofType(nodes, 'COMMENT_REPLY')[0]).toMatchObject({
    message: 'Bob Test replied to your comment: "You are welcome"',
  });
  expect(ofType(nodes, 'COMMENT')).toHaveLength(1);
  expect(ofType(nodes, 'COMMENT')[0]?.groupCount).toBe(2);
});

test('reactions to a comment tell its author', async () => {
  const [author, commenter, fan] = [await person('Ava'), await person('Cal'), await person('Fay')];
  const postId = await bed.post(author, { content: 'post', visibility: 'PUBLIC' });
  const commentId = await bed.comment(commenter, postId, 'a comment worth liking');
  await bed.react(fan, commentId, 'COMMENT', 'HAHA');
  const [like] = await bed.waitForNotifications(commenter, (nodes) => nodes.length === 1);
  expect(like).toMatchObject({
    type: 'LIKE',
    title: 'New reaction',
    message: 'Fay Test reacted to your comment',
    relatedEntityId: commentId,
    relatedEntityType: 'COMMENT',
    actionUrl: `/posts/${postId}?comment=${commentId}`,
    metadata: {
      postId,
      commentId,
      commentPreview: 'a comment worth liking',
      reaction: 'HAHA',
      totalLikes: 1,
    },
  });
});

test('shares tell the original’s author unless they may not see the share', async () => {
  const [author, sharer, stranger] = [await person('Ava'), await person('Sid'), await person('Tom')];
  await bed.befriend(author, sharer);
  const postId = await bed.post(author, { content: 'share this', visibility: 'PUBLIC' });
  const share = async (as: TestAccount, visibility: string) =>
    (
      await bed.run<{ sharePost: { id: string } }>(
        'mutation ($input: SharePostInput!) { sharePost(input: $input) { id } }',
        { input: { postId, caption: 'look at this', visibility } },
        as,
      )
    ).sharePost.id;
  // A private share and a friends-only one by a stranger: nobody the author may see.
  await share(sharer, 'PRIVATE');
  await share(stranger, 'FRIENDS');
  const sharedId = await share(sharer, 'FRIENDS');
  const [shared, ...rest] = await bed.waitForNotifications(author, (nodes) => nodes.length > 0, {
    types: ['SHARE'],
  });
  expect(rest).toEqual([]);
  expect(shared).toMatchObject({
    type: 'SHARE',
    title: 'Post shared',
    message: 'Sid Test shared your post',
    actor: { id: sharer.id },
    groupCount: 1,
    relatedEntityId: postId,
    relatedEntityType: 'POST',
    actionUrl: `/posts/${sharedId}`,
    metadata: { postId, sharedPostId: sharedId, captionPreview: 'look at this' },
  });
});

test('mentions in posts and comments tell the mentioned user', async () => {
  const [writer, mentioned] = [await person('Wes'), await person('Mia')];
  const postId = await bed.post(writer, {
    content: `Great talk by @${mentioned.username} today`,
    visibility: 'PUBLIC',
  });
  const [inPost] = await bed.waitForNotifications(mentioned, (nodes) => nodes.length === 1);
  expect(inPost).toMatchObject({
    type: 'MENTION',
    title: 'You were mentioned',
    message: `Wes Test mentioned you in a post: "Great talk by @${mentioned.username} today"`,
    relatedEntityId: postId,
    relatedEntityType: 'POST',
    actionUrl: `/posts/${postId}`,
    metadata: { postId, source: 'POST', commentId: null },
  });
  const commentId = await bed.comment(writer, postId, `@${mentioned.username} slides please`);
  const [inComment] = await bed.waitForNotifications(mentioned, (nodes) => nodes.length === 2);
  expect(inComment).toMatchObject({
    type: 'MENTION',
    message: `Wes Test mentioned you in a comment: "@${mentioned.username} slides please"`,
    relatedEntityId: commentId,
    relatedEntityType: 'COMMENT',
    actionUrl: `/posts/${postId}?comment=${commentId}`,
  });
});

test('a friend’s post tells the friends who may see it and want to know', async () => {
  const [author, reader, quiet, outsider] = [
    await person('Pat'),
    await person('Rae'),
    await person('Qin'),
    await person('Oz'),
  ];
  await bed.befriend(author, reader);
  await bed.befriend(author, quiet);
  await bed.follow(outsider, author);
  await bed.settings(quiet, { postNotifications: false });
  await bed.post(author, { content: 'only me', visibility: 'PRIVATE' });
  const postId = await bed.post(author, { content: 'Weekend   plans?', visibility: 'FRIENDS' });
  const [post, ...rest] = await bed.waitForNotifications(reader, (nodes) => nodes.length > 0, {
    types: ['POST'],
  });
  expect(rest).toEqual([]);
  expect(post).toMatchObject({
    type: 'POST',
    title: 'New post',
    message: 'Pat Test posted: "Weekend plans?"',
    actor: { id: author.id },
    relatedEntityId: postId,
    relatedEntityType: 'POST',
    actionUrl: `/posts/${postId}`,
    metadata: { postId, postType: 'TEXT' },
  });
  // The sentinel: a later like on Qin's own post, so the post event was handled for Qin too.
  const quietPost = await bed.post(quiet, { content: 'mine', visibility: 'PUBLIC' });
  await bed.react(author, quietPost);
  const quietNodes = await bed.waitForNotifications(quiet, (nodes) => ofType(nodes, 'LIKE').length > 0);
  expect(ofType(quietNodes, 'POST')).toEqual([]);
  expect(await bed.notifications(outsider)).toMatchObject({ edges: [] });
});

test('notifications about a deleted post go with it', async () => {
  const [author, fan] = [await person('Ava'), await person('Fan')];
  const postId = await bed.post(author, { content: 'delete me', visibility: 'PUBLIC' });
  await bed.react(fan, postId);
  await bed.comment(fan, postId, 'bye');
  await bed.waitForNotifications(author, (nodes) => nodes.length === 2);
  expect(await bed.unreadCount(author)).toBe(2);
  await bed.run('mutation ($id: ID!) { deletePost(id: $id) }', { id: postId }, author);
  await bed.waitForNotifications(author, (nodes) => nodes.length === 0);
  expect(await bed.unreadCount(author)).toBe(0);
});

test('a deleted account disappears from notifications: theirs go, and others’ forget them', async () => {
  const [author, leaver, stayer] = [await person('Ava'), await person('Lee'), await person('Sue')];
  const postId = await bed.post(author, { content: 'popular', visibility: 'PUBLIC' });
  await bed.react(stayer, postId);
  await bed.react(leaver, postId);
  await bed.comment(leaver, postId, 'so long');
  const leaverPost = await bed.post(leaver, { content: 'mine', visibility: 'PUBLIC' });
  await bed.react(author, leaverPost);
  await bed.waitForNotifications(leaver, (nodes) => nodes.length === 1);
  await bed.waitForNotifications(
    author,
    (nodes) => nodes.length === 2 && ofType(nodes, 'LIKE')[0]?.groupCount === 2,
  );

  await bed.run('mutation ($p: String!) { deleteAccount(password: $p) }', { p: leaver.password }, leaver);
  const nodes = await bed.waitForNotifications(author, (list) => list.length === 1);
  expect(nodes[0]).toMatchObject({
    type: 'LIKE',
    groupCount: 1,
    message: 'Sue Test liked your post',
    actor: { id: stayer.id },
    actors: [{ id: stayer.id }],
  });
  expect(await bed.unreadCount(author)).toBe(1);
  expect(await bed.db.collection('notifications').countDocuments({ userId: leaver.id })).toBe(0);
});
