/**
 * A SchemaSnapshot over the repo's supergraph with recorded, scripted subgraph fetches: the
 * planner and executor tests of federated subscriptions, without servers.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { silentLogger } from '@social/kit';
import { readFileSync } from 'node:fs';
import type { GatewayContext } from '../src/gateway.js';
import { SchemaSnapshot, type OperationValidator } from '../src/subscriptions/planner.js';

export const coreSupergraphSdl = readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8');
export const apiSchema = Supergraph.build(coreSupergraphSdl).apiSchema().toGraphQLJSSchema();

export interface RecordedFetch {
  readonly subgraph: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly authorization: string | undefined;
}

/** A subgraph's scripted answer to one fetch; a subgraph without one is down (the fetch throws). */
export type SubgraphAnswer = (variables: Record<string, unknown>) => { data?: unknown; errors?: unknown[] };

export function recordingSnapshot(
  answers: Record<string, SubgraphAnswer>,
  options: { validate?: OperationValidator; eventExecutor?: 'ours' | 'apollo' } = {},
): { snapshot: SchemaSnapshot; fetches: RecordedFetch[] } {
  const fetches: RecordedFetch[] = [];
  const snapshot = new SchemaSnapshot({
    apiSchema,
    coreSupergraphSdl,
    dataSource: (name): GraphQLDataSource<GatewayContext> => ({
      async process(processOptions: GraphQLDataSourceProcessOptions<GatewayContext>) {
        const variables = processOptions.request.variables ?? {};
        fetches.push({
          subgraph: name,
          query: processOptions.request.query ?? '',
          variables,
          authorization: processOptions.context.authorization,
        });
        const answer = answers[name];
        if (!answer) throw new Error(`connect ECONNREFUSED (${name} is down)`);
        return answer(variables) as Awaited<ReturnType<GraphQLDataSource['process']>>;
      },
    }),
    subgraphUrl: (_name, url) => url,
    validate: options.validate,
    production: false,
    planCacheSize: 10,
    ...(options.eventExecutor ? { eventExecutor: options.eventExecutor } : {}),
  });
  return { snapshot, fetches };
}

/** An operation request as the subscription server builds it, for the subscriber `Bearer alice`. */
export const planRequest = (query: string, variables: Record<string, unknown>) => ({
  query,
  operationName: undefined,
  variables,
  context: {
    authorization: 'Bearer alice',
    requestId: 'r1',
    clientIp: undefined,
    userAgent: undefined,
    viewer: null,
  },
  logger: silentLogger(),
});
