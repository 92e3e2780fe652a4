import {
  connectMongo,
  createMongoOutbox,
  ensureCollections,
  mongoDatabaseName,
  withTransaction,
  type EventBus,
  type Logger,
  type MongoConnection,
  type MongoOutbox,
} from '@social/kit';
import type { ClientSession, Collection } from 'mongodb';
import type { ProfileConfig } from '../config.js';
import { PRODUCER, type ProfileEventMap } from '../events.js';
import {
  COLLECTIONS,
  profileCollections,
  type ActivityDocument,
  type BlockDocument,
  type FollowDocument,
  type FriendRequestDocument,
  type FriendshipDocument,
  type GraphCleanupDocument,
  type MediaRefDocument,
  type ProfileDocument,
} from './collections.js';

/** The profile database: typed collections, transactions and the event outbox. */
export interface ProfileStore {
  readonly mongo: MongoConnection;
  readonly profiles: Collection<ProfileDocument>;
  readonly friendRequests: Collection<FriendRequestDocument>;
  readonly activities: Collection<ActivityDocument>;
  readonly friendships: Collection<FriendshipDocument>;
  readonly follows: Collection<FollowDocument>;
  readonly blocks: Collection<BlockDocument>;
  readonly mediaRefs: Collection<MediaRefDocument>;
  /** Deleted users whose edges are still being removed (graph-cleanup.ts). */
  readonly graphCleanups: Collection<GraphCleanupDocument>;
  readonly outbox: MongoOutbox<ProfileEventMap>;
  readonly config: ProfileConfig;
  /**
   * Runs `fn` in a transaction (retried on write conflicts, so it must be re-runnable) and kicks
   * the outbox relay after the commit, so the events `fn` enqueued go out at once.
   */
  transaction<T>(fn: (session: ClientSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openProfileStore(options: {
  config: ProfileConfig;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
}): Promise<ProfileStore> {
  const { config, logger } = options;
  const mongo = await connectMongo({
    url: config.MONGO_URL,
    dbName: mongoDatabaseName('profile', options.env),
    logger,
    appName: 'profile',
  });
  try {
    await ensureCollections(mongo.db, profileCollections());
  } catch (error) {
    await mongo.close();
    throw error;
  }
  const outbox = createMongoOutbox<ProfileEventMap>({
    db: mongo.db,
    events: options.events,
    producer: PRODUCER,
    logger,
    pollMs: config.OUTBOX_POLL_MS,
  });
  const { db } = mongo;
  return {
    mongo,
    profiles: db.collection<ProfileDocument>(COLLECTIONS.profiles),
    friendRequests: db.collection<FriendRequestDocument>(COLLECTIONS.friendRequests),
    activities: db.collection<ActivityDocument>(COLLECTIONS.activities),
    friendships: db.collection<FriendshipDocument>(COLLECTIONS.friendships),
    follows: db.collection<FollowDocument>(COLLECTIONS.follows),
    blocks: db.collection<BlockDocument>(COLLECTIONS.blocks),
    mediaRefs: db.collection<MediaRefDocument>(COLLECTIONS.mediaRefs),
    graphCleanups: db.collection<GraphCleanupDocument>(COLLECTIONS.graphCleanups),
    outbox,
    config,
    async transaction(fn) {
      const result = await withTransaction(mongo.client, fn);
      outbox.kick();
      return result;
    },
    async close() {
      await outbox.stop();
      await mongo.close();
    },
  };
}
