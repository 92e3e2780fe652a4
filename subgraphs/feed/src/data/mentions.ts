import { NO_RELATION } from '@social/kit';
import { canSeePost, type VisibilityFields } from '../visibility.js';
import type { StoredMention } from './collections.js';
import type { FeedStore } from './store.js';

/**
 * Resolves @usernames (lowercase, from text.ts) to users through the replica: a name resolves
 * when its account exists and is neither deleted nor suspended, there is no block between the
 * author and the user, and the user's privacy allows mentions by the author (allowMentions:
 * EVERYONE, or FRIENDS and they are friends). Others stay plain text. The author may mention
 * themselves. Two commands, whatever the number of names.
 */
export async function resolveMentions(
  store: FeedStore,
  authorId: string,
  usernames: readonly string[],
): Promise<StoredMention[]> {
  if (usernames.length === 0) return [];
  const users = await store.replica.usersByUsername(usernames);
  const candidates = usernames
    .map((name) => users.get(name))
    .filter((user) => user !== undefined && !store.replica.isHidden(user));
  const others = candidates.filter((user) => user!.userId !== authorId).map((user) => user!.userId);
  const relations = others.length > 0 ? await store.replica.relations(authorId, others) : new Map();
  const mentions: StoredMention[] = [];
  for (const user of candidates) {
    if (!user || mentions.some((mention) => mention.userId === user.userId)) continue;
    if (user.userId !== authorId) {
      const relation = relations.get(user.userId);
      if (!relation || relation.blocked) continue;
      const allowed = user.privacy.allowMentions;
      if (allowed === 'NONE' || (allowed === 'FRIENDS' && !relation.friends)) continue;
    }
    mentions.push({ userId: user.userId, username: user.username ?? '', displayName: user.displayName });
  }
  return mentions;
}

/**
 * The mentioned users who may see `post` (visibility.ts, from the post author's side of the
 * graph): only they are told about a mention, so a UserMentioned never carries the preview of a
 * post or comment to someone who may not read it. One command.
 */
export async function mayBeTold(
  store: FeedStore,
  post: VisibilityFields,
  userIds: readonly string[],
): Promise<ReadonlySet<string>> {
  const others = [...new Set(userIds)].filter((id) => id !== post.userId);
  const relations = others.length > 0 ? await store.replica.relations(post.userId, others) : new Map();
  // A hidden author's posts are covered by authorHidden; the author's own status is not looked up.
  const active = { status: 'ACTIVE' as const };
  return new Set(
    userIds.filter(
      (id) => id === post.userId || canSeePost(post, id, active, relations.get(id) ?? NO_RELATION),
    ),
  );
}

/**
 * Whom to notify of a mention: mentioned users who may see the post (`told`, from
 * {@link mayBeTold}), not the author, and not those told before.
 */
export function mentionRecipients(
  authorId: string,
  mentions: readonly StoredMention[],
  told: ReadonlySet<string>,
  alreadyTold: readonly string[] = [],
): string[] {
  return mentions
    .map((mention) => mention.userId)
    .filter((id) => id !== authorId && told.has(id) && !alreadyTold.includes(id));
}
