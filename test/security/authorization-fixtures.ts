/**
 * The people and the private data of the authorization matrix: an owner with a FRIENDS-only
 * profile and hidden contact fields, a friend, a stranger, a user the owner blocked, an admin, and
 * a confidant (the owner's friend and chat partner, never a viewer). Every private thing of the
 * owner carries a unique marker so a leak anywhere in any response is found by a string search.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import {
  eventually,
  gatewayOperations,
  socialActions,
  startSupergraph,
  type GatewayOperations,
  type SocialActions,
  type Supergraph,
  type TestAccount,
} from '@social/testing';
import type { Marker, Viewer } from './authorization-selection.js';

type Vars = Record<string, unknown>;

export interface Fixtures {
  readonly sg: Supergraph;
  readonly mongo: MongoClient;
  readonly ops: GatewayOperations;
  readonly social: SocialActions;
  readonly accounts: Readonly<Record<Exclude<Viewer, 'anonymous'> | 'confidant', TestAccount>>;
  /** The account of a viewer (undefined: anonymous). */
  as(viewer: Viewer): TestAccount | undefined;
  /** Runs as the owner (or another account) and fails on any error. */
  run<T = Record<string, unknown>>(query: string, variables?: Vars, as?: TestAccount): Promise<T>;
  readonly markers: Marker[];
  readonly ids: {
    publicPost: string;
    friendsPost: string;
    privatePost: string;
    customPost: string;
    pollPost: string;
    pollOption: string;
    friendsComment: string;
    direct: string;
    group: string;
    message: string;
    groupMessage: string;
    privateMedia: string;
    notification: string;
    education: string;
    experience: string;
    certification: string;
    publicTag: string;
  };
  /** A new post of the owner (visibility FRIENDS unless given). */
  post(visibility?: string, content?: string): Promise<string>;
  /** A new message of the owner in the group. */
  message(content?: string): Promise<string>;
  /** A new private file of the owner. */
  media(): Promise<string>;
  /** A new group of the owner and the confidant. */
  group(): Promise<string>;
  stop(): Promise<void>;
}

const hex = () => randomUUID().replaceAll('-', '').slice(0, 12);

