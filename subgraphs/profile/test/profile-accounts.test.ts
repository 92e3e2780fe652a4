/**
 * Profiles follow auth's accounts: created on UserRegistered (once, whatever the redeliveries),
 * kept in sync on UserUpdated, hidden on UserDeleted and while suspended.
 */
import { randomUUID } from 'node:crypto';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { befriend, ok, recordEvents, updateProfile } from './profile-fixtures.js';

let bed: ProfileTestbed;

beforeAll(async () => {
  bed = await startProfileTestbed();
});
afterAll(async () => {
  await bed?.stop();
});

const ME = `{ me { id username displayName firstName lastName contactEmail phoneNumber profileVisibility
  isVerified isPremium profileViewsCount interests skills { name } education { id }
  privacySettings { profileVisibility showEmail showPhoneNumber showDateOfBirth showLocation showOnlineStatus
    showLastSeen allowFriendRequests allowMessages showEducation showExperience showConnections allowTagging allowMentions }
  notificationSettings { emailNotifications pushNotifications followerNotifications }
  accountSettings { language timezone dateFormat theme } } }`;

const PROFILE = `query ($username: String!) { profile(username: $username) { id displayName } }`;

type ProfileData = { profile: { id: string; displayName: string | null } | null };

test('a new account gets a profile with the seed defaults', async () => {
  const account = await bed.member({ firstName: 'Ada', lastName: 'Lovelace' });
  const { me } = await ok<{ me: Record<string, unknown> }>(bed, ME, {}, account.token);
  expect(me).toEqual({
    id: account.id,
    username: account.username,
    displayName: 'Ada Lovelace',
    firstName: 'Ada',
    lastName: 'Lovelace',
    contactEmail: account.email,
    phoneNumber: null,
    profileVisibility: 'PUBLIC',
    isVerified: false,
    isPremium: false,
    profileViewsCount: 0,
    interests: [],
    skills: [],
    education: [],
    privacySettings: {
      profileVisibility: 'PUBLIC',
      showEmail: false,
      showPhoneNumber: false,
      showDateOfBirth: false,
      showLocation: true,
      showOnlineStatus: true,
      showLastSeen: true,
      allowFriendRequests: true,
      allowMessages: 'EVERYONE',
      showEducation: true,
      showExperience: true,
      showConnections: true,
      allowTagging: 'EVERYONE',
      allowMentions: 'EVERYONE',
    },
    notificationSettings: { emailNotifications: true, pushNotifications: true, followerNotifications: true },
    accountSettings: { language: 'en', timezone: 'UTC', dateFormat: 'YYYY_MM_DD', theme: 'AUTO' },
  });
});

test('a redelivered UserRegistered creates one profile and one ProfileCreated', async () => {
  const recorder = await recordEvents(bed, 'profile');
  const userId = randomUUID();
  const username = `redeliver_${userId.slice(0, 8)}`;
  const data = {
    userId,
    username,
    email: `${username}@example.com`,
    firstName: 'Grace',
    lastName: 'Hopper',
    phoneNumber: null,
    role: 'USER',
    createdAt: new Date().toISOString(),
  };
  const events = bed.supergraph.stack.resources.events;
  const eventId = randomUUID();
  await events.publish('auth', 'UserRegistered', data, { id: eventId });
  await events.publish('auth', 'UserRegistered', data, { id: eventId });
  // The same account announced again under another event id (a producer retry) is no new profile.
  const retry = await events.publish('auth', 'UserRegistered', data);

  const found = await bed.eventually(
    () => ok<ProfileData>(bed, PROFILE, { username: username.toUpperCase() }),
    (result) => result.profile !== null,
  );
  expect(found.profile).toEqual({ id: userId, displayName: 'Grace Hopper' });
  // Events are handled in stream order: once the last one is done, so are the duplicates.
  await bed.eventually(
    () => bed.db.collection('processed_events').findOne({ _id: `auth:${retry.id}` as never }),
    (processed) => processed !== null,
  );
  await bed.eventually(
    async () => recorder.events.filter((e) => e.type === 'ProfileCreated'),
    (created) => created.some((e) => (e.data as { userId: string }).userId === userId),
  );
  expect(await bed.db.collection('user_profiles').countDocuments({ userId })).toBe(1);
  const created = recorder.events.filter(
    (e) => e.type === 'ProfileCreated' && (e.data as { userId: string }).userId === userId,
  );
  expect(created).toHaveLength(1);
  expect(created[0]?.data).toMatchObject({
    userId,
    username,
    displayName: 'Grace Hopper',
    avatarUrl: null,
    privacySettings: { profileVisibility: 'PUBLIC', allowMessages: 'EVERYONE' },
    notificationSettings: { messageNotifications: true },
  });
  await recorder.stop();
});

test('an edit sent before UserRegistered was handled waits for the profile instead of failing', async () => {
  const userId = randomUUID();
  const username = `early_${userId.slice(0, 8)}`;
  const token = await bed.supergraph.signToken({ sub: userId, username });
  const edit = bed.supergraph.query<{ updateProfile: { bio: string } }>(
    `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { bio } }`,
    { input: { bio: 'First words' } },
    { token },
  );
  const follow = bed.supergraph.query<{ follow: { id: string } }>(
    `mutation ($userId: ID!) { follow(userId: $userId) { id } }`,
    { userId: (await bed.member()).id },
    { token },
  );
  // The account's event lands while both mutations are in flight.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await bed.supergraph.stack.resources.events.publish('auth', 'UserRegistered', {
    userId,
    username,
    email: `${username}@example.com`,
    firstName: 'Early',
    lastName: 'Bird',
    phoneNumber: null,
    role: 'USER',
    createdAt: new Date().toISOString(),
  });
  const [edited, followed] = await Promise.all([edit, follow]);
  expect(edited.errors).toBeUndefined();
  expect(edited.data?.updateProfile.bio).toBe('First words');
  expect(followed.errors).toBeUndefined();
  const stored = await bed.db.collection('user_profiles').findOne({ _id: userId as never });
  expect(stored).toMatchObject({ bio: 'First words', statistics: { followingCount: 1 } });
});

