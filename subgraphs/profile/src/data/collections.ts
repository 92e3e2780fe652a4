import {
  DEFAULT_NOTIFICATION_SETTINGS as KIT_NOTIFICATION_DEFAULTS,
  mediaRefsCollection,
  outboxCollection,
  processedEventsCollection,
  type CollectionSpec,
} from '@social/kit';

/**
 * The profile database (`social_profile`): the seed's three collections plus the social graph as
 * collections of its own.
 *
 * Why not the seed's `friends` / `followers` / `following` / `blockedUsers` arrays inside
 * `user_profiles`: a popular user's followers array grows without bound (documents are capped at
 * 16 MB, and every profile read would drag the array along), concurrent follows rewrite the same
 * document, and paging "most recent first" through an array needs the whole array. One document
 * per edge gives indexed paging (`{ userId, createdAt }`), unique constraints that make follow and
 * friend operations idempotent, and `$in` lookups of the viewer's relation to a page of users in
 * one command per edge kind. The counts live in `user_profiles.statistics`, changed with `$inc`
 * in the same transaction as the edge.
 */

// -- Stored values (the seed's spellings; resolvers map them to GraphQL enum names) -------------

export type StoredVisibility = 'Public' | 'Friends' | 'Private';
export type StoredAudience = 'Everyone' | 'Friends' | 'None';
export type StoredGender = 'Male' | 'Female' | 'Other' | 'PreferNotToSay';
export type StoredEmploymentType = 'Full-time' | 'Part-time' | 'Contract' | 'Internship' | 'Freelance';
export type StoredSkillLevel = 'Beginner' | 'Intermediate' | 'Advanced' | 'Expert';
export type StoredProficiency = 'Elementary' | 'Limited' | 'Professional' | 'Native';
export type StoredDateFormat = 'MM/DD/YYYY' | 'DD/MM/YYYY' | 'YYYY-MM-DD';
export type StoredTheme = 'Light' | 'Dark' | 'Auto';
export type StoredFriendRequestStatus = 'Pending' | 'Accepted' | 'Rejected' | 'Cancelled';
export type StoredActivityType =
  | 'ProfileUpdated'
  | 'FriendAdded'
  | 'FriendRemoved'
  | 'PostCreated'
  | 'PhotoUploaded'
  | 'VideoUploaded'
  | 'EducationAdded'
  | 'ExperienceAdded'
  | 'SkillAdded'
  | 'CertificationAdded';

export interface StoredLocation {
  city?: string | null;
  state?: string | null;
  country?: string | null;
  coordinates?: { latitude: number; longitude: number } | null;
}

export interface StoredSocialLinks {
  linkedin?: string | null;
  twitter?: string | null;
  github?: string | null;
  instagram?: string | null;
  facebook?: string | null;
}

export interface StoredEducation {
  id: string;
  school: string;
  degree?: string | null;
  fieldOfStudy?: string | null;
  startDate?: Date | null;
  endDate?: Date | null;
  grade?: string | null;
  activities?: string | null;
  description?: string | null;
  current: boolean;
}

export interface StoredExperience {
  id: string;
  company: string;
  position: string;
  employmentType?: StoredEmploymentType | null;
  location?: string | null;
  startDate?: Date | null;
  endDate?: Date | null;
  current: boolean;
  description?: string | null;
  skills: string[];
}

export interface StoredSkill {
  name: string;
  /** Lowercased name: skills are unique per profile case-insensitively. */
  nameLower: string;
  level?: StoredSkillLevel | null;
  yearsOfExperience?: number | null;
  endorsements: number;
}

export interface StoredCertification {
  id: string;
  name: string;
  issuingOrganization?: string | null;
  issueDate?: Date | null;
  expirationDate?: Date | null;
  credentialId?: string | null;
  credentialUrl?: string | null;
}

export interface StoredLanguage {
  language: string;
  /** Null when the user did not say (the GraphQL field is nullable and the input optional). */
  proficiency: StoredProficiency | null;
}

export interface PrivacySettings {
  profileVisibility: StoredVisibility;
  showEmail: boolean;
  showPhoneNumber: boolean;
  showDateOfBirth: boolean;
  showLocation: boolean;
  showOnlineStatus: boolean;
  showLastSeen: boolean;
  allowFriendRequests: boolean;
  allowMessages: StoredAudience;
  showEducation: boolean;
  showExperience: boolean;
  showConnections: boolean;
  allowTagging: StoredAudience;
  allowMentions: StoredAudience;
}

