import { badUserInput, notFound, requireViewer } from '@social/kit';
import type { ClientSession } from 'mongodb';
import { isDeepStrictEqual } from 'node:util';
import { recordActivity } from '../data/activities.js';
import type { PrivacySettings, ProfileDocument, StoredActivityType } from '../data/collections.js';
import { awaitProfile, findProfile, updateProfileDocument } from '../data/profiles.js';
import { identityOf } from '../snapshots.js';
import type { ProfileContext } from '../subgraph.js';

/**
 * How every edit of the viewer's own profile runs (Mutation.ts): the plan reads the profile in a
 * transaction and says what to set, which fields changed and what activity to record; the edit
 * then writes it with its ProfileUpdated event (or the plan's own events) and its activity, so the
 * change, what other services hear of it and the timeline never disagree.
 */

export interface ActivityInput {
  readonly activityType: StoredActivityType;
  readonly description: string;
  readonly metadata: Record<string, unknown>;
  readonly isPublic: boolean;
}

/** What one edit does to the profile it read; `set` empty means nothing changes. */
export interface Edit<R> {
  readonly set: Record<string, unknown>;
  /** Changed GraphQL field names (ProfileUpdated.changed). */
  readonly changed: readonly string[];
  readonly activity?: ActivityInput;
  /** The events the change produces; by default ProfileUpdated with `changed`. */
  readonly announce?: (session: ClientSession, updated: ProfileDocument) => Promise<void>;
  readonly result: (profile: ProfileDocument) => R;
}

export const unchanged = <R>(result: (profile: ProfileDocument) => R): Edit<R> => ({
  set: {},
  changed: [],
  result,
});

/** Runs `plan` against the viewer's profile in a transaction and records what it changed. */
export async function editOwnProfile<R>(
  context: ProfileContext,
  plan: (profile: ProfileDocument, session: ClientSession) => Edit<R> | Promise<Edit<R>>,
): Promise<R> {
  const viewer = requireViewer(context);
  const { store } = context.profile;
  await awaitProfile(store, viewer.id);
  const outcome = await store.transaction(async (session) => {
    const current = await findProfile(store, viewer.id, session);
    if (!current || current.isDeleted) throw notFound('Profile', viewer.id);
    const edit = await plan(current, session);
    if (Object.keys(edit.set).length === 0) return { profile: current, value: edit.result(current) };
    const updated = await updateProfileDocument(store, session, viewer.id, { $set: edit.set });
    if (!updated) throw notFound('Profile', viewer.id);
    if (edit.announce) await edit.announce(session, updated);
    else
      await store.outbox.enqueue(session, 'ProfileUpdated', {
        ...identityOf(updated),
        changed: edit.changed,
      });
    if (edit.activity) await recordActivity(store, session, { userId: viewer.id, ...edit.activity });
    return { profile: updated, value: edit.result(updated) };
  });
  context.loaders.profile.clear(viewer.id).prime(viewer.id, outcome.profile);
  return outcome.value;
}

/**
 * Whether an activity about `fields` may be public: not when it concerns something the owner
 * hides from others (a ProfileUpdated about the birth date must not tell that it changed).
 */
export const FLAG_OF_FIELD: Partial<Record<string, keyof PrivacySettings>> = {
  dateOfBirth: 'showDateOfBirth',
  location: 'showLocation',
  education: 'showEducation',
  experience: 'showExperience',
};
export function publicActivity(fields: readonly string[], privacy: PrivacySettings): boolean {
  return fields.every((field) => {
    const flag = FLAG_OF_FIELD[field];
    return flag === undefined || privacy[flag] === true;
  });
}

export function profileUpdatedActivity(fields: readonly string[], profile: ProfileDocument): ActivityInput {
  return {
    activityType: 'ProfileUpdated',
    description: 'Updated their profile',
    metadata: { fields: [...fields] },
    isPublic: publicActivity(fields, profile.privacySettings),
  };
}

/** An edit replacing one list of the profile (`field` is also the GraphQL field name). */
export function listEdit<R>(
  profile: ProfileDocument,
  field: 'education' | 'experience' | 'skills' | 'certifications' | 'languages',
  list: readonly unknown[],
  result: (profile: ProfileDocument) => R,
  activity?: ActivityInput,
): Edit<R> {
  if (isDeepStrictEqual(profile[field], list)) return unchanged(result);
  return {
    set: { [field]: list },
    changed: [field],
    activity: activity ?? profileUpdatedActivity([field], profile),
    result,
  };
}

export function assertRoom(list: readonly unknown[], max: number, what: string): void {
  if (list.length >= max) throw badUserInput(`A profile has at most ${max} ${what}`, 'input');
}

/** Keys of `value` that are set (not undefined), without undefined values. */
export function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
