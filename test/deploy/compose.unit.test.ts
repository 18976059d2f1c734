/**
 * docker-compose.yml runs the same system as the native stack, and no Docker
 * daemon exists in CI to try it: this test reads the files and fails when they
 * disagree. The native side is the reference: deploy/defaults.env (ports and
 * the configuration variables), deploy/stack's APPS (the application
 * processes and their entries), deploy/prometheus/prometheus.yml (the scrape
 * jobs), deploy/kafka/pom.xml (Kafka's version), deploy/search-attributes.txt
 * (the search attributes), deploy/kafka/server.properties and topics.txt (offsets
 * kept, topics and their settings). The compose side: its services, their ports, commands,
 * environment and health checks, deploy/prometheus/prometheus.compose.yml,
 * Grafana's datasource, the Dockerfile's EXPOSE and the Temporal namespace job.
 *
 * The rule compose follows: every container listens on the port of
 * deploy/defaults.env, the apps read that file as natively and get only their
 * bind addresses, their peers' hosts and their credentials' directory from
 * compose's environment. Only the gateway and the UIs are on the edge network
 * and published; everything else is on the internal network only, and each
 * app mounts only its own service credentials (lib/service-auth/topology.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTopicsFile, type TopicSpec } from '../../deploy/kafka/topics';
import { readSearchAttributes, SEARCH_ATTRIBUTES_FILE } from '../../deploy/search-attributes';
import { loadConfig, parseEnvFile, ROOT_DIR } from '../../lib/config';
import { CREDENTIAL_HOLDERS } from '../../lib/service-auth/topology';
import { firstOf } from '../../lib/assert';
import {
  commandOf,
  dependencies,
  healthcheckPort,
  parsePublishedPort,
  readCompose,
  readDefaults,
  readDockerfileExposedPorts,
  readGrafanaDatasourceUrl,
  readNativeApps,
  readNativeKafkaVersion,
  readScrapeJobs,
  splitAddress,
  type ComposeService,
  type ComposeVolume,
  type ScrapeJob,
} from './support/deploy-files';

/**
 * Native processes compose has no image of, and the compose service that does
 * their job there: the native stack's dashboards page draws grafana/*.json,
 * which compose's Grafana provisions (on the same port).
 */
const PLAYED_BY_INFRASTRUCTURE: Record<string, string> = { dashboards: 'grafana' };

const compose = readCompose();
const defaults = readDefaults();
const nativeApps = readNativeApps();
/** The application processes of deploy/stack that run from the Dockerfile's image in compose. */
const apps = nativeApps.filter((app) => !(app.name in PLAYED_BY_INFRASTRUCTURE));
const services = compose.services;

/**
 * The port variables of deploy/defaults.env (GATEWAY_PORT, PGPORT, ...), less
 * the native real Temporal server's internal listeners (TEMPORAL_SERVER_*_PORT:
 * its services' gRPC and membership ports, TEMPORAL_MODE=server), which no
 * client uses and compose's temporal container keeps at its image's defaults.
 */
const portVariables = Object.keys(defaults).filter((name) => name.endsWith('PORT') && !name.startsWith('TEMPORAL_SERVER_'));
/** Environment variables an app container may set besides deploy/defaults.env's (SERVICE_TOKENS_DIR: lib/config.ts, no default). */
const STANDARD_VARIABLES = ['OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'SERVICE_TOKENS_DIR'];
/** The one-shot job that writes the service credentials, from the apps' image. */
const TOKENS_JOB = 'service-tokens';
/** Where each app finds its credentials, and where the job writes them (one directory per holder below it). */
const TOKENS_MOUNT = '/run/service-tokens';
const TOKENS_STACK_DIR = `${TOKENS_MOUNT}/stack`;
/** What a person uses: on the edge network, published on loopback. Nothing else is either. */
const EDGE_SERVICES = ['gateway', 'temporal-ui', 'grafana', 'prometheus', 'alertmanager', 'jaeger'];
/**
 * Port variables whose container listens elsewhere than the native process,
 * and why; the scrape target must still follow the container's real port.
 */
const CONTAINER_PORT_EXCEPTIONS: Record<string, string> = {
  TEMPORAL_METRICS_PORT: "the Temporal server's matching service has 7235 in its container; its metrics go to PROMETHEUS_ENDPOINT",
};
/** Jaeger v2's OTLP/HTTP receiver port (its built-in configuration). */
const JAEGER_OTLP_HTTP_PORT = 4318;

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([key, value]) => [key, String(value)]));
}

