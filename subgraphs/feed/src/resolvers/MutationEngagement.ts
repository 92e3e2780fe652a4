import { badUserInput, forbidden, notFound, parseInput, requireViewer, type Viewer } from '@social/kit';
import { ObjectId } from 'mongodb';
import type {
  CommentDocument,
  PostDocument,
  ShareDocument,
  StoredEntityType,
  StoredReaction,
} from '../data/collections.js';
import { ensureHashtags, recordTagChanges } from '../data/hashtags.js';
import { newPostDocument } from '../data/posts.js';
import { mayBeTold, mentionRecipients, resolveMentions } from '../data/mentions.js';
import { preview } from '../events.js';
import { visibleComment, visiblePost } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { extractHashtags, extractMentions } from '../text.js';
import { idArgument, pollOptionIds, sharePostInput } from '../validation.js';
import { reactionName, shareVisibilityName } from './enums.js';
import { assertMayPublish, audienceFacts, publishingViewer, seenPost } from './guards.js';
import { announceMentions, mentionIds } from './MutationPosts.js';

/**
 * Reactions, shares and poll votes on posts (and reactions on comments) the viewer may see. Each
 * is one transaction that writes the target's counters with `$inc` first: racing reactions to
 * one post conflict on it and the driver retries them one after the other, so the counters stay
 * exact (one reaction per user per entity: the like's id is entity:user).
 */

interface Target {
  readonly post: PostDocument;
  readonly comment: CommentDocument | null;
}

/** The post or comment to react to, when the viewer may see it (deleted ones are not found). */
async function reactionTarget(
  context: FeedContext,
  viewer: Viewer,
  entityType: StoredEntityType,
  entityId: string,
): Promise<Target> {
  if (entityType === 'Post') return { post: await seenPost(context, viewer, entityId), comment: null };
  const comment = await visibleComment(context.loaders, viewer, entityId);
  if (!comment || comment.isDeleted || comment.authorHidden) throw notFound('Comment', entityId);
  const post = await context.loaders.post.load(comment.postId.toHexString());
  if (!post) throw notFound('Comment', entityId);
  return { post, comment };
}

/** Sets (or with null removes) the viewer's reaction; resolves with the entity after it. */
async function setReaction(
  context: FeedContext,
  viewer: Viewer,
  target: Target,
  reaction: StoredReaction | null,
): Promise<PostDocument | CommentDocument> {
  const { store } = context.feed;
  const { post, comment } = target;
  const entityId = comment?._id ?? post._id;
  const entityType: StoredEntityType = comment ? 'Comment' : 'Post';
  const key = `${entityId.toHexString()}:${viewer.id}`;
  const updated = await store.transaction(async (session) => {
    const now = new Date();
    // A new reaction claims the author's document: it conflicts with the hiding of the account.
    if (reaction) await assertMayPublish(context, session, viewer.id);
    const previous = await store.likes.findOne({ _id: key }, { session });
    const previousType = previous?.reactionType ?? null;
    if (previousType === reaction) return null;
    // The reaction of an account hidden since (deleted or suspended) no longer counts (authors.ts).
    const counted = previous?.userHidden ? null : previousType;
    const inc: Record<string, number> = {};
    if (counted) inc[`reactionCounts.${counted}`] = -1;
    if (reaction) inc[`reactionCounts.${reaction}`] = 1;
    const delta = (reaction ? 1 : 0) - (counted ? 1 : 0);
    if (delta !== 0) {
      inc.likesCount = delta;
      if (!comment) inc.engagementScore = delta;
    }
    const update = { $inc: inc, $set: { updatedAt: now } };
    const options = { session, returnDocument: 'after' as const };
    const filter = { _id: entityId, isDeleted: false };
    const entity = comment
      ? await store.comments.findOneAndUpdate(filter, update, options)
      : await store.posts.findOneAndUpdate(filter, update, options);
    if (!entity) throw notFound(entityType, entityId.toHexString());
    if (!reaction) {
      await store.likes.deleteOne({ _id: key }, { session });
      return entity;
    }
    if (previous) {
      await store.likes.updateOne(
        { _id: key },
        { $set: { reactionType: reaction, createdAt: now, userHidden: false } },
        { session },
      );
    } else {
      await store.likes.insertOne(
        {
          _id: key,
          entityId,
          entityType,
          userId: viewer.id,
          reactionType: reaction,
          createdAt: now,
          userHidden: false,
        },
        { session },
      );
    }
    const facts = {
      ...audienceFacts(post),
      actorId: viewer.id,
      reaction: reactionName[reaction],
      previousReaction: previousType ? reactionName[previousType] : null,
      likesCount: entity.likesCount,
      reactedAt: now.toISOString(),
    };
    if (comment) {
      await store.outbox.enqueue(session, 'CommentReacted', {
        ...facts,
        commentId: comment._id.toHexString(),
        commentAuthorId: comment.userId,
        commentPreview: preview(comment.content) ?? '',
      });
    } else {
      await store.outbox.enqueue(session, 'PostReacted', facts);
    }
    return entity;
  });
  const id = entityId.toHexString();
  const loader = comment ? context.loaders.comment : context.loaders.post;
  loader.clear(id);
  if (updated) {
    (loader as typeof context.loaders.post).prime(id, updated as PostDocument);
    return updated;
  }
  const fresh = await loader.load(id);
  if (!fresh) throw notFound(entityType, id);
  return fresh;
}

