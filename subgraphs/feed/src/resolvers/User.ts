import { UUID_PATTERN } from '@social/kit';
import type { Connection } from '@social/kit';
import type { PostDocument } from '../data/collections.js';
import { mayView } from '../loaders.js';
import type { FeedContext } from '../subgraph.js';
import type { PageArgs } from './connections.js';
import { userPosts } from './post-lists.js';

interface UserRef {
  readonly id: string;
}

/** The feed's fields of the auth-owned User entity. */
export const User = {
  /**
   * Representations are client input when sent straight to the subgraph: anything but a user id
   * names no user.
   */
  __resolveReference: (reference: { id: unknown }): UserRef | null =>
    typeof reference.id === 'string' && UUID_PATTERN.test(reference.id) ? { id: reference.id } : null,

  posts: (user: UserRef, args: PageArgs, context: FeedContext): Promise<Connection<PostDocument>> =>
    userPosts(context, user.id, args),

  /** One query for a page of users; shown only when the viewer may see the post. */
  async pinnedPost(user: UserRef, _args: unknown, context: FeedContext): Promise<PostDocument | null> {
    const viewer = context.viewer;
    if (!viewer) return null;
    const post = await context.loaders.pinnedPost.load(user.id.toLowerCase());
    return post && !post.isArchived && (await mayView(context.loaders, viewer.id, post)) ? post : null;
  },
};
