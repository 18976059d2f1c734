/**
 * What a run of a whole-stack bench (transfers-e2e.ts, transfer-batches.ts)
 * sets up and tears down: the connections (the transfers database, Temporal),
 * the CPU accounting, the host's description; then the bench's trace
 * collector, the ceiling, the app processes and the funded accounts, in that
 * order; at the end the results file.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client } from 'pg';
import { databaseUrl } from '../../lib/config';
import { workerTuning } from '../../workers/tuning';
import { agent, ROOT_DIR, uptimeLine, type ServiceGroup } from '../support';
import { refuseRunningApps, startApps, startSink } from './app-stack';
import { runCeiling, type CeilingResult } from './ceiling';
import { findTemporalMetricsPort, type ProbeContext } from './probe';
import type { Host } from './report';
import { checkSchedule, scheduleTaskQueue } from './schedule';
import { run, settings } from './settings';
import { StackCpu } from './stack-cpu';
import { openBook, type Harness } from './transfers';

export interface Session {
  host: Host;
  watch: Client;
  connection: Connection;
  temporal: TemporalClient;
  ctx: ProbeContext;
  runId: string;
  /** Where the reconciliation Schedule pointed before the bench's worker started. */
  scheduleQueue: string | null;
}

/** Refuses to run beside the stack's own app processes; connects; finds the infrastructure's processes for the CPU figures. */
export async function openSession(services: ServiceGroup, watchName: string): Promise<Session> {
  const { config } = settings;
  await refuseRunningApps();
  const host: Host = { startedAt: new Date().toISOString(), nproc: os.availableParallelism(), node: process.version, uptimeBefore: uptimeLine(), temporalMetricsPort: 0, missingInfra: [], workerTuning: workerTuning() };
  const watch = new Client({ connectionString: databaseUrl(config, 'transfers'), application_name: watchName });
  await watch.connect();
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new TemporalClient({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const cpu = new StackCpu(services, config);
  host.missingInfra = cpu.missing;
  host.temporalMetricsPort = await findTemporalMetricsPort(config);
  return { host, watch, connection, temporal, ctx: { cpu, temporalMetricsPort: host.temporalMetricsPort }, runId: randomUUID().slice(0, 8), scheduleQueue: await scheduleTaskQueue(temporal) };
}

/** The collector, the ceiling, then the app processes (tracing on) and the funded accounts; null when a signal stopped the run. */
export async function startRun(services: ServiceGroup, s: Session): Promise<{ ceiling: CeilingResult; h: Harness } | null> {
  await startSink(services);
  const ceiling = await runCeiling({ services, temporal: s.temporal, cpu: s.ctx.cpu, temporalMetricsPort: s.host.temporalMetricsPort, runId: s.runId, isStopping: () => run.stopping });
  if (run.stopping) return null;
  await startApps(services, true);
  await checkSchedule(s.temporal, s.scheduleQueue);
  console.log(`opening and funding ${settings.accountCount + 1} accounts through the gateway (run ${s.runId})`);
  const h: Harness = { config: settings.config, watch: s.watch, temporal: s.temporal, runId: s.runId, book: { fundingId: '', ids: [] } };
  h.book = await openBook(h);
  console.log(`scenarios (Temporal dev server metrics ${s.host.temporalMetricsPort ? `on :${s.host.temporalMetricsPort}` : 'not found'})`);
  return { ceiling, h };
}

/** Stamps the host's end (load, run time) and writes `results` with the settings; the file's path from the checkout. */
export function writeResults(file: string, host: Host, results: object): string {
  host.uptimeAfter = uptimeLine();
  host.runS = Math.round((Date.now() - Date.parse(host.startedAt)) / 1000);
  mkdirSync(path.dirname(file), { recursive: true });
  const { config: _config, ...shownSettings } = settings;
  writeFileSync(file, JSON.stringify({ settings: shownSettings, ...results }, null, 2) + '\n');
  return path.relative(ROOT_DIR, file);
}

export async function closeSession(services: ServiceGroup, s: Session): Promise<void> {
  await s.watch.end().catch(() => undefined);
  await s.connection.close().catch(() => undefined);
  agent.destroy();
  await services.stopAll();
}
