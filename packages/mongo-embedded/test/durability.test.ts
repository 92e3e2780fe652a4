// Durability: a write the server acknowledged is on disk, so it survives the process being killed
// (SIGKILL: no flush, no shutdown hook) right after the reply.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { Engine } from '../src/engine.js';
import { silentLogger } from '../src/logger.js';
import { Persistence } from '../src/persistence.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  readonly uri: string;
}

/** The CLI server in a child process (run from source), resolved once it prints its URI. */
function startChild(dataDir: string, port = 0): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, '--port', String(port), '--data', dataDir, '--quiet'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('mongodb://'));
      if (line) resolve({ process: child, uri: line.trim() });
    });
    child.once('exit', (code) => reject(new Error(`mongo-embedded exited (${code}): ${err}`)));
  });
}

function kill(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
    child.process.once('exit', () => resolve());
    child.process.kill('SIGKILL');
  });
}

let dir: string;
const children: Child[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-durability-'));
});
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every acknowledged write survives a SIGKILL right after its reply', async () => {
  const first = await startChild(dir);
  children.push(first);
  const client = new MongoClient(first.uri, { serverSelectionTimeoutMS: 5_000 });
  const writes = 50;
  try {
    const items = client.db('app').collection<{ _id: number; n: number }>('items');
    // Concurrent writers (one group-committed batch after another), then one last write whose
    // reply is followed at once by the kill.
    await Promise.all(Array.from({ length: writes - 1 }, (_, i) => items.insertOne({ _id: i, n: i })));
    await items.updateOne({ _id: 0 }, { $set: { n: 100 } });
    await items.insertOne({ _id: writes - 1, n: writes - 1 });
    first.process.kill('SIGKILL');
  } finally {
    await client.close(true).catch(() => undefined);
  }
  await kill(first);

  const second = await startChild(dir);
  children.push(second);
  const again = new MongoClient(second.uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    const docs = await again.db('app').collection('items').find().sort({ _id: 1 }).toArray();
    expect(docs.map((d) => d._id)).toEqual(Array.from({ length: writes }, (_, i) => i));
    expect(docs[0]).toEqual({ _id: 0, n: 100 });
  } finally {
    await again.close();
  }
}, 60_000);

test('whenDurable resolves once the records are in the log, and a fresh process reads them back', async () => {
  const engine = new Engine();
  const p = new Persistence(dir, silentLogger);
  p.open(engine);
  const logPath = path.join(dir, 'oplog.bson');
  const header = fs.statSync(logPath).size;
  try {
    const coll = engine.createCollection('db', 'c');
    for (let i = 0; i < 10; i++) coll.insert({ _id: i });
    // Nothing is written before a reply asks for it (or the timer runs). Once asked, the write
    // runs on libuv's thread pool and may land before this thread looks again: check before.
    expect(fs.statSync(logPath).size).toBe(header);
    await Promise.all([p.whenDurable(), p.whenDurable()]);
    expect(fs.statSync(logPath).size).toBeGreaterThan(header);
    // What a restart after a crash would read: a copy of the directory as it is on disk now.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-durability-copy-'));
    try {
      for (const file of ['snapshot.bson', 'oplog.bson'])
        fs.copyFileSync(path.join(dir, file), path.join(copy, file));
      const restored = new Engine();
      const p2 = new Persistence(copy, silentLogger);
      p2.open(restored);
      expect(restored.collection('db', 'c')?.records.size).toBe(10);
      p2.close();
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  } finally {
    await p.settle();
    p.close();
  }
});

test('the log is still compacted while writes keep it busy', async () => {
  const engine = new Engine();
  const p = new Persistence(dir, silentLogger, { compactBytes: 1_000, flushIntervalMs: 20 });
  p.open(engine);
  const coll = engine.createCollection('db', 'c');
  try {
    for (let i = 0; i < 300; i++) {
      coll.insert({ _id: i, pad: 'x'.repeat(100) });
      await p.whenDurable();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fs.statSync(path.join(dir, 'oplog.bson')).size).toBeLessThan(5_000);
  } finally {
    await p.settle();
    p.close();
  }
  const restored = new Engine();
  const p2 = new Persistence(dir, silentLogger);
  p2.open(restored);
  expect(restored.collection('db', 'c')?.records.size).toBe(300);
  p2.close();
});
