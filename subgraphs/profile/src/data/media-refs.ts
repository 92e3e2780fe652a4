import type { ClientSession } from 'mongodb';
import type { MediaRefDocument } from './collections.js';
import type { ProfileStore } from './store.js';

/**
 * `media_refs`: the profile's copy of what media's events said about a file. Events can arrive
 * out of order (a redelivery comes after the events that followed it), so every write merges
 * instead of overwriting: DELETED is final, a processing result (COMPLETED / FAILED) is never
 * undone by a late MediaUploaded, and a late MediaUploaded only fills in what is still unknown.
 */

export interface MediaFacts {
  readonly mediaId: string;
  readonly ownerId: string;
  readonly fileType?: string | null;
  readonly mimeType?: string | null;
  readonly isPublic?: boolean | null;
  readonly url?: string | null;
  readonly webUrl?: string | null;
  readonly thumbnailUrl?: string | null;
}

export type MediaStatus = MediaRefDocument['status'];

export function findMediaRef(store: ProfileStore, mediaId: string): Promise<MediaRefDocument | null> {
  return store.mediaRefs.findOne({ _id: mediaId });
}

/** How settled a status is: a status never moves to a less settled one. */
const SETTLEDNESS: Record<MediaStatus, number> = { UPLOADED: 0, COMPLETED: 1, FAILED: 1, DELETED: 2 };

/**
 * Merges one event's facts into the file's ref and resolves with the ref after the change.
 * `authoritative` facts (MediaProcessed, MediaUpdated) replace what is stored; the others
 * (MediaUploaded) only fill gaps.
 */
export async function mergeMediaRef(
  store: ProfileStore,
  session: ClientSession,
  facts: MediaFacts,
  status: MediaStatus,
  authoritative: boolean,
): Promise<MediaRefDocument> {
  const now = new Date();
  const current = await store.mediaRefs.findOne({ _id: facts.mediaId }, { session });
  if (!current) {
    const created: MediaRefDocument = {
      _id: facts.mediaId,
      ownerId: facts.ownerId,
      fileType: facts.fileType ?? '',
      mimeType: facts.mimeType ?? '',
      isPublic: facts.isPublic ?? false,
      status,
      url: facts.url ?? null,
      webUrl: facts.webUrl ?? null,
      thumbnailUrl: facts.thumbnailUrl ?? null,
      updatedAt: now,
    };
    await store.mediaRefs.insertOne(created, { session });
    return created;
  }
  if (current.status === 'DELETED') return current;
  const pick = <K extends keyof MediaFacts & keyof MediaRefDocument>(key: K): MediaRefDocument[K] => {
    const value = facts[key] as MediaRefDocument[K] | null | undefined;
    if (value === undefined || value === null) return current[key];
    if (authoritative) return value;
    const stored = current[key];
    return stored === '' || stored === null ? value : stored;
  };
  const next: MediaRefDocument = {
    ...current,
    ownerId: current.ownerId || facts.ownerId,
    fileType: pick('fileType'),
    mimeType: pick('mimeType'),
    isPublic: pick('isPublic'),
    url: pick('url'),
    webUrl: pick('webUrl'),
    thumbnailUrl: pick('thumbnailUrl'),
    status: SETTLEDNESS[status] >= SETTLEDNESS[current.status] ? status : current.status,
    updatedAt: now,
  };
  await store.mediaRefs.replaceOne({ _id: current._id }, next, { session });
  return next;
}

/** Whether `ref` may be shown as `ownerId`'s avatar or cover: their own public image, not broken. */
/**
 * Reads a ref for use as an avatar or cover inside the caller's transaction, writing to it
 * (`pickedAt`) so that a concurrent change of the same ref (media's next event) conflicts with
 * the transaction rather than being missed by it.
 */
export function pickMediaRef(
  store: ProfileStore,
  session: ClientSession,
  mediaId: string,
): Promise<MediaRefDocument | null> {
  return store.mediaRefs.findOneAndUpdate(
    { _id: mediaId },
    { $set: { pickedAt: new Date() } },
    { session, returnDocument: 'after' },
  );
}

export function usableAsProfileImage(ref: MediaRefDocument, ownerId: string): boolean {
  return (
    ref.ownerId === ownerId &&
    ref.fileType === 'IMAGE' &&
    ref.isPublic &&
    (ref.status === 'UPLOADED' || ref.status === 'COMPLETED')
  );
}

/** The URL a profile shows for an image: its web variant once processed, else the original. */
export function profileImageUrl(ref: MediaRefDocument): string | null {
  return ref.webUrl ?? ref.url;
}
