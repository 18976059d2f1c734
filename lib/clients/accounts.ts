/**
 * Client of the accounts service's internal API (lib/contracts/accounts.ts).
 */
import { LOOKUP_IDS_MAX, type AccountDto } from '../contracts/accounts';
import { ConflictError, TransientServiceError, UnexpectedResponseError } from './errors';
import { isTransientStatus, JsonHttpClient, problemOf, type JsonResponse } from './http-json';

/** What the ledger needs from the accounts service; tests pass a fake of it. */
export interface AccountsApi {
  /** The existing accounts among `accountIds`, by id (a missing id has no entry). */
  getAccounts(accountIds: string[]): Promise<Map<string, AccountDto>>;
}

export interface AccountsClientOptions {
  baseUrl: string;
  /** This process's token for the accounts service (lib/service-auth). */
  token: string;
  timeoutMs?: number;
}

export const ACCOUNTS_TIMEOUT_MS_DEFAULT = 5_000;

export class AccountsClient implements AccountsApi {
  private readonly http: JsonHttpClient;

  constructor(options: AccountsClientOptions) {
    this.http = new JsonHttpClient({ service: 'accounts', baseUrl: options.baseUrl, token: options.token, timeoutMs: options.timeoutMs ?? ACCOUNTS_TIMEOUT_MS_DEFAULT });
  }

  /** In pages of LOOKUP_IDS_MAX ids (a batch of transfers names up to two accounts per item), one after another. */
  async getAccounts(accountIds: string[]): Promise<Map<string, AccountDto>> {
    const found = new Map<string, AccountDto>();
    for (let from = 0; from < accountIds.length; from += LOOKUP_IDS_MAX) {
      for (const [id, account] of await this.lookup(accountIds.slice(from, from + LOOKUP_IDS_MAX))) found.set(id, account);
    }
    return found;
  }

  private async lookup(accountIds: string[]): Promise<Map<string, AccountDto>> {
    const response = await this.http.request({ method: 'POST', path: '/accounts/lookup', body: { ids: accountIds } });
    if (response.status !== 200) throw failure(response, 'POST /accounts/lookup');
    const items = (response.body as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items)) throw new UnexpectedResponseError('accounts', 'lookup answer lacks items', response.status);
    return new Map(items.map((item) => asAccount({ ...response, body: item })).map((account) => [account.id, account]));
  }

  close(): void {
    this.http.close();
  }
}

function failure(response: JsonResponse, what: string): Error {
  const { detail, title } = problemOf(response.body);
  const message = `accounts ${what} answered ${response.status}${detail ?? title ? `: ${detail ?? title}` : ''}`;
  if (isTransientStatus(response.status)) return new TransientServiceError('accounts', message, response.status);
  if (response.status === 409) return new ConflictError('accounts', message);
  return new UnexpectedResponseError('accounts', message, response.status);
}

function asAccount(response: JsonResponse): AccountDto {
  const body = response.body as Partial<AccountDto> | undefined;
  if (!body || typeof body.id !== 'string' || typeof body.currency !== 'string' || (body.status !== 'active' && body.status !== 'frozen')) {
    throw new UnexpectedResponseError('accounts', 'account answer lacks id, currency or status', response.status);
  }
  return body as AccountDto;
}
