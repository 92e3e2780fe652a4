import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientSession, Collection, Db } from 'mongodb';
import { z } from 'zod';
import type { EventEnvelope } from './event-bus.js';
import type { CollectionSpec } from './mongo-store.js';

/**
 * `media_refs`: a service's copy of what media's events said about files (owner, kind,
 * visibility, URLs), so profile (avatars), feed (post attachments) and chat (message attachments,
 * group avatars) check a file without calling media.
 *
 * Events can arrive out of order (a redelivery comes after the events that followed it), so every
 * write merges instead of overwriting: DELETED is final, a processing result (COMPLETED / FAILED)
 * is never undone by a late MediaUploaded, and a late MediaUploaded only fills in what is still
 * unknown.
 */

export const MEDIA_REFS_COLLECTION = 'media_refs';

/** The media events a copy is kept from (stream `media`). */
export const MEDIA_EVENT_TYPES = ['MediaUploaded', 'MediaProcessed', 'MediaUpdated', 'MediaDeleted'] as const;

export type MediaRefStatus = 'UPLOADED' | 'COMPLETED' | 'FAILED' | 'DELETED';

export interface MediaRefDocument {
  _id: string;
  ownerId: string;
  /** IMAGE, VIDEO, AUDIO, DOCUMENT... ('' until an event said). */
  fileType: string;
  mimeType: string;
  isPublic: boolean;
  status: MediaRefStatus;
  url: string | null;
  webUrl: string | null;
  thumbnailUrl: string | null;
  updatedAt: Date;
  /** Last time a change picked this file (a write that serialises the change with media's events). */
  pickedAt?: Date;
}

export const mediaRefsCollection: CollectionSpec = {
  name: MEDIA_REFS_COLLECTION,
  indexes: [{ key: { ownerId: 1 }, name: 'owner' }],
};

export function mediaRefsOf(db: Db): Collection<MediaRefDocument> {
  return db.collection<MediaRefDocument>(MEDIA_REFS_COLLECTION);
}

const mediaFacts = z.object({
  mediaId: z.string().min(1),
  ownerId: z.string().min(1),
  fileType: z.string().nullish(),
  mimeType: z.string().nullish(),
  isPublic: z.boolean().nullish(),
  url: z.string().nullish(),
  webUrl: z.string().nullish(),
  thumbnailUrl: z.string().nullish(),
});
const mediaProcessed = mediaFacts.extend({
  status: z.enum(['COMPLETED', 'FAILED']),
  category: z.string().nullish(),
});

export type MediaFacts = z.infer<typeof mediaFacts>;
/** MediaProcessed's payload: the facts plus the outcome and the file's category (PROFILE, POST...). */
export type MediaProcessedFacts = z.infer<typeof mediaProcessed>;

/** What one media event says: the facts, the status they imply, and whether they are final. */
export interface MediaEventFacts {
  readonly facts: MediaFacts;
  readonly status: MediaRefStatus;
  /** MediaProcessed / MediaUpdated facts replace what is stored; MediaUploaded's only fill gaps. */
  readonly authoritative: boolean;
  /** Set for MediaProcessed. */
  readonly processed?: MediaProcessedFacts;
}

/** Reads a media event's payload (throws on a malformed one); null for other types. */
export function readMediaEvent(event: EventEnvelope): MediaEventFacts | null {
  switch (event.type) {
    case 'MediaUploaded':
      return { facts: mediaFacts.parse(event.data), status: 'UPLOADED', authoritative: false };
    case 'MediaProcessed': {
      const processed = mediaProcessed.parse(event.data);
      return { facts: processed, status: processed.status, authoritative: true, processed };
    }
    case 'MediaUpdated':
      // Only visibility changes; the lowest status keeps whatever is known.
      return {
        facts: mediaFacts.pick({ mediaId: true, ownerId: true, isPublic: true }).parse(event.data),
        status: 'UPLOADED',
        authoritative: true,
      };
    case 'MediaDeleted':
      return {
        facts: mediaFacts.pick({ mediaId: true, ownerId: true }).parse(event.data),
        status: 'DELETED',
        authoritative: true,
      };
    default:
      return null;
  }
}

/** How settled a status is: a status never moves to a less settled one. */
const SETTLEDNESS: Record<MediaRefStatus, number> = { UPLOADED: 0, COMPLETED: 1, FAILED: 1, DELETED: 2 };

/** Merges one event's facts into the file's ref; resolves with the ref after the change. */
export async function mergeMediaRef(
  collection: Collection<MediaRefDocument>,
  session: ClientSession,
  change: Pick<MediaEventFacts, 'facts' | 'status' | 'authoritative'>,
): Promise<MediaRefDocument> {
  const { facts, status, authoritative } = change;
  const now = new Date();
  const current = await collection.findOne({ _id: facts.mediaId }, { session });
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
    await collection.insertOne(created, { session });
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
  await collection.replaceOne({ _id: current._id }, next, { session });
  return next;
}

/** Whether `ownerId` may attach `ref`: their own file, not deleted and not failed. */
export function usableBy(ref: MediaRefDocument, ownerId: string): boolean {
  return ref.ownerId === ownerId && (ref.status === 'UPLOADED' || ref.status === 'COMPLETED');
}

/**
 * Looks `probe` up until it finds something or `waitMs` passed (EVENT_WAIT_MS): what a mutation
 * does about another service's event that has not arrived yet. Null when it never came.
 */
export async function waitForEvent<T>(probe: () => Promise<T | null>, waitMs: number): Promise<T | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await probe();
    if (found || Date.now() >= deadline) return found;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}

/**
 * The refs of `ids` (one `$in` query per look), waiting up to `waitMs` for media's events about
 * files not seen yet: a file attached right after its upload may be ahead of its MediaUploaded.
 * The map has entries only for the files known by then.
 */
export async function waitForMediaRefs(
  collection: Collection<MediaRefDocument>,
  ids: readonly string[],
  waitMs: number,
): Promise<Map<string, MediaRefDocument>> {
  const wanted = new Set(ids);
  let latest = new Map<string, MediaRefDocument>();
  await waitForEvent(async () => {
    const refs = wanted.size === 0 ? [] : await collection.find({ _id: { $in: [...wanted] } }).toArray();
    latest = new Map(refs.map((ref) => [ref._id, ref]));
    return latest.size === wanted.size ? latest : null;
  }, waitMs);
  return latest;
}
