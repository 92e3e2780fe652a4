import { requireViewer } from '@social/kit';
import type { AuthContext } from '../subgraph.js';

/**
 * Root query fields of auth. `me` resolves the caller from the verified access token; the rest of
 * the User entity comes with the Auth subgraph issue (accounts stored in PostgreSQL).
 */
export const Query = {
  me: (_root: unknown, _args: unknown, context: AuthContext) => {
    const viewer = requireViewer(context);
    return { id: viewer.id, username: viewer.username, role: viewer.role };
  },
};
