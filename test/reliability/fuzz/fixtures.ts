import { gatewayOperations, socialActions, type Supergraph, type TestAccount } from '@social/testing';
import type { Db } from 'mongodb';
import type { FuzzFixtures } from './values.js';

/** The viewers the fuzzer runs as: anonymous, a user with some data, an admin. */
export interface FuzzViewers {
  readonly user: TestAccount;
  readonly friend: TestAccount;
  readonly victim: TestAccount;
  readonly stranger: TestAccount;
  readonly admin: TestAccount;
}

export interface FuzzWorld {
  readonly viewers: FuzzViewers;
  /** Things the fuzz user owns or sees, kept alive (no destructive field gets them). */
  readonly fixtures: FuzzFixtures;
  /** Things destructive fields (delete, leave, block, ...) may destroy. */
  readonly disposable: FuzzFixtures;
}

type Data = Record<string, unknown>;

/**
 * Builds the fuzz user's world through the gateway, as people do: friends, a direct conversation
 * and a group with messages, posts with a poll and comments, a pending friend request, an upload
 * ticket, notifications; plus real cursors from the connections they appear in.
 */
export async function buildWorld(sg: Supergraph, replicas: readonly Db[]): Promise<FuzzWorld> {
  const { run } = gatewayOperations(sg);
  const [user, friend, victim, stranger, admin] = await Promise.all([
    sg.user({ firstName: 'Fuzz', lastName: 'User' }),
    sg.user({ firstName: 'Fuzz', lastName: 'Friend' }),
    sg.user({ firstName: 'Fuzz', lastName: 'Victim' }),
    sg.user({ firstName: 'Fuzz', lastName: 'Stranger' }),
    sg.user({ role: 'ADMIN' }),
  ]);
  const social = socialActions(sg, replicas, { timeoutMs: 60_000 });
  await social.befriend(user, friend);
  await social.befriend(user, victim);
  await social.follow(friend, user);
  const request = await run<{ sendFriendRequest: { id: string } }>(
    'mutation ($id: ID!) { sendFriendRequest(userId: $id, message: "hi") { id } }',
    { id: user.id },
    stranger,
  );

  const post = (input: Data, as: TestAccount = user) =>
    run<{ createPost: { id: string } }>(
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }',
      { input },
      as,
    ).then((d) => d.createPost.id);
  const kept = await post({ content: 'fuzz post #fuzz', visibility: 'PUBLIC' });
  const poll = await post({
    content: 'fuzz poll',
    postType: 'POLL',
    visibility: 'PUBLIC',
    poll: { question: 'Which?', options: ['a', 'b', 'c'], allowMultipleAnswers: true },
  }).catch(() => kept);
  const options = await sg
    .query<{ post: { poll: { options: Array<{ id: string }> } | null } | null }>(
      'query ($id: ID!) { post(id: $id) { poll { options { id } } } }',
      { id: poll },
      { token: user.token },
    )
    .then((r) => r.data?.post?.poll?.options.map((o) => o.id) ?? []);
  const doomed = await post({ content: 'fuzz post to delete', visibility: 'FRIENDS' });
  const friendPost = await post({ content: 'friend post', visibility: 'FRIENDS' }, friend);
  const comment = (postId: string, content: string, as: TestAccount) =>
    run<{ addComment: { id: string } }>(
      'mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }',
      { input: { postId, content } },
      as,
    ).then((d) => d.addComment.id);
  const keptComment = await comment(kept, 'nice', friend);
  const doomedComment = await comment(doomed, 'mine', user);

  const direct = await run<{ startDirectConversation: { id: string } }>(
    'mutation ($id: ID!) { startDirectConversation(userId: $id) { id } }',
    { id: friend.id },
    user,
  ).then((d) => d.startDirectConversation.id);
  const group = await run<{ createGroup: { id: string } }>(
    'mutation ($input: CreateGroupInput!) { createGroup(input: $input) { id } }',
    { input: { name: 'fuzz group', participantIds: [friend.id, victim.id] } },
    user,
  ).then((d) => d.createGroup.id);
  const send = (conversationId: string, content: string, as: TestAccount) =>
    run<{ sendMessage: { id: string } }>(
      'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
      { input: { conversationId, clientMessageId: `fuzz-${Math.random()}`, content } },
      as,
    ).then((d) => d.sendMessage.id);
  const keptMessage = await send(direct, 'hello', friend);
  const ownMessage = await send(direct, 'hi back', user);
  const groupMessage = await send(group, 'group hello', user);

  const upload = await run<{ requestUpload: { mediaId: string } }>(
    'mutation ($input: RequestUploadInput!) { requestUpload(input: $input) { mediaId } }',
    { input: { fileName: 'a.png', mimeType: 'image/png', fileSize: 100, category: 'POST' } },
    user,
  )
    .then((d) => [d.requestUpload.mediaId])
    .catch(() => [] as string[]);

  // Notifications arrive through events: take whatever is there by now.
  const notifications = await run<{
    notifications: { edges: Array<{ cursor: string; node: { id: string } }> };
  }>('{ notifications(first: 5) { edges { cursor node { id } } } }', {}, user).catch(() => ({
    notifications: { edges: [] },
  }));

  const cursors: string[] = notifications.notifications.edges.map((e) => e.cursor);
  for (const query of [
    '{ feed(first: 2) { edges { cursor } pageInfo { endCursor } } }',
    '{ explore(first: 2) { edges { cursor } } }',
    '{ conversations(first: 2) { edges { cursor } } }',
    `{ messages(conversationId: "${direct}", first: 2) { edges { cursor } } }`,
    `{ userPosts(userId: "${user.id}", first: 2) { edges { cursor } } }`,
    '{ searchUsers(query: "Fuzz", first: 2) { edges { cursor } } }',
    `{ post(id: "${kept}") { comments(first: 2) { edges { cursor } } } }`,
  ]) {
    const response = await sg.query(query, {}, { token: user.token });
    for (const match of JSON.stringify(response.data ?? {}).matchAll(/"(?:cursor|endCursor)":"([^"]+)"/g)) {
      cursors.push(match[1] as string);
    }
  }

  const fixtures: FuzzFixtures = {
    ids: {
      user: [user.id, friend.id, stranger.id, admin.id],
      post: [kept, poll, friendPost],
      comment: [keptComment],
      conversation: [direct],
      message: [keptMessage, ownMessage],
      media: upload,
      notification: notifications.notifications.edges.map((e) => e.node.id),
      request: [request.sendFriendRequest.id],
      entity: [kept, keptComment],
      option: options,
    },
    cursors,
  };
  const disposable: FuzzFixtures = {
    ids: {
      user: [victim.id, stranger.id],
      post: [doomed],
      comment: [doomedComment],
      conversation: [group],
      message: [groupMessage],
      media: upload,
      notification: fixtures.ids.notification ?? [],
      request: [request.sendFriendRequest.id],
    },
    cursors,
  };
  return { viewers: { user, friend, victim, stranger, admin }, fixtures, disposable };
}
