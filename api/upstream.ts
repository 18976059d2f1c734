/**
 * The gateway's calls to the internal services it fronts (accounts, read
 * model). An answer is passed on as it is (problems included, they share one
 * format); a service that cannot be reached becomes a 503 problem naming it.
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

  constructor(readonly service: string, baseUrl: string, timeoutMs = 5_000) {
    this.http = new JsonHttpClient({ service, baseUrl, timeoutMs });
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>): Promise<UpstreamAnswer> {
    try {
      const answer = await this.http.request({ method, path, body, headers });
      if (answer.status >= 500) throw unavailable(this.service, `the ${this.service} service answered ${answer.status}; retry later`);
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
