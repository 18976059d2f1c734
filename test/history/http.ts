/**
 * One HTTP attempt against the gateway, no retry: the history must say what
 * each request did, so a request without an answer (refused, reset, timed
 * out) or with a 5xx is reported as lost and the op becomes indeterminate.
 */

export type Reply = { kind: 'answer'; status: number; body: any } | { kind: 'lost'; detail: string };

export type Http = (method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>;

export function gatewayHttp(baseUrl: string, timeoutMs = 15_000): Http {
  return async (method, path, body, headers = {}) => {
    try {
      const response = await fetch(baseUrl + path, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return { kind: 'answer', status: response.status, body: text ? safeJson(text) : undefined };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { kind: 'lost', detail: cause?.code ?? (error as Error).name ?? (error as Error).message };
    }
  };
}

/** No answer, or a 5xx: whatever the request did is unknown. */
export function indeterminate(reply: Reply): boolean {
  return reply.kind === 'lost' || reply.status >= 500;
}

export function describe(reply: Reply): string {
  if (reply.kind === 'lost') return reply.detail;
  const code = typeof reply.body === 'object' && reply.body ? (reply.body.code ?? '') : '';
  return `${reply.status}${code ? ` ${code}` : ''}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
