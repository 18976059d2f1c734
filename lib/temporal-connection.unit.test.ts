/**
 * The Temporal connection settings read through the standard client
 * configuration (lib/temporal-connection.ts): nothing set gives the native
 * stack's plaintext address; Temporal Cloud's API-key form and an mTLS TOML
 * profile give TLS, credentials and namespace; the start line names how it
 * connects without a secret. That these settings really open a connection is
 * temporal-connection.test.ts, against the stack's Temporal server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config';
import { describeTemporal, temporalSettings } from './temporal-connection';

const config = loadConfig();
/** A HOME without a Temporal config file, so the developer's own profile never leaks in. */
const home = mkdtempSync(path.join(tmpdir(), 'temporal-home-'));

describe('temporalSettings', () => {
  it('with nothing set, connects in plaintext to the configured host and port', () => {
    const settings = temporalSettings(config, { HOME: home });
    expect(settings).toEqual({ connection: { address: config.temporalAddress }, namespace: config.TEMPORAL_NAMESPACE });
    expect(describeTemporal(settings)).toEqual({ temporal: config.temporalAddress, namespace: config.TEMPORAL_NAMESPACE, temporal_tls: 'off', temporal_auth: 'none' });
  });

  it('reads Temporal Cloud with an API key from the standard variables: TLS on, the key never in the start line', () => {
    const settings = temporalSettings(config, {
      HOME: home,
      TEMPORAL_ADDRESS: 'ledger-prod.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ledger-prod.a1b2c',
      TEMPORAL_API_KEY: 'secret-key-value',
    });
    expect(settings.connection).toEqual({ address: 'ledger-prod.a1b2c.tmprl.cloud:7233', tls: true, apiKey: 'secret-key-value' });
    expect(settings.namespace).toBe('ledger-prod.a1b2c');
    const line = describeTemporal(settings);
    expect(line).toEqual({ temporal: 'ledger-prod.a1b2c.tmprl.cloud:7233', namespace: 'ledger-prod.a1b2c', temporal_tls: 'on', temporal_auth: 'api key' });
    expect(JSON.stringify(line)).not.toContain('secret-key-value');
  });

  it('reads an mTLS profile from a TOML file chosen by TEMPORAL_PROFILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'temporal-mtls-'));
    writeFileSync(path.join(dir, 'client.pem'), 'CLIENT CERT');
    writeFileSync(path.join(dir, 'client.key'), 'CLIENT KEY');
    const file = path.join(dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.secured]',
        'address = "temporal.internal:7233"',
        'namespace = "ledger"',
        '[profile.secured.tls]',
        `client_cert_path = "${path.join(dir, 'client.pem')}"`,
        `client_key_path = "${path.join(dir, 'client.key')}"`,
        'server_name = "temporal.internal"',
      ].join('\n'),
    );
    const settings = temporalSettings(config, { HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'secured' });
    expect(settings.connection.address).toBe('temporal.internal:7233');
    expect(settings.namespace).toBe('ledger');
    const tls = settings.connection.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array }; serverNameOverride?: string };
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(tls.clientCertPair?.crt ?? []).toString()).toBe('CLIENT CERT');
    expect(Buffer.from(tls.clientCertPair?.key ?? []).toString()).toBe('CLIENT KEY');
    expect(describeTemporal(settings)).toMatchObject({ temporal_tls: 'mTLS', temporal_auth: 'client certificate' });
  });

  it('lets TEMPORAL_TLS=false turn TLS off even with an API key', () => {
    const settings = temporalSettings(config, { HOME: home, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' });
    expect(settings.connection.tls).toBe(false);
  });
});
