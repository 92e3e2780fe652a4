/**
 * Hive Gateway as The Guild's `gateways/hive-gateway` runs it: `--jit`, and inbound in-flight
 * deduplication when HIVE_DEDUPE=on (`inboundInflightRequestDeduplication`, off by default).
 * Started by bench/federation.ts: `hive-gateway supergraph PATH --config-path this-file`.
 *
 * Plain JavaScript on purpose: Hive's type declarations reference the DOM library, which would
 * change `fetch`'s types for the whole repository's type check.
 */

/** @type {import('@graphql-hive/gateway').GatewayCLIConfig} */
export const gatewayConfig = {
  jit: true,
  inboundInflightRequestDeduplication: process.env.HIVE_DEDUPE === 'on',
};