export interface NotificationSettings {
  emailNotifications: boolean;
  pushNotifications: boolean;
  messageNotifications: boolean;
  friendRequestNotifications: boolean;
  postNotifications: boolean;
  commentNotifications: boolean;
  likeNotifications: boolean;
  mentionNotifications: boolean;
  followerNotifications: boolean;
}

export interface AccountSettings {
  language: string;
  timezone: string;
  dateFormat: StoredDateFormat;
  theme: StoredTheme;
}

export interface ProfileStatistics {
  friendsCount: number;
  followersCount: number;
  followingCount: number;
  postsCount: number;
  photosCount: number;
  videosCount: number;
  profileViewsCount: number;
}

/** Defaults of a new profile: visible to everyone, contact details and birth date hidden. */
export const DEFAULT_PRIVACY_SETTINGS: PrivacySettings = {
  profileVisibility: 'Public',
  showEmail: false,
  showPhoneNumber: false,
  showDateOfBirth: false,
  showLocation: true,
  showOnlineStatus: true,
  showLastSeen: true,
  allowFriendRequests: true,
  allowMessages: 'Everyone',
  showEducation: true,
  showExperience: true,
  showConnections: true,
  allowTagging: 'Everyone',
  allowMentions: 'Everyone',
};

/** Everything on; the kit's copy is what other services assume before ProfileCreated arrives. */
export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { ...KIT_NOTIFICATION_DEFAULTS };

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = {
  language: 'en',
  timezone: 'UTC',
  dateFormat: 'YYYY-MM-DD',
  theme: 'Auto',
};

export const EMPTY_STATISTICS: ProfileStatistics = {
  friendsCount: 0,
  followersCount: 0,
  followingCount: 0,
  postsCount: 0,
  photosCount: 0,
  videosCount: 0,
  profileViewsCount: 0,
};

/** Why a profile is hidden from everyone but admins (null: shown). */
export type HiddenReason = 'Deleted' | 'Suspended' | null;

/**
 * The profile fields a user's identity (privacy.ts `identity` group: name, tagline, avatar,
 * badges) and the viewer's access level to it depend on: what a card of a user in a feed, a
 * comment or a chat message needs, without the rest of the document (education, experience,
 * skills, settings), which is most of its size.
 */
export const IDENTITY_KEYS = [
  'userId',
  'displayName',
  'firstName',
  'lastName',
  'tagline',
  'avatarUrl',
  'avatarMediaId',
  'isVerified',
  'isPremium',
  'isDeleted',
  'isActive',
] as const satisfies readonly (keyof ProfileDocument)[];

/** A profile loaded with {@link IDENTITY_KEYS} and its visibility only (loaders.ts). */
export type ProfileIdentity = Pick<ProfileDocument, '_id' | (typeof IDENTITY_KEYS)[number]> & {
  privacySettings: Pick<PrivacySettings, 'profileVisibility'>;
};

/** `user_profiles`: the seed's document minus the connection arrays (see the file comment). */
export interface ProfileDocument {
  /** The auth user id (UUID): one profile per user, so it is the document id too. */
  _id: string;
  userId: string;
  username: string;
  /** Lowercased username: the case-insensitive unique key (seed index 2). */
  usernameLower: string;
  displayName: string;
  firstName: string;
  lastName: string;
  email: string;
  phoneNumber: string | null;
  dateOfBirth: Date | null;
  gender: StoredGender | null;
  bio: string | null;
  tagline: string | null;
  avatarUrl: string | null;
  avatarMediaId: string | null;
  coverImageUrl: string | null;
  coverImageMediaId: string | null;
  location: StoredLocation | null;
  website: string | null;
  socialLinks: StoredSocialLinks | null;
  education: StoredEducation[];
  experience: StoredExperience[];
  skills: StoredSkill[];
  certifications: StoredCertification[];
  languages: StoredLanguage[];
  interests: string[];
  /** Seed's `isOnline`: the stored half of presence; Redis keys carry the 5-minute expiry. */
  isOnline: boolean;
  lastSeenAt: Date | null;
  privacySettings: PrivacySettings;
  notificationSettings: NotificationSettings;
  accountSettings: AccountSettings;
  statistics: ProfileStatistics;
  isVerified: boolean;
  /** False while the account is suspended (auth's UserStatusChanged). */
  isActive: boolean;
  isPremium: boolean;
  isDeleted: boolean;
  deletedAt: Date | null;
  /** Account status as auth last reported it (ACTIVE, INACTIVE, SUSPENDED, DELETED). */
  accountStatus: string;
  createdAt: Date;
  updatedAt: Date;
}

