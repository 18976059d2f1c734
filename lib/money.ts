/**
 * Money is an integer count of a currency's minor units, a `bigint` from the
 * JSON string to the SQL column. Never a JS number, never a float. The one
 * parser of amounts (the gateway, the services, the configuration and the
 * transfer workflow use it), so pure code with no imports: the workflow bundle
 * includes it.
 */

/** The largest amount the API accepts: the signed 64-bit maximum. */
export const AMOUNT_MINOR_MAX = 9223372036854775807n;

/** ISO 4217 codes we support, with their minor-unit exponent. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  JPY: 0,
  KRW: 0,
  BHD: 3,
  KWD: 3,
});

export function isSupportedCurrency(code: unknown): code is string {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, code);
}

// ASCII digits only: \d would also accept other scripts' digits in some engines' modes.
const POSITIVE_DIGITS = /^[1-9][0-9]*$/;
const NON_NEGATIVE_DIGITS = /^(0|[1-9][0-9]*)$/;

export type AmountParseResult = { ok: true; amountMinor: bigint } | { ok: false; reason: string };

/**
 * Parses the API's amount format: a JSON string of decimal digits, no sign, no
 * leading zeros, no spaces, at most the signed 64-bit maximum. `allowZero` is
 * for limits (a credit limit of "0"), never for transfer amounts.
 */
export function parseAmountMinor(value: unknown, { allowZero = false } = {}): AmountParseResult {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a string of decimal digits, e.g. "1250"' };
  const pattern = allowZero ? NON_NEGATIVE_DIGITS : POSITIVE_DIGITS;
  if (!pattern.test(value)) {
    return {
      ok: false,
      reason: value === '0' ? 'must be greater than zero' : 'must be decimal digits only: no sign, no leading zeros, no spaces, no decimal point',
    };
  }
  if (value.length > 19 || BigInt(value) > AMOUNT_MINOR_MAX) {
    return { ok: false, reason: `must be at most ${AMOUNT_MINOR_MAX}` };
  }
  return { ok: true, amountMinor: BigInt(value) };
}

/**
 * The amount of a value validated already (a request body past its schema, a
 * workflow input the gateway built): the same rule as parseAmountMinor, and a
 * RangeError naming `field` when the value breaks it, a programmer error.
 */
export function amountMinorOf(value: unknown, field: string, { allowZero = false } = {}): bigint {
  const parsed = parseAmountMinor(value, { allowZero });
  if (!parsed.ok) throw new RangeError(`${field} ${parsed.reason}: ${JSON.stringify(value)}`);
  return parsed.amountMinor;
}

/** The API's string form of a signed amount: "1050", "-250". */
export function formatAmountMinor(amountMinor: bigint): string {
  return amountMinor.toString();
}

/** Reads a bigint/numeric column, which node-postgres returns as a string. */
export function fromDbAmount(value: string | number | bigint | null): bigint {
  if (value === null) throw new Error('amount column is null');
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`unsafe integer amount ${value}`);
  return BigInt(value);
}