async function react(
  _root: unknown,
  args: { input: { entityId: string; entityType: StoredEntityType; reaction: StoredReaction } },
  context: FeedContext,
) {
  const { entityType, reaction } = args.input;
  const entityId = idArgument(args.input.entityId, 'input.entityId');
  const viewer = await publishingViewer(context);
  const target = await reactionTarget(context, viewer, entityType, entityId);
  return setReaction(context, viewer, target, reaction);
}

async function unreact(
  _root: unknown,
  args: { entityId: string; entityType: StoredEntityType },
  context: FeedContext,
) {
  const entityId = idArgument(args.entityId, 'entityId');
  const viewer = requireViewer(context);
  const target = await reactionTarget(context, viewer, args.entityType, entityId);
  return setReaction(context, viewer, target, null);
}

async function likeComment(_root: unknown, args: { id: string }, context: FeedContext) {
  const id = idArgument(args.id, 'id');
  const viewer = await publishingViewer(context);
  const target = await reactionTarget(context, viewer, 'Comment', id);
  return setReaction(context, viewer, target, 'Like');
}

/**
 * Shares a post as a new post of the viewer's. A share of a share shares its original; PRIVATE and
 * CUSTOM posts of other users cannot be shared (FORBIDDEN). The original counts the share.
 */
async function sharePost(
  _root: unknown,
  args: { input: unknown },
  context: FeedContext,
): Promise<PostDocument> {
  const input = parseInput(sharePostInput, args.input, 'input');
  const viewer = await publishingViewer(context);
  const { store } = context.feed;
  const shared = await seenPost(context, viewer, input.postId);
  const original = shared.originalPostId
    ? await visiblePost(context.loaders, viewer, shared.originalPostId.toHexString())
    : shared;
  if (!original) throw notFound('Post', input.postId);
  if (
    original.userId !== viewer.id &&
    (original.visibility === 'Private' || original.visibility === 'Custom')
  ) {
    throw forbidden('Private and custom-audience posts of other users cannot be shared', 'NOT_SHAREABLE');
  }
  const mentions = await resolveMentions(store, viewer.id, extractMentions(input.caption));
  const hashtags = extractHashtags(input.caption);
  const now = new Date();
  await ensureHashtags(store, hashtags, now);
  const post = newPostDocument(
    {
      userId: viewer.id,
      content: input.caption,
      mediaIds: [],
      postType: 'Text',
      visibility: input.visibility,
      audienceUserIds: [],
      location: null,
      hashtags,
      mentions,
      linkPreview: null,
      poll: null,
      originalPostId: original._id,
      shareCaption: input.caption,
    },
    now,
  );
  const share: ShareDocument = {
    _id: new ObjectId(),
    originalPostId: original._id,
    sharedPostId: post._id,
    userId: viewer.id,
    caption: input.caption,
    visibility: input.visibility,
    createdAt: now,
  };
  const told = await mayBeTold(store, post, mentionIds(mentions));
  await store.transaction(async (session) => {
    await assertMayPublish(context, session, viewer.id);
    const counted = await store.posts.findOneAndUpdate(
      { _id: original._id, isDeleted: false },
      { $inc: { sharesCount: 1, engagementScore: 3 }, $set: { updatedAt: now } },
      { session, returnDocument: 'after' },
    );
    if (!counted) throw notFound('Post', input.postId);
    await store.posts.insertOne({ ...post }, { session });
    await store.shares.insertOne({ ...share }, { session });
    await recordTagChanges(store, session, post._id, { added: hashtags, removed: [] }, now);
    await store.outbox.enqueue(session, 'PostShared', {
      ...audienceFacts(counted),
      actorId: viewer.id,
      shareId: share._id.toHexString(),
      sharedPostId: post._id.toHexString(),
      shareVisibility: shareVisibilityName[input.visibility],
      captionPreview: preview(input.caption),
      sharedAt: now.toISOString(),
    });
    await announceMentions(
      store,
      session,
      post,
      viewer.id,
      mentionRecipients(viewer.id, mentions, told),
      null,
      now,
    );
  });
  context.loaders.post.clear(original._id.toHexString());
  context.loaders.post.prime(post._id.toHexString(), post);
  return post;
}

