import type { MediaConfig } from '../config.js';
import { createLocalStorage } from './local.js';
import type { StorageProvider } from './provider.js';
import { createS3Storage } from './s3.js';

export type { StorageProvider, StoredObjectInfo } from './provider.js';

/** The storage the configuration names (MEDIA_STORAGE: local disk unless `s3`). */
export function createStorage(config: MediaConfig): StorageProvider {
  if (config.MEDIA_STORAGE === 's3') {
    // The config schema refuses s3 without these.
    return createS3Storage({
      endpoint: config.MEDIA_S3_ENDPOINT ?? '',
      bucket: config.MEDIA_S3_BUCKET ?? '',
      region: config.MEDIA_S3_REGION,
      accessKeyId: config.MEDIA_S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: config.MEDIA_S3_SECRET_ACCESS_KEY ?? '',
      forcePathStyle: config.MEDIA_S3_FORCE_PATH_STYLE,
    });
  }
  return createLocalStorage(config.MEDIA_STORAGE_DIR);
}
