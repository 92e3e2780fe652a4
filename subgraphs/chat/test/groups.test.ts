/**
 * Groups: created with the creator as admin, 2 to 256 participants, changed by admins only, a
 * SYSTEM message for every change, never left without an admin.
 */
import { DEFAULT_NOTIFICATION_SETTINGS, DEFAULT_PRIVACY } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { ObjectId } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import {
  ADD_PARTICIPANTS,
  CREATE_GROUP,
  LEAVE,
  MESSAGES,
  REMOVE_PARTICIPANT,
  SEND,
  SET_ROLE,
  UPDATE_GROUP,
  chatClient,
  type Conversation,
} from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startChatTestbed();
  client = chatClient(bed);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const roles = (conversation: Conversation) => conversation.participants.map((p) => [p.user.id, p.role]);

async function systemTexts(viewer: TestAccount, id: string): Promise<string[]> {
  const page = await client.messages(viewer, id, { last: 50 });
  return page.edges
    .filter((edge) => edge.node.messageType === 'SYSTEM')
    .map((edge) => edge.node.content ?? '');
}

/** Users chat knows (as if their registration events had arrived), for the size limits. */
async function knownUsers(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await bed.db.collection('social_users').insertMany(
    ids.map((id, index) => ({
      _id: id as never,
      username: `bulk_${index}_${id.slice(0, 6)}`,
      usernameLower: `bulk_${index}_${id.slice(0, 6)}`,
      displayName: `Bulk ${index}`,
      avatarUrl: null,
      status: 'ACTIVE',
      privacy: DEFAULT_PRIVACY,
      notificationSettings: DEFAULT_NOTIFICATION_SETTINGS,
      versions: {},
    })),
  );
  return ids;
}

test('the creator is the first admin; members see the creation as an unread SYSTEM message', async () => {
  const [alice, bob, carol] = [
    await bed.member({ firstName: 'Alice', lastName: 'A' }),
    await bed.member(),
    await bed.member(),
  ];
  const group = await client.group(alice, [bob, carol], 'Climbing');
  expect(group).toMatchObject({ type: 'GROUP', name: 'Climbing', participantsCount: 3, lastSequence: 1 });
  expect(roles(group)).toEqual([
    [alice.id, 'ADMIN'],
    [bob.id, 'MEMBER'],
    [carol.id, 'MEMBER'],
  ]);
  expect(group.lastMessage).toMatchObject({
    messageType: 'SYSTEM',
    content: 'Alice A created the group "Climbing"',
  });
  expect(group.unreadCount).toBe(0);
  expect((await client.conversation(bob, group.id))?.unreadCount).toBe(1);
});

test('group input is checked: name, participants, size 2..256', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const code = async (input: Record<string, unknown>) =>
    (await bed.failure(CREATE_GROUP, { input }, alice)).extensions;
  expect(await code({ name: ' ', participantIds: [bob.id] })).toMatchObject({ field: 'input.name' });
  expect(await code({ name: 'x'.repeat(101), participantIds: [bob.id] })).toMatchObject({
    field: 'input.name',
  });
  expect(await code({ name: 'Solo', participantIds: [] })).toMatchObject({ field: 'input.participantIds' });
  expect(await code({ name: 'Twice', participantIds: [bob.id, bob.id] })).toMatchObject({
    field: 'input.participantIds',
  });
  expect(await code({ name: 'Me', participantIds: [alice.id] })).toMatchObject({
    field: 'input.participantIds',
  });
  expect(await code({ name: 'D', description: 'd'.repeat(501), participantIds: [bob.id] })).toMatchObject({
    field: 'input.description',
  });

  const crowd = await knownUsers(256);
  expect(await code({ name: 'Too big', participantIds: crowd })).toMatchObject({ code: 'BAD_USER_INPUT' });
  const biggest = (
    await bed.run<{ createGroup: Conversation }>(
      CREATE_GROUP,
      { input: { name: 'Biggest', participantIds: crowd.slice(0, 255) } },
      alice,
    )
  ).createGroup;
  expect(biggest.participantsCount).toBe(256);
  const over = await bed.failure(ADD_PARTICIPANTS, { id: biggest.id, userIds: [bob.id] }, alice);
  expect(over.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userIds' });
}, 60_000);

