import { openMongoServiceStore, type EventBus, type Logger, type MongoServiceStore } from '@social/kit';
import type { Collection } from 'mongodb';
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
export interface ProfileStore extends MongoServiceStore<ProfileEventMap> {
  readonly profiles: Collection<ProfileDocument>;
  readonly friendRequests: Collection<FriendRequestDocument>;
  readonly activities: Collection<ActivityDocument>;
  readonly friendships: Collection<FriendshipDocument>;
  readonly follows: Collection<FollowDocument>;
  readonly blocks: Collection<BlockDocument>;
  readonly mediaRefs: Collection<MediaRefDocument>;
  /** Deleted users whose edges are still being removed (graph-cleanup.ts). */
  readonly graphCleanups: Collection<GraphCleanupDocument>;
  readonly config: ProfileConfig;
}

export async function openProfileStore(options: {
  config: ProfileConfig;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
}): Promise<ProfileStore> {
  const { config } = options;
  const base = await openMongoServiceStore<ProfileEventMap>({
    service: PRODUCER,
    url: config.MONGO_URL,
    env: options.env,
    events: options.events,
    logger: options.logger,
    collections: profileCollections(),
    outboxPollMs: config.OUTBOX_POLL_MS,
  });
  const { db } = base.mongo;
  return {
    ...base,
    profiles: db.collection<ProfileDocument>(COLLECTIONS.profiles),
    friendRequests: db.collection<FriendRequestDocument>(COLLECTIONS.friendRequests),
    activities: db.collection<ActivityDocument>(COLLECTIONS.activities),
    friendships: db.collection<FriendshipDocument>(COLLECTIONS.friendships),
    follows: db.collection<FollowDocument>(COLLECTIONS.follows),
    blocks: db.collection<BlockDocument>(COLLECTIONS.blocks),
    mediaRefs: db.collection<MediaRefDocument>(COLLECTIONS.mediaRefs),
    graphCleanups: db.collection<GraphCleanupDocument>(COLLECTIONS.graphCleanups),
    config,
  };
}
