/**
 * Fault: the embedded MongoDB (a child process with a data directory) crashes (SIGKILL) and is
 * stopped gracefully (SIGTERM), each time restarted on the same port with the same directory,
 * while people keep posting and sending messages through the gateway.
 *
 * What must hold: the services reconnect by themselves (the driver retries; nothing restarts
 * them); every write acknowledged to a client is there afterwards exactly once (the server
 * fsyncs a write before acknowledging it: mongo-embedded's group commit); an unacknowledged one is
 * there or not, never half (a post exists exactly when its PostCreated outbox entry does); a
 * client retrying an unacknowledged message with the same clientMessageId never duplicates it.
 */
import { socialActions, startSupergraph, type Supergraph } from '@social/testing';
import { MongoClient, type Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { startLoad, summarize, timeUntil, type Load } from './faults/load.js';
import { startMongoProcess, type MongoProcess } from './faults/mongo-process.js';
import { sleep } from './faults/processes.js';
import { operationError, reportFigures } from './faults/report.js';

const OUTAGE_MS = 3_000;

let mongo: MongoProcess;
let sg: Supergraph;
let client: MongoClient;
let feedDb: Db;
let chatDb: Db;
beforeAll(async () => {
  mongo = await startMongoProcess();
  // MONGO_URL for the services; everything else in this process (in-process pub/sub and events).
  sg = await startSupergraph({ env: { MONGO_URL: mongo.uri, BCRYPT_COST: '4' } });
  client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 60_000 });
  feedDb = client.db(`${sg.mongoDbPrefix}social_feed`);
  chatDb = client.db(`${sg.mongoDbPrefix}social_chat`);
}, 180_000);
afterAll(async () => {
  await client?.close();
  await sg?.stop();
  await mongo?.destroy();
});

const CREATE_POST = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }';
const START_DIRECT = 'mutation ($id: ID!) { startDirectConversation(userId: $id) { id } }';
const SEND = 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }';

