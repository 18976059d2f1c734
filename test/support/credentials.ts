/**
 * Service credentials for tests (lib/service-auth). A service a test boots in
 * process accepts one caller, `test`, with a fresh token; the stack's services
 * are called as `operator`, with the tokens deploy/stack up wrote under
 * $DATA_DIR/run/service-tokens/operator (jest's global setup runs it first).
 */
import { loadConfig, type Config } from '../../lib/config';
import { stackCredentialsEnvironment } from '../../lib/service-auth/stack';
import { generateToken, type CallerToken } from '../../lib/service-auth/tokens';

export interface TestCredential {
  /** What the in-process service accepts. */
  callers: CallerToken[];
  token: string;
  /** The header that carries it. */
  headers: { authorization: string };
}

export function testCredential(caller = 'test'): TestCredential {
  const token = generateToken();
  return { callers: [{ caller, token }], token, headers: { authorization: `Bearer ${token}` } };
}

/** The configuration of this run, with the native stack's operator tokens (the environment still wins). */
export function operatorConfig(): Config {
  return loadConfig({ ...stackCredentialsEnvironment('operator'), ...process.env });
}

/** `Authorization` for a direct call to a stack service as the operator. */
export function operatorHeaders(config: Config, service: 'accounts' | 'ledger' | 'read-model'): { authorization: string } {
  const token = { accounts: config.ACCOUNTS_TOKEN, ledger: config.LEDGER_TOKEN, 'read-model': config.READ_MODEL_TOKEN }[service];
  if (!token) throw new Error(`no ${service} token for the operator: has deploy/stack up written $DATA_DIR/run/service-tokens?`);
  return { authorization: `Bearer ${token}` };
}

/** A stack token of the operator's configuration, or a clear error when the stack wrote none. */
export function operatorToken(token: string | undefined): string {
  if (!token) throw new Error('no operator token for the stack: has deploy/stack up written $DATA_DIR/run/service-tokens?');
  return token;
}
