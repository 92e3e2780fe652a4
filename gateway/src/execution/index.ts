export { FederatedExecutor, type ExecutionOptions } from './executor.js';
