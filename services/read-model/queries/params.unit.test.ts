/**
 * Proves the query-string rules of the balance and statement routes and the
 * cursor format at their edges: limit 1 and 200 pass, 0 and 201 fail; RFC 3339
 * times that do not exist on the calendar fail; a cursor survives its round
 * trip and anything else is refused. Pure functions, no infrastructure.
 */
import { decodeCursor, encodeCursor } from './cursor';
import { balanceParamsSchema, statementParamsSchema } from './params';
import { parseRfc3339 } from '../time';

describe('statement params', () => {
  it('when no limit is given, then it is 50', () => {
    expect(statementParamsSchema.parse({}).limit).toBe(50);
  });

  it.each([
    ['1', 1],
    ['200', 200],
  ])('when the limit is %s, then it is accepted', (text, limit) => {
    expect(statementParamsSchema.parse({ limit: text }).limit).toBe(limit);
  });

  it.each(['0', '201', '-1', '01', '1e2', ' 5', ''])('when the limit is %j, then it is refused', (text) => {
    expect(statementParamsSchema.safeParse({ limit: text }).success).toBe(false);
  });

  it('when from equals to, then it is accepted (an empty range), and when to is before from it is refused on to', () => {
    expect(statementParamsSchema.safeParse({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).success).toBe(true);
    const refused = statementParamsSchema.safeParse({ from: '2026-01-01T00:00:00.001Z', to: '2026-01-01T00:00:00Z' });
    expect(refused.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['to']);
  });
});

describe('RFC 3339 times', () => {
  it.each([
    ['2026-11-26T21:07:57.123Z', '2026-11-26T21:07:57.123Z'],
    ['2026-11-26T21:07:57Z', '2026-11-26T21:07:57.000Z'],
    ['2026-11-26T22:07:57.5+01:00', '2026-11-26T21:07:57.500Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2026-11-26t21:07:57z', '2026-11-26T21:07:57.000Z'],
  ])('when the time is %s, then it is the instant %s', (text, iso) => {
    expect(parseRfc3339(text)?.toISOString()).toBe(iso);
  });

  it.each(['2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01', '2026-01-01 00:00:00Z', '2026-01-01T00:00:00', 'now'])(
    'when the time is %s, then it is refused',
    (text) => {
      expect(parseRfc3339(text)).toBeNull();
      expect(balanceParamsSchema.safeParse({ asOf: text }).success).toBe(false);
    },
  );
});

describe('statement cursor', () => {
  it('when a cursor is encoded, then it decodes to the same keyset and is URL-safe', () => {
    const keyset = { postedAtKey: '2026-11-26T21:07:57.123456Z', entryId: 'e-1/+?', lineNo: 2 };
    const text = encodeCursor(keyset);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(keyset);
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['a wrong shape', Buffer.from('{"p":1}').toString('base64url')],
    ['a bad time', Buffer.from('["yesterday","e",1]').toString('base64url')],
    ['line number 0', Buffer.from('["2026-01-01T00:00:00Z","e",0]').toString('base64url')],
  ])('when the cursor is %s, then it is refused', (_what, text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});
