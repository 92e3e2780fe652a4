/**
 * Privacy per field and per viewer: the owner, a friend, a stranger, an anonymous viewer, a
 * viewer the owner blocked and a moderator see each field group of one profile as its
 * visibility and show* flags say, under PUBLIC, FRIENDS and PRIVATE.
 */
import type { TestAccount } from '@social/testing';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import {
  befriend,
  block,
  mediaKnown,
  ok,
  publishImage,
  setPrivacy,
  updateProfile,
} from './profile-fixtures.js';

let bed: ProfileTestbed;
let owner: TestAccount;
let friend: TestAccount;
let stranger: TestAccount;
let blocked: TestAccount;
let moderator: TestAccount;

/** Every profile-document field of User, by the group whose rule it follows. */
const GROUPS = {
  identity: [
    'displayName',
    'firstName',
    'lastName',
    'tagline',
    'avatarUrl',
    'avatar',
    'profileVisibility',
    'isVerified',
    'isPremium',
  ],
  profile: [
    'bio',
    'coverImageUrl',
    'coverImage',
    'gender',
    'website',
    'socialLinks',
    'skills',
    'certifications',
    'languages',
    'interests',
  ],
  email: ['contactEmail'],
  phone: ['phoneNumber'],
  dateOfBirth: ['dateOfBirth'],
  location: ['location'],
  education: ['education'],
  experience: ['experience'],
  settings: ['profileViewsCount', 'privacySettings', 'notificationSettings', 'accountSettings'],
} as const;
type Group = keyof typeof GROUPS;
const ALL_GROUPS = Object.keys(GROUPS) as Group[];
const FLAGGED: Group[] = ['email', 'phone', 'dateOfBirth', 'location', 'education', 'experience'];

const USER = `query ($id: ID!) { user(id: $id) {
  id username displayName firstName lastName tagline avatarUrl avatar { id } profileVisibility isVerified isPremium
  bio coverImageUrl coverImage { id } gender website socialLinks { github } skills { name } certifications { name }
  languages { language } interests contactEmail phoneNumber dateOfBirth location { city } education { school }
  experience { company } profileViewsCount privacySettings { profileVisibility } notificationSettings { likeNotifications }
  accountSettings { language }
} }`;

type Viewer = 'owner' | 'friend' | 'stranger' | 'anonymous' | 'blocked' | 'moderator';

async function seenBy(viewer: Viewer): Promise<Record<string, unknown>> {
  const account = { owner, friend, stranger, blocked, moderator, anonymous: undefined }[viewer];
  const data = await ok<{ user: Record<string, unknown> }>(bed, USER, { id: owner.id }, account?.token);
  expect(data.user).toMatchObject({ id: owner.id, username: owner.username });
  return data.user;
}

/** The groups whose every field the viewer sees (the others must be null, field by field). */
async function visibleGroups(viewer: Viewer): Promise<Group[]> {
  const user = await seenBy(viewer);
  const visible: Group[] = [];
  for (const group of ALL_GROUPS) {
    const values = GROUPS[group].map((field) => user[field]);
    if (values.every((value) => value !== null && value !== undefined)) visible.push(group);
    else expect({ viewer, group, values }).toEqual({ viewer, group, values: values.map(() => null) });
  }
  return visible;
}

const ALL_SHOW_FLAGS = (on: boolean) => ({
  showEmail: on,
  showPhoneNumber: on,
  showDateOfBirth: on,
  showLocation: on,
  showEducation: on,
  showExperience: on,
});

beforeAll(async () => {
  bed = await startProfileTestbed();
  [owner, friend, stranger, blocked, moderator] = await Promise.all([
    bed.member({ firstName: 'Olive', lastName: 'Owner' }),
    bed.member(),
    bed.member(),
    bed.member(),
    bed.member({ role: 'MODERATOR' }),
  ]);
  await befriend(bed, owner, friend);
  await block(bed, owner, blocked);
  // Every field filled in, so "visible" means "not null".
  await ok(bed, 'mutation { updateAccount(input: { phoneNumber: "+15551234567" }) { id } }', {}, owner.token);
  const [avatar, cover] = await Promise.all([publishImage(bed, owner.id), publishImage(bed, owner.id)]);
  await Promise.all([mediaKnown(bed, avatar.mediaId), mediaKnown(bed, cover.mediaId)]);
  await updateProfile(bed, owner, {
    tagline: 'Tagline',
    bio: 'Bio',
    avatarMediaId: avatar.mediaId,
    coverImageMediaId: cover.mediaId,
    gender: 'FEMALE',
    website: 'https://olive.example.com',
    socialLinks: { github: 'https://github.com/olive' },
    interests: ['Privacy'],
    dateOfBirth: '1980-01-01T00:00:00Z',
    location: { city: 'Lisbon' },
  });
  await ok(bed, 'mutation { addSkill(input: { name: "Secrets" }) { name } }', {}, owner.token);
  await ok(bed, 'mutation { addCertification(input: { name: "CISSP" }) { id } }', {}, owner.token);
  await ok(bed, 'mutation { addLanguage(input: { language: "Portuguese" }) { language } }', {}, owner.token);
  await ok(bed, 'mutation { addEducation(input: { school: "Coimbra" }) { id } }', {}, owner.token);
  await ok(
    bed,
    'mutation { addExperience(input: { company: "Acme", position: "CISO" }) { id } }',
    {},
    owner.token,
  );
  await bed.eventually(
    () => ok<{ me: { phoneNumber: string | null } }>(bed, '{ me { phoneNumber } }', {}, owner.token),
    (result) => result.me.phoneNumber !== null,
  );
});
afterAll(async () => {
  await bed?.stop();
});

