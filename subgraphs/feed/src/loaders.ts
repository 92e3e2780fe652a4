import {
  OBJECT_ID_PATTERN,
  createBatchLoader,
  createOrderedLoader,
  createSocialLoaders,
  type Audience,
  type DataLoader,
  type SocialLoaders,
  type Viewer,
} from '@social/kit';
import type {
  CommentDocument,
  LikeDocument,
  MediaRefDocument,
  PostDocument,
  StoredReaction,
} from './data/collections.js';
import {
  commentsPages,
  reactionsPages,
  topCommentsOf,
  type CommentPageRequest,
  type ReactionPageRequest,
} from './data/pages.js';
import type { FeedStore } from './data/store.js';
import { toObjectIds } from './validation.js';
import { canSeePost } from './visibility.js';

/**
 * Per-request DataLoaders of the feed subgraph (DESIGN 10), built in the context factory for
 * every request. A page of N posts costs one command per loader, not N: posts and comments by id
 * (entity references included), the viewer's reactions, poll votes, top comments, pinned posts,
 * and the replica's users and relations behind every visibility decision.
 */
export interface Loaders {
  /** Posts by id (hex), deleted ones included: callers apply visibility (visiblePost). */
  readonly post: DataLoader<string, PostDocument | null>;
  /** Comments by id (hex). */
  readonly comment: DataLoader<string, CommentDocument | null>;
  /** The viewer's reaction by post or comment id (ObjectIds are unique across both). */
  readonly viewerReaction: DataLoader<string, StoredReaction | null>;
  /** The option ids the viewer voted for, by post id. */
  readonly viewerVote: DataLoader<string, string[]>;
  /** Each user's pinned post (not deleted), by user id. */
  readonly pinnedPost: DataLoader<string, PostDocument | null>;
  /** What media's events said about files (status), by media id: attachments of a page. */
  readonly mediaRef: DataLoader<string, Pick<MediaRefDocument, '_id' | 'status'> | null>;
  /** The replica's users (status, privacy) and the viewer's relation to them. */
  readonly social: SocialLoaders;
  /** Pages of comments or replies (one command for a whole page of posts or comments). */
  commentPage(request: CommentPageRequest): Promise<CommentDocument[]>;
  /** Pages of reactions (one command for a whole page of posts or comments). */
  reactionPage(request: ReactionPageRequest): Promise<LikeDocument[]>;
  /** The top `n` comments of posts by post id (one aggregation per n for the whole page). */
  topComments(n: number): DataLoader<string, CommentDocument[]>;
  /** The viewer's friends, followees and blocks (one command per request). */
  audience(): Promise<Audience>;
}

const NO_AUDIENCE: Audience = { friends: [], following: [], blocked: [] };

