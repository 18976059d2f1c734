/**
 * In-memory fakes of what reconciliation reads and writes: the ledger's
 * reconciliation routes, the read model's balance list, and the reports store
 * with the transfers table. They page exactly as the real routes do (id order,
 * `nextCursor` only after a full page), keep every call, and let a test change
 * their data between calls (a projection catching up).
 */
import type { BalanceCheckPageDto, BalanceCheckRowDto, BalancePageDto, TransferEntriesPageDto } from '../../../lib/contracts/ledger';
import type { ReadModelBalancePageDto, ReadModelBalanceRowDto } from '../../../lib/contracts/read-model';
import type { LedgerReconciliationApi, PageRequest, ReadModelApi } from '../../../lib/clients';
import type { Mismatch, ReconciliationCheck, ReconciliationCounts, ReconciliationTrigger } from '../../../lib/reconciliation/report';
import type { ReconciliationStore, ReportRecord, ReportWithMismatches, TransferRow } from '../../../lib/reconciliation/store';

/** The rows `page` picks from `rows` (keyed and ordered by id), and the cursor after them. */
function select<T>(rows: Map<string, T>, page: PageRequest): { items: T[]; nextCursor: string | null } {
  const ids = [...rows.keys()].sort();
  if ('ids' in page) return { items: ids.filter((id) => page.ids.includes(id)).map((id) => rows.get(id)!), nextCursor: null };
  const after = ids.filter((id) => page.cursor === null || id > page.cursor).slice(0, page.limit);
  return { items: after.map((id) => rows.get(id)!), nextCursor: after.length === page.limit ? after[after.length - 1] : null };
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

  transfer(id: string, status: TransferRow['status'], entryId: string | null): this {
    this.transfers.set(id, { id, status, entryId });
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
      mismatches: { ledgerBalances: this.recorded(id, 'ledgerBalances'), readModelBalances: this.recorded(id, 'readModelBalances'), transferEntries: this.recorded(id, 'transferEntries') },
    };
  }

  async latestCompletedReport(): Promise<ReportRecord | null> {
    return [...this.reports.values()].filter((r) => r.status === 'completed').pop() ?? null;
  }

  async settledTransfersPage(cursor: string | null, limit: number): Promise<TransferRow[]> {
    const settled = new Map([...this.transfers].filter(([, t]) => t.status === 'posted' || t.status === 'reversed'));
    return select(settled, { cursor, limit }).items;
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
