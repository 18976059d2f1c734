/**
 * In-memory fakes of the accounts service, the ledger service and the
 * transfers table, handed to the real activity factory in workflow tests. They
 * keep every call so tests can assert on what the saga did, and can be told to
 * refuse a step, to fail it transiently a number of times, or to hold a
 * ledger step until the test releases it.
 */
import { accountRefusal } from '../../../lib/accounts/refusal';
import type { AccountDto } from '../../../lib/contracts/accounts';
import type {
  CaptureHoldRequest,
  EntryDto,
  HoldDto,
  LedgerRefusalCode,
  ReserveAndCaptureRequest,
  ReserveHoldRequest,
  ReverseEntryRequest,
  VoidHoldRequest,
} from '../../../lib/contracts/ledger';
import { LedgerRefusalError, TransientServiceError, type AccountsApi, type CapturedHold, type LedgerApi } from '../../../lib/clients';
import { canMoveStatus, type TransferStatus } from '../../../lib/transfers/status';
import type { RecordStatusResult, ReversalRefusalUpdate, StatusUpdate, TransferRecord, TransferStore } from '../../../lib/transfers/store';

const FIXED_TIME = '2026-01-01T00:00:00.000Z';

export function account(id: string, overrides: Partial<AccountDto> = {}): AccountDto {
  return { id, code: `code-${id}`, name: `Account ${id}`, currency: 'USD', creditLimit: '0', status: 'active', createdBy: null, createdAt: FIXED_TIME, ...overrides };
}

/** Counts down transient failures per operation: `failTransiently('reserveHold', 2)` fails the next two reserves with a 503. */
class TransientFailures<Op extends string> {
  private readonly remaining = new Map<Op, number>();

  set(op: Op, times: number): void {
    this.remaining.set(op, times);
  }

  maybeFail(service: string, op: Op): void {
    const left = this.remaining.get(op) ?? 0;
    if (left <= 0) return;
    this.remaining.set(op, left - 1);
    throw new TransientServiceError(service, `${service} ${op} answered 503 (fake)`, 503);
  }
}

export class FakeAccounts implements AccountsApi {
  readonly accounts = new Map<string, AccountDto>();
  readonly calls: string[] = [];
  private readonly failures = new TransientFailures<'getAccounts'>();

  add(...accounts: AccountDto[]): this {
    for (const a of accounts) this.accounts.set(a.id, a);
    return this;
  }

  failTransiently(times: number): this {
    this.failures.set('getAccounts', times);
    return this;
  }

  async getAccounts(accountIds: string[]): Promise<Map<string, AccountDto>> {
    this.calls.push(...accountIds);
    this.failures.maybeFail('accounts', 'getAccounts');
    return new Map(accountIds.flatMap((id) => (this.accounts.has(id) ? [[id, this.accounts.get(id)!] as const] : [])));
  }
}

type LedgerOp = 'reserveHold' | 'captureHold' | 'reserveAndCaptureHold' | 'voidHold' | 'reverseEntry' | 'getHold';

export interface LedgerCall {
  op: LedgerOp;
  id: string;
  body?: unknown;
}

/**
 * The ledger as the saga sees it: it checks the accounts at reserve (with the
 * real refusal rule, against the fake accounts service) and never again.
 */
export class FakeLedger implements LedgerApi {
  constructor(private readonly accounts: FakeAccounts) {}

  readonly holds = new Map<string, HoldDto>();
  readonly entries = new Map<string, EntryDto>();
  readonly calls: LedgerCall[] = [];
  private readonly refusals = new Map<LedgerOp, LedgerRefusalCode>();
  private readonly failures = new TransientFailures<LedgerOp>();

  refuse(op: LedgerOp, code: LedgerRefusalCode): this {
    this.refusals.set(op, code);
    return this;
  }

  /** Stops refusing `op` (the cause was fixed, e.g. the account funded). */
  accept(op: LedgerOp): this {
    this.refusals.delete(op);
    return this;
  }

  failTransiently(op: LedgerOp, times: number): this {
    this.failures.set(op, times);
    return this;
  }

  private readonly gates = new Map<LedgerOp, { reached: () => void; opened: Promise<void> }>();

