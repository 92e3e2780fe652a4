import type { NotificationDocument } from '../data/collections.js';
import { isLiveFor, parseObjectId } from '../data/inbox.js';
import type { NotificationContext } from '../subgraph.js';
import { actorsCount } from './args.js';

/**
 * A notification, for its recipient only: a reference to one of someone else's resolves to null,
 * like an expired one. Actors are User entity references (auth and profile resolve their fields,
 * batched by the gateway).
 */

const userRef = (id: string) => ({ __typename: 'User' as const, id });

export const Notification = {
  __resolveReference: async (reference: { id: string }, context: NotificationContext) => {
    const viewerId = context.viewer?.id;
    const id = parseObjectId(reference.id);
    if (!viewerId || !id) return null;
    const doc = await context.loaders.notification.load(id.toHexString());
    return isLiveFor(doc, viewerId) ? doc : null;
  },
  id: (doc: NotificationDocument) => doc._id.toHexString(),
  actor: (doc: NotificationDocument) => (doc.actorId ? userRef(doc.actorId) : null),
  actors: (doc: NotificationDocument, args: { first?: number | null }) =>
    doc.actors.slice(0, actorsCount(args.first)).map(userRef),
};
