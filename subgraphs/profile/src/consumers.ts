import {
  MEDIA_EVENT_TYPES,
  mergeMediaRef,
  readMediaEvent,
  startStreamConsumers,
  type EventBus,
  type EventEnvelope,
  type MediaProcessedFacts,
} from '@social/kit';
import type { ClientSession } from 'mongodb';
import { z } from 'zod';
import type { ProfileDocument } from './data/collections.js';
import { recordActivity } from './data/activities.js';
import { scheduleGraphCleanup } from './data/graph-cleanup.js';
import { profileImageUrl, usableAsProfileImage } from './data/media-refs.js';
import {
  defaultDisplayName,
  findProfile,
  insertProfileIfAbsent,
  newProfile,
  profileUsingMedia,
  releaseUsername,
  updateProfileDocument,
  type AccountFields,
} from './data/profiles.js';
import type { ProfileDeps } from './deps.js';
import type { GraphCleanup } from './graph-cleanup.js';
import { identityOf, notificationSnapshot, privacySnapshot } from './snapshots.js';

/**
 * What the profile service does with other services' events (DESIGN 9). Every event is handled
 * exactly once (kit `handleEventOnce`: its id is recorded in the transaction of its effects), so
 * the bus's redeliveries change nothing; the events the handling produces go through the outbox
 * in the same transaction.
 */

const GROUP = 'profile';
const AUTH_TYPES = ['UserRegistered', 'UserUpdated', 'UserDeleted', 'UserStatusChanged'] as const;

// Payloads are checked: an event this service cannot read fails loudly (retried, then
// dead-lettered) instead of writing half a profile.
const account = z.object({
  userId: z.string().min(1),
  username: z.string().min(1),
  email: z.string().min(1),
  firstName: z.string(),
  lastName: z.string(),
  phoneNumber: z.string().nullish(),
});
const userRegistered = account.extend({ createdAt: z.string().optional() });
const userDeleted = z.object({ userId: z.string().min(1), deletedAt: z.string().optional() });
const userStatusChanged = z.object({
  userId: z.string().min(1),
  status: z.enum(['ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED']),
});

export async function startConsumers(
  deps: ProfileDeps,
  events: EventBus,
  graphCleanup: Pick<GraphCleanup, 'kick'>,
): Promise<{ stop(): Promise<void> }> {
  return startStreamConsumers({
    events,
    group: GROUP,
    store: deps.store,
    logger: deps.logger,
    streams: {
      auth: { types: AUTH_TYPES, handle: (session, event) => handleAuthEvent(deps, session, event) },
      media: { types: MEDIA_EVENT_TYPES, handle: (session, event) => handleMediaEvent(deps, session, event) },
    },
    afterHandled(event) {
      // The deletion committed with its cleanup job: start removing the user's edges now.
      if (event.type === 'UserDeleted') graphCleanup.kick();
    },
  });
}

// -- media's uploads on the timeline ------------------------------------------------------------

/** Uploads shown on the timeline: photos and videos for the profile or for posts, not chat files. */
const TIMELINE_CATEGORIES = new Set(['PROFILE', 'POST']);
const TIMELINE_KINDS = {
  IMAGE: { activityType: 'PhotoUploaded', description: 'Uploaded a photo', counter: 'photosCount' },
  VIDEO: { activityType: 'VideoUploaded', description: 'Uploaded a video', counter: 'videosCount' },
} as const;

/**
 * The seed's PhotoUploaded / VideoUploaded activities and photosCount / videosCount: recorded
 * the first time media reports a profile or post photo or video processed (a file processed
 * again, or deleted meanwhile, is not counted twice). The activity is public when the file is.
 */
async function recordUpload(
  deps: ProfileDeps,
  session: ClientSession,
  data: MediaProcessedFacts,
): Promise<void> {
  const kind = TIMELINE_KINDS[data.fileType as keyof typeof TIMELINE_KINDS] as
    (typeof TIMELINE_KINDS)[keyof typeof TIMELINE_KINDS] | undefined;
  if (data.status !== 'COMPLETED' || !kind || !TIMELINE_CATEGORIES.has(data.category ?? '')) return;
  const { store } = deps;
  const before = await store.mediaRefs.findOne({ _id: data.mediaId }, { session, projection: { status: 1 } });
  if (before?.status === 'COMPLETED' || before?.status === 'DELETED') return;
  const profile = await findProfile(store, data.ownerId, session);
  if (!profile || profile.isDeleted) return;
  await updateProfileDocument(store, session, profile._id, { $inc: { [`statistics.${kind.counter}`]: 1 } });
  await recordActivity(store, session, {
    userId: profile._id,
    activityType: kind.activityType,
    description: kind.description,
    metadata: { mediaId: data.mediaId, thumbnailUrl: data.thumbnailUrl ?? null },
    isPublic: data.isPublic === true,
  });
}

// -- auth ---------------------------------------------------------------------------------------

async function handleAuthEvent(
  deps: ProfileDeps,
  session: ClientSession,
  event: EventEnvelope,
): Promise<void> {
  switch (event.type) {
    case 'UserRegistered': {
      const data = userRegistered.parse(event.data);
      await ensureProfile(deps, session, toAccount(data), new Date(data.createdAt ?? event.occurredAt));
      return;
    }
    case 'UserUpdated':
      await syncAccount(deps, session, toAccount(account.parse(event.data)), new Date(event.occurredAt));
      return;
    case 'UserDeleted': {
      const data = userDeleted.parse(event.data);
      await hideDeletedUser(deps, session, data.userId, new Date(data.deletedAt ?? event.occurredAt));
      return;
    }
    case 'UserStatusChanged': {
      const data = userStatusChanged.parse(event.data);
      const profile = await findProfile(deps.store, data.userId, session);
      if (!profile) {
        deps.logger.warn({ userId: data.userId }, 'UserStatusChanged for a user without a profile; ignored');
        return;
      }
      // Suspended accounts disappear from every viewer but staff; deactivated ones stay visible.
      await updateProfileDocument(deps.store, session, data.userId, {
        $set: {
          isActive: data.status === 'ACTIVE' || data.status === 'INACTIVE',
          accountStatus: data.status,
        },
      });
      return;
    }
  }
}

