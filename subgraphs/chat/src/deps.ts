import type { Logger, PubSub, RateLimiter } from '@social/kit';
import type { ChatConfig } from './config.js';
import type { ChatStore } from './data/store.js';
import type { Notifier } from './realtime/channels.js';
import type { TypingStore } from './realtime/typing.js';
import type { UnreadCache } from './realtime/unread.js';
import type { ViewingRegistry } from './realtime/viewing.js';

/** What the chat service opens once per process and every resolver and consumer uses. */
export interface ChatDeps {
  readonly config: ChatConfig;
  readonly store: ChatStore;
  readonly logger: Logger;
  readonly pubsub: PubSub;
  /** Publishes realtime events after commits (best effort). */
  readonly notifier: Notifier;
  readonly typing: TypingStore;
  readonly viewing: ViewingRegistry;
  readonly unread: UnreadCache;
  /** Per-sender limit on sendMessage (DESIGN 11). */
  readonly sendLimiter: RateLimiter;
}
