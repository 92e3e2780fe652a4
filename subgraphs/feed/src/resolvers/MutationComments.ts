import { badUserInput, forbidden, notFound, parseInput, requireViewer, type Viewer } from '@social/kit';
import type { CommentDocument, PostDocument } from '../data/collections.js';
import { mayBeTold, mentionRecipients, resolveMentions } from '../data/mentions.js';
import { newCommentDocument } from '../data/posts.js';
import { preview } from '../events.js';
import { visibleComment } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { extractMentions } from '../text.js';
import { addCommentInput, commentContent, idArgument } from '../validation.js';
import { assertMayPublish, audienceFacts, publishingViewer, seenPost } from './guards.js';
import { announceMentions, mentionIds } from './MutationPosts.js';

/**
 * Comments and replies on posts the viewer may see. The post's commentsCount (visible comments
 * including replies) and the parent's repliesCount (visible direct replies) change with `$inc` in
 * the transaction of the comment, which also checks the post and parent still exist.
 */

/** A comment the viewer may see that is not deleted, with its post. */
async function liveComment(
  context: FeedContext,
  viewer: Viewer,
  id: string,
): Promise<{ comment: CommentDocument; post: PostDocument }> {
  const comment = await visibleComment(context.loaders, viewer, id);
  if (!comment || comment.isDeleted || comment.authorHidden) throw notFound('Comment', id);
  const post = await context.loaders.post.load(comment.postId.toHexString());
  if (!post) throw notFound('Comment', id);
  return { comment, post };
}

async function addComment(
  _root: unknown,
  args: { input: unknown },
  context: FeedContext,
): Promise<CommentDocument> {
  const input = parseInput(addCommentInput, args.input, 'input');
  const viewer = await publishingViewer(context);
  const { store } = context.feed;
  const post = await seenPost(context, viewer, input.postId);
  let parent: CommentDocument | null = null;
  if (input.parentCommentId) {
    const field = 'input.parentCommentId';
    const found = await visibleComment(context.loaders, viewer, input.parentCommentId);
    if (!found || !found.postId.equals(post._id))
      throw badUserInput(`${field} must be a comment of the same post`, field);
    if (found.isDeleted || found.authorHidden) throw badUserInput(`${field} is a deleted comment`, field);
    parent = found;
  }
  const mentions = await resolveMentions(store, viewer.id, extractMentions(input.content));
  const told = await mayBeTold(store, post, mentionIds(mentions));
  const now = new Date();
  const comment = newCommentDocument(
    {
      postId: post._id,
      userId: viewer.id,
      content: input.content,
      mentions,
      parentCommentId: parent?._id ?? null,
    },
    now,
  );
  await store.transaction(async (session) => {
    await assertMayPublish(context, session, viewer.id);
    const counted = await store.posts.findOneAndUpdate(
      { _id: post._id, isDeleted: false },
      { $inc: { commentsCount: 1, engagementScore: 2 }, $set: { updatedAt: now } },
      { session, returnDocument: 'after' },
    );
    if (!counted) throw notFound('Post', input.postId);
    if (parent) {
      const replied = await store.comments.findOneAndUpdate(
        { _id: parent._id, isDeleted: false },
        { $inc: { repliesCount: 1 }, $set: { updatedAt: now } },
        { session },
      );
      if (!replied) throw badUserInput('input.parentCommentId is a deleted comment', 'input.parentCommentId');
    }
    await store.comments.insertOne({ ...comment }, { session });
    await store.outbox.enqueue(session, 'PostCommented', {
      ...audienceFacts(counted),
      actorId: viewer.id,
      commentId: comment._id.toHexString(),
      commentPreview: preview(comment.content) ?? '',
      parentCommentId: parent?._id.toHexString() ?? null,
      parentCommentAuthorId: parent?.userId ?? null,
      mentionedUserIds: mentions.map((mention) => mention.userId),
      commentedAt: now.toISOString(),
    });
    await announceMentions(
      store,
      session,
      counted,
      viewer.id,
      mentionRecipients(viewer.id, mentions, told),
      { commentId: comment._id, text: comment.content },
      now,
    );
  });
  context.loaders.post.clear(post._id.toHexString());
  context.loaders.comment.prime(comment._id.toHexString(), comment);
  return comment;
}

async function editComment(
  _root: unknown,
  args: { id: string; content: unknown },
  context: FeedContext,
): Promise<CommentDocument> {
  const id = idArgument(args.id, 'id');
  const content = parseInput(commentContent, args.content, 'content');
  const viewer = await publishingViewer(context);
  const { store } = context.feed;
  const { comment, post } = await liveComment(context, viewer, id);
  if (comment.userId !== viewer.id) throw forbidden('Only the author can edit this comment', 'NOT_AUTHOR');
  const mentions = await resolveMentions(store, viewer.id, extractMentions(content));
  const told = await mayBeTold(store, post, mentionIds(mentions));
  const updated = await store.transaction(async (session) => {
    const now = new Date();
    const before = await store.comments.findOneAndUpdate(
      { _id: comment._id, isDeleted: false },
      { $set: { content, mentions, isEdited: true, editedAt: now, updatedAt: now } },
      { session },
    );
    if (!before) throw notFound('Comment', args.id);
    const added = mentionRecipients(viewer.id, mentions, told, mentionIds(before.mentions));
    await announceMentions(
      store,
      session,
      post,
      viewer.id,
      added,
      { commentId: comment._id, text: content },
      now,
    );
    return { ...before, content, mentions, isEdited: true, editedAt: now, updatedAt: now };
  });
  context.loaders.comment.clear(args.id.toLowerCase()).prime(args.id.toLowerCase(), updated);
  return updated;
}

/** Soft-deletes a comment (its author or the post's author); its replies stay. */
async function deleteComment(_root: unknown, args: { id: string }, context: FeedContext): Promise<boolean> {
  const id = idArgument(args.id, 'id');
  const viewer = requireViewer(context);
  const { store } = context.feed;
  const { comment, post } = await liveComment(context, viewer, id);
  if (comment.userId !== viewer.id && post.userId !== viewer.id) {
    throw forbidden('Only the comment’s or the post’s author can delete this comment', 'NOT_AUTHOR');
  }
  await store.transaction(async (session) => {
    const now = new Date();
    const before = await store.comments.findOneAndUpdate(
      { _id: comment._id, isDeleted: false },
      { $set: { isDeleted: true, deletedAt: now, updatedAt: now } },
      { session },
    );
    if (!before) throw notFound('Comment', args.id);
    if (before.authorHidden) return;
    await store.posts.updateOne(
      { _id: before.postId },
      { $inc: { commentsCount: -1, engagementScore: -2 }, $set: { updatedAt: now } },
      { session },
    );
    if (before.parentCommentId) {
      await store.comments.updateOne(
        { _id: before.parentCommentId },
        { $inc: { repliesCount: -1 }, $set: { updatedAt: now } },
        { session },
      );
    }
  });
  context.loaders.comment.clear(args.id.toLowerCase());
  context.loaders.post.clear(post._id.toHexString());
  return true;
}

export const CommentMutation = { addComment, editComment, deleteComment };