test('admins change details and membership; members cannot', async () => {
  const [alice, bob, carol, dave] = [
    await bed.member({ firstName: 'Alice', lastName: 'B' }),
    await bed.member({ firstName: 'Bob', lastName: 'B' }),
    await bed.member({ firstName: 'Carol', lastName: 'B' }),
    await bed.member({ firstName: 'Dave', lastName: 'B' }),
  ];
  const group = await client.group(alice, [bob], 'Book club');

  const asMember = await bed.failure(
    UPDATE_GROUP,
    { input: { conversationId: group.id, name: 'Mine' } },
    bob,
  );
  expect(asMember.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ADMIN' });
  const addAsMember = await bed.failure(ADD_PARTICIPANTS, { id: group.id, userIds: [carol.id] }, bob);
  expect(addAsMember.extensions?.code).toBe('FORBIDDEN');

  type Updated = { updateGroup: Conversation & { description: string | null } };
  const renamed = await bed.run<Updated>(
    UPDATE_GROUP,
    { input: { conversationId: group.id, name: 'Readers', description: 'Monthly' } },
    alice,
  );
  expect(renamed.updateGroup).toMatchObject({ name: 'Readers', description: 'Monthly' });
  const cleared = await bed.run<Updated>(
    UPDATE_GROUP,
    { input: { conversationId: group.id, description: null } },
    alice,
  );
  expect(cleared.updateGroup).toMatchObject({ name: 'Readers', description: null });
  const unnamed = await bed.failure(UPDATE_GROUP, { input: { conversationId: group.id, name: null } }, alice);
  expect(unnamed.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });

  const added = await bed.run<{ addParticipants: Conversation }>(
    ADD_PARTICIPANTS,
    { id: group.id, userIds: [carol.id, dave.id, bob.id] },
    alice,
  );
  expect(added.addParticipants.participantsCount).toBe(4);
  // History is there for newcomers, but not unread.
  expect((await client.conversation(carol, group.id))?.unreadCount).toBe(1);

  const removed = await bed.run<{ removeParticipant: Conversation }>(
    REMOVE_PARTICIPANT,
    { id: group.id, userId: dave.id },
    alice,
  );
  expect(removed.removeParticipant.participants.map((p) => p.user.id)).not.toContain(dave.id);
  expect(await client.conversation(dave, group.id)).toBeNull();
  const daveSends = await bed.failure(
    SEND,
    { input: { conversationId: group.id, clientMessageId: randomUUID(), content: 'let me in' } },
    dave,
  );
  expect(daveSends.extensions).toMatchObject({ code: 'FORBIDDEN' });
  const daveReads = await bed.failure(MESSAGES, { id: group.id }, dave);
  expect(daveReads.extensions?.code).toBe('FORBIDDEN');
  const self = await bed.failure(REMOVE_PARTICIPANT, { id: group.id, userId: alice.id }, alice);
  expect(self.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

  expect(await systemTexts(alice, group.id)).toEqual([
    'Alice B created the group "Book club"',
    'Alice B changed the group name to "Readers", changed the group description',
    'Alice B removed the group description',
    'Alice B added Carol B, Dave B',
    'Alice B removed Dave B',
  ]);
  // Re-added later, Dave is back without the messages of his absence counting as unread.
  await client.send(bob, group.id, 'while Dave was away');
  await bed.run(ADD_PARTICIPANTS, { id: group.id, userIds: [dave.id] }, alice);
  expect((await client.conversation(dave, group.id))?.unreadCount).toBe(1);
});

test('roles: demoting the last admin is a conflict; the last admin leaving promotes the eldest member', async () => {
  const [alice, bob, carol] = [
    await bed.member({ firstName: 'Alice', lastName: 'C' }),
    await bed.member({ firstName: 'Bob', lastName: 'C' }),
    await bed.member({ firstName: 'Carol', lastName: 'C' }),
  ];
  const group = await client.group(alice, [bob], 'Roles');
  await bed.run(ADD_PARTICIPANTS, { id: group.id, userIds: [carol.id] }, alice);

  const lastAdmin = await bed.failure(
    SET_ROLE,
    { input: { conversationId: group.id, userId: alice.id, role: 'MEMBER' } },
    alice,
  );
  expect(lastAdmin.extensions?.code).toBe('CONFLICT');
  const byMember = await bed.failure(
    SET_ROLE,
    { input: { conversationId: group.id, userId: bob.id, role: 'ADMIN' } },
    bob,
  );
  expect(byMember.extensions?.code).toBe('FORBIDDEN');

  const promoted = await bed.run<{ setParticipantRole: Conversation }>(
    SET_ROLE,
    { input: { conversationId: group.id, userId: carol.id, role: 'ADMIN' } },
    alice,
  );
  // Admins first, then by join time.
  expect(roles(promoted.setParticipantRole)).toEqual([
    [alice.id, 'ADMIN'],
    [carol.id, 'ADMIN'],
    [bob.id, 'MEMBER'],
  ]);
  const demoted = await bed.run<{ setParticipantRole: Conversation }>(
    SET_ROLE,
    { input: { conversationId: group.id, userId: alice.id, role: 'MEMBER' } },
    carol,
  );
  expect(roles(demoted.setParticipantRole)[0]).toEqual([carol.id, 'ADMIN']);

  expect(
    (await bed.run<{ leaveConversation: boolean }>(LEAVE, { id: group.id }, carol)).leaveConversation,
  ).toBe(true);
  // Carol was the last admin: Alice, the longest-standing member, takes over.
  const after = await client.conversation(bob, group.id);
  expect(after && roles(after)).toEqual([
    [alice.id, 'ADMIN'],
    [bob.id, 'MEMBER'],
  ]);
  expect(await client.conversation(carol, group.id)).toBeNull();
  expect((await systemTexts(bob, group.id)).slice(-2)).toEqual(['Carol C left', 'Alice C is now an admin']);

  const direct = await client.direct(alice, bob);
  const leaveDirect = await bed.failure(LEAVE, { id: direct.id }, alice);
  expect(leaveDirect.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
});

/** Media's events about a file `ownerId` uploaded and media processed (as media publishes them). */
async function uploaded(ownerId: string, fileType: 'IMAGE' | 'DOCUMENT'): Promise<string> {
  const mediaId = new ObjectId().toHexString();
  const common = { mediaId, ownerId, fileType, mimeType: 'image/png', category: 'CHAT', isPublic: false };
  const events = bed.supergraph.stack.resources.events;
  await events.publish('media', 'MediaUploaded', {
    ...common,
    fileSize: 10,
    uploadedAt: new Date().toISOString(),
  });
  await bed.eventually(
    () => bed.db.collection('media_refs').findOne({ _id: mediaId as never }),
    (ref) => ref !== null,
  );
  return mediaId;
}

test('a group avatar is an image the admin uploaded, and can be changed or removed', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const image = await uploaded(alice.id, 'IMAGE');
  const created = await bed.run<{ createGroup: Conversation }>(
    CREATE_GROUP,
    { input: { name: 'Pictured', participantIds: [bob.id], avatarMediaId: image } },
    alice,
  );
  expect(created.createGroup.avatar).toEqual({ id: image });
  const notHers = await bed.failure(
    CREATE_GROUP,
    { input: { name: 'Borrowed', participantIds: [alice.id], avatarMediaId: image } },
    bob,
  );
  expect(notHers.extensions?.code).toBe('NOT_FOUND');
  const document = await uploaded(alice.id, 'DOCUMENT');
  const notImage = await bed.failure(
    UPDATE_GROUP,
    { input: { conversationId: created.createGroup.id, avatarMediaId: document } },
    alice,
  );
  expect(notImage.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.avatarMediaId' });
  // A file media deleted meanwhile is refused too.
  const other = await uploaded(alice.id, 'IMAGE');
  await bed.supergraph.stack.resources.events.publish('media', 'MediaDeleted', {
    mediaId: other,
    ownerId: alice.id,
    deletedAt: new Date().toISOString(),
  });
  await bed.eventually(
    () => bed.db.collection('media_refs').findOne({ _id: other as never }),
    (ref) => ref?.status === 'DELETED',
  );
  const deleted = await bed.failure(
    UPDATE_GROUP,
    { input: { conversationId: created.createGroup.id, avatarMediaId: other } },
    alice,
  );
  expect(deleted.extensions?.code).toBe('NOT_FOUND');
  const removed = await bed.run<{ updateGroup: Conversation }>(
    UPDATE_GROUP,
    { input: { conversationId: created.createGroup.id, avatarMediaId: null } },
    alice,
  );
  expect(removed.updateGroup.avatar).toBeNull();
  expect((await systemTexts(bob, created.createGroup.id)).at(-1)).toMatch(/removed the group photo$/);
});
