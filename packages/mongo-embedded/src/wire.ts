/**
 * MongoDB wire protocol framing: OP_MSG (body and document-sequence sections, moreToCome,
 * exhaustAllowed, an optional CRC-32C trailer which is stripped, not verified) and the legacy
 * OP_QUERY / OP_REPLY pair drivers may still use for the first handshake.
 */
import { deserialize, serialize, type DeserializeOptions } from 'bson';
import type { Doc } from './values.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const FLAG_CHECKSUM_PRESENT = 1;
export const FLAG_MORE_TO_COME = 2;
export const FLAG_EXHAUST_ALLOWED = 1 << 16;

const HEADER_SIZE = 16;
export const MAX_MESSAGE_SIZE = 48_000_000;

/**
 * int64 values stay `Long` so they round-trip as int64; int32 and double become JS numbers
 * (which is also what the driver hands to applications).
 */
export const DESERIALIZE_OPTIONS: DeserializeOptions = {
  promoteLongs: false,
  promoteValues: true,
  promoteBuffers: false,
  bsonRegExp: false,
};

export interface MsgRequest {
  readonly kind: 'msg';
  readonly requestId: number;
  readonly flags: number;
  readonly command: Doc;
  readonly moreToCome: boolean;
  readonly exhaustAllowed: boolean;
}

export interface QueryRequest {
  readonly kind: 'query';
  readonly requestId: number;
  readonly flags: number;
  readonly fullCollectionName: string;
  readonly numberToSkip: number;
  readonly numberToReturn: number;
  readonly query: Doc;
  readonly fields: Doc | undefined;
}

export interface UnsupportedRequest {
  readonly kind: 'unsupported';
  readonly requestId: number;
  readonly opCode: number;
}

