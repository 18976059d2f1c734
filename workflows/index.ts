/** The worker's workflowsPath: every workflow the `transfers` task queue runs. */
export { transferWorkflowV2, transferWorkflow, reverseTransferWorkflow } from './transfer';
export { reconciliationWorkflow } from './reconciliation';
export { idempotencyPurgeWorkflow } from './idempotency-purge';
