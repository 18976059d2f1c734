-- Reconciliation's checks of money and sagas outside their transfer (entries
-- of no transfer, reversals, unfinished transfers' workflows, reserved holds)
-- record mismatches too; their subject is an entry, a transfer or a hold id.
ALTER TABLE reconciliation_mismatches DROP CONSTRAINT reconciliation_mismatches_check_name_check;
ALTER TABLE reconciliation_mismatches ADD CONSTRAINT reconciliation_mismatches_check_name_check
  CHECK (check_name IN ('ledgerBalances', 'readModelBalances', 'transferEntries',
                        'entryTransfers', 'transferReversals', 'transferWorkflows', 'reservedHolds'));
COMMENT ON COLUMN reconciliation_mismatches.subject_id IS 'The account, transfer, entry or hold id (text: read-model ids are whatever producers chose).';
