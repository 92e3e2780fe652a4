/**
 * Schema-aware fuzzing through the gateway (issue 13): at least 10,000 requests — every Query,
 * Mutation and Subscription field of the API schema with hostile argument values, inline and as
 * variables, as anonymous, a user with data, a friend and an admin — plus malformed documents,
 * bodies, content types and batches. Pass: no crash, no INTERNAL_SERVER_ERROR, every error
 * coded from the known list, no partial write by a rejected mutation, store invariants hold.
 *
 * FUZZ_SEED (default below) and FUZZ_OPS (default 10,000) choose the run; a failure prints its
 * seed and index, and FUZZ_ONLY=<index>[,<index>...] replays just those requests.
 */
import { startSupergraph, type Supergraph } from '@social/testing';
import { buildWorld, type FuzzWorld } from './fuzz/fixtures.js';
import { checkInvariants, checkHealth } from './fuzz/invariants.js';
import { plan, run, type FuzzSummary } from './fuzz/runner.js';
import { loadApiSchema, rootFieldOwners } from './fuzz/schema.js';
import { Stores } from './fuzz/stores.js';

const SEED = Number(process.env.FUZZ_SEED ?? 1321);
const TOTAL = Number(process.env.FUZZ_OPS ?? 10_000);
const ONLY = process.env.FUZZ_ONLY?.split(',').map(Number);

let sg: Supergraph;
let stores: Stores;
let world: FuzzWorld;

beforeAll(async () => {
  sg = await startSupergraph();
  stores = await Stores.open(sg);
  world = await buildWorld(sg, [stores.db('chat'), stores.db('feed'), stores.db('notification')]);
}, 300_000);

afterAll(async () => {
  await stores?.close();
  await sg?.stop();
});

function printSummary(summary: FuzzSummary): void {
  const lines = [
    `fuzz seed=${summary.seed}: ${summary.operations} requests in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  by kind: ${JSON.stringify(summary.byKind)}`,
    `  root fields covered: ${summary.fieldsCovered}/${summary.fieldsTotal}`,
    `  accepted without errors: ${summary.accepted}`,
    `  errors by code: ${JSON.stringify(Object.fromEntries(Object.entries(summary.byCode).sort(([, a], [, b]) => b - a)))}`,
    `  rejected mutations checked for partial writes: ${summary.writeChecks} (${summary.resolverWriteChecks} refused by a resolver)`,
    `  requests resent after a closed keep-alive connection: ${summary.networkRetries}`,
    `  time in write checks: ${(summary.writeCheckMs / 1000).toFixed(1)} s; slowest: ${summary.slowest.map((s) => `${s.ms} ms ${s.what.slice(0, 120)}`).join(' / ')}`,
    `  busiest fields (total ms): ${summary.busiest.map(([field, ms]) => `${field} ${ms}`).join(', ')}`,
    `  failures: ${summary.failures.length}`,
    ...summary.failures
      .slice(0, 30)
      .map(
        (f) =>
          `    #${f.index} ${f.kind} ${f.what} as ${f.viewer}: ${f.problems.join(' | ')}\n      ${f.request}`,
      ),
  ];
  console.log(lines.join('\n'));
}

test(
  `${TOTAL} fuzzed requests: no crash, no internal error, every rejection coded, no partial write`,
  async () => {
    const schema = loadApiSchema();
    const owners = rootFieldOwners();
    const planned = plan({ schema, world, seed: SEED, total: TOTAL, writeCheckRate: 0.05 }).filter(
      (item) => !ONLY || ONLY.includes(item.kind === 'malformed' ? item.raw.index : item.op.index),
    );
    const summary = await run(planned, {
      sg,
      world,
      stores,
      owners,
      seed: SEED,
      concurrency: 6,
      fieldsTotal: owners.size,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    printSummary(summary);

    // Every service still answers, through the gateway and directly.
    expect(await checkHealth(sg, world)).toEqual([]);
    // What the rejected and accepted writes left behind is consistent.
    expect(await checkInvariants(stores, world)).toEqual([]);

    expect(
      summary.failures.map((f) => `seed=${f.seed} #${f.index} ${f.what}: ${f.problems.join(' | ')}`),
    ).toEqual([]);
    if (!ONLY) {
      expect(summary.operations).toBeGreaterThanOrEqual(TOTAL);
      // Every root field was fuzzed at least once.
      expect(summary.fieldsCovered).toBe(summary.fieldsTotal);
      expect(summary.writeChecks).toBeGreaterThan(0);
    }
  },
  30 * 60_000,
);
