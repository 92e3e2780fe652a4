export {
  FederatedExecutor,
  type ExecutionOptions,
  type OperationToRun,
  type PrecomputedExecution,
} from './executor.js';
