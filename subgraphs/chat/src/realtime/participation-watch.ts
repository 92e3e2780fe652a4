import { ObjectId } from 'mongodb';
import { activeParticipant, findConversation } from '../data/conversations.js';
import type { ChatDeps } from '../deps.js';

/**
 * The periodic check behind the ParticipantChangedEvent that ends a removed viewer's streams
 * (should that event be lost): every CHAT_VIEWING_HEARTBEAT_MS, the conversation is read once
 * per instance for all of its subscriptions here, not once per subscription (1,000 subscribers
 * of one group would otherwise read it 100 times a second).
 */
interface Watcher {
  readonly viewerId: string;
  readonly removed: () => void;
}

interface Watched {
  readonly watchers: Set<Watcher>;
  readonly timer: NodeJS.Timeout;
}

const registries = new WeakMap<ChatDeps, Map<string, Watched>>();

/** Calls `removed` once the viewer is no longer an active participant; returns the release. */
export function watchParticipation(
  deps: ChatDeps,
  conversationId: string,
  viewerId: string,
  removed: () => void,
): () => void {
  let registry = registries.get(deps);
  if (!registry) registries.set(deps, (registry = new Map()));
  let watched = registry.get(conversationId);
  if (!watched) {
    const watchers = new Set<Watcher>();
    const id = new ObjectId(conversationId);
    const timer = setInterval(() => {
      findConversation(deps.store, id).then(
        (conversation) => {
          for (const watcher of [...watchers]) {
            if (!conversation || !activeParticipant(conversation, watcher.viewerId)) watcher.removed();
          }
        },
        (err: unknown) => deps.logger.warn({ err, conversationId }, 'participation check failed'),
      );
    }, deps.config.CHAT_VIEWING_HEARTBEAT_MS);
    timer.unref();
    watched = { watchers, timer };
    registry.set(conversationId, watched);
  }
  const watcher: Watcher = { viewerId, removed };
  const { watchers } = watched;
  watchers.add(watcher);
  return () => {
    if (!watchers.delete(watcher) || watchers.size > 0) return;
    const current = registry.get(conversationId);
    if (current?.watchers === watchers) {
      clearInterval(current.timer);
      registry.delete(conversationId);
    }
  };
}
