import {
  MEDIA_EVENT_TYPES,
  SOCIAL_REPLICA_EVENT_TYPES,
  isHiddenStatus,
  mergeMediaRef,
  readMediaEvent,
  startStreamConsumers,
  type EventBus,
  type EventEnvelope,
} from '@social/kit';
import type { ClientSession } from 'mongodb';
import { z } from 'zod';
import { setAuthorHidden } from './data/authors.js';
import type { FeedDeps } from './deps.js';

/**
 * What the feed service does with other services' events (DESIGN 9). Every event is handled
 * exactly once (kit `handleEventOnce`: its id is recorded in the transaction of its effects), so
 * the bus's redeliveries change nothing.
 *
 * - auth and profile: the social replica (friends, follows, blocks, privacy, account status), the
 *   audience of the home feed and of every visibility decision, kept locally so no request calls
 *   profile. A deleted or suspended account also hides the user's posts and comments from
 *   everyone (and a reactivated one shows them again).
 * - media: media_refs, to check the files attached to posts.
 */

const GROUP = 'feed';

const accountEvent = z.object({ userId: z.string().min(1) });

export async function startConsumers(deps: FeedDeps, events: EventBus): Promise<{ stop(): Promise<void> }> {
  return startStreamConsumers({
    events,
    group: GROUP,
    store: deps.store,
    logger: deps.logger,
    streams: {
      auth: {
        types: SOCIAL_REPLICA_EVENT_TYPES.auth,
        handle: (session, event) => handleAuthEvent(deps, session, event),
      },
      profile: {
        types: SOCIAL_REPLICA_EVENT_TYPES.profile,
        handle: async (session, event) => {
          await deps.store.replica.apply(session, event);
        },
      },
      media: { types: MEDIA_EVENT_TYPES, handle: (session, event) => handleMediaEvent(deps, session, event) },
    },
  });
}

/**
 * Auth's events update the replica; UserDeleted and UserStatusChanged then bring the author's
 * content in line with the replica's resulting status (the replica orders status events by
 * occurredAt and keeps deletion final, so a late event cannot show a deleted user's posts again).
 */
async function handleAuthEvent(deps: FeedDeps, session: ClientSession, event: EventEnvelope): Promise<void> {
  const { store } = deps;
  await store.replica.apply(session, event);
  if (event.type !== 'UserDeleted' && event.type !== 'UserStatusChanged') return;
  const { userId } = accountEvent.parse(event.data);
  const user = await store.replica.usersCollection.findOne(
    { _id: userId },
    { session, projection: { status: 1 } },
  );
  const hidden = isHiddenStatus(user?.status ?? 'ACTIVE');
  await setAuthorHidden(store, session, userId, hidden);
  deps.logger.info({ userId, hidden }, 'account status applied to the author’s posts and comments');
}

async function handleMediaEvent(deps: FeedDeps, session: ClientSession, event: EventEnvelope): Promise<void> {
  const change = readMediaEvent(event);
  if (!change) return;
  await mergeMediaRef(deps.store.mediaRefs, session, {
    ...change,
    facts: { ...change.facts, mediaId: change.facts.mediaId.toLowerCase() },
  });
}
