/**
 * Hive Gateway with `@graphql-hive/router-runtime` (the Rust query planner and its executor) as
 * The Guild's `gateways/hive-gateway-router-runtime` runs it, with inbound in-flight deduplication
 * when HIVE_DEDUPE=on. Started by bench/federation.ts: `hive-gateway supergraph PATH --config-path this-file`.
 *
 * Plain JavaScript on purpose: Hive's type declarations reference the DOM library, which would
 * change `fetch`'s types for the whole repository's type check.
 */
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

/** @type {import('@graphql-hive/gateway').GatewayCLIConfig} */
export const gatewayConfig = {
  unifiedGraphHandler,
  inboundInflightRequestDeduplication: process.env.HIVE_DEDUPE === 'on',
};
