import { randomUUID } from 'node:crypto';
import type { ClientSession } from 'mongodb';
import type { ActivityDocument, StoredActivityType } from './collections.js';
import type { ProfileStore } from './store.js';

/**
 * Appends to a user's activity timeline (seed 002 `user_activities`), in the transaction of the
 * change it records; it expires after ACTIVITY_TTL_SECONDS (TTL index on expiresAt).
 */
export async function recordActivity(
  store: ProfileStore,
  session: ClientSession,
  activity: {
    userId: string;
    activityType: StoredActivityType;
    description: string;
    metadata?: Record<string, unknown>;
    isPublic: boolean;
  },
): Promise<ActivityDocument> {
  const now = new Date();
  const document: ActivityDocument = {
    _id: randomUUID(),
    userId: activity.userId,
    activityType: activity.activityType,
    description: activity.description,
    metadata: activity.metadata ?? {},
    isPublic: activity.isPublic,
    createdAt: now,
    expiresAt: new Date(now.getTime() + store.config.ACTIVITY_TTL_SECONDS * 1000),
  };
  await store.activities.insertOne(document, { session });
  return document;
}
