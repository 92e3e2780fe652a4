import type { MediaFileDocument, VariantName } from '../data/collections.js';
import type { MediaEventMap } from '../events.js';
import { categoryName, fileTypeName } from './names.js';
import type { MediaUrls } from './urls.js';

/** Event payloads from a file's document (GraphQL enum names, ISO dates, absolute URLs). */

export function uploadedEvent(file: MediaFileDocument): MediaEventMap['MediaUploaded'] {
  return {
    mediaId: file._id.toHexString(),
    ownerId: file.userId,
    fileType: fileTypeName[file.fileType],
    mimeType: file.mimeType,
    category: categoryName[file.category],
    isPublic: file.isPublic,
    fileSize: file.fileSize,
    uploadedAt: (file.uploadCompletedAt ?? file.uploadedAt).toISOString(),
  };
}

export function processedEvent(file: MediaFileDocument, urls: MediaUrls): MediaEventMap['MediaProcessed'] {
  const id = file._id.toHexString();
  const urlOf = (name: VariantName) =>
    file.variants.some((variant) => variant.name === name) ? urls.publicUrl(id, name) : null;
  return {
    mediaId: id,
    ownerId: file.userId,
    fileType: fileTypeName[file.fileType],
    mimeType: file.mimeType,
    category: categoryName[file.category],
    isPublic: file.isPublic,
    status: file.processingStatus === 'Completed' ? 'COMPLETED' : 'FAILED',
    url: urlOf('original'),
    webUrl: urlOf('web'),
    thumbnailUrl: urlOf('thumbnail'),
    width: file.dimensions?.width ?? null,
    height: file.dimensions?.height ?? null,
    duration: file.duration,
    processingError: file.processingStatus === 'Failed' ? file.processingError : null,
  };
}

export function updatedEvent(
  file: MediaFileDocument,
  changed: readonly string[],
): MediaEventMap['MediaUpdated'] {
  return {
    mediaId: file._id.toHexString(),
    ownerId: file.userId,
    isPublic: file.isPublic,
    category: categoryName[file.category],
    changed,
  };
}
