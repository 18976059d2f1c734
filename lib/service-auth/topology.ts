/**
 * Who may call which internal service, and the credentials that follow from
 * it: every (caller, service) pair has a token of its own, so a process holds
 * only the tokens of the calls it makes and the list of the callers it
 * accepts. A leaked list lets nobody call another service.
 *
 * The native stack writes them as one directory per process (writeCredentialDirectory,
 * run by deploy/stack up through deploy/service-tokens), docker-compose.yml the same into a
 * volume; a process reads its directory through SERVICE_TOKENS_DIR (lib/config.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatCallerTokens, generateToken, type CallerToken } from './tokens';

export type InternalService = 'accounts' | 'ledger' | 'read-model';

export interface InternalServiceSpec {
  /** The callers this service accepts, and the token each process sends it. */
  callersVariable: 'ACCOUNTS_CALLER_TOKENS' | 'LEDGER_CALLER_TOKENS' | 'READ_MODEL_CALLER_TOKENS';
  tokenVariable: 'ACCOUNTS_TOKEN' | 'LEDGER_TOKEN' | 'READ_MODEL_TOKEN';
  callers: readonly string[];
}

/**
 * `operator` is a person and their tools: tests, benchmarks, drills. The
 * read model calls the ledger only from its rebuild (npm run readmodel:rebuild),
 * which compares its balances with the ledger's.
 */
export const INTERNAL_SERVICES: Readonly<Record<InternalService, InternalServiceSpec>> = {
  accounts: { callersVariable: 'ACCOUNTS_CALLER_TOKENS', tokenVariable: 'ACCOUNTS_TOKEN', callers: ['gateway', 'worker', 'ledger', 'operator'] },
  ledger: { callersVariable: 'LEDGER_CALLER_TOKENS', tokenVariable: 'LEDGER_TOKEN', callers: ['gateway', 'worker', 'read-model', 'operator'] },
  'read-model': { callersVariable: 'READ_MODEL_CALLER_TOKENS', tokenVariable: 'READ_MODEL_TOKEN', callers: ['gateway', 'worker', 'operator'] },
};

/** Every credential variable a process may be given (lib/config.ts reads each from SERVICE_TOKENS_DIR too). */
export const CREDENTIAL_VARIABLES = Object.values(INTERNAL_SERVICES).flatMap((spec) => [spec.callersVariable, spec.tokenVariable]);

/** Every process that holds a credential: the services and their callers. */
export const CREDENTIAL_HOLDERS: readonly string[] = [
  ...new Set([...Object.keys(INTERNAL_SERVICES), ...Object.values(INTERNAL_SERVICES).flatMap((spec) => spec.callers)]),
].sort();

/** service → the tokens of its callers. */
export type ServiceTokens = Record<InternalService, CallerToken[]>;

export function generateServiceTokens(): ServiceTokens {
  const tokens = {} as ServiceTokens;
  for (const [service, spec] of Object.entries(INTERNAL_SERVICES) as [InternalService, InternalServiceSpec][]) {
    tokens[service] = spec.callers.map((caller) => ({ caller, token: generateToken() }));
  }
  return tokens;
}

/** What `holder` is given: its callers' tokens if it is a service, and its own token for each service it calls. */
export function credentialEnvironment(tokens: ServiceTokens, holder: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [service, spec] of Object.entries(INTERNAL_SERVICES) as [InternalService, InternalServiceSpec][]) {
    if (service === holder) environment[spec.callersVariable] = formatCallerTokens(tokens[service]);
    const own = tokens[service].find((entry) => entry.caller === holder);
    if (own) environment[spec.tokenVariable] = own.token;
  }
  return environment;
}

const COMPLETE_MARK = '.complete';

/**
 * Makes `dir`/<holder>/<VARIABLE> (directories 0700, files 0600) for every
 * holder, with fresh tokens, unless a complete set is there already: the
 * running processes hold those. A set left half-written is replaced.
 * Returns whether it wrote a new set.
 */
export function writeCredentialDirectory(dir: string): boolean {
  if (existsSync(path.join(dir, COMPLETE_MARK))) return false;
  const staging = `${dir}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  const tokens = generateServiceTokens();
  for (const holder of CREDENTIAL_HOLDERS) {
    mkdirSync(path.join(staging, holder), { mode: 0o700 });
    for (const [variable, value] of Object.entries(credentialEnvironment(tokens, holder))) {
      writeFileSync(path.join(staging, holder, variable), `${value}\n`, { mode: 0o600 });
    }
  }
  writeFileSync(path.join(staging, COMPLETE_MARK), '', { mode: 0o600 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return true;
}

/** The credential variables found in `dir` (a holder's directory), each file's content without its line end. */
export function readCredentialDirectory(dir: string): Record<string, string> {
  const values: Record<string, string> = {};
  const present = new Set(existsSync(dir) ? readdirSync(dir) : []);
  for (const variable of CREDENTIAL_VARIABLES) {
    if (present.has(variable)) values[variable] = readFileSync(path.join(dir, variable), 'utf8').trim();
  }
  return values;
}
