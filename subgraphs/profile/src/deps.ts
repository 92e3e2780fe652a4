import type { Logger } from '@social/kit';
import type { ProfileConfig } from './config.js';
import type { ProfileStore } from './data/store.js';
import type { PresenceStore } from './presence.js';

/** What the profile service opens once per process and every resolver and consumer uses. */
export interface ProfileDeps {
  readonly config: ProfileConfig;
  readonly store: ProfileStore;
  readonly presence: PresenceStore;
  readonly logger: Logger;
}
