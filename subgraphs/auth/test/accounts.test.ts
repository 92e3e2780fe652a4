/**
 * Account data and administration: who sees which User fields, account updates, soft deletion,
 * suspension by staff, roles, the admin listing, and the events other services consume.
 */
import type { EventEnvelope } from '@social/kit';
import { startSupergraph, type Supergraph } from '@social/testing';
import { LOGIN, ME } from './operations.js';

let supergraph: Supergraph;
const events: EventEnvelope[] = [];

beforeAll(async () => {
  supergraph = await startSupergraph();
  await supergraph.stack.resources.events.subscribe('auth', 'accounts-test', async (event) => {
    events.push(event);
  });
});
afterAll(async () => {
  await supergraph?.stop();
});

const profileAccepts = async (token: string) =>
  (await supergraph.query('{ __typename }', {}, { token, target: 'profile' })).status === 200;

async function eventually<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
const eventOf = (type: string, userId: string) =>
  eventually(() => events.find((e) => e.type === type && (e.data as { userId: string }).userId === userId));

const USER = `query ($id: ID!) { user(id: $id) {
  id username email emailVerified role accountStatus createdAt lastLoginAt loginHistory(first: 2) { edges { node { status } } }
  accountStats { activeSessionsCount totalLogins failedLogins }
} }`;

test('private User fields are visible to the owner and staff, null for everyone else', async () => {
  const owner = await supergraph.user();
  const stranger = await supergraph.user();
  const moderator = await supergraph.user({ role: 'MODERATOR' });
  type Data = { user: Record<string, unknown> & { loginHistory: { edges: unknown[] } | null } };
  const asOwner = (await supergraph.query<Data>(USER, { id: owner.id }, { token: owner.token })).data!.user;
  expect(asOwner).toMatchObject({
    email: owner.email,
    emailVerified: true,
    role: 'USER',
    accountStatus: 'ACTIVE',
  });
  expect(asOwner.lastLoginAt).not.toBeNull();
  expect(asOwner.loginHistory?.edges).toEqual([{ node: { status: 'SUCCESS' } }]);
  expect(asOwner.accountStats).toEqual({ activeSessionsCount: 1, totalLogins: 1, failedLogins: 0 });

  const asStranger = (await supergraph.query<Data>(USER, { id: owner.id }, { token: stranger.token })).data!
    .user;
  expect(asStranger).toMatchObject({
    username: owner.username,
    email: null,
    lastLoginAt: null,
    loginHistory: null,
    accountStats: null,
  });
  const anonymous = (await supergraph.query<Data>(USER, { id: owner.id })).data!.user;
  expect(anonymous.email).toBeNull();
  const asModerator = (await supergraph.query<Data>(USER, { id: owner.id }, { token: moderator.token })).data!
    .user;
  expect(asModerator.email).toBe(owner.email);

  const byName = await supergraph.query<{ userByUsername: { id: string } | null }>(
    'query ($u: String!) { userByUsername(username: $u) { id } }',
    { u: owner.username.toUpperCase() },
  );
  expect(byName.data?.userByUsername?.id).toBe(owner.id);
  const bad = await supergraph.query(USER, { id: 'not-a-uuid' });
  expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});

test('registration publishes UserRegistered through the outbox', async () => {
  const account = await supergraph.user({ firstName: 'Grace', lastName: 'Hopper' });
  const event = await eventOf('UserRegistered', account.id);
  expect(event).toMatchObject({
    producer: 'auth',
    data: {
      username: account.username,
      email: account.email,
      firstName: 'Grace',
      lastName: 'Hopper',
      phoneNumber: null,
      role: 'USER',
    },
  });
  const [row] = await supergraph.sql<{ published_at: Date | null }>(
    'SELECT published_at FROM event_outbox WHERE id = $1',
    [event.id],
  );
  expect(row?.published_at).not.toBeNull();
});

