/**
 * Login throughput against its physical limit (issue 12, workload 4). First bcrypt alone: how many
 * password checks per second one core does at the cost auth uses (`BCRYPT_COST`, default 12,
 * `@node-rs/bcrypt` as in subgraphs/auth/src/accounts/crypto.ts). Then the `login` mutation under
 * load from autocannon, 50 connections over 50 distinct seeded accounts, through the gateway and
 * straight to auth: logins/s, latency, and logins/s as a fraction of the bcrypt bound (checks per
 * second on one core × the cores of the machine).
 *
 *   npx tsx --conditions=development bench/auth-login.ts [--full] [--write]
 *
 * Everything runs in this process as in the tests (PostgreSQL from the harness); auth's rate limits
 * are off (RATE_LIMITS_ENABLED=false) so that bcrypt, not the limiter, is what is measured.
 */
import { hash, verify, verifySync } from '@node-rs/bcrypt';
import { startSupergraph, type TestAccount } from '@social/testing';
import autocannon from 'autocannon';
import os from 'node:os';
import { publishSection, runIfScript, type BenchOptions } from './report.js';

const SECTION = 'auth-login';
const COST = 12;
const CONNECTIONS = 50;
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';

interface Bound {
  /** Checks per second on the event loop's thread alone. */
  oneCore: number;
  /** Checks per second through the libuv pool with as many in flight as cores. */
  allCores: number;
}

/** bcrypt verify at `COST`, measured alone for `seconds`: one thread, then the libuv pool. */
async function bcryptBound(seconds: number): Promise<Bound> {
  const passwordHash = await hash('correct horse battery staple', COST);
  verifySync('correct horse battery staple', passwordHash); // warm
  let checks = 0;
  let started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    if (!verifySync('correct horse battery staple', passwordHash)) throw new Error('bcrypt verify failed');
    checks += 1;
  }
  const oneCore = checks / ((performance.now() - started) / 1000);
  checks = 0;
  started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: os.cpus().length }, async () => {
      while (performance.now() < deadline) {
        await verify('correct horse battery staple', passwordHash);
        checks += 1;
      }
    }),
  );
  const allCores = checks / ((performance.now() - started) / 1000);
  return { oneCore, allCores };
}

interface Row {
  target: string;
  logins: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
}

async function loginLoad(url: string, accounts: readonly TestAccount[], seconds: number): Promise<Row> {
  let next = 0;
  let failed = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    // With 50 logins queued on a few bcrypt threads, one may wait many seconds: that is the load.
    timeout: 120,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        // Each request logs in the next account in turn: the 50 in flight are 50 different users.
        setupRequest: (request) => {
          const account = accounts[next % accounts.length]!;
          next += 1;
          return {
            ...request,
            body: JSON.stringify({
              query: LOGIN,
              variables: { input: { identifier: account.username, password: account.password } },
            }),
          };
        },
        onResponse: (status, body) => {
          if (status !== 200 || body.includes('"errors"')) failed += 1;
        },
      },
    ],
  });
  const logins = result.requests.total - failed - result.errors - result.timeouts;
  return {
    target: url,
    logins,
    perSecond: logins / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: failed + result.errors + result.timeouts,
  };
}

export async function runAuthLoginBench(options: BenchOptions): Promise<string> {
  const seconds = options.full ? 60 : 20;
  const cores = os.cpus().length;
  const bound = await bcryptBound(options.full ? 10 : 4);
  console.log(
    `bcrypt cost ${COST}: ${bound.oneCore.toFixed(1)} checks/s on one core, ${bound.allCores.toFixed(1)}/s on ${cores}`,
  );

  const supergraph = await startSupergraph({
    env: { BCRYPT_COST: String(COST), RATE_LIMITS_ENABLED: 'false' },
  });
  const rows: Row[] = [];
  try {
    const accounts: TestAccount[] = [];
    while (accounts.length < CONNECTIONS) {
      accounts.push(...(await Promise.all(Array.from({ length: 5 }, () => supergraph.user()))));
    }
    // Long enough for every connection to complete a few logins at the bound (a loaded machine).
    const duration = Math.min(300, Math.max(seconds, Math.ceil((3 * CONNECTIONS) / (bound.oneCore * cores))));
    // Warm both paths (plans, connections, JIT) before measuring.
    await loginLoad(supergraph.gatewayUrl, accounts, 2);
    rows.push({
      ...(await loginLoad(supergraph.gatewayUrl, accounts, duration)),
      target: 'through the gateway',
    });
    rows.push({
      ...(await loginLoad(supergraph.subgraphUrls.auth, accounts, duration)),
      target: 'straight to auth',
    });
  } finally {
    await supergraph.stop();
  }

  const limit = bound.oneCore * cores;
  const lines = [
    '| path | logins | logins/s | p50 ms | p99 ms | failed | share of the bcrypt bound |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.target} | ${row.logins} | ${row.perSecond.toFixed(1)} | ${row.p50.toFixed(0)} | ${row.p99.toFixed(0)} | ${row.failed} | ${((100 * row.perSecond) / limit).toFixed(0)}% |`,
    ),
  ];
  const report = [
    `bcrypt cost ${COST} alone: ${bound.oneCore.toFixed(1)} checks/s on one core; ${bound.allCores.toFixed(1)}/s through the libuv pool with ${cores} in flight. Bound used below: ${bound.oneCore.toFixed(1)} × ${cores} cores = ${limit.toFixed(1)} logins/s.`,
    '',
    ...lines,
  ].join('\n');
  await publishSection(SECTION, report, options, [
    `\`login\` under autocannon: ${CONNECTIONS} connections, at least ${seconds} s per row, each request the next of ${CONNECTIONS} seeded`,
    'accounts (bcrypt cost 12 hashes), through the gateway and straight to the auth subgraph. A login is',
    'one bcrypt check (on the libuv pool, off the event loop) plus its session, login-history and token',
    'work; the bound is what bcrypt alone does on every core of the machine. The load generator, the',
    'gateway and the subgraphs share this process; PostgreSQL is the local server. Rate limits are off.',
  ]);
  return report;
}

await runIfScript(import.meta.url, 'bench/auth-login.ts', runAuthLoginBench);
