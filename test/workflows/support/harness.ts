/**
 * Runs the real transfer workflows and the real activity factory on the
 * time-skipping test server, with the services replaced by fakes (fakes.ts).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Histogram, Registry } from 'prom-client';
import { createActivities } from '../../../activities';
import { createLogger } from '../../../lib/logger';
import {
  TRANSFER_SEARCH_ATTRIBUTE_KEYS,
  TRANSFER_WORKFLOW_ID_REUSE_POLICY,
  transferWorkflowStartSearchAttributes,
  transferStateQuery,
  transferWorkflowId,
  type DecisionInput,
  type TransferState,
  type TransferWorkflowInput,
} from '../../../lib/workflow-contract';
import { transferWorkflow } from '../../../workflows';
import { createTimeSkippingEnv } from '../../support/temporal';
import { account, FakeAccounts, FakeLedger, FakeTransfers } from './fakes';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const FROM_ACCOUNT_ID = '11111111-1111-4111-8111-111111111111';
export const TO_ACCOUNT_ID = '22222222-2222-4222-8222-222222222222';
export const APPROVAL_THRESHOLD_MINOR = '1000000';

export interface Fakes {
  accounts: FakeAccounts;
  ledger: FakeLedger;
  transfers: FakeTransfers;
  registry: Registry;
}

/** Two active USD accounts, a ledger that accepts everything, an empty transfers table. */
export function newFakes(): Fakes {
  const accounts = new FakeAccounts().add(account(FROM_ACCOUNT_ID), account(TO_ACCOUNT_ID));
  return {
    accounts,
    ledger: new FakeLedger(accounts),
    transfers: new FakeTransfers(),
    registry: new Registry(),
  };
}

/** The test server knows no custom search attributes until told (the dev server gets them from deploy/stack). */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const searchAttributes = Object.fromEntries(TRANSFER_SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]));
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
}

/** A time-skipping environment that accepts the transfer workflow's search attributes. */
export async function createTransferTestEnv(): Promise<TestWorkflowEnvironment> {
  const env = await createTimeSkippingEnv();
  await registerSearchAttributes(env);
  return env;
}

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../../../workflows'), logger: quietLogger() });
}

/** Runs `work` while a worker with these fakes serves a fresh task queue. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  fakes: Fakes,
  work: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `transfers-test-${randomUUID()}`;
  const activities = createActivities({ ...fakes, logger: createLogger('test', 'silent') });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  return worker.runUntil(work(taskQueue));
}

/** Who creates the transfers of these tests, as the gateway records it; four-eyes holds (TransferWorkflowInput.fourEyes). */
export const SUBMITTER_ID = 'submitter-1';
/** Who decides them: another principal, so four-eyes lets the decision through. */
export const APPROVER: DecisionInput = { principalId: 'approver-1' };

export function transferInput(overrides: Partial<TransferWorkflowInput> = {}): TransferWorkflowInput {
  return {
    transferId: randomUUID(),
    fromAccountId: FROM_ACCOUNT_ID,
    toAccountId: TO_ACCOUNT_ID,
    amountMinor: '1250',
    currency: 'USD',
    description: 'rent',
    approvalThresholdMinor: APPROVAL_THRESHOLD_MINOR,
    approvalTimeoutMs: DAY_MS,
    createdBy: SUBMITTER_ID,
    fourEyes: true,
    ...overrides,
  };
}

/** Starts a transfer as the gateway does: with its search attributes. */
export function startTransfer(env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput) {
  return env.client.workflow.start(transferWorkflow, {
    taskQueue,
    workflowId: transferWorkflowId(input.transferId),
    workflowIdReusePolicy: TRANSFER_WORKFLOW_ID_REUSE_POLICY,
    args: [input],
    typedSearchAttributes: transferWorkflowStartSearchAttributes(input),
  });
}

/** Polls the query until the workflow reports `status` (queries do not let the test server's clock skip). */
export async function waitForStatus(handle: WorkflowHandle, status: TransferState['status'], timeoutMs = 10_000): Promise<TransferState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(transferStateQuery);
    if (state.status === status) return state;
    if (Date.now() > deadline) throw new Error(`workflow stayed ${state.status}, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A counter's value, or a histogram's observation count, for the given labels (0 when never counted). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const values = (await metric.get()).values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  const wanted = metric instanceof Histogram ? `${name}_count` : undefined;
  const match = values.find((v) => (wanted === undefined || v.metricName === wanted) && Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
}

export function quietLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}
