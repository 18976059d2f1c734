/**
 * The audit trail (GET /v1/audit; table audit_events, migration 012): every
 * state-changing request (POST, PUT, PATCH, DELETE of /v1) of an
 * authenticated principal is recorded once its response is finished: who,
 * what (method, route, the resource it named or created), when, the status
 * code and the trace id.
 *
 * Why after the response, and best effort: the outcome (the status) is only
 * known then, and by then the change is made and answered; a failed audit
 * write cannot undo it, and refusing writes while the audit table is
 * unreachable would turn an audit outage into a write outage of the whole API
 * (the accounts service and Temporal are not in its transaction, so it could
 * not be all-or-nothing anyway). A failed write is logged at error level with
 * the whole event, so the log keeps it, and counted on
 * audit_write_failures_total.
 *
 * Requests refused before they reach a route's handler by authentication
 * (401) or the rate limit (429) are not recorded: they changed nothing, and a
 * flood of them must not become a flood of writes. Reading the trail needs
 * the `auditor` role (operationId listAuditEvents).
 */
import { trace } from '@opentelemetry/api';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { validationError } from '../lib/errors';
import { asyncHandler } from '../lib/http';
import { InvalidAuditCursorError, type AuditEvent, type AuditRecord, type AuditStore } from '../lib/audit/store';
import { matchedRoute } from '../lib/telemetry/metrics';
import { check, throwIfInvalid, validData } from '../lib/validation';
import { allow } from './authorize';
import { principalOf } from './principal';
import { WRITE_METHODS } from './rate-limit';
import { auditQuery } from './schemas';

export interface AuditDeps {
  audit: AuditStore;
  logger: Logger;
  registry: Registry;
}

/** Mounted on /v1 after authentication and the rate limit. */
export function auditTrail(deps: AuditDeps): RequestHandler {
  const failures = new Counter({ name: 'audit_write_failures_total', help: 'Audit events that could not be written (the request was answered all the same).', registers: [deps.registry] });
  return (req, res, next) => {
    if (!WRITE_METHODS.has(req.method)) return next();
    const [path = req.originalUrl] = req.originalUrl.split('?');
    const traceId = trace.getActiveSpan()?.spanContext().traceId ?? null;
    res.on('finish', () => {
      const route = matchedRoute(req, res);
      const event: AuditEvent = {
        principal: principalOf(res).id,
        method: req.method,
        route,
        path,
        resourceId: resourceIdOf(route, path, res.getHeader('location')),
        status: res.statusCode,
        traceId,
      };
      deps.audit.append(event).catch((error: unknown) => {
        failures.inc();
        deps.logger.error({ err: error, audit_event: event }, 'audit event could not be written');
      });
    });
    next();
  };
}

/** The `:id` of the route ('/v1/transfers/:id/approve': the third segment), else the last segment of the Location the answer gave (a created resource). */
function resourceIdOf(route: string | null, path: string, location: unknown): string | null {
  if (route?.includes('/:id')) return decodeSegment(path.split('/')[3]);
  if (typeof location === 'string') return decodeSegment(location.split('/').pop());
  return null;
}

function decodeSegment(segment: string | undefined): string | null {
  if (!segment) return null;
  try {
    return decodeURIComponent(segment).slice(0, 255);
  } catch {
    return segment.slice(0, 255);
  }
}

export function auditRoutes(deps: Pick<AuditDeps, 'audit'>): Router {
  const router = Router();
  router.get('/audit', allow('listAuditEvents'), asyncHandler(async (req, res) => {
    const query = check(auditQuery, req.query);
    throwIfInvalid(query);
    try {
      const page = await deps.audit.list(validData(query, 'the audit query'));
      res.json({ items: page.items.map(toAuditResource), nextCursor: page.nextCursor });
    } catch (error) {
      if (error instanceof InvalidAuditCursorError) throw validationError([{ field: 'cursor', message: error.message }]);
      throw error;
    }
  }));
  return router;
}

export function toAuditResource(record: AuditRecord) {
  return {
    id: record.id,
    occurredAt: record.occurredAt.toISOString(),
    principal: record.principal,
    method: record.method,
    route: record.route,
    path: record.path,
    resourceId: record.resourceId,
    status: record.status,
    traceId: record.traceId,
  };
}
