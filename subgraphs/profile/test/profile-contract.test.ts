/**
 * Contract checks from the SDL descriptions that other files do not cover: privacy settings
 * applying at once to timeline entries recorded before they changed, malformed ids refused before
 * any database work, and the pagination state of the social graph's connections.
 */
import { encodeCursor } from '@social/kit';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { befriend, fails, ok, setPrivacy, updateProfile } from './profile-fixtures.js';

let bed: ProfileTestbed;

beforeAll(async () => {
  bed = await startProfileTestbed();
});
afterAll(async () => {
  await bed?.stop();
});

const ACTIVITIES = `query ($id: ID, $first: Int) { activities(userId: $id, first: $first) {
  edges { node { activityType metadata } } } }`;
type Timeline = { activities: { edges: { node: { activityType: string; metadata: unknown } }[] } };
const types = async (id: string | null, token?: string) =>
  (await ok<Timeline>(bed, ACTIVITIES, { id, first: 50 }, token)).activities.edges.map(
    (edge) => edge.node.activityType,
  );

describe('activities follow the privacy settings in force now', () => {
  test('new friendships stay off the timeline others see while connections are hidden', async () => {
    const owner = await bed.member();
    const friend = await bed.member();
    const stranger = await bed.member();
    await befriend(bed, owner, friend);
    expect(await types(owner.id, stranger.token)).toContain('FRIEND_ADDED');

    await setPrivacy(bed, owner, { showConnections: false });
    for (const viewer of [stranger.token, friend.token, undefined]) {
      expect(await types(owner.id, viewer)).not.toContain('FRIEND_ADDED');
    }
    expect(await types(null, owner.token)).toContain('FRIEND_ADDED');

    await setPrivacy(bed, owner, { showConnections: true });
    expect(await types(owner.id, stranger.token)).toContain('FRIEND_ADDED');
  });

  test('entries about education, experience and location hide once the owner hides those', async () => {
    const owner = await bed.member();
    const stranger = await bed.member();
    await ok(bed, 'mutation { addEducation(input: { school: "Open U" }) { id } }', {}, owner.token);
    await ok(
      bed,
      'mutation { addExperience(input: { company: "Acme", position: "Dev" }) { id } }',
      {},
      owner.token,
    );
    await updateProfile(bed, owner, { location: { city: 'Lyon' } });
    await ok(bed, 'mutation { addSkill(input: { name: "Chess" }) { name } }', {}, owner.token);
    const before = await types(owner.id, stranger.token);
    expect(before).toEqual(
      expect.arrayContaining(['EDUCATION_ADDED', 'EXPERIENCE_ADDED', 'PROFILE_UPDATED', 'SKILL_ADDED']),
    );

    await setPrivacy(bed, owner, { showEducation: false, showExperience: false, showLocation: false });
    expect(await types(owner.id, stranger.token)).toEqual(['SKILL_ADDED']);
    expect(await types(null, owner.token)).toEqual(before);
  });
});

describe('malformed ids never reach the database', () => {
  test('activities, respondToFriendRequest and cancelFriendRequest refuse ids that are not UUIDs', async () => {
    const viewer = await bed.member();
    for (const [query, variables, field] of [
      [ACTIVITIES, { id: 'not-a-uuid', first: 5 }, 'userId'],
      [ACTIVITIES, { id: 'x'.repeat(100_000), first: 5 }, 'userId'],
      [
        'mutation ($id: ID!) { respondToFriendRequest(requestId: $id, accept: true) { id } }',
        { id: 'not-a-uuid' },
        'requestId',
      ],
      [
        'mutation ($id: ID!) { cancelFriendRequest(requestId: $id) { id } }',
        { id: '{"$ne":1}' },
        'requestId',
      ],
    ] as const) {
      expect((await fails(bed, query, variables, viewer.token)).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
  });
});

describe('pagination of the graph connections', () => {
  const FRIENDS = `query ($id: ID!, $first: Int, $after: String) { user(id: $id) {
    friends(first: $first, after: $after) { totalCount edges { node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
  type Page = {
    user: {
      friends: {
        totalCount: number;
        edges: { node: { id: string } }[];
        pageInfo: {
          hasNextPage: boolean;
          hasPreviousPage: boolean;
          startCursor: string | null;
          endCursor: string | null;
        };
      };
    };
  };

  test('a page after a cursor says items exist before it', async () => {
    const owner = await bed.member();
    const a = await bed.member();
    const b = await bed.member();
    await befriend(bed, owner, a);
    await befriend(bed, owner, b);
    const first = (await ok<Page>(bed, FRIENDS, { id: owner.id, first: 1 }, owner.token)).user.friends;
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = (
      await ok<Page>(bed, FRIENDS, { id: owner.id, first: 1, after: first.pageInfo.endCursor }, owner.token)
    ).user.friends;
    expect(second.edges.map((edge) => edge.node.id)).toEqual([a.id]);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  test('a cursor whose date is out of range is BAD_USER_INPUT', async () => {
    const owner = await bed.member();
    for (const after of [encodeCursor([1e300, 'x']), encodeCursor([-1e300, 'x']), encodeCursor([1.5, 'x'])]) {
      expect(
        (await fails(bed, FRIENDS, { id: owner.id, first: 1, after }, owner.token)).extensions,
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });
});
