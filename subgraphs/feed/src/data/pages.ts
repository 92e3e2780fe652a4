import {
  OBJECT_ID_PATTERN,
  badUserInput,
  decodeListCursor,
  type CursorKey,
  textSearchPage,
} from '@social/kit';
import { ObjectId, type Collection, type Document, type Filter } from 'mongodb';
import type {
  CommentDocument,
  LikeDocument,
  PostDocument,
  StoredEntityType,
  StoredReaction,
} from './collections.js';
import type { FeedStore } from './store.js';

/**
 * Keyset pages over the feed's collections: every list sorts by a stable key plus the id and a
 * page starts strictly after the last (key, id) seen, so pages have no duplicates or gaps while
 * new items arrive (they sort before the first page). One query per page, `limit` = size + 1 (the
 * extra row only tells whether a next page exists).
 */

/**
 * Which list a cursor belongs to. A cursor carries its list, so one list's cursor given to another
 * (a score where a date is expected, a newest-first position in an oldest-first list) is
 * BAD_USER_INPUT instead of a silently wrong page.
 */
export type ListKind =
  | 'feed'
  | 'explore'
  | 'user'
  | 'archived'
  | 'tag'
  | 'search'
  | 'comments'
  | 'comments-oldest'
  | 'replies'
  | 'reactions';

/** A cursor's parts: [list, sort key, id] (kit encodeCursor makes it opaque). */
export function cursorKey(kind: ListKind, key: number, id: string): CursorKey[] {
  return [kind, key, id];
}

/** Where a date-sorted page starts: after this (date, id). */
export interface DatePosition {
  readonly date: Date;
  readonly id: ObjectId;
}

/** Where a score-sorted page starts: after this (score, id). */
export interface ScorePosition {
  readonly score: number;
  readonly id: ObjectId;
}

/** Where a page of reactions starts: after this (date, like id). */
export interface ReactionPosition {
  readonly date: Date;
  readonly id: string;
}

const invalidCursor = () => badUserInput('after is not a valid cursor', 'after');
/** The largest time a Date holds, in ms either side of the epoch. */
const MAX_DATE_MS = 8.64e15;
const LIKE_ID = /^[0-9a-f]{24}:[0-9a-f-]{36}$/i;

/** The (key, id) of an `after` cursor of the `kind` list; BAD_USER_INPUT for anything else. */
function decodePosition(kind: ListKind, after: string): { key: number; id: string } {
  const [key, id] = decodeListCursor(kind, after, 2);
  if (typeof key !== 'number' || !Number.isFinite(key) || typeof id !== 'string') {
    throw invalidCursor();
  }
  return { key, id };
}

function dateOf(ms: number): Date {
  if (!Number.isInteger(ms) || Math.abs(ms) > MAX_DATE_MS) throw invalidCursor();
  return new Date(ms);
}

/** The position of an `after` cursor of a date-sorted list. */
export function datePosition(kind: ListKind, after: string | null | undefined): DatePosition | null {
  if (!after) return null;
  const { key, id } = decodePosition(kind, after);
  if (!OBJECT_ID_PATTERN.test(id)) throw invalidCursor();
  return { date: dateOf(key), id: new ObjectId(id) };
}

/** The position of an `after` cursor of a score-sorted list. */
export function scorePosition(kind: ListKind, after: string | null | undefined): ScorePosition | null {
  if (!after) return null;
  const { key, id } = decodePosition(kind, after);
  if (!OBJECT_ID_PATTERN.test(id)) throw invalidCursor();
  return { score: key, id: new ObjectId(id) };
}

/** The position of an `after` cursor of a reaction list. */
export function reactionPosition(after: string | null | undefined): ReactionPosition | null {
  if (!after) return null;
  const { key, id } = decodePosition('reactions', after);
  if (!LIKE_ID.test(id)) throw invalidCursor();
  return { date: dateOf(key), id };
}

