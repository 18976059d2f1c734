/** What every operation's registration shares: the 401 when keys apply, the empty body of actions. */
import { rateLimited, unauthorized } from './responses';

export interface Common {
  /** `{ 401: … }` when the gateway runs with API clients (API_CLIENTS_FILE), else nothing (no request can get a 401). */
  auth: Record<number, typeof unauthorized>;
  /** `{ 429: … }` of every write (POST, PUT, PATCH, DELETE of /v1): the per-principal rate limit. */
  writes: Record<number, typeof rateLimited>;
}

export const commonFor = (auth: boolean): Common => ({ auth: auth ? { 401: unauthorized } : {}, writes: { 429: rateLimited } });

/** The body of an action (api/schemas.ts `emptyBody`): `{}` or none at all. */
export const emptyActionBody = {
  required: false,
  description: 'An empty JSON object, or no body.',
  content: { 'application/json': { schema: { type: 'object' as const, maxProperties: 0 }, examples: { empty: { value: {} } } } },
};
