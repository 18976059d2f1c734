/**
 * The workflow/activity contract: what the gateway, the worker, the
 * activities and the workflows share (type names, ids and id reuse policies,
 * inputs and results, failure types, search attributes, signals, updates,
 * queries and the decisions). Workflows import its modules directly; the
 * rest may import this index. Deterministic code only: the workflow bundle
 * includes it.
 */
export * from './transfer';
export * from './transfer-batch';
export * from './decisions';
export * from './reconciliation';
export * from './idempotency-purge';
