/**
 * How the workflows call their activities: the retry policy and deadlines,
 * and the proxies. Deterministic code (bundled into the workflow sandbox).
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import type { TransferActivities } from '../activities';
import type { BatchActivities } from '../activities/transfer-batch';
import { NON_RETRYABLE_ERROR_TYPES } from '../lib/workflow-contract/transfer';

/**
 * Transport failures and 5xx are retried with backoff and no attempt limit: a
 * service that is down delays a transfer, it never loses or duplicates one
 * (every step is idempotent). Business refusals and bugs are not retried.
 */
export const SERVICE_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  // maximumAttempts left unset: unlimited.
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

/** One HTTP call (5 s client deadline) or one SQL update per attempt. */
const ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '10 seconds', retry: SERVICE_RETRY_POLICY };
/**
 * The same deadline and retries for the local steps. Retries more than a
 * minute apart (a service down for long) wait on durable timers rather than in
 * the worker (the SDK's localRetryThreshold), so a long outage costs no worker
 * slot and survives a worker restart.
 */
const LOCAL_ACTIVITY_OPTIONS: LocalActivityOptions = { startToCloseTimeout: '10 seconds', retry: SERVICE_RETRY_POLICY };

/**
 * The transfer's steps: local activities, run by the worker inside the
 * workflow task, so a transfer below the threshold is one workflow task.
 */
export const transferSteps = proxyLocalActivities<TransferActivities>(LOCAL_ACTIVITY_OPTIONS);

/** The reversal's steps: ordinary activities (a reversal is rare; each step is its own task). */
export const reversalSteps = proxyActivities<TransferActivities>(ACTIVITY_OPTIONS);

/**
 * The batch's steps: local activities too (a chunk is one ledger call and one
 * status statement), so a batch of 1,000 independent items in chunks of
 * BATCH_CHUNK_SIZE is a few workflow tasks.
 */
export const batchSteps = proxyLocalActivities<BatchActivities>(LOCAL_ACTIVITY_OPTIONS);
