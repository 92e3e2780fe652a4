// Handshake, administrative commands and command-level errors, through the official driver.
import type { Db, Document } from 'mongodb';
import { openTarget, type Doc, serverError, type Target } from './target.js';

let t: Target;
let db: Db;

beforeAll(async () => {
  t = await openTarget('admin');
  db = t.db;
  await db.collection<Doc>('seed').insertOne({ _id: 1, seeded: true });
});

afterAll(async () => {
  await t?.close();
});

describe('handshake', () => {
  test('hello describes a writable replica-set primary', async () => {
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.ok).toBe(1);
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.secondary).toBe(false);
    expect(typeof hello.setName).toBe('string');
    expect(hello.setName.length).toBeGreaterThan(0);
    if (t.expectedSetName !== undefined) expect(hello.setName).toBe(t.expectedSetName);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(21);
    expect(hello.minWireVersion).toBe(0);
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(hello.maxMessageSizeBytes).toBe(48_000_000);
    expect(hello.maxWriteBatchSize).toBe(100_000);
    expect(hello.logicalSessionTimeoutMinutes).toBe(30);
    expect(hello.readOnly).toBe(false);
    expect(hello.localTime).toBeInstanceOf(Date);
    expect(Math.abs(hello.localTime.getTime() - Date.now())).toBeLessThan(60_000);
    expect(typeof hello.connectionId).toBe('number');
    expect(typeof hello.me).toBe('string');
    expect(hello.hosts).toContain(hello.me);
    expect(hello.primary).toBe(hello.me);
  });

  test('the legacy isMaster answers ismaster: true for the same primary', async () => {
    const isMaster = await db.admin().command({ isMaster: 1 });
    expect(isMaster.ok).toBe(1);
    expect(isMaster.ismaster).toBe(true);
    expect(isMaster.secondary).toBe(false);
    expect(isMaster.setName).toBe((await db.admin().command({ hello: 1 })).setName);
    expect(isMaster.maxWireVersion).toBeGreaterThanOrEqual(21);
  });

  test('ping answers ok: 1 on any database', async () => {
    expect((await db.admin().command({ ping: 1 })).ok).toBe(1);
    expect((await db.command({ ping: 1 })).ok).toBe(1);
  });

  test('buildInfo reports a 7.x-or-newer version consistently', async () => {
    const info = await db.admin().command({ buildInfo: 1 });
    expect(info.ok).toBe(1);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Array.isArray(info.versionArray)).toBe(true);
    expect(info.versionArray).toHaveLength(4);
    expect(info.version.startsWith(info.versionArray.slice(0, 3).join('.'))).toBe(true);
    expect(info.versionArray[0]).toBeGreaterThanOrEqual(7);
    expect(info.bits).toBe(64);
    expect(info.maxBsonObjectSize).toBe(16 * 1024 * 1024);
  });

  test('getParameter returns the feature compatibility version', async () => {
    const res = await db.admin().command({ getParameter: 1, featureCompatibilityVersion: 1 });
    expect(res.ok).toBe(1);
    expect(res.featureCompatibilityVersion.version).toMatch(/^\d+\.\d+$/);
    expect(Number.parseFloat(res.featureCompatibilityVersion.version)).toBeGreaterThanOrEqual(7);
  });

  test('hostInfo describes the machine', async () => {
    const info = await db.admin().command({ hostInfo: 1 });
    expect(info.ok).toBe(1);
    expect(info.system.currentTime).toBeInstanceOf(Date);
    expect(typeof info.system.hostname).toBe('string');
    expect(info.system.hostname.length).toBeGreaterThan(0);
    expect(Number.isInteger(info.system.numCores)).toBe(true);
    expect(info.system.numCores).toBeGreaterThanOrEqual(1);
    expect(info.system.memSizeMB).toBeGreaterThan(0);
    expect(typeof info.os.type).toBe('string');
  });
});

