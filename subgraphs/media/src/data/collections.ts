import { outboxCollection, processedEventsCollection, type CollectionSpec } from '@social/kit';
import type { Decimal128, ObjectId } from 'mongodb';
import type { StoredFileType } from '../media/formats.js';

/**
 * The media database (`social_media`): the seed's one collection, `media_files`, plus the kit's
 * event outbox and processed-events collections.
 */

// -- Stored values (the seed's spellings; resolvers map them to GraphQL enum names) -------------

export type { StoredFileType } from '../media/formats.js';
export type StoredCategory = 'profile' | 'post' | 'chat' | 'document' | 'other';
export type StoredProcessingStatus = 'Pending' | 'Processing' | 'Completed' | 'Failed';
export type StoredEntityType = 'Post' | 'Comment' | 'Message' | 'Conversation' | 'Profile' | 'Other';
export type StoredStorageProvider = 'Local' | 'S3';
export type VariantName = 'original' | 'web' | 'thumbnail';

export const FILE_TYPES: readonly StoredFileType[] = ['Image', 'Video', 'Audio', 'Document'];
export const CATEGORIES: readonly StoredCategory[] = ['profile', 'post', 'chat', 'document', 'other'];
export const PROCESSING_STATUSES: readonly StoredProcessingStatus[] = [
  'Pending',
  'Processing',
  'Completed',
  'Failed',
];
export const ENTITY_TYPES: readonly StoredEntityType[] = [
  'Post',
  'Comment',
  'Message',
  'Conversation',
  'Profile',
  'Other',
];
export const VARIANT_NAMES: readonly VariantName[] = ['original', 'web', 'thumbnail'];

/** A rendition that can be served: where its bytes are and what they are. */
export interface StoredVariant {
  name: VariantName;
  /** Storage key (`<mediaId>/<name>.<ext>`). */
  key: string;
  mimeType: string;
  size: number;
  width: number | null;
  height: number | null;
  /** SHA-256 (hex) of exactly these bytes: the strong ETag. */
  sha256: string;
}

export interface StoredUsage {
  entityType: StoredEntityType;
  entityId: string;
  attachedAt: Date;
}

export interface StoredExif {
  camera: string | null;
  lens: string | null;
  iso: number | null;
  aperture: string | null;
  shutterSpeed: string | null;
  focalLength: string | null;
  flash: boolean | null;
  capturedAt: Date | null;
  gps: { latitude: Decimal128; longitude: Decimal128; altitude: number | null } | null;
}

/** One document of `media_files`: the seed's fields plus upload, variant and hiding state. */
export interface MediaFileDocument {
  _id: ObjectId;
  userId: string;
  /** Generated unique name: `<id>.<ext>`. */
  fileName: string;
  originalFileName: string;
  fileType: StoredFileType;
  mimeType: string;
  /** Declared size until the upload completes, then the actual size. */
  fileSize: number;
  /** SHA-256 (hex) of the uploaded bytes; null until they arrived. */
  checksum: string | null;
  storageProvider: StoredStorageProvider;
  /** Storage key of the uploaded bytes as received. */
  storagePath: string;
  /** Path of the original rendition (`/media/<id>/original`), relative to the public origin. */
  url: string | null;
  thumbnailUrl: string | null;
  dimensions: { width: number; height: number; aspectRatio: string } | null;
  duration: number | null;
  bitrate: number | null;
  codec: string | null;
  frameRate: number | null;
  category: StoredCategory;
  tags: string[];
  description: string | null;
  processingStatus: StoredProcessingStatus;
  processingError: string | null;
  processingStartedAt: Date | null;
  processingCompletedAt: Date | null;
  processingAttempts: number;
  usageCount: number;
  usedIn: StoredUsage[];
  isPublic: boolean;
  /** Random per-file key mixed into signed access URLs: rotating it revokes every URL shared so far. */
  accessKey: string;
  /** Owner opted in to keep GPS data in the served renditions. */
  keepLocationData: boolean;
  /** Until the upload completes: when the ticket expires (the TTL index removes the record later). */
  expiresAt: Date | null;
  /** Upload tickets are one-time: set while bytes are being received (the claim's fencing token). */
  uploadClaimedAt: Date | null;
  uploadCompletedAt: Date | null;
  variants: StoredVariant[];
  isDeleted: boolean;
  deletedAt: Date | null;
  /** When the sweep may remove the bytes of a deleted file. */
  purgeAfter: Date | null;
  /** When the sweep removed them. */
  purgedAt: Date | null;
  /** The owner's account is suspended or deactivated (auth UserStatusChanged): hidden from everyone. */
  ownerSuspended: boolean;
  /** occurredAt of the last account-status event applied, so an older redelivery changes nothing. */
  ownerStatusAt: Date | null;
  uploadedAt: Date;
  updatedAt: Date;
  exifData: StoredExif | null;
}

export const MEDIA_FILES = 'media_files';

/**
 * Records of uploads never completed outlive their ticket by this long before the TTL index
 * deletes them. The sweep (every minute by default) removes them first, together with any bytes
 * a crashed upload left behind; the TTL index is the backstop when no instance runs the sweep,
 * and the orphan scan then finds those bytes because no record owns them any more.
 */
export const PENDING_RECORD_TTL_GRACE_SECONDS = 3600;

