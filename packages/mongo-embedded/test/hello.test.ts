// The handshake as the driver's monitor uses it: awaitable and exhaust hello, and connection URIs.
import { MongoClient } from 'mongodb';
import { startMongoEmbedded, type MongoEmbedded } from '../src/index.js';
import { encodeMsgRequest, FLAG_EXHAUST_ALLOWED, FLAG_MORE_TO_COME } from '../src/wire.js';
import { RawConnection } from './helpers.js';

let server: MongoEmbedded;

beforeAll(async () => {
  server = await startMongoEmbedded({ replSetName: 'devset' });
});

afterAll(async () => {
  await server.stop();
});

async function topologyVersion(conn: RawConnection): Promise<unknown> {
  conn.send(encodeMsgRequest(1, { hello: 1, $db: 'admin' }));
  const reply = await conn.next();
  expect(reply?.doc.isWritablePrimary).toBe(true);
  return reply?.doc.topologyVersion;
}

test('an awaitable hello is answered after maxAwaitTimeMS, not at once', async () => {
  const conn = await RawConnection.open(server.port);
  try {
    const tv = await topologyVersion(conn);
    const started = Date.now();
    conn.send(encodeMsgRequest(2, { hello: 1, $db: 'admin', topologyVersion: tv, maxAwaitTimeMS: 300 }));
    const reply = await conn.next(3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(reply?.responseTo).toBe(2);
    expect((reply?.flags ?? -1) & FLAG_MORE_TO_COME).toBe(0);
  } finally {
    conn.close();
  }
});

test('with exhaustAllowed the server streams hello replies flagged moreToCome', async () => {
  const conn = await RawConnection.open(server.port);
  try {
    const tv = await topologyVersion(conn);
    conn.send(
      encodeMsgRequest(
        3,
        { hello: 1, $db: 'admin', topologyVersion: tv, maxAwaitTimeMS: 100 },
        { flags: FLAG_EXHAUST_ALLOWED },
      ),
    );
    const first = await conn.next(2000);
    const second = await conn.next(2000);
    expect((first?.flags ?? -1) & FLAG_MORE_TO_COME).toBe(FLAG_MORE_TO_COME);
    expect((second?.flags ?? -1) & FLAG_MORE_TO_COME).toBe(FLAG_MORE_TO_COME);
    expect(first?.responseTo).toBe(3);
    expect(second?.doc.isWritablePrimary).toBe(true);
  } finally {
    conn.close();
  }
});

test('stop() ends pending awaitable hellos instead of waiting for them', async () => {
  const other = await startMongoEmbedded();
  const conn = await RawConnection.open(other.port);
  conn.send(encodeMsgRequest(1, { hello: 1, $db: 'admin' }));
  const tv = (await conn.next())?.doc.topologyVersion;
  conn.send(encodeMsgRequest(2, { hello: 1, $db: 'admin', topologyVersion: tv, maxAwaitTimeMS: 30_000 }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await other.stop();
  expect(Date.now() - started).toBeLessThan(2000);
  expect(await conn.next(500)).toBeUndefined();
  expect(conn.closed).toBe(true);
});

test.each([
  ['the returned uri', () => server.uri],
  ['a bare host:port', () => `mongodb://127.0.0.1:${server.port}`],
  ['a direct connection', () => `mongodb://127.0.0.1:${server.port}/?directConnection=true`],
  ['localhost', () => `mongodb://localhost:${server.port}/app`],
])('the driver connects with %s and default options', async (_label, uri) => {
  const client = new MongoClient(uri(), { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    const coll = client.db('app').collection('things');
    await coll.insertOne({ via: uri() });
    expect(await coll.countDocuments({ via: uri() })).toBe(1);
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.setName).toBe('devset');
    expect(hello.me).toBe(`127.0.0.1:${server.port}`);
  } finally {
    await client.close();
  }
});

test('the uri names the replica set and the bound address', () => {
  expect(server.uri).toBe(`mongodb://127.0.0.1:${server.port}/?replicaSet=devset`);
  expect(server.host).toBe('127.0.0.1');
  expect(server.port).toBeGreaterThan(0);
});
