/**
 * Inputs the gateway fuzzer (test/reliability/fuzz.test.ts) found answered with
 * INTERNAL_SERVER_ERROR, each now a clear client error that stores nothing.
 */
import { gatewayOperations, startSupergraph, type Supergraph } from '@social/testing';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(async () => {
  await supergraph?.stop();
});

const UPDATE = `mutation ($input: UpdateAccountSettingsInput!) {
  updateAccountSettings(input: $input) { language timezone }
}`;

test('updateAccountSettings with a language that is not a language tag is BAD_USER_INPUT', async () => {
  const { firstError, run } = gatewayOperations(supergraph);
  const alice = await supergraph.user();
  await run(UPDATE, { input: { language: 'de' } }, alice);
  // ICU throws on malformed tags ("1e", "a b"); the refinement ran even after the regex failed.
  for (const language of ['1e', 'x-', 'a b', '#', '\u0000']) {
    const error = await firstError(UPDATE, { input: { language } }, alice);
    expect({ language, code: error.extensions?.code, field: error.extensions?.field }).toEqual({
      language,
      code: 'BAD_USER_INPUT',
      field: 'input.language',
    });
  }
  const { me } = await run<{ me: { accountSettings: { language: string } } }>(
    '{ me { accountSettings { language } } }',
    {},
    alice,
  );
  expect(me.accountSettings.language).toBe('de');
});

test('a DateTime naming a day that does not exist (2026-02-30) is refused, not rolled over to March', async () => {
  const alice = await supergraph.user();
  const ADD =
    'mutation ($input: AddProfileExperienceInput!) { addExperience(input: $input) { id startDate } }';
  // Straight to profile: it parses DateTime (the gateway passes custom scalars through).
  for (const startDate of ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-04-31T12:00:00+02:00']) {
    const response = await supergraph.query(
      ADD,
      { input: { company: 'Acme', position: 'Dev', startDate } },
      { token: alice.token, target: 'profile' },
    );
    expect({
      startDate,
      data: response.data ?? null,
      codes: response.errors?.map((e) => e.extensions?.code),
    }).toEqual({
      startDate,
      data: null,
      codes: ['BAD_USER_INPUT'],
    });
  }
  const leap = await supergraph.query<{ addExperience: { startDate: string } }>(
    ADD,
    { input: { company: 'Acme', position: 'Dev', startDate: '2024-02-29T00:00:00Z' } },
    { token: alice.token, target: 'profile' },
  );
  expect(leap.data?.addExperience.startDate).toBe('2024-02-29T00:00:00.000Z');
});
