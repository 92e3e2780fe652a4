import { badUserInput, conflict, notFound, parseInput, requireViewer, waitForEvent } from '@social/kit';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type {
  AccountSettings,
  MediaRefDocument,
  NotificationSettings,
  PrivacySettings,
  ProfileDocument,
  StoredCertification,
  StoredEducation,
  StoredExperience,
  StoredLanguage,
  StoredLocation,
  StoredSkill,
  StoredSocialLinks,
} from '../data/collections.js';
import { findMediaRef, pickMediaRef, profileImageUrl, usableAsProfileImage } from '../data/media-refs.js';
import { defaultDisplayName } from '../data/profiles.js';
import { notificationSnapshot, privacySnapshot } from '../snapshots.js';

import type { ProfileContext } from '../subgraph.js';
import {
  LIMITS,
  addSkillInput,
  certificationEntry,
  educationEntry,
  experienceEntry,
  languageInput,
  languageName,
  skillName,
  updateAccountSettingsInput,
  updateCertificationInput,
  updateEducationInput,
  updateExperienceInput,
  updateNotificationSettingsInput,
  updatePrivacySettingsInput,
  updateProfileInput,
  updateSkillInput,
  type UpdateProfileInput,
} from '../validation.js';
import {
  assertRoom,
  defined,
  editOwnProfile,
  listEdit,
  profileUpdatedActivity,
  unchanged,
} from './edit-profile.js';
import type { UserRef } from './view.js';

/**
 * The viewer's own profile edits. Input is validated before anything is read or written; each
 * change is one transaction with its ProfileUpdated (or settings) event and its activity, so
 * the change, what other services hear of it and the timeline never disagree.
 */

// -- Avatar and cover ---------------------------------------------------------------------------

/**
 * The file's ref, waiting up to EVENT_WAIT_MS for media's event about it: a client that
 * sets its avatar right after uploading races the MediaUploaded event.
 */
async function mediaRefFor(context: ProfileContext, mediaId: string): Promise<MediaRefDocument | null> {
  const { store, config } = context.profile;
  return waitForEvent(() => findMediaRef(store, mediaId), config.EVENT_WAIT_MS);
}

/** The image the viewer picked, checked: their own, public, an image, not deleted or failed. */
async function profileImage(
  context: ProfileContext,
  viewerId: string,
  mediaId: string,
  field: string,
): Promise<MediaRefDocument> {
  const ref = await mediaRefFor(context, mediaId);
  if (!ref || ref.status === 'DELETED' || ref.ownerId !== viewerId) throw notFound('MediaFile', mediaId);
  if (!usableAsProfileImage(ref, viewerId)) {
    throw badUserInput(`${field} must be a public image that finished uploading`, field);
  }
  return ref;
}

// -- updateProfile ------------------------------------------------------------------------------

/** Location as stored: longitude first, the order a 2dsphere index reads a legacy coordinate pair in. */
function storedLocation(location: NonNullable<UpdateProfileInput['location']>): StoredLocation {
  const { coordinates } = location;
  return {
    city: location.city ?? null,
    state: location.state ?? null,
    country: location.country ?? null,
    coordinates: coordinates ? { longitude: coordinates.longitude, latitude: coordinates.latitude } : null,
  };
}

function storedSocialLinks(links: NonNullable<UpdateProfileInput['socialLinks']>): StoredSocialLinks {
  return {
    linkedin: links.linkedin ?? null,
    twitter: links.twitter ?? null,
    github: links.github ?? null,
    instagram: links.instagram ?? null,
    facebook: links.facebook ?? null,
  };
}