function networksOf(definition: ComposeService): string[] {
  const networks = definition.networks ?? [];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

function defaultPort(variable: string): number {
  if (!(variable in defaults)) throw new Error(`deploy/defaults.env has no ${variable}`);
  return Number(defaults[variable]);
}

/** The app that serves a port variable natively (deploy/stack's APPS; the worker also serves the Temporal SDK's metrics). */
function appOfPort(variable: string): string | undefined {
  if (variable === 'WORKER_TEMPORAL_METRICS_PORT') return 'worker';
  return apps.find((app) => app.portVariable === variable)?.name;
}

/** The Kafka listener named `name` in KAFKA_LISTENERS ("INTERNAL://:9092,...") → its port. */
function kafkaListenerPort(name: string): number | undefined {
  const listener = (environmentOf('kafka').KAFKA_LISTENERS ?? '').split(',').find((l) => l.startsWith(`${name}://`));
  return listener ? Number(listener.split(':').pop()) : undefined;
}

/** The value of a Prometheus-style `--web.listen-address=` flag of the service's command, if it has one. */
function listenAddressFlag(definition: ComposeService): string | undefined {
  const flag = '--web.listen-address=';
  return commandOf(definition).find((arg) => arg.startsWith(flag))?.slice(flag.length);
}

/** Which compose service listens, inside the compose network, for a port variable of deploy/defaults.env, and on which port. */
function listenerOf(variable: string): { service: string; port: number | undefined } {
  const app = appOfPort(variable);
  if (app) return { service: app, port: defaultPort(variable) }; // the app reads defaults.env (no *_PORT override: checked below)
  const playedBy = PLAYED_BY_INFRASTRUCTURE[nativeApps.find((native) => native.portVariable === variable)?.name ?? ''];
  if (playedBy === 'grafana') return { service: 'grafana', port: Number(environmentOf('grafana').GF_SERVER_HTTP_PORT ?? 3000) };
  switch (variable) {
    case 'PGPORT':
      return { service: 'postgres', port: Number(environmentOf('postgres').PGPORT) };
    case 'KAFKA_PORT':
      return { service: 'kafka', port: kafkaListenerPort('INTERNAL') };
    case 'KAFKA_CONTROLLER_PORT':
      return { service: 'kafka', port: kafkaListenerPort('CONTROLLER') };
    case 'TEMPORAL_PORT':
      return { service: 'temporal', port: Number(environmentOf('temporal').FRONTEND_GRPC_PORT) };
    case 'TEMPORAL_METRICS_PORT':
      return { service: 'temporal', port: splitAddress(environmentOf('temporal').PROMETHEUS_ENDPOINT ?? ':').port };
    case 'TEMPORAL_UI_PORT':
      return { service: 'temporal-ui', port: Number(environmentOf('temporal-ui').TEMPORAL_UI_PORT) };
    case 'PROMETHEUS_PORT': {
      const address = listenAddressFlag(service('prometheus'));
      return { service: 'prometheus', port: address !== undefined ? splitAddress(address).port : 9090 };
    }
    case 'ALERTMANAGER_PORT': {
      const address = listenAddressFlag(service('alertmanager'));
      return { service: 'alertmanager', port: address !== undefined ? splitAddress(address).port : 9093 };
    }
    case 'OTLP_HTTP_PORT':
      return { service: 'jaeger', port: JAEGER_OTLP_HTTP_PORT };
    default:
      throw new Error(`no compose listener known for ${variable}: add it to listenerOf in this test`);
  }
}

describe('docker-compose.yml agrees with deploy/defaults.env and the native stack', () => {
  it('runs every application process of deploy/stack from the image of the Dockerfile, with its compiled entry', () => {
    expect(apps.map((app) => app.name)).toEqual(expect.arrayContaining(['accounts', 'gateway', 'ledger', 'read-model', 'worker']));
    const built = Object.entries(services).filter(([, definition]) => definition.build !== undefined).map(([name]) => name);
    expect(built.sort()).toEqual([...apps.map((app) => app.name), TOKENS_JOB].sort());
    const images = new Set(apps.map((app) => service(app.name).image));
    expect(images.size).toBe(1);
    for (const app of apps) {
      expect(existsSync(path.join(ROOT_DIR, app.entry))).toBe(true);
      expect({ app: app.name, build: service(app.name).build }).toEqual({ app: app.name, build: '.' });
      expect({ app: app.name, command: commandOf(service(app.name)) }).toEqual({ app: app.name, command: [`dist/${app.entry.replace(/\.ts$/, '.js')}`] });
    }
  });

  it('gives each app its name, bind addresses its peers reach, and only variables the configuration knows', () => {
    for (const app of apps) {
      const environment = environmentOf(app.name);
      expect({ app: app.name, name: environment.OTEL_SERVICE_NAME, gateway: environment.GATEWAY_BIND_HOST, internal: environment.INTERNAL_BIND_HOST }).toEqual({
        app: app.name,
        name: app.name,
        gateway: '0.0.0.0',
        internal: '0.0.0.0',
      });
      const unknown = Object.keys(environment).filter((key) => !(key in defaults) && !STANDARD_VARIABLES.includes(key));
      expect({ app: app.name, unknown }).toEqual({ app: app.name, unknown: [] });
      // A port changed here would no longer be the one Prometheus, the peers and the health check use.
      const portOverrides = Object.keys(environment).filter((key) => portVariables.includes(key));
      expect({ app: app.name, portOverrides }).toEqual({ app: app.name, portOverrides: [] });
    }
  });

  it('points each app at its peers: every *_HOST is the compose service listening on the matching *_PORT', () => {
    const hostVariables = Object.keys(defaults).filter((name) => name.endsWith('HOST') && !name.endsWith('BIND_HOST'));
    expect(hostVariables).toEqual(expect.arrayContaining(['PGHOST', 'ACCOUNTS_HOST', 'LEDGER_HOST', 'READ_MODEL_HOST', 'KAFKA_HOST', 'TEMPORAL_HOST']));
    for (const app of apps) {
      const environment = environmentOf(app.name);
      for (const hostVariable of hostVariables) {
        const listener = listenerOf(hostVariable.replace(/HOST$/, 'PORT'));
        expect({ app: app.name, [hostVariable]: environment[hostVariable] }).toEqual({ app: app.name, [hostVariable]: listener.service });
        expect({ [hostVariable]: listener.port }).toEqual({ [hostVariable]: defaultPort(hostVariable.replace(/HOST$/, 'PORT')) });
      }
    }
  });

  it('makes lib/config.ts resolve the peers to compose services, as the apps will inside their containers', () => {
    const config = loadConfig({ ...environmentOf('gateway'), PATH: process.env.PATH });
    expect(config.accountsUrl).toBe(`http://accounts:${defaults.ACCOUNTS_PORT}`);
    expect(config.ledgerUrl).toBe(`http://ledger:${defaults.LEDGER_PORT}`);
    expect(config.readModelUrl).toBe(`http://read-model:${defaults.READ_MODEL_PORT}`);
    expect(config.kafkaBrokers).toEqual([`kafka:${defaults.KAFKA_PORT}`]);
    expect(config.temporalAddress).toBe(`temporal:${defaults.TEMPORAL_PORT}`);
    expect(config.prometheusUrl).toBe(`http://prometheus:${defaults.PROMETHEUS_PORT}`);
    expect({ gateway: config.GATEWAY_BIND_HOST, internal: config.INTERNAL_BIND_HOST }).toEqual({ gateway: '0.0.0.0', internal: '0.0.0.0' });
  });

  it('sends every app’s traces to the trace backend’s OTLP/HTTP port', () => {
    const listener = listenerOf('OTLP_HTTP_PORT');
    for (const app of apps) {
      expect({ app: app.name, endpoint: environmentOf(app.name).OTEL_EXPORTER_OTLP_ENDPOINT }).toEqual({
        app: app.name,
        endpoint: `http://${listener.service}:${listener.port}`,
      });
    }
  });

  it('has a container listening on the port of every port variable, the same number as natively', () => {
    for (const variable of portVariables) {
      const listener = listenerOf(variable);
      expect(services[listener.service]).toBeDefined();
      expect(listener.port).toBeGreaterThan(0);
      if (variable in CONTAINER_PORT_EXCEPTIONS) continue;
      expect({ variable, port: listener.port }).toEqual({ variable, port: defaultPort(variable) });
    }
  });

  it('publishes ports on loopback only, each at its deploy/defaults.env number', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const spec of definition.ports ?? []) expect({ service: name, ip: parsePublishedPort(spec).ip }).toEqual({ service: name, ip: '127.0.0.1' });
    }
    for (const variable of portVariables) {
      const listener = listenerOf(variable);
      const published = (service(listener.service).ports ?? []).map(parsePublishedPort);
      const mine = published.filter((port) => port.container === listener.port);
      if (mine.length === 0) continue; // not published (the internal services, the data stores): reached inside the network only
      expect({ variable, host: mine.map((port) => port.host) }).toEqual({ variable, host: [defaultPort(variable)] });
    }
    expect(environmentOf('kafka').KAFKA_ADVERTISED_LISTENERS).toBe(`INTERNAL://kafka:${defaults.KAFKA_PORT}`);
    expect(environmentOf('kafka').KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`1@kafka:${defaults.KAFKA_CONTROLLER_PORT}`);
  });

  it('points the Temporal server and its jobs at PostgreSQL, and the UI and jobs at the Temporal frontend', () => {
    const postgres = listenerOf('PGPORT');
    const temporal = listenerOf('TEMPORAL_PORT');
    for (const name of ['temporal-schema', 'temporal']) {
      const environment = environmentOf(name);
      expect({ service: name, seeds: environment.POSTGRES_SEEDS, port: Number(environment.DB_PORT) }).toEqual({ service: name, seeds: postgres.service, port: postgres.port });
    }
    for (const name of ['temporal-namespace', 'temporal-ui']) {
      expect({ service: name, address: environmentOf(name).TEMPORAL_ADDRESS }).toEqual({ service: name, address: `${temporal.service}:${temporal.port}` });
    }
  });

  it('puts every container on the internal network, and only the gateway and the UIs on the edge network and on published ports', () => {
    expect(compose.networks?.internal?.internal).toBe(true);
    expect(compose.networks?.edge?.internal ?? false).toBe(false);
    for (const [name, definition] of Object.entries(services)) {
      const networks = networksOf(definition);
      const edge = EDGE_SERVICES.includes(name);
      expect({ service: name, networks: [...networks].sort() }).toEqual({ service: name, networks: edge ? ['edge', 'internal'] : ['internal'] });
      expect({ service: name, published: (definition.ports ?? []).length > 0 }).toEqual({ service: name, published: edge });
    }
  });

  it('mounts for each app only its own service credentials, read-only, written first by the service-tokens job', () => {
    const job = service(TOKENS_JOB);
    expect(commandOf(job)).toEqual(['dist/deploy/service-tokens/main.js', TOKENS_STACK_DIR]);
    expect(job.volumes).toEqual([`service-tokens:${TOKENS_MOUNT}`]);
    expect(compose.volumes).toHaveProperty('service-tokens');
    for (const app of apps) {
      const definition = service(app.name);
      const mounts = (definition.volumes ?? []).filter((v): v is ComposeVolume => typeof v !== 'string' && v.source === 'service-tokens');
      expect({ app: app.name, holder: CREDENTIAL_HOLDERS.includes(app.name) }).toEqual({ app: app.name, holder: true });
      expect({ app: app.name, mounts }).toEqual({
        app: app.name,
        mounts: [{ type: 'volume', source: 'service-tokens', target: TOKENS_MOUNT, read_only: true, volume: { subpath: `stack/${app.name}` } }],
      });
      expect({ app: app.name, dir: environmentOf(app.name).SERVICE_TOKENS_DIR }).toEqual({ app: app.name, dir: TOKENS_MOUNT });
      expect({ app: app.name, waits: (definition.depends_on as Record<string, { condition: string }>)[TOKENS_JOB]?.condition }).toEqual({
        app: app.name,
        waits: 'service_completed_successfully',
      });
    }
  });

  it('health-checks every app on its own port', () => {
    for (const app of apps) {
      expect({ app: app.name, port: healthcheckPort(service(app.name)) }).toEqual({ app: app.name, port: defaultPort(app.portVariable) });
    }
  });

  it('depends only on services that exist', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const dependency of dependencies(definition)) expect({ service: name, dependency, exists: dependency in services }).toEqual({ service: name, dependency, exists: true });
    }
  });

  it('EXPOSEs in the Dockerfile exactly the ports the apps listen on', () => {
    const appPorts = [...apps.map((app) => app.portVariable), 'WORKER_TEMPORAL_METRICS_PORT'].map(defaultPort);
    expect(readDockerfileExposedPorts().sort()).toEqual(appPorts.sort());
  });
});

