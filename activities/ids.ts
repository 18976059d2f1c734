/**
 * Ids derived from a workflow id and a step: a retried activity, a replayed
 * workflow and a worker restarted mid-step all send the same id, so the
 * ledger's replay safety turns every repeat into a no-op. UUID version 5
 * (RFC 9562, SHA-1 name-based) under a namespace of this project.
 */
import { createHash } from 'node:crypto';

/** Fixed forever: changing it would give in-flight transfers new hold and entry ids. */
export const LEDGER_ID_NAMESPACE = '3f1c6a52-7d4e-4b8a-9c0e-5b2f1d7a9e61';

export function uuidV5(name: string, namespace: string = LEDGER_ID_NAMESPACE): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`namespace ${namespace} is not a UUID`);
  const bytes = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest().subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The hold reserved by transfer workflow `workflowId`. */
export const holdIdFor = (workflowId: string): string => uuidV5(`${workflowId}/hold`);
/** The journal entry the hold is captured into. */
export const entryIdFor = (workflowId: string): string => uuidV5(`${workflowId}/entry`);
/**
 * The reversing entry posted by reversal workflow `workflowId` for the claim
 * `claimId` of the reversal. The ledger answers every attempt of one id with
 * that id's first outcome (a refusal included), so each claim (a new
 * Idempotency-Key asking again after a refusal) needs its own id, and the
 * retries of one claim share it. Without a claim (a reversal asked for before
 * reversals were claimed), the workflow's alone.
 */
export const reversalEntryIdFor = (workflowId: string, claimId?: string | null): string =>
  uuidV5(claimId ? `${workflowId}/reversal/${claimId}` : `${workflowId}/reversal`);

/**
 * The journal entry of item `index` (from 0) of transfer batch `batchId`:
 * every run and attempt of the batch's workflow posts the item under it, so
 * the ledger posts it at most once.
 */
export const batchEntryIdFor = (batchId: string, index: number): string => uuidV5(`transfer-batch-${batchId}/entry/${index}`);