async function updateProfile(context: ProfileContext, rawInput: unknown): Promise<UserRef> {
  const viewer = requireViewer(context);
  const input = parseInput(updateProfileInput, rawInput, 'input');
  // The media checks wait for events, so they run before the transaction.
  const avatarRef = input.avatarMediaId
    ? await profileImage(context, viewer.id, input.avatarMediaId, 'input.avatarMediaId')
    : null;
  const coverRef = input.coverImageMediaId
    ? await profileImage(context, viewer.id, input.coverImageMediaId, 'input.coverImageMediaId')
    : null;

  return editOwnProfile(context, async (profile, session) => {
    // The files again, in the transaction, with a write to each ref: media's MediaProcessed (or
    // MediaDeleted) handled concurrently writes the same ref, so one of the two transactions
    // retries and sees the other, instead of the avatar keeping a URL from before processing.
    const pick = async (ref: MediaRefDocument | null, field: string) => {
      if (!ref) return null;
      const fresh = await pickMediaRef(context.profile.store, session, ref._id);
      if (!fresh || fresh.status === 'DELETED') throw notFound('MediaFile', ref._id);
      if (!usableAsProfileImage(fresh, viewer.id)) {
        throw badUserInput(`${field} must be a public image that finished uploading`, field);
      }
      return fresh;
    };
    const avatar = await pick(avatarRef, 'input.avatarMediaId');
    const cover = await pick(coverRef, 'input.coverImageMediaId');
    const set: Record<string, unknown> = {};
    const changed: string[] = [];
    const change = (key: keyof ProfileDocument, value: unknown, ...fields: string[]) => {
      if (isDeepStrictEqual(profile[key], value)) return;
      set[key] = value;
      for (const field of fields) if (!changed.includes(field)) changed.push(field);
    };
    if (input.displayName !== undefined) {
      const name = input.displayName ?? defaultDisplayName(profile.firstName, profile.lastName);
      change('displayName', name, 'displayName');
    }
    if (input.bio !== undefined) change('bio', input.bio, 'bio');
    if (input.tagline !== undefined) change('tagline', input.tagline, 'tagline');
    if (input.avatarMediaId !== undefined) {
      change('avatarMediaId', avatar?._id ?? null, 'avatar');
      change('avatarUrl', avatar ? profileImageUrl(avatar) : null, 'avatarUrl');
    }
    if (input.coverImageMediaId !== undefined) {
      change('coverImageMediaId', cover?._id ?? null, 'coverImage');
      change('coverImageUrl', cover ? profileImageUrl(cover) : null, 'coverImageUrl');
    }
    if (input.dateOfBirth !== undefined) change('dateOfBirth', input.dateOfBirth, 'dateOfBirth');
    if (input.gender !== undefined) change('gender', input.gender, 'gender');
    if (input.location !== undefined) {
      change('location', input.location ? storedLocation(input.location) : null, 'location');
    }
    if (input.website !== undefined) change('website', input.website, 'website');
    if (input.socialLinks !== undefined) {
      change('socialLinks', input.socialLinks ? storedSocialLinks(input.socialLinks) : null, 'socialLinks');
    }
    if (input.interests !== undefined) change('interests', input.interests ?? [], 'interests');
    const result = (updated: ProfileDocument): UserRef => ({ id: updated._id });
    if (changed.length === 0) return unchanged(result);
    return { set, changed, activity: profileUpdatedActivity(changed, profile), result };
  });
}

// -- Education and experience -------------------------------------------------------------------

function educationOf(id: string, entry: ReturnType<typeof educationEntry.parse>): StoredEducation {
  return {
    id,
    school: entry.school,
    degree: entry.degree ?? null,
    fieldOfStudy: entry.fieldOfStudy ?? null,
    startDate: entry.startDate ?? null,
    endDate: entry.endDate ?? null,
    grade: entry.grade ?? null,
    activities: entry.activities ?? null,
    description: entry.description ?? null,
    current: entry.current ?? false,
  };
}

function experienceOf(id: string, entry: ReturnType<typeof experienceEntry.parse>): StoredExperience {
  return {
    id,
    company: entry.company,
    position: entry.position,
    employmentType: entry.employmentType ?? null,
    location: entry.location ?? null,
    startDate: entry.startDate ?? null,
    endDate: entry.endDate ?? null,
    current: entry.current ?? false,
    description: entry.description ?? null,
    skills: entry.skills ?? [],
  };
}