describe('Prometheus in compose scrapes what the native Prometheus scrapes', () => {
  const nativeJobs = readScrapeJobs('deploy/prometheus/prometheus.yml');
  const composeJobs = readScrapeJobs('deploy/prometheus/prometheus.compose.yml');

  it('has the same jobs, identical but for their targets (labels, interval, metric selection)', () => {
    const withoutTargets = (jobs: ScrapeJob[]) =>
      jobs
        .map((job) => ({ ...job, static_configs: job.static_configs.map((c) => ({ ...c, targets: c.targets.length })) }))
        .sort((a, b) => a.job_name.localeCompare(b.job_name));
    expect(withoutTargets(composeJobs)).toEqual(withoutTargets(nativeJobs));
  });

  it('scrapes every app, the worker’s two metrics ports included', () => {
    const scraped = nativeJobs.flatMap((job) => job.static_configs.flatMap((c) => c.targets)).join(' ');
    for (const variable of [...apps.map((app) => app.portVariable), 'WORKER_TEMPORAL_METRICS_PORT']) expect(scraped).toContain(`\${${variable}}`);
  });

  it('addresses each target as the compose service listening on that port variable', () => {
    for (const nativeJob of nativeJobs) {
      const composeJob = composeJobs.find((job) => job.job_name === nativeJob.job_name);
      const expected = nativeJob.static_configs.flatMap((c) => c.targets).map((target) => {
        const variable = /^127\.0\.0\.1:\$\{([A-Z_]+)\}$/.exec(target)?.[1];
        if (!variable) throw new Error(`native target not in the form 127.0.0.1:\${PORT_VARIABLE}: ${target}`);
        const listener = listenerOf(variable);
        return `${listener.service}:${listener.port}`;
      });
      // Prometheus scrapes itself: its own service name or localhost are the same process.
      const actual = composeJob?.static_configs.flatMap((c) => c.targets).map((t) => t.replace(/^localhost:/, 'prometheus:'));
      expect({ job: nativeJob.job_name, targets: actual }).toEqual({ job: nativeJob.job_name, targets: expected });
    }
  });

  it('is what Grafana’s datasource reads', () => {
    const listener = listenerOf('PROMETHEUS_PORT');
    expect(readGrafanaDatasourceUrl()).toBe(`http://${listener.service}:${listener.port}`);
  });
});

