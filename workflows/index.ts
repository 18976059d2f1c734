/** The worker's workflowsPath: every workflow the `transfers` task queue runs. */
export { transferWorkflow } from './transfer';
export { reverseTransferWorkflow } from './reverse-transfer';
export { transferBatchWorkflow } from './transfer-batch';
export { reconciliationWorkflow } from './reconciliation';
export { idempotencyPurgeWorkflow } from './idempotency-purge';