function certificationOf(
  id: string,
  entry: ReturnType<typeof certificationEntry.parse>,
): StoredCertification {
  return {
    id,
    name: entry.name,
    issuingOrganization: entry.issuingOrganization ?? null,
    issueDate: entry.issueDate ?? null,
    expirationDate: entry.expirationDate ?? null,
    credentialId: entry.credentialId ?? null,
    credentialUrl: entry.credentialUrl ?? null,
  };
}

/** Replaces the entry `id` of a list of entries with ids; NOT_FOUND when there is none. */
function replaceEntry<T extends { id: string }>(
  list: readonly T[],
  id: string,
  entity: string,
  update: (entry: T) => T,
): { list: T[]; entry: T } {
  const index = list.findIndex((entry) => entry.id === id);
  const existing = list[index];
  if (existing === undefined) throw notFound(entity, id);
  const entry = update(existing);
  return { list: list.map((item, i) => (i === index ? entry : item)), entry };
}

const addEducation = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(educationEntry, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    assertRoom(profile.education, LIMITS.education, 'education entries');
    const entry = educationOf(randomUUID(), input);
    return listEdit(profile, 'education', [...profile.education, entry], () => entry, {
      activityType: 'EducationAdded',
      description: `Added education: ${entry.school}`,
      metadata: { educationId: entry.id, school: entry.school },
      isPublic: profile.privacySettings.showEducation,
    });
  });
};

const updateEducation = (context: ProfileContext, rawInput: unknown) => {
  const { id, ...changes } = parseInput(updateEducationInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const { list, entry } = replaceEntry(profile.education, id, 'ProfileEducation', (existing) =>
      educationOf(id, parseInput(educationEntry, { ...existing, ...defined(changes) }, 'input')),
    );
    return listEdit(profile, 'education', list, () => entry);
  });
};

const addExperience = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(experienceEntry, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    assertRoom(profile.experience, LIMITS.experience, 'experience entries');
    const entry = experienceOf(randomUUID(), input);
    return listEdit(profile, 'experience', [...profile.experience, entry], () => entry, {
      activityType: 'ExperienceAdded',
      description: `Added experience: ${entry.position} at ${entry.company}`,
      metadata: { experienceId: entry.id, company: entry.company, position: entry.position },
      isPublic: profile.privacySettings.showExperience,
    });
  });
};

const updateExperience = (context: ProfileContext, rawInput: unknown) => {
  const { id, ...changes } = parseInput(updateExperienceInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const { list, entry } = replaceEntry(profile.experience, id, 'ProfileExperience', (existing) =>
      experienceOf(id, parseInput(experienceEntry, { ...existing, ...defined(changes) }, 'input')),
    );
    return listEdit(profile, 'experience', list, () => entry);
  });
};

const addCertification = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(certificationEntry, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    assertRoom(profile.certifications, LIMITS.certifications, 'certifications');
    const entry = certificationOf(randomUUID(), input);
    return listEdit(profile, 'certifications', [...profile.certifications, entry], () => entry, {
      activityType: 'CertificationAdded',
      description: `Added a certification: ${entry.name}`,
      metadata: { certificationId: entry.id, name: entry.name },
      isPublic: true,
    });
  });
};

const updateCertification = (context: ProfileContext, rawInput: unknown) => {
  const { id, ...changes } = parseInput(updateCertificationInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const { list, entry } = replaceEntry(profile.certifications, id, 'ProfileCertification', (existing) =>
      certificationOf(id, parseInput(certificationEntry, { ...existing, ...defined(changes) }, 'input')),
    );
    return listEdit(profile, 'certifications', list, () => entry);
  });
};

/** Removes the entry `id` (an invalid id simply matches nothing); resolves with whether it existed. */
function removeEntry(
  context: ProfileContext,
  field: 'education' | 'experience' | 'certifications',
  id: string,
): Promise<boolean> {
  return editOwnProfile(context, (profile) => {
    const list: readonly { id: string }[] = profile[field];
    const kept = list.filter((entry) => entry.id !== id);
    const existed = kept.length !== list.length;
    return listEdit(profile, field, kept, () => existed);
  });
}

// -- Skills and languages -----------------------------------------------------------------------