describe('compose runs the same versions and Temporal setup as the native stack', () => {
  it('runs the Kafka version deploy/kafka/pom.xml resolves', () => {
    const version = readNativeKafkaVersion();
    expect(service('kafka').image).toBe(`apache/kafka:${version}`);
    expect(service('kafka-topics').image).toBe(`apache/kafka:${version}`);
  });

  it('builds the app image on the Node version of .nvmrc, the same in both stages', () => {
    const nodeVersion = readFileSync(path.join(ROOT_DIR, '.nvmrc'), 'utf8').trim();
    const bases = [...readFileSync(path.join(ROOT_DIR, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+(\S+)/gm)].map(([, image]) => image);
    expect(bases).toHaveLength(2);
    expect(new Set(bases).size).toBe(1);
    expect(bases[0]).toBe(`node:${nodeVersion}-bookworm-slim`);
  });

  it('pins every image to an exact version', () => {
    for (const [name, definition] of Object.entries(services)) {
      expect({ service: name, pinned: /:v?\d+(\.\d+){1,2}(-[\w.-]+)?$/.test(definition.image ?? '') }).toEqual({ service: name, pinned: true });
    }
  });

  it('registers the search attributes of deploy/search-attributes.txt, with their types', () => {
    const job = service('temporal-namespace');
    expect(job.volumes).toContain('./deploy/search-attributes.txt:/scripts/search-attributes.txt:ro');
    expect(environmentOf('temporal-namespace').TEMPORAL_NAMESPACE).toBe(defaults.TEMPORAL_NAMESPACE);
    // Its script, run by sh against a stand-in of the Temporal CLI that prints how it was called (and finds the namespace).
    const stubs = mkdtempSync(path.join(tmpdir(), 'temporal-namespace-'));
    writeFileSync(path.join(stubs, 'temporal'), '#!/bin/sh\necho temporal "$@"\n', { mode: 0o755 });
    const run = spawnSync('sh', [path.join(ROOT_DIR, 'deploy', 'compose', 'temporal-namespace.sh')], {
      encoding: 'utf8',
      env: { PATH: `${stubs}:${process.env.PATH}`, TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'default', SEARCH_ATTRIBUTES_FILE },
    });
    rmSync(stubs, { recursive: true });

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const created = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('temporal operator search-attribute create'))
      .map((line) => / --name (\S+) --type (\S+)$/.exec(line)?.slice(1).join(':'));
    expect(created).toEqual(readSearchAttributes().map(({ name, type }) => `${name}:${type}`));
  });
});

