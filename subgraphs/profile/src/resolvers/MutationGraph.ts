import { requireViewer } from '@social/kit';
import {
  block,
  cancelFriendRequest,
  follow,
  removeFriend,
  respondToFriendRequest,
  sendFriendRequest,
  unblock,
  unfollow,
} from '../data/graph.js';
import { setPresence } from '../presence-store.js';
import type { ProfileContext } from '../subgraph.js';
import type { UserRef } from './view.js';

type UserArgs = { userId: string };
type RequestArgs = { requestId: string };

/** Runs a graph change for the viewer and returns the other user as a reference. */
const onUser =
  (change: (store: ProfileContext['profile']['store'], viewerId: string, userId: string) => Promise<void>) =>
  async (_root: unknown, { userId }: UserArgs, context: ProfileContext): Promise<UserRef> => {
    const viewer = requireViewer(context);
    await change(context.profile.store, viewer.id, userId);
    return { id: userId };
  };

/** Mutations of the social graph and presence (the profile document's are in Mutation.ts). */
export const GraphMutation = {
  sendFriendRequest: (
    _root: unknown,
    args: { userId: string; message?: string | null },
    context: ProfileContext,
  ) => sendFriendRequest(context.profile.store, requireViewer(context).id, args.userId, args.message),
  respondToFriendRequest: (
    _root: unknown,
    args: { requestId: string; accept: boolean },
    context: ProfileContext,
  ) => respondToFriendRequest(context.profile.store, requireViewer(context).id, args.requestId, args.accept),
  cancelFriendRequest: (_root: unknown, args: RequestArgs, context: ProfileContext) =>
    cancelFriendRequest(context.profile.store, requireViewer(context).id, args.requestId),
  removeFriend: onUser(removeFriend),
  follow: onUser(follow),
  unfollow: onUser(unfollow),
  block: onUser(block),
  unblock: onUser(unblock),
  setPresence: (_root: unknown, args: { online: boolean }, context: ProfileContext) =>
    setPresence(context.profile, requireViewer(context).id, args.online),
};
