import {
  SocialReplica,
  openMongoServiceStore,
  type EventBus,
  type Logger,
  type MongoServiceStore,
} from '@social/kit';
import type { ClientSession, Collection } from 'mongodb';
import type { ChatConfig } from '../config.js';
import { PRODUCER, type ChatEventMap } from '../events.js';
import {
  COLLECTIONS,
  chatCollections,
  type ConversationDocument,
  type MediaRefDocument,
  type MessageDocument,
} from './collections.js';
import { ConversationLocks } from './conversation-lock.js';

/** The chat database: typed collections, the social replica, transactions and the event outbox. */
export interface ChatStore extends MongoServiceStore<ChatEventMap> {
  readonly conversations: Collection<ConversationDocument>;
  readonly messages: Collection<MessageDocument>;
  readonly mediaRefs: Collection<MediaRefDocument>;
  /** Users, privacy settings, friendships and blocks as auth's and profile's events told them. */
  readonly replica: SocialReplica;
  /** A transaction that writes a conversation, queued behind this process's others on it. */
  conversationTransaction<T>(conversationId: string, fn: (session: ClientSession) => Promise<T>): Promise<T>;
}

export async function openChatStore(options: {
  config: ChatConfig;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
}): Promise<ChatStore> {
  const { config } = options;
  const base = await openMongoServiceStore<ChatEventMap>({
    service: PRODUCER,
    url: config.MONGO_URL,
    env: options.env,
    events: options.events,
    logger: options.logger,
    collections: chatCollections(),
    outboxPollMs: config.OUTBOX_POLL_MS,
  });
  const { db } = base.mongo;
  const locks = new ConversationLocks();
  return {
    ...base,
    conversations: db.collection<ConversationDocument>(COLLECTIONS.conversations),
    messages: db.collection<MessageDocument>(COLLECTIONS.messages),
    mediaRefs: db.collection<MediaRefDocument>(COLLECTIONS.mediaRefs),
    replica: new SocialReplica(db),
    conversationTransaction: (conversationId, fn) => locks.run(conversationId, () => base.transaction(fn)),
  };
}
