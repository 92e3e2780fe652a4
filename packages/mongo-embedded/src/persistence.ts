/**
 * Optional persistence to a directory: `snapshot.bson` (the whole state) plus `oplog.bson`, an
 * append-only log of committed changes since that snapshot, replayed at start. Both are streams of
 * BSON documents. Every record sets state (put / delete / create / drop ...), so replaying a
 * record twice is harmless. Durability is by group commit: the wire server holds a write's reply
 * until {@link Persistence.whenDurable} says its records are written and fsynced; records
 * appended while one batch is being synced go out together in the next one (one fsync for all the
 * writes of that interval), so an acknowledged write survives a crash (SIGKILL, power loss) and
 * concurrent writers share the cost of the fsync. Records no reply waits for (TTL deletions) are
 * written every `flushIntervalMs`. A torn final record after a crash is ignored. When the log grows past
 * `compactBytes` a new snapshot is written (to a temporary file, then renamed) and the log
 * restarts; the log's header generation must match the snapshot's, so a log left over from
 * before a compaction is never replayed onto the newer snapshot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { deserialize, UUID } from 'bson';
import type { Collection } from './collection.js';
import type { Engine, EngineRecord } from './engine.js';
import type { IndexSpec } from './indexes.js';
import type { Logger } from './logger.js';
import type { Doc } from './values.js';
import { DESERIALIZE_OPTIONS, serializeDocument } from './wire.js';

const SNAPSHOT = 'snapshot.bson';
const LOG = 'oplog.bson';
const LOCK = 'mongod.lock';

export interface PersistenceOptions {
  readonly flushIntervalMs?: number;
  readonly compactBytes?: number;
}

function encode(record: EngineRecord): Doc {
  switch (record.op) {
    case 'put':
      return { o: 'p', ns: record.ns, d: record.doc };
    case 'del':
      return { o: 'd', ns: record.ns, id: record.id };
    case 'create':
      return { o: 'c', ns: record.ns, uuid: record.uuid, options: record.options };
    case 'drop':
      return { o: 'x', ns: record.ns };
    case 'dropDatabase':
      return { o: 'X', db: record.db };
    case 'createIndex':
      return { o: 'i', ns: record.ns, spec: record.spec };
    case 'dropIndex':
      return { o: 'j', ns: record.ns, name: record.name };
    case 'collMod':
      return { o: 'm', ns: record.ns, options: record.options };
    case 'rename':
      return { o: 'r', from: record.from, to: record.to };
  }
}

function split(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

/** Reads BSON documents until the end or the first incomplete one; returns them and the good length. */
function readStream(buf: Buffer): { docs: Doc[]; goodBytes: number } {
  const docs: Doc[] = [];
  let offset = 0;
  while (offset + 4 <= buf.length) {
    const size = buf.readInt32LE(offset);
    if (size < 5 || offset + size > buf.length) break;
    try {
      docs.push(deserialize(buf.subarray(offset, offset + size), DESERIALIZE_OPTIONS) as Doc);
    } catch {
      break;
    }
    offset += size;
  }
  return { docs, goodBytes: offset };
}

export class Persistence {
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly flushIntervalMs: number;
  private readonly compactBytes: number;
  private generation = 0;
  private fd: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private logBytes = 0;
  /** Records appended so far, and how many of them are on disk (written and fsynced). */
  private appendedSeq = 0;
  private durableSeq = 0;
  /** The batch being written and fsynced, if any. */
  private syncing: Promise<void> | undefined;
  private readonly waiters: Array<{ seq: number; resolve(): void; reject(error: Error): void }> = [];
  /** Set when the log could not be written: every later write fails instead of being acknowledged. */
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private engine: Engine | undefined;
  private lockPath: string | undefined;

  constructor(dir: string, logger: Logger, options: PersistenceOptions = {}) {
    this.dir = dir;
    this.logger = logger;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.compactBytes = options.compactBytes ?? 64 * 1024 * 1024;
  }

