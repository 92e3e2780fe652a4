import {
  badUserInput,
  type Connection,
  connectionFromRows,
  decodeDateCursor,
  decodeNumberCursor,
  forbidden,
  notFound,
  pageSize,
  parseInput,
  type Viewer,
  withTransaction,
} from '@social/kit';
import { ObjectId } from 'mongodb';
import { randomBytes } from 'node:crypto';
import type { MediaFileDocument, StoredEntityType } from '../data/collections.js';
import { toObjectId, type ListFilter, type PageAfter, type SearchAfter } from '../data/media-files.js';
import type { MediaDeps } from '../deps.js';
import { updatedEvent } from './event-data.js';
import { SIZE_LIMITS, formatOf } from './formats.js';
import {
  requestUploadInput,
  searchQuery,
  tag as tagSchema,
  updateMediaInput,
  usageInput,
} from './validation.js';

/** What the media mutations and list queries do; resolvers only map arguments and results. */

/** A live file: not deleted and its owner's account not suspended. */
export function isLive(file: MediaFileDocument): boolean {
  return !file.isDeleted && !file.ownerSuspended;
}

/**
 * Whether `viewer` may see `file`. Public files once their bytes arrived; private ones only by
 * their owner, and, when resolved as an entity reference from another subgraph (a post's or a
 * message's media), when some entity uses them: that subgraph decided the viewer may see the
 * entity, and the file's URLs are then signed and short-lived.
 */
export function canSee(file: MediaFileDocument, viewer: Viewer | null, via: 'query' | 'reference'): boolean {
  if (!isLive(file)) return false;
  if (viewer?.id === file.userId) return true;
  if (!file.uploadCompletedAt) return false;
  if (file.isPublic) return true;
  return via === 'reference' && file.usageCount > 0;
}

export interface UploadTicket {
  readonly mediaId: string;
  readonly uploadUrl: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
  readonly expiresAt: Date;
  readonly maxFileSize: number;
  readonly media: MediaFileDocument;
}

export async function requestUpload(
  deps: MediaDeps,
  viewer: Viewer,
  rawInput: unknown,
): Promise<UploadTicket> {
  const input = parseInput(requestUploadInput, rawInput, 'input');
  const format = formatOf(input.mimeType);
  if (!format) throw badUserInput('input.mimeType is not an allowed type', 'input.mimeType');
  const now = new Date();
  // Whole seconds: the signed token carries the expiry in seconds.
  const expiresAt = new Date(
    Math.floor((now.getTime() + deps.config.MEDIA_UPLOAD_URL_TTL_SECONDS * 1000) / 1000) * 1000,
  );
  // Random bytes, not the driver's time + counter ObjectId. A private file attached to a post or
  // message is resolved, with signed URLs, for whoever presents its id in an entity reference
  // (media cannot tell who may read the post), so the id is a capability and must not be
  // guessable from one's own uploads. Lists sort by uploadedAt, never by the id's time.
  const id = new ObjectId(randomBytes(12));
  const mediaId = id.toHexString();
  const file: MediaFileDocument = {
    _id: id,
    userId: viewer.id,
    fileName: `${mediaId}.${format.ext}`,
    originalFileName: input.fileName,
    fileType: format.fileType,
    mimeType: format.mime,
    fileSize: input.fileSize,
    checksum: null,
    storageProvider: deps.storage.name,
    storagePath: `${mediaId}/upload.${format.ext}`,
    url: null,
    thumbnailUrl: null,
    dimensions: null,
    duration: null,
    bitrate: null,
    codec: null,
    frameRate: null,
    category: input.category,
    tags: input.tags,
    description: input.description,
    processingStatus: 'Pending',
    processingError: null,
    processingStartedAt: null,
    processingCompletedAt: null,
    processingAttempts: 0,
    usageCount: 0,
    usedIn: [],
    isPublic: input.isPublic,
    accessKey: randomBytes(16).toString('base64url'),
    keepLocationData: input.keepLocationData,
    expiresAt,
    uploadClaimedAt: null,
    uploadCompletedAt: null,
    variants: [],
    isDeleted: false,
    deletedAt: null,
    purgeAfter: null,
    purgedAt: null,
    ownerSuspended: false,
    ownerStatusAt: null,
    uploadedAt: now,
    updatedAt: now,
    exifData: null,
  };
  await deps.files.insert(file);
  return {
    mediaId,
    uploadUrl: deps.urls.uploadUrl(deps.signer.uploadToken(mediaId, viewer.id, expiresAt)),
    method: 'PUT',
    headers: { 'Content-Type': format.mime },
    expiresAt,
    maxFileSize: SIZE_LIMITS[format.fileType],
    media: file,
  };
}

