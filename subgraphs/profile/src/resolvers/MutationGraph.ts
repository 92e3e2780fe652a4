import { requireViewer, type Viewer } from '@social/kit';
import { awaitProfile } from '../data/profiles.js';
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

/** The viewer, once their own profile exists (it may lag registration by an event; profiles.ts). */
async function member(context: ProfileContext): Promise<Viewer> {
  const viewer = requireViewer(context);
  await awaitProfile(context.profile.store, viewer.id);
  return viewer;
}
type RequestArgs = { requestId: string };

/** Runs a graph change for the viewer and returns the other user as a reference. */
const onUser =
  (change: (store: ProfileContext['profile']['store'], viewerId: string, userId: string) => Promise<void>) =>
  async (_root: unknown, { userId }: UserArgs, context: ProfileContext): Promise<UserRef> => {
    const viewer = await member(context);
    await change(context.profile.store, viewer.id, userId);
    return { id: userId };
  };

/** Mutations of the social graph and presence (the profile document's are in Mutation.ts). */
export const GraphMutation = {
  sendFriendRequest: async (
    _root: unknown,
    args: { userId: string; message?: string | null },
    context: ProfileContext,
  ) => sendFriendRequest(context.profile.store, (await member(context)).id, args.userId, args.message),
  respondToFriendRequest: async (
    _root: unknown,
    args: { requestId: string; accept: boolean },
    context: ProfileContext,
  ) => respondToFriendRequest(context.profile.store, (await member(context)).id, args.requestId, args.accept),
  cancelFriendRequest: async (_root: unknown, args: RequestArgs, context: ProfileContext) =>
    cancelFriendRequest(context.profile.store, (await member(context)).id, args.requestId),
  removeFriend: onUser(removeFriend),
  follow: onUser(follow),
  unfollow: onUser(unfollow),
  block: onUser(block),
  unblock: onUser(unblock),
  setPresence: async (_root: unknown, args: { online: boolean }, context: ProfileContext) =>
    setPresence(context.profile, (await member(context)).id, args.online),
};
