/**
 * `npm run api-client -- <command>`: keeps the gateway's API clients file
 * (API_CLIENTS_FILE, api/clients.ts).
 *
 *   add <id> --roles <role,...>   creates a client with a new random key, prints the key once, stores only its SHA-256
 *   list                          the clients and their roles
 *   remove <id>                   deletes a client (its key stops working when the gateway restarts)
 *
 * The file is API_CLIENTS_FILE, or `--file <path>`, or api-clients.json in the
 * checkout (git-ignored). The gateway reads it at start: restart it after a
 * change (`deploy/stack stop gateway && deploy/stack up`).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../lib/config';
import { CLIENT_ID_PATTERN, keySha256, newApiKey, parseClientsFile, type ApiClient, type ClientsFile } from './clients';
import { DEVELOPMENT_PRINCIPAL, ROLES, type Role } from './principal';

const USAGE = `usage: npm run api-client -- add <id> --roles <${ROLES.join('|')}>[,...] [--file <path>]
       npm run api-client -- list [--file <path>]
       npm run api-client -- remove <id> [--file <path>]`;

interface Args {
  command: string;
  id?: string;
  roles?: string;
  file: string;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const option = /^--(?<name>roles|file)(?:=(?<value>.*))?$/.exec(arg)?.groups;
    if (!option?.name) positional.push(arg);
    else options[option.name] = option.value ?? argv[++i] ?? fail(`--${option.name} needs a value`);
  }
  const file = path.resolve(ROOT_DIR, options.file ?? (process.env.API_CLIENTS_FILE || 'api-clients.json'));
  return { command: positional[0] ?? '', id: positional[1], roles: options.roles, file };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function read(file: string): ClientsFile {
  return existsSync(file) ? parseClientsFile(readFileSync(file, 'utf8'), file) : { clients: [] };
}

/** Whole or not at all (a new file renamed over the old), readable by its owner only. */
function write(file: string, contents: ClientsFile): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

function parseRoles(text: string | undefined): Role[] {
  if (!text) fail('add needs --roles');
  const roles = [...new Set(text.split(',').map((role) => role.trim()).filter(Boolean))];
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (roles.length === 0 || unknown.length > 0) fail(`unknown role ${unknown.join(', ') || '(none)'}; the roles are ${ROLES.join(', ')}`);
  return roles as Role[];
}

function add({ id, roles: rolesText, file }: Args): void {
  if (!id || !CLIENT_ID_PATTERN.test(id) || id === DEVELOPMENT_PRINCIPAL.id) {
    fail(`an id is 1 to 64 characters (lower-case letters, digits, ".", "_", "-"), and not "${DEVELOPMENT_PRINCIPAL.id}"`);
  }
  const roles = parseRoles(rolesText);
  const contents = read(file);
  if (contents.clients.some((client) => client.id === id)) fail(`${id} exists already in ${file}; remove it first to give it a new key`);
  const key = newApiKey();
  const client: ApiClient = { id, roles, keySha256: keySha256(key) };
  write(file, { clients: [...contents.clients, client] });
  process.stdout.write(
    `${id} (${roles.join(', ')}) added to ${file}\n` +
      `its key, shown this once (only its SHA-256 is stored):\n\n  ${key}\n\n` +
      `clients send it as: Authorization: Bearer ${key}\n` +
      `start the gateway with API_CLIENTS_FILE=${file} (restart it to pick up a change)\n`,
  );
}

function list({ file }: Args): void {
  const { clients } = read(file);
  if (clients.length === 0) process.stdout.write(`no clients in ${file}\n`);
  for (const client of clients) process.stdout.write(`${client.id}\t${client.roles.join(',')}\n`);
}

function remove({ id, file }: Args): void {
  const contents = read(file);
  if (!id || !contents.clients.some((client) => client.id === id)) fail(`no client ${id ?? '(none named)'} in ${file}`);
  write(file, { clients: contents.clients.filter((client) => client.id !== id) });
  process.stdout.write(`${id} removed from ${file}; restart the gateway for it to take effect\n`);
}

const COMMANDS: Record<string, (args: Args) => void> = { add, list, remove };

const args = parseArgs(process.argv.slice(2));
const command = COMMANDS[args.command] ?? fail(args.command ? `unknown command ${args.command}` : 'name a command');
try {
  command(args);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
