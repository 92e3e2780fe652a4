import type { Logger } from '@social/kit';
import type { FeedConfig } from './config.js';
import type { FeedStore } from './data/store.js';

/** What the feed service opens once per process and every resolver and consumer uses. */
export interface FeedDeps {
  readonly config: FeedConfig;
  readonly store: FeedStore;
  readonly logger: Logger;
}
