import { ObjectId } from 'mongodb';
import type { CommentDocument, PostDocument } from './collections.js';

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

/** What a new comment or reply is made of; its counters and states start at zero, false or null. */
export type NewComment = Pick<
  CommentDocument,
  'postId' | 'userId' | 'content' | 'mentions' | 'parentCommentId'
>;

/** The document of a new comment or reply (addComment), created `now`. */
export function newCommentDocument(fields: NewComment, now: Date): CommentDocument {
  return {
    _id: new ObjectId(),
    ...fields,
    likesCount: 0,
    reactionCounts: {},
    repliesCount: 0,
    isEdited: false,
    editedAt: null,
    isDeleted: false,
    deletedAt: null,
    authorHidden: false,
    createdAt: now,
    updatedAt: now,
  };
}
