/**
 * The ceiling's bare workflow (bench/e2e/ceiling.ts): `steps` no-op local
 * activities one after another, nothing else. A transfer below the approval
 * threshold has the same shape (its steps as local activities, one workflow
 * task), so what the Temporal server and an SDK worker do for this workflow
 * is what they cannot avoid doing for a transfer.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { CeilingActivities } from './ceiling-activities';

const { noop } = proxyLocalActivities<CeilingActivities>({ startToCloseTimeout: '10 seconds' });

export async function ceilingWorkflow(steps: number): Promise<number> {
  for (let step = 0; step < steps; step++) await noop(step);
  return steps;
}
