import type { GraphQLResolveInfo } from 'graphql';
import type {
  ProfileDocument,
  ProfileIdentity,
  StoredEducation,
  StoredExperience,
} from '../data/collections.js';
import { accessLevel, canSeeIdentity, type FieldGroup } from '../privacy.js';
import type { ProfileContext } from '../subgraph.js';
import { identityAccessOf } from './identity.js';
import { visibleProfile, type UserRef } from './view.js';

/**
 * The profile document's User fields (the social graph's are in UserGraph.ts). Every field is
 * evaluated for the viewer (privacy.ts): what they may not see resolves to null.
 */

/** A field of `group`, read from the profile when the viewer may see that group. */
function field<T>(group: FieldGroup, read: (profile: ProfileDocument, user: UserRef) => T) {
  return async (user: UserRef, _args: unknown, context: ProfileContext): Promise<T | null> => {
    const profile = await visibleProfile(user, context, group);
    return profile ? read(profile, user) : null;
  };
}

/**
 * A field of the identity group, read from the profile's identity alone (identity.ts: operations
 * that select nothing else of a user load only that).
 */
function identity<T>(read: (profile: ProfileIdentity, user: UserRef) => T) {
  return async (
    user: UserRef,
    _args: unknown,
    context: ProfileContext,
    info: GraphQLResolveInfo,
  ): Promise<T | null> => {
    const { profile, relation } = await identityAccessOf(user, context, info, IDENTITY_FIELDS);
    if (!profile || !canSeeIdentity(accessLevel(profile, context.viewer, relation))) return null;
    return read(profile, user);
  };
}

const mediaFile = (id: string | null) => (id ? { __typename: 'MediaFile' as const, id } : null);

const identityFields = {
  displayName: identity((profile) => profile.displayName),
  firstName: identity((profile, user) => user.accountFirstName ?? profile.firstName),
  lastName: identity((profile, user) => user.accountLastName ?? profile.lastName),
  tagline: identity((profile) => profile.tagline),
  avatarUrl: identity((profile) => profile.avatarUrl),
  avatar: identity((profile) => mediaFile(profile.avatarMediaId)),
  profileVisibility: identity((profile) => profile.privacySettings.profileVisibility),
  isVerified: identity((profile) => profile.isVerified),
  isPremium: identity((profile) => profile.isPremium),
};
const IDENTITY_FIELDS: ReadonlySet<string> = new Set(Object.keys(identityFields));

/** Newest first: current entries, then by start date (undated last), then by end date. */
function mostRecentFirst<T extends StoredEducation | StoredExperience>(entries: readonly T[]): T[] {
  const time = (date: Date | null | undefined) => (date ? date.getTime() : Number.NEGATIVE_INFINITY);
  return [...entries].sort(
    (a, b) =>
      Number(b.current) - Number(a.current) ||
      time(b.startDate) - time(a.startDate) ||
      time(b.endDate) - time(a.endDate),
  );
}

export const User = {
  /**
   * Entity references load through the per-request loader, so a page of N users costs one query
   * (the profiles with the viewer's blocks and friendships, all the access level depends on).
   * The reference itself is the parent of every field (auth's @requires fields included).
   */
  async __resolveReference(
    reference: UserRef,
    context: ProfileContext,
    info: GraphQLResolveInfo,
  ): Promise<UserRef> {
    await identityAccessOf(reference, context, info, IDENTITY_FIELDS);
    return reference;
  },

  ...identityFields,

  bio: field('profile', (profile) => profile.bio),
  coverImageUrl: field('profile', (profile) => profile.coverImageUrl),
  coverImage: field('profile', (profile) => mediaFile(profile.coverImageMediaId)),
  gender: field('profile', (profile) => profile.gender),
  website: field('profile', (profile) => profile.website),
  socialLinks: field('profile', (profile) => profile.socialLinks),
  skills: field('profile', (profile) => profile.skills),
  certifications: field('profile', (profile) => profile.certifications),
  languages: field('profile', (profile) => profile.languages),
  interests: field('profile', (profile) => profile.interests),

  contactEmail: field('email', (profile) => profile.email),
  phoneNumber: field('phone', (profile) => profile.phoneNumber),
  dateOfBirth: field('dateOfBirth', (profile) => profile.dateOfBirth),
  location: field('location', (profile) => profile.location),
  education: field('education', (profile) => mostRecentFirst(profile.education)),
  experience: field('experience', (profile) => mostRecentFirst(profile.experience)),

  profileViewsCount: field('settings', (profile) => profile.statistics.profileViewsCount),
  privacySettings: field('settings', (profile) => profile.privacySettings),
  notificationSettings: field('settings', (profile) => profile.notificationSettings),
  accountSettings: field('settings', (profile) => profile.accountSettings),
};