  /**
   * Holds every call of `op` (captureHold, voidHold) until `release()`, so a
   * test can act while the step runs; `reached` resolves when the first call
   * is held.
   */
  pause(op: 'captureHold' | 'reserveAndCaptureHold' | 'voidHold'): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.gates.set(op, { reached, opened });
    return { reached: reachedPromise, release };
  }

  private async passGate(op: LedgerOp): Promise<void> {
    const gate = this.gates.get(op);
    if (!gate) return;
    gate.reached();
    await gate.opened;
  }

  callsOf(op: LedgerOp): LedgerCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  async reserveHold(request: ReserveHoldRequest): Promise<HoldDto> {
    this.enter('reserveHold', request.holdId, request);
    return this.reserve(request);
  }

  async captureHold(holdId: string, request: CaptureHoldRequest): Promise<CapturedHold> {
    this.enter('captureHold', holdId, request);
    await this.passGate('captureHold');
    return this.capture(holdId, request);
  }

  /** The real ledger does both in one transaction: a refusal of the reserve leaves nothing behind. */
  async reserveAndCaptureHold(request: ReserveAndCaptureRequest): Promise<CapturedHold> {
    this.enter('reserveAndCaptureHold', request.holdId, request);
    await this.passGate('reserveAndCaptureHold');
    const { entryId, description, ...reserve } = request;
    await this.reserve(reserve);
    return this.capture(request.holdId, { entryId, description });
  }

  private async reserve(request: ReserveHoldRequest): Promise<HoldDto> {
    const existing = this.holds.get(request.holdId);
    if (existing) return existing;
    const accountIds = [request.fromAccountId, request.toAccountId];
    const refusal = accountRefusal(accountIds, await this.accounts.getAccounts(accountIds), request.currency);
    if (refusal) throw new LedgerRefusalError(refusal.code, refusal.message);
    const hold: HoldDto = {
      holdId: request.holdId,
      transferId: request.transferId,
      fromAccountId: request.fromAccountId,
      toAccountId: request.toAccountId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      status: 'reserved',
      entryId: null,
      expiresAt: null,
      createdAt: FIXED_TIME,
      updatedAt: FIXED_TIME,
    };
    this.holds.set(hold.holdId, hold);
    return hold;
  }

  private capture(holdId: string, request: CaptureHoldRequest): CapturedHold {
    const hold = this.holds.get(holdId);
    if (!hold) throw new Error(`fake ledger: no hold ${holdId}`);
    if (hold.status === 'captured' && hold.entryId === request.entryId) return { hold, entry: this.entries.get(request.entryId)! };
    if (hold.status !== 'reserved') throw new LedgerRefusalError('HOLD_NOT_RESERVED', `hold ${holdId} is ${hold.status}`);
    const entry: EntryDto = {
      entryId: request.entryId,
      transferId: hold.transferId,
      holdId,
      reversesEntryId: null,
      currency: hold.currency,
      description: request.description ?? '',
      postedAt: FIXED_TIME,
      lines: [
        { accountId: hold.fromAccountId, direction: 'debit', amountMinor: hold.amountMinor, balanceAfterMinor: `-${hold.amountMinor}` },
        { accountId: hold.toAccountId, direction: 'credit', amountMinor: hold.amountMinor, balanceAfterMinor: hold.amountMinor },
      ],
    };
    this.entries.set(entry.entryId, entry);
    const captured = { ...hold, status: 'captured' as const, entryId: entry.entryId };
    this.holds.set(holdId, captured);
    return { hold: captured, entry };
  }

  async voidHold(holdId: string, request: VoidHoldRequest): Promise<HoldDto | null> {
    this.enter('voidHold', holdId, request);
    await this.passGate('voidHold');
    const hold = this.holds.get(holdId);
    if (!hold) return null;
    if (hold.status === 'captured') throw new LedgerRefusalError('HOLD_NOT_RESERVED', `hold ${holdId} is captured`);
    const voided = { ...hold, status: 'voided' as const };
    this.holds.set(holdId, voided);
    return voided;
  }

  async reverseEntry(entryId: string, request: ReverseEntryRequest): Promise<EntryDto> {
    this.enter('reverseEntry', entryId, request);
    const entry = this.entries.get(entryId);
    if (!entry) throw new Error(`fake ledger: no entry ${entryId}`);
    const reversal: EntryDto = {
      ...entry,
      entryId: request.reversalEntryId,
      reversesEntryId: entryId,
      lines: entry.lines.map((l) => ({ ...l, direction: l.direction === 'debit' ? 'credit' : 'debit' })),
    };
    this.entries.set(reversal.entryId, reversal);
    return reversal;
  }

  async getHold(holdId: string): Promise<HoldDto | null> {
    this.enter('getHold', holdId);
    return this.holds.get(holdId) ?? null;
  }

  /** Records the call, then fails it if told to (transiently first, then with a refusal). */
  private enter(op: LedgerOp, id: string, body?: unknown): void {
    this.calls.push({ op, id, body });
    this.failures.maybeFail('ledger', op);
    const code = this.refusals.get(op);
    if (code) throw new LedgerRefusalError(code, `fake ledger refuses ${op}: ${code}`);
  }
}

