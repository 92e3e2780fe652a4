import { requiredText } from '@social/kit';
import { z } from 'zod';
import type {
  StoredDateFormat,
  StoredEmploymentType,
  StoredGender,
  StoredProficiency,
  StoredSkillLevel,
  StoredTheme,
  StoredVisibility,
  StoredAudience,
} from './data/collections.js';

/**
 * One schema per input type with the SDL's limits (STYLE 9), checked before anything is stored.
 * Enum values arrive as the stored spellings (resolvers/enums.ts maps them), dates as `Date`
 * (the DateTime scalar). Parse with kit `parseInput(schema, value, 'input')`, which names the
 * offending field (`input.education.0.school`) in the BAD_USER_INPUT error.
 */

export const LIMITS = {
  education: 20,
  experience: 50,
  skills: 100,
  certifications: 50,
  languages: 30,
  interests: 50,
  experienceSkills: 50,
} as const;

/** Minimum age of a user (COPPA): a date of birth must be at least this many years ago. */
const MINIMUM_AGE_YEARS = 13;

const USERNAME = /^[A-Za-z0-9_]{3,50}$/;
/** A media file id: media's ObjectId in hex (a UUID is accepted too, should media ever switch). */
const MEDIA_ID = /^(?:[0-9a-f]{24}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** An optional text: trimmed, at most `max`; an empty string or null clears it (stored as null). */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value === '' ? null : value));

function urlOf(protocols: readonly string[], message: string) {
  return z
    .string()
    .trim()
    .max(2048, 'must be at most 2048 characters')
    .refine((value) => {
      if (value === '') return true;
      try {
        const url = new URL(value);
        return protocols.includes(url.protocol) && url.hostname !== '';
      } catch {
        return false;
      }
    }, message)
    .nullish()
    .transform((value) => (value === '' ? null : value));
}

const httpUrl = urlOf(['http:', 'https:'], 'must be an http(s) URL');
const httpsUrl = urlOf(['https:'], 'must be an https URL');

/** The calendar day of a date-time (time part ignored): midnight UTC. */
export function dayOf(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

const day = z.date({ message: 'must be a date-time' }).transform(dayOf);

const storedEnum = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, { message: `must be one of ${values.join(', ')}` });

const gender = storedEnum<StoredGender>(['Male', 'Female', 'Other', 'PreferNotToSay']);
const employmentType = storedEnum<StoredEmploymentType>([
  'Full-time',
  'Part-time',
  'Contract',
  'Internship',
  'Freelance',
]);
const skillLevel = storedEnum<StoredSkillLevel>(['Beginner', 'Intermediate', 'Advanced', 'Expert']);
const proficiency = storedEnum<StoredProficiency>(['Elementary', 'Limited', 'Professional', 'Native']);
const visibility = storedEnum<StoredVisibility>(['Public', 'Friends', 'Private']);
const audience = storedEnum<StoredAudience>(['Everyone', 'Friends', 'None']);
const dateFormat = storedEnum<StoredDateFormat>(['MM/DD/YYYY', 'DD/MM/YYYY', 'YYYY-MM-DD']);
const theme = storedEnum<StoredTheme>(['Light', 'Dark', 'Auto']);

