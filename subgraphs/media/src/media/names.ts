import type {
  StoredCategory,
  StoredEntityType,
  StoredFileType,
  StoredProcessingStatus,
  VariantName,
} from '../data/collections.js';
import type { MediaCategoryName, MediaFileTypeName } from '../events.js';

/**
 * GraphQL enum names → the seed's stored values. The schema's enums use these as their internal
 * values, so resolvers return stored documents unchanged and receive stored values in arguments;
 * events carry the GraphQL names.
 */
export const MediaFileType: Readonly<Record<MediaFileTypeName, StoredFileType>> = {
  IMAGE: 'Image',
  VIDEO: 'Video',
  AUDIO: 'Audio',
  DOCUMENT: 'Document',
};

export const MediaCategory: Readonly<Record<MediaCategoryName, StoredCategory>> = {
  PROFILE: 'profile',
  POST: 'post',
  CHAT: 'chat',
  DOCUMENT: 'document',
  OTHER: 'other',
};

export const MediaProcessingStatus: Readonly<
  Record<'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED', StoredProcessingStatus>
> = {
  PENDING: 'Pending',
  PROCESSING: 'Processing',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
};

export const MediaVariantName: Readonly<Record<'ORIGINAL' | 'WEB' | 'THUMBNAIL', VariantName>> = {
  ORIGINAL: 'original',
  WEB: 'web',
  THUMBNAIL: 'thumbnail',
};

export const MediaUsageEntityType: Readonly<
  Record<'POST' | 'COMMENT' | 'MESSAGE' | 'CONVERSATION' | 'PROFILE' | 'OTHER', StoredEntityType>
> = {
  POST: 'Post',
  COMMENT: 'Comment',
  MESSAGE: 'Message',
  CONVERSATION: 'Conversation',
  PROFILE: 'Profile',
  OTHER: 'Other',
};

function invert<K extends string, V extends string>(map: Readonly<Record<K, V>>): Record<V, K> {
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [value, name])) as Record<V, K>;
}

export const fileTypeName = invert(MediaFileType);
export const categoryName = invert(MediaCategory);
