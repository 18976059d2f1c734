/**
 * Client of the ledger service's internal API (lib/contracts/ledger.ts). Every
 * write carries the id that makes it replay-safe (holdId, entryId,
 * reversalEntryId): the ledger's unique constraints on those ids are its
 * idempotency.
 */
import {
  LEDGER_REFUSAL_CODES,
  type BalanceCheckPageDto,
  type BalancePageDto,
  type CaptureHoldRequest,
  type EntryDto,
  type EntryLinksPageDto,
  type HoldDto,
  type LedgerRefusalCode,
  type PostBatchRequest,
  type PostBatchResponse,
  type ReservedHoldsPageDto,
  type ReserveAndCaptureRequest,
  type ReserveHoldRequest,
  type ReverseEntryRequest,
  type TransferEntriesPageDto,
  type TransferReversalsPageDto,
  type VoidHoldRequest,
} from '../contracts/ledger';
import { ConflictError, LedgerRefusalError, TransientServiceError, UnexpectedResponseError } from './errors';
import { isTransientStatus, JsonHttpClient, problemOf, type JsonResponse } from './http-json';

export interface CapturedHold {
  hold: HoldDto;
  entry: EntryDto;
}

/** What the activities need from the ledger; tests pass a fake of it. */
export interface LedgerApi {
  reserveHold(request: ReserveHoldRequest): Promise<HoldDto>;
  captureHold(holdId: string, request: CaptureHoldRequest): Promise<CapturedHold>;
  /** reserveHold then captureHold as one ledger transaction; refusals and conflicts as theirs. */
  reserveAndCaptureHold(request: ReserveAndCaptureRequest): Promise<CapturedHold>;
  /** Resolves null when the hold does not exist: voiding nothing is done already. */
  voidHold(holdId: string, request: VoidHoldRequest): Promise<HoldDto | null>;
  reverseEntry(entryId: string, request: ReverseEntryRequest): Promise<EntryDto>;
  getHold(holdId: string): Promise<HoldDto | null>;
}

/** What the batch activities need from the ledger. */
export interface LedgerBatchApi {
  /** A batch's items (or a chunk of them) in one ledger transaction; refusals come back as item outcomes. */
  postBatch(request: PostBatchRequest): Promise<PostBatchResponse>;
}

/** A keyset page after `cursor`, or exactly the given ids (at most RECONCILIATION_IDS_MAX). */
export type PageRequest = { cursor: string | null; limit: number } | { ids: string[] };

/** What reconciliation reads from the ledger; tests pass a fake of it. */
export interface LedgerReconciliationApi {
  listBalances(page: PageRequest): Promise<BalancePageDto>;
  checkBalances(page: PageRequest): Promise<BalanceCheckPageDto>;
  listTransferEntries(page: PageRequest): Promise<TransferEntriesPageDto>;
  listEntryLinks(page: PageRequest): Promise<EntryLinksPageDto>;
  listTransferReversals(page: PageRequest): Promise<TransferReversalsPageDto>;
  listReservedHolds(page: PageRequest): Promise<ReservedHoldsPageDto>;
}

export interface LedgerClientOptions {
  baseUrl: string;
  /** This process's token for the ledger service (lib/service-auth). */
  token: string;
  timeoutMs?: number;
}

export const LEDGER_TIMEOUT_MS_DEFAULT = 5_000;

export class LedgerClient implements LedgerApi, LedgerBatchApi, LedgerReconciliationApi {
  private readonly http: JsonHttpClient;

  constructor(options: LedgerClientOptions) {
    this.http = new JsonHttpClient({ service: 'ledger', baseUrl: options.baseUrl, token: options.token, timeoutMs: options.timeoutMs ?? LEDGER_TIMEOUT_MS_DEFAULT });
  }

  async reserveHold(request: ReserveHoldRequest): Promise<HoldDto> {
    const response = await this.post('/holds', request);
    if (response.status === 200 || response.status === 201) return asHold(response.body);
    throw failure(response, 'POST /holds');
  }

  async captureHold(holdId: string, request: CaptureHoldRequest): Promise<CapturedHold> {
    const path = `/holds/${encodeURIComponent(holdId)}/capture`;
    const response = await this.post(path, request);
    if (response.status === 200 || response.status === 201) return asCapturedHold(response.body);
    throw failure(response, `POST ${path}`);
  }

  async reserveAndCaptureHold(request: ReserveAndCaptureRequest): Promise<CapturedHold> {
    const response = await this.post('/holds/captured', request);
    if (response.status === 200 || response.status === 201) return asCapturedHold(response.body);
    throw failure(response, 'POST /holds/captured');
  }

  async voidHold(holdId: string, request: VoidHoldRequest): Promise<HoldDto | null> {
    const path = `/holds/${encodeURIComponent(holdId)}/void`;
    const response = await this.post(path, request);
    if (response.status === 200) return asHold(response.body);
    if (response.status === 404) return null;
    throw failure(response, `POST ${path}`);
  }

