/**
 * The API clients the gateway knows: one principal per key, with its roles,
 * from the file named by API_CLIENTS_FILE. The file holds the SHA-256 of each
 * key, never the key: keys are 256 random bits (`npm run api-client -- add`),
 * so a fast hash is enough to make the file useless to whoever reads it.
 *
 *   { "clients": [ { "id": "alice", "roles": ["submitter"], "keySha256": "<64 hex digits>" } ] }
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROOT_DIR } from '../lib/config';
import { DEVELOPMENT_PRINCIPAL, ROLES } from './principal';

export interface ApiClient {
  id: string;
  roles: (typeof ROLES)[number][];
  keySha256: string;
}

/** Ids appear in logs, traces, the transfers table and the Temporal memo: short, plain, and never the development principal's. */
export const CLIENT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const clientSchema = z.object({
  id: z
    .string()
    .regex(CLIENT_ID_PATTERN, 'must be 1 to 64 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit')
    .refine((id) => id !== DEVELOPMENT_PRINCIPAL.id, `"${DEVELOPMENT_PRINCIPAL.id}" is the principal of development mode`),
  roles: z.array(z.enum(ROLES)).min(1, `must name at least one of ${ROLES.join(', ')}`),
  keySha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the key, 64 lower-case hex digits'),
});

export const clientsFileSchema = z
  .object({ clients: z.array(clientSchema) })
  .superRefine(({ clients }, ctx) => {
    const ids = new Set<string>();
    const hashes = new Set<string>();
    clients.forEach((client, index) => {
      if (ids.has(client.id)) ctx.addIssue({ code: 'custom', path: ['clients', index, 'id'], message: `${client.id} appears twice` });
      if (hashes.has(client.keySha256)) ctx.addIssue({ code: 'custom', path: ['clients', index, 'keySha256'], message: 'another client has the same key' });
      ids.add(client.id);
      hashes.add(client.keySha256);
    });
  });
export type ClientsFile = z.infer<typeof clientsFileSchema>;

/** The clients of a file's text; a bad file fails naming the entry and the field. */
export function parseClientsFile(text: string, source: string): ClientsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  const parsed = clientsFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`${source} is not a clients file: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * The gateway's clients: none when `file` is empty (development mode). A file
 * that is named but missing, unreadable, malformed or empty stops the start:
 * a gateway meant to check keys must never fall back to taking none.
 */
export function loadApiClients(file: string): ApiClient[] {
  if (file === '') return [];
  // Relative to the checkout, as the CLI writes it, whatever directory the gateway was started from.
  const { clients } = parseClientsFile(readFileSync(path.resolve(ROOT_DIR, file), 'utf8'), file);
  if (clients.length === 0) throw new Error(`${file} lists no clients; add one (npm run api-client -- add <id> --roles ...), or unset API_CLIENTS_FILE for development mode`);
  return clients;
}

/**
 * API_KEYS (one shared key list, no roles) was replaced by API_CLIENTS_FILE.
 * A gateway started with it set is meant to check keys: it must not start in
 * development mode and take none.
 */
export function refuseLegacyApiKeys(env: NodeJS.ProcessEnv = process.env): void {
  if (env.API_KEYS) {
    throw new Error(
      'API_KEYS is no longer read: keys are per client now, each with its roles. Create them with `npm run api-client -- add <id> --roles ...`, ' +
        'start the gateway with API_CLIENTS_FILE naming that file, and unset API_KEYS (README, "Keys and roles").',
    );
  }
}

export const keySha256 = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new key: 256 random bits, URL-safe, with a prefix that tells what it is when it turns up somewhere. */
export const newApiKey = (): string => `cl_${randomBytes(32).toString('base64url')}`;
