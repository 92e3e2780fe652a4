import { ObjectId } from 'mongodb';
import type { PostDocument } from './collections.js';

/** What a new post or share is made of; its counters and states start at zero, false or null. */
export type NewPost = Pick<
  PostDocument,
  | 'userId'
  | 'content'
  | 'mediaIds'
  | 'postType'
  | 'visibility'
  | 'audienceUserIds'
  | 'location'
  | 'hashtags'
  | 'mentions'
  | 'linkPreview'
  | 'poll'
  | 'originalPostId'
  | 'shareCaption'
>;

/** The document of a new post (createPost) or share (sharePost), created `now`. */
export function newPostDocument(fields: NewPost, now: Date): PostDocument {
  return {
    _id: new ObjectId(),
    ...fields,
    likesCount: 0,
    commentsCount: 0,
    sharesCount: 0,
    viewsCount: 0,
    reactionCounts: {},
    engagementScore: 0,
    isPinned: false,
    isArchived: false,
    isDeleted: false,
    deletedAt: null,
    isEdited: false,
    editedAt: null,
    authorHidden: false,
    createdAt: now,
    updatedAt: now,
  };
}