const addSkill = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(addSkillInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const nameLower = input.name.toLowerCase();
    if (profile.skills.some((skill) => skill.nameLower === nameLower)) {
      throw conflict(`The skill ${input.name} is already on your profile`);
    }
    assertRoom(profile.skills, LIMITS.skills, 'skills');
    const skill: StoredSkill = {
      name: input.name,
      nameLower,
      level: input.level ?? null,
      yearsOfExperience: input.yearsOfExperience ?? null,
      endorsements: 0,
    };
    return listEdit(profile, 'skills', [...profile.skills, skill], () => skill, {
      activityType: 'SkillAdded',
      description: `Added a new skill: ${skill.name}`,
      metadata: { skill: skill.name },
      isPublic: true,
    });
  });
};

const updateSkill = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(updateSkillInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const nameLower = input.name.toLowerCase();
    const existing = profile.skills.find((skill) => skill.nameLower === nameLower);
    if (!existing) throw notFound('ProfileSkill', input.name);
    let { name } = existing;
    if (input.newName != null) {
      const newLower = input.newName.toLowerCase();
      if (newLower !== nameLower && profile.skills.some((skill) => skill.nameLower === newLower)) {
        throw conflict(`The skill ${input.newName} is already on your profile`);
      }
      name = input.newName;
    }
    const skill: StoredSkill = {
      ...existing,
      name,
      nameLower: name.toLowerCase(),
      level: input.level === undefined ? existing.level : input.level,
      yearsOfExperience:
        input.yearsOfExperience === undefined ? existing.yearsOfExperience : input.yearsOfExperience,
    };
    const list = profile.skills.map((item) => (item === existing ? skill : item));
    return listEdit(profile, 'skills', list, () => skill);
  });
};

const removeSkill = (context: ProfileContext, rawName: unknown) => {
  const nameLower = parseInput(skillName, rawName, 'name').toLowerCase();
  return editOwnProfile(context, (profile) => {
    const kept = profile.skills.filter((skill) => skill.nameLower !== nameLower);
    const existed = kept.length !== profile.skills.length;
    return listEdit(profile, 'skills', kept, () => existed);
  });
};

const sameLanguage = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const addLanguage = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(languageInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    if (profile.languages.some((entry) => sameLanguage(entry.language, input.language))) {
      throw conflict(`${input.language} is already on your profile`);
    }
    assertRoom(profile.languages, LIMITS.languages, 'languages');
    const entry: StoredLanguage = { language: input.language, proficiency: input.proficiency ?? null };
    return listEdit(profile, 'languages', [...profile.languages, entry], () => entry);
  });
};

const updateLanguage = (context: ProfileContext, rawInput: unknown) => {
  const input = parseInput(languageInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const existing = profile.languages.find((entry) => sameLanguage(entry.language, input.language));
    if (!existing) throw notFound('ProfileLanguage', input.language);
    const entry: StoredLanguage = {
      ...existing,
      proficiency: input.proficiency === undefined ? existing.proficiency : input.proficiency,
    };
    const list = profile.languages.map((item) => (item === existing ? entry : item));
    return listEdit(profile, 'languages', list, () => entry);
  });
};

const removeLanguage = (context: ProfileContext, rawLanguage: unknown) => {
  const language = parseInput(languageName, rawLanguage, 'language');
  return editOwnProfile(context, (profile) => {
    const kept = profile.languages.filter((entry) => !sameLanguage(entry.language, language));
    const existed = kept.length !== profile.languages.length;
    return listEdit(profile, 'languages', kept, () => existed);
  });
};

// -- Settings -----------------------------------------------------------------------------------

/** The `$set` of the settings in `changes` that differ from `current`, and their names. */
function settingsChange<T extends object>(
  prefix: string,
  current: T,
  changes: Partial<T>,
): { set: Record<string, unknown>; changed: string[] } {
  const set: Record<string, unknown> = {};
  const changed: string[] = [];
  for (const [key, value] of Object.entries(defined(changes))) {
    if (current[key as keyof T] === value) continue;
    set[`${prefix}.${key}`] = value;
    changed.push(key);
  }
  return { set, changed };
}