/** A list of short labels: each 1-50 characters, at most `max`, duplicates (any case) removed. */
const labels = (max: number) =>
  z
    .array(requiredText(50))
    .max(max, `must have at most ${max} entries`)
    .transform((values) => {
      const seen = new Set<string>();
      return values.filter((value) => {
        const key = value.toLowerCase();
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    });

const coordinates = z.object({
  latitude: z.number().min(-90, 'must be between -90 and 90').max(90, 'must be between -90 and 90'),
  longitude: z.number().min(-180, 'must be between -180 and 180').max(180, 'must be between -180 and 180'),
});

const location = z.object({
  city: optionalText(100),
  state: optionalText(100),
  country: optionalText(100),
  coordinates: coordinates.nullish(),
});

const socialLinks = z.object({
  linkedin: httpsUrl,
  twitter: httpsUrl,
  github: httpsUrl,
  instagram: httpsUrl,
  facebook: httpsUrl,
});

// -- Profile ------------------------------------------------------------------------------------

const dateOfBirth = day
  .refine((date) => date.getTime() < Date.now(), 'must be in the past')
  .refine((date) => {
    const now = new Date();
    const limit = Date.UTC(now.getUTCFullYear() - MINIMUM_AGE_YEARS, now.getUTCMonth(), now.getUTCDate());
    return date.getTime() <= limit;
  }, `must be at least ${MINIMUM_AGE_YEARS} years ago`);

export const updateProfileInput = z.object({
  /** null restores the default ("firstName lastName"). */
  displayName: requiredText(100).nullish(),
  bio: optionalText(500),
  tagline: optionalText(100),
  avatarMediaId: z.string().regex(MEDIA_ID, 'must be a media file id').nullish(),
  coverImageMediaId: z.string().regex(MEDIA_ID, 'must be a media file id').nullish(),
  dateOfBirth: dateOfBirth.nullish(),
  gender: gender.nullish(),
  location: location.nullish(),
  website: httpUrl,
  socialLinks: socialLinks.nullish(),
  interests: labels(LIMITS.interests).nullish(),
});
export type UpdateProfileInput = z.infer<typeof updateProfileInput>;

// -- Education ----------------------------------------------------------------------------------

type Dated = { startDate?: Date | null; endDate?: Date | null; current?: boolean | null };

/** endDate not before startDate; a current entry has no endDate. */
function checkPeriod(entry: Dated, context: z.RefinementCtx): void {
  if (entry.current && entry.endDate) {
    context.addIssue({ code: 'custom', path: ['endDate'], message: 'must be null when current is true' });
  }
  if (entry.startDate && entry.endDate && entry.endDate.getTime() < entry.startDate.getTime()) {
    context.addIssue({ code: 'custom', path: ['endDate'], message: 'must not be before startDate' });
  }
}

const educationFields = {
  school: requiredText(200),
  degree: optionalText(200),
  fieldOfStudy: optionalText(200),
  startDate: day.nullish(),
  endDate: day.nullish(),
  grade: optionalText(50),
  activities: optionalText(1000),
  description: optionalText(2000),
  current: z.boolean().nullish(),
};

/** A whole education entry (a new one, or an existing one with an update applied). */
export const educationEntry = z.object(educationFields).superRefine(checkPeriod);

export const updateEducationInput = z.object({
  id: z.string().min(1).max(100),
  ...partial(educationFields),
});

// -- Experience ---------------------------------------------------------------------------------

const experienceFields = {
  company: requiredText(200),
  position: requiredText(200),
  employmentType: employmentType.nullish(),
  location: optionalText(200),
  startDate: day.nullish(),
  endDate: day.nullish(),
  current: z.boolean().nullish(),
  description: optionalText(2000),
  skills: labels(LIMITS.experienceSkills).nullish(),
};

export const experienceEntry = z.object(experienceFields).superRefine(checkPeriod);

export const updateExperienceInput = z.object({
  id: z.string().min(1).max(100),
  ...partial(experienceFields),
});

// -- Skills, certifications, languages -----------------------------------------------------------

const yearsOfExperience = z
  .number()
  .int('must be a whole number')
  .min(0, 'must be between 0 and 80')
  .max(80, 'must be between 0 and 80');

export const addSkillInput = z.object({
  name: requiredText(50),
  level: skillLevel.nullish(),
  yearsOfExperience: yearsOfExperience.nullish(),
});

export const updateSkillInput = z.object({
  name: requiredText(50),
  newName: requiredText(50).nullish(),
  level: skillLevel.nullish(),
  yearsOfExperience: yearsOfExperience.nullish(),
});

export const skillName = requiredText(50);

const certificationFields = {
  name: requiredText(200),
  issuingOrganization: optionalText(200),
  issueDate: day.nullish(),
  expirationDate: day.nullish(),
  credentialId: optionalText(200),
  credentialUrl: httpUrl,
};

export const certificationEntry = z.object(certificationFields).superRefine((entry, context) => {
  if (entry.issueDate && entry.expirationDate && entry.expirationDate.getTime() < entry.issueDate.getTime()) {
    context.addIssue({ code: 'custom', path: ['expirationDate'], message: 'must not be before issueDate' });
  }
});

export const updateCertificationInput = z.object({
  id: z.string().min(1).max(100),
  ...partial(certificationFields),
});

export const languageInput = z.object({
  language: requiredText(50),
  proficiency: proficiency.nullish(),
});

export const languageName = requiredText(50);

// -- Settings -----------------------------------------------------------------------------------

/** Settings are never null: omit a field to keep it. */
export const updatePrivacySettingsInput = z.object({
  profileVisibility: visibility.optional(),
  showEmail: z.boolean().optional(),
  showPhoneNumber: z.boolean().optional(),
  showDateOfBirth: z.boolean().optional(),
  showLocation: z.boolean().optional(),
  showOnlineStatus: z.boolean().optional(),
  showLastSeen: z.boolean().optional(),
  allowFriendRequests: z.boolean().optional(),
  allowMessages: audience.optional(),
  showEducation: z.boolean().optional(),
  showExperience: z.boolean().optional(),
  showConnections: z.boolean().optional(),
  allowTagging: audience.optional(),
  allowMentions: audience.optional(),
});

export const updateNotificationSettingsInput = z.object({
  emailNotifications: z.boolean().optional(),
  pushNotifications: z.boolean().optional(),
  messageNotifications: z.boolean().optional(),
  friendRequestNotifications: z.boolean().optional(),
  postNotifications: z.boolean().optional(),
  commentNotifications: z.boolean().optional(),
  likeNotifications: z.boolean().optional(),
  mentionNotifications: z.boolean().optional(),
  followerNotifications: z.boolean().optional(),
});

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });

/** An ISO 639-1 code ICU knows (it echoes unknown codes back instead of naming them). */
const languageCode = z
  .string()
  .regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code (two lowercase letters)')
  // Zod runs the refinement even when the regex failed, and ICU throws on a malformed tag.
  .refine(
    (code) => /^[a-z]{2}$/.test(code) && languageNames.of(code) !== code,
    'must be an ISO 639-1 language code',
  );

/** An IANA zone name (no raw offsets), stored in its canonical spelling. */
const timezone = z
  .string()
  .trim()
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA timezone name')
  .transform((value, context) => {
    try {
      return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a valid IANA timezone name' });
      return z.NEVER;
    }
  });

export const updateAccountSettingsInput = z.object({
  language: languageCode.optional(),
  timezone: timezone.optional(),
  dateFormat: dateFormat.optional(),
  theme: theme.optional(),
});

// -- Arguments ----------------------------------------------------------------------------------

export const username = z
  .string()
  .regex(USERNAME, 'must be 3-50 characters of letters, digits and underscores');
export const searchText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

/** The fields of an update input: each optional; null clears optional ones (and fails required). */
function partial<T extends Record<string, z.ZodType>>(fields: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(fields).map(([key, schema]) => [key, schema.optional()])) as {
    [K in keyof T]: z.ZodOptional<T[K]>;
  };
}
