/**
 * The Idempotency-Key of an account creation as the gateway passes it to the
 * accounts service. Keys are each client's own namespace (docs/api-contract.md,
 * "Idempotency"), but the accounts service knows no principals: it stores one
 * key per account creation, unique as a whole. So the gateway sends a key
 * derived from the principal and the client's key, a digest that is the same
 * for the same pair and never the same for two principals: a client's key
 * then replays only its own account, and another client's key is simply a new
 * key. (The service's error messages still say `Idempotency-Key`, which is
 * the header the client sent.)
 */
import { createHash } from 'node:crypto';

export function accountIdempotencyKey(principal: string, key: string): string {
  // JSON keeps the pair unambiguous whatever characters either holds; 45 printable ASCII characters, within the service's 255.
  return `p1-${createHash('sha256').update(JSON.stringify([principal, key])).digest('base64url')}`;
}
