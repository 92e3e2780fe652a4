import {
  connectMongo,
  createMongoOutbox,
  defineSubgraph,
  ensureCollections,
  loadConfig,
  loadSdl,
  mongoDatabaseName,
  type BaseContext,
  type EventSubscription,
} from '@social/kit';
import { mediaConfigSchema } from './config.js';
import { collections } from './data/collections.js';
import { createMediaFiles } from './data/media-files.js';
import type { MediaDeps } from './deps.js';
import { PRODUCER, subscribeToAuthEvents, type MediaEventMap } from './events.js';
import { mountMediaRoutes } from './http/routes.js';
import { createLoaders, type Loaders } from './loaders.js';
import { startProcessor } from './media/processing.js';
import { createUrlSigner, urlSecretFrom } from './media/signing.js';
import { startSweeper } from './media/sweeper.js';
import { createMediaUrls, createPublicOrigin } from './media/urls.js';
import { resolvers } from './resolvers/index.js';
import { createStorage } from './storage/index.js';

/** The media subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface MediaContext extends BaseContext {
  readonly loaders: Loaders;
  readonly media: MediaDeps;
}

/** Builds the media service from process-wide resources; starts nothing until called (index.ts). */
export const createService = defineSubgraph<MediaContext, MediaDeps>({
  name: 'media',
  typeDefs,
  resolvers,
  async connect(resources) {
    const config = loadConfig('media', mediaConfigSchema, resources.env);
    const logger = resources.logger.child({ subgraph: 'media' });
    if (resources.production && !config.MEDIA_PUBLIC_URL) {
      logger.warn('MEDIA_PUBLIC_URL is not set: media URLs name the address the service listens on');
    }
    const mongo = await connectMongo({
      url: config.MONGO_URL,
      dbName: mongoDatabaseName('media', resources.env),
      logger,
      appName: 'media',
      monitorCommands: !resources.production,
    });
    let subscription: EventSubscription | undefined;
    try {
      await ensureCollections(mongo.db, collections);
      const files = createMediaFiles(mongo.db);
      const storage = createStorage(config);
      const signer = createUrlSigner(urlSecretFrom(config));
      const origin = createPublicOrigin(config.MEDIA_PUBLIC_URL);
      const urls = createMediaUrls(origin, signer);
      const outbox = createMongoOutbox<MediaEventMap>({
        db: mongo.db,
        events: resources.events,
        producer: PRODUCER,
        logger,
        pollMs: config.OUTBOX_POLL_MS,
      });
      const processor = startProcessor({
        files,
        storage,
        client: mongo.client,
        outbox,
        urls,
        origin,
        logger,
        enabled: config.MEDIA_PROCESSING_ENABLED,
        concurrency: config.MEDIA_PROCESSING_CONCURRENCY,
        pollMs: config.MEDIA_PROCESSING_POLL_MS,
        leaseSeconds: config.MEDIA_PROCESSING_LEASE_SECONDS,
        maxAttempts: config.MEDIA_PROCESSING_MAX_ATTEMPTS,
        maxImagePixels: config.MEDIA_MAX_IMAGE_PIXELS,
      });
      const sweeper = startSweeper({
        files,
        storage,
        logger,
        intervalMs: config.MEDIA_SWEEP_INTERVAL_MS,
        uploadClaimSeconds: config.MEDIA_UPLOAD_URL_TTL_SECONDS,
        orphanScanIntervalMs: config.MEDIA_ORPHAN_SCAN_INTERVAL_MS,
        orphanMinAgeSeconds: config.MEDIA_ORPHAN_MIN_AGE_SECONDS,
      });
      subscription = await subscribeToAuthEvents({
        events: resources.events,
        client: mongo.client,
        db: mongo.db,
        files,
        logger,
        deleteGraceSeconds: config.MEDIA_DELETE_GRACE_SECONDS,
      });
      const deps: MediaDeps = {
        config,
        client: mongo.client,
        db: mongo.db,
        files,
        storage,
        signer,
        origin,
        urls,
        outbox,
        processor,
        verifier: resources.verifier,
        logger,
      };
      const events = subscription;
      return {
        deps,
        readiness: { mongo: () => mongo.ping() },
        async close() {
          await events.stop();
          await Promise.all([processor.stop(), sweeper.stop()]);
          await outbox.stop();
          await mongo.close();
        },
      };
    } catch (error) {
      await subscription?.stop();
      await mongo.close();
      throw error;
    }
  },
  routes: (app, deps, _resources, server) => mountMediaRoutes(app, deps, server),
  context: (base, deps) => ({ ...base, media: deps, loaders: createLoaders(deps.files) }),
});
