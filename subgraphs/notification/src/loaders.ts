import { createBatchLoader, type DataLoader } from '@social/kit';
import type { NotificationDocument } from './data/collections.js';
import { notificationsByIds } from './data/inbox.js';
import type { NotificationDeps } from './deps.js';

/**
 * Per-request DataLoaders of the notification subgraph (DESIGN 10): built in the context factory for
 * every request and every subscription event, so an event never sees a value cached before it
 * happened. Users (actor, actors) are entity references resolved by auth and profile; a page of
 * notifications costs one query here whatever its size.
 */
export interface Loaders {
  /** Notifications by id (hex), whoever they belong to: resolvers check the recipient. */
  readonly notification: DataLoader<string, NotificationDocument | null>;
}

export function createLoaders(deps: NotificationDeps): Loaders {
  return {
    notification: createBatchLoader<string, NotificationDocument>(
      (ids) => notificationsByIds(deps.store, ids),
      (doc) => doc._id.toHexString(),
    ),
  };
}
