import { badUserInput, isDuplicateKeyError, notFound, parseInput, requireViewer } from '@social/kit';
import type { ClientSession, ObjectId } from 'mongodb';
import { ensureAuthor, lockAuthor, setPinned } from '../data/authors.js';
import type {
  PostDocument,
  StoredLocation,
  StoredMention,
  StoredShareVisibility,
} from '../data/collections.js';
import { newPostDocument } from '../data/posts.js';
import { ensureHashtags, recordTagChanges, tagChanges } from '../data/hashtags.js';
import { mayBeTold, mentionRecipients, resolveMentions } from '../data/mentions.js';
import type { FeedStore } from '../data/store.js';
import { preview } from '../events.js';
import { mayView } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { extractHashtags, extractMentions } from '../text.js';
import {
  createPostInput,
  domainOf,
  editPostInput,
  idArgument,
  viewedIds,
  type CreatePostInput,
  type EditPostInput,
} from '../validation.js';
import { postTypeName } from './enums.js';
import { assertMayPublish, attachableMedia, audienceFacts, ownPost, publishingViewer } from './guards.js';

/**
 * The author's own post operations. Input is validated (and attachments and mentions resolved)
 * before any write; each change is one transaction with its counters (`$inc`) and its events
 * (outbox), re-reading what it depends on inside the transaction so a retried or racing one
 * never counts twice.
 */

type LocationInput = NonNullable<CreatePostInput['location']>;

function storedLocation(location: LocationInput): StoredLocation {
  const { coordinates } = location;
  return {
    name: location.name,
    address: location.address,
    coordinates: coordinates && { type: 'Point', coordinates: [coordinates.longitude, coordinates.latitude] },
  };
}

/** The ids of mentioned users. */
export const mentionIds = (mentions: readonly StoredMention[]) => mentions.map((mention) => mention.userId);

/** Events of a post's mentions: the users newly mentioned get one UserMentioned. */
export async function announceMentions(
  store: FeedStore,
  session: ClientSession,
  post: PostDocument,
  actorId: string,
  recipients: readonly string[],
  source: { commentId: ObjectId; text: string } | null,
  at: Date,
): Promise<void> {
  if (recipients.length === 0) return;
  await store.outbox.enqueue(session, 'UserMentioned', {
    ...audienceFacts(post),
    actorId,
    mentionedUserIds: recipients,
    source: source ? 'COMMENT' : 'POST',
    commentId: source ? source.commentId.toHexString() : null,
    preview: preview(source ? source.text : post.content) ?? '',
    mentionedAt: at.toISOString(),
  });
}

/** The post's state must still satisfy the seed's rule: some content, media, a poll or a share. */
function assertHasContent(
  post: Pick<PostDocument, 'content' | 'mediaIds' | 'poll' | 'originalPostId' | 'postType'>,
) {
  if (!post.content && post.mediaIds.length === 0 && !post.poll && !post.originalPostId) {
    throw badUserInput('input.content or input.mediaIds is required', 'input.content');
  }
  if ((post.postType === 'Photo' || post.postType === 'Video') && post.mediaIds.length === 0) {
    throw badUserInput(
      `input.mediaIds are required for ${post.postType.toUpperCase()} posts`,
      'input.mediaIds',
    );
  }
}