export function createLoaders(store: FeedStore, viewer: Viewer | null): Loaders {
  const viewerId = viewer?.id ?? null;
  let audience: Promise<Audience> | undefined;
  const topLoaders = new Map<number, DataLoader<string, CommentDocument[]>>();
  const loadAudience = () => {
    if (!viewerId) return Promise.resolve(NO_AUDIENCE);
    audience ??= store.replica.audience(viewerId);
    return audience;
  };

  const commentPage = createPageLoader<CommentPageRequest, CommentDocument>({
    keyOf: (r) => `${r.postId}|${r.parentId}|${r.newestFirst}|${r.limit}|${positionKey(r.position)}`,
    shapeOf: (r) => `${r.parentId === null}|${r.newestFirst}|${r.limit}`,
    groupOf: (r) => String(r.parentId ?? r.postId),
    fetch: async (requests) => commentsPages(store, requests, (await loadAudience()).blocked),
  });
  const reactionPage = createPageLoader<ReactionPageRequest, LikeDocument>({
    keyOf: (r) => `${r.entityId}|${r.entityType}|${r.reaction}|${r.limit}|${positionKey(r.position)}`,
    shapeOf: (r) => `${r.entityType}|${r.reaction}|${r.limit}`,
    groupOf: (r) => String(r.entityId),
    fetch: (requests) => reactionsPages(store, requests),
  });

  return {
    commentPage,
    reactionPage,
    post: createBatchLoader<string, PostDocument>(
      (ids) => store.posts.find({ _id: { $in: toObjectIds(ids) } }).toArray(),
      (post) => post._id.toHexString(),
    ),
    comment: createBatchLoader<string, CommentDocument>(
      (ids) => store.comments.find({ _id: { $in: toObjectIds(ids) } }).toArray(),
      (comment) => comment._id.toHexString(),
    ),
    viewerReaction: createOrderedLoader<string, StoredReaction | null>(async (ids) => {
      if (!viewerId) return ids.map(() => null);
      const likes = await store.likes
        .find(
          { userId: viewerId, entityId: { $in: toObjectIds(ids) } },
          { projection: { entityId: 1, reactionType: 1 } },
        )
        .toArray();
      const byId = new Map(likes.map((like) => [like.entityId.toHexString(), like.reactionType]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    viewerVote: createOrderedLoader<string, string[]>(async (ids) => {
      if (!viewerId) return ids.map(() => []);
      const votes = await store.pollVotes
        .find({ _id: { $in: ids.map((id) => `${id}:${viewerId}`) } })
        .toArray();
      const byPost = new Map(votes.map((vote) => [vote.postId.toHexString(), vote.optionIds]));
      return ids.map((id) => byPost.get(id) ?? []);
    }),
    pinnedPost: createBatchLoader<string, PostDocument>(
      (userIds) =>
        store.posts.find({ userId: { $in: [...userIds] }, isPinned: true, isDeleted: false }).toArray(),
      (post) => post.userId,
    ),
    mediaRef: createBatchLoader<string, Pick<MediaRefDocument, '_id' | 'status'>>(
      (ids) => store.mediaRefs.find({ _id: { $in: [...ids] } }, { projection: { status: 1 } }).toArray(),
      (ref) => ref._id,
    ),
    social: createSocialLoaders(store.replica, viewerId),
    topComments(n) {
      let loader = topLoaders.get(n);
      if (!loader) {
        loader = createOrderedLoader<string, CommentDocument[]>(async (postIds) => {
          const { blocked } = await loadAudience();
          const top = await topCommentsOf(store, toObjectIds(postIds), n, blocked);
          return postIds.map((id) => top.get(id) ?? []);
        });
        topLoaders.set(n, loader);
      }
      return loader;
    },
    audience: loadAudience,
  };
}

const positionKey = (position: { date: Date; id: unknown } | null) =>
  position ? `${position.date.getTime()}:${String(position.id)}` : '';

/**
 * A loader of list pages: the pages requested in one tick are fetched together, one command per
 * set of requests of the same shape (order, size, filter) with distinct groups (the post or
 * comment whose list it is); a second page of the same list in the same tick goes to another set.
 */
function createPageLoader<R, T>(options: {
  keyOf: (request: R) => string;
  shapeOf: (request: R) => string;
  groupOf: (request: R) => string;
  fetch: (requests: R[]) => Promise<T[][]>;
}): (request: R) => Promise<T[]> {
  const requests = new Map<string, R>();
  const loader = createOrderedLoader<string, T[]>(async (keys) => {
    const sets: Array<{ shape: string; groups: Set<string>; keys: string[]; requests: R[] }> = [];
    for (const key of keys) {
      const request = requests.get(key)!;
      const shape = options.shapeOf(request);
      const group = options.groupOf(request);
      let set = sets.find((candidate) => candidate.shape === shape && !candidate.groups.has(group));
      if (!set) {
        set = { shape, groups: new Set(), keys: [], requests: [] };
        sets.push(set);
      }
      set.groups.add(group);
      set.keys.push(key);
      set.requests.push(request);
    }
    const pages = new Map<string, T[]>();
    await Promise.all(
      sets.map(async (set) => {
        const fetched = await options.fetch(set.requests);
        set.keys.forEach((key, index) => pages.set(key, fetched[index] ?? []));
      }),
    );
    return keys.map((key) => pages.get(key) ?? []);
  });
  return (request) => {
    const key = options.keyOf(request);
    requests.set(key, request);
    return loader.load(key);
  };
}

/** The post with this id when the viewer may see it (visibility.ts), else null. */
export async function visiblePost(
  loaders: Loaders,
  viewer: Viewer | null,
  id: string,
): Promise<PostDocument | null> {
  if (!viewer || !OBJECT_ID_PATTERN.test(id)) return null;
  const post = await loaders.post.load(id.toLowerCase());
  return post && (await mayView(loaders, viewer.id, post)) ? post : null;
}

/** Whether the viewer may see `post` (loads the author's status and the relation, batched). */
export async function mayView(loaders: Loaders, viewerId: string, post: PostDocument): Promise<boolean> {
  if (post.isDeleted) return false;
  if (post.userId === viewerId) return true;
  const [author, relation] = await Promise.all([
    loaders.social.user.load(post.userId),
    loaders.social.relation.load(post.userId),
  ]);
  return canSeePost(post, viewerId, author, relation);
}

/**
 * The comment with this id when the viewer may see its post and neither blocked the other;
 * deleted comments are returned (shown without content). A comment of a deleted or suspended
 * account is hidden from everyone but its author, like the account's posts.
 */
export async function visibleComment(
  loaders: Loaders,
  viewer: Viewer | null,
  id: string,
): Promise<CommentDocument | null> {
  if (!viewer || !OBJECT_ID_PATTERN.test(id)) return null;
  const comment = await loaders.comment.load(id.toLowerCase());
  if (!comment || (comment.authorHidden && comment.userId !== viewer.id)) return null;
  const [post, relation] = await Promise.all([
    visiblePost(loaders, viewer, comment.postId.toHexString()),
    comment.userId === viewer.id ? null : loaders.social.relation.load(comment.userId),
  ]);
  if (!post || relation?.blocked) return null;
  return comment;
}