const date = { bsonType: 'date' };
const nullableDate = { bsonType: ['date', 'null'] };
const nullableString = { bsonType: ['string', 'null'] };
const nullableNumber = { bsonType: ['double', 'int', 'long', 'decimal', 'null'] };

export const mediaFilesCollection: CollectionSpec = {
  name: MEDIA_FILES,
  validator: {
    $jsonSchema: {
      bsonType: 'object',
      required: [
        'userId',
        'fileName',
        'originalFileName',
        'fileType',
        'mimeType',
        'fileSize',
        'storageProvider',
        'storagePath',
        'category',
        'tags',
        'processingStatus',
        'usageCount',
        'usedIn',
        'isPublic',
        'isDeleted',
        'uploadedAt',
        'updatedAt',
      ],
      properties: {
        userId: { bsonType: 'string', minLength: 1 },
        fileName: { bsonType: 'string', minLength: 1, maxLength: 255 },
        originalFileName: { bsonType: 'string', minLength: 1, maxLength: 255 },
        fileType: { enum: [...FILE_TYPES] },
        mimeType: { bsonType: 'string', minLength: 1 },
        fileSize: { bsonType: ['int', 'long', 'double'], minimum: 0 },
        checksum: { bsonType: ['string', 'null'], pattern: '^[0-9a-f]{64}$' },
        storageProvider: { enum: ['Local', 'S3', 'Azure', 'GCP'] },
        storagePath: { bsonType: 'string', minLength: 1 },
        url: nullableString,
        thumbnailUrl: nullableString,
        dimensions: {
          bsonType: ['object', 'null'],
          required: ['width', 'height', 'aspectRatio'],
          properties: {
            width: { bsonType: ['int', 'long', 'double'], minimum: 1 },
            height: { bsonType: ['int', 'long', 'double'], minimum: 1 },
            aspectRatio: { bsonType: 'string' },
          },
        },
        duration: nullableNumber,
        bitrate: nullableNumber,
        codec: nullableString,
        frameRate: nullableNumber,
        category: { enum: [...CATEGORIES] },
        tags: {
          bsonType: 'array',
          maxItems: 20,
          items: { bsonType: 'string', minLength: 1, maxLength: 50 },
        },
        description: { bsonType: ['string', 'null'], maxLength: 500 },
        processingStatus: { enum: [...PROCESSING_STATUSES] },
        processingError: nullableString,
        processingStartedAt: nullableDate,
        processingCompletedAt: nullableDate,
        usageCount: { bsonType: ['int', 'long', 'double'], minimum: 0 },
        usedIn: {
          bsonType: 'array',
          items: {
            bsonType: 'object',
            required: ['entityType', 'entityId'],
            properties: {
              entityType: { enum: [...ENTITY_TYPES] },
              entityId: { bsonType: 'string', minLength: 1, maxLength: 100 },
              attachedAt: date,
            },
          },
        },
        isPublic: { bsonType: 'bool' },
        accessKey: { bsonType: 'string' },
        keepLocationData: { bsonType: 'bool' },
        expiresAt: nullableDate,
        isDeleted: { bsonType: 'bool' },
        deletedAt: nullableDate,
        uploadedAt: date,
        updatedAt: date,
        exifData: {
          bsonType: ['object', 'null'],
          properties: {
            camera: nullableString,
            lens: nullableString,
            iso: nullableNumber,
            aperture: nullableString,
            shutterSpeed: nullableString,
            focalLength: nullableString,
            flash: { bsonType: ['bool', 'null'] },
            capturedAt: nullableDate,
            gps: {
              bsonType: ['object', 'null'],
              required: ['latitude', 'longitude'],
              properties: {
                latitude: { bsonType: 'decimal', minimum: -90, maximum: 90 },
                longitude: { bsonType: 'decimal', minimum: -180, maximum: 180 },
                altitude: nullableNumber,
              },
            },
          },
        },
      },
    },
  },
  indexes: [
    // Seed 002, indexes 1-8.
    { key: { userId: 1, uploadedAt: -1 }, name: 'user_files' },
    { key: { fileType: 1, uploadedAt: -1 }, name: 'file_type' },
    { key: { category: 1, uploadedAt: -1 }, name: 'category' },
    { key: { tags: 1 }, name: 'tags' },
    { key: { processingStatus: 1, processingStartedAt: 1 }, name: 'processing_status' },
    {
      key: { originalFileName: 'text', description: 'text', tags: 'text' },
      name: 'search',
      weights: { originalFileName: 3, tags: 2, description: 1 },
      default_language: 'english',
    },
    { key: { isDeleted: 1, userId: 1, uploadedAt: -1 }, name: 'active_files' },
    // expiresAt is set only until an upload completes; see PENDING_RECORD_TTL_GRACE_SECONDS.
    { key: { expiresAt: 1 }, name: 'pending_ttl', expireAfterSeconds: PENDING_RECORD_TTL_GRACE_SECONDS },
    // The byte purge of deleted files.
    {
      key: { purgeAfter: 1 },
      name: 'purge_due',
      partialFilterExpression: { isDeleted: true },
    },
  ],
};

export const collections: readonly CollectionSpec[] = [
  mediaFilesCollection,
  outboxCollection,
  processedEventsCollection,
];
