/**
 * The gateway's dependencies for tests that call its functions directly
 * (api/transfers.ts, api/resume-pending.ts) on the stack's databases and
 * Temporal: what the test brings, plus fresh metrics and the default approval
 * rules (a threshold of 1000000 minor units, a 60 s timeout).
 */
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '../../api/metrics';
import type { TransferDeps } from '../../api/transfers';

export function gatewayDeps(parts: Pick<TransferDeps, 'store' | 'statusListener' | 'temporal' | 'logger' | 'taskQueue'>): TransferDeps {
  return { ...parts, metrics: createGatewayMetrics(new Registry()), approvalThresholdMinor: 1_000_000n, approvalTimeoutMs: 60_000 };
}
