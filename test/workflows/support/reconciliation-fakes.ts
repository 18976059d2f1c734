/**
 * In-memory fakes of what reconciliation reads and writes: the ledger's
 * reconciliation routes, the read model's balance list, the reports store
 * with the transfers table, and Temporal's word on transfers' workflows. They page exactly as the real routes do (id order,
 * `nextCursor` only after a full page), keep every call, and let a test change
 * their data between calls (a projection catching up).
 */
import type {
  BalanceCheckPageDto,
  BalanceCheckRowDto,
  BalancePageDto,
  EntryLinkDto,
  EntryLinksPageDto,
  ReservedHoldDto,
  ReservedHoldsPageDto,
  TransferEntriesPageDto,
  TransferReversalsDto,
  TransferReversalsPageDto,
} from '../../../lib/contracts/ledger';
import type { TransferWorkflowsApi } from '../../../activities/reconciliation-saga-checks';
import type { WorkflowState } from '../../../lib/reconciliation/saga-mismatches';
import type { ReadModelBalancePageDto, ReadModelBalanceRowDto } from '../../../lib/contracts/read-model';
import type { LedgerReconciliationApi, PageRequest, ReadModelApi } from '../../../lib/clients';
import { keyAfterFullPage } from '../../../lib/pages';
import { RECONCILIATION_CHECKS, type Mismatch, type ReconciliationCheck, type ReconciliationCounts, type ReconciliationTrigger } from '../../../lib/reconciliation/report';
import type { ReconciliationStore, ReportRecord, ReportWithMismatches, TransferRow } from '../../../lib/reconciliation/store';

/** The rows `page` picks from `rows` (keyed and ordered by id), and the cursor after them. */
function select<T>(rows: Map<string, T>, page: PageRequest): { items: T[]; nextCursor: string | null } {
  const ids = [...rows.keys()].sort();
  if ('ids' in page) return { items: ids.filter((id) => page.ids.includes(id)).map((id) => rows.get(id)!), nextCursor: null };
  const after = ids.filter((id) => page.cursor === null || id > page.cursor).slice(0, page.limit);
  return { items: after.map((id) => rows.get(id)!), nextCursor: keyAfterFullPage(after, page.limit) };
}

export interface PageCall {
  op: string;
  page: PageRequest;
}

export class FakeLedgerReconciliation implements LedgerReconciliationApi {
  /** Balance rows with what the journal says they should be. */
  readonly balances = new Map<string, BalanceCheckRowDto>();
  /** Non-reversal entry ids per transfer id. */
  readonly transferEntries = new Map<string, string[]>();
  /** Every entry with its transfer (or its reversed entry's). */
  readonly entryLinks = new Map<string, EntryLinkDto>();
  /** Per transfer id with entries: its reversing entries and the accounts it does not net to zero on. */
  readonly reversals = new Map<string, TransferReversalsDto>();
  readonly reservedHolds = new Map<string, ReservedHoldDto>();
  readonly calls: PageCall[] = [];
  /** Thrown by every call once set (e.g. an UnexpectedResponseError). */
  failure: Error | null = null;

  /** A balance row that agrees with its journal; `journal` overrides what the journal says. */
  account(accountId: string, postedMinor: string, pendingMinor = '0', journal: { posted?: string; pending?: string } = {}): this {
    this.balances.set(accountId, {
      accountId,
      currency: 'USD',
      postedMinor,
      pendingMinor,
      postedFromLinesMinor: journal.posted ?? postedMinor,
      pendingFromHoldsMinor: journal.pending ?? pendingMinor,
    });
    return this;
  }

  async listBalances(page: PageRequest): Promise<BalancePageDto> {
    this.enter('listBalances', page);
    const { items, nextCursor } = select(this.balances, page);
    return { items: items.map(({ accountId, currency, postedMinor, pendingMinor }) => ({ accountId, currency, postedMinor, pendingMinor })), nextCursor };
  }

  async checkBalances(page: PageRequest): Promise<BalanceCheckPageDto> {
    this.enter('checkBalances', page);
    const { items, nextCursor } = select(this.balances, page);
    const disagreeing = items.filter((r) => r.postedMinor !== r.postedFromLinesMinor || r.pendingMinor !== r.pendingFromHoldsMinor);
    return { checked: items.length, items: disagreeing, nextCursor };
  }

  async listTransferEntries(page: PageRequest): Promise<TransferEntriesPageDto> {
    this.enter('listTransferEntries', page);
    const { items, nextCursor } = select(
      new Map([...this.transferEntries].map(([transferId, entryIds]) => [transferId, { transferId, entryIds }])),
      page,
    );
    return { items, nextCursor };
  }

  entry(entryId: string, transferId: string | null, reversesEntryId: string | null = null): this {
    this.entryLinks.set(entryId, { entryId, transferId, reversesEntryId });
    return this;
  }

  reversal(transferId: string, reversalEntryIds: string[], unbalancedAccounts: TransferReversalsDto['unbalancedAccounts'] = []): this {
    this.reversals.set(transferId, { transferId, reversalEntryIds, unbalancedAccounts });
    return this;
  }

  hold(holdId: string, transferId: string, amountMinor = '100'): this {
    this.reservedHolds.set(holdId, { holdId, transferId, fromAccountId: 'acct-src', amountMinor, currency: 'USD' });
    return this;
  }

  async listEntryLinks(page: PageRequest): Promise<EntryLinksPageDto> {
    this.enter('listEntryLinks', page);
    return select(this.entryLinks, page);
  }

  /** A page walks the transfers with a reversing entry; ids pick any transfer with entries, as the route does. */
  async listTransferReversals(page: PageRequest): Promise<TransferReversalsPageDto> {
    this.enter('listTransferReversals', page);
    if ('ids' in page) return select(this.reversals, page);
    return select(new Map([...this.reversals].filter(([, r]) => r.reversalEntryIds.length > 0)), page);
  }

