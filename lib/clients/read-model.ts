/**
 * Client of the read model's internal reconciliation route
 * (lib/contracts/read-model.ts). The gateway's balance and statement calls
 * pass through api/upstream.ts instead.
 */
import type { ReadModelBalancePageDto } from '../contracts/read-model';
import { TransientServiceError, UnexpectedResponseError } from './errors';
import { isTransientStatus, JsonHttpClient, problemOf } from './http-json';
import { pageQueryString, type PageRequest } from './ledger';

/** What reconciliation reads from the read model; tests pass a fake of it. */
export interface ReadModelApi {
  listBalances(page: PageRequest): Promise<ReadModelBalancePageDto>;
}

export interface ReadModelClientOptions {
  baseUrl: string;
  /** This process's token for the read-model service (lib/service-auth). */
  token: string;
  timeoutMs?: number;
}

export const READ_MODEL_TIMEOUT_MS_DEFAULT = 5_000;

export class ReadModelClient implements ReadModelApi {
  private readonly http: JsonHttpClient;

  constructor(options: ReadModelClientOptions) {
    this.http = new JsonHttpClient({ service: 'read-model', baseUrl: options.baseUrl, token: options.token, timeoutMs: options.timeoutMs ?? READ_MODEL_TIMEOUT_MS_DEFAULT });
  }

  async listBalances(page: PageRequest): Promise<ReadModelBalancePageDto> {
    const response = await this.http.request({ method: 'GET', path: `/balances?${pageQueryString('accountId', page)}` });
    if (response.status === 200 && Array.isArray((response.body as ReadModelBalancePageDto | undefined)?.items)) return response.body as ReadModelBalancePageDto;
    const { detail, title } = problemOf(response.body);
    const message = `read-model GET /balances answered ${response.status}${detail ?? title ? `: ${detail ?? title}` : ''}`;
    if (isTransientStatus(response.status)) throw new TransientServiceError('read-model', message, response.status);
    throw new UnexpectedResponseError('read-model', message, response.status);
  }

  close(): void {
    this.http.close();
  }
}