  /** Loads the saved state into `engine` and starts recording its changes. */
  open(engine: Engine): void {
    fs.mkdirSync(this.dir, { recursive: true });
    this.lock();
    this.engine = engine;
    engine.sink = undefined;
    const snapshotPath = path.join(this.dir, SNAPSHOT);
    const logPath = path.join(this.dir, LOG);
    let replayed = 0;
    if (fs.existsSync(snapshotPath)) {
      const { docs } = readStream(fs.readFileSync(snapshotPath));
      const [header, ...records] = docs;
      this.generation = typeof header?.gen === 'number' ? header.gen : 0;
      for (const record of records) this.apply(engine, record);
    }
    if (fs.existsSync(logPath)) {
      const buf = fs.readFileSync(logPath);
      const { docs, goodBytes } = readStream(buf);
      const [header, ...records] = docs;
      if (header?.o === 'h' && header.gen === this.generation) {
        for (const record of records) this.apply(engine, record);
        replayed = records.length;
        if (goodBytes < buf.length) {
          this.logger.warn(
            { dir: this.dir, bytes: buf.length - goodBytes },
            'ignoring a torn record at the end of the log',
          );
        }
      }
    }
    this.logger.info(
      { dir: this.dir, collections: engine.allCollections().length, replayed },
      'mongo-embedded data loaded',
    );
    // Start every run from a fresh snapshot, so the log only ever holds this run's changes.
    this.writeSnapshot(engine);
    engine.sink = (record) => this.append(record);
    this.timer = setInterval(() => this.tick(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Refuses a directory another live process is using: two writers would corrupt the log. */
  private lock(): void {
    const lockPath = path.join(this.dir, LOCK);
    try {
      const owner = Number(fs.readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new Error(`data directory ${this.dir} is in use by process ${owner}`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    fs.writeFileSync(lockPath, String(process.pid));
    this.lockPath = lockPath;
  }

  private collectionFor(engine: Engine, ns: string): Collection {
    const [db, name] = split(ns);
    return engine.collection(db, name) ?? engine.createCollection(db, name);
  }

  private apply(engine: Engine, record: Doc): void {
    try {
      switch (record.o) {
        case 'p':
          this.collectionFor(engine, String(record.ns)).restore(record.d as Doc);
          break;
        case 'd': {
          const [db, name] = split(String(record.ns));
          engine.collection(db, name)?.restoreDelete(record.id);
          break;
        }
        case 'c': {
          const [db, name] = split(String(record.ns));
          const existing = engine.collection(db, name);
          if (existing) existing.setOptions((record.options as Doc) ?? {});
          else
            engine.createCollection(
              db,
              name,
              (record.options as Doc) ?? {},
              record.uuid instanceof UUID ? record.uuid : new UUID(),
            );
          break;
        }
        case 'x': {
          const [db, name] = split(String(record.ns));
          engine.dropCollection(db, name);
          break;
        }
        case 'X':
          engine.dropDatabase(String(record.db));
          break;
        case 'i': {
          const coll = this.collectionFor(engine, String(record.ns));
          const spec = record.spec as IndexSpec;
          coll.indexes.delete(spec.name);
          coll.buildIndex(spec);
          break;
        }
        case 'j': {
          const [db, name] = split(String(record.ns));
          engine.collection(db, name)?.indexes.delete(String(record.name));
          break;
        }
        case 'm': {
          const [db, name] = split(String(record.ns));
          engine.collection(db, name)?.setOptions((record.options as Doc) ?? {});
          break;
        }
        case 'r': {
          const [fromDb, fromName] = split(String(record.from));
          const [toDb, toName] = split(String(record.to));
          const source = engine.collection(fromDb, fromName);
          if (source) {
            engine.dropCollection(toDb, toName);
            engine.renameCollection(source, toDb, toName);
          }
          break;
        }
        default:
          break;
      }
    } catch (error) {
      this.logger.warn({ err: error, record: record.o }, 'skipping a log record that cannot be applied');
    }
  }

  private append(record: EngineRecord): void {
    const buf = serializeDocument(encode(record));
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.appendedSeq += 1;
  }

  /** The number of records appended so far: compare before and after a command to see if it wrote. */
  get sequence(): number {
    return this.appendedSeq;
  }

  /**
   * Resolves once every record appended up to `seq` (default: all so far) is written and fsynced;
   * rejects if the log cannot be written. Concurrent callers share one write and one fsync.
   */
  whenDurable(seq: number = this.appendedSeq): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (seq <= this.durableSeq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.startSync();
    });
  }

  /** Starts writing the pending records unless a batch is already in flight (it continues with them). */
  private startSync(): void {
    if (this.syncing || this.fd === undefined) return;
    this.syncing = this.syncLoop().finally(() => {
      this.syncing = undefined;
      // Compaction waits for the batch in flight (it replaces the log file under it).
      this.compactIfDue();
    });
  }

  private async syncLoop(): Promise<void> {
    while (this.pending.length > 0 && this.fd !== undefined && !this.failure) {
      const fd = this.fd;
      const upTo = this.appendedSeq;
      const buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      try {
        await writeAll(fd, buf);
        await new Promise<void>((resolve, reject) =>
          fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())),
        );
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      this.logBytes += buf.length;
      this.markDurable(upTo);
    }
  }

  private markDurable(upTo: number): void {
    this.durableSeq = Math.max(this.durableSeq, upTo);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter && waiter.seq <= this.durableSeq) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private fail(error: Error): void {
    this.failure = error;
    this.logger.error({ err: error, dir: this.dir }, 'cannot write mongo-embedded data; refusing writes');
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private tick(): void {
    if (this.pending.length > 0) this.startSync();
    else this.compactIfDue();
  }

  private compactIfDue(): void {
    if (this.syncing || this.failure || !this.engine || this.logBytes <= this.compactBytes) return;
    try {
      this.writeSnapshot(this.engine);
    } catch (error) {
      this.logger.error({ err: error, dir: this.dir }, 'cannot write mongo-embedded data');
    }
  }

  /** Writes buffered log records to the log file and fsyncs it, synchronously (no batch may be in flight). */
  flush(): void {
    if (this.pending.length === 0 || this.fd === undefined) return;
    const upTo = this.appendedSeq;
    const buf = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    fs.writeSync(this.fd, buf);
    fs.fdatasyncSync(this.fd);
    this.logBytes += buf.length;
    this.markDurable(upTo);
  }

  /** Waits for the batch in flight, if any (before compacting or closing). */
  async settle(): Promise<void> {
    while (this.syncing) await this.syncing;
  }

  /** Replaces the snapshot with the current state and starts an empty log of the next generation. */
  writeSnapshot(engine: Engine): void {
    const nextGen = this.generation + 1;
    const tmp = path.join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      const chunks: Buffer[] = [serializeDocument({ o: 'h', gen: nextGen, format: 1 })];
      let size = chunks[0]?.length ?? 0;
      const push = (doc: Doc): void => {
        const buf = serializeDocument(doc);
        chunks.push(buf);
        size += buf.length;
        if (size > 4 * 1024 * 1024) {
          fs.writeSync(fd, Buffer.concat(chunks, size));
          chunks.length = 0;
          size = 0;
        }
      };
      for (const coll of engine.allCollections()) {
        push(encode({ op: 'create', ns: coll.ns, uuid: coll.uuid, options: coll.options }));
        for (const index of coll.indexes.values())
          push(encode({ op: 'createIndex', ns: coll.ns, spec: index.spec }));
        for (const rec of coll.records.values()) push(encode({ op: 'put', ns: coll.ns, doc: rec.doc }));
      }
      if (size > 0) fs.writeSync(fd, Buffer.concat(chunks, size));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.dir, SNAPSHOT));
    this.generation = nextGen;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = fs.openSync(path.join(this.dir, LOG), 'w');
    fs.writeSync(this.fd, serializeDocument({ o: 'h', gen: nextGen }));
    fs.fsyncSync(this.fd);
    // The snapshot holds every change so far, the unwritten ones included: they are durable now.
    this.pending = [];
    this.pendingBytes = 0;
    this.logBytes = 0;
    this.markDurable(this.appendedSeq);
  }

  /**
   * Flushes, fsyncs and closes; the data survives a restart with the same directory. Call
   * {@link settle} first when a batch may be in flight.
   */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.engine) this.engine.sink = undefined;
    try {
      this.flush();
      if (this.fd !== undefined) fs.fsyncSync(this.fd);
    } finally {
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('mongo-embedded is stopping'));
      if (this.fd !== undefined) fs.closeSync(this.fd);
      this.fd = undefined;
      if (this.lockPath) {
        fs.rmSync(this.lockPath, { force: true });
        this.lockPath = undefined;
      }
    }
  }
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number): void => {
      fs.write(fd, buf, offset, buf.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < buf.length) from(offset + written);
        else resolve();
      });
    };
    from(0);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
