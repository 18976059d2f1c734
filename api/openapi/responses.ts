/**
 * The problem answers (RFC 9457) of the document: one per status with its
 * codes and an example, shared by every operation that can return it.
 */
import { PROBLEM_TYPE_BASE } from '../../lib/errors';
import { EXAMPLE } from './examples';
import { problemResource } from './resources';

const PROBLEM = 'application/problem+json';

interface ProblemExample {
  slug: string;
  title: string;
  code: string;
  detail: string;
  extra?: Record<string, unknown>;
}

/** A response whose body is a problem; `examples` by name. */
export function problemResponse(status: number, description: string, examples: Record<string, ProblemExample>) {
  return {
    description,
    content: {
      [PROBLEM]: {
        schema: problemResource,
        examples: Object.fromEntries(
          Object.entries(examples).map(([name, e]) => [
            name,
            { value: { type: PROBLEM_TYPE_BASE + e.slug, title: e.title, status, detail: e.detail, ...e.extra, code: e.code } },
          ]),
        ),
      },
    },
  };
}

const notJson = { slug: 'malformed-json', title: 'Malformed JSON', code: 'MALFORMED_JSON', detail: 'The body is not valid JSON.' };

/** 400 for a request with a body, listing every invalid field. */
export const invalidRequest = (field: string, message: string) =>
  problemResponse(400, 'Invalid request (code VALIDATION_ERROR, every invalid field in `errors`) or a body that is not JSON (MALFORMED_JSON); nothing was written.', {
    invalid: { slug: 'validation-error', title: 'Invalid request', code: 'VALIDATION_ERROR', detail: 'The request has invalid fields.', extra: { errors: [{ field, message }] } },
    malformed: notJson,
  });

/** 400 for a query that does not validate. */
export const invalidQuery = (field: string, message: string) =>
  problemResponse(400, 'Invalid query parameters (code VALIDATION_ERROR, every invalid one in `errors`).', {
    invalid: { slug: 'validation-error', title: 'Invalid request', code: 'VALIDATION_ERROR', detail: 'The request has invalid fields.', extra: { errors: [{ field, message }] } },
  });

export const notFound = (what: string) =>
  problemResponse(404, `No such ${what} (code NOT_FOUND); an id that is not a UUID names nothing either.`, {
    notFound: { slug: 'not-found', title: 'Not found', code: 'NOT_FOUND', detail: `${what} 00000000-0000-4000-8000-000000000000 does not exist.` },
  });

export const tooLarge = problemResponse(413, 'The body is larger than 64 KiB (code PAYLOAD_TOO_LARGE).', {
  tooLarge: { slug: 'payload-too-large', title: 'Payload too large', code: 'PAYLOAD_TOO_LARGE', detail: 'The body is larger than 64 KiB.' },
});

export const unsupportedMediaType = problemResponse(415, 'A body that is not application/json (code UNSUPPORTED_MEDIA_TYPE).', {
  unsupported: { slug: 'unsupported-media-type', title: 'Unsupported media type', code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/json.' },
});

export const unauthorized = problemResponse(401, 'No API key, or one that is not valid (code UNAUTHORIZED). Only when the gateway runs with API clients (API_CLIENTS_FILE).', {
  missing: { slug: 'unauthorized', title: 'Unauthorized', code: 'UNAUTHORIZED', detail: 'Send an API key: Authorization: Bearer <key>.' },
  invalid: { slug: 'unauthorized', title: 'Unauthorized', code: 'UNAUTHORIZED', detail: 'The API key is not valid.' },
});

export const unavailable = (what: string) =>
  problemResponse(503, `A dependency cannot be reached (code DEPENDENCY_UNAVAILABLE, \`dependency\` names it): ${what}. Retry the same request later; nothing is lost.`, {
    unavailable: {
      slug: 'dependency-unavailable',
      title: 'Service unavailable',
      code: 'DEPENDENCY_UNAVAILABLE',
      detail: 'the accounts service cannot be reached; retry later',
      extra: { dependency: 'accounts' },
    },
  });

export const keyReused = (what: string) =>
  problemResponse(422, `The Idempotency-Key was already used ${what} (code IDEMPOTENCY_KEY_REUSED).`, {
    reused: { slug: 'idempotency-key-reused', title: 'Idempotency key reused', code: 'IDEMPOTENCY_KEY_REUSED', detail: 'This Idempotency-Key was used with a different request body.' },
  });

/** 409 of a transfer action whose status does not allow it. */
export const invalidState = (action: string, allowed: string) =>
  problemResponse(409, `The transfer's status does not allow ${action} (code INVALID_STATE); ${allowed}.`, {
    invalidState: { slug: 'transfer-state-conflict', title: 'Conflict', code: 'INVALID_STATE', detail: `Cannot ${action} transfer 3a1c2e4f-6b7d-4e8f-9a0b-1c2d3e4f5a6b: it is posted.` },
  });

/** The 400, 413 and 415 of every operation that reads a JSON body. */
export const bodyProblems = (field: string, message: string) => ({ 400: invalidRequest(field, message), 413: tooLarge, 415: unsupportedMediaType });

/** The 400 of an action whose body must be empty or `{}`. */
export const emptyBodyProblems = () => bodyProblems('(body)', 'takes an empty JSON object or no body');

/** 429 of every write: the per-principal rate limit (RATE_LIMIT_WRITES_PER_MINUTE), with Retry-After. */
export const rateLimited = {
  ...problemResponse(429, 'Too many writes from this client (code RATE_LIMITED): at most RATE_LIMIT_WRITES_PER_MINUTE (default 6000) a minute per principal and gateway. Nothing was done; retry after `Retry-After` seconds.', {
    limited: { slug: 'rate-limited', title: 'Too many requests', code: 'RATE_LIMITED', detail: 'At most 6000 writes a minute per client; retry after 12 s.' },
  }),
  headers: { 'Retry-After': { description: 'Whole seconds until the limit lets a write through again (1 to 60).', schema: { type: 'string' as const, pattern: '^[1-9][0-9]*$' } } },
};

/** 409 of POST /v1/reconciliations while a run on demand is running. */
export const reconciliationRunning = {
  ...problemResponse(409, 'A reconciliation on demand is running (code RECONCILIATION_RUNNING): one runs at a time. `Location` and `reconciliationId` name the running one; ask again once it has finished. Nothing was started.', {
    running: {
      slug: 'reconciliation-running',
      title: 'Conflict',
      code: 'RECONCILIATION_RUNNING',
      detail: `Reconciliation ${EXAMPLE.reconciliationId} is running; one runs at a time. Follow its Location, and ask again once it has finished.`,
      extra: { reconciliationId: EXAMPLE.reconciliationId },
    },
  }),
  headers: { Location: { description: 'The running reconciliation\'s report.', schema: { type: 'string' as const } } },
};