test('updateAccount changes the fields given, rejects a taken username, and emits UserUpdated', async () => {
  const account = await supergraph.user();
  const other = await supergraph.user();
  const UPDATE = 'mutation ($input: UpdateAccountInput!) { updateAccount(input: $input) { username } }';
  const taken = await supergraph.query(
    UPDATE,
    { input: { username: other.username.toUpperCase() } },
    { token: account.token },
  );
  expect(taken.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  const invalid = await supergraph.query(UPDATE, { input: { firstName: '' } }, { token: account.token });
  expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.firstName' });
  const newName = `${account.username}_x`.slice(0, 50);
  const ok = await supergraph.query<{ updateAccount: { username: string } }>(
    UPDATE,
    { input: { username: newName, lastName: 'Renamed' } },
    { token: account.token },
  );
  expect(ok.data?.updateAccount.username).toBe(newName);
  const event = await eventOf('UserUpdated', account.id);
  expect(event.data).toMatchObject({
    username: newName,
    lastName: 'Renamed',
    changed: ['username', 'lastName'],
  });
});

test('deleteAccount needs the password, then the account is gone: no login, no lookup, no tokens', async () => {
  const account = await supergraph.user();
  const DELETE = 'mutation ($p: String!) { deleteAccount(password: $p) }';
  const wrong = await supergraph.query(DELETE, { p: 'Wrong-Password-99' }, { token: account.token });
  expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
  expect(await profileAccepts(account.token)).toBe(true);

  const deleted = await supergraph.query<{ deleteAccount: boolean }>(
    DELETE,
    { p: account.password },
    { token: account.token },
  );
  expect(deleted.data?.deleteAccount).toBe(true);
  expect(await profileAccepts(account.token)).toBe(false);
  const login = await supergraph.query(LOGIN, {
    input: { identifier: account.username, password: account.password },
  });
  expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect((await supergraph.query<{ user: unknown }>(USER, { id: account.id })).data?.user).toBeNull();
  const [row] = await supergraph.sql<{ account_status: string; is_deleted: boolean }>(
    'SELECT account_status, is_deleted FROM users WHERE user_id = $1',
    [account.id],
  );
  expect(row).toEqual({ account_status: 'Deleted', is_deleted: true });
  const event = await eventOf('UserDeleted', account.id);
  const graceDays = (Date.parse((event.data as { purgeAfter: string }).purgeAfter) - Date.now()) / 86_400_000;
  expect(Math.round(graceDays)).toBe(30);
});

const SET_STATUS =
  'mutation ($id: ID!, $s: AccountStatus!) { setAccountStatus(userId: $id, status: $s) { id accountStatus } }';

test('staff suspend an account: its tokens fail at once, it cannot log in, and it can be reactivated', async () => {
  const admin = await supergraph.user({ role: 'ADMIN' });
  const member = await supergraph.user();
  const plain = await supergraph.user();
  const denied = await supergraph.query(
    SET_STATUS,
    { id: member.id, s: 'SUSPENDED' },
    { token: plain.token },
  );
  expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  const suspended = await supergraph.query<{ setAccountStatus: { accountStatus: string } }>(
    SET_STATUS,
    { id: member.id, s: 'SUSPENDED' },
    { token: admin.token },
  );
  expect(suspended.data?.setAccountStatus.accountStatus).toBe('SUSPENDED');
  expect(await profileAccepts(member.token)).toBe(false);
  const login = await supergraph.query(LOGIN, {
    input: { identifier: member.username, password: member.password },
  });
  expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(login.errors?.[0]?.message).toMatch(/suspended/);
  const event = await eventOf('UserStatusChanged', member.id);
  expect(event.data).toMatchObject({ status: 'SUSPENDED', previousStatus: 'ACTIVE', changedBy: admin.id });

  await supergraph.query(SET_STATUS, { id: member.id, s: 'ACTIVE' }, { token: admin.token });
  const back = await supergraph.query(LOGIN, {
    input: { identifier: member.username, password: member.password },
  });
  expect(back.errors).toBeUndefined();

  const deletedStatus = await supergraph.query(
    SET_STATUS,
    { id: member.id, s: 'DELETED' },
    { token: admin.token },
  );
  expect(deletedStatus.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  const own = await supergraph.query(SET_STATUS, { id: admin.id, s: 'SUSPENDED' }, { token: admin.token });
  expect(own.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});

test('moderators cannot touch admins; only admins change roles', async () => {
  const admin = await supergraph.user({ role: 'ADMIN' });
  const moderator = await supergraph.user({ role: 'MODERATOR' });
  const member = await supergraph.user();
  const onAdmin = await supergraph.query(
    SET_STATUS,
    { id: admin.id, s: 'SUSPENDED' },
    { token: moderator.token },
  );
  expect(onAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const SET_ROLE = 'mutation ($id: ID!, $r: UserRole!) { setUserRole(userId: $id, role: $r) { role } }';
  const byModerator = await supergraph.query(
    SET_ROLE,
    { id: member.id, r: 'MODERATOR' },
    { token: moderator.token },
  );
  expect(byModerator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const byAdmin = await supergraph.query<{ setUserRole: { role: string } }>(
    SET_ROLE,
    { id: member.id, r: 'MODERATOR' },
    { token: admin.token },
  );
  expect(byAdmin.data?.setUserRole.role).toBe('MODERATOR');
  // The new role reaches the member's token at the next refresh.
  const refreshed = await supergraph.query<{ refreshToken: { accessToken: string; user: { role: string } } }>(
    'mutation ($t: String!) { refreshToken(token: $t) { accessToken user { role } } }',
    { t: member.refreshToken },
  );
  expect(refreshed.data?.refreshToken.user.role).toBe('MODERATOR');
  const missing = await supergraph.query(
    SET_ROLE,
    { id: '00000000-0000-4000-8000-000000000000', r: 'USER' },
    { token: admin.token },
  );
  expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
});

test('the admin listing filters and pages, and is FORBIDDEN to members', async () => {
  const admin = await supergraph.user({ role: 'ADMIN' });
  const prefix = `pg_${Math.random().toString(36).slice(2, 8)}`;
  for (let i = 0; i < 3; i += 1) await supergraph.user({ username: `${prefix}_${i}` });
  const LIST = `query ($f: UserAccountFilter, $after: String) {
    users(filter: $f, first: 2, after: $after) { edges { node { username } } pageInfo { hasNextPage endCursor } }
  }`;
  type Page = {
    users: { edges: { node: { username: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
  };
  const first = (
    await supergraph.query<Page>(LIST, { f: { search: prefix.toUpperCase() } }, { token: admin.token })
  ).data!.users;
  expect(first.edges.map((e) => e.node.username)).toEqual([`${prefix}_2`, `${prefix}_1`]);
  expect(first.pageInfo.hasNextPage).toBe(true);
  const second = (
    await supergraph.query<Page>(
      LIST,
      { f: { search: prefix }, after: first.pageInfo.endCursor },
      { token: admin.token },
    )
  ).data!.users;
  expect(second.edges.map((e) => e.node.username)).toEqual([`${prefix}_0`]);
  expect(second.pageInfo.hasNextPage).toBe(false);
  const member = await supergraph.user();
  expect((await supergraph.query(LIST, {}, { token: member.token })).errors?.[0]?.extensions?.code).toBe(
    'FORBIDDEN',
  );
  const badCursor = await supergraph.query(LIST, { after: 'nonsense' }, { token: admin.token });
  expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});

test('changeEmail needs the password, leaves the new address unverified and mails it a code', async () => {
  const account = await supergraph.user();
  const CHANGE =
    'mutation ($input: ChangeEmailInput!) { changeEmail(input: $input) { email emailVerified } }';
  const newEmail = `moved_${account.username}@example.org`;
  const wrong = await supergraph.query(
    CHANGE,
    { input: { newEmail, currentPassword: 'Wrong-Password-1' } },
    { token: account.token },
  );
  expect(wrong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  const changed = await supergraph.query<{ changeEmail: { email: string; emailVerified: boolean } }>(
    CHANGE,
    { input: { newEmail, currentPassword: account.password } },
    { token: account.token },
  );
  expect(changed.data?.changeEmail).toEqual({ email: newEmail, emailVerified: false });
  expect((await supergraph.latestMail(newEmail, 'email-verification'))?.data?.code).toMatch(/^[0-9]{6}$/);
  const me = await supergraph.query<{ me: { email: string } }>(ME, {}, { token: account.token });
  expect(me.data?.me.email).toBe(newEmail);
});

test('User references resolve in one batch; unknown ids are null, deleted accounts show as DELETED', async () => {
  const [a, b, gone] = [await supergraph.user(), await supergraph.user(), await supergraph.user()];
  const deleted = await supergraph.query<{ deleteAccount: boolean }>(
    'mutation ($p: String!) { deleteAccount(password: $p) }',
    { p: gone.password },
    { token: gone.token },
  );
  expect(deleted.data?.deleteAccount).toBe(true);
  const response = await supergraph.query<{
    _entities: ({ id: string; username: string; accountStatus: string } | null)[];
  }>(
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username accountStatus } } }`,
    {
      r: [
        { __typename: 'User', id: b.id },
        { __typename: 'User', id: '00000000-0000-4000-8000-000000000000' },
        { __typename: 'User', id: 'not-a-uuid' },
        { __typename: 'User', id: gone.id },
        { __typename: 'User', id: a.id },
      ],
    },
    { target: 'auth', token: a.token },
  );
  // What a deleted user left elsewhere (messages, comments) keeps an author a client can render
  // as a deleted account, while looking the account up finds nothing.
  expect(response.data?._entities).toEqual([
    { id: b.id, username: b.username, accountStatus: 'ACTIVE' },
    null,
    null,
    { id: gone.id, username: gone.username, accountStatus: 'DELETED' },
    { id: a.id, username: a.username, accountStatus: 'ACTIVE' },
  ]);
  const lookup = await supergraph.query<{ user: unknown }>(
    'query ($id: ID!) { user(id: $id) { id } }',
    {
      id: gone.id,
    },
    { token: a.token },
  );
  expect(lookup.data?.user).toBeNull();
});

test('verifying an email publishes UserEmailVerified', async () => {
  const account = await supergraph.user();
  const event = await eventOf('UserEmailVerified', account.id);
  expect(event.data).toMatchObject({ email: account.email });
});
