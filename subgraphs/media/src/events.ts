import { handleEventOnce, type EventBus, type EventSubscription, type Logger } from '@social/kit';
import type { Db, MongoClient } from 'mongodb';
import type { AuthEventMap } from '../../auth/src/events.js';
import type { MediaFiles } from './data/media-files.js';

/**
 * Events of the media subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id). Every event is written to the `event_outbox`
 * collection in the transaction of the change it describes and relayed from there (kit
 * `createMongoOutbox`), so none is lost.
 *
 * Publishes to stream `media` (below). Consumes: auth (UserDeleted, UserStatusChanged).
 *
 * Dates are ISO-8601 strings; enum values are the GraphQL names (IMAGE, PROFILE, COMPLETED...).
 * URLs are absolute, stable and unsigned: `<origin>/media/<id>/<original|web|thumbnail>`; for a
 * private file they answer only its owner (or a signed URL), so consumers use them for public
 * files (avatars, covers) and resolve `MediaFile` through federation otherwise.
 */
export const PRODUCER = 'media';
/** This service's consumer group on other services' streams. */
export const CONSUMER_GROUP = 'media';

export type MediaFileTypeName = 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT';
export type MediaCategoryName = 'PROFILE' | 'POST' | 'CHAT' | 'DOCUMENT' | 'OTHER';

export interface MediaEventMap {
  /** The bytes of an upload were accepted (type sniffed, size and checksum known); processing follows. */
  MediaUploaded: {
    readonly mediaId: string;
    readonly ownerId: string;
    readonly fileType: MediaFileTypeName;
    readonly mimeType: string;
    readonly category: MediaCategoryName;
    readonly isPublic: boolean;
    readonly fileSize: number;
    readonly uploadedAt: string;
  };
  /** Processing finished: COMPLETED with the renditions' URLs, or FAILED with processingError. */
  MediaProcessed: {
    readonly mediaId: string;
    readonly ownerId: string;
    readonly fileType: MediaFileTypeName;
    readonly mimeType: string;
    readonly category: MediaCategoryName;
    readonly isPublic: boolean;
    readonly status: 'COMPLETED' | 'FAILED';
    /** The original (null when it may not be served, e.g. an image that failed processing). */
    readonly url: string | null;
    readonly webUrl: string | null;
    readonly thumbnailUrl: string | null;
    readonly width: number | null;
    readonly height: number | null;
    /** Seconds (audio, video) when it could be probed. */
    readonly duration: number | null;
    readonly processingError: string | null;
  };
  /** Metadata changed by the owner; `changed` lists GraphQL field names (isPublic, category, tags...). */
  MediaUpdated: {
    readonly mediaId: string;
    readonly ownerId: string;
    readonly isPublic: boolean;
    readonly category: MediaCategoryName;
    readonly changed: readonly string[];
  };
  /** Soft-deleted by its owner (or a moderator): gone everywhere now; bytes removed after a grace period. */
  MediaDeleted: { readonly mediaId: string; readonly ownerId: string; readonly deletedAt: string };
}

export type MediaEventType = keyof MediaEventMap;

/** The auth events media handles. */
export const CONSUMED_AUTH_EVENTS = ['UserDeleted', 'UserStatusChanged'] as const;

export interface AuthConsumerOptions {
  readonly events: EventBus;
  readonly client: MongoClient;
  readonly db: Db;
  readonly files: MediaFiles;
  readonly logger: Logger;
  /** Grace period of deleted files before their bytes are removed. */
  readonly deleteGraceSeconds: number;
}

/**
 * Hides a deleted account's files (soft delete: the bytes follow after the grace period, or after
 * auth's own purge date when that is later) and a suspended or deactivated account's files (shown
 * again when it is reactivated). Each event is applied once (kit `handleEventOnce`), and a status
 * event older than the last one applied changes nothing.
 */
export function subscribeToAuthEvents(options: AuthConsumerOptions): Promise<EventSubscription> {
  const logger = options.logger.child({ component: 'auth-events' });
  return options.events.subscribe(
    'auth',
    CONSUMER_GROUP,
    async (event) => {
      await handleEventOnce(options.client, options.db, event, async (session) => {
        if (event.type === 'UserDeleted') {
          const data = event.data as AuthEventMap['UserDeleted'];
          const deletedAt = new Date(data.deletedAt);
          const graceEnd = new Date(deletedAt.getTime() + options.deleteGraceSeconds * 1000);
          const authPurge = new Date(data.purgeAfter);
          const purgeAfter = authPurge > graceEnd ? authPurge : graceEnd;
          const hidden = await options.files.deleteAllOf(session, data.userId, deletedAt, purgeAfter);
          logger.info({ userId: data.userId, files: hidden }, 'deleted account: files hidden');
        } else if (event.type === 'UserStatusChanged') {
          const data = event.data as AuthEventMap['UserStatusChanged'];
          const suspended = data.status !== 'ACTIVE';
          const changed = await options.files.setOwnerSuspended(
            session,
            data.userId,
            suspended,
            new Date(event.occurredAt),
          );
          logger.info({ userId: data.userId, status: data.status, files: changed }, 'account status applied');
        }
      });
    },
    { types: CONSUMED_AUTH_EVENTS },
  );
}
