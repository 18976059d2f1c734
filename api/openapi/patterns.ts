/**
 * Regular expressions for the OpenAPI document that say exactly what the
 * validators accept, so a tool generating requests from the document (Schemathesis)
 * sends valid data that is accepted and invalid data that is refused.
 */
import { AMOUNT_MINOR_MAX } from '../../lib/money';

/**
 * Decimal digits without leading zeros whose value is at most `max` (and at
 * least 1): shorter numbers, then each way of going below `max` at one digit
 * while equal to it before, then `max` itself.
 */
export function positiveAtMostPattern(max: bigint): string {
  const digits = max.toString();
  const alternatives = [`[1-9][0-9]{0,${digits.length - 2}}`];
  for (let i = 0; i < digits.length; i += 1) {
    const lowest = i === 0 ? 1 : 0;
    const below = Number(digits[i]) - 1;
    if (below < lowest) continue;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${lowest}-${below}]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  alternatives.push(digits);
  return alternatives.join('|');
}

const amountAlternatives = positiveAtMostPattern(AMOUNT_MINOR_MAX);
/** An amount: 1 to 9223372036854775807 minor units (lib/money's rule). */
export const AMOUNT_PATTERN = `^(${amountAlternatives})$`;
/** A credit limit: 0 to 9223372036854775807 minor units, or "unlimited". */
export const CREDIT_LIMIT_PATTERN = `^(0|${amountAlternatives}|unlimited)$`;
/** A signed amount in an answer (balances may be negative). */
export const SIGNED_AMOUNT_PATTERN = '^-?(0|[1-9][0-9]*)$';
/**
 * Text PostgreSQL can store (lib/validation.ts): no NUL. A lone UTF-16
 * surrogate is refused too, which a JSON Schema pattern cannot say (the
 * descriptions do).
 */
export const STORABLE_TEXT_PATTERN = '^[^\\x00]*$';
/** An Idempotency-Key: 1 to 255 printable ASCII characters (api/schemas.ts). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x20-\\x7e]{1,255}$';