export async function buildFixtures(): Promise<Fixtures> {
  const sg = await startSupergraph({ env: { BCRYPT_COST: '4' } });
  const mongo = await MongoClient.connect(sg.mongoUrl);
  const dbOf = (service: string): Db => mongo.db(`${sg.mongoDbPrefix}social_${service}`);
  const replicas = ['feed', 'chat', 'notification'].map(dbOf);
  const ops = gatewayOperations(sg);
  const social = socialActions(sg, replicas, { timeoutMs: 30_000 });
  const markers: Marker[] = [];
  const mark = (
    what: string,
    seenBy: Viewer[],
    value = `${what.toUpperCase().replaceAll(' ', '')}${hex()}`,
    pagedOut = false,
  ) => {
    markers.push({ value, what, seenBy, pagedOut });
    return value;
  };
  const ownerOnly: Viewer[] = ['owner'];
  const ownerAdmin: Viewer[] = ['owner', 'admin'];
  const friends: Viewer[] = ['owner', 'friend'];
  // Profile fields: staff (admins, moderators) see every field of every profile, for moderation
  // (profile's privacy.ts, level `staff`); everyone else by the owner's privacy settings.
  const profileOwnerOnly: Viewer[] = ['owner', 'admin'];
  const profileFriends: Viewer[] = ['owner', 'friend', 'admin'];

  const ownerEmail = mark('owner email', ownerAdmin, `ownermail${hex()}@example.com`);
  const [owner, stranger, friend, blocked, admin, confidant] = await Promise.all([
    sg.user({ email: ownerEmail }),
    sg.user(),
    sg.user(),
    sg.user(),
    sg.user({ role: 'ADMIN' }),
    sg.user(),
  ]);
  const accounts = { owner, stranger, friend, blocked, admin, confidant };
  const run = <T = Record<string, unknown>>(query: string, variables: Vars = {}, as: TestAccount = owner) =>
    ops.run<T>(query, variables, as);
  // Every account is known to the services' replicas before anything refers to it.
  await Promise.all(
    Object.values(accounts).flatMap((account) =>
      replicas.map((db) =>
        eventually(
          () => db.collection('social_users').findOne({ _id: account.id as never }),
          (user) => Boolean(user?.privacy),
          { timeoutMs: 30_000, what: `${account.username} in ${db.databaseName}` },
        ),
      ),
    ),
  );

  // A session (and a login attempt) with a marked user agent: only the owner and admins see it.
  const agent = mark('session user agent', ownerAdmin, `PrivateAgent/${hex()}`);
  const login = await sg.query(
    'mutation ($input: LoginInput!) { login(input: $input) { session { id } } }',
    { input: { identifier: owner.username, password: owner.password } },
    { headers: { 'user-agent': agent } },
  );
  if (login.errors) throw new Error(JSON.stringify(login.errors));

  // A FRIENDS-only profile with every contact field hidden, messages from friends only.
  await run(
    'mutation ($input: UpdatePrivacySettingsInput!) { updatePrivacySettings(input: $input) { showEmail } }',
    {
      input: {
        profileVisibility: 'FRIENDS',
        showEmail: false,
        showPhoneNumber: false,
        showDateOfBirth: false,
        showLocation: false,
        showEducation: false,
        showExperience: false,
        showOnlineStatus: false,
        showLastSeen: false,
        allowMessages: 'FRIENDS',
      },
    },
  );
  const phone = mark('phone number', profileOwnerOnly, `+1${String(Date.now()).slice(-10)}`);
  await run('mutation ($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }', {
    input: { phoneNumber: phone },
  });
  const city = mark('location city', profileOwnerOnly);
  const bio = mark('friends-only bio', profileFriends);
  const year = 1940 + Math.floor(Math.random() * 40);
  const birth = mark('date of birth', profileOwnerOnly, `${year}-02-17`);
  await run('mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }', {
    input: { bio, dateOfBirth: `${birth}T00:00:00Z`, location: { city, country: 'Narnia' } },
  });
  const school = mark('hidden education', profileOwnerOnly);
  const education = await run<{ addEducation: { id: string } }>(
    'mutation ($input: AddProfileEducationInput!) { addEducation(input: $input) { id } }',
    { input: { school } },
  );
  const company = mark('hidden experience', profileOwnerOnly);
  const experience = await run<{ addExperience: { id: string } }>(
    'mutation ($input: AddProfileExperienceInput!) { addExperience(input: $input) { id } }',
    { input: { company, position: 'Engineer' } },
  );
  const certification = await run<{ addCertification: { id: string } }>(
    'mutation ($input: AddProfileCertificationInput!) { addCertification(input: $input) { id } }',
    { input: { name: 'Certified Tester' } },
  );
  // The privacy settings reach the replicas before anything is decided by them.
  await Promise.all(
    replicas.map((db) =>
      eventually(
        () => db.collection('social_users').findOne({ _id: owner.id as never }),
        (user) => user?.privacy?.profileVisibility === 'FRIENDS' && user.privacy.allowMessages === 'FRIENDS',
        { timeoutMs: 30_000, what: `owner privacy in ${db.databaseName}` },
      ),
    ),
  );

  await social.befriend(owner, friend);
  await social.befriend(owner, confidant);
  await social.block(owner, blocked);

  // Posts of every visibility.
  const createPost = async (visibility: string, content: string, extra: Vars = {}) =>
    (
      await run<{ createPost: { id: string } }>(
        'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }',
        { input: { postType: 'TEXT', visibility, content, ...extra } },
      )
    ).createPost.id;
  const publicTag = `authz${hex()}`;
  const publicPost = await createPost('PUBLIC', `hello world #${publicTag}`);
  const friendsPost = await createPost('FRIENDS', `${mark('friends-only post', friends)} #${publicTag}`);
  const privatePost = await createPost('PRIVATE', `${mark('private post', ownerOnly)} #${publicTag}`);
  // Shared with the friend and the confidant only: the friend sees it, not who else may.
  const customPost = await createPost('CUSTOM', mark('custom-audience post', friends), {
    audienceUserIds: [friend.id, confidant.id],
  });
  // Mentions in things the mentioned cannot see must not reach them (as a notification, say);
  // a later public mention is the sentinel that the earlier ones were handled.
  const mentionsPrivate = await createPost(
    'PRIVATE',
    `${mark('private mention', ownerOnly, undefined, true)} @${friend.username} @${stranger.username} @${blocked.username}`,
  );
  mark('private id', ownerOnly, mentionsPrivate, true);
  await run('mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }', {
    input: {
      postId: privatePost,
      content: `${mark('private comment', ownerOnly)} @${friend.username} @${stranger.username}`,
    },
  });
  const sentinel = await createPost('PUBLIC', `hello @${friend.username} @${stranger.username}`);
  const pollPost = await createPost('FRIENDS', 'a poll', {
    postType: 'POLL',
    poll: { question: mark('friends-only poll', friends), options: ['yes', 'no'] },
  });
  const poll = await run<{ post: { poll: { options: { id: string }[] } } }>(
    'query ($id: ID!) { post(id: $id) { poll { options { id } } } }',
    { id: pollPost },
  );
  const friendsComment = (
    await run<{ addComment: { id: string } }>(
      'mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }',
      { input: { postId: friendsPost, content: mark('friends-only comment', friends) } },
    )
  ).addComment.id;
  // The confidant's comment notifies the owner.
  await run(
    'mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }',
    { input: { postId: publicPost, content: 'nice' } },
    confidant,
  );

  // Chat: a direct conversation and a group with the confidant.
  const direct = (
    await run<{ startDirectConversation: { id: string } }>(
      'mutation ($id: ID!) { startDirectConversation(userId: $id) { id } }',
      { id: confidant.id },
    )
  ).startDirectConversation.id;
  let sent = 0;
  const send = async (conversationId: string, content: string, as: TestAccount = owner) => {
    // The owner's first message's idempotency key is the sender's alone (Message.clientMessageId).
    const key = as === owner && sent++ === 0 ? mark('client message id', ownerOnly) : hex();
    const made = await run<{ sendMessage: { id: string } }>(
      'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
      { input: { conversationId, clientMessageId: key, messageType: 'TEXT', content } },
      as,
    );
    return made.sendMessage.id;
  };
  const message = await send(direct, mark('direct message', ownerOnly));
  await send(direct, mark('direct reply', ownerOnly), confidant);
  const newGroup = async () =>
    (
      await run<{ createGroup: { id: string } }>(
        'mutation ($input: CreateGroupInput!) { createGroup(input: $input) { id } }',
        { input: { name: mark('group name', ownerOnly), participantIds: [confidant.id] } },
      )
    ).createGroup.id;
  const group = await newGroup();
  const groupMessage = await send(group, mark('group message', ownerOnly));

  const newMedia = async () =>
    (
      await run<{ requestUpload: { mediaId: string } }>(
        'mutation ($input: RequestUploadInput!) { requestUpload(input: $input) { mediaId } }',
        {
          input: {
            fileName: `${mark('private file name', ownerOnly, `privatefile${hex()}`)}.png`,
            mimeType: 'image/png',
            fileSize: 1024,
            category: 'POST',
            isPublic: false,
            description: mark('private file description', ownerOnly),
          },
        },
      )
    ).requestUpload.mediaId;
  const privateMedia = await newMedia();

  const notifications = await eventually(
    () =>
      run<{ notifications: { edges: { node: { id: string } }[] } }>(
        '{ notifications(first: 2) { edges { node { id } } } }',
      ),
    (page) => page.notifications.edges.length > 0,
    { timeoutMs: 30_000, what: 'a notification of the owner' },
  );
  for (const edge of notifications.notifications.edges) mark('notification id', ownerOnly, edge.node.id);
  // The public mention reached the friend and the stranger: the private ones were handled before.
  await Promise.all(
    [friend, stranger].map((account) =>
      eventually(
        () =>
          run<{ notifications: { edges: { node: { relatedEntityId: string | null } }[] } }>(
            '{ notifications(first: 50) { edges { node { relatedEntityId } } } }',
            {},
            account,
          ),
        (page) => page.notifications.edges.some((edge) => edge.node.relatedEntityId === sentinel),
        { timeoutMs: 30_000, what: `the public mention of ${account.username}` },
      ),
    ),
  );
  const sessions = await run<{ sessions: { id: string }[] }>('{ sessions { id } }');
  for (const session of sessions.sessions) mark('session id', ownerOnly, session.id);
  for (const id of [privatePost, message, groupMessage, direct, group, privateMedia])
    mark('private id', ownerOnly, id);

  const viewerAccounts: Record<Viewer, TestAccount | undefined> = {
    anonymous: undefined,
    stranger,
    friend,
    owner,
    blocked,
    admin,
  };
  return {
    sg,
    mongo,
    ops,
    social,
    accounts,
    as: (viewer) => viewerAccounts[viewer],
    run,
    markers,
    ids: {
      publicPost,
      friendsPost,
      privatePost,
      customPost,
      pollPost,
      pollOption: poll.post.poll.options[0]?.id ?? '',
      friendsComment,
      direct,
      group,
      message,
      groupMessage,
      privateMedia,
      notification: notifications.notifications.edges[0]?.node.id ?? '',
      education: education.addEducation.id,
      experience: experience.addExperience.id,
      certification: certification.addCertification.id,
      publicTag,
    },
    post: (visibility = 'FRIENDS', content = 'a post') => createPost(visibility, content),
    message: (content = 'a message') => send(group, content),
    media: newMedia,
    group: newGroup,
    async stop() {
      await mongo.close();
      await sg.stop();
    },
  };
}