  async listReservedHolds(page: PageRequest): Promise<ReservedHoldsPageDto> {
    this.enter('listReservedHolds', page);
    return select(this.reservedHolds, page);
  }

  private enter(op: string, page: PageRequest): void {
    this.calls.push({ op, page });
    if (this.failure) throw this.failure;
  }
}

export class FakeReadModel implements ReadModelApi {
  readonly balances = new Map<string, ReadModelBalanceRowDto>();
  readonly calls: PageCall[] = [];
  /** Runs after each answer to a page (not to a lookup by ids): lets a test make the projection catch up. */
  afterPage: (() => void) | null = null;

  account(accountId: string, postedMinor: string, pendingMinor = '0', currency = 'USD'): this {
    this.balances.set(accountId, { accountId, currency, postedMinor, pendingMinor });
    return this;
  }

  async listBalances(page: PageRequest): Promise<ReadModelBalancePageDto> {
    this.calls.push({ op: 'listBalances', page });
    const answer = select(this.balances, page);
    if (!('ids' in page)) this.afterPage?.();
    return answer;
  }
}

export class FakeReconciliationStore implements ReconciliationStore {
  readonly reports = new Map<string, ReportRecord>();
  readonly mismatches = new Map<string, Map<ReconciliationCheck, Map<string, Mismatch>>>();
  readonly transfers = new Map<string, TransferRow>();
  readonly opened: string[] = [];

  transfer(id: string, status: TransferRow['status'], entryId: string | null, reversal: Partial<Pick<TransferRow, 'reversalEntryId' | 'reversalFailureCode'>> = {}): this {
    this.transfers.set(id, { id, status, entryId, reversalEntryId: reversal.reversalEntryId ?? null, reversalFailureCode: reversal.reversalFailureCode ?? null });
    return this;
  }

  recorded(reportId: string, check: ReconciliationCheck): Mismatch[] {
    return [...(this.mismatches.get(reportId)?.get(check)?.values() ?? [])];
  }

  async openReport(id: string, trigger: ReconciliationTrigger): Promise<ReportRecord> {
    this.opened.push(id);
    if (!this.reports.has(id)) {
      this.reports.set(id, { id, trigger, status: 'running', startedAt: new Date(), finishedAt: null, counts: null, failureMessage: null });
    }
    return this.reports.get(id)!;
  }

  async runningReportOnDemand(): Promise<ReportRecord | null> {
    return [...this.reports.values()].find((r) => r.trigger === 'api' && r.status === 'running') ?? null;
  }

  async recordMismatches(reportId: string, check: ReconciliationCheck, mismatches: Mismatch[]): Promise<void> {
    const byCheck = this.mismatches.get(reportId) ?? new Map<ReconciliationCheck, Map<string, Mismatch>>();
    this.mismatches.set(reportId, byCheck);
    const bySubject = byCheck.get(check) ?? new Map<string, Mismatch>();
    byCheck.set(check, bySubject);
    for (const m of mismatches) if (!bySubject.has(m.subjectId)) bySubject.set(m.subjectId, m);
  }

  async completeReport(reportId: string, counts: ReconciliationCounts): Promise<ReportRecord | null> {
    return this.finish(reportId, { status: 'completed', counts });
  }

  async failReport(reportId: string, failureMessage: string): Promise<ReportRecord | null> {
    return this.finish(reportId, { status: 'failed', failureMessage });
  }

  async getReport(id: string): Promise<ReportWithMismatches | null> {
    const report = this.reports.get(id);
    if (!report) return null;
    return {
      ...report,
      mismatches: Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, this.recorded(id, check)])) as ReportWithMismatches['mismatches'],
    };
  }

  async latestCompletedReport(): Promise<ReportRecord | null> {
    return [...this.reports.values()].filter((r) => r.status === 'completed').pop() ?? null;
  }

  async settledTransfersPage(cursor: string | null, limit: number): Promise<TransferRow[]> {
    const settled = new Map([...this.transfers].filter(([, t]) => t.status === 'posted' || t.status === 'reversed'));
    return select(settled, { cursor, limit }).items;
  }

  async transfersInStatusPage(statuses: readonly TransferRow['status'][], cursor: string | null, limit: number): Promise<TransferRow[]> {
    return select(new Map([...this.transfers].filter(([, t]) => statuses.includes(t.status))), { cursor, limit }).items;
  }

  async transfersByIds(ids: string[]): Promise<TransferRow[]> {
    return ids.filter((id) => this.transfers.has(id)).map((id) => this.transfers.get(id)!);
  }

  private finish(reportId: string, change: Partial<ReportRecord>): ReportRecord | null {
    const report = this.reports.get(reportId);
    if (!report || report.status !== 'running') return report ?? null;
    const finished = { ...report, ...change, finishedAt: new Date() };
    this.reports.set(reportId, finished);
    return finished;
  }
}

/** Temporal's word on transfers' workflows: RUNNING unless a test says otherwise. */
export class FakeTransferWorkflows implements TransferWorkflowsApi {
  readonly workflows = new Map<string, WorkflowState>();
  /** The ids of each call, to prove a page asks about its own transfers only. */
  readonly calls: string[][] = [];

  workflow(transferId: string, state: WorkflowState): this {
    this.workflows.set(transferId, state);
    return this;
  }

  async states(transferIds: string[]): Promise<Map<string, WorkflowState>> {
    this.calls.push([...transferIds]);
    return new Map(transferIds.map((id) => [id, this.workflows.get(id) ?? 'RUNNING']));
  }
}
