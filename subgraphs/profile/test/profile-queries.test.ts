/**
 * Reading profiles: profile(username) and its view counter, searchUsers and what it leaves out,
 * activity timelines per viewer, and the cost of a page of users in database commands.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import {
  befriend,
  block,
  fails,
  mediaKnown,
  ok,
  publishImage,
  setPrivacy,
  uniqueWord,
  updateProfile,
} from './profile-fixtures.js';

let bed: ProfileTestbed;

beforeAll(async () => {
  // No background polling of the outbox or presence: the command count sees requests only.
  bed = await startProfileTestbed({ OUTBOX_POLL_MS: '3600000', PRESENCE_SWEEP_MS: '3600000' });
});
afterAll(async () => {
  await bed?.stop();
});

const PROFILE = `query ($u: String!) { profile(username: $u) { id username displayName } }`;
const VIEWS = '{ me { profileViewsCount } }';

describe('profile(username)', () => {
  test('finds a profile case-insensitively and refuses malformed usernames', async () => {
    const account = await bed.member({ firstName: 'Case', lastName: 'Less' });
    for (const u of [account.username, account.username.toUpperCase()]) {
      expect((await ok<{ profile: unknown }>(bed, PROFILE, { u })).profile).toEqual({
        id: account.id,
        username: account.username,
        displayName: 'Case Less',
      });
    }
    expect((await ok<{ profile: unknown }>(bed, PROFILE, { u: 'nobody_here_123' })).profile).toBeNull();
    for (const u of ['ab', 'has space', 'x'.repeat(51)]) {
      expect((await fails(bed, PROFILE, { u })).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'username',
      });
    }
  });

  test('counts views by other signed-in users only', async () => {
    const owner = await bed.member();
    const visitor = await bed.member();
    await ok(bed, PROFILE, { u: owner.username }, visitor.token);
    await ok(bed, PROFILE, { u: owner.username.toUpperCase() }, visitor.token);
    await ok(bed, PROFILE, { u: owner.username }, owner.token);
    await ok(bed, PROFILE, { u: owner.username });
    expect(await ok(bed, VIEWS, {}, owner.token)).toEqual({ me: { profileViewsCount: 2 } });
    // Others never see the counter.
    const seen = await ok<{ user: { profileViewsCount: number | null } }>(
      bed,
      'query ($id: ID!) { user(id: $id) { profileViewsCount } }',
      { id: owner.id },
      visitor.token,
    );
    expect(seen.user.profileViewsCount).toBeNull();
  });
});

describe('searchUsers', () => {
  const SEARCH = `query ($q: String!, $first: Int, $after: String) {
    searchUsers(query: $q, first: $first, after: $after) {
      edges { cursor node { id displayName } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`;
  type Search = {
    searchUsers: {
      edges: { cursor: string; node: { id: string; displayName: string } }[];
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    };
  };
  const ids = async (q: string, token?: string) =>
    (await ok<Search>(bed, SEARCH, { q, first: 50 }, token)).searchUsers.edges.map((e) => e.node.id).sort();

  test("leaves out hidden, blocked, private and other people's friends-only profiles", async () => {
    const word = uniqueWord();
    const named = (label: string) => bed.member({ firstName: word, lastName: label });
    const [
      viewer,
      open,
      friendsOnlyFriend,
      friendsOnlyOther,
      secret,
      blocksViewer,
      blockedByViewer,
      suspended,
      deleted,
    ] = await Promise.all([
      bed.member(),
      named('Open'),
      named('Friendly'),
      named('Distant'),
      named('Secret'),
      named('Blocker'),
      named('Blocked'),
      named('Suspended'),
      named('Deleted'),
    ]);
    const moderator = await bed.member({ role: 'MODERATOR' });
    await befriend(bed, viewer, friendsOnlyFriend);
    await setPrivacy(bed, friendsOnlyFriend, { profileVisibility: 'FRIENDS' });
    await setPrivacy(bed, friendsOnlyOther, { profileVisibility: 'FRIENDS' });
    await setPrivacy(bed, secret, { profileVisibility: 'PRIVATE' });
    await block(bed, blocksViewer, viewer);
    await block(bed, viewer, blockedByViewer);
    await ok(
      bed,
      'mutation ($id: ID!) { setAccountStatus(userId: $id, status: SUSPENDED) { id } }',
      { id: suspended.id },
      moderator.token,
    );
    await ok(
      bed,
      'mutation ($p: String!) { deleteAccount(password: $p) }',
      { p: deleted.password },
      deleted.token,
    );
    const hidden = (account: TestAccount, field: string, value: unknown) =>
      bed.eventually(
        () => bed.db.collection('user_profiles').findOne({ _id: account.id as never }),
        (profile) => profile?.[field] === value,
      );
    await Promise.all([hidden(suspended, 'isActive', false), hidden(deleted, 'isDeleted', true)]);

    expect(await ids(word, viewer.token)).toEqual([open.id, friendsOnlyFriend.id].sort());
    expect(await ids(word)).toEqual([open.id, blocksViewer.id, blockedByViewer.id].sort());
    expect(await ids(word.toUpperCase(), friendsOnlyOther.token)).toEqual(
      [open.id, friendsOnlyOther.id, blocksViewer.id, blockedByViewer.id].sort(),
    );
  });

  test('ranks name matches above bio matches and pages without gaps or repeats', async () => {
    const word = uniqueWord();
    const inName = await bed.member({ firstName: word, lastName: 'Named' });
    const inBio = await bed.member();
    await updateProfile(bed, inBio, { bio: `I once met someone called ${word}` });
    const others = await Promise.all(
      Array.from({ length: 5 }, () => bed.member({ firstName: word, lastName: 'Other' })),
    );
    const viewer = await bed.member();

    const all = (await ok<Search>(bed, SEARCH, { q: word, first: 50 }, viewer.token)).searchUsers;
    expect(all.edges).toHaveLength(7);
    expect(all.edges.at(-1)?.node.id).toBe(inBio.id);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const paged: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const result: Search = await ok<Search>(bed, SEARCH, { q: word, first: 2, after }, viewer.token);
      paged.push(...result.searchUsers.edges.map((e) => e.node.id));
      if (!result.searchUsers.pageInfo.hasNextPage) break;
      after = result.searchUsers.pageInfo.endCursor;
    }
    expect(paged).toEqual(all.edges.map((e) => e.node.id));
    expect(new Set(paged)).toEqual(new Set([inName.id, inBio.id, ...others.map((o) => o.id)]));

    for (const [variables, field] of [
      [{ q: '' }, 'query'],
      [{ q: 'x'.repeat(101) }, 'query'],
      [{ q: word, first: 51 }, 'first'],
      [{ q: word, after: 'garbage!' }, 'after'],
    ] as const) {
      expect((await fails(bed, SEARCH, variables)).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
  });
});

describe('activities', () => {
  const ACTIVITIES = `query ($id: ID, $first: Int, $after: String) { activities(userId: $id, first: $first, after: $after) {
    edges { node { activityType isPublic user { id } } } pageInfo { hasNextPage endCursor } } }`;
  type Timeline = {
    activities: {
      edges: { node: { activityType: string; isPublic: boolean; user: { id: string } } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
  const types = async (id: string | null, token?: string) =>
    (await ok<Timeline>(bed, ACTIVITIES, { id, first: 50 }, token)).activities.edges.map(
      (e) => e.node.activityType,
    );

  test('the owner sees every activity, others who may see the profile the public ones', async () => {
    const owner = await bed.member();
    const friend = await bed.member();
    const stranger = await bed.member();
    const blocked = await bed.member();
    await befriend(bed, owner, friend);
    await block(bed, owner, blocked);
    await ok(bed, 'mutation { addSkill(input: { name: "Knitting" }) { name } }', {}, owner.token);
    await setPrivacy(bed, owner, { showEducation: false });
    // Education is hidden from others, so is the news of a new entry.
    await ok(bed, 'mutation { addEducation(input: { school: "Hidden U" }) { id } }', {}, owner.token);

    const own = await types(null, owner.token);
    expect(own).toEqual(expect.arrayContaining(['EDUCATION_ADDED', 'SKILL_ADDED']));
    expect(own.indexOf('EDUCATION_ADDED')).toBeLessThan(own.indexOf('SKILL_ADDED'));
    for (const viewer of [friend, stranger]) {
      const seen = await types(owner.id, viewer.token);
      expect(seen).toContain('SKILL_ADDED');
      expect(seen).not.toContain('EDUCATION_ADDED');
    }
    expect(await types(owner.id)).toContain('SKILL_ADDED');
    expect(await types(owner.id, blocked.token)).toEqual([]);

    await setPrivacy(bed, owner, { profileVisibility: 'FRIENDS' });
    expect(await types(owner.id, friend.token)).toContain('SKILL_ADDED');
    expect(await types(owner.id, stranger.token)).toEqual([]);
    expect(await types(owner.id)).toEqual([]);

    expect((await fails(bed, ACTIVITIES, { first: 5 })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('processed photos and videos reach the timeline once; private ones only the owner sees', async () => {
    const owner = await bed.member();
    const stranger = await bed.member();
    const photo = await publishImage(bed, owner.id, { isPublic: true, category: 'POST' });
    const video = await publishImage(bed, owner.id, { fileType: 'VIDEO', isPublic: false });
    const chatPicture = await publishImage(bed, owner.id, { category: 'CHAT' });
    for (const { mediaId } of [photo, video, chatPicture]) await mediaKnown(bed, mediaId);
    // Media reports the photo processed again (a retry): it is not a second upload.
    const again = await bed.supergraph.stack.resources.events.publish('media', 'MediaProcessed', {
      mediaId: photo.mediaId,
      ownerId: owner.id,
      fileType: 'IMAGE',
      mimeType: 'image/png',
      category: 'POST',
      isPublic: true,
      status: 'COMPLETED',
      url: photo.webUrl,
      webUrl: photo.webUrl,
      thumbnailUrl: photo.webUrl,
      width: 800,
      height: 600,
      duration: null,
      processingError: null,
    });
    await bed.eventually(
      () => bed.db.collection('processed_events').findOne({ _id: `media:${again.id}` as never }),
      (processed) => processed !== null,
    );

    expect(await types(null, owner.token)).toEqual(['VIDEO_UPLOADED', 'PHOTO_UPLOADED']);
    expect(await types(owner.id, stranger.token)).toEqual(['PHOTO_UPLOADED']);
    const stored = await bed.db.collection('user_profiles').findOne({ _id: owner.id as never });
    expect(stored?.statistics).toMatchObject({ photosCount: 1, videosCount: 1 });
  });

  test('pages newest first', async () => {
    const owner = await bed.member();
    for (const name of ['One', 'Two', 'Three']) {
      await ok(
        bed,
        'mutation ($n: String!) { addSkill(input: { name: $n }) { name } }',
        { n: name },
        owner.token,
      );
    }
    const first = await ok<Timeline>(bed, ACTIVITIES, { id: null, first: 2 }, owner.token);
    expect(first.activities.pageInfo.hasNextPage).toBe(true);
    const second = await ok<Timeline>(
      bed,
      ACTIVITIES,
      { id: null, first: 2, after: first.activities.pageInfo.endCursor },
      owner.token,
    );
    expect(second.activities.edges).toHaveLength(1);
    expect(second.activities.pageInfo.hasNextPage).toBe(false);
    const all = await ok<{ activities: { edges: { node: { description: string } }[] } }>(
      bed,
      '{ activities(first: 10) { edges { node { description } } } }',
      {},
      owner.token,
    );
    expect(all.activities.edges.map((e) => e.node.description)).toEqual([
      'Added a new skill: Three',
      'Added a new skill: Two',
      'Added a new skill: One',
    ]);
  });
});

describe('database cost of a page of users', () => {
  /** The profile service's MongoDB commands while running one operation (fewest of three runs). */
  async function commandsFor(
    query: string,
    variables: Record<string, unknown>,
    token: string,
  ): Promise<number> {
    const counts: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      let count = 0;
      const stop = onMongoCommand((event) => {
        if (event.appName === 'profile') count += 1;
      });
      try {
        const response = await bed.supergraph.query<{ searchUsers: { edges: unknown[] } }>(query, variables, {
          token,
        });
        expect(response.errors).toBeUndefined();
        expect(response.data?.searchUsers.edges).toHaveLength(variables.first as number);
      } finally {
        stop();
      }
      counts.push(count);
    }
    return Math.min(...counts);
  }

  test('50 users cost as many commands as 5', async () => {
    const word = uniqueWord();
    const viewer = await bed.member();
    // One friend of the viewer's among them; the rest only registered (no login needed).
    const friend = await bed.member({ firstName: word, lastName: 'Friend' });
    const users: TestAccount[] = [friend];
    while (users.length < 50) {
      users.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, 50 - users.length) }, () =>
            bed.member({ firstName: word, lastName: 'Member', verify: false }),
          ),
        )),
      );
    }
    await befriend(bed, viewer, friend);
    await ok(bed, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: users[1]!.id }, viewer.token);
    // Fields from auth (username) and from profile, with @requires (firstName) forcing an entity
    // fetch of all the page's users from profile after auth.
    const PAGE = `query ($q: String!, $first: Int) { searchUsers(query: $q, first: $first) { edges { node {
      id username displayName firstName lastName bio avatarUrl skills { name } contactEmail location { city }
      friendshipStatus isFollowedByViewer followsViewer isOnline friendsCount
    } } } }`;
    const five = await commandsFor(PAGE, { q: word, first: 5 }, viewer.token);
    const fifty = await commandsFor(PAGE, { q: word, first: 50 }, viewer.token);
    expect(five).toBeGreaterThan(0);
    expect(fifty).toBe(five);
  });
});
