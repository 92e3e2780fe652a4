/**
 * The owner's edits: updateProfile and the education / experience / skill / certification /
 * language lists, each validated before anything is stored, each announced to the other services
 * and recorded in the timeline. The settings are in profile-settings.test.ts.
 */
import type { EventEnvelope } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { fails, firstEvent, ok, recordEvents, updateProfile } from './profile-fixtures.js';

let bed: ProfileTestbed;
let recorder: { events: EventEnvelope[]; stop(): Promise<void> };

beforeAll(async () => {
  bed = await startProfileTestbed({ EVENT_WAIT_MS: '1500' });
  recorder = await recordEvents(bed, 'profile');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

/** The first event of `type` about `userId` (waiting for it to be relayed). */
const eventFor = (type: string, userId: string, where?: (data: Record<string, unknown>) => boolean) =>
  firstEvent(bed, recorder, type, userId, where);

const MY_PROFILE = `{ me { displayName bio tagline website interests gender dateOfBirth
  education { id school degree startDate endDate current } experience { id company position skills current }
  skills { name level yearsOfExperience endorsements } certifications { id name credentialUrl issueDate expirationDate }
  languages { language proficiency } } }`;

type Me = {
  me: {
    bio: string | null;
    education: { id: string; school: string; current: boolean; startDate: string | null }[];
    experience: { id: string; company: string; position: string; skills: string[] }[];
    skills: { name: string; level: string | null; yearsOfExperience: number | null }[];
    certifications: { id: string; name: string }[];
    languages: { language: string; proficiency: string | null }[];
  } & Record<string, unknown>;
};

const me = async (account: TestAccount) => (await ok<Me>(bed, MY_PROFILE, {}, account.token)).me;

const ACTIVITIES = `query ($id: ID, $first: Int) { activities(userId: $id, first: $first) {
  edges { node { activityType description metadata isPublic user { id } } } } }`;
type Activities = {
  activities: {
    edges: { node: { activityType: string; description: string; metadata: unknown; isPublic: boolean } }[];
  };
};

describe('updateProfile', () => {
  test('changes what is given, clears explicit nulls and keeps the rest', async () => {
    const account = await bed.member({ firstName: 'Edsger', lastName: 'Dijkstra' });
    const birth = new Date(Date.UTC(1990, 4, 17, 23, 30));
    const updated = await updateProfile(bed, account, {
      displayName: '  EWD  ',
      bio: 'Goto considered harmful.',
      tagline: 'Computing scientist',
      website: 'https://example.com/ewd',
      dateOfBirth: birth.toISOString(),
      gender: 'MALE',
      interests: ['Algorithms', 'algorithms', 'Fountain pens'],
      location: { city: 'Austin', country: 'USA', coordinates: { latitude: 30.27, longitude: -97.74 } },
      socialLinks: { github: 'https://github.com/ewd' },
    });
    expect(updated).toMatchObject({
      displayName: 'EWD',
      bio: 'Goto considered harmful.',
      tagline: 'Computing scientist',
      website: 'https://example.com/ewd',
      dateOfBirth: '1990-05-17T00:00:00.000Z',
      gender: 'MALE',
      interests: ['Algorithms', 'Fountain pens'],
      location: {
        city: 'Austin',
        state: null,
        country: 'USA',
        coordinates: { latitude: 30.27, longitude: -97.74 },
      },
      socialLinks: {
        github: 'https://github.com/ewd',
        linkedin: null,
        twitter: null,
        instagram: null,
        facebook: null,
      },
    });

    const cleared = await updateProfile(bed, account, {
      bio: null,
      tagline: '',
      displayName: null,
      location: null,
    });
    expect(cleared).toMatchObject({
      displayName: 'Edsger Dijkstra',
      bio: null,
      tagline: null,
      location: null,
      website: 'https://example.com/ewd',
      interests: ['Algorithms', 'Fountain pens'],
    });

    const event = await eventFor('ProfileUpdated', account.id, (data) =>
      (data.changed as string[]).includes('bio'),
    );
    expect(event.data).toMatchObject({ userId: account.id, username: account.username, displayName: 'EWD' });
    expect(event.data.changed).toEqual(
      expect.arrayContaining([
        'displayName',
        'bio',
        'tagline',
        'website',
        'dateOfBirth',
        'gender',
        'interests',
      ]),
    );
    const timeline = await ok<Activities>(bed, ACTIVITIES, { id: null, first: 10 }, account.token);
    expect(timeline.activities.edges.map((e) => e.node.activityType)).toEqual([
      'PROFILE_UPDATED',
      'PROFILE_UPDATED',
    ]);
    // The first update told that the (hidden) birth date changed: it is not public.
    expect(timeline.activities.edges[1]?.node).toMatchObject({
      description: 'Updated their profile',
      isPublic: false,
    });
  });

  test('invalid input is refused with the offending field, and nothing is stored', async () => {
    const account = await bed.member();
    await updateProfile(bed, account, { bio: 'Original bio' });
    const now = Date.now();
    const cases: [Record<string, unknown>, string][] = [
      [{ bio: 'x'.repeat(501) }, 'input.bio'],
      [{ tagline: 'x'.repeat(101) }, 'input.tagline'],
      [{ displayName: '   ' }, 'input.displayName'],
      [{ displayName: 'x'.repeat(101) }, 'input.displayName'],
      [{ website: 'ftp://example.com' }, 'input.website'],
      [{ website: `https://example.com/${'a'.repeat(2040)}` }, 'input.website'],
      [{ website: 'not a url' }, 'input.website'],
      [{ socialLinks: { github: 'http://github.com/x' } }, 'input.socialLinks.github'],
      [{ dateOfBirth: new Date(now + 86_400_000).toISOString() }, 'input.dateOfBirth'],
      [{ dateOfBirth: new Date(now - 10 * 365 * 86_400_000).toISOString() }, 'input.dateOfBirth'],
      [{ interests: Array.from({ length: 51 }, (_, i) => `interest ${i}`) }, 'input.interests'],
      [{ interests: ['ok', ''] }, 'input.interests.1'],
      [{ interests: ['x'.repeat(51)] }, 'input.interests.0'],
      [{ location: { city: 'x'.repeat(101) } }, 'input.location.city'],
      [{ location: { coordinates: { latitude: 91, longitude: 0 } } }, 'input.location.coordinates.latitude'],
      [{ avatarMediaId: 'not-an-id' }, 'input.avatarMediaId'],
      // One bad field spoils the whole input: the valid bio is not stored either.
      [{ bio: 'Changed', website: 'javascript:alert(1)' }, 'input.website'],
    ];
    for (const [input, field] of cases) {
      const error = await fails(
        bed,
        'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }',
        { input },
        account.token,
      );
      expect({ input, code: error.extensions?.code, field: error.extensions?.field }).toEqual({
        input,
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    expect((await me(account)).bio).toBe('Original bio');
    const anonymous = await fails(bed, 'mutation { updateProfile(input: { bio: "x" }) { id } }');
    expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('education and experience', () => {
  const ADD_EDUCATION = `mutation ($input: AddProfileEducationInput!) { addEducation(input: $input) { id school degree startDate endDate current } }`;
  const UPDATE_EDUCATION = `mutation ($input: UpdateProfileEducationInput!) { updateEducation(input: $input) { id school degree endDate current } }`;
  const ADD_EXPERIENCE = `mutation ($input: AddProfileExperienceInput!) { addExperience(input: $input) { id company position employmentType skills current } }`;
  const UPDATE_EXPERIENCE = `mutation ($input: UpdateProfileExperienceInput!) { updateExperience(input: $input) { id company position skills } }`;

  test('entries are added, updated and removed, most recent first', async () => {
    const account = await bed.member();
    const { addEducation: old } = await ok<{ addEducation: { id: string } }>(
      bed,
      ADD_EDUCATION,
      {
        input: {
          school: 'Leiden',
          degree: 'BSc',
          startDate: '1948-09-01T10:00:00Z',
          endDate: '1951-06-30T00:00:00Z',
        },
      },
      account.token,
    );
    const { addEducation: current } = await ok<{ addEducation: Record<string, unknown> }>(
      bed,
      ADD_EDUCATION,
      { input: { school: 'Amsterdam', startDate: '1952-09-01T00:00:00Z', current: true } },
      account.token,
    );
    expect(current).toMatchObject({
      school: 'Amsterdam',
      startDate: '1952-09-01T00:00:00.000Z',
      endDate: null,
      current: true,
    });
    expect((await me(account)).education.map((e) => e.school)).toEqual(['Amsterdam', 'Leiden']);

    const { updateEducation } = await ok<{ updateEducation: Record<string, unknown> }>(
      bed,
      UPDATE_EDUCATION,
      { input: { id: old.id, degree: null, school: 'Leiden University' } },
      account.token,
    );
    expect(updateEducation).toMatchObject({ id: old.id, school: 'Leiden University', degree: null });
    const invalid = await fails(
      bed,
      UPDATE_EDUCATION,
      { input: { id: old.id, endDate: '1940-01-01T00:00:00Z' } },
      account.token,
    );
    expect(invalid.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.endDate' });
    const missing = await fails(
      bed,
      UPDATE_EDUCATION,
      { input: { id: randomUUID(), school: 'X' } },
      account.token,
    );
    expect(missing.extensions?.code).toBe('NOT_FOUND');

    const REMOVE = 'mutation ($id: ID!) { removeEducation(id: $id) }';
    expect(await ok(bed, REMOVE, { id: old.id }, account.token)).toEqual({ removeEducation: true });
    expect(await ok(bed, REMOVE, { id: old.id }, account.token)).toEqual({ removeEducation: false });
    expect((await me(account)).education.map((e) => e.school)).toEqual(['Amsterdam']);

    const { addExperience } = await ok<{ addExperience: { id: string } & Record<string, unknown> }>(
      bed,
      ADD_EXPERIENCE,
      {
        input: {
          company: 'Burroughs',
          position: 'Research Fellow',
          employmentType: 'FULL_TIME',
          skills: ['ALGOL', 'algol', 'Semaphores'],
        },
      },
      account.token,
    );
    expect(addExperience).toMatchObject({
      employmentType: 'FULL_TIME',
      skills: ['ALGOL', 'Semaphores'],
      current: false,
    });
    const { updateExperience } = await ok<{ updateExperience: Record<string, unknown> }>(
      bed,
      UPDATE_EXPERIENCE,
      { input: { id: addExperience.id, position: 'Fellow', skills: [] } },
      account.token,
    );
    expect(updateExperience).toEqual({
      id: addExperience.id,
      company: 'Burroughs',
      position: 'Fellow',
      skills: [],
    });
    expect(
      await ok(
        bed,
        'mutation ($id: ID!) { removeExperience(id: $id) }',
        { id: addExperience.id },
        account.token,
      ),
    ).toEqual({
      removeExperience: true,
    });

    const timeline = await ok<Activities>(bed, ACTIVITIES, { id: null, first: 50 }, account.token);
    const types = timeline.activities.edges.map((e) => e.node.activityType);
    expect(types).toEqual(expect.arrayContaining(['EDUCATION_ADDED', 'EXPERIENCE_ADDED']));
    expect(
      timeline.activities.edges.find((e) => e.node.activityType === 'EXPERIENCE_ADDED')?.node,
    ).toMatchObject({
      description: 'Added experience: Research Fellow at Burroughs',
      isPublic: true,
    });
    const event = await eventFor('ProfileUpdated', account.id, (data) =>
      (data.changed as string[]).includes('experience'),
    );
    expect(event.data.changed).toEqual(['experience']);
  });

  test('invalid entries are refused and nothing is stored', async () => {
    const account = await bed.member();
    const cases: [string, Record<string, unknown>, string][] = [
      [ADD_EDUCATION, { school: '' }, 'input.school'],
      [ADD_EDUCATION, { school: 'x'.repeat(201) }, 'input.school'],
      [ADD_EDUCATION, { school: 'S', grade: 'x'.repeat(51) }, 'input.grade'],
      [ADD_EDUCATION, { school: 'S', activities: 'x'.repeat(1001) }, 'input.activities'],
      [ADD_EDUCATION, { school: 'S', description: 'x'.repeat(2001) }, 'input.description'],
      [
        ADD_EDUCATION,
        { school: 'S', startDate: '2020-01-01T00:00:00Z', endDate: '2019-01-01T00:00:00Z' },
        'input.endDate',
      ],
      [ADD_EDUCATION, { school: 'S', current: true, endDate: '2019-01-01T00:00:00Z' }, 'input.endDate'],
      [ADD_EXPERIENCE, { company: 'C', position: '' }, 'input.position'],
      [ADD_EXPERIENCE, { company: 'C', position: 'P', location: 'x'.repeat(201) }, 'input.location'],
      [
        ADD_EXPERIENCE,
        { company: 'C', position: 'P', skills: Array.from({ length: 51 }, (_, i) => `s${i}`) },
        'input.skills',
      ],
      [ADD_EXPERIENCE, { company: 'C', position: 'P', skills: ['x'.repeat(51)] }, 'input.skills.0'],
      [
        ADD_EXPERIENCE,
        { company: 'C', position: 'P', current: true, endDate: '2019-01-01T00:00:00Z' },
        'input.endDate',
      ],
    ];
    for (const [mutation, input, field] of cases) {
      const error = await fails(bed, mutation, { input }, account.token);
      expect({ input, code: error.extensions?.code, field: error.extensions?.field }).toEqual({
        input,
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    const stored = await me(account);
    expect(stored.education).toEqual([]);
    expect(stored.experience).toEqual([]);
  });

  test('a profile holds at most 20 education entries', async () => {
    const account = await bed.member();
    for (let i = 0; i < 20; i += 1) {
      await ok(bed, ADD_EDUCATION, { input: { school: `School ${i}` } }, account.token);
    }
    const error = await fails(bed, ADD_EDUCATION, { input: { school: 'One too many' } }, account.token);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await me(account)).education).toHaveLength(20);
  });
});

describe('skills, certifications and languages', () => {
  const ADD_SKILL = `mutation ($input: AddProfileSkillInput!) { addSkill(input: $input) { name level yearsOfExperience endorsements } }`;
  const UPDATE_SKILL = `mutation ($input: UpdateProfileSkillInput!) { updateSkill(input: $input) { name level yearsOfExperience } }`;
  const ADD_CERT = `mutation ($input: AddProfileCertificationInput!) { addCertification(input: $input) { id name credentialUrl issueDate expirationDate } }`;
  const UPDATE_CERT = `mutation ($input: UpdateProfileCertificationInput!) { updateCertification(input: $input) { id name issuingOrganization } }`;
  const ADD_LANGUAGE = `mutation ($input: ProfileLanguageInput!) { addLanguage(input: $input) { language proficiency } }`;
  const UPDATE_LANGUAGE = `mutation ($input: ProfileLanguageInput!) { updateLanguage(input: $input) { language proficiency } }`;

  test('skills are unique by name, case-insensitively', async () => {
    const account = await bed.member();
    expect(
      await ok(
        bed,
        ADD_SKILL,
        { input: { name: 'GraphQL', level: 'EXPERT', yearsOfExperience: 7 } },
        account.token,
      ),
    ).toEqual({ addSkill: { name: 'GraphQL', level: 'EXPERT', yearsOfExperience: 7, endorsements: 0 } });
    await ok(bed, ADD_SKILL, { input: { name: 'Rust' } }, account.token);
    const duplicate = await fails(bed, ADD_SKILL, { input: { name: 'graphql' } }, account.token);
    expect(duplicate.extensions?.code).toBe('CONFLICT');
    const rename = await fails(
      bed,
      UPDATE_SKILL,
      { input: { name: 'rust', newName: 'GRAPHQL' } },
      account.token,
    );
    expect(rename.extensions?.code).toBe('CONFLICT');
    expect(
      await ok(
        bed,
        UPDATE_SKILL,
        { input: { name: 'graphql', newName: 'GraphQL Federation', level: null } },
        account.token,
      ),
    ).toEqual({ updateSkill: { name: 'GraphQL Federation', level: null, yearsOfExperience: 7 } });
    const missing = await fails(
      bed,
      UPDATE_SKILL,
      { input: { name: 'Cobol', level: 'BEGINNER' } },
      account.token,
    );
    expect(missing.extensions?.code).toBe('NOT_FOUND');
    const tooMany = await fails(
      bed,
      ADD_SKILL,
      { input: { name: 'Go', yearsOfExperience: 81 } },
      account.token,
    );
    expect(tooMany.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.yearsOfExperience' });
    const tooLong = await fails(bed, ADD_SKILL, { input: { name: 'x'.repeat(51) } }, account.token);
    expect(tooLong.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });

    expect(await ok(bed, 'mutation { removeSkill(name: "RUST") }', {}, account.token)).toEqual({
      removeSkill: true,
    });
    expect(await ok(bed, 'mutation { removeSkill(name: "rust") }', {}, account.token)).toEqual({
      removeSkill: false,
    });
    expect((await me(account)).skills.map((s) => s.name)).toEqual(['GraphQL Federation']);

    const timeline = await ok<Activities>(bed, ACTIVITIES, { id: null, first: 50 }, account.token);
    expect(timeline.activities.edges.map((e) => e.node.description)).toContain('Added a new skill: GraphQL');
  });

  test('a profile holds at most 100 skills', async () => {
    const account = await bed.member();
    // Filled directly: a hundred mutations would only slow the test down.
    await bed.db.collection('user_profiles').updateOne(
      { _id: account.id as never },
      {
        $set: {
          skills: Array.from({ length: 100 }, (_, i) => ({
            name: `Skill ${i}`,
            nameLower: `skill ${i}`,
            level: null,
            yearsOfExperience: null,
            endorsements: 0,
          })),
        },
      },
    );
    const error = await fails(bed, ADD_SKILL, { input: { name: 'One more' } }, account.token);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await me(account)).skills).toHaveLength(100);
  });

  test('certifications are validated, updated and removed', async () => {
    const account = await bed.member();
    const bad: [Record<string, unknown>, string][] = [
      [{ name: 'AWS', credentialUrl: 'ftp://aws' }, 'input.credentialUrl'],
      [{ name: '' }, 'input.name'],
      [
        { name: 'AWS', issueDate: '2024-01-01T00:00:00Z', expirationDate: '2023-01-01T00:00:00Z' },
        'input.expirationDate',
      ],
      [{ name: 'AWS', credentialId: 'x'.repeat(201) }, 'input.credentialId'],
    ];
    for (const [input, field] of bad) {
      const error = await fails(bed, ADD_CERT, { input }, account.token);
      expect({ field: error.extensions?.field, code: error.extensions?.code }).toEqual({
        field,
        code: 'BAD_USER_INPUT',
      });
    }
    expect((await me(account)).certifications).toEqual([]);
    const { addCertification } = await ok<{ addCertification: { id: string } & Record<string, unknown> }>(
      bed,
      ADD_CERT,
      {
        input: {
          name: 'AWS SA',
          credentialUrl: 'https://aws.example.com/c/1',
          issueDate: '2024-03-05T15:00:00Z',
        },
      },
      account.token,
    );
    expect(addCertification).toMatchObject({
      name: 'AWS SA',
      issueDate: '2024-03-05T00:00:00.000Z',
      expirationDate: null,
    });
    expect(
      await ok(
        bed,
        UPDATE_CERT,
        { input: { id: addCertification.id, issuingOrganization: 'Amazon' } },
        account.token,
      ),
    ).toEqual({
      updateCertification: { id: addCertification.id, name: 'AWS SA', issuingOrganization: 'Amazon' },
    });
    const REMOVE = 'mutation ($id: ID!) { removeCertification(id: $id) }';
    expect(await ok(bed, REMOVE, { id: addCertification.id }, account.token)).toEqual({
      removeCertification: true,
    });
    const timeline = await ok<Activities>(bed, ACTIVITIES, { id: null, first: 50 }, account.token);
    expect(timeline.activities.edges.map((e) => e.node.activityType)).toContain('CERTIFICATION_ADDED');
  });

  test('languages are unique by name and updated by name', async () => {
    const account = await bed.member();
    expect(
      await ok(bed, ADD_LANGUAGE, { input: { language: 'Dutch', proficiency: 'NATIVE' } }, account.token),
    ).toEqual({
      addLanguage: { language: 'Dutch', proficiency: 'NATIVE' },
    });
    expect(await ok(bed, ADD_LANGUAGE, { input: { language: 'English' } }, account.token)).toEqual({
      addLanguage: { language: 'English', proficiency: null },
    });
    expect(
      (await fails(bed, ADD_LANGUAGE, { input: { language: 'dutch' } }, account.token)).extensions?.code,
    ).toBe('CONFLICT');
    expect(
      await ok(
        bed,
        UPDATE_LANGUAGE,
        { input: { language: 'english', proficiency: 'PROFESSIONAL' } },
        account.token,
      ),
    ).toEqual({ updateLanguage: { language: 'English', proficiency: 'PROFESSIONAL' } });
    expect(
      (await fails(bed, UPDATE_LANGUAGE, { input: { language: 'French' } }, account.token)).extensions?.code,
    ).toBe('NOT_FOUND');
    expect(await ok(bed, 'mutation { removeLanguage(language: "DUTCH") }', {}, account.token)).toEqual({
      removeLanguage: true,
    });
    expect((await me(account)).languages).toEqual([{ language: 'English', proficiency: 'PROFESSIONAL' }]);
  });
});