const EVERYTHING_BUT_SETTINGS = ALL_GROUPS.filter((g) => g !== 'settings');
const UNFLAGGED: Group[] = ['identity', 'profile'];

test('PUBLIC with every show* flag on: others see all but the settings; the blocked viewer nothing', async () => {
  await setPrivacy(bed, owner, { profileVisibility: 'PUBLIC', ...ALL_SHOW_FLAGS(true) });
  expect(await visibleGroups('owner')).toEqual(ALL_GROUPS);
  for (const viewer of ['friend', 'stranger', 'anonymous', 'moderator'] as const) {
    expect({ viewer, groups: await visibleGroups(viewer) }).toEqual({
      viewer,
      groups: EVERYTHING_BUT_SETTINGS,
    });
  }
  expect(await visibleGroups('blocked')).toEqual([]);
  const owned = await seenBy('owner');
  expect(owned).toMatchObject({
    firstName: 'Olive',
    lastName: 'Owner',
    contactEmail: owner.email,
    phoneNumber: '+15551234567',
  });
});

test('PUBLIC with every show* flag off: the flagged groups are hidden from everyone but the owner and staff', async () => {
  await setPrivacy(bed, owner, { profileVisibility: 'PUBLIC', ...ALL_SHOW_FLAGS(false) });
  expect(await visibleGroups('owner')).toEqual(ALL_GROUPS);
  for (const viewer of ['friend', 'stranger', 'anonymous'] as const) {
    expect({ viewer, groups: await visibleGroups(viewer) }).toEqual({ viewer, groups: UNFLAGGED });
  }
  expect(await visibleGroups('moderator')).toEqual(EVERYTHING_BUT_SETTINGS);
  expect(await visibleGroups('blocked')).toEqual([]);
});

test('each show* flag hides exactly its own group', async () => {
  await setPrivacy(bed, owner, { profileVisibility: 'PUBLIC', ...ALL_SHOW_FLAGS(true) });
  const flags: Record<string, Group> = {
    showEmail: 'email',
    showPhoneNumber: 'phone',
    showDateOfBirth: 'dateOfBirth',
    showLocation: 'location',
    showEducation: 'education',
    showExperience: 'experience',
  };
  for (const [flag, group] of Object.entries(flags)) {
    await setPrivacy(bed, owner, { [flag]: false });
    expect({ flag, groups: await visibleGroups('stranger') }).toEqual({
      flag,
      groups: EVERYTHING_BUT_SETTINGS.filter((g) => g !== group),
    });
    await setPrivacy(bed, owner, { [flag]: true });
  }
  expect(FLAGGED).toHaveLength(Object.keys(flags).length);
});

test('FRIENDS: friends see the profile, strangers only the identity', async () => {
  await setPrivacy(bed, owner, { profileVisibility: 'FRIENDS', ...ALL_SHOW_FLAGS(true) });
  expect(await visibleGroups('owner')).toEqual(ALL_GROUPS);
  expect(await visibleGroups('friend')).toEqual(EVERYTHING_BUT_SETTINGS);
  expect(await visibleGroups('stranger')).toEqual(['identity']);
  expect(await visibleGroups('anonymous')).toEqual(['identity']);
  expect(await visibleGroups('blocked')).toEqual([]);
  expect(await visibleGroups('moderator')).toEqual(EVERYTHING_BUT_SETTINGS);
  expect((await seenBy('stranger')).profileVisibility).toBe('FRIENDS');

  await setPrivacy(bed, owner, { showEmail: false, showEducation: false });
  expect(await visibleGroups('friend')).toEqual(
    EVERYTHING_BUT_SETTINGS.filter((g) => g !== 'email' && g !== 'education'),
  );
});

test('PRIVATE: only the owner (and staff) see more than the identity', async () => {
  await setPrivacy(bed, owner, { profileVisibility: 'PRIVATE', ...ALL_SHOW_FLAGS(true) });
  expect(await visibleGroups('owner')).toEqual(ALL_GROUPS);
  for (const viewer of ['friend', 'stranger', 'anonymous'] as const) {
    expect({ viewer, groups: await visibleGroups(viewer) }).toEqual({ viewer, groups: ['identity'] });
  }
  expect(await visibleGroups('blocked')).toEqual([]);
  expect(await visibleGroups('moderator')).toEqual(EVERYTHING_BUT_SETTINGS);
  await setPrivacy(bed, owner, { profileVisibility: 'PUBLIC' });
});

test('a blocked viewer finds the profile by username but sees only id and username', async () => {
  await setPrivacy(bed, owner, { profileVisibility: 'PUBLIC', ...ALL_SHOW_FLAGS(true) });
  const data = await ok<{ profile: Record<string, unknown> | null }>(
    bed,
    'query ($u: String!) { profile(username: $u) { id username displayName avatarUrl bio } }',
    { u: owner.username },
    blocked.token,
  );
  expect(data.profile).toEqual({
    id: owner.id,
    username: owner.username,
    displayName: null,
    avatarUrl: null,
    bio: null,
  });
});
