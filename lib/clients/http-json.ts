/**
 * A small JSON-over-HTTP client on `node:http` (not global fetch: the
 * OpenTelemetry HTTP instrumentation patches node:http only, so these calls
 * get client spans and carry `traceparent`). One keep-alive agent per client,
 * a deadline on every call, a cap on the response size, and this process's
 * service credential on every request (`Authorization: Bearer`, lib/service-auth).
 * It turns transport trouble into TransientServiceError; mapping statuses is
 * the caller's job.
 */
import http from 'node:http';
import { TransientServiceError, UnexpectedResponseError } from './errors';

export interface JsonHttpClientOptions {
  /** Names the service in errors and logs, e.g. "ledger". */
  service: string;
  /** e.g. http://127.0.0.1:7102 */
  baseUrl: string;
  /** Whole-call deadline: connect, send, and read the whole answer. */
  timeoutMs: number;
  /** The token the service knows this process by (ACCOUNTS_TOKEN, LEDGER_TOKEN, READ_MODEL_TOKEN). */
  token: string;
  maxSockets?: number;
  responseBytesMax?: number;
}

export interface JsonRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
}

const RESPONSE_BYTES_MAX_DEFAULT = 1024 * 1024;

export class JsonHttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(private readonly options: JsonHttpClientOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'http:') throw new Error(`${options.service}: only http:// base URLs are supported, got ${options.baseUrl}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  }

  get service(): string {
    return this.options.service;
  }

  /**
   * Sends once, and once more if the first attempt died on a kept-alive socket
   * the server had just closed (ECONNRESET on a reused socket: the request
   * never reached it). Every internal write carries its own idempotent id, so
   * the second send is safe for POSTs too.
   */
  async request(request: JsonRequest): Promise<JsonResponse> {
    try {
      return await this.send(request);
    } catch (error) {
      if (error instanceof StaleSocketError) return this.send(request);
      throw error;
    }
  }

  private send(request: JsonRequest): Promise<JsonResponse> {
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    // The credential last: no header a caller passes on can replace it.
    const headers: Record<string, string | number> = { accept: 'application/json', ...request.headers, authorization: `Bearer ${this.options.token}` };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise<JsonResponse>((resolve, reject) => {
      const req = http.request(
        { agent: this.agent, hostname: this.base.hostname, port: this.base.port, method: request.method, path: request.path, headers },
        (res) => this.readResponse(request, res).then(resolve, reject),
      );
      const timer = setTimeout(() => {
        req.destroy(new TransientServiceError(this.options.service, `${this.describe(request)}: no answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      req.once('close', () => clearTimeout(timer));
      req.once('error', (error) => {
        clearTimeout(timer);
        if (req.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') return reject(new StaleSocketError());
        reject(error instanceof TransientServiceError ? error : this.transportError(request, error));
      });
      req.end(payload);
    });
  }

  /** Closes idle keep-alive sockets; in-flight calls finish. */
  close(): void {
    this.agent.destroy();
  }

  private readResponse(request: JsonRequest, res: http.IncomingMessage): Promise<JsonResponse> {
    const limit = this.options.responseBytesMax ?? RESPONSE_BYTES_MAX_DEFAULT;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          res.destroy(new UnexpectedResponseError(this.options.service, `${this.describe(request)}: answer larger than ${limit} bytes`, res.statusCode));
          return;
        }
        chunks.push(chunk);
      });
      res.once('error', (error) => reject(error instanceof UnexpectedResponseError ? error : this.transportError(request, error)));
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.length === 0) return resolve({ status, body: undefined });
        try {
          resolve({ status, body: JSON.parse(text) });
        } catch {
          // A 5xx from a proxy may well be HTML; its status decides, not its body.
          if (status >= 500) resolve({ status, body: undefined });
          else reject(new UnexpectedResponseError(this.options.service, `${this.describe(request)}: answer ${status} is not JSON`, status));
        }
      });
    });
  }

  private transportError(request: JsonRequest, error: Error): TransientServiceError {
    const code = (error as NodeJS.ErrnoException).code;
    return new TransientServiceError(this.options.service, `${this.describe(request)}: ${code ?? error.message}`, undefined, { cause: error });
  }

  private describe(request: JsonRequest): string {
    return `${this.options.service} ${request.method} ${request.path}`;
  }
}

class StaleSocketError extends Error {}

/**
 * Statuses worth retrying whatever the route: the server is overloaded,
 * restarting or broken for now. A 401 too: the service refused this process's
 * credential, a configuration fault (a token rotated on one side only) that
 * an operator's fix ends; a saga step waits for it rather than failing a
 * transfer, or its compensation, for good.
 */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408 || status === 401;
}

/** The `code` and `detail` of a problem+json body, when it has them. */
export function problemOf(body: unknown): { code?: string; detail?: string; title?: string } {
  if (body === null || typeof body !== 'object') return {};
  const { code, detail, title } = body as Record<string, unknown>;
  return {
    code: typeof code === 'string' ? code : undefined,
    detail: typeof detail === 'string' ? detail : undefined,
    title: typeof title === 'string' ? title : undefined,
  };
}
