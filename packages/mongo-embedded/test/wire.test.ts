// Wire protocol framing, unit-level and against a live server over a raw socket.
import { serialize } from 'bson';
import { startMongoEmbedded, type MongoEmbedded } from '../src/index.js';
import {
  crc32c,
  encodeMsg,
  encodeMsgRequest,
  encodeReply,
  FLAG_CHECKSUM_PRESENT,
  FLAG_MORE_TO_COME,
  MessageFramer,
  OP_MSG,
  OP_QUERY,
  OP_REPLY,
  parseMessage,
  parseReply,
  ProtocolError,
} from '../src/wire.js';
import { RawConnection } from './helpers.js';

function opQuery(requestId: number, ns: string, query: object): Buffer {
  const nsBuf = Buffer.from(`${ns}\0`, 'utf8');
  const body = serialize(query);
  const head = Buffer.alloc(16 + 4);
  const tail = Buffer.alloc(8);
  tail.writeInt32LE(0, 0);
  tail.writeInt32LE(-1, 4);
  const length = head.length + nsBuf.length + tail.length + body.length;
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(OP_QUERY, 12);
  head.writeInt32LE(0, 16);
  return Buffer.concat([head, nsBuf, tail, body]);
}

describe('framing', () => {
  test('the framer reassembles messages split across chunks and splits coalesced ones', () => {
    const a = encodeMsgRequest(1, { ping: 1, $db: 'admin' });
    const b = encodeMsgRequest(2, { hello: 1, $db: 'admin' });
    const all = Buffer.concat([a, b]);
    const framer = new MessageFramer();
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += 7) out.push(...framer.push(all.subarray(i, i + 7)));
    expect(out).toHaveLength(2);
    expect(out[0]?.equals(a)).toBe(true);
    expect(out[1]?.equals(b)).toBe(true);
  });

  test('an impossible message length is a protocol error', () => {
    const bad = Buffer.alloc(16);
    bad.writeInt32LE(3, 0);
    expect(() => new MessageFramer().push(bad)).toThrow(ProtocolError);
  });

  test('OP_MSG document sequences are merged into the command under their identifier', () => {
    const message = encodeMsgRequest(
      7,
      { insert: 'c', $db: 'd' },
      { sequences: { documents: [{ a: 1 }, { a: 2 }, { a: 3 }] }, flags: FLAG_MORE_TO_COME },
    );
    const parsed = parseMessage(message);
    expect(parsed.kind).toBe('msg');
    if (parsed.kind !== 'msg') return;
    expect(parsed.requestId).toBe(7);
    expect(parsed.moreToCome).toBe(true);
    expect(parsed.command).toEqual({ insert: 'c', $db: 'd', documents: [{ a: 1 }, { a: 2 }, { a: 3 }] });
  });

  test('a CRC-32C trailer is stripped, not parsed as a section', () => {
    const message = encodeMsgRequest(3, { ping: 1, $db: 'admin' }, { checksum: true });
    expect(message.readUInt32LE(16) & FLAG_CHECKSUM_PRESENT).toBe(FLAG_CHECKSUM_PRESENT);
    expect(message.readUInt32LE(message.length - 4)).toBe(crc32c(message.subarray(0, message.length - 4)));
    const parsed = parseMessage(message);
    expect(parsed.kind === 'msg' && parsed.command).toEqual({ ping: 1, $db: 'admin' });
  });

  test('crc32c matches the published check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test('OP_QUERY requests and OP_REPLY / OP_MSG replies round-trip', () => {
    const parsed = parseMessage(opQuery(9, 'admin.$cmd', { isMaster: 1 }));
    expect(parsed.kind).toBe('query');
    if (parsed.kind === 'query') {
      expect(parsed.fullCollectionName).toBe('admin.$cmd');
      expect(parsed.numberToReturn).toBe(-1);
      expect(parsed.query).toEqual({ isMaster: 1 });
    }
    const reply = parseReply(encodeReply(10, 9, [{ ok: 1, ismaster: true }]));
    expect(reply).toEqual({ opCode: OP_REPLY, flags: 0, responseTo: 9, doc: { ok: 1, ismaster: true } });
    const msg = parseReply(encodeMsg(11, 9, { ok: 1 }, FLAG_MORE_TO_COME | FLAG_CHECKSUM_PRESENT));
    expect(msg.opCode).toBe(OP_MSG);
    expect(msg.flags).toBe(FLAG_MORE_TO_COME);
  });
});

describe('a live server', () => {
  let server: MongoEmbedded;
  let conn: RawConnection;

  beforeAll(async () => {
    server = await startMongoEmbedded();
  });

  beforeEach(async () => {
    conn = await RawConnection.open(server.port);
  });

  afterEach(() => conn.close());

  afterAll(async () => {
    await server.stop();
  });

  test('answers the legacy OP_QUERY handshake with an OP_REPLY', async () => {
    conn.send(opQuery(41, 'admin.$cmd', { $query: { isMaster: 1, helloOk: true } }));
    const reply = await conn.next();
    expect(reply?.opCode).toBe(OP_REPLY);
    expect(reply?.responseTo).toBe(41);
    expect(reply?.doc).toMatchObject({
      ok: 1,
      ismaster: true,
      helloOk: true,
      setName: 'rs0',
      maxWireVersion: 21,
    });
    expect(reply?.doc.hosts).toEqual([`127.0.0.1:${server.port}`]);
  });

  test('moreToCome requests get no reply, but are executed in order', async () => {
    conn.send(
      encodeMsgRequest(
        1,
        { insert: 'w0', $db: 'wire', writeConcern: { w: 0 } },
        { flags: FLAG_MORE_TO_COME, sequences: { documents: [{ _id: 1 }, { _id: 2 }] } },
      ),
    );
    conn.send(encodeMsgRequest(2, { count: 'w0', $db: 'wire' }));
    const reply = await conn.next();
    expect(reply?.responseTo).toBe(2);
    expect(reply?.doc).toMatchObject({ n: 2, ok: 1 });
    expect(await conn.next(200)).toBeUndefined();
  });

  test('a request carrying a checksum is answered without one', async () => {
    conn.send(encodeMsgRequest(5, { ping: 1, $db: 'admin' }, { checksum: true }));
    const reply = await conn.next();
    expect(reply?.opCode).toBe(OP_MSG);
    expect((reply?.flags ?? -1) & FLAG_CHECKSUM_PRESENT).toBe(0);
    expect(reply?.doc.ok).toBe(1);
    expect(reply?.doc.$clusterTime).toBeDefined();
  });

  test('unknown commands and missing $db are errors, not disconnects', async () => {
    conn.send(encodeMsgRequest(6, { frobnicate: 1, $db: 'admin' }));
    expect((await conn.next())?.doc).toMatchObject({ ok: 0, code: 59, codeName: 'CommandNotFound' });
    conn.send(encodeMsgRequest(7, { ping: 1 }));
    expect((await conn.next())?.doc).toMatchObject({ ok: 0, code: 9 });
  });

  test('an unsupported opcode (OP_COMPRESSED) closes the connection', async () => {
    const msg = Buffer.alloc(16);
    msg.writeInt32LE(16, 0);
    msg.writeInt32LE(1, 4);
    msg.writeInt32LE(2012, 12);
    conn.send(msg);
    expect(await conn.next(1000)).toBeUndefined();
    expect(conn.closed).toBe(true);
  });
});