describe('compose keeps Kafka topics and offsets as the native stack does', () => {
  /** deploy/kafka/server.properties as key → value (its ${...} placeholders left as they are). */
  const serverProperties = parseEnvFile(
    readFileSync(path.join(ROOT_DIR, 'deploy', 'kafka', 'server.properties'), 'utf8')
      .split('\n')
      .map((line) => line.replace(/^([a-z0-9.]+)=/, (_, key: string) => `${key.toUpperCase().replace(/\./g, '_')}=`))
      .join('\n'),
  );

  it("keeps a consumer group's offsets as long as deploy/kafka/server.properties says", () => {
    expect(serverProperties.OFFSETS_RETENTION_MINUTES).toBe('525600');
    expect(String(environmentOf('kafka').KAFKA_OFFSETS_RETENTION_MINUTES)).toBe(serverProperties.OFFSETS_RETENTION_MINUTES);
  });

  it('creates each topic of deploy/kafka/topics.txt with its settings and puts them on a topic that already existed', () => {
    const job = service('kafka-topics');
    expect(job.volumes).toContain('./deploy/kafka/topics.txt:/topics.txt:ro');
    // Its script, run by bash against stand-ins of Kafka's scripts that print how they were called.
    const stubs = mkdtempSync(path.join(tmpdir(), 'kafka-topics-'));
    for (const tool of ['kafka-topics.sh', 'kafka-configs.sh']) writeFileSync(path.join(stubs, tool), `#!/bin/sh\necho ${tool} "$@"\n`, { mode: 0o755 });
    const script = firstOf(commandOf(job), 'the kafka-topics command')
      .replace(/\$\$/g, '$')
      .replaceAll('/opt/kafka/bin/', `${stubs}/`)
      .replaceAll(' /topics.txt', ` ${path.join(ROOT_DIR, 'deploy', 'kafka', 'topics.txt')}`);
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    rmSync(stubs, { recursive: true });

    expect(run.stderr).toBe('');
    const specs = parseTopicsFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'kafka', 'topics.txt'), 'utf8'));
    const settings = (spec: TopicSpec) => Object.entries(spec.configs).map(([key, value]) => `${key}=${value}`);
    const expected = specs.flatMap((spec) => [
      ['kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists --topic', spec.name, '--partitions', spec.partitions, '--replication-factor 1', ...settings(spec).map((s) => `--config ${s}`)].join(' '),
      `kafka-configs.sh --bootstrap-server kafka:9092 --alter --entity-type topics --entity-name ${spec.name} --add-config ${settings(spec).join(',')}`,
    ]);
    expect(run.stdout.trim().split('\n')).toEqual(expected);
  });
});
