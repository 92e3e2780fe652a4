/**
 * A MongoDB-compatible server in this process, for development and tests: the official driver
 * connects to `uri` unchanged. Data lives in memory, optionally persisted to `dataDir`.
 */
import { ObjectId } from 'bson';
import type { Services } from './commands/context.js';
import { CursorManager } from './cursors.js';
import { Engine } from './engine.js';
import { silentLogger, type Logger } from './logger.js';
import { Persistence } from './persistence.js';
import { WireServer } from './server.js';
import { SessionManager } from './sessions.js';

export type { Logger } from './logger.js';

export interface MongoEmbeddedOptions {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Directory to persist data in; in memory only when unset. */
  readonly dataDir?: string;
  /** How often expired TTL documents are deleted (ms); default 1000. */
  readonly ttlSweepIntervalMs?: number;
  /** Idle time after which a server cursor is discarded (ms); default 10 minutes. */
  readonly cursorTimeoutMs?: number;
  /** Replica-set name reported by `hello`; default "rs0". */
  readonly replSetName?: string;
  /** pino-compatible logger; silent by default. */
  readonly logger?: Logger;
}

export interface MongoEmbedded {
  /** Connection string for the official driver, e.g. `mongodb://127.0.0.1:27017/?replicaSet=rs0`. */
  readonly uri: string;
  readonly port: number;
  readonly host: string;
  /**
   * Closes connections and timers and flushes persisted data. With `dataDir`, every write is on disk
   * (fsynced) before it is acknowledged, so even a crash loses no acknowledged write.
   */
  stop(): Promise<void>;
}

function reachableHost(address: string): string {
  if (address === '0.0.0.0' || address === '::' || address === '') return '127.0.0.1';
  return address;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startMongoEmbedded(options: MongoEmbeddedOptions = {}): Promise<MongoEmbedded> {
  const logger = options.logger ?? silentLogger;
  const setName = options.replSetName ?? 'rs0';
  const engine = new Engine();
  const persistence = options.dataDir ? new Persistence(options.dataDir, logger) : undefined;
  persistence?.open(engine);

  const wire = new WireServer(logger, persistence);
  let bound: { address: string; port: number };
  try {
    bound = await wire.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    persistence?.close();
    throw error;
  }
  const host = reachableHost(bound.address);
  const port = bound.port;
  const cursors = new CursorManager(options.cursorTimeoutMs ?? 10 * 60_000);
  const sessions = new SessionManager(engine, logger);
  const services: Services = {
    engine,
    sessions,
    cursors,
    logger,
    server: {
      host,
      port,
      hostPort: hostPort(host, port),
      setName,
      processId: new ObjectId(),
      electionId: new ObjectId('7fffffff0000000000000001'),
      startedAt: new Date(),
    },
    connectionCount: () => wire.connectionCount,
    totalConnections: () => wire.totalConnections,
  };
  wire.attach(services);

  const sweepEvery = Math.max(10, options.ttlSweepIntervalMs ?? 1000);
  const maintenance = setInterval(() => {
    try {
      const removed = engine.sweepTtl(Date.now());
      if (removed > 0) logger.debug({ removed }, 'TTL monitor deleted expired documents');
      cursors.sweep();
      sessions.sweep();
    } catch (error) {
      logger.error({ err: error }, 'maintenance failed');
    }
  }, sweepEvery);
  maintenance.unref();

  const uri = `mongodb://${services.server.hostPort}/?replicaSet=${encodeURIComponent(setName)}`;
  logger.info({ uri, dataDir: options.dataDir }, 'mongo-embedded listening');

  let stopping: Promise<void> | undefined;
  return {
    uri,
    port,
    host,
    stop() {
      stopping ??= (async () => {
        clearInterval(maintenance);
        await wire.close();
        cursors.clear();
        sessions.killAll();
        await persistence?.settle();
        persistence?.close();
        logger.info({ uri }, 'mongo-embedded stopped');
      })();
      return stopping;
    },
  };
}

/** Alias of {@link startMongoEmbedded}. */
export const start = startMongoEmbedded;
export { MONGO_EMBEDDED_BIN, uriOfChild } from './child.js';
