/** Reconciliation's shared pieces: what is compared and how a mismatch is named (report.ts), and the reports' store. */
export * from './report';
export * from './store';