test('account changes in auth reach the profile; a chosen display name is kept', async () => {
  const recorder = await recordEvents(bed, 'profile');
  const account = await bed.member({ firstName: 'Alan', lastName: 'Turing' });
  const newName = `renamed_${randomUUID().slice(0, 8)}`;
  await ok(
    bed,
    'mutation ($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }',
    { input: { username: newName, firstName: 'Alonzo', phoneNumber: '+441234567890' } },
    account.token,
  );
  const synced = await bed.eventually(
    () => ok<ProfileData>(bed, PROFILE, { username: newName }),
    (result) => result.profile?.displayName === 'Alonzo Turing',
  );
  expect(synced.profile?.id).toBe(account.id);
  expect((await ok<ProfileData>(bed, PROFILE, { username: account.username })).profile).toBeNull();
  const { me } = await ok<{ me: { phoneNumber: string; firstName: string } }>(bed, ME, {}, account.token);
  expect(me).toMatchObject({ phoneNumber: '+441234567890', firstName: 'Alonzo' });
  const updated = await bed.eventually(
    async () =>
      recorder.events.find(
        (e) => e.type === 'ProfileUpdated' && (e.data as { userId: string }).userId === account.id,
      ),
    (event) => event !== undefined,
  );
  expect(updated?.data).toMatchObject({ username: newName, displayName: 'Alonzo Turing' });
  expect((updated?.data as { changed: string[] }).changed).toEqual(
    expect.arrayContaining(['username', 'firstName', 'displayName', 'phoneNumber']),
  );

  // A display name the user chose no longer follows the account's names.
  await updateProfile(bed, account, { displayName: 'The Enigma' });
  await ok(
    bed,
    'mutation ($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }',
    { input: { lastName: 'Church' } },
    account.token,
  );
  await bed.eventually(
    () => ok<{ me: { lastName: string } }>(bed, '{ me { lastName } }', {}, account.token),
    (result) => result.me.lastName === 'Church',
  );
  await bed.eventually(
    () => bed.db.collection('user_profiles').findOne({ userId: account.id }),
    (profile) => profile?.lastName === 'Church',
  );
  expect((await ok<ProfileData>(bed, PROFILE, { username: newName })).profile?.displayName).toBe(
    'The Enigma',
  );
  await recorder.stop();
});

test('a deleted account disappears from profiles and from its friends', async () => {
  const leaving = await bed.member();
  const friend = await bed.member();
  const admin = await bed.member({ role: 'ADMIN' });
  await befriend(bed, leaving, friend);
  const FRIENDS = `query ($id: ID!) { user(id: $id) { friendsCount } }`;
  expect(
    (await ok<{ user: { friendsCount: number } }>(bed, FRIENDS, { id: friend.id }, friend.token)).user,
  ).toEqual({
    friendsCount: 1,
  });

  await ok(
    bed,
    'mutation ($p: String!) { deleteAccount(password: $p) }',
    { p: leaving.password },
    leaving.token,
  );
  await bed.eventually(
    () => ok<ProfileData>(bed, PROFILE, { username: leaving.username }, friend.token),
    (result) => result.profile === null,
  );
  await bed.eventually(
    () => ok<{ user: { friendsCount: number } }>(bed, FRIENDS, { id: friend.id }, friend.token),
    (result) => result.user.friendsCount === 0,
  );
  // Staff still find it (moderation).
  const asAdmin = await ok<ProfileData>(bed, PROFILE, { username: leaving.username }, admin.token);
  expect(asAdmin.profile?.id).toBe(leaving.id);
});

test('a suspended account is hidden from everyone but staff until reactivated', async () => {
  const member = await bed.member();
  const viewer = await bed.member();
  const moderator = await bed.member({ role: 'MODERATOR' });
  const SET_STATUS =
    'mutation ($id: ID!, $s: AccountStatus!) { setAccountStatus(userId: $id, status: $s) { id } }';
  const DISPLAY = `query ($id: ID!) { user(id: $id) { id displayName bio } }`;

  await ok(bed, SET_STATUS, { id: member.id, s: 'SUSPENDED' }, moderator.token);
  await bed.eventually(
    () => ok<ProfileData>(bed, PROFILE, { username: member.username }, viewer.token),
    (result) => result.profile === null,
  );
  const hidden = await ok<{ user: { displayName: string | null } | null }>(
    bed,
    DISPLAY,
    { id: member.id },
    viewer.token,
  );
  expect(hidden.user?.displayName ?? null).toBeNull();
  const asModerator = await ok<ProfileData>(bed, PROFILE, { username: member.username }, moderator.token);
  expect(asModerator.profile?.displayName).toBe('Test User');

  await ok(bed, SET_STATUS, { id: member.id, s: 'ACTIVE' }, moderator.token);
  const back = await bed.eventually(
    () => ok<ProfileData>(bed, PROFILE, { username: member.username }, viewer.token),
    (result) => result.profile !== null,
  );
  expect(back.profile?.displayName).toBe('Test User');
});
