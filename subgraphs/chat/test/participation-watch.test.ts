/**
 * The periodic participation check that backs the ParticipantChangedEvent: a viewer removed
 * while that event got lost still has their conversation streams ended at the next check, which
 * one read per conversation serves for all of the instance's subscribers.
 */
import { onMongoCommand } from '@social/kit';
import { ObjectId } from 'mongodb';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import { CONVERSATION_EVENTS, TYPING, chatClient } from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startChatTestbed({ env: { CHAT_VIEWING_HEARTBEAT_MS: '400', OUTBOX_POLL_MS: '3600000' } });
  client = chatClient(bed);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

type Event = { conversationEvents: { __typename: string; message?: { content: string } | null } };

test('a removal whose event was lost still ends the removed viewer’s streams, and only theirs', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Watched');
  const channel = `chat:conversation:${group.id}`;
  const bobs = await bed.subscribe<Event>(CONVERSATION_EVENTS, { id: group.id }, bob);
  await bed.listening(channel, 1);
  const bobsTyping = await bed.subscribe(TYPING, { id: group.id }, bob);
  const carols = await bed.subscribe<Event>(CONVERSATION_EVENTS, { id: group.id }, carol);
  await bed.listening(channel, 2);

  // Three subscriptions of the conversation, one read of it per check.
  let reads = 0;
  const stop = onMongoCommand((event) => {
    if (event.appName === 'chat' && event.commandName === 'find') reads += 1;
  });
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  stop();
  expect(reads).toBeGreaterThanOrEqual(3);
  expect(reads).toBeLessThanOrEqual(7);

  // Bob is taken out with no event published (as if pub/sub lost it).
  await bed.db
    .collection('conversations')
    .updateOne(
      { _id: new ObjectId(group.id) },
      { $set: { 'participants.$[p].isActive': false } },
      { arrayFilters: [{ 'p.userId': bob.id }] },
    );
  await Promise.all([bobs.completed, bobsTyping.completed]);

  await client.send(alice, group.id, 'still here');
  const event = await carols.next(15_000);
  expect(event.data?.conversationEvents.message?.content).toBe('still here');
  await carols.close();
});