/** The rows strictly after `position` in (`field`, _id) order, descending or ascending. */
function after(field: string, position: { key: unknown; id: ObjectId } | null, descending = true): Document {
  if (!position) return {};
  const op = descending ? '$lt' : '$gt';
  return {
    $or: [{ [field]: { [op]: position.key } }, { [field]: position.key, _id: { [op]: position.id } }],
  };
}

const both = <T>(a: Filter<T>, b: Document): Filter<T> =>
  Object.keys(b).length === 0 ? a : ({ $and: [a, b] } as Filter<T>);

/** Posts matching `filter`, newest first (createdAt, then id), after `position`. */
export function postsByDate(
  store: FeedStore,
  filter: Filter<PostDocument>,
  position: DatePosition | null,
  limit: number,
): Promise<PostDocument[]> {
  const cursor = position ? { key: position.date, id: position.id } : null;
  return store.posts
    .find(both(filter, after('createdAt', cursor)))
    .sort({ createdAt: -1, _id: -1 })
    .limit(limit)
    .toArray();
}

/** Posts matching `filter`, by engagement score (then id), after `position`: explore. */
export function postsByEngagement(
  store: FeedStore,
  filter: Filter<PostDocument>,
  position: ScorePosition | null,
  limit: number,
): Promise<PostDocument[]> {
  const cursor = position ? { key: position.score, id: position.id } : null;
  return store.posts
    .find(both(filter, after('engagementScore', cursor)))
    .sort({ engagementScore: -1, _id: -1 })
    .limit(limit)
    .toArray();
}

export type ScoredPost = PostDocument & { readonly searchScore: number };

/** Full-text matches of `text` among posts matching `filter`, best match first, then by id. */
export function searchPostsPage(
  store: FeedStore,
  text: string,
  filter: Filter<PostDocument>,
  position: ScorePosition | null,
  limit: number,
): Promise<ScoredPost[]> {
  const match = { $and: [{ $text: { $search: text } }, filter] };
  return store.posts.aggregate<ScoredPost>(textSearchPage(match, position, limit)).toArray();
}

/**
 * Comments shown in lists: visible ones, and deleted ones while they have visible replies. A
 * comment of a deleted or suspended account is hidden like the account's posts, placeholder
 * included (a deleted account's User no longer resolves, and Comment.author is non-null).
 */
const LISTED: Filter<CommentDocument> = {
  authorHidden: false,
  $or: [{ isDeleted: false }, { repliesCount: { $gt: 0 } }],
};

/**
 * Pages of several lists of one collection in ONE command (a page of posts asking each for its
 * comments is not a query per post, DESIGN 10): every request's own filter (its list and position)
 * is OR-ed under the `shared` one, and each group keeps its first `limit` rows in `sort` order
 * ($topN). The requests' groups (`groupBy` values) must be distinct. A single request is one
 * indexed find with a limit.
 */
async function pagesOf<T extends Document>(
  collection: Collection<T>,
  options: {
    shared: Filter<T>;
    requests: readonly { group: ObjectId; filter: Filter<T> }[];
    groupBy: string;
    sort: Record<string, 1 | -1>;
    limit: number;
  },
): Promise<T[][]> {
  const { shared, requests, groupBy, sort, limit } = options;
  const [only] = requests;
  if (!only) return [];
  if (requests.length === 1) {
    const rows = await collection.find(both(shared, only.filter)).sort(sort).limit(limit).toArray();
    return [rows as T[]];
  }
  const groups = await collection
    .aggregate<{ _id: ObjectId; rows: T[] }>([
      { $match: { $and: [shared, { $or: requests.map((request) => request.filter) }] } },
      { $group: { _id: `$${groupBy}`, rows: { $topN: { n: limit, sortBy: sort, output: '$$ROOT' } } } },
    ])
    .toArray();
  const byGroup = new Map(groups.map((group) => [group._id.toHexString(), group.rows]));
  return requests.map((request) => byGroup.get(request.group.toHexString()) ?? []);
}

