/**
 * How the worker and the gateway reach Temporal: the standard client
 * configuration that the `temporal` CLI and every Temporal SDK read (a TOML
 * profile from TEMPORAL_CONFIG_FILE or the default path, chosen by
 * TEMPORAL_PROFILE, overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*), so the same build
 * connects to the native stack's plaintext dev server, a secured cluster with
 * mTLS, or Temporal Cloud with an API key, without a code change. What the
 * standard configuration leaves unset comes from ours (deploy/defaults.env:
 * TEMPORAL_HOST and TEMPORAL_PORT, TEMPORAL_NAMESPACE), so the native stack
 * sets nothing and keeps working.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Metadata } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { Config } from './config';

/** Options both `Connection` (client) and `NativeConnection` (worker) take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean | null;
  apiKey?: string;
  metadata?: Metadata;
}

export interface TemporalSettings {
  connection: TemporalConnectionOptions;
  namespace: string;
}

export function temporalSettings(config: Pick<Config, 'temporalAddress' | 'TEMPORAL_NAMESPACE'>, env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const loaded = loadClientConnectConfig({ overrideEnvVars: definedStrings(env) });
  const { address, tls, apiKey, metadata } = loaded.connectionOptions;
  const connection: TemporalConnectionOptions = { address: address ?? config.temporalAddress };
  if (tls !== undefined) connection.tls = tls;
  if (apiKey) connection.apiKey = apiKey;
  if (metadata) connection.metadata = metadata;
  return { connection, namespace: loaded.namespace ?? config.TEMPORAL_NAMESPACE };
}

/** For a start line: where and how, never a secret. */
export function describeTemporal(settings: TemporalSettings): Record<string, string> {
  const { connection } = settings;
  const tls = connection.tls === undefined || connection.tls === null || connection.tls === false ? 'off' : hasClientCert(connection.tls) ? 'mTLS' : 'on';
  const auth = connection.apiKey ? 'api key' : tls === 'mTLS' ? 'client certificate' : 'none';
  return { temporal: connection.address, namespace: settings.namespace, temporal_tls: tls, temporal_auth: auth };
}

function hasClientCert(tls: TLSConfig | boolean | null): boolean {
  return typeof tls === 'object' && tls !== null && tls.clientCertPair !== undefined;
}

function definedStrings(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== ''));
}