/** `friend_requests` (seed 002): one document per ordered pair, reused when a request is re-sent. */
export interface FriendRequestDocument {
  _id: string;
  senderId: string;
  senderUsername: string;
  senderDisplayName: string;
  senderAvatarUrl: string | null;
  receiverId: string;
  receiverUsername: string;
  receiverDisplayName: string;
  receiverAvatarUrl: string | null;
  message: string | null;
  status: StoredFriendRequestStatus;
  sentAt: Date;
  respondedAt: Date | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** `user_activities` (seed 002). */
export interface ActivityDocument {
  _id: string;
  userId: string;
  activityType: StoredActivityType;
  description: string;
  metadata: Record<string, unknown>;
  isPublic: boolean;
  createdAt: Date;
  expiresAt: Date;
}

/** `friendships`: two documents per friendship, one per side, so "friends of X" is one index range. */
export interface FriendshipDocument {
  _id: string;
  userId: string;
  friendId: string;
  /** When they became friends (the sort key of friend lists). */
  createdAt: Date;
}

/** `follows`: one document per follower → followee edge. */
export interface FollowDocument {
  _id: string;
  followerId: string;
  followeeId: string;
  createdAt: Date;
}

/** `blocks`: one document per blocker → blocked edge. */
export interface BlockDocument {
  _id: string;
  blockerId: string;
  blockedId: string;
  createdAt: Date;
}

/** `media_refs`: the kit's copy of media's files (owner, kind, visibility, URLs) for avatars and covers. */
export type { MediaRefDocument } from '@social/kit';

/**
 * `graph_cleanups`: a deleted user whose edges are still being removed (graph-cleanup.ts). Written
 * in the transaction that marks the profile deleted, worked through batch by batch under a lease,
 * deleted in the transaction of the last batch.
 */
export interface GraphCleanupDocument {
  /** The deleted user's id: one job per user, so a redelivered UserDeleted adds nothing. */
  _id: string;
  reason: 'USER_DELETED';
  createdAt: Date;
  /** The job may be claimed once this has passed; the worker holding it renews it every batch. */
  leaseUntil: Date;
  /** The claim holding the lease (random per claim); null before the first claim. */
  leaseOwner: string | null;
  /** Batches committed so far and the edges they took (progress, for logs). */
  batches: number;
  edges: number;
}

export const COLLECTIONS = {
  profiles: 'user_profiles',
  friendRequests: 'friend_requests',
  activities: 'user_activities',
  friendships: 'friendships',
  follows: 'follows',
  blocks: 'blocks',
  mediaRefs: 'media_refs',
  graphCleanups: 'graph_cleanups',
} as const;

const uuid = { bsonType: 'string', pattern: '^[0-9a-fA-F-]{36}$' };
const nullableString = (maxLength: number) => ({ bsonType: ['string', 'null'], maxLength });
const visibility = { enum: ['Public', 'Friends', 'Private'] };
const audience = { enum: ['Everyone', 'Friends', 'None'] };

/** The collections, validators and indexes of seed 002 (plus the graph's), applied at start. */
export function profileCollections(): CollectionSpec[] {
  return [
    {
      name: COLLECTIONS.profiles,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['userId', 'username', 'usernameLower', 'email', 'privacySettings', 'statistics'],
          properties: {
            userId: uuid,
            username: { bsonType: 'string', pattern: '^[A-Za-z0-9_]{3,50}$' },
            usernameLower: { bsonType: 'string', pattern: '^[a-z0-9_]{3,50}$' },
            email: { bsonType: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
            displayName: { bsonType: 'string', maxLength: 100 },
            bio: nullableString(500),
            tagline: nullableString(100),
            gender: { enum: ['Male', 'Female', 'Other', 'PreferNotToSay', null] },
            privacySettings: {
              bsonType: 'object',
              required: ['profileVisibility', 'allowMessages'],
              properties: {
                profileVisibility: visibility,
                allowMessages: audience,
                allowTagging: audience,
                allowMentions: audience,
              },
            },
            statistics: {
              bsonType: 'object',
              properties: {
                friendsCount: { bsonType: ['int', 'long', 'double'], minimum: 0 },
                followersCount: { bsonType: ['int', 'long', 'double'], minimum: 0 },
                followingCount: { bsonType: ['int', 'long', 'double'], minimum: 0 },
              },
            },
          },
        },
      },
      indexes: [
        { key: { userId: 1 }, name: 'userId_unique', unique: true },
        // Case-insensitive uniqueness through the lowercased copy (the embedded server has no
        // collations; on MongoDB this is equivalent to a strength-2 collation index).
        { key: { usernameLower: 1 }, name: 'username_unique', unique: true },
        {
          key: { displayName: 'text', username: 'text', bio: 'text' },
          name: 'profile_text',
          weights: { displayName: 5, username: 5, bio: 1 },
        },
        { key: { 'location.coordinates': '2dsphere' }, name: 'location_2dsphere', sparse: true },
        { key: { 'skills.name': 1 }, name: 'skills_name' },
        { key: { isDeleted: 1, isActive: 1 }, name: 'active_users' },
        { key: { isOnline: 1, lastSeenAt: -1 }, name: 'online_status' },
      ],
    },
    {
      name: COLLECTIONS.friendRequests,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['senderId', 'receiverId', 'status', 'sentAt', 'expiresAt'],
          properties: {
            senderId: uuid,
            receiverId: uuid,
            message: nullableString(200),
            status: { enum: ['Pending', 'Accepted', 'Rejected', 'Cancelled'] },
          },
        },
      },
      indexes: [
        { key: { senderId: 1, status: 1 }, name: 'sender_status' },
        { key: { receiverId: 1, status: 1 }, name: 'receiver_status' },
        { key: { senderId: 1, receiverId: 1 }, name: 'pair_unique', unique: true },
        { key: { status: 1, sentAt: -1 }, name: 'status_sentAt' },
        { key: { expiresAt: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 },
        // Listing pages: a user's requests in one state, newest first.
        { key: { receiverId: 1, status: 1, sentAt: -1, _id: -1 }, name: 'incoming_page' },
        { key: { senderId: 1, status: 1, sentAt: -1, _id: -1 }, name: 'outgoing_page' },
      ],
    },
    {
      name: COLLECTIONS.activities,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['userId', 'activityType', 'isPublic', 'createdAt', 'expiresAt'],
          properties: {
            userId: uuid,
            activityType: {
              enum: [
                'ProfileUpdated',
                'FriendAdded',
                'FriendRemoved',
                'PostCreated',
                'PhotoUploaded',
                'VideoUploaded',
                'EducationAdded',
                'ExperienceAdded',
                'SkillAdded',
                'CertificationAdded',
              ],
            },
            isPublic: { bsonType: 'bool' },
          },
        },
      },
      indexes: [
        { key: { userId: 1, createdAt: -1 }, name: 'user_activities' },
        { key: { activityType: 1, createdAt: -1 }, name: 'activity_type' },
        { key: { isPublic: 1, createdAt: -1 }, name: 'public_activities' },
        { key: { expiresAt: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 },
      ],
    },
    {
      name: COLLECTIONS.friendships,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['userId', 'friendId', 'createdAt'],
          properties: { userId: uuid, friendId: uuid },
        },
      },
      indexes: [
        { key: { userId: 1, friendId: 1 }, name: 'pair_unique', unique: true },
        { key: { userId: 1, createdAt: -1, _id: -1 }, name: 'friends_page' },
        // Seed index 4 ("who has X as a friend"): the reverse side of the edge.
        { key: { friendId: 1 }, name: 'friend' },
      ],
    },
    {
      name: COLLECTIONS.follows,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['followerId', 'followeeId', 'createdAt'],
          properties: { followerId: uuid, followeeId: uuid },
        },
      },
      indexes: [
        { key: { followerId: 1, followeeId: 1 }, name: 'pair_unique', unique: true },
        // Seed indexes 5 and 6: followers of X and who X follows, newest first.
        { key: { followeeId: 1, createdAt: -1, _id: -1 }, name: 'followers_page' },
        { key: { followerId: 1, createdAt: -1, _id: -1 }, name: 'following_page' },
      ],
    },
    {
      name: COLLECTIONS.blocks,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['blockerId', 'blockedId', 'createdAt'],
          properties: { blockerId: uuid, blockedId: uuid },
        },
      },
      indexes: [
        { key: { blockerId: 1, blockedId: 1 }, name: 'pair_unique', unique: true },
        { key: { blockerId: 1, createdAt: -1, _id: -1 }, name: 'blocked_page' },
        { key: { blockedId: 1 }, name: 'blocked' },
      ],
    },
    mediaRefsCollection,
    {
      name: COLLECTIONS.graphCleanups,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['reason', 'createdAt', 'leaseUntil'],
          properties: {
            _id: uuid,
            reason: { enum: ['USER_DELETED'] },
            createdAt: { bsonType: 'date' },
            leaseUntil: { bsonType: 'date' },
            leaseOwner: { bsonType: ['string', 'null'] },
          },
        },
      },
      // Claims take the job whose lease lapsed first.
      indexes: [{ key: { leaseUntil: 1 }, name: 'claimable' }],
    },
    outboxCollection,
    processedEventsCollection,
  ];
}
