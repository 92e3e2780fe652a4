/**
 * The target of the conformance suite: a MongoDB to drive through the official `mongodb` driver.
 *
 * By default each test file starts its own embedded server (`startMongoEmbedded`, random port,
 * replica set `rs0`, fast TTL sweeps) and stops it at the end. With `MONGO_URL` set, the same
 * tests run against that server instead; it must be a MongoDB 7 (or newer) replica set, since the
 * transaction tests need one, and every database the suite creates there is dropped at the end:
 *
 *   MONGO_URL='mongodb://127.0.0.1:27017/?replicaSet=rs0' npm test -- packages/mongo-embedded/test/conformance
 *
 * The suite is written from real MongoDB 7 semantics, not from the embedded implementation: a test
 * that fails here while passing against real MongoDB is a bug in the embedded server.
 */
import { randomBytes } from 'node:crypto';
import {
  MongoClient,
  MongoServerError,
  type Db,
  type Document,
  type MongoClientOptions,
  type ObjectId,
} from 'mongodb';

/** The suite's documents: `_id` may be a number or a string too (the driver's default schema assumes ObjectId). */
export interface Doc extends Document {
  _id?: ObjectId | string | number;
}

export interface Target {
  /** The connection string clients use. */
  readonly uri: string;
  /** True when running against `MONGO_URL` (a real MongoDB) rather than the embedded server. */
  readonly real: boolean;
  /** The replica-set name the server must report, when it is known. */
  readonly expectedSetName: string | undefined;
  /** A client with default options, connected. */
  readonly client: MongoClient;
  /** This file's own fresh database. */
  readonly db: Db;
  readonly dbName: string;
  /** A further fresh database (dropped at the end with the others). */
  otherDb(suffix: string): Db;
  /** Another connected client on the same server (closed at the end). */
  newClient(options?: MongoClientOptions): Promise<MongoClient>;
  close(): Promise<void>;
}

const EMBEDDED_SET_NAME = 'rs0';

/** Opens the target for one test file; `label` (a few letters) goes into the database name. */
export async function openTarget(label: string): Promise<Target> {
  const mongoUrl = process.env.MONGO_URL;
  let uri: string;
  let stopServer: (() => Promise<void>) | undefined;
  let expectedSetName: string | undefined;
  if (mongoUrl) {
    uri = mongoUrl;
    expectedSetName =
      new URL(mongoUrl.replace(/^mongodb(\+srv)?:/, 'http:')).searchParams.get('replicaSet') ?? undefined;
  } else {
    const { startMongoEmbedded } = await import('../../src/index.js');
    const server = await startMongoEmbedded({
      port: 0,
      host: '127.0.0.1',
      ttlSweepIntervalMs: 200,
      replSetName: EMBEDDED_SET_NAME,
    });
    uri = server.uri;
    stopServer = () => server.stop();
    expectedSetName = EMBEDDED_SET_NAME;
  }

  const client = new MongoClient(uri);
  await client.connect();
  const base = `ct_${label}_${randomBytes(4).toString('hex')}`;
  const dbNames = [base];
  const clients: MongoClient[] = [client];

  return {
    uri,
    real: Boolean(mongoUrl),
    expectedSetName,
    client,
    db: client.db(base),
    dbName: base,
    otherDb(suffix) {
      const name = `${base}_${suffix}`;
      dbNames.push(name);
      return client.db(name);
    },
    async newClient(options) {
      const other = new MongoClient(uri, options);
      await other.connect();
      clients.push(other);
      return other;
    },
    async close() {
      try {
        if (mongoUrl) {
          for (const name of dbNames) await client.db(name).dropDatabase();
        }
      } finally {
        for (const c of clients) await c.close();
        await stopServer?.();
      }
    },
  };
}

/** Runs `op`, which must fail with a server error, and returns that error. */
export async function serverError(op: Promise<unknown>): Promise<MongoServerError> {
  try {
    await op;
  } catch (error) {
    if (error instanceof MongoServerError) return error;
    throw error;
  }
  throw new Error('expected the operation to fail with a MongoServerError, but it succeeded');
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
