import {
  SocialReplica,
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
import type { FeedConfig } from '../config.js';
import { PRODUCER, type FeedEventMap } from '../events.js';
import {
  COLLECTIONS,
  feedCollections,
  type CommentDocument,
  type FeedAuthorDocument,
  type HashtagDocument,
  type HashtagUseDocument,
  type LikeDocument,
  type MediaRefDocument,
  type PollVoteDocument,
  type PostDocument,
  type PostViewDocument,
  type ShareDocument,
} from './collections.js';

/** The feed database: typed collections, the social replica, transactions and the event outbox. */
export interface FeedStore {
  readonly mongo: MongoConnection;
  readonly posts: Collection<PostDocument>;
  readonly comments: Collection<CommentDocument>;
  readonly likes: Collection<LikeDocument>;
  readonly shares: Collection<ShareDocument>;
  readonly hashtags: Collection<HashtagDocument>;
  readonly hashtagUses: Collection<HashtagUseDocument>;
  readonly pollVotes: Collection<PollVoteDocument>;
  readonly postViews: Collection<PostViewDocument>;
  readonly authors: Collection<FeedAuthorDocument>;
  readonly mediaRefs: Collection<MediaRefDocument>;
  /** Friends, follows, blocks and account status, kept from auth's and profile's events. */
  readonly replica: SocialReplica;
  readonly outbox: MongoOutbox<FeedEventMap>;
  readonly config: FeedConfig;
  /**
   * Runs `fn` in a transaction (retried on write conflicts, so it must be re-runnable) and kicks
   * the outbox relay after the commit, so the events `fn` enqueued go out at once.
   */
  transaction<T>(fn: (session: ClientSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openFeedStore(options: {
  config: FeedConfig;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
}): Promise<FeedStore> {
  const { config, logger } = options;
  const mongo = await connectMongo({
    url: config.MONGO_URL,
    dbName: mongoDatabaseName('feed', options.env),
    logger,
    appName: 'feed',
  });
  try {
    await ensureCollections(mongo.db, feedCollections());
  } catch (error) {
    await mongo.close();
    throw error;
  }
  const outbox = createMongoOutbox<FeedEventMap>({
    db: mongo.db,
    events: options.events,
    producer: PRODUCER,
    logger,
    pollMs: config.OUTBOX_POLL_MS,
  });
  const { db } = mongo;
  return {
    mongo,
    posts: db.collection<PostDocument>(COLLECTIONS.posts),
    comments: db.collection<CommentDocument>(COLLECTIONS.comments),
    likes: db.collection<LikeDocument>(COLLECTIONS.likes),
    shares: db.collection<ShareDocument>(COLLECTIONS.shares),
    hashtags: db.collection<HashtagDocument>(COLLECTIONS.hashtags),
    hashtagUses: db.collection<HashtagUseDocument>(COLLECTIONS.hashtagUses),
    pollVotes: db.collection<PollVoteDocument>(COLLECTIONS.pollVotes),
    postViews: db.collection<PostViewDocument>(COLLECTIONS.postViews),
    authors: db.collection<FeedAuthorDocument>(COLLECTIONS.authors),
    mediaRefs: db.collection<MediaRefDocument>(COLLECTIONS.mediaRefs),
    replica: new SocialReplica(db),
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