const updatePrivacySettings = (context: ProfileContext, rawInput: unknown): Promise<PrivacySettings> => {
  const input = parseInput(updatePrivacySettingsInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const { set, changed } = settingsChange('privacySettings', profile.privacySettings, input);
    return {
      set,
      changed,
      announce: async (session, updated) => {
        await context.profile.store.outbox.enqueue(session, 'PrivacySettingsChanged', {
          userId: updated._id,
          privacySettings: privacySnapshot(updated.privacySettings),
          changed,
        });
      },
      result: (updated) => updated.privacySettings,
    };
  });
};

const updateNotificationSettings = (
  context: ProfileContext,
  rawInput: unknown,
): Promise<NotificationSettings> => {
  const input = parseInput(updateNotificationSettingsInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const { set, changed } = settingsChange('notificationSettings', profile.notificationSettings, input);
    return {
      set,
      changed,
      announce: async (session, updated) => {
        await context.profile.store.outbox.enqueue(session, 'NotificationSettingsChanged', {
          userId: updated._id,
          notificationSettings: notificationSnapshot(updated.notificationSettings),
          changed,
        });
      },
      result: (updated) => updated.notificationSettings,
    };
  });
};

/** Account preferences matter to this user's apps only: no event. */
const updateAccountSettings = (context: ProfileContext, rawInput: unknown): Promise<AccountSettings> => {
  const input = parseInput(updateAccountSettingsInput, rawInput, 'input');
  return editOwnProfile(context, (profile) => {
    const { set, changed } = settingsChange('accountSettings', profile.accountSettings, input);
    return { set, changed, announce: async () => undefined, result: (updated) => updated.accountSettings };
  });
};

// -- Resolvers ----------------------------------------------------------------------------------

type Input = { input: unknown };

export const Mutation = {
  updateProfile: (_root: unknown, args: Input, context: ProfileContext) => updateProfile(context, args.input),
  addEducation: (_root: unknown, args: Input, context: ProfileContext) => addEducation(context, args.input),
  updateEducation: (_root: unknown, args: Input, context: ProfileContext) =>
    updateEducation(context, args.input),
  removeEducation: (_root: unknown, args: { id: string }, context: ProfileContext) =>
    removeEntry(context, 'education', args.id),
  addExperience: (_root: unknown, args: Input, context: ProfileContext) => addExperience(context, args.input),
  updateExperience: (_root: unknown, args: Input, context: ProfileContext) =>
    updateExperience(context, args.input),
  removeExperience: (_root: unknown, args: { id: string }, context: ProfileContext) =>
    removeEntry(context, 'experience', args.id),
  addSkill: (_root: unknown, args: Input, context: ProfileContext) => addSkill(context, args.input),
  updateSkill: (_root: unknown, args: Input, context: ProfileContext) => updateSkill(context, args.input),
  removeSkill: (_root: unknown, args: { name: string }, context: ProfileContext) =>
    removeSkill(context, args.name),
  addCertification: (_root: unknown, args: Input, context: ProfileContext) =>
    addCertification(context, args.input),
  updateCertification: (_root: unknown, args: Input, context: ProfileContext) =>
    updateCertification(context, args.input),
  removeCertification: (_root: unknown, args: { id: string }, context: ProfileContext) =>
    removeEntry(context, 'certifications', args.id),
  addLanguage: (_root: unknown, args: Input, context: ProfileContext) => addLanguage(context, args.input),
  updateLanguage: (_root: unknown, args: Input, context: ProfileContext) =>
    updateLanguage(context, args.input),
  removeLanguage: (_root: unknown, args: { language: string }, context: ProfileContext) =>
    removeLanguage(context, args.language),
  updatePrivacySettings: (_root: unknown, args: Input, context: ProfileContext) =>
    updatePrivacySettings(context, args.input),
  updateNotificationSettings: (_root: unknown, args: Input, context: ProfileContext) =>
    updateNotificationSettings(context, args.input),
  updateAccountSettings: (_root: unknown, args: Input, context: ProfileContext) =>
    updateAccountSettings(context, args.input),
};
