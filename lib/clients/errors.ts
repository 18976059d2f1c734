/**
 * What a call to another service can end in, besides a value. The class names
 * are the ApplicationFailure types Temporal sees when an activity throws them,
 * and the workflow's retry policy lists the non-retryable ones by name, so
 * every class sets `name` explicitly (a bundler or minifier must not rename it).
 */
import type { LedgerRefusalCode } from '../contracts/ledger';

/** 5xx, 429, connection refused or reset, timeout: the call may succeed later; retry it. */
export class TransientServiceError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientServiceError';
  }
}

/** The ledger refused on a business rule (422 with a `code`). */
export class LedgerRefusalError extends Error {
  constructor(
    readonly code: LedgerRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerRefusalError';
  }
}

/** 409: the same id was sent before with other content. Retrying cannot help. */
export class ConflictError extends Error {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Any other answer (400, an unexpected 404, a body that is not the contract's): a bug on one side; retrying cannot help. */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}
