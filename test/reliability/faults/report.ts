import type { GraphQLResponse } from '@social/testing';

/** Prints a fault test's figures (for docs/RELIABILITY.md) as one labelled JSON block. */
export function reportFigures(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`\n[fault figures] ${name}\n${JSON.stringify(figures, null, 2)}\n`);
}

/** An error carrying the GraphQL error code of a failed operation (for the load's tallies). */
export function operationError(response: GraphQLResponse<unknown>): Error {
  const first = response.errors?.[0];
  const code = first?.extensions?.code;
  return Object.assign(new Error(first?.message ?? `HTTP ${response.status}`), {
    code: typeof code === 'string' ? code : `HTTP_${response.status}`,
  });
}
