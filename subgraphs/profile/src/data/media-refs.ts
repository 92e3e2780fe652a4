import type { MediaRefDocument } from '@social/kit';
import type { ClientSession } from 'mongodb';
import type { ProfileStore } from './store.js';

/**
 * The profile's uses of its `media_refs` (kit media-refs.ts keeps them from media's events): the
 * files users pick as avatar or cover.
 */

export function findMediaRef(store: ProfileStore, mediaId: string): Promise<MediaRefDocument | null> {
  return store.mediaRefs.findOne({ _id: mediaId });
}

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