test('embedded MongoDB killed and restarted under load: no acknowledged write lost, none doubled, none half-done', async () => {
  const [alice, bob] = [await sg.user(), await sg.user()];
  await socialActions(sg, [chatDb], { timeoutMs: 60_000 }).befriend(alice, bob);
  const started = await sg.query<{ startDirectConversation: { id: string } }>(
    START_DIRECT,
    { id: bob.id },
    { token: alice.token },
  );
  const conversationId = started.data?.startDirectConversation.id;
  if (!conversationId) throw operationError(started);

  const marker = randomUUID().slice(0, 8);
  const posts: Load<string> = startLoad(
    async (seq) => {
      const response = await sg.query<{ createPost: { id: string } }>(
        CREATE_POST,
        { input: { content: `mongo fault ${marker} ${seq}`, visibility: 'PUBLIC' } },
        { token: alice.token },
      );
      if (!response.data?.createPost) throw operationError(response);
      return response.data.createPost.id;
    },
    { concurrency: 2 },
  );
  const attemptedMessages: string[] = [];
  const send = async (clientMessageId: string) => {
    const response = await sg.query<{ sendMessage: { id: string } }>(
      SEND,
      { input: { conversationId, clientMessageId, content: `message ${clientMessageId}` } },
      { token: alice.token },
    );
    if (!response.data?.sendMessage) throw operationError(response);
    return clientMessageId;
  };
  const messages: Load<string> = startLoad(
    async () => {
      const clientMessageId = randomUUID();
      attemptedMessages.push(clientMessageId);
      return send(clientMessageId);
    },
    { concurrency: 2 },
  );

  const phases: Record<string, unknown>[] = [];
  try {
    await Promise.all([posts.progress(10), messages.progress(10)]);
    for (const mode of ['SIGKILL', 'SIGTERM'] as const) {
      // The crash comes an instant after a write was acknowledged: the write must survive it.
      if (mode === 'SIGKILL') await Promise.race([posts.nextAcknowledged(), messages.nextAcknowledged()]);
      const downAt = Date.now();
      if (mode === 'SIGKILL') await mongo.kill();
      else await mongo.stop();
      await sleep(OUTAGE_MS);
      const startingAt = Date.now();
      await mongo.start();
      const upAt = Date.now();
      await timeUntil(
        async () =>
          posts.between(upAt, Infinity).some((o) => o.error === undefined) &&
          messages.between(upAt, Infinity).some((o) => o.error === undefined),
        `writes acknowledged again after the ${mode} restart`,
      );
      const firstAck = (load: Load<string>) =>
        Math.min(...load.between(upAt, Infinity).flatMap((o) => (o.error === undefined ? [o.endedAt] : []))) -
        upAt;
      phases.push({
        mode,
        downMs: startingAt - downAt,
        serverStartupMs: upAt - startingAt,
        postsDuringOutage: summarize(posts.between(downAt, upAt)),
        messagesDuringOutage: summarize(messages.between(downAt, upAt)),
        firstPostAcknowledgedAfterRestartMs: firstAck(posts),
        firstMessageAcknowledgedAfterRestartMs: firstAck(messages),
      });
      await Promise.all([posts.progress(10), messages.progress(10)]);
    }
  } finally {
    await Promise.all([posts.stop(), messages.stop()]);
  }

  // Posts: every acknowledged one exactly once; each one there (acknowledged or not) with its
  // PostCreated outbox entry, written in the same transaction.
  const acknowledgedPosts = posts.acknowledged();
  const stored = await feedDb
    .collection('posts')
    .find({ content: { $regex: `^mongo fault ${marker} ` } }, { projection: { _id: 1, content: 1 } })
    .toArray();
  const storedIds = stored.map((p) => String(p._id));
  const byContent = new Map<string, number>();
  for (const p of stored) byContent.set(String(p.content), (byContent.get(String(p.content)) ?? 0) + 1);
  const postsLost = acknowledgedPosts.filter((id) => !storedIds.includes(id));
  const postsDoubled = [...byContent.values()].filter((n) => n > 1).length;
  const events = await feedDb
    .collection('event_outbox')
    .find({ type: 'PostCreated', 'data.postId': { $in: storedIds } }, { projection: { 'data.postId': 1 } })
    .toArray();
  const withEvent = new Set(events.map((e) => String((e.data as { postId: string }).postId)));
  const halfDone = storedIds.filter((id) => !withEvent.has(id));

  // Messages: every acknowledged clientMessageId exactly once; then the client retries the ones it
  // was not told about (same clientMessageId) and each is there exactly once.
  const acknowledgedMessages = new Set(messages.acknowledged());
  const messageCounts = async () => {
    const docs = await chatDb
      .collection('messages')
      .find({ clientMessageId: { $in: attemptedMessages } })
      .project({ clientMessageId: 1 })
      .toArray();
    const counts = new Map<string, number>();
    for (const d of docs)
      counts.set(String(d.clientMessageId), (counts.get(String(d.clientMessageId)) ?? 0) + 1);
    return counts;
  };
  const afterRun = await messageCounts();
  const messagesLost = [...acknowledgedMessages].filter((id) => !afterRun.has(id));
  const unacknowledged = attemptedMessages.filter((id) => !acknowledgedMessages.has(id));
  const unacknowledgedPresent = unacknowledged.filter((id) => afterRun.has(id)).length;
  for (const id of unacknowledged) await send(id);
  const afterRetry = await messageCounts();
  const messagesDoubled = [...afterRetry.values()].filter((n) => n > 1).length;
  const retriedMissing = unacknowledged.filter((id) => afterRetry.get(id) !== 1);

  reportFigures('embedded MongoDB restart', {
    phases,
    posts: summarize(posts.outcomes),
    messages: summarize(messages.outcomes),
    acknowledgedPosts: acknowledgedPosts.length,
    postsLost: postsLost.length,
    postsDoubled,
    unacknowledgedPostsPresent: storedIds.length - acknowledgedPosts.length,
    postsWithoutTheirEvent: halfDone.length,
    acknowledgedMessages: acknowledgedMessages.size,
    messagesLost: messagesLost.length,
    unacknowledgedMessages: unacknowledged.length,
    unacknowledgedMessagesPresent: unacknowledgedPresent,
    messagesDoubledAfterRetries: messagesDoubled,
  });

  expect(phases).toHaveLength(2);
  expect(acknowledgedPosts.length).toBeGreaterThan(30);
  expect(postsLost).toEqual([]);
  expect(postsDoubled).toBe(0);
  expect(halfDone).toEqual([]);
  expect(acknowledgedMessages.size).toBeGreaterThan(30);
  expect(messagesLost).toEqual([]);
  expect(retriedMissing).toEqual([]);
  expect(messagesDoubled).toBe(0);
});
