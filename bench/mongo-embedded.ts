/**
 * Throughput of the embedded MongoDB-compatible server through the official `mongodb` driver:
 * inserts (one at a time and in batches of 1000), finds by a unique indexed field on a
 * 10k-document collection and, for contrast, finds by an unindexed field on the same collection.
 *
 *   npx tsx --conditions=development bench/mongo-embedded.ts [--full] [--write]
 *
 * `--full` measures longer; `--write` replaces this benchmark's section of docs/BENCHMARKS.md.
 * With MONGO_URL set, the same measurements run against that server instead.
 */
import { performance } from 'node:perf_hooks';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { publishSection, runIfScript, type BenchOptions } from './report.js';

const SECTION = 'mongo-embedded';
const COLLECTION_SIZE = 10_000;

interface Result {
  name: string;
  ops: number;
  seconds: number;
}

/** Repeats `op` (which does `unit` operations) until `ms` have passed; returns operations done. */
async function measure(
  name: string,
  ms: number,
  unit: number,
  op: (i: number) => Promise<unknown>,
): Promise<Result> {
  const warmUntil = performance.now() + Math.max(300, ms / 10);
  for (let i = 0; performance.now() < warmUntil; i++) await op(-1 - i); // warm-up (JIT, caches)
  let ops = 0;
  let i = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    await op(i++);
    ops += unit;
    elapsed = performance.now() - start;
  }
  return { name, ops, seconds: elapsed / 1000 };
}

function table(results: Result[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${Math.round(r.ops / r.seconds).toLocaleString('en-US')} | ${r.ops} | ${r.seconds.toFixed(1)} |`,
  );
  return ['| operation | ops/s | operations | seconds |', '| --- | ---: | ---: | ---: |', ...rows].join('\n');
}

export async function runMongoEmbeddedBench(options: BenchOptions): Promise<string> {
  const mongoUrl = process.env.MONGO_URL;
  let uri: string;
  let stop: (() => Promise<void>) | undefined;
  if (mongoUrl) {
    uri = mongoUrl;
  } else {
    const { startMongoEmbedded } = await import('../packages/mongo-embedded/src/index.js');
    const server = await startMongoEmbedded({ port: 0, host: '127.0.0.1' });
    uri = server.uri;
    stop = () => server.stop();
  }
  const ms = options.full ? 10_000 : 2_000;
  const client = new MongoClient(uri);
  const db = client.db(`bench_mongo_embedded_${process.pid}`);
  const results: Result[] = [];
  try {
    await client.connect();

    const single = db.collection('insert_one');
    results.push(
      await measure('insertOne (one document per call)', ms, 1, (i) =>
        single.insertOne({ i, s: 'x'.repeat(32) }),
      ),
    );

    const batched = db.collection('insert_many');
    results.push(
      await measure('insertMany (batches of 1000), documents', ms, 1000, (i) =>
        batched.insertMany(Array.from({ length: 1000 }, (_, j) => ({ i, j, s: 'x'.repeat(32) }))),
      ),
    );

    const users: Collection<Document> = db.collection('users');
    for (let i = 0; i < COLLECTION_SIZE; i += 1000) {
      await users.insertMany(
        Array.from({ length: 1000 }, (_, j) => ({
          email: `user${i + j}@example.com`,
          code: `c${i + j}`,
          n: i + j,
        })),
      );
    }
    await users.createIndex({ email: 1 }, { unique: true });
    const pick = (i: number) => (Math.abs(i) * 7919) % COLLECTION_SIZE;
    results.push(
      await measure(`findOne by unique indexed field (${COLLECTION_SIZE / 1000}k docs)`, ms, 1, async (i) => {
        const n = pick(i);
        const doc = await users.findOne({ email: `user${n}@example.com` });
        if (doc?.n !== n) throw new Error(`indexed find returned ${JSON.stringify(doc)} for ${n}`);
      }),
    );
    results.push(
      await measure(`findOne by unindexed field (${COLLECTION_SIZE / 1000}k docs)`, ms, 1, async (i) => {
        const n = pick(i);
        const doc = await users.findOne({ code: `c${n}` });
        if (doc?.n !== n) throw new Error(`unindexed find returned ${JSON.stringify(doc)} for ${n}`);
      }),
    );
  } finally {
    if (mongoUrl) await db.dropDatabase().catch(() => undefined);
    await client.close();
    await stop?.();
  }

  const target = mongoUrl ? 'the MongoDB at `MONGO_URL`' : 'the embedded server (in the same process)';
  const report = table(results);
  await publishSection(SECTION, report, options, [
    `Official \`mongodb\` driver (default options, one client, one operation in flight) against ${target};`,
    `${options.full ? 10 : 2} s per row after a warm-up of ${options.full ? 1 : 0.3} s.`,
  ]);
  return report;
}

await runIfScript(import.meta.url, 'bench/mongo-embedded.ts', runMongoEmbeddedBench);