async function createPost(
  _root: unknown,
  args: { input: unknown },
  context: FeedContext,
): Promise<PostDocument> {
  const input = parseInput(createPostInput, args.input, 'input');
  const viewer = await publishingViewer(context);
  const { store } = context.feed;
  await attachableMedia(context, viewer.id, input.mediaIds, input.postType, 'input.mediaIds');
  const mentions = await resolveMentions(store, viewer.id, extractMentions(input.content));
  const hashtags = extractHashtags(input.content);
  const now = new Date();
  await ensureHashtags(store, hashtags, now);
  const post = newPostDocument(
    {
      userId: viewer.id,
      content: input.content,
      mediaIds: input.mediaIds,
      postType: input.postType,
      visibility: input.visibility,
      audienceUserIds:
        input.visibility === 'Custom' ? (input.audienceUserIds ?? []).map((id) => id.toLowerCase()) : [],
      location: input.location ? storedLocation(input.location) : null,
      hashtags,
      mentions,
      linkPreview: input.link ? { ...input.link, domain: domainOf(input.link.url) } : null,
      poll: input.poll
        ? {
            question: input.poll.question,
            options: input.poll.options.map((text, index) => ({ id: String(index + 1), text, votes: 0 })),
            allowMultipleAnswers: input.poll.allowMultipleAnswers,
            expiresAt: input.poll.expiresAt,
            votersCount: 0,
          }
        : null,
      originalPostId: null,
      shareCaption: null,
    },
    now,
  );
  const told = await mayBeTold(store, post, mentionIds(mentions));
  await store.transaction(async (session) => {
    await assertMayPublish(context, session, viewer.id);
    await store.posts.insertOne({ ...post }, { session });
    await recordTagChanges(store, session, post._id, { added: hashtags, removed: [] }, now);
    await store.outbox.enqueue(session, 'PostCreated', {
      ...audienceFacts(post),
      actorId: viewer.id,
      postType: postTypeName[post.postType],
      hashtags,
      mentionedUserIds: mentions.map((mention) => mention.userId),
      mediaIds: post.mediaIds,
      createdAt: now.toISOString(),
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
  context.loaders.post.prime(post._id.toHexString(), post);
  return post;
}

/** The post after `input`'s changes (validated against the current post). */
function editedPost(
  current: PostDocument,
  input: EditPostInput,
  text: { content: string | null; hashtags: string[]; mentions: StoredMention[] } | null,
): PostDocument {
  const isShare = current.originalPostId !== null;
  const visibility = input.visibility ?? current.visibility;
  if (isShare && visibility === 'Custom') {
    throw badUserInput('input.visibility of a share must be PUBLIC, FRIENDS or PRIVATE', 'input.visibility');
  }
  if (isShare && (input.mediaIds || input.location !== undefined)) {
    throw badUserInput(
      'a share has no media or location to edit',
      input.mediaIds ? 'input.mediaIds' : 'input.location',
    );
  }
  if (isShare && text?.content && text.content.length > 500) {
    throw badUserInput('input.content of a share must be at most 500 characters', 'input.content');
  }
  let audienceUserIds: string[] = [];
  if (visibility === 'Custom') {
    const ids = input.audienceUserIds ?? (current.visibility === 'Custom' ? current.audienceUserIds : null);
    if (!ids)
      throw badUserInput('input.audienceUserIds is required for CUSTOM visibility', 'input.audienceUserIds');
    audienceUserIds = ids.map((id) => id.toLowerCase());
  }
  const next: PostDocument = {
    ...current,
    visibility,
    audienceUserIds,
    ...(text ?? {}),
    ...(isShare && text ? { shareCaption: text.content } : {}),
    mediaIds: input.mediaIds ?? current.mediaIds,
    location:
      input.location === undefined ? current.location : input.location && storedLocation(input.location),
  };
  assertHasContent(next);
  return next;
}

async function editPost(
  _root: unknown,
  args: { input: unknown },
  context: FeedContext,
): Promise<PostDocument> {
  const input = parseInput(editPostInput, args.input, 'input');
  const viewer = await publishingViewer(context);
  const { store } = context.feed;
  const before = await ownPost(context, viewer, input.postId);
  if (input.mediaIds)
    await attachableMedia(context, viewer.id, input.mediaIds, before.postType, 'input.mediaIds');
  let text: { content: string | null; hashtags: string[]; mentions: StoredMention[] } | null = null;
  if (input.content !== undefined && input.content !== null) {
    const content = input.content.trim() || null;
    text = {
      content,
      hashtags: extractHashtags(content),
      mentions: await resolveMentions(store, viewer.id, extractMentions(content)),
    };
  }
  const planned = editedPost(before, input, text); // BAD_USER_INPUT before anything is written
  // Mentioned users who may see the post after the edit and were not told before (they were not
  // mentioned, or could not see it): a new mention, or a wider visibility, tells them.
  const [toldBefore, told] = await Promise.all([
    mayBeTold(store, before, mentionIds(before.mentions)),
    mayBeTold(store, planned, mentionIds(planned.mentions)),
  ]);
  const now = new Date();
  if (text) await ensureHashtags(store, text.hashtags, now);
  const contentChanged = text !== null || input.mediaIds != null || input.location !== undefined;
  const updated = await store.transaction(async (session) => {
    const current = await store.posts.findOne({ _id: before._id, isDeleted: false }, { session });
    if (!current) throw notFound('Post', input.postId);
    const next = editedPost(current, input, text);
    const { _id } = next;
    const result = await store.posts.findOneAndUpdate(
      { _id },
      {
        $set: {
          content: next.content,
          hashtags: next.hashtags,
          mentions: next.mentions,
          shareCaption: next.shareCaption,
          visibility: next.visibility,
          audienceUserIds: next.audienceUserIds,
          mediaIds: next.mediaIds,
          location: next.location,
          updatedAt: now,
          ...(contentChanged ? { isEdited: true, editedAt: now } : {}),
        },
      },
      { session, returnDocument: 'after' },
    );
    if (text) await recordTagChanges(store, session, _id, tagChanges(current.hashtags, next.hashtags), now);
    if (next.originalPostId) {
      // The seed's shares record keeps the share's caption and visibility (never CUSTOM: editedPost).
      await store.shares.updateOne(
        { sharedPostId: _id },
        { $set: { caption: next.shareCaption, visibility: next.visibility as StoredShareVisibility } },
        { session },
      );
    }
    const alreadyTold = mentionIds(current.mentions).filter((id) => toldBefore.has(id));
    const added = mentionRecipients(viewer.id, next.mentions, told, alreadyTold);
    await announceMentions(store, session, next, viewer.id, added, null, now);
    return result!;
  });
  context.loaders.post.clear(updated._id.toHexString()).prime(updated._id.toHexString(), updated);
  return updated;
}

async function deletePost(_root: unknown, args: { id: string }, context: FeedContext): Promise<boolean> {
  const id = idArgument(args.id, 'id');
  const viewer = requireViewer(context);
  const { store } = context.feed;
  const post = await ownPost(context, viewer, id);
  await store.transaction(async (session) => {
    const now = new Date();
    const current = await store.posts.findOneAndUpdate(
      { _id: post._id, isDeleted: false },
      { $set: { isDeleted: true, deletedAt: now, isPinned: false, updatedAt: now } },
      { session },
    );
    if (!current) throw notFound('Post', args.id);
    await recordTagChanges(store, session, current._id, { added: [], removed: current.hashtags }, now);
    if (current.isPinned) {
      await store.authors.updateOne(
        { _id: viewer.id },
        { $set: { pinnedPostId: null, updatedAt: now } },
        { session },
      );
    }
    if (current.originalPostId) {
      // The share no longer exists: the original counts one share less.
      await store.shares.deleteOne({ sharedPostId: current._id }, { session });
      await store.posts.updateOne(
        { _id: current.originalPostId },
        { $inc: { sharesCount: -1, engagementScore: -3 }, $set: { updatedAt: now } },
        { session },
      );
    }
    await store.outbox.enqueue(session, 'PostDeleted', {
      postId: current._id.toHexString(),
      postAuthorId: current.userId,
      originalPostId: current.originalPostId?.toHexString() ?? null,
      deletedAt: now.toISOString(),
    });
  });
  context.loaders.post.clear(post._id.toHexString());
  return true;
}

/** Reloads a post after a change, fresh from the database. */
async function reloaded(context: FeedContext, id: ObjectId): Promise<PostDocument> {
  const key = id.toHexString();
  const post = await context.loaders.post.clear(key).load(key);
  if (!post) throw notFound('Post', key);
  return post;
}

async function pinPost(
  _root: unknown,
  args: { id: string; pinned?: boolean | null },
  context: FeedContext,
): Promise<PostDocument> {
  const id = idArgument(args.id, 'id');
  const viewer = requireViewer(context);
  const { store } = context.feed;
  const pinned = args.pinned ?? true;
  const post = await ownPost(context, viewer, id);
  if (pinned && post.isArchived) throw badUserInput('An archived post cannot be pinned', 'id');
  await ensureAuthor(store, viewer.id);
  await store.transaction(async (session) => {
    const current = await store.posts.findOne({ _id: post._id, isDeleted: false }, { session });
    if (!current) throw notFound('Post', args.id);
    if (pinned) {
      if (current.isArchived) throw badUserInput('An archived post cannot be pinned', 'id');
      await setPinned(store, session, viewer.id, current._id);
      return;
    }
    await lockAuthor(store, session, viewer.id);
    if (!current.isPinned) return;
    await setPinned(store, session, viewer.id, null);
  });
  return reloaded(context, post._id);
}

async function archivePost(
  _root: unknown,
  args: { id: string; archived?: boolean | null },
  context: FeedContext,
): Promise<PostDocument> {
  const id = idArgument(args.id, 'id');
  const viewer = requireViewer(context);
  const { store } = context.feed;
  const archived = args.archived ?? true;
  const post = await ownPost(context, viewer, id);
  await ensureAuthor(store, viewer.id);
  await store.transaction(async (session) => {
    const now = new Date();
    await lockAuthor(store, session, viewer.id);
    const current = await store.posts.findOneAndUpdate(
      { _id: post._id, isDeleted: false },
      { $set: { isArchived: archived, updatedAt: now } },
      { session },
    );
    if (!current) throw notFound('Post', args.id);
    // An archived post is hidden from the profile, so it is no longer pinned there.
    if (archived && current.isPinned) await setPinned(store, session, viewer.id, null);
  });
  return reloaded(context, post._id);
}

/**
 * Counts the viewer once per post in viewsCount. Posts the viewer may not see, their own posts
 * (an author reading their post is not a view) and unknown ids are ignored.
 */
async function markPostsViewed(
  _root: unknown,
  args: { ids: unknown },
  context: FeedContext,
): Promise<boolean> {
  const ids = parseInput(viewedIds, args.ids, 'ids');
  const viewer = requireViewer(context);
  const { store } = context.feed;
  const keys = [...new Set(ids.map((id) => id.toLowerCase()))];
  const posts = await Promise.all(keys.map((key) => context.loaders.post.load(key)));
  const visible = await Promise.all(
    posts.map(async (post) =>
      post && post.userId !== viewer.id && (await mayView(context.loaders, viewer.id, post))
        ? post._id
        : null,
    ),
  );
  const seen = visible.filter((id) => id !== null);
  if (seen.length === 0) return true;
  const record = () =>
    store.transaction(async (session) => {
      const viewKeys = seen.map((id) => `${id.toHexString()}:${viewer.id}`);
      const known = await store.postViews
        .find({ _id: { $in: viewKeys } }, { session, projection: { _id: 1 } })
        .toArray();
      const fresh = seen.filter(
        (id) => !known.some((view) => view._id === `${id.toHexString()}:${viewer.id}`),
      );
      if (fresh.length === 0) return;
      const now = new Date();
      await store.postViews.insertMany(
        fresh.map((id) => ({
          _id: `${id.toHexString()}:${viewer.id}`,
          postId: id,
          userId: viewer.id,
          viewedAt: now,
        })),
        { session },
      );
      await store.posts.updateMany(
        { _id: { $in: fresh } },
        { $inc: { viewsCount: 1 }, $set: { updatedAt: now } },
        { session },
      );
    });
  try {
    await record();
  } catch (error) {
    // The same viewer's views recorded at the same moment by another request: once more, they
    // are found and skipped.
    if (!isDuplicateKeyError(error)) throw error;
    await record();
  }
  return true;
}

export const PostMutation = {
  createPost,
  editPost,
  deletePost,
  pinPost,
  archivePost,
  markPostsViewed,
};
