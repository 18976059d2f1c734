/**
 * The statement's opaque page cursor: base64url of the keyset of the last line
 * returned, (posted_at, entry_id, line_no). posted_at travels as PostgreSQL
 * printed it, to the microsecond, so no line is skipped or repeated.
 */
import { parseRfc3339 } from '../time';

export interface StatementCursor {
  /** RFC 3339 UTC with microseconds, e.g. 2026-11-26T21:07:57.123456Z. */
  postedAtKey: string;
  entryId: string;
  lineNo: number;
}

export function encodeCursor(cursor: StatementCursor): string {
  return Buffer.from(JSON.stringify([cursor.postedAtKey, cursor.entryId, cursor.lineNo]), 'utf8').toString('base64url');
}

/** The cursor `text` encodes, or null when it is not one this service made. */
export function decodeCursor(text: string): StatementCursor | null {
  if (text.length === 0 || text.length > 1_024 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) return null;
  const [postedAtKey, entryId, lineNo] = decoded as unknown[];
  if (typeof postedAtKey !== 'string' || parseRfc3339(postedAtKey) === null) return null;
  if (typeof entryId !== 'string' || entryId.length === 0 || entryId.length > 255) return null;
  if (typeof lineNo !== 'number' || !Number.isSafeInteger(lineNo) || lineNo < 1) return null;
  return { postedAtKey, entryId, lineNo };
}
