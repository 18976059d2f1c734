/**
 * The gateway's dependencies for tests that call its functions directly
 * (api/transfers.ts, api/resume-pending.ts) on the stack's databases and
 * Temporal: what the test brings, plus fresh metrics and the default approval
 * rules (a threshold of 1000000 minor units, a 60 s timeout), and a client of
 * the stack's ledger (with the operator's token).
 */
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '../../api/metrics';
import type { TransferDeps } from '../../api/transfers';
import { LedgerClient } from '../../lib/clients';
import { config } from './system';

export function gatewayDeps(parts: Pick<TransferDeps, 'store' | 'statusListener' | 'temporal' | 'logger' | 'taskQueue'>): TransferDeps {
  return { ...parts, ledger: new LedgerClient({ baseUrl: config.ledgerUrl, token: config.LEDGER_TOKEN }), metrics: createGatewayMetrics(new Registry()), approvalThresholdMinor: 1_000_000n, approvalTimeoutMs: 60_000 };
}