export interface StatusCall {
  transferId: string;
  update: StatusUpdate;
  applied: boolean;
}

export interface ReversalRefusalCall {
  transferId: string;
  refusal: ReversalRefusalUpdate;
  applied: boolean;
}

/** The transfers table in memory, with the store's rules: statuses only move forward, only a claimed reversal is refused, once. */
export class FakeTransfers implements Pick<TransferStore, 'recordStatus' | 'recordReversalRefused' | 'getTransfer'> {
  readonly rows = new Map<string, TransferRecord>();
  readonly calls: StatusCall[] = [];
  readonly reversalRefusals: ReversalRefusalCall[] = [];

  statusesOf(transferId: string): TransferStatus[] {
    return this.calls.filter((c) => c.transferId === transferId).map((c) => c.update.status);
  }

  async recordStatus(transferId: string, update: StatusUpdate): Promise<RecordStatusResult> {
    const row = this.rows.get(transferId) ?? this.pendingRow(transferId);
    const applied = canMoveStatus(row.status, update.status);
    this.calls.push({ transferId, update, applied });
    if (!applied) return { applied, transfer: row };
    const moved: TransferRecord = {
      ...row,
      status: update.status,
      failureCode: update.failureCode ?? row.failureCode,
      failureMessage: update.failureMessage ?? row.failureMessage,
      entryId: update.entryId ?? row.entryId,
      reversalEntryId: update.reversalEntryId ?? row.reversalEntryId,
      decidedBy: update.decidedBy ?? row.decidedBy,
      updatedAt: new Date(row.createdAt.getTime() + 1000),
    };
    this.rows.set(transferId, moved);
    return { applied, transfer: moved };
  }

  async getTransfer(transferId: string): Promise<TransferRecord | null> {
    return this.rows.get(transferId) ?? null;
  }

  /** What the gateway does before it starts a reversal: claims it on the row (a new claim clears a refusal). */
  claimReversal(transferId: string, reversalId = `reversal-of-${transferId}`): void {
    const row = this.rows.get(transferId) ?? this.pendingRow(transferId);
    const reversal = { id: reversalId, idempotencyKey: `key-${reversalId}`, traceId: null, requestedAt: new Date(FIXED_TIME), refusal: null };
    this.rows.set(transferId, { ...row, reversal });
  }

  async recordReversalRefused(transferId: string, refusal: ReversalRefusalUpdate): Promise<RecordStatusResult> {
    const row = this.rows.get(transferId);
    const applied = row?.status === 'posted' && row.reversal !== null && row.reversal.refusal === null;
    this.reversalRefusals.push({ transferId, refusal, applied });
    if (!applied) return { applied, transfer: row ?? null };
    const refused: TransferRecord = {
      ...row,
      reversal: { ...row.reversal!, refusal: { code: refusal.failureCode, message: refusal.failureMessage, refusedAt: new Date(FIXED_TIME) } },
    };
    this.rows.set(transferId, refused);
    return { applied, transfer: refused };
  }

  private pendingRow(transferId: string): TransferRecord {
    const row: TransferRecord = {
      id: transferId,
      fromAccountId: 'unknown',
      toAccountId: 'unknown',
      amountMinor: 1n,
      currency: 'USD',
      description: null,
      createdBy: null,
      decidedBy: null,
      metadata: {},
      batchId: null,
      batchIndex: null,
      reference: null,
      status: 'pending',
      failureCode: null,
      failureMessage: null,
      entryId: null,
      reversalEntryId: null,
      traceId: null,
      createdAt: new Date(FIXED_TIME),
      updatedAt: new Date(FIXED_TIME),
      reversal: null,
    };
    this.rows.set(transferId, row);
    return row;
  }
}
