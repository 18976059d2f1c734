/**
 * The HTTP shell every service shares, so they all behave alike: JSON bodies
 * only (415 otherwise, 413 past the limit), /healthz, /readyz, /metrics,
 * X-Trace-Id on every response, one error middleware that writes
 * application/problem+json, and a graceful stop on SIGTERM. An internal
 * service (accounts, ledger, read model) also refuses every other request
 * without a known caller's credential (lib/service-auth).
 */
import type { Server } from 'node:http';
import { trace } from '@opentelemetry/api';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { metricsText } from './cluster/metrics';
import { AppError, PROBLEM_TYPE_BASE, type Problem } from './errors';
import { requireServiceCaller } from './service-auth/middleware';
import type { CallerToken } from './service-auth/tokens';
import { required } from './assert';
import { httpMetricsMiddleware, rememberRoute } from './telemetry/metrics';

export type ReadinessChecks = Record<string, () => Promise<unknown>>;

export interface ServiceAppOptions {
  logger: Logger;
  registry: Registry;
  /** Each dependency's check; /readyz answers 503 naming the first that fails. */
  readiness: ReadinessChecks;
  bodyLimitBytes?: number;
  /** Larger limits for the routes under some paths (a batch of transfers), parsed before the general limit applies. */
  bodyLimitsByPath?: ReadonlyArray<{ path: string; bytes: number }>;
  /** An internal service: its name and the callers it accepts; every route but the probes and /metrics wants one's token. */
  internal?: { service: string; callers: readonly CallerToken[] };
}

const READINESS_TIMEOUT_MS = 2_000;

/** An Express app with the shared front half; add routes, then call `finishServiceApp`. */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(traceIdHeader);
  app.use(httpMetricsMiddleware(options.registry));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', asyncHandler(async (_req, res) => readyz(options.readiness, res)));
  app.get('/metrics', asyncHandler(async (_req, res) => {
    res.type(options.registry.contentType).send(await metricsText(options.registry));
  }));
  if (options.internal) app.use(requireServiceCaller({ ...options.internal, logger: options.logger, registry: options.registry }));
  app.use(requireJsonBody);
  // express.json parses a body once: the general limit below skips a body a path's own limit parsed.
  for (const { path, bytes } of options.bodyLimitsByPath ?? []) app.use(path, express.json({ limit: bytes, type: () => true, strict: false }));
  app.use(express.json({ limit: options.bodyLimitBytes ?? 64 * 1024, type: () => true, strict: false }));
  return app;
}

/** The back half: a 404 problem for unknown routes, then the one error middleware. */
export function finishServiceApp(app: Express, logger: Logger): void {
  app.use((req, _res, next) => next(new AppError(404, 'not-found', 'Not found', `No route for ${req.method} ${req.path}.`)));
  app.use(problemMiddleware(logger));
}

/** Express 4 does not catch rejected promises: route them to the error middleware. */
export function asyncHandler(handler: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    rememberRoute(req, res);
    handler(req, res).catch(next);
  };
}

/**
 * A parameter of the route's path. Express sets every parameter the path
 * names, so a missing one is a route written wrong, not a bad request.
 */
export function pathParam(req: Request, name: string): string {
  return required(req.params[name], `path parameter :${name} of ${req.method} ${req.path}`);
}

/** Every problem carries a machine-readable `code` (the contract): a problem without its own gets its slug's, upper snake case. */
export function sendProblem(res: Response, problem: Problem): void {
  const code = problem.code ?? problem.type.slice(problem.type.lastIndexOf('/') + 1).toUpperCase().replace(/-/g, '_');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify({ ...problem, code }));
}

function traceIdHeader(_req: Request, res: Response, next: NextFunction): void {
  const traceId = trace.getActiveSpan()?.spanContext().traceId;
  if (traceId) res.setHeader('X-Trace-Id', traceId);
  next();
}

/** A body of another media type is refused before it is read. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || req.is('application/json') || req.is('application/*+json')) return next();
  next(new AppError(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as application/json.'));
}

async function readyz(checks: ReadinessChecks, res: Response): Promise<void> {
  for (const [name, check] of Object.entries(checks)) {
    try {
      await withTimeout(check(), READINESS_TIMEOUT_MS);
    } catch (error) {
      sendProblem(res, {
        type: PROBLEM_TYPE_BASE + 'dependency-unavailable',
        title: 'Not ready',
        status: 503,
        detail: `${name} is not reachable: ${(error as Error).message}`,
        dependency: name,
      });
      return;
    }
  }
  res.json({ status: 'ready', checks: Object.keys(checks) });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  /** The limit a body went over, in bytes (body-parser's entity.too.large). */
  limit?: number;
}

function problemMiddleware(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const problem = toProblem(error as BodyParserError);
    // The authenticated caller of an internal service (lib/service-auth), absent on the gateway.
    const caller = typeof res.locals.caller === 'string' ? res.locals.caller : undefined;
    if (problem.status === 503) logger.warn({ err: error, path: req.path, caller }, 'dependency unavailable');
    else if (problem.status >= 500) logger.error({ err: error, method: req.method, path: req.path, caller }, 'request failed');
    sendProblem(res, problem);
  };
}

function toProblem(error: BodyParserError): Problem {
  if (error instanceof AppError) return error.toProblem();
  if (error.type === 'entity.too.large') {
    const limitKib = Math.round((error.limit ?? 64 * 1024) / 1024);
    return { type: PROBLEM_TYPE_BASE + 'payload-too-large', title: 'Payload too large', status: 413, detail: `The body is larger than ${limitKib} KiB.` };
  }
  if (error.type === 'entity.parse.failed') {
    return { type: PROBLEM_TYPE_BASE + 'malformed-json', title: 'Malformed JSON', status: 400, detail: 'The body is not valid JSON.' };
  }
  if (isDatabaseUnavailable(error)) {
    return { type: PROBLEM_TYPE_BASE + 'dependency-unavailable', title: 'Service unavailable', status: 503, detail: 'The database is unavailable or saturated; retry later.', dependency: 'postgres' };
  }
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return { type: PROBLEM_TYPE_BASE + 'bad-request', title: 'Bad request', status: error.status, detail: error.message };
  }
  return { type: PROBLEM_TYPE_BASE + 'internal-error', title: 'Internal error', status: 500, detail: 'An unexpected error occurred; it has been logged.' };
}

/** pg pool exhaustion, a refused or dropped connection, a server shutting down: retryable, so 503. */
function isDatabaseUnavailable(error: Error & { code?: string }): boolean {
  return (
    error.message === 'timeout exceeded when trying to connect' ||
    error.message === 'Connection terminated unexpectedly' ||
    ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P02', '57P03', '53300'].includes(error.code ?? '')
  );
}

/**
 * How long an idle keep-alive connection stays open (also sent to clients as
 * `Keep-Alive: timeout=65`; undici closes its side a second earlier). A request
 * sent on a socket the server is closing at that moment fails with "other side
 * closed". With Node's default of 5 s, pauses of about 5 s (a client busy for a
 * moment, the gap between two test files) hit that window on a busy machine;
 * 65 s also outlasts load balancers' usual 60 s idle timeout, so they close first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Listens on host:port; resolves once the socket is bound (port 0 picks a free one). */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // Must exceed keepAliveTimeout, or a slow next request on a kept socket is cut by the headers timer.
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
    server.once('error', reject);
  });
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits. In-flight requests finish
 * because `stop` closes the server first; a stop that hangs is cut at `graceMs`.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, graceMs = 15_000): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop()
      .then(() => process.exit(0))
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}

/** Closes an HTTP server: no new connections, in-flight requests complete. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
