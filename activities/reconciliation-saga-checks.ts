/**
 * The reconciliation checks that follow money and sagas outside the transfer
 * that owns them (lib/reconciliation/saga-mismatches.ts names the mismatches):
 * entries against transfers, reversals against transfers, unfinished
 * transfers against their workflows, reserved holds against their transfers.
 * Each scan reads one bounded page (and the ledger, the transfers table or
 * Temporal only for that page's ids); each evaluation reads its suspects again.
 */
import type { LedgerReconciliationApi } from '../lib/clients';
import type { ReservedHoldDto, TransferReversalsDto } from '../lib/contracts/ledger';
import {
  entryTransferMismatch,
  reservedHoldMismatch,
  transferReversalMismatch,
  transferWorkflowMismatch,
  WORKFLOW_NOT_FOUND,
  type WorkflowState,
} from '../lib/reconciliation/saga-mismatches';
import { keyAfterFullPage } from '../lib/pages';
import type { Mismatch } from '../lib/reconciliation/report';
import type { ReconciliationStore, TransferRow } from '../lib/reconciliation/store';
import { isTerminalStatus, type TransferStatus } from '../lib/transfers/status';
import { decodePassCursor, encodePassCursor, inChunks, notNull, type Check, type PassCursor } from './reconciliation-check';

/** What Temporal says of transfers' workflows; the worker asks Temporal, tests pass a fake. */
export interface TransferWorkflowsApi {
  /** Per transfer id, the state of its workflow (`RUNNING`, `TERMINATED`…, or NOT_FOUND). */
  states(transferIds: string[]): Promise<Map<string, WorkflowState>>;
}

interface SagaDeps {
  ledger: LedgerReconciliationApi;
  store: ReconciliationStore;
  workflows: TransferWorkflowsApi;
}

const UNFINISHED_STATUSES: readonly TransferStatus[] = ['pending', 'awaiting_approval'];

async function transfersOf(store: ReconciliationStore, ids: Array<string | null>): Promise<Map<string, TransferRow>> {
  const wanted = [...new Set(ids.filter(notNull))];
  if (wanted.length === 0) return new Map();
  return new Map((await store.transfersByIds(wanted)).map((t) => [t.id, t]));
}

/** The subjects of `mismatches`, in order: what a scan reports as suspects. */
const subjects = (mismatches: Array<Mismatch | null>): string[] => mismatches.filter(notNull).map((m) => m.subjectId);

// ------------------------------------------------------------ entries vs transfers

/** Every entry in id order: its transfer (or its reversed entry's) must be a transfers row. */
export function entryTransfersCheck(deps: SagaDeps): Check {
  const judge = async (entries: Awaited<ReturnType<LedgerReconciliationApi['listEntryLinks']>>['items']) => {
    const transfers = await transfersOf(deps.store, entries.map((e) => e.transferId));
    return entries.map((e) => entryTransferMismatch(e, e.transferId !== null && transfers.has(e.transferId)));
  };
  return {
    async scan(cursor, limit) {
      const page = await deps.ledger.listEntryLinks({ cursor, limit });
      return { checked: page.items.length, suspects: subjects(await judge(page.items)), nextCursor: page.nextCursor };
    },
    async evaluate(ids) {
      const entries = await inChunks(ids, async (chunk) => (await deps.ledger.listEntryLinks({ ids: chunk })).items);
      return (await judge(entries)).filter(notNull);
    },
  };
}

// ------------------------------------------------------------ reversals vs transfers

/**
 * Two passes. `transfers`: every reversed transfer, in id order, against the
 * ledger's reversing entries for it. `ledger`: every transfer the ledger has a
 * reversing entry for, in id order; those not recorded `reversed` disagree
 * (the reversed ones were compared in the first pass).
 */
type ReversalCursor = PassCursor<'transfers' | 'ledger'>;

