/**
 * Fault: Redis loses its data (SIGKILL, data directory wiped, restarted empty) while a logged-out
 * session's access token keeps being presented to the gateway and to every subgraph.
 *
 * Revoked sessions are cached in Redis (the kit's revocation store), PostgreSQL being the source
 * of truth. What must hold:
 * - the revoked token is never accepted, not for one request: while Redis is down, and after it
 *   came back empty (verifiers find no completeness marker and fail closed until auth restored
 *   every live revocation from PostgreSQL);
 * - within a bounded time it is refused as before (UNAUTHENTICATED), and valid tokens work again;
 * - meanwhile every refusal is clean: UNAUTHENTICATED, or INTERNAL_SERVER_ERROR with the fixed
 *   "temporarily unavailable" message, never the raw Redis client's text.
 */
import { AUTHENTICATION_UNAVAILABLE_MESSAGE, type SubgraphName } from '@social/kit';
import type { GraphQLResponse } from '@social/testing';
import { sleep } from './faults/processes.js';
import { supergraphOnPrivateRedis } from './faults/redis-server.js';
import { reportFigures } from './faults/report.js';

const OUTAGE_MS = 3_000;
const SUBGRAPHS: readonly SubgraphName[] = ['auth', 'profile', 'chat', 'feed', 'media', 'notification'];
type Target = SubgraphName | 'gateway';
const TARGETS: readonly Target[] = ['gateway', ...SUBGRAPHS];

const bed = supergraphOnPrivateRedis();

interface Probe {
  readonly target: Target;
  readonly at: number;
  readonly endedAt: number;
  /** 'accepted', or the refusal's code and message. */
  readonly result: string;
}

/** One authenticated request: the gateway resolves `me`; a subgraph verifies the token first. */
async function probe(target: Target, token: string): Promise<Probe> {
  const started = Date.now();
  let response: GraphQLResponse<{ me?: { id: string } | null }>;
  try {
    response =
      target === 'gateway'
        ? await bed.sg.query<{ me: { id: string } | null }>('query { me { id } }', {}, { token })
        : await bed.sg.query('query { __typename }', {}, { token, target });
  } catch (error) {
    return { target, at: started, endedAt: Date.now(), result: `transport: ${(error as Error).message}` };
  }
  const error = response.errors?.[0];
  const accepted =
    !error && (target === 'gateway' ? Boolean(response.data?.me) : response.data !== undefined);
  return {
    target,
    at: started,
    endedAt: Date.now(),
    result: accepted
      ? 'accepted'
      : `${String(error?.extensions?.code)}: ${error?.message ?? response.status}`,
  };
}

const REVOKED = 'UNAUTHENTICATED: Session has been revoked';
const UNAVAILABLE = `INTERNAL_SERVER_ERROR: ${AUTHENTICATION_UNAVAILABLE_MESSAGE}`;

test('Redis restarted empty: a logged-out session is refused everywhere, never accepted in between', async () => {
  const alice = await bed.sg.user();
  const session = await bed.sg.login(alice.username, alice.password);
  const logout = await bed.sg.query<{ logout: boolean }>('mutation { logout }', {}, { token: session.token });
  expect(logout.errors).toBeUndefined();
  for (const target of TARGETS) {
    expect((await probe(target, session.token)).result).toBe(REVOKED);
    expect((await probe(target, alice.token)).result).toBe('accepted');
  }

  // Both tokens are presented to every target, continuously (one loop per target and token, so a
  // slow answer somewhere does not thin out the others), across the outage and the restart.
  const revokedProbes: Probe[] = [];
  const liveProbes: Probe[] = [];
  let polling = true;
  const loops = TARGETS.flatMap((target) =>
    (
      [
        [session.token, revokedProbes],
        [alice.token, liveProbes],
      ] as const
    ).map(async ([token, into]) => {
      while (polling) {
        into.push(await probe(target, token));
        await sleep(50);
      }
    }),
  );
  const poll = Promise.all(loops);

  let downAt = 0;
  let upAt = 0;
  let recoveredAt = 0;
  try {
    await sleep(500);
    downAt = Date.now();
    await bed.redis.kill();
    await bed.redis.wipe();
    await sleep(OUTAGE_MS);
    await bed.redis.start();
    upAt = Date.now();
    // Recovered: on every target the revoked token is refused as revoked and the live one works.
    const deadline = upAt + 60_000;
    for (;;) {
      const results = await Promise.all(
        TARGETS.map(async (t) => [
          (await probe(t, session.token)).result,
          (await probe(t, alice.token)).result,
        ]),
      );
      if (results.every(([revoked, live]) => revoked === REVOKED && live === 'accepted')) break;
      if (Date.now() > deadline)
        throw new Error(`not recovered 60 s after the restart: ${JSON.stringify(results)}`);
      await sleep(100);
    }
    recoveredAt = Date.now();
    await sleep(1_000); // and it stays so
  } finally {
    polling = false;
    await poll;
  }

  const tally = (probes: readonly Probe[]) => {
    const counts: Record<string, number> = {};
    for (const p of probes) counts[p.result] = (counts[p.result] ?? 0) + 1;
    return counts;
  };
  const acceptedRevoked = revokedProbes.filter((p) => p.result === 'accepted');
  // Requests in flight while Redis was down (a request may wait for Redis's reconnect).
  const outage = liveProbes.filter((p) => p.at < upAt && p.endedAt > downAt);
  const unexpected = [...revokedProbes, ...liveProbes].filter(
    (p) => ![REVOKED, UNAVAILABLE, 'accepted'].includes(p.result),
  );
  if (process.env.FAULT_TIMELINE)
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        process.env.FAULT_TIMELINE!,
        JSON.stringify({ downAt, upAt, recoveredAt, revokedProbes, liveProbes }, null, 1),
      ),
    );
  reportFigures('redis restarted empty: revoked sessions', {
    outageMs: upAt - downAt,
    refusedAgainAfterRestartMs: recoveredAt - upAt,
    revokedTokenRequests: revokedProbes.length,
    revokedTokenAccepted: acceptedRevoked.length,
    revokedTokenOutcomes: tally(revokedProbes),
    liveTokenOutcomesDuringOutage: tally(outage),
    liveTokenOutcomes: tally(liveProbes),
    targets: TARGETS.length,
  });

  expect(revokedProbes.length).toBeGreaterThan(TARGETS.length * 10);
  // Never accepted, on any target, at any time.
  expect(acceptedRevoked).toEqual([]);
  // Every refusal is one of the two clean ones (no raw Redis client text, no other code).
  expect(unexpected.slice(0, 5)).toEqual([]);
  // While Redis was down, authenticated requests failed closed with the clean message, everywhere.
  for (const target of TARGETS) {
    expect(outage.filter((p) => p.target === target).map((p) => p.result)).toContain(UNAVAILABLE);
  }
});
