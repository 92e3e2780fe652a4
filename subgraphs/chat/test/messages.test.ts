/**
 * Sending: the input rules of each message type, idempotent retries, mentions, replies,
 * attachments checked against media's events, and the per-sender rate limit.
 */
import type { TestAccount } from '@social/testing';
import { ObjectId } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import { MESSAGE, SEND, chatClient, type Conversation, type Message } from './operations.js';

const RATE_LIMIT = 25;

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
let alice: TestAccount;
let bob: TestAccount;
let conversation: Conversation;
beforeAll(async () => {
  bed = await startChatTestbed({ env: { CHAT_SEND_RATE_POINTS: String(RATE_LIMIT), EVENT_WAIT_MS: '300' } });
  client = chatClient(bed);
  alice = await bed.member();
  bob = await bed.member();
  conversation = await client.direct(alice, bob);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const input = (extra: Record<string, unknown>) => ({
  input: { conversationId: conversation.id, clientMessageId: randomUUID(), ...extra },
});

/** Media's events about a file `ownerId` uploaded (as media publishes them). */
async function uploaded(
  ownerId: string,
  fileType: 'IMAGE' | 'AUDIO' | 'DOCUMENT' | 'VIDEO',
): Promise<string> {
  const mediaId = new ObjectId().toHexString();
  await bed.supergraph.stack.resources.events.publish('media', 'MediaUploaded', {
    mediaId,
    ownerId,
    fileType,
    mimeType: fileType === 'IMAGE' ? 'image/png' : 'application/octet-stream',
    category: 'CHAT',
    isPublic: false,
    fileSize: 1234,
    uploadedAt: new Date().toISOString(),
  });
  await bed.eventually(
    () => bed.db.collection('media_refs').findOne({ _id: mediaId as never }),
    (ref) => ref !== null,
  );
  return mediaId;
}

test('each message type has its rules, checked before anything is stored', async () => {
  const refused = async (extra: Record<string, unknown>) =>
    (await bed.failure(SEND, input(extra), alice)).extensions;
  expect(await refused({ content: '   ' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.content' });
  expect(await refused({ content: 'x'.repeat(5001) })).toMatchObject({ field: 'input.content' });
  expect(await refused({ messageType: 'SYSTEM', content: 'I am the server' })).toMatchObject({
    code: 'BAD_USER_INPUT',
    field: 'input.messageType',
  });
  expect(await refused({ messageType: 'MEDIA', content: 'caption' })).toMatchObject({
    field: 'input.mediaIds',
  });
  const image = await uploaded(alice.id, 'IMAGE');
  expect(await refused({ content: 'hi', mediaIds: [image] })).toMatchObject({ field: 'input.mediaIds' });
  const audio = [await uploaded(alice.id, 'AUDIO'), await uploaded(alice.id, 'AUDIO')];
  expect(await refused({ messageType: 'VOICE', mediaIds: audio })).toMatchObject({ field: 'input.mediaIds' });
  expect(await refused({ messageType: 'VOICE', mediaIds: [image] })).toMatchObject({
    field: 'input.mediaIds.0',
  });
  expect(await refused({ messageType: 'LOCATION' })).toMatchObject({ field: 'input.location' });
  expect(
    await refused({ messageType: 'LOCATION', location: { coordinates: { latitude: 91, longitude: 0 } } }),
  ).toMatchObject({ field: 'input.location.coordinates.latitude' });
  expect(await refused({ messageType: 'CONTACT' })).toMatchObject({ field: 'input.contactUserId' });
  expect(await refused({ content: 'hi', clientMessageId: 'k'.repeat(65) })).toMatchObject({
    field: 'input.clientMessageId',
  });
  const bobsImage = await uploaded(bob.id, 'IMAGE');
  expect(await refused({ messageType: 'MEDIA', mediaIds: [bobsImage] })).toMatchObject({ code: 'NOT_FOUND' });
  expect(await refused({ messageType: 'MEDIA', mediaIds: [new ObjectId().toHexString()] })).toMatchObject({
    code: 'NOT_FOUND',
  });
  // Nothing of the above was stored.
  expect((await client.conversation(alice, conversation.id))?.messagesCount).toBe(0);

  type Sent = { sendMessage: Message };
  const media = await bed.run<Sent>(
    SEND,
    input({ messageType: 'MEDIA', mediaIds: [image], content: 'look' }),
    alice,
  );
  expect(media.sendMessage).toMatchObject({ messageType: 'MEDIA', media: [{ id: image }], content: 'look' });
  const voice = await bed.run<Sent>(SEND, input({ messageType: 'VOICE', mediaIds: [audio[0]] }), alice);
  expect(voice.sendMessage).toMatchObject({ messageType: 'VOICE', content: null, media: [{ id: audio[0] }] });
  const file = await bed.run<Sent>(
    SEND,
    input({ messageType: 'FILE', mediaIds: [await uploaded(alice.id, 'DOCUMENT')] }),
    alice,
  );
  expect(file.sendMessage.messageType).toBe('FILE');
  const place = await bed.run<Sent>(
    SEND,
    input({
      messageType: 'LOCATION',
      location: {
        coordinates: { latitude: 48.8584, longitude: 2.2945 },
        name: 'Eiffel Tower',
        address: 'Paris',
      },
    }),
    alice,
  );
  expect(place.sendMessage.location).toEqual({
    coordinates: { latitude: 48.8584, longitude: 2.2945 },
    name: 'Eiffel Tower',
    address: 'Paris',
  });
  const carol = await bed.member();
  const contact = await bed.run<Sent>(
    SEND,
    input({ messageType: 'CONTACT', contactUserId: carol.id }),
    alice,
  );
  expect(contact.sendMessage.sharedContact).toEqual({ id: carol.id });
});

test('a retried send returns the stored message instead of a duplicate, even when concurrent', async () => {
  const before = (await client.conversation(alice, conversation.id))?.messagesCount ?? 0;
  const key = randomUUID();
  const retry = { input: { conversationId: conversation.id, clientMessageId: key, content: 'only once' } };
  const [first, second, third] = await Promise.all([
    bed.run<{ sendMessage: Message }>(SEND, retry, alice),
    bed.run<{ sendMessage: Message }>(SEND, retry, alice),
    bed.run<{ sendMessage: Message }>(SEND, retry, alice),
  ]);
  expect(new Set([first.sendMessage.id, second.sendMessage.id, third.sendMessage.id]).size).toBe(1);
  const later = await bed.run<{ sendMessage: Message }>(SEND, retry, alice);
  expect(later.sendMessage).toMatchObject({ id: first.sendMessage.id, clientMessageId: key });
  const after = await client.conversation(alice, conversation.id);
  expect(after?.messagesCount).toBe(before + 1);
  expect(after?.lastSequence).toBe(first.sendMessage.sequence);

  // The same key is another message for another sender; only the sender sees the key.
  const bobs = await bed.run<{ sendMessage: Message }>(
    SEND,
    { input: { ...retry.input, content: 'mine' } },
    bob,
  );
  expect(bobs.sendMessage.id).not.toBe(first.sendMessage.id);
  const seenByBob = await bed.run<{ message: Message }>(MESSAGE, { id: first.sendMessage.id }, bob);
  expect(seenByBob.message.clientMessageId).toBeNull();
});

test('mentions name participants only; replies stay within the conversation', async () => {
  const [carol, dave] = [await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Mentions');
  const message = await client.send(
    alice,
    group.id,
    `hey @${bob.username.toUpperCase()} and @${carol.username}, not @${dave.username} nor @nobody_here, email a@b.c`,
  );
  expect(message.mentions.map((m) => m.id).sort()).toEqual([bob.id, carol.id].sort());

  const reply = await client.send(bob, group.id, 'on it', { replyToMessageId: message.id });
  expect(reply.replyTo).toMatchObject({ id: message.id, isDeleted: false });
  const elsewhere = await bed.failure(
    SEND,
    {
      input: {
        conversationId: conversation.id,
        clientMessageId: randomUUID(),
        content: 'x',
        replyToMessageId: message.id,
      },
    },
    alice,
  );
  expect(elsewhere.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.replyToMessageId' });
});

test('sending is rate-limited per sender', async () => {
  const [eve, frank] = [await bed.member(), await bed.member()];
  const chat = await client.direct(eve, frank);
  for (let i = 0; i < RATE_LIMIT; i += 1) await client.send(eve, chat.id, `m${i}`);
  const limited = await bed.failure(
    SEND,
    { input: { conversationId: chat.id, clientMessageId: randomUUID(), content: 'one too many' } },
    eve,
  );
  expect(limited.extensions?.code).toBe('RATE_LIMITED');
  // Others are not affected.
  await client.send(frank, chat.id, 'my turn');
});