describe('databases and collections', () => {
  test('listDatabases includes this database, with filter and nameOnly', async () => {
    const all = await db.admin().listDatabases();
    expect(all.ok).toBe(1);
    expect(typeof all.totalSize).toBe('number');
    const mine = all.databases.find((d) => d.name === t.dbName);
    expect(mine).toBeDefined();
    expect(mine?.empty).toBe(false);
    expect(typeof mine?.sizeOnDisk).toBe('number');

    const filtered = await db
      .admin()
      .command({ listDatabases: 1, nameOnly: true, filter: { name: t.dbName } });
    expect(filtered.databases).toEqual([{ name: t.dbName }]);
  });

  test('listCollections lists with nameOnly, filters by name, regex and options', async () => {
    const other = t.otherDb('lc');
    const validator = { $jsonSchema: { bsonType: 'object', required: ['name'] } };
    await other.createCollection('alpha');
    await other.createCollection('beta', { validator });
    await other.collection<Doc>('gamma').insertOne({ x: 1 });

    const names = await other.listCollections({}, { nameOnly: true }).toArray();
    expect([...names].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'alpha', type: 'collection' },
      { name: 'beta', type: 'collection' },
      { name: 'gamma', type: 'collection' },
    ]);

    const [beta, ...rest] = await other.listCollections({ name: 'beta' }).toArray();
    expect(rest).toEqual([]);
    expect(beta?.name).toBe('beta');
    expect(beta?.type).toBe('collection');
    expect((beta as Document | undefined)?.options.validator).toEqual(validator);
    expect((beta as Document | undefined)?.info.readOnly).toBe(false);
    expect((beta as Document | undefined)?.idIndex).toEqual({ v: 2, key: { _id: 1 }, name: '_id_' });

    const byRegex = await other.listCollections({ name: /^a/ }, { nameOnly: true }).toArray();
    expect(byRegex.map((c) => c.name)).toEqual(['alpha']);
    const withValidator = await other.listCollections({ 'options.validator': { $exists: true } }).toArray();
    expect(withValidator.map((c) => c.name)).toEqual(['beta']);
    expect(await other.listCollections({ name: 'nope' }).toArray()).toEqual([]);
  });

  test('create is idempotent with identical options and fails with 48 when they differ', async () => {
    const validator = { qty: { $gte: 0 } };
    await db.createCollection('created', { validator });
    await db.createCollection('created', { validator });
    const err = await serverError(db.createCollection('created', { validator: { qty: { $gte: 1 } } }));
    expect(err.code).toBe(48);
    expect(err.codeName).toBe('NamespaceExists');
  });

  test('create with a validator enforces it; collMod replaces it', async () => {
    await db.createCollection('modded', { validator: { qty: { $gte: 0 } } });
    const coll = db.collection<Doc>('modded');
    expect((await serverError(coll.insertOne({ qty: -1 }))).code).toBe(121);
    await coll.insertOne({ qty: 5 });

    const res = await db.command({ collMod: 'modded', validator: { qty: { $gte: 10 } } });
    expect(res.ok).toBe(1);
    const [info] = await db.listCollections({ name: 'modded' }).toArray();
    expect((info as Document | undefined)?.options.validator).toEqual({ qty: { $gte: 10 } });
    expect((await serverError(coll.insertOne({ qty: 5 }))).code).toBe(121);
    await coll.insertOne({ qty: 10 });
    expect(await coll.countDocuments()).toBe(2);
  });

  test('collMod on a missing collection fails with NamespaceNotFound (26)', async () => {
    const err = await serverError(db.command({ collMod: 'missing_coll', validator: {} }));
    expect(err.code).toBe(26);
  });

  test('drop removes a collection and its documents', async () => {
    await db.collection<Doc>('doomed').insertMany([{ a: 1 }, { a: 2 }]);
    expect(await db.collection<Doc>('doomed').drop()).toBe(true);
    expect(await db.listCollections({ name: 'doomed' }).toArray()).toEqual([]);
    expect(await db.collection<Doc>('doomed').countDocuments()).toBe(0);
  });

  test('dropDatabase removes the database and all its collections', async () => {
    const other = t.otherDb('dd');
    await other.collection<Doc>('x').insertOne({ a: 1 });
    await other.collection<Doc>('y').insertOne({ b: 1 });
    const listed = await db
      .admin()
      .command({ listDatabases: 1, nameOnly: true, filter: { name: other.databaseName } });
    expect(listed.databases).toEqual([{ name: other.databaseName }]);

    expect(await other.dropDatabase()).toBe(true);
    const after = await db
      .admin()
      .command({ listDatabases: 1, nameOnly: true, filter: { name: other.databaseName } });
    expect(after.databases).toEqual([]);
    expect(await other.listCollections().toArray()).toEqual([]);
    expect(await other.collection<Doc>('x').countDocuments()).toBe(0);
  });
});

describe('sessions', () => {
  test('endSessions accepts the ids of ended sessions; a client closes cleanly after using sessions', async () => {
    const session = t.client.startSession();
    expect(await db.collection<Doc>('seed').findOne({ _id: 1 }, { session })).toEqual({
      _id: 1,
      seeded: true,
    });
    const id = session.id;
    expect(id).toBeDefined();
    await session.endSession();
    const res = await db.admin().command({ endSessions: [id] });
    expect(res.ok).toBe(1);

    // client.close() sends endSessions for its pooled sessions.
    const other = await t.newClient();
    const s2 = other.startSession();
    await other.db(t.dbName).collection<Doc>('seed').findOne({}, { session: s2 });
    await s2.endSession();
    await other.close();
    expect(await db.collection<Doc>('seed').countDocuments()).toBe(1);
  });

  test('killAllSessions answers ok', async () => {
    const res = await db.admin().command({ killAllSessions: [] });
    expect(res.ok).toBe(1);
    expect(await db.collection<Doc>('seed').countDocuments()).toBe(1);
  });
});

describe('errors', () => {
  test('an unknown command fails with CommandNotFound (59)', async () => {
    const err = await serverError(db.command({ noSuchCommandAtAll: 1 }));
    expect(err.code).toBe(59);
    expect(err.codeName).toBe('CommandNotFound');
  });

  test('an invalid collection name fails with InvalidNamespace (73)', async () => {
    const insertErr = await serverError(db.collection<Doc>('bad$name').insertOne({ a: 1 }));
    expect(insertErr.code).toBe(73);
    const createErr = await serverError(db.createCollection('also$bad'));
    expect(createErr.code).toBe(73);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).not.toContain('bad$name');
    expect(names).not.toContain('also$bad');
  });
});
