/**
 * Service credentials: which callers an internal service accepts, each with a
 * shared secret (`caller=token,...`), and the token a process presents to a
 * service it calls. The formats, the generation and the checks; the HTTP side
 * is middleware.ts, who calls whom is topology.ts.
 */
import { randomBytes } from 'node:crypto';

/** One accepted caller: its name (logged, put on spans) and its secret (never logged). */
export interface CallerToken {
  caller: string;
  token: string;
}

/** A caller's name: lower case, digits and dashes (gateway, worker, read-model, operator). */
const CALLER_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/**
 * RFC 6750's token68 characters, at least 32 of them: long enough that a
 * guess is hopeless, and "changeme" or an empty value is refused at start.
 */
const TOKEN = /^[A-Za-z0-9._~+/-]{32,}=*$/;

/**
 * Parses `caller=token,caller=token`. A caller may appear more than once, with
 * different tokens: both are accepted, which is how a token is rotated without
 * a refused request (add the new one, move the caller over, drop the old one).
 * Throws naming `variable` and the entry's position, never the token.
 */
export function parseCallerTokens(text: string, variable: string): CallerToken[] {
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries.map((entry, index) => {
    const separator = entry.indexOf('=');
    const caller = separator < 0 ? '' : entry.slice(0, separator).trim();
    const token = separator < 0 ? '' : entry.slice(separator + 1).trim();
    if (!CALLER_NAME.test(caller)) {
      throw new Error(`${variable}: entry ${index + 1} is not caller=token with a caller name of a-z, 0-9 and -`);
    }
    if (!TOKEN.test(token)) throw new Error(`${variable}: the token of caller ${caller} must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / -`);
    return { caller, token };
  });
}

/** Checks a token this process presents (ACCOUNTS_TOKEN, ...); an empty one is "not configured". */
export function checkToken(token: string, variable: string): string {
  if (token !== '' && !TOKEN.test(token)) throw new Error(`${variable} must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / -`);
  return token;
}

export function formatCallerTokens(callers: readonly CallerToken[]): string {
  return callers.map(({ caller, token }) => `${caller}=${token}`).join(',');
}

/** 32 random bytes, base64url: 43 characters. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}
