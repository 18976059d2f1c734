/** The ledger's domain metrics (names fixed by the design). */
import { Counter, type Registry } from 'prom-client';

export interface LedgerMetrics {
  entryCreated(kind: 'direct' | 'capture' | 'reversal' | 'batch', count?: number): void;
  validationError(errorType: string): void;
  holdChanged(status: 'reserved' | 'captured' | 'voided' | 'expired'): void;
}

export function createLedgerMetrics(registry: Registry): LedgerMetrics {
  const entries = new Counter({
    name: 'ledger_entries_created_total',
    help: 'Journal entries posted, by kind (direct, capture, reversal, batch: the items of a transfer batch).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const validationErrors = new Counter({
    name: 'ledger_entry_validation_errors_total',
    help: 'Requests the ledger refused, by rule or error type.',
    labelNames: ['error_type'],
    registers: [registry],
  });
  const holds = new Counter({
    name: 'ledger_holds_total',
    help: 'Hold state changes, by new status.',
    labelNames: ['status'],
    registers: [registry],
  });
  return {
    entryCreated: (kind, count = 1) => entries.inc({ kind }, count),
    validationError: (errorType) => validationErrors.inc({ error_type: errorType }),
    holdChanged: (status) => holds.inc({ status }),
  };
}
