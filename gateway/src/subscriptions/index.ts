export {
  createSubscriptionServer,
  SLOW_CONSUMER_CLOSE_CODE,
  type SchemaSource,
  type SubscriptionMetrics,
  type SubscriptionServer,
  type SubscriptionServerOptions,
  type SubscriptionStats,
} from './server.js';
export {
  DEFAULT_SUBSCRIPTION_OPTIONS,
  subscriptionConfigShape,
  subscriptionOptionsFromConfig,
  subscriptionOptionsFromEnv,
  type SubscriptionConfig,
  type SubscriptionOptions,
} from './options.js';
export type { OperationValidator } from './planner.js';
