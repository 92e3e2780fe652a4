import type { VisibilityName, AudienceName } from '../events.js';
import type {
  StoredActivityType,
  StoredAudience,
  StoredDateFormat,
  StoredEmploymentType,
  StoredFriendRequestStatus,
  StoredGender,
  StoredProficiency,
  StoredSkillLevel,
  StoredTheme,
  StoredVisibility,
} from '../data/collections.js';

/**
 * GraphQL enum names → the seed's stored values: resolvers return stored documents unchanged and
 * receive stored values in arguments (e.g. `status: PENDING` arrives as 'Pending').
 */
export const PROFILE_VISIBILITY = {
  PUBLIC: 'Public',
  FRIENDS: 'Friends',
  PRIVATE: 'Private',
} as const satisfies Record<VisibilityName, StoredVisibility>;

export const PROFILE_AUDIENCE = {
  EVERYONE: 'Everyone',
  FRIENDS: 'Friends',
  NONE: 'None',
} as const satisfies Record<AudienceName, StoredAudience>;

export const PROFILE_GENDER = {
  MALE: 'Male',
  FEMALE: 'Female',
  OTHER: 'Other',
  PREFER_NOT_TO_SAY: 'PreferNotToSay',
} as const satisfies Record<string, StoredGender>;

export const EMPLOYMENT_TYPE = {
  FULL_TIME: 'Full-time',
  PART_TIME: 'Part-time',
  CONTRACT: 'Contract',
  INTERNSHIP: 'Internship',
  FREELANCE: 'Freelance',
} as const satisfies Record<string, StoredEmploymentType>;

export const SKILL_LEVEL = {
  BEGINNER: 'Beginner',
  INTERMEDIATE: 'Intermediate',
  ADVANCED: 'Advanced',
  EXPERT: 'Expert',
} as const satisfies Record<string, StoredSkillLevel>;

export const LANGUAGE_PROFICIENCY = {
  ELEMENTARY: 'Elementary',
  LIMITED: 'Limited',
  PROFESSIONAL: 'Professional',
  NATIVE: 'Native',
} as const satisfies Record<string, StoredProficiency>;

export const DATE_FORMAT = {
  MM_DD_YYYY: 'MM/DD/YYYY',
  DD_MM_YYYY: 'DD/MM/YYYY',
  YYYY_MM_DD: 'YYYY-MM-DD',
} as const satisfies Record<string, StoredDateFormat>;

export const THEME = { LIGHT: 'Light', DARK: 'Dark', AUTO: 'Auto' } as const satisfies Record<
  string,
  StoredTheme
>;

export const FRIEND_REQUEST_STATUS = {
  PENDING: 'Pending',
  ACCEPTED: 'Accepted',
  REJECTED: 'Rejected',
  CANCELLED: 'Cancelled',
} as const satisfies Record<string, StoredFriendRequestStatus>;

export const ACTIVITY_TYPE = {
  PROFILE_UPDATED: 'ProfileUpdated',
  FRIEND_ADDED: 'FriendAdded',
  FRIEND_REMOVED: 'FriendRemoved',
  POST_CREATED: 'PostCreated',
  PHOTO_UPLOADED: 'PhotoUploaded',
  VIDEO_UPLOADED: 'VideoUploaded',
  EDUCATION_ADDED: 'EducationAdded',
  EXPERIENCE_ADDED: 'ExperienceAdded',
  SKILL_ADDED: 'SkillAdded',
  CERTIFICATION_ADDED: 'CertificationAdded',
} as const satisfies Record<string, StoredActivityType>;

/** Stored value → GraphQL name, for event payloads (which carry GraphQL names). */
export function graphqlName<T extends Record<string, string>>(values: T, stored: T[keyof T]): keyof T {
  const entry = Object.entries(values).find(([, value]) => value === stored);
  if (!entry) throw new Error(`Unknown stored value ${stored}`);
  return entry[0] as keyof T;
}

export const enumResolvers = {
  ProfileVisibility: PROFILE_VISIBILITY,
  ProfileAudience: PROFILE_AUDIENCE,
  ProfileGender: PROFILE_GENDER,
  ProfileEmploymentType: EMPLOYMENT_TYPE,
  ProfileSkillLevel: SKILL_LEVEL,
  ProfileLanguageProficiency: LANGUAGE_PROFICIENCY,
  ProfileDateFormat: DATE_FORMAT,
  ProfileTheme: THEME,
  FriendRequestStatus: FRIEND_REQUEST_STATUS,
  ProfileActivityType: ACTIVITY_TYPE,
};
