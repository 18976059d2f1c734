/**
 * The load's HTTP client. A client of the contract retries a request that got
 * a 503 or no answer at all (refused, reset, timed out) with the SAME
 * Idempotency-Key: that is the contract's retry story, and the drills lean on
 * it while a dependency is down. Every retry is counted by its reason. Any
 * other answer, 4xx and 5xx alike, is final and returned as it is.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Answer {
  status: number;
  body: any;
}

export type RetryReason = '503' | 'network' | 'timeout';

export class RetryCounter {
  readonly byReason: Record<RetryReason, number> = { '503': 0, network: 0, timeout: 0 };
  /** Requests that were still failing when their retry deadline passed. */
  gaveUp = 0;

  get total(): number {
    return this.byReason['503'] + this.byReason.network + this.byReason.timeout;
  }

  summary(): string {
    const parts = Object.entries(this.byReason).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`);
    return parts.length === 0 ? '0' : `${this.total} (${parts.join(', ')})`;
  }
}

export interface RetryingClientOptions {
  baseUrl: string;
  retries: RetryCounter;
  /** One attempt may take this long before it is abandoned and retried. */
  attemptTimeoutMs?: number;
  /** A request keeps retrying until this much time has passed since its first attempt. */
  retryDeadlineMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export type RetryingClient = (method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer>;

export function retryingClient(options: RetryingClientOptions): RetryingClient {
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15_000;
  const retryDeadlineMs = options.retryDeadlineMs ?? 150_000;
  const backoffInitialMs = options.backoffInitialMs ?? 200;
  const backoffMaxMs = options.backoffMaxMs ?? 2_000;

  return async (method, path, body, headers = {}) => {
    const deadline = Date.now() + retryDeadlineMs;
    let backoffMs = backoffInitialMs;
    for (;;) {
      const outcome = await attempt(options.baseUrl, method, path, body, headers, attemptTimeoutMs);
      if (!('retry' in outcome)) return outcome;
      if (Date.now() + backoffMs > deadline) {
        options.retries.gaveUp += 1;
        throw new Error(`${method} ${path} still failing (${outcome.retry}: ${outcome.detail}) after ${retryDeadlineMs} ms of retries`);
      }
      options.retries.byReason[outcome.retry] += 1;
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMaxMs, backoffMs * 2);
    }
  };
}

async function attempt(
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Answer | { retry: RetryReason; detail: string }> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(baseUrl + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { retry: 'timeout', detail: `no answer within ${timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string } }).cause;
    return { retry: 'network', detail: cause?.code ?? (error as Error).message };
  }
  if (response.status === 503) return { retry: '503', detail: text.slice(0, 200) };
  return { status: response.status, body: text ? safeJson(text) : undefined };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
