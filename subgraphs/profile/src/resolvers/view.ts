import type { ProfileDocument } from '../data/collections.js';
import { accessLevel, canSee, type AccessLevel, type FieldGroup, type Relation } from '../privacy.js';
import type { ProfileContext } from '../subgraph.js';

/**
 * The parent of every User field in this subgraph: the entity reference (`id`, plus auth's
 * `accountFirstName` / `accountLastName` where a field @requires them). Fields load what they
 * need through the per-request loaders, so a page of users costs one query per collection.
 */
export interface UserRef {
  readonly id: string;
  readonly accountFirstName?: string | null;
  readonly accountLastName?: string | null;
}

/** A user as the viewer sees it: the profile (null if none), the viewer's relation and access. */
export interface UserView {
  readonly profile: ProfileDocument | null;
  readonly relation: Relation;
  readonly level: AccessLevel;
}

export async function viewOf(user: UserRef, context: ProfileContext): Promise<UserView> {
  const [profile, relation] = await Promise.all([
    context.loaders.profile.load(user.id),
    context.loaders.relation.load(user.id),
  ]);
  const level = profile ? accessLevel(profile, context.viewer, relation) : 'none';
  return { profile, relation, level };
}

/**
 * The profile and the viewer's access level to it, without the rest of the relation: one
 * aggregate per page of users (loaders.ts profileAccess) instead of a query per edge collection.
 */
export async function accessOf(
  user: UserRef,
  context: ProfileContext,
): Promise<{ profile: ProfileDocument | null; level: AccessLevel }> {
  const { profile, relation } = await context.loaders.profileAccess.load(user.id);
  return { profile, level: profile ? accessLevel(profile, context.viewer, relation) : 'none' };
}

/** The profile when the viewer may see `group` of it, else null (the field then resolves to null). */
export async function visibleProfile(
  user: UserRef,
  context: ProfileContext,
  group: FieldGroup,
): Promise<ProfileDocument | null> {
  const { profile, level } = await accessOf(user, context);
  return profile && canSee(profile, level, group) ? profile : null;
}
