/**
 * Per-request DataLoaders of the chat subgraph (DESIGN 10): built in the context factory for
 * every request and every subscription event. The Chat subgraph issue adds the
 * loaders its resolvers need; every entity and foreign-key lookup goes through one of them.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Loaders {}

export function createLoaders(): Loaders {
  return {};
}
