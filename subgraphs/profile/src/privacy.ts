import type { Viewer } from '@social/kit';
import type {
  FriendRequestDocument,
  ProfileDocument,
  ProfileIdentity,
  StoredActivityType,
} from './data/collections.js';

/** How the viewer stands to one user, loaded for a whole page of users at once (loaders.ts). */
export interface Relation {
  /** The viewer is this user. */
  readonly self: boolean;
  readonly friends: boolean;
  /** The viewer has blocked this user. */
  readonly viewerBlocked: boolean;
  /** This user has blocked the viewer. */
  readonly blockedViewer: boolean;
  readonly viewerFollows: boolean;
  readonly followsViewer: boolean;
  /** The pending friend request between them, in either direction. */
  readonly pendingRequest: FriendRequestDocument | null;
}

/** What a profile's access level depends on of the relation. */
export type AccessRelation = Pick<Relation, 'blockedViewer' | 'friends'>;

/** The relation of an anonymous viewer (or of a user to nobody). */
export const NO_RELATION: Relation = {
  self: false,
  friends: false,
  viewerBlocked: false,
  blockedViewer: false,
  viewerFollows: false,
  followsViewer: false,
  pendingRequest: null,
};

/**
 * What the viewer may see of a profile:
 * - `owner`: everything, including the settings;
 * - `staff`: admins and moderators see every profile field (moderation), not the settings;
 * - `full`: the profile is visible to them (Public, or Friends and they are friends); the show*
 *   flags still apply per field;
 * - `basic`: the profile is not visible to them; only the identity (name, avatar, tagline...);
 * - `none`: they are blocked by the user, or the profile is hidden (deleted, suspended): nothing
 *   but id and username (auth's public fields).
 */
export type AccessLevel = 'owner' | 'staff' | 'full' | 'basic' | 'none';

/** Whether a viewer with `level` may see the identity group: every level but `none`, no flag. */
export function canSeeIdentity(level: AccessLevel): boolean {
  return level !== 'none';
}

export function accessLevel(
  profile: ProfileIdentity,
  viewer: Viewer | null,
  relation: AccessRelation,
): AccessLevel {
  if (viewer && viewer.id === profile.userId) return 'owner';
  const staff = viewer?.role === 'ADMIN' || viewer?.role === 'MODERATOR';
  if (staff) return 'staff';
  if (profile.isDeleted || !profile.isActive) return 'none';
  if (relation.blockedViewer) return 'none';
  const visibility = profile.privacySettings.profileVisibility;
  if (visibility === 'Public' || (visibility === 'Friends' && relation.friends)) return 'full';
  return 'basic';
}

/**
 * Field groups and the rule each follows (the SDL's field descriptions):
 * - identity: hidden only from blocked viewers (displayName, names, tagline, avatar, badges);
 * - profile: visible per profileVisibility (bio, cover, gender, website, links, skills...);
 * - the show* groups: visible per profileVisibility and the owner's flag;
 * - settings: the owner only.
 */
export type FieldGroup =
  | 'identity'
  | 'profile'
  | 'email'
  | 'phone'
  | 'dateOfBirth'
  | 'location'
  | 'onlineStatus'
  | 'lastSeen'
  | 'education'
  | 'experience'
  | 'connections'
  | 'settings';

const FLAG_OF: Partial<Record<FieldGroup, keyof ProfileDocument['privacySettings']>> = {
  email: 'showEmail',
  phone: 'showPhoneNumber',
  dateOfBirth: 'showDateOfBirth',
  location: 'showLocation',
  onlineStatus: 'showOnlineStatus',
  lastSeen: 'showLastSeen',
  education: 'showEducation',
  experience: 'showExperience',
  connections: 'showConnections',
};

/** Whether a viewer with `level` may see the fields of `group` of `profile`. */
export function canSee(profile: ProfileDocument, level: AccessLevel, group: FieldGroup): boolean {
  if (group === 'identity') return canSeeIdentity(level);
  switch (level) {
    case 'owner':
      return true;
    case 'staff':
      return group !== 'settings';
    case 'none':
      return false;
    case 'basic':
      return false;
    case 'full': {
      if (group === 'settings') return false;
      const flag = FLAG_OF[group];
      return flag === undefined || profile.privacySettings[flag] === true;
    }
  }
}

/**
 * Timeline entries that tell about a field group: what the viewer may not see of the group, they
 * may not learn from the timeline either. Checked when the timeline is read, so a setting takes
 * effect at once for entries recorded before it changed.
 */
const ACTIVITY_GROUPS: readonly {
  readonly group: FieldGroup;
  /** Activity types that are about the group. */
  readonly types: readonly StoredActivityType[];
  /** GraphQL field names of the group in a ProfileUpdated entry's `metadata.fields`. */
  readonly fields: readonly string[];
}[] = [
  { group: 'connections', types: ['FriendAdded', 'FriendRemoved'], fields: [] },
  { group: 'education', types: ['EducationAdded'], fields: ['education'] },
  { group: 'experience', types: ['ExperienceAdded'], fields: ['experience'] },
  { group: 'location', types: [], fields: ['location'] },
  { group: 'dateOfBirth', types: [], fields: ['dateOfBirth'] },
];

/** The activity types and ProfileUpdated fields whose entries a viewer with `level` may not see. */
export function hiddenActivities(
  profile: ProfileDocument,
  level: AccessLevel,
): { types: StoredActivityType[]; fields: string[] } {
  const hidden = ACTIVITY_GROUPS.filter(({ group }) => !canSee(profile, level, group));
  return {
    types: hidden.flatMap(({ types }) => types),
    fields: hidden.flatMap(({ fields }) => fields),
  };
}
