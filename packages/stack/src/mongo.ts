import { startMongoEmbedded, type MongoEmbedded } from '@social/mongo-embedded';
import type { Logger } from '@social/kit';

export type { MongoEmbedded } from '@social/mongo-embedded';

/**
 * MongoDB for the dev stack and tests when MONGO_URL is unset (DESIGN 3, 6): the embedded
 * MongoDB-compatible server in this process, persisted to `dataDir` when given.
 */
export async function startEmbeddedMongo(options: {
  port?: number;
  dataDir?: string;
  logger: Logger;
}): Promise<MongoEmbedded> {
  return startMongoEmbedded({
    port: options.port ?? 0,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    logger: options.logger.child({ component: 'mongo-embedded' }),
  });
}
