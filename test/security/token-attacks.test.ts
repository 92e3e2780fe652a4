/**
 * Token attacks (issue 13): forged, stale and malformed credentials, and genuine tokens of
 * sessions that were revoked or accounts that were suspended or deleted, are refused by every
 * subgraph on its own (zero trust, DESIGN 7), by the gateway, and on graphql-ws connect; a genuine
 * token of a live session is accepted everywhere, so the matrix can fail.
 */
import {
  connectGraphQL,
  deliveredAfterRevocation,
  startSupergraph,
  type Supergraph,
  type TestAccount,
} from '@social/testing';
import { forgedTokenAttacks } from './tokens.js';
import { ACCEPTED, REFUSED, WEBSOCKET_TARGETS, unexpected } from './tokens-targets.js';

let sg: Supergraph;
let victim: TestAccount;
let other: TestAccount;
let admin: TestAccount;

beforeAll(async () => {
  // Open sockets' tokens are verified again every 250 ms (gateway and subgraphs).
  sg = await startSupergraph({ env: { SUBSCRIPTIONS_REVERIFY_MS: '250' } });
  [victim, other, admin] = await Promise.all([sg.user(), sg.user(), sg.user({ role: 'ADMIN' })]);
}, 120_000);

afterAll(async () => {
  await sg?.stop();
});

const bearer = (token: string) => `Bearer ${token}`;

async function mutate(token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await sg.query(query, variables, { token });
  expect(response.errors).toBeUndefined();
  return response.data;
}

test('a genuine token of a live session is accepted by every subgraph, the gateway and graphql-ws', async () => {
  expect(await unexpected(sg, bearer(victim.token), ACCEPTED)).toEqual([]);
});

test('forged, tampered and malformed tokens are refused everywhere and return no data', async () => {
  const attacks = await forgedTokenAttacks({
    victimToken: victim.token,
    otherUserId: other.id,
    keys: sg.signingKeys,
  });
  expect(attacks.length).toBeGreaterThanOrEqual(20);
  const accepted: Array<{ attack: string; target: string; outcome: string }> = [];
  for (const attack of attacks) {
    for (const cell of await unexpected(sg, attack.authorization, REFUSED)) {
      accepted.push({ attack: attack.name, ...cell });
    }
  }
  expect(accepted).toEqual([]);
  // The victim's own token still works: the attacks were refused for what they are.
  expect(await unexpected(sg, bearer(victim.token), ACCEPTED)).toEqual([]);
});

/**
 * A genuine token, used (so every verifier has it cached), then made stale by what happened to
 * its session or account: refused at once, everywhere.
 */
async function expectRefusedAfter(token: string, event: () => Promise<void>): Promise<void> {
  expect(await unexpected(sg, bearer(token), ACCEPTED)).toEqual([]);
  await event();
  expect(await unexpected(sg, bearer(token), REFUSED)).toEqual([]);
}

test('a logged-out session’s token is refused at once; the user’s other session keeps working', async () => {
  const user = await sg.user();
  const second = await sg.login(user.username, user.password);
  await expectRefusedAfter(user.token, async () => {
    expect(await mutate(user.token, 'mutation { logout }')).toEqual({ logout: 1 });
  });
  expect(await unexpected(sg, bearer(second.token), ACCEPTED)).toEqual([]);
});

test('a session revoked from another device, or by a password change, is refused at once', async () => {
  const user = await sg.user();
  const lost = await sg.login(user.username, user.password);
  await expectRefusedAfter(lost.token, async () => {
    expect(
      await mutate(user.token, 'mutation ($id: ID!) { revokeSession(id: $id) }', { id: lost.sessionId }),
    ).toEqual({ revokeSession: true });
  });
  const stale = await sg.login(user.username, user.password);
  await expectRefusedAfter(stale.token, async () => {
    await mutate(user.token, 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }', {
      input: { currentPassword: user.password, newPassword: `${user.password}-Renewed9` },
    });
  });
  expect(await unexpected(sg, bearer(user.token), ACCEPTED)).toEqual([]);
});

const SET_STATUS =
  'mutation ($id: ID!, $status: AccountStatus!) { setAccountStatus(userId: $id, status: $status) { id } }';

test.each(['SUSPENDED', 'INACTIVE'])(
  'an account set %s by an admin: every session’s token, refresh and login refused at once',
  async (status) => {
    const user = await sg.user();
    const second = await sg.login(user.username, user.password);
    await expectRefusedAfter(user.token, async () => {
      await mutate(admin.token, SET_STATUS, { id: user.id, status });
    });
    expect(await unexpected(sg, bearer(second.token), REFUSED)).toEqual([]);
    await expectNoNewTokens(user, second.refreshToken);
  },
);

test('a deleted account: its tokens, refresh and login are refused at once', async () => {
  const user = await sg.user();
  const second = await sg.login(user.username, user.password);
  await expectRefusedAfter(second.token, async () => {
    expect(
      await mutate(user.token, 'mutation ($p: String!) { deleteAccount(password: $p) }', {
        p: user.password,
      }),
    ).toEqual({ deleteAccount: true });
  });
  expect(await unexpected(sg, bearer(user.token), REFUSED)).toEqual([]);
  await expectNoNewTokens(user, second.refreshToken);
});

