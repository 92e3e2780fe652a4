import { badUserInput, forbidden, notFound, requireViewer, waitForMediaRefs, type Viewer } from '@social/kit';
import type { ClientSession } from 'mongodb';
import type { PostDocument, StoredPostType } from '../data/collections.js';
import { claimAuthor, ensureAuthor } from '../data/authors.js';
import { preview, type PostAudienceFacts } from '../events.js';
import { visiblePost } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import { postVisibilityName } from './enums.js';

/** Checks the mutations share: who the viewer is, what they may touch, what they attach. */

const restricted = () => forbidden('This account cannot publish', 'ACCOUNT_RESTRICTED');

/**
 * The signed-in viewer, when their account may publish: a deleted or suspended account (auth's
 * events, through the replica) may not, even while an access token of it is still valid. Makes
 * sure the author's document exists for {@link assertMayPublish}.
 */
export async function publishingViewer(context: FeedContext): Promise<Viewer> {
  const viewer = requireViewer(context);
  const self = await context.loaders.social.user.load(viewer.id);
  if (context.feed.store.replica.isHidden(self)) throw restricted();
  await ensureAuthor(context.feed.store, viewer.id);
  return viewer;
}

/** Inside the transaction of a new post or comment: the author is still allowed to publish. */
export async function assertMayPublish(context: FeedContext, session: ClientSession, viewerId: string) {
  if (await claimAuthor(context.feed.store, session, viewerId)) throw restricted();
}

/**
 * A post the viewer wrote: NOT_FOUND when it does not exist, is deleted or the viewer may not see
 * it (nothing is revealed), FORBIDDEN when they see it but did not write it.
 */
export async function ownPost(context: FeedContext, viewer: Viewer, id: string): Promise<PostDocument> {
  const post = await visiblePost(context.loaders, viewer, id);
  if (!post) throw notFound('Post', id);
  if (post.userId !== viewer.id) throw forbidden('Only the author can change this post', 'NOT_AUTHOR');
  return post;
}

/** A post the viewer may see, else NOT_FOUND. */
export async function seenPost(context: FeedContext, viewer: Viewer, id: string): Promise<PostDocument> {
  const post = await visiblePost(context.loaders, viewer, id);
  if (!post) throw notFound('Post', id);
  return post;
}

/**
 * The files to attach, checked against media's events (media_refs): each must exist, belong to
 * the viewer and be neither deleted nor failed. A file uploaded a moment ago may not be known
 * yet: the check waits up to EVENT_WAIT_MS for media's MediaUploaded, as profile does for
 * avatars. PHOTO posts take images; VIDEO posts at least one video (and images).
 */
export async function attachableMedia(
  context: FeedContext,
  viewerId: string,
  ids: readonly string[],
  postType: StoredPostType,
  field: string,
): Promise<void> {
  if (ids.length === 0) return;
  const { store, config } = context.feed;
  const byId = await waitForMediaRefs(store.mediaRefs, ids, config.EVENT_WAIT_MS);
  for (const id of ids) {
    const ref = byId.get(id);
    if (!ref || ref.ownerId !== viewerId || ref.status === 'DELETED') throw notFound('MediaFile', id);
    if (ref.status === 'FAILED') throw badUserInput(`${field} includes a file that failed processing`, field);
  }
  const kinds = ids.map((id) => byId.get(id)!.fileType);
  if (postType === 'Photo' && kinds.some((kind) => kind !== 'IMAGE')) {
    throw badUserInput(`${field} of a PHOTO post must be images`, field);
  }
  if (
    postType === 'Video' &&
    (!kinds.includes('VIDEO') || kinds.some((kind) => kind !== 'VIDEO' && kind !== 'IMAGE'))
  ) {
    throw badUserInput(`${field} of a VIDEO post must include a video (and only videos or images)`, field);
  }
}

/** Who may see a post, for event payloads. */
export function audienceFacts(post: PostDocument): PostAudienceFacts {
  return {
    postId: post._id.toHexString(),
    postAuthorId: post.userId,
    postVisibility: postVisibilityName[post.visibility],
    audienceUserIds: post.visibility === 'Custom' ? post.audienceUserIds : [],
    postPreview: preview(post.content),
  };
}