/** The viewer's live file `id`, or NOT_FOUND / FORBIDDEN. */
async function ownFile(
  deps: MediaDeps,
  viewer: Viewer,
  id: string,
  options: { moderatorsToo?: boolean } = {},
): Promise<MediaFileDocument> {
  const objectId = toObjectId(id);
  const file = objectId ? await deps.files.findById(objectId) : null;
  if (!file || !isLive(file)) throw notFound('MediaFile', id);
  const moderator = options.moderatorsToo && (viewer.role === 'ADMIN' || viewer.role === 'MODERATOR');
  if (file.userId !== viewer.id && !moderator) throw forbidden('Only the owner may change this file');
  return file;
}

export async function updateMedia(
  deps: MediaDeps,
  viewer: Viewer,
  id: string,
  rawInput: unknown,
): Promise<MediaFileDocument> {
  const input = parseInput(updateMediaInput, rawInput ?? {}, 'input');
  const file = await ownFile(deps, viewer, id);
  const set: Partial<MediaFileDocument> = {};
  const changed: string[] = [];
  if (input.originalFileName != null && input.originalFileName !== file.originalFileName) {
    set.originalFileName = input.originalFileName;
    changed.push('originalFileName');
  }
  if (input.description !== undefined && input.description !== file.description) {
    set.description = input.description;
    changed.push('description');
  }
  if (input.tags !== undefined) {
    const tags = input.tags ?? [];
    if (tags.join('\n') !== file.tags.join('\n')) {
      set.tags = tags;
      changed.push('tags');
    }
  }
  if (input.category != null && input.category !== file.category) {
    set.category = input.category;
    changed.push('category');
  }
  if (input.isPublic != null && input.isPublic !== file.isPublic) {
    set.isPublic = input.isPublic;
    changed.push('isPublic');
  }
  if (changed.length === 0) return file;
  const updated = await withTransaction(deps.client, async (session) => {
    const result = await deps.files.updateMetadata(session, file._id, { ...set, updatedAt: new Date() });
    if (result) await deps.outbox.enqueue(session, 'MediaUpdated', updatedEvent(result, changed));
    return result;
  });
  if (!updated) throw notFound('MediaFile', id);
  deps.outbox.kick();
  return updated;
}

/** Soft delete (owner, or an admin or moderator): hidden at once, bytes removed after the grace period. */
export async function deleteMedia(deps: MediaDeps, viewer: Viewer, id: string): Promise<boolean> {
  const file = await ownFile(deps, viewer, id, { moderatorsToo: true });
  const now = new Date();
  const purgeAfter = new Date(now.getTime() + deps.config.MEDIA_DELETE_GRACE_SECONDS * 1000);
  const deleted = await withTransaction(deps.client, async (session) => {
    const result = await deps.files.softDelete(session, file._id, now, purgeAfter);
    if (result) {
      await deps.outbox.enqueue(session, 'MediaDeleted', {
        mediaId: result._id.toHexString(),
        ownerId: result.userId,
        deletedAt: now.toISOString(),
      });
    }
    return result;
  });
  if (!deleted) throw notFound('MediaFile', id);
  deps.outbox.kick();
  return true;
}