export function transferReversalsCheck(deps: SagaDeps): Check {
  const reversalsOf = async (ids: string[]): Promise<Map<string, TransferReversalsDto>> => {
    const items = await inChunks(ids, async (chunk) => (await deps.ledger.listTransferReversals({ ids: chunk })).items);
    return new Map(items.map((item) => [item.transferId, item]));
  };
  const judge = (ids: string[], transfers: Map<string, TransferRow>, ledger: Map<string, TransferReversalsDto>) =>
    ids.map((id) => transferReversalMismatch(id, transfers.get(id) ?? null, ledger.get(id) ?? null));

  return {
    async scan(cursorText, limit) {
      const cursor: ReversalCursor = decodePassCursor(cursorText, 'transfers');
      if (cursor.pass === 'transfers') {
        const rows = await deps.store.transfersInStatusPage(['reversed'], cursor.after, limit);
        const ids = rows.map((t) => t.id);
        const suspects = subjects(judge(ids, new Map(rows.map((t) => [t.id, t])), await reversalsOf(ids)));
        const after = keyAfterFullPage(ids, limit);
        const next: ReversalCursor = after !== null ? { pass: 'transfers', after } : { pass: 'ledger', after: null };
        return { checked: rows.length, suspects, nextCursor: encodePassCursor(next) };
      }
      const page = await deps.ledger.listTransferReversals({ cursor: cursor.after, limit });
      const transfers = await transfersOf(deps.store, page.items.map((item) => item.transferId));
      const unrecorded = page.items.filter((item) => transfers.get(item.transferId)?.status !== 'reversed');
      const ids = unrecorded.map((item) => item.transferId);
      const suspects = subjects(judge(ids, transfers, new Map(unrecorded.map((item) => [item.transferId, item]))));
      const next = page.nextCursor === null ? null : encodePassCursor<ReversalCursor['pass']>({ pass: 'ledger', after: page.nextCursor });
      return { checked: unrecorded.length, suspects, nextCursor: next };
    },
    async evaluate(ids) {
      const [transfers, ledger] = await Promise.all([transfersOf(deps.store, ids), reversalsOf(ids)]);
      return judge(ids, transfers, ledger).filter(notNull);
    },
  };
}

// ------------------------------------------------------------ unfinished transfers vs their workflows

/**
 * Every transfer not yet final, in id order, against what Temporal says of its
 * workflow. Not a batch's items: they have no workflow of their own (their
 * batch's runs them, and the gateway's resumer restarts a batch left pending).
 */
export function transferWorkflowsCheck(deps: SagaDeps): Check {
  const judge = async (rows: TransferRow[]) => {
    const unfinished = rows.filter((t) => !isTerminalStatus(t.status) && !t.batchId);
    const states = unfinished.length === 0 ? new Map<string, WorkflowState>() : await deps.workflows.states(unfinished.map((t) => t.id));
    return unfinished.map((t) => transferWorkflowMismatch(t.id, t.status, states.get(t.id) ?? WORKFLOW_NOT_FOUND));
  };
  return {
    async scan(cursor, limit) {
      const rows = await deps.store.transfersInStatusPage(UNFINISHED_STATUSES, cursor, limit);
      const nextCursor = keyAfterFullPage(rows.map((t) => t.id), limit);
      return { checked: rows.length, suspects: subjects(await judge(rows)), nextCursor };
    },
    async evaluate(ids) {
      return (await judge([...(await transfersOf(deps.store, ids)).values()])).filter(notNull);
    },
  };
}

// ------------------------------------------------------------ reserved holds vs their transfers

/** Every hold still reserved, in id order: its transfer must be unfinished with its workflow running. */
export function reservedHoldsCheck(deps: SagaDeps): Check {
  const judge = async (holds: ReservedHoldDto[]) => {
    const transfers = await transfersOf(deps.store, holds.map((h) => h.transferId));
    const unfinished = [...transfers.values()].filter((t) => !isTerminalStatus(t.status)).map((t) => t.id);
    const states = unfinished.length === 0 ? new Map<string, WorkflowState>() : await deps.workflows.states(unfinished);
    return holds.map((h) => {
      const status = transfers.get(h.transferId)?.status ?? null;
      const workflow = status === null || isTerminalStatus(status) ? null : (states.get(h.transferId) ?? WORKFLOW_NOT_FOUND);
      return reservedHoldMismatch(h, status, workflow);
    });
  };
  return {
    async scan(cursor, limit) {
      const page = await deps.ledger.listReservedHolds({ cursor, limit });
      return { checked: page.items.length, suspects: subjects(await judge(page.items)), nextCursor: page.nextCursor };
    },
    async evaluate(ids) {
      const holds = await inChunks(ids, async (chunk) => (await deps.ledger.listReservedHolds({ ids: chunk })).items);
      return (await judge(holds)).filter(notNull);
    },
  };
}
