import { waitForEvent } from '@social/kit';
import type { ClientSession, UpdateFilter } from 'mongodb';
import {
  DEFAULT_ACCOUNT_SETTINGS,
  DEFAULT_NOTIFICATION_SETTINGS,
  DEFAULT_PRIVACY_SETTINGS,
  EMPTY_STATISTICS,
  type ProfileDocument,
} from './collections.js';
import type { ProfileStore } from './store.js';

/** The account fields auth's events carry and the profile keeps a copy of. */
export interface AccountFields {
  readonly userId: string;
  readonly username: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly phoneNumber: string | null;
}

/** The display name a profile starts with (and keeps following the names while unchanged). */
export function defaultDisplayName(firstName: string, lastName: string): string {
  const name = `${firstName} ${lastName}`.trim();
  return (name === '' ? 'User' : name).slice(0, 100);
}

/** A new profile with the seed's defaults: visible to everyone, contact details hidden. */
export function newProfile(account: AccountFields, createdAt: Date): ProfileDocument {
  return {
    _id: account.userId,
    userId: account.userId,
    username: account.username,
    usernameLower: account.username.toLowerCase(),
    displayName: defaultDisplayName(account.firstName, account.lastName),
    firstName: account.firstName,
    lastName: account.lastName,
    email: account.email,
    phoneNumber: account.phoneNumber,
    dateOfBirth: null,
    gender: null,
    bio: null,
    tagline: null,
    avatarUrl: null,
    avatarMediaId: null,
    coverImageUrl: null,
    coverImageMediaId: null,
    location: null,
    website: null,
    socialLinks: null,
    education: [],
    experience: [],
    skills: [],
    certifications: [],
    languages: [],
    interests: [],
    isOnline: false,
    lastSeenAt: null,
    privacySettings: { ...DEFAULT_PRIVACY_SETTINGS },
    notificationSettings: { ...DEFAULT_NOTIFICATION_SETTINGS },
    accountSettings: { ...DEFAULT_ACCOUNT_SETTINGS },
    statistics: { ...EMPTY_STATISTICS },
    isVerified: false,
    isActive: true,
    isPremium: false,
    isDeleted: false,
    deletedAt: null,
    accountStatus: 'ACTIVE',
    createdAt,
    updatedAt: createdAt,
  };
}

export function findProfile(
  store: ProfileStore,
  userId: string,
  session?: ClientSession,
): Promise<ProfileDocument | null> {
  return store.profiles.findOne({ _id: userId }, session ? { session } : {});
}

/**
 * The viewer's own profile, waiting up to EVENT_WAIT_MS for it: a client that edits its profile
 * right after registering races auth's UserRegistered event, which creates it. Null when it still
 * does not exist (then NOT_FOUND is right).
 */
export function awaitProfile(store: ProfileStore, userId: string): Promise<ProfileDocument | null> {
  return waitForEvent(() => findProfile(store, userId), store.config.EVENT_WAIT_MS);
}

/** By username, case-insensitively (the unique `usernameLower` index). */
export function findProfileByUsername(
  store: ProfileStore,
  username: string,
): Promise<ProfileDocument | null> {
  return store.profiles.findOne({ usernameLower: username.toLowerCase() });
}

/**
 * Auth is the source of truth for usernames: if another profile still holds `username` (a purged
 * account whose profile stayed as a tombstone, or a rename whose event is late), that profile
 * gives it up, so the unique index never blocks the account that owns the name now. The
 * placeholder matches the username pattern and cannot collide with a real one in practice.
 */
export async function releaseUsername(
  store: ProfileStore,
  session: ClientSession,
  username: string,
  ownerId: string,
): Promise<void> {
  const holder = await store.profiles.findOne(
    { usernameLower: username.toLowerCase(), _id: { $ne: ownerId } },
    { session, projection: { _id: 1 } },
  );
  if (!holder) return;
  await store.profiles.updateOne(
    { _id: holder._id },
    { $set: { usernameLower: `released_${holder._id.replaceAll('-', '')}` } },
    { session },
  );
}

/** Inserts `profile` unless the user has one; resolves with whether it was created. */
export async function insertProfileIfAbsent(
  store: ProfileStore,
  session: ClientSession,
  profile: ProfileDocument,
): Promise<boolean> {
  // Checked first: a duplicate key error inside a transaction would abort the whole transaction.
  if (await store.profiles.findOne({ _id: profile._id }, { session, projection: { _id: 1 } })) return false;
  await releaseUsername(store, session, profile.username, profile._id);
  await store.profiles.insertOne(profile, { session });
  return true;
}

/** Applies `update` to the user's profile (stamping updatedAt); resolves with the new document. */
export async function updateProfileDocument(
  store: ProfileStore,
  session: ClientSession,
  userId: string,
  update: UpdateFilter<ProfileDocument>,
): Promise<ProfileDocument | null> {
  const stamped = {
    ...update,
    $set: { ...update.$set, updatedAt: new Date() },
  } as UpdateFilter<ProfileDocument>;
  return store.profiles.findOneAndUpdate({ _id: userId }, stamped, { session, returnDocument: 'after' });
}

/** One more view of the profile (atomic `$inc`, no transaction: a lost view is harmless). */
export async function countProfileView(store: ProfileStore, userId: string): Promise<void> {
  await store.profiles.updateOne({ _id: userId }, { $inc: { 'statistics.profileViewsCount': 1 } });
}

/**
 * The profile whose avatar or cover is `mediaId` (only its owner can have picked it, so the
 * lookup goes through the owner's `_id`).
 */
export function profileUsingMedia(
  store: ProfileStore,
  session: ClientSession,
  ownerId: string,
  mediaId: string,
): Promise<ProfileDocument | null> {
  return store.profiles.findOne(
    { _id: ownerId, $or: [{ avatarMediaId: mediaId }, { coverImageMediaId: mediaId }] },
    { session },
  );
}
