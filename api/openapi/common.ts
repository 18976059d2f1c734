/** What every operation's registration shares: the 401 when keys apply, the empty body of actions. */
import { unauthorized } from './responses';

export interface Common {
  /** `{ 401: … }` when the gateway runs with API clients (API_CLIENTS_FILE), else nothing (no request can get a 401). */
  auth: Record<number, typeof unauthorized>;
}

export const commonFor = (auth: boolean): Common => ({ auth: auth ? { 401: unauthorized } : {} });

/** The body of an action (api/schemas.ts `emptyBody`): `{}` or none at all. */
export const emptyActionBody = {
  required: false,
  description: 'An empty JSON object, or no body.',
  content: { 'application/json': { schema: { type: 'object' as const, maxProperties: 0 }, examples: { empty: { value: {} } } } },
};
