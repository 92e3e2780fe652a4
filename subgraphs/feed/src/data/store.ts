import {
  SocialReplica,
  openMongoServiceStore,
  type EventBus,
  type Logger,
  type MongoServiceStore,
} from '@social/kit';
import type { Collection } from 'mongodb';
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
export interface FeedStore extends MongoServiceStore<FeedEventMap> {
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
  readonly config: FeedConfig;
}

export async function openFeedStore(options: {
  config: FeedConfig;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
}): Promise<FeedStore> {
  const { config } = options;
  const base = await openMongoServiceStore<FeedEventMap>({
    service: PRODUCER,
    url: config.MONGO_URL,
    env: options.env,
    events: options.events,
    logger: options.logger,
    collections: feedCollections(),
    outboxPollMs: config.OUTBOX_POLL_MS,
  });
  const { db } = base.mongo;
  return {
    ...base,
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
    config,
  };
}