/** Votes in a poll, replacing the viewer's previous vote (the same vote again changes nothing). */
async function votePoll(
  _root: unknown,
  args: { postId: string; optionIds: unknown },
  context: FeedContext,
): Promise<PostDocument> {
  const postId = idArgument(args.postId, 'postId');
  const optionIds = parseInput(pollOptionIds, args.optionIds, 'optionIds');
  const viewer = await publishingViewer(context);
  const post = await seenPost(context, viewer, postId);
  const { poll } = post;
  if (!poll) throw badUserInput('postId is not a poll', 'postId');
  if (poll.expiresAt && poll.expiresAt.getTime() <= Date.now())
    throw badUserInput('The poll is closed', 'postId');
  if (optionIds.some((id) => !poll.options.some((option) => option.id === id))) {
    throw badUserInput('optionIds includes an option the poll does not have', 'optionIds');
  }
  if (!poll.allowMultipleAnswers && optionIds.length > 1) {
    throw badUserInput('optionIds must be exactly 1 option for this poll', 'optionIds');
  }
  const { store } = context.feed;
  const key = `${post._id.toHexString()}:${viewer.id}`;
  await store.transaction(async (session) => {
    const now = new Date();
    const previous = await store.pollVotes.findOne({ _id: key }, { session });
    const before = previous?.optionIds ?? [];
    const added = optionIds.filter((id) => !before.includes(id));
    const removed = before.filter((id) => !optionIds.includes(id));
    if (previous && added.length === 0 && removed.length === 0) return;
    // Options are fixed once the poll exists, so each one is addressed by its position.
    const inc: Record<string, number> = previous ? {} : { 'poll.votersCount': 1 };
    poll.options.forEach((option, index) => {
      if (added.includes(option.id)) inc[`poll.options.${index}.votes`] = 1;
      if (removed.includes(option.id)) inc[`poll.options.${index}.votes`] = -1;
    });
    const result = await store.posts.updateOne(
      { _id: post._id, isDeleted: false },
      { $inc: inc, $set: { updatedAt: now } },
      { session },
    );
    if (result.matchedCount === 0) throw notFound('Post', args.postId);
    if (previous) {
      await store.pollVotes.updateOne({ _id: key }, { $set: { optionIds, votedAt: now } }, { session });
    } else {
      await store.pollVotes.insertOne(
        { _id: key, postId: post._id, userId: viewer.id, optionIds, votedAt: now },
        { session },
      );
    }
  });
  const id = post._id.toHexString();
  context.loaders.viewerVote.clear(id);
  const fresh = await context.loaders.post.clear(id).load(id);
  if (!fresh) throw notFound('Post', id);
  return fresh;
}

export const EngagementMutation = { react, unreact, likeComment, sharePost, votePoll };
