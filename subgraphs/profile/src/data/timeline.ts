import type { Filter } from 'mongodb';
import type { ActivityDocument, StoredActivityType } from './collections.js';
import type { ProfileStore } from './store.js';

/** Position after which an activity page starts: the last activity's time and id. */
export interface ActivityPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * A page of a user's activities, newest first (index `user_activities`), keyed by (createdAt,
 * _id) so activities recorded while paging neither repeat nor go missing.
 */
export function activityPage(
  store: ProfileStore,
  options: {
    userId: string;
    publicOnly: boolean;
    /** Left out: entries of these types, and ProfileUpdated entries about any of these fields. */
    hidden?: { readonly types: readonly StoredActivityType[]; readonly fields: readonly string[] };
    after: ActivityPosition | null;
    limit: number;
  },
): Promise<ActivityDocument[]> {
  const filter: Filter<ActivityDocument> = { userId: options.userId };
  if (options.publicOnly) filter.isPublic = true;
  if (options.hidden?.types.length) filter.activityType = { $nin: [...options.hidden.types] };
  if (options.hidden?.fields.length) filter['metadata.fields'] = { $nin: [...options.hidden.fields] };
  if (options.after) {
    const { createdAt, id } = options.after;
    filter.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
  }
  return store.activities.find(filter).sort({ createdAt: -1, _id: -1 }).limit(options.limit).toArray();
}