  /**
   * Safe to repeat without limit (a lost answer, a ledger down): the ledger
   * decides each reversalEntryId once, posted or refused, and answers every
   * later attempt of it the same, so a repeat never posts what an earlier
   * attempt was refused. Asking again after a refusal takes a new id.
   */
  async reverseEntry(entryId: string, request: ReverseEntryRequest): Promise<EntryDto> {
    const path = `/entries/${encodeURIComponent(entryId)}/reverse`;
    const response = await this.post(path, request);
    if (response.status === 200 || response.status === 201) return asEntry(response.body);
    throw failure(response, `POST ${path}`);
  }

  async postBatch(request: PostBatchRequest): Promise<PostBatchResponse> {
    const response = await this.post('/batches', request);
    const body = response.body as Partial<PostBatchResponse> | undefined;
    if (response.status === 200 && Array.isArray(body?.items) && body.refusal !== undefined) return body as PostBatchResponse;
    if (response.status === 200) throw new UnexpectedResponseError('ledger', 'batch answer lacks items or refusal', response.status);
    throw failure(response, 'POST /batches');
  }

  async getHold(holdId: string): Promise<HoldDto | null> {
    const path = `/holds/${encodeURIComponent(holdId)}`;
    const response = await this.http.request({ method: 'GET', path });
    if (response.status === 200) return asHold(response.body);
    if (response.status === 404) return null;
    throw failure(response, `GET ${path}`);
  }

  listBalances(page: PageRequest): Promise<BalancePageDto> {
    return this.getPage('/balances', 'accountId', page, (body) => Array.isArray((body as BalancePageDto | undefined)?.items));
  }

  checkBalances(page: PageRequest): Promise<BalanceCheckPageDto> {
    return this.getPage('/reconciliation/balances', 'accountId', page, (body) => typeof (body as BalanceCheckPageDto | undefined)?.checked === 'number');
  }

  listTransferEntries(page: PageRequest): Promise<TransferEntriesPageDto> {
    return this.getPage('/reconciliation/transfer-entries', 'transferId', page, (body) => Array.isArray((body as TransferEntriesPageDto | undefined)?.items));
  }

  listEntryLinks(page: PageRequest): Promise<EntryLinksPageDto> {
    return this.getPage('/reconciliation/entries', 'entryId', page, hasItems);
  }

  listTransferReversals(page: PageRequest): Promise<TransferReversalsPageDto> {
    return this.getPage('/reconciliation/transfer-reversals', 'transferId', page, hasItems);
  }

  listReservedHolds(page: PageRequest): Promise<ReservedHoldsPageDto> {
    return this.getPage('/reconciliation/reserved-holds', 'holdId', page, hasItems);
  }

  close(): void {
    this.http.close();
  }

  private async getPage<T>(route: string, idParam: string, page: PageRequest, looksRight: (body: unknown) => boolean): Promise<T> {
    const path = `${route}?${pageQueryString(idParam, page)}`;
    const response = await this.http.request({ method: 'GET', path });
    if (response.status !== 200) throw failure(response, `GET ${route}`);
    if (!looksRight(response.body)) throw new UnexpectedResponseError('ledger', `GET ${route}: the answer is not a page`, response.status);
    return response.body as T;
  }

  private post(path: string, body: unknown): Promise<JsonResponse> {
    return this.http.request({ method: 'POST', path, body });
  }
}

function hasItems(body: unknown): boolean {
  return Array.isArray((body as { items?: unknown } | undefined)?.items);
}

function isRefusalCode(code: string | undefined): code is LedgerRefusalCode {
  return code !== undefined && (LEDGER_REFUSAL_CODES as readonly string[]).includes(code);
}

function failure(response: JsonResponse, what: string): Error {
  const { code, detail, title } = problemOf(response.body);
  const message = `ledger ${what} answered ${response.status}${detail ?? title ? `: ${detail ?? title}` : ''}`;
  if (response.status === 422 && isRefusalCode(code)) return new LedgerRefusalError(code, detail ?? message);
  if (isTransientStatus(response.status)) return new TransientServiceError('ledger', message, response.status);
  if (response.status === 409) return new ConflictError('ledger', message);
  return new UnexpectedResponseError('ledger', message, response.status);
}

function asHold(body: unknown): HoldDto {
  const hold = body as Partial<HoldDto> | undefined;
  if (!hold || typeof hold.holdId !== 'string' || typeof hold.status !== 'string') {
    throw new UnexpectedResponseError('ledger', 'hold answer lacks holdId or status');
  }
  return hold as HoldDto;
}

function asCapturedHold(body: unknown): CapturedHold {
  const captured = body as Partial<CapturedHold> | undefined;
  return { hold: asHold(captured?.hold), entry: asEntry(captured?.entry) };
}

function asEntry(body: unknown): EntryDto {
  const entry = body as Partial<EntryDto> | undefined;
  if (!entry || typeof entry.entryId !== 'string') throw new UnexpectedResponseError('ledger', 'entry answer lacks entryId');
  return entry as EntryDto;
}

/** `cursor=…&limit=…`, or the ids as a repeated parameter. */
export function pageQueryString(idParam: string, page: PageRequest): string {
  const query = new URLSearchParams();
  if ('ids' in page) for (const id of page.ids) query.append(idParam, id);
  else {
    if (page.cursor !== null) query.set('cursor', page.cursor);
    query.set('limit', String(page.limit));
  }
  return query.toString();
}
