import {
  isCompositeType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  BREAK,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
} from 'graphql';
import type { ProfileIdentity } from '../data/collections.js';
import type { ProfileAccess } from '../loaders.js';
import type { ProfileContext } from '../subgraph.js';
import type { UserRef } from './view.js';

/**
 * Operations that read nothing of a user but the identity (a feed's authors, a comment's, a chat
 * message's sender: the gateway's `_entities` fetches for a card) load the profiles projected to
 * it (loaders.ts `identityAccess`): a profile document is mostly education, experience, skills
 * and settings, which such a page would otherwise fetch and decode for every user on it.
 *
 * An operation qualifies when every `User` field it selects (its fragments included) is one of
 * `identityFields` (User.ts: the resolvers that read a {@link ProfileIdentity} only, so the
 * compiler holds them to it), `id` or `__typename`. Any other field, anywhere in it, and the whole
 * operation loads full profiles as before, so one request never fetches a user twice.
 */
const ALWAYS_AVAILABLE = new Set(['id', '__typename']);

const verdicts = new WeakMap<OperationDefinitionNode, boolean>();

export function selectsOnlyIdentity(info: GraphQLResolveInfo, identityFields: ReadonlySet<string>): boolean {
  const known = verdicts.get(info.operation);
  if (known !== undefined) return known;
  const typeInfo = new TypeInfo(info.schema);
  let onlyIdentity = true;
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      if (!parent || !isCompositeType(parent) || parent.name !== 'User') return undefined;
      const name = node.name.value;
      if (ALWAYS_AVAILABLE.has(name) || identityFields.has(name)) return undefined;
      onlyIdentity = false;
      return BREAK;
    },
  });
  visit(info.operation, visitor);
  for (const fragment of Object.values(info.fragments)) {
    if (!onlyIdentity) break;
    visit(fragment, visitor);
  }
  verdicts.set(info.operation, onlyIdentity);
  return onlyIdentity;
}

/** The identity of `user` and the viewer's access relation, through the loader the operation needs. */
export function identityAccessOf(
  user: UserRef,
  context: ProfileContext,
  info: GraphQLResolveInfo,
  identityFields: ReadonlySet<string>,
): Promise<ProfileAccess<ProfileIdentity>> {
  return selectsOnlyIdentity(info, identityFields)
    ? context.loaders.identityAccess.load(user.id)
    : context.loaders.profileAccess.load(user.id);
}
