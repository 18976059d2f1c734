/**
 * Reads the deployment files that must agree with each other (docker-compose.yml,
 * deploy/defaults.env, the two Prometheus configurations, deploy/stack's list
 * of application processes, the Dockerfile) into plain values, for
 * test/deploy/compose.unit.test.ts. Only parsing here; the rules are in the test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseEnvFile, ROOT_DIR } from '../../../lib/config';
import { firstOf } from '../../../lib/assert';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  /** Short syntax ("src:target:ro") or long (type, source, target, read_only, volume.subpath). */
  volumes?: (string | ComposeVolume)[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: { test?: string[] };
}

export interface ComposeVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
  volume?: { subpath?: string };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

export interface ScrapeJob {
  job_name: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}

/** One application process of the native stack: deploy/stack's APPS entry "name:$PORT_VARIABLE:entry.ts". */
export interface NativeApp {
  name: string;
  portVariable: string;
  entry: string;
}

/** A published port "127.0.0.1:9092:19092". */
export interface PublishedPort {
  ip: string;
  host: number;
  container: number;
}

function read(file: string): string {
  return readFileSync(path.join(ROOT_DIR, file), 'utf8');
}

/** docker-compose.yml, with YAML merge keys (<<: *anchor) resolved as Compose resolves them. */
export function readCompose(): ComposeFile {
  return parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
}

export function readDefaults(): Record<string, string> {
  return parseEnvFile(read('deploy/defaults.env'));
}

export function readScrapeJobs(file: string): ScrapeJob[] {
  return (parse(read(file)) as { scrape_configs: ScrapeJob[] }).scrape_configs;
}

/** The APPS array of deploy/stack: what the native stack starts, on which port variable, from which entry. */
export function readNativeApps(): NativeApp[] {
  const [, block] = /^APPS=\(\n([\s\S]*?)^\)/m.exec(read('deploy/stack')) ?? [];
  if (block === undefined) throw new Error('deploy/stack has no APPS=( ... ) array');
  return [...block.matchAll(/"([a-z-]+):\$([A-Z_]+):([^"]+)"/g)].flatMap(([line, name, portVariable, entry]) => {
    if (name === undefined || portVariable === undefined || entry === undefined) throw new Error(`deploy/stack: APPS entry ${line} is not "name:$PORT_VARIABLE:entry"`);
    return [{ name, portVariable, entry }];
  });
}

/** The Kafka version deploy/kafka/pom.xml resolves for the native broker. */
export function readNativeKafkaVersion(): string {
  const [, version] = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('deploy/kafka/pom.xml')) ?? [];
  if (version === undefined) throw new Error('deploy/kafka/pom.xml has no kafka.version');
  return version;
}

/** The ports the Dockerfile's final stage EXPOSEs. */
export function readDockerfileExposedPorts(): number[] {
  return [...read('Dockerfile').matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap(([, ports = '']) => ports.trim().split(/\s+/).map(Number));
}

export function readGrafanaDatasourceUrl(): string {
  const file = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { url: string }[] };
  return firstOf(file.datasources, 'the datasources of prometheus.yml').url;
}

export function parsePublishedPort(spec: string): PublishedPort {
  const [, ip, host, container] = /^(\d+\.\d+\.\d+\.\d+):(\d+):(\d+)$/.exec(spec) ?? [];
  if (ip === undefined || host === undefined || container === undefined) throw new Error(`published port not in the form IP:HOST:CONTAINER: ${spec}`);
  return { ip, host: Number(host), container: Number(container) };
}

/** "host:port" → its two parts. */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** The port in a healthcheck's probe URL, e.g. fetch('http://127.0.0.1:7101/healthz'). */
export function healthcheckPort(service: ComposeService): number | undefined {
  const text = (service.healthcheck?.test ?? []).join(' ');
  const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function dependencies(service: ComposeService): string[] {
  const dependsOn = service.depends_on ?? [];
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

export function commandOf(service: ComposeService): string[] {
  const command = service.command ?? [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}
