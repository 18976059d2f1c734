/**
 * The gateway's calls to the internal services it fronts (accounts, read
 * model), with the gateway's service credential. An answer is passed on as it
 * is (problems included, they share one format); a service that cannot be
 * reached, or that refuses the gateway's credential (a 401 is the gateway's
 * configuration, never the client's), becomes a 503 problem naming it.
 */
import { TransientServiceError } from '../lib/clients';
import { JsonHttpClient } from '../lib/clients/http-json';
import { unavailable } from '../lib/errors';

export interface UpstreamAnswer {
  status: number;
  body: unknown;
}

export class Upstream {
  private readonly http: JsonHttpClient;

  /** `token`: the gateway's token for this service (ACCOUNTS_TOKEN, READ_MODEL_TOKEN). */
  constructor(readonly service: string, baseUrl: string, token: string, timeoutMs = 5_000) {
    this.http = new JsonHttpClient({ service, baseUrl, token, timeoutMs });
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>): Promise<UpstreamAnswer> {
    try {
      const answer = await this.http.request({ method, path, body, headers });
      if (answer.status >= 500) throw unavailable(this.service, `the ${this.service} service answered ${answer.status}; retry later`);
      if (answer.status === 401) throw unavailable(this.service, `the ${this.service} service refused the gateway's service credential; retry later`);
      return answer;
    } catch (error) {
      if (error instanceof TransientServiceError) throw unavailable(this.service, `the ${this.service} service cannot be reached; retry later`);
      throw error;
    }
  }

  close(): void {
    this.http.close();
  }
}
