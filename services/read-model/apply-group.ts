/**
 * One transaction for everything one Kafka fetch brings. kafkajs hands the
 * batches of a fetch (one per partition) to eachBatch all at once; at a few
 * dozen transfers a second each holds an event or two, so a transaction per
 * batch would still be about one per event. The batches submitted within one
 * turn of the event loop are applied together (apply.ts: each partition's
 * events keep their order, duplicates are dropped by eventId, balance rows are
 * locked in id order), and each submitter gets its own events' outcomes back.
 * If the transaction fails, every submitter is told, and falls back on its own
 * (batch-handler.ts).
 */
import { SpanStatusCode, type Link } from '@opentelemetry/api';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import { required } from '../../lib/assert';
import type { ApplyGate } from './apply-gate';
import { applyEvents, type ApplyOutcome, type EventScope, type PositionedEvent } from './apply';
import { tracer } from './event-span';

export interface Submission {
  events: PositionedEvent[];
  /** Runs the projection of the submission's event `index` (in that event's span). */
  scope: EventScope;
  /** The events' spans, linked from the transaction's span. */
  links: Link[];
}

interface Pending extends Submission {
  resolve: (outcomes: ApplyOutcome[]) => void;
  reject: (error: unknown) => void;
}

export interface ApplyGroupDeps {
  pool: Pool;
  logger: Logger;
  gate?: ApplyGate;
}

// A bound on one transaction (a consumer catching up is handed thousands of
// events per fetch): its locks and its redo on failure stay small.
const EVENTS_PER_TRANSACTION_MAX = 1_000;

export class ApplyGroup {
  private pending: Pending[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ApplyGroupDeps) {}

  /** Resolves with one outcome per event once the transaction holding them has committed. */
  submit(submission: Submission): Promise<ApplyOutcome[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...submission, resolve, reject });
      // setImmediate runs once the batches handed over in this turn have all been submitted.
      if (this.pending.length === 1) setImmediate(() => this.schedule());
    });
  }

  private schedule(): void {
    const submissions = this.pending.splice(0);
    this.flushing = this.flushing.then(() => this.flush(submissions));
  }

  private async flush(submissions: Pending[]): Promise<void> {
    for (const group of groupsWithin(submissions, EVENTS_PER_TRANSACTION_MAX)) await this.applyTogether(group);
  }

  private applyTogether(group: Pending[]): Promise<void> {
    const events = group.flatMap((s) => s.events);
    const owners = group.flatMap((submission) => submission.events.map((_, index) => ({ submission, index })));
    const scope: EventScope = (at, work) => {
      const owner = required(owners[at], `the submission of event ${at} of the transaction`);
      return owner.submission.scope(owner.index, work);
    };
    const attributes = { 'messaging.batch.message_count': events.length, 'read_model.batch.partitions': group.length };
    const links = group.flatMap((s) => s.links);
    // A root span: the transaction serves many traces, each event's span links here.
    return tracer.startActiveSpan('read-model batch', { root: true, attributes, links }, async (span) => {
      const startedMs = Date.now();
      try {
        const apply = () => applyEvents(this.deps.pool, events, scope);
        const outcomes = await (this.deps.gate ? this.deps.gate.run(apply) : apply());
        let at = 0;
        for (const submission of group) {
          submission.resolve(outcomes.slice(at, at + submission.events.length));
          at += submission.events.length;
        }
        this.logApplied(group, outcomes, startedMs);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        for (const submission of group) submission.reject(error);
      } finally {
        span.end();
      }
    });
  }

  /** The one INFO line of a transaction (events are logged at DEBUG, report.ts). */
  private logApplied(group: Pending[], outcomes: ApplyOutcome[], startedMs: number): void {
    const applied = outcomes.filter((o) => o.applied).length;
    const partitions = group.flatMap(({ events }) => {
      const [first] = events;
      const last = events.at(-1);
      return first && last ? [`${first.position.topic}/${first.position.partition}:${first.position.offset}-${last.position.offset}`] : [];
    });
    this.deps.logger.info(
      { partitions, events: outcomes.length, applied, duplicates: outcomes.length - applied, duration_ms: Date.now() - startedMs },
      'batch applied',
    );
  }
}

/**
 * The submissions in order, cut into groups of at most `eventsMax` events; a
 * submission larger than that on its own is a group of its own (its events are
 * never split over two transactions).
 */
function groupsWithin<S extends { events: unknown[] }>(submissions: S[], eventsMax: number): S[][] {
  const groups: S[][] = [];
  let group: S[] = [];
  let events = 0;
  for (const submission of submissions) {
    if (group.length > 0 && events + submission.events.length > eventsMax) {
      groups.push(group);
      group = [];
      events = 0;
    }
    group.push(submission);
    events += submission.events.length;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
