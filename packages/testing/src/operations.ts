import type { GraphQLResponse } from './client.js';
import type { TestAccount } from './accounts.js';
import type { Supergraph } from './harness.js';

type Vars = Record<string, unknown>;
export type GraphQLErrorBody = NonNullable<GraphQLResponse['errors']>[number];

/** Operations through the gateway as a test account (anonymous when `as` is undefined). */
export interface GatewayOperations {
  /** The operation's data; any error fails the test. */
  run<T = Record<string, unknown>>(query: string, variables?: Vars, as?: TestAccount): Promise<T>;
  /** The first error of an operation that must fail. */
  firstError(query: string, variables?: Vars, as?: TestAccount): Promise<GraphQLErrorBody>;
  /** The code (`extensions.code`) of the first error of an operation that must fail. */
  failureCode(query: string, variables?: Vars, as?: TestAccount): Promise<string | undefined>;
}

export function gatewayOperations(supergraph: Pick<Supergraph, 'query'>): GatewayOperations {
  const tokenOf = (as?: TestAccount) => (as ? { token: as.token } : {});
  async function firstError(query: string, variables: Vars = {}, as?: TestAccount) {
    const response = await supergraph.query(query, variables, tokenOf(as));
    const error = response.errors?.[0];
    if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.data)}`);
    return error;
  }
  return {
    async run<T>(query: string, variables: Vars = {}, as?: TestAccount): Promise<T> {
      const response = await supergraph.query<T>(query, variables, tokenOf(as));
      if (response.errors?.length || !response.data) {
        throw new Error(`operation failed: ${JSON.stringify(response.errors ?? response)}`);
      }
      return response.data;
    },
    firstError,
    async failureCode(query, variables, as) {
      return (await firstError(query, variables, as)).extensions?.code as string | undefined;
    },
  };
}
