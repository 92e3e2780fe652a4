import type { Connection } from '@social/kit';
import type { HashtagDocument, PostDocument } from '../data/collections.js';
import type { FeedContext } from '../subgraph.js';
import type { PageArgs } from './connections.js';
import { hashtagPosts } from './post-lists.js';

export const Hashtag = {
  lastUsedAt: (tag: HashtagDocument) => tag.lastUsed,
  posts: (tag: HashtagDocument, args: PageArgs, context: FeedContext): Promise<Connection<PostDocument>> =>
    hashtagPosts(context, tag.tag, args),
};