export type Request = MsgRequest | QueryRequest | UnsupportedRequest;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Cuts a byte stream into whole messages; keeps the partial tail for the next chunk. */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        throw new ProtocolError(`invalid message length ${length}`);
      }
      if (this.buffered < length) break;
      messages.push(this.take(length));
    }
    return messages;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    this.chunks = [Buffer.concat(this.chunks)];
    return (this.chunks[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    let first = this.chunks[0] as Buffer;
    if (first.length < n) {
      this.chunks = [Buffer.concat(this.chunks)];
      first = this.chunks[0] as Buffer;
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

function readDocument(buf: Buffer, offset: number, limit: number): [Doc, number] {
  if (offset + 4 > limit) throw new ProtocolError('truncated document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > limit) throw new ProtocolError('invalid document size');
  const doc = deserialize(buf.subarray(offset, offset + size), DESERIALIZE_OPTIONS) as Doc;
  return [doc, offset + size];
}

/** Parses one whole message (header included). */
export function parseMessage(message: Buffer): Request {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(message, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(message, requestId);
  return { kind: 'unsupported', requestId, opCode };
}

function parseOpMsg(message: Buffer, requestId: number): MsgRequest {
  const flags = message.readUInt32LE(HEADER_SIZE);
  // Checksums are optional for the receiver to verify; the trailer is simply not part of a section.
  const end = flags & FLAG_CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let offset = HEADER_SIZE + 4;
  let body: Doc | undefined;
  const sequences: [string, Doc[]][] = [];
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG with more than one body section');
      [body, offset] = readDocument(message, offset, end);
    } else if (kind === 1) {
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError('invalid document sequence size');
      const [identifier, afterName] = readCString(message, offset + 4);
      let cursor = afterName;
      const docs: Doc[] = [];
      while (cursor < sectionEnd) {
        let doc: Doc;
        [doc, cursor] = readDocument(message, cursor, sectionEnd);
        docs.push(doc);
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, docs] of sequences) {
    const existing = body[identifier];
    body[identifier] = Array.isArray(existing) ? [...(existing as Doc[]), ...docs] : docs;
  }
  return {
    kind: 'msg',
    requestId,
    flags,
    command: body,
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
    exhaustAllowed: (flags & FLAG_EXHAUST_ALLOWED) !== 0,
  };
}

function parseOpQuery(message: Buffer, requestId: number): QueryRequest {
  const flags = message.readInt32LE(HEADER_SIZE);
  const [fullCollectionName, afterName] = readCString(message, HEADER_SIZE + 4);
  const numberToSkip = message.readInt32LE(afterName);
  const numberToReturn = message.readInt32LE(afterName + 4);
  const [query, offset] = readDocument(message, afterName + 8, message.length);
  let fields: Doc | undefined;
  if (offset < message.length) [fields] = readDocument(message, offset, message.length);
  return { kind: 'query', requestId, flags, fullCollectionName, numberToSkip, numberToReturn, query, fields };
}

export function serializeDocument(doc: Doc): Buffer {
  // bson serialises into its internal buffer and copies out the exact size: one walk, where
  // sizing first (`calculateObjectSize`) would be a second.
  const bytes = serialize(doc, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(requestId, 4);
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** An OP_MSG with one body section. The checksum flag is never set on replies. */
export function encodeMsg(requestId: number, responseTo: number, doc: Doc, flags = 0): Buffer {
  const body = serializeDocument(doc);
  const length = HEADER_SIZE + 4 + 1 + body.length;
  const head = Buffer.alloc(HEADER_SIZE + 4 + 1);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(OP_MSG, 12);
  head.writeUInt32LE(flags & ~FLAG_CHECKSUM_PRESENT, HEADER_SIZE);
  head.writeUInt8(0, HEADER_SIZE + 4);
  return Buffer.concat([head, body], length);
}

/** An OP_MSG request (tests use it to talk to the server without a driver). */
export function encodeMsgRequest(
  requestId: number,
  body: Doc,
  options: { flags?: number; sequences?: Record<string, Doc[]>; checksum?: boolean } = {},
): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), serializeDocument(body)];
  for (const [identifier, docs] of Object.entries(options.sequences ?? {})) {
    const serialized = docs.map(serializeDocument);
    const name = Buffer.from(`${identifier}\0`, 'utf8');
    const size = 4 + name.length + serialized.reduce((n, b) => n + b.length, 0);
    const sizeBuf = Buffer.alloc(4);
    sizeBuf.writeInt32LE(size, 0);
    parts.push(Buffer.from([1]), sizeBuf, name, ...serialized);
  }
  let flags = options.flags ?? 0;
  if (options.checksum) flags |= FLAG_CHECKSUM_PRESENT;
  const flagBuf = Buffer.alloc(4);
  flagBuf.writeUInt32LE(flags >>> 0, 0);
  const trailer = options.checksum ? [Buffer.alloc(4)] : [];
  const payload = Buffer.concat([flagBuf, ...parts, ...trailer]);
  const length = HEADER_SIZE + payload.length;
  const out = Buffer.concat([header(length, requestId, 0, OP_MSG), payload], length);
  if (options.checksum) out.writeUInt32LE(crc32c(out.subarray(0, length - 4)), length - 4);
  return out;
}

/** An OP_REPLY carrying `docs` (the legacy handshake reply has exactly one). */
export function encodeReply(requestId: number, responseTo: number, docs: Doc[], responseFlags = 0): Buffer {
  const bodies = docs.map(serializeDocument);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(responseFlags, 0);
  fixed.writeBigInt64LE(0n, 4);
  fixed.writeInt32LE(0, 12);
  fixed.writeInt32LE(docs.length, 16);
  const length = HEADER_SIZE + fixed.length + bodies.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fixed, ...bodies], length);
}

/** Parses a reply (OP_MSG or OP_REPLY) into its first document; for tests and tools. */
export function parseReply(message: Buffer): { opCode: number; flags: number; responseTo: number; doc: Doc } {
  const opCode = message.readInt32LE(12);
  const responseTo = message.readInt32LE(8);
  if (opCode === OP_MSG) {
    const parsed = parseOpMsg(message, 0);
    return { opCode, flags: parsed.flags, responseTo, doc: parsed.command };
  }
  if (opCode === OP_REPLY) {
    const flags = message.readInt32LE(HEADER_SIZE);
    const [doc] = readDocument(message, HEADER_SIZE + 20, message.length);
    return { opCode, flags, responseTo, doc };
  }
  throw new ProtocolError(`unexpected reply opCode ${opCode}`);
}

let crcTable: Uint32Array | undefined;

/** CRC-32C (Castagnoli), the checksum OP_MSG uses. */
export function crc32c(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (crcTable[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
