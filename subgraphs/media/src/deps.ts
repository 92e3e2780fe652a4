import type { Logger, MongoOutbox, TokenVerifier } from '@social/kit';
import type { Db, MongoClient } from 'mongodb';
import type { MediaConfig } from './config.js';
import type { MediaFiles } from './data/media-files.js';
import type { MediaEventMap } from './events.js';
import type { Processor } from './media/processing.js';
import type { UrlSigner } from './media/signing.js';
import type { MediaUrls, PublicOrigin } from './media/urls.js';
import type { StorageProvider } from './storage/index.js';

/** What the media service opens once per process and hands to resolvers, routes and jobs. */
export interface MediaDeps {
  readonly config: MediaConfig;
  readonly client: MongoClient;
  readonly db: Db;
  readonly files: MediaFiles;
  readonly storage: StorageProvider;
  readonly signer: UrlSigner;
  readonly origin: PublicOrigin;
  readonly urls: MediaUrls;
  readonly outbox: MongoOutbox<MediaEventMap>;
  readonly processor: Processor;
  /** Verifies the bearer token of the upload and download routes (the same as GraphQL's). */
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
}
