/**
 * The audit trail's data access (table audit_events of the transfers
 * database, migration lib/transfers/migrations/012): append one event, list
 * events newest first by id (keyset cursor: a page never repeats or skips a
 * row already committed). Plain objects out.
 */
import type { Pool } from '../pg';

export interface AuditEvent {
  principal: string;
  method: string;
  route: string | null;
  path: string;
  resourceId: string | null;
  status: number;
  traceId: string | null;
}

export interface AuditRecord extends AuditEvent {
  id: string;
  occurredAt: Date;
}

export interface AuditQuery {
  principal?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** 1..200; the caller validates. */
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditRecord[];
  nextCursor: string | null;
}

export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  list(query: AuditQuery): Promise<AuditPage>;
}

/** A malformed `cursor`; the gateway answers 400 naming it. */
export class InvalidAuditCursorError extends Error {
  constructor() {
    super('is not a cursor this API issued');
    this.name = 'InvalidAuditCursorError';
  }
}

const PATH_MAX = 2048;

interface AuditRow {
  id: string;
  occurred_at: Date;
  principal: string;
  method: string;
  route: string | null;
  path: string;
  resource_id: string | null;
  status: number;
  trace_id: string | null;
}

const toRecord = (r: AuditRow): AuditRecord => ({
  id: r.id,
  occurredAt: r.occurred_at,
  principal: r.principal,
  method: r.method,
  route: r.route,
  path: r.path,
  resourceId: r.resource_id,
  status: r.status,
  traceId: r.trace_id,
});

const encodeCursor = (id: string) => Buffer.from(JSON.stringify({ id })).toString('base64url');

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof parsed.id === 'string' && /^[1-9][0-9]{0,18}$/.test(parsed.id)) return parsed.id;
  } catch {
    // falls through to the error below
  }
  throw new InvalidAuditCursorError();
}

export function createAuditStore(pool: Pool): AuditStore {
  return {
    async append(e) {
      await pool.query(
        `INSERT INTO audit_events (principal, method, route, path, resource_id, status, trace_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [e.principal, e.method, e.route, e.path.slice(0, PATH_MAX), e.resourceId, e.status, e.traceId],
      );
    },

    async list(query) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (query.principal !== undefined) conditions.push(`principal = ${param(query.principal)}`);
      if (query.since !== undefined) conditions.push(`occurred_at >= ${param(query.since)}::timestamptz`);
      if (query.until !== undefined) conditions.push(`occurred_at < ${param(query.until)}::timestamptz`);
      if (query.cursor !== undefined) conditions.push(`id < ${param(decodeCursor(query.cursor))}::bigint`);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      const { rows } = await pool.query<AuditRow>(
        `SELECT id::text AS id, occurred_at, principal, method, route, path, resource_id, status, trace_id
           FROM audit_events ${where} ORDER BY id DESC LIMIT ${param(query.limit + 1)}`,
        params,
      );
      const items = rows.slice(0, query.limit).map(toRecord);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null };
    },
  };
}