/** Neither the session's refresh token nor the password yields a new access token. */
async function expectNoNewTokens(user: TestAccount, refreshToken: string): Promise<void> {
  for (const token of [user.refreshToken, refreshToken]) {
    const refreshed = await sg.query('mutation ($t: String!) { refreshToken(token: $t) { accessToken } }', {
      t: token,
    });
    expect(refreshed.data).toBeNull();
    expect(refreshed.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  }
  const login = await sg.query('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', {
    input: { identifier: user.username, password: user.password },
  });
  expect(login.data).toBeNull();
  expect(login.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
}

/** A subscription on each graphql-ws endpoint, opened with `token` and acknowledged. */
async function openSockets(token: string) {
  const sockets = WEBSOCKET_TARGETS.map(({ name, subscription }) => {
    const socket = connectGraphQL(name === 'gateway' ? sg.gatewayUrl : sg.subgraphUrls[name], { token });
    return { name, socket, subscription: socket.subscribe(subscription) };
  });
  await Promise.all(sockets.map(({ socket }) => socket.connected));
  return sockets;
}

type OpenSockets = Awaited<ReturnType<typeof openSockets>>;

/** How each socket ended, and what its subscription delivered before: never data. */
async function closures(sockets: OpenSockets) {
  return Promise.all(
    sockets.map(async ({ name, socket, subscription }) => ({
      name,
      // A socket left open reads as such in the diff rather than as a test timeout.
      closed: await Promise.race([
        socket.closed,
        new Promise((resolve) => setTimeout(() => resolve('still open after 10 s'), 10_000).unref()),
      ]),
      delivered: await deliveredAfterRevocation(subscription),
    })),
  );
}

const closedBecause = (why: string) =>
  WEBSOCKET_TARGETS.map(({ name }) => ({
    name,
    closed: { code: 4403, reason: `Forbidden: ${why}` },
    delivered: expect.stringMatching(/^(nothing|a refusal, no data)$/),
  }));

test('open subscriptions of a logged-out session are closed (4403) on the gateway and the subgraphs; other sessions stay', async () => {
  const user = await sg.user();
  const kept = await sg.login(user.username, user.password);
  const [revoked, keptSockets] = await Promise.all([openSockets(user.token), openSockets(kept.token)]);
  try {
    await mutate(user.token, 'mutation { logout }');
    expect(await closures(revoked)).toEqual(closedBecause('token revoked'));
    // The same user's other session still receives: a friend request raises its unread count.
    await mutate(other.token, 'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }', {
      id: user.id,
    });
    const notification = keptSockets.find((s) => s.name === 'notification')!;
    expect((await notification.subscription.next(15_000)).data).toEqual({
      unreadNotificationCountChanged: 1,
    });
  } finally {
    await Promise.all([...revoked, ...keptSockets].map(({ socket }) => socket.close()));
  }
});

test('open subscriptions of a suspended account are closed (4403) everywhere', async () => {
  const user = await sg.user();
  const sockets = await openSockets(user.token);
  try {
    await mutate(admin.token, SET_STATUS, { id: user.id, status: 'SUSPENDED' });
    expect(await closures(sockets)).toEqual(closedBecause('token revoked'));
  } finally {
    await Promise.all(sockets.map(({ socket }) => socket.close()));
  }
});

test('open subscriptions are closed (4403) when their token expires', async () => {
  const identity = await sg.identity();
  const token = await sg.signToken(
    { sub: identity.id, sid: identity.sessionId, username: identity.username },
    { ttlSeconds: 2 },
  );
  const sockets = await openSockets(token);
  try {
    expect(await closures(sockets)).toEqual(closedBecause('token expired'));
  } finally {
    await Promise.all(sockets.map(({ socket }) => socket.close()));
  }
});

test('an operation authorized by its own extensions on a shared subgraph connection ends with UNAUTHENTICATED when its session is revoked; the connection stays', async () => {
  const user = await sg.user();
  const kept = await sg.user();
  const subscription = 'subscription { unreadNotificationCountChanged }';
  // An anonymous connection carrying per-operation credentials, as the gateway's upstream pool does.
  const socket = connectGraphQL(sg.subgraphUrls.notification);
  await socket.connected;
  try {
    const revoked = socket.subscribe(subscription, {}, { authorization: bearer(user.token) });
    const staying = socket.subscribe(subscription, {}, { authorization: bearer(kept.token) });
    // Both run: a friend request to each raises their unread count.
    for (const target of [user, kept]) {
      await mutate(other.token, 'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }', {
        id: target.id,
      });
    }
    expect((await revoked.next(15_000)).data).toEqual({ unreadNotificationCountChanged: 1 });
    expect((await staying.next(15_000)).data).toEqual({ unreadNotificationCountChanged: 1 });
    await mutate(user.token, 'mutation { logout }');
    const ended = await revoked.next(10_000).then(
      (event) => ({ delivered: event }),
      (error: unknown) => ({ error }),
    );
    expect(ended).toEqual({ error: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })] });
    // The other operation on the same connection is untouched.
    await mutate(admin.token, 'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }', {
      id: kept.id,
    });
    expect((await staying.next(15_000)).data).toEqual({ unreadNotificationCountChanged: 2 });
  } finally {
    await socket.close();
  }
});