function toAccount(data: z.infer<typeof account>): AccountFields {
  return { ...data, phoneNumber: data.phoneNumber ?? null };
}

/** Creates the profile unless it exists, announcing it with ProfileCreated. */
async function ensureProfile(
  deps: ProfileDeps,
  session: ClientSession,
  fields: AccountFields,
  createdAt: Date,
): Promise<ProfileDocument | null> {
  const profile = newProfile(fields, createdAt);
  if (!(await insertProfileIfAbsent(deps.store, session, profile))) return null;
  await deps.store.outbox.enqueue(session, 'ProfileCreated', {
    ...identityOf(profile),
    privacySettings: privacySnapshot(profile.privacySettings),
    notificationSettings: notificationSnapshot(profile.notificationSettings),
    createdAt: profile.createdAt.toISOString(),
  });
  return profile;
}

/**
 * Copies auth's account fields. A display name still at its default ("first last") follows the
 * new names; one the user chose stays. An update for a user without a profile (its
 * UserRegistered not handled yet) creates the profile from the update, which carries the whole
 * account.
 */
async function syncAccount(
  deps: ProfileDeps,
  session: ClientSession,
  fields: AccountFields,
  occurredAt: Date,
): Promise<void> {
  const { store } = deps;
  const current = await findProfile(store, fields.userId, session);
  if (!current) {
    await ensureProfile(deps, session, fields, occurredAt);
    return;
  }
  const set: Partial<ProfileDocument> = {};
  const changed: string[] = [];
  if (fields.username !== current.username) {
    if (fields.username.toLowerCase() !== current.usernameLower) {
      await releaseUsername(store, session, fields.username, current._id);
    }
    set.username = fields.username;
    set.usernameLower = fields.username.toLowerCase();
    changed.push('username');
  }
  if (fields.firstName !== current.firstName) {
    set.firstName = fields.firstName;
    changed.push('firstName');
  }
  if (fields.lastName !== current.lastName) {
    set.lastName = fields.lastName;
    changed.push('lastName');
  }
  const followsNames = current.displayName === defaultDisplayName(current.firstName, current.lastName);
  const displayName = defaultDisplayName(fields.firstName, fields.lastName);
  if (followsNames && displayName !== current.displayName) {
    set.displayName = displayName;
    changed.push('displayName');
  }
  if (fields.email !== current.email) {
    set.email = fields.email;
    changed.push('contactEmail');
  }
  if (fields.phoneNumber !== current.phoneNumber) {
    set.phoneNumber = fields.phoneNumber;
    changed.push('phoneNumber');
  }
  if (changed.length === 0) return;
  const updated = await updateProfileDocument(store, session, current._id, { $set: set });
  if (updated) await store.outbox.enqueue(session, 'ProfileUpdated', { ...identityOf(updated), changed });
}

/**
 * Hides the profile from everyone but staff and records the job that takes the user out of every
 * other user's graph: a popular user has too many edges for this transaction, so they go in
 * batches of their own (graph-cleanup.ts). A redelivery finds the job recorded and adds nothing.
 */
async function hideDeletedUser(
  deps: ProfileDeps,
  session: ClientSession,
  userId: string,
  deletedAt: Date,
): Promise<void> {
  const profile = await findProfile(deps.store, userId, session);
  if (!profile) {
    deps.logger.warn({ userId }, 'UserDeleted for a user without a profile; ignored');
    return;
  }
  if (!profile.isDeleted) {
    await updateProfileDocument(deps.store, session, userId, {
      $set: { isDeleted: true, deletedAt, accountStatus: 'DELETED' },
    });
  }
  await scheduleGraphCleanup(deps.store, session, userId);
}

// -- media --------------------------------------------------------------------------------------

async function handleMediaEvent(
  deps: ProfileDeps,
  session: ClientSession,
  event: EventEnvelope,
): Promise<void> {
  const { store } = deps;
  const change = readMediaEvent(event);
  if (!change) return;
  if (change.processed) await recordUpload(deps, session, change.processed);
  const ref = await mergeMediaRef(store.mediaRefs, session, change);

  // The owner's avatar or cover follows its file: the processed web URL once there is one, and
  // nothing once the file is deleted, failed or no longer public (its URL would stop working).
  const profile = await profileUsingMedia(store, session, ref.ownerId, ref._id);
  if (!profile) return;
  const usable = usableAsProfileImage(ref, profile._id);
  const url = usable ? profileImageUrl(ref) : null;
  const set: Partial<ProfileDocument> = {};
  const changed: string[] = [];
  if (profile.avatarMediaId === ref._id) {
    if (!usable) {
      set.avatarMediaId = null;
      changed.push('avatar');
    }
    if (url !== profile.avatarUrl) {
      set.avatarUrl = url;
      changed.push('avatarUrl');
    }
  }
  if (profile.coverImageMediaId === ref._id) {
    if (!usable) {
      set.coverImageMediaId = null;
      changed.push('coverImage');
    }
    if (url !== profile.coverImageUrl) {
      set.coverImageUrl = url;
      changed.push('coverImageUrl');
    }
  }
  if (changed.length === 0) return;
  const updated = await updateProfileDocument(store, session, profile._id, { $set: set });
  if (updated) await store.outbox.enqueue(session, 'ProfileUpdated', { ...identityOf(updated), changed });
}
