/**
 * What every reconciliation check is to the activities: a scan of one bounded
 * page naming its suspects, and a second look at given suspects. With the
 * helpers the checks share (reads by ids in chunks the internal routes take).
 */
import { RECONCILIATION_IDS_MAX } from '../lib/contracts/ledger';
import type { Mismatch } from '../lib/reconciliation/report';

export interface ScanPageResult {
  /** Subjects compared on this page. */
  checked: number;
  /** Ids of the subjects that disagreed on this page. */
  suspects: string[];
  /** Null when the check has seen everything. */
  nextCursor: string | null;
}

export interface Check {
  scan(cursor: string | null, limit: number): Promise<ScanPageResult>;
  /** The mismatches among `ids` as things stand now. */
  evaluate(ids: string[]): Promise<Mismatch[]>;
}

/** Runs `work` on `ids` in chunks the internal routes accept, one after another. */
export async function inChunks<T>(ids: string[], work: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < ids.length; i += RECONCILIATION_IDS_MAX) results.push(...(await work(ids.slice(i, i + RECONCILIATION_IDS_MAX))));
  return results;
}

export function notNull<T>(value: T | null): value is T {
  return value !== null;
}

/** A cursor of a check that walks two lists in turn, each in id order. */
export interface PassCursor<P extends string> {
  pass: P;
  after: string | null;
}

export const encodePassCursor = <P extends string>(cursor: PassCursor<P>): string => JSON.stringify(cursor);
export const decodePassCursor = <P extends string>(text: string | null, first: P): PassCursor<P> =>
  text === null ? { pass: first, after: null } : (JSON.parse(text) as PassCursor<P>);