/** A page of a post's top-level comments (`parentId` null) or of a comment's replies. */
export interface CommentPageRequest {
  readonly postId: ObjectId;
  readonly parentId: ObjectId | null;
  readonly newestFirst: boolean;
  readonly position: DatePosition | null;
  readonly limit: number;
}

/**
 * Pages of comments, one per request, leaving out the authors the viewer blocked or is blocked
 * by. The requests share `newestFirst`, `limit` and whether they are replies, and have distinct
 * posts (top-level) or parents (replies).
 */
export function commentsPages(
  store: FeedStore,
  requests: readonly CommentPageRequest[],
  blocked: readonly string[],
): Promise<CommentDocument[][]> {
  const [first] = requests;
  if (!first) return Promise.resolve([]);
  const { newestFirst, limit } = first;
  const direction = newestFirst ? -1 : 1;
  return pagesOf(store.comments, {
    shared: { ...(blocked.length > 0 ? { userId: { $nin: [...blocked] } } : {}), ...LISTED },
    requests: requests.map((request) => {
      const cursor = request.position ? { key: request.position.date, id: request.position.id } : null;
      return {
        group: request.parentId ?? request.postId,
        filter: both(
          { postId: request.postId, parentCommentId: request.parentId },
          after('createdAt', cursor, newestFirst),
        ),
      };
    }),
    groupBy: first.parentId === null ? 'postId' : 'parentCommentId',
    sort: { createdAt: direction, _id: direction },
    limit,
  });
}

/**
 * The top `n` visible top-level comments of each post (most reactions first, ties newest first),
 * for a whole page of posts in ONE aggregation ($topN per post).
 */
export async function topCommentsOf(
  store: FeedStore,
  postIds: readonly ObjectId[],
  n: number,
  blocked: readonly string[],
): Promise<Map<string, CommentDocument[]>> {
  const rows = await store.comments
    .aggregate<{ _id: ObjectId; top: CommentDocument[] }>([
      {
        $match: {
          postId: { $in: [...postIds] },
          parentCommentId: null,
          isDeleted: false,
          authorHidden: false,
          ...(blocked.length > 0 ? { userId: { $nin: [...blocked] } } : {}),
        },
      },
      {
        $group: {
          _id: '$postId',
          top: { $topN: { n, sortBy: { likesCount: -1, createdAt: -1, _id: -1 }, output: '$$ROOT' } },
        },
      },
    ])
    .toArray();
  return new Map(rows.map((row) => [row._id.toHexString(), row.top]));
}

/** A page of the reactions on a post or comment, newest first, optionally of one type. */
export interface ReactionPageRequest {
  readonly entityId: ObjectId;
  readonly entityType: StoredEntityType;
  readonly reaction: StoredReaction | null;
  readonly position: ReactionPosition | null;
  readonly limit: number;
}

/**
 * Pages of reactions, one per request, leaving out those of deleted or suspended accounts. The
 * requests share the entity type, the reaction filter and `limit`, and have distinct entities.
 */
export function reactionsPages(
  store: FeedStore,
  requests: readonly ReactionPageRequest[],
): Promise<LikeDocument[][]> {
  const [first] = requests;
  if (!first) return Promise.resolve([]);
  return pagesOf(store.likes, {
    shared: {
      entityType: first.entityType,
      ...(first.reaction ? { reactionType: first.reaction } : {}),
      userHidden: { $ne: true },
    },
    requests: requests.map(({ entityId, position }) => ({
      group: entityId,
      filter: position
        ? {
            entityId,
            $or: [
              { createdAt: { $lt: position.date } },
              { createdAt: position.date, _id: { $lt: position.id } },
            ],
          }
        : { entityId },
    })),
    groupBy: 'entityId',
    sort: { createdAt: -1, _id: -1 },
    limit: first.limit,
  });
}
