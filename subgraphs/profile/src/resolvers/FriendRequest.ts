import type { FriendRequestDocument } from '../data/collections.js';
import type { ProfileContext } from '../subgraph.js';
import type { UserRef } from './view.js';

/** A friend request: visible to its sender and receiver only, until it expires. */
export const FriendRequest = {
  __resolveReference: async (reference: { id: string }, context: ProfileContext) => {
    const viewer = context.viewer;
    if (!viewer) return null;
    const request = await context.loaders.graph.friendRequest.load(reference.id);
    if (!request || request.expiresAt.getTime() <= Date.now()) return null;
    return request.senderId === viewer.id || request.receiverId === viewer.id ? request : null;
  },
  id: (request: FriendRequestDocument) => request._id,
  sender: (request: FriendRequestDocument): UserRef => ({ id: request.senderId }),
  receiver: (request: FriendRequestDocument): UserRef => ({ id: request.receiverId }),
};
