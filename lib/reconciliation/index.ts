/** Reconciliation's shared pieces: what is compared and how a mismatch is named (report.ts, saga-mismatches.ts), and the reports' store. */
export * from './report';
export * from './saga-mismatches';
export * from './store';