/** attachMedia / detachMedia: the viewer must own every listed live file; results in input order. */
export async function changeUsage(
  deps: MediaDeps,
  viewer: Viewer,
  rawInput: unknown,
  change: 'attach' | 'detach',
): Promise<MediaFileDocument[]> {
  const input = parseInput(usageInput, rawInput, 'input');
  const found = new Map(
    (await deps.files.findByIds(input.mediaIds)).map((file) => [file._id.toHexString(), file]),
  );
  for (const id of input.mediaIds) {
    const file = found.get(id);
    if (!file || !isLive(file)) throw notFound('MediaFile', id);
    if (file.userId !== viewer.id) throw forbidden('Only the owner may attach or detach this file');
  }
  const ids = input.mediaIds.map((id) => new ObjectId(id));
  const usage = { entityType: input.entityType as StoredEntityType, entityId: input.entityId };
  if (change === 'attach') await deps.files.attach(ids, usage, new Date());
  else await deps.files.detach(ids, usage, new Date());
  const after = new Map(
    (await deps.files.findByIds(input.mediaIds)).map((file) => [file._id.toHexString(), file]),
  );
  return input.mediaIds.flatMap((id) => after.get(id) ?? []);
}

// -- Lists -----------------------------------------------------------------------------------------

function pageAfter(after: string | null | undefined): PageAfter | undefined {
  if (!after) return undefined;
  const { date: uploadedAt, id } = decodeDateCursor(after);
  const objectId = toObjectId(id);
  if (!objectId) throw badUserInput('after is not a valid cursor', 'after');
  return { uploadedAt, id: objectId };
}

const cursorOf = (file: MediaFileDocument) => [file.uploadedAt.getTime(), file._id.toHexString()];

function listFilterOf(filter: ListFilter | null | undefined, path: string): ListFilter | undefined {
  if (!filter) return undefined;
  const tag = filter.tag == null ? null : parseInput(tagSchema, filter.tag, `${path}.tag`);
  return { ...filter, tag };
}

/** The viewer's own live files (any processing state), newest first. */
export async function listOwn(
  deps: MediaDeps,
  userId: string,
  filter: ListFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<MediaFileDocument>> {
  const size = pageSize(first);
  const parsedFilter = listFilterOf(filter, 'filter');
  const position = pageAfter(after);
  const rows = size === 0 ? [] : await deps.files.listOwn(userId, parsedFilter, position, size + 1);
  return connectionFromRows(rows, size, cursorOf, { hasPreviousPage: position !== undefined });
}

/** Another user's files as others see them (public, processed), newest first; none for a null id. */
export async function listPublic(
  deps: MediaDeps,
  userId: string | null,
  filter: ListFilter,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<MediaFileDocument>> {
  const size = pageSize(first);
  const position = pageAfter(after);
  const rows =
    size === 0 || userId === null ? [] : await deps.files.listPublicOf(userId, filter, position, size + 1);
  return connectionFromRows(rows, size, cursorOf, { hasPreviousPage: position !== undefined });
}

export async function search(
  deps: MediaDeps,
  viewer: Viewer | null,
  rawQuery: string,
  onlyMine: boolean,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<MediaFileDocument>> {
  const text = parseInput(searchQuery, rawQuery, 'query');
  const size = pageSize(first);
  let position: SearchAfter | undefined;
  if (after) {
    const { value: score, id } = decodeNumberCursor(after);
    const objectId = toObjectId(id);
    if (!objectId) throw badUserInput('after is not a valid cursor', 'after');
    position = { score, id: objectId };
  }
  const rows =
    size === 0 ? [] : await deps.files.search(text, viewer?.id ?? null, onlyMine, position, size + 1);
  return connectionFromRows(rows, size, (row) => [row.searchScore, row._id.toHexString()], {
    hasPreviousPage: position !== undefined,
  });
}
