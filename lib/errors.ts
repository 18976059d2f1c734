/**
 * One application error type that carries its HTTP status and problem slug;
 * exactly one middleware (lib/http.ts) turns it into application/problem+json
 * (RFC 9457).
 */

export const PROBLEM_TYPE_BASE = 'https://credit-ledger.example/problems/';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  /** Machine-readable business reason, e.g. INSUFFICIENT_FUNDS (internal APIs). */
  code?: string;
  [extension: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: { errors?: FieldError[]; code?: string; [key: string]: unknown } = {},
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }

  toProblem(): Problem {
    return { type: PROBLEM_TYPE_BASE + this.slug, title: this.title, status: this.status, detail: this.detail, ...this.extensions };
  }
}

export const validationError = (errors: FieldError[], detail = 'The request has invalid fields.') =>
  new AppError(400, 'validation-error', 'Invalid request', detail, { errors });

export const notFound = (what: string, id: string) => new AppError(404, 'not-found', 'Not found', `${what} ${id} does not exist.`);

export const conflict = (slug: string, detail: string, code?: string) =>
  new AppError(409, slug, 'Conflict', detail, code ? { code } : {});

/** A business rule refused the request; `code` names it for the caller (an activity maps it to a failure code). */
export const ruleViolation = (code: string, detail: string) =>
  new AppError(422, code.toLowerCase().replace(/_/g, '-'), 'Rule violated', detail, { code });

export const unavailable = (dependency: string, detail: string) =>
  new AppError(503, 'dependency-unavailable', 'Service unavailable', detail, { dependency });
