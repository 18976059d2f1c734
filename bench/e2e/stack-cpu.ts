/**
 * CPU of every process of the stack, read from /proc: the Temporal server
 * (dev or real: TEMPORAL_MODE), PostgreSQL (the postmaster and all its children: backends,
 * checkpointer, WAL writer, autovacuum, and those that ended meanwhile),
 * the Kafka broker, Prometheus, the stack's trace sink, the bench's trace
 * collector and each application process the bench started; apart from them
 * the bench itself (the load, not the system) and the ceiling's worker.
 * Infrastructure is told from other instances on the machine by the port it
 * listens on.
 */
import type { Config } from '../../lib/config';
import { appOfProcess } from './app-stack';
import { cpuBetween, cpuSnapshot, infraPortsOf, listenerPid, temporalServerPid, type CpuSnapshot, type GroupOf, type ServiceGroup } from '../support';

export const APP_GROUPS = ['gateway', 'worker', 'accounts', 'ledger', 'read-model'] as const;
/** `sink` is the bench's trace collector, which stands in for the stack's trace sink during the run. */
export const INFRA_GROUPS = ['temporal', 'postgres', 'kafka', 'prometheus', 'trace-sink', 'sink'] as const;
/** What a transfer costs: every process of the stack. */
export const STACK_GROUPS = [...INFRA_GROUPS, ...APP_GROUPS] as const;
export const LOAD_GROUPS = ['bench', 'ceiling-worker'] as const;
export type StackGroup = (typeof STACK_GROUPS)[number];
export type CpuGroup = StackGroup | (typeof LOAD_GROUPS)[number];

/** CPU over an interval: cores busy per group; `stack` is the sum of STACK_GROUPS, `other` the rest of the machine. */
export interface CpuInterval {
  seconds: number;
  cores: Record<CpuGroup | 'stack' | 'machine' | 'other', number>;
}

/** Groups as cpuSnapshot() counts them; `pg` is its name for PostgreSQL's processes. */
const COUNTED = [...STACK_GROUPS.filter((g) => g !== 'postgres'), ...LOAD_GROUPS];

export class StackCpu {
  private readonly groupOf: GroupOf;
  /** Infrastructure that was not found listening (its CPU is then not counted): said in the report. */
  readonly missing: string[];

  constructor(services: ServiceGroup, config: Config) {
    const infra = infraPortsOf(config);
    const postmaster = listenerPid('postgres', infra.postgres!);
    const listeners = new Map<number | undefined, CpuGroup>([
      [temporalServerPid(infra.temporal!), 'temporal'],
      [listenerPid('java', infra.kafka!), 'kafka'],
      [listenerPid('prometheus', config.PROMETHEUS_PORT), 'prometheus'],
      [listenerPid('node', config.OTLP_HTTP_PORT), 'trace-sink'],
    ]);
    listeners.delete(undefined);
    this.missing = [
      ...(postmaster === undefined ? [`postgres :${infra.postgres}`] : []),
      ...(['temporal', 'kafka', 'prometheus', 'trace-sink'] as const).filter((g) => ![...listeners.values()].includes(g)),
    ];
    this.groupOf = (pid, comm, ppid) => {
      if (pid === process.pid) return 'bench';
      // A copy of a service running several behind its port (lib/cluster) is a child of the process the bench started.
      const service = services.services.find((s) => s.child.pid === pid || s.child.pid === ppid);
      if (service) return appOfProcess(service.name) as CpuGroup;
      if (comm === 'postgres') return postmaster !== undefined && (pid === postmaster || ppid === postmaster) ? 'pg' : undefined;
      return listeners.get(pid);
    };
  }

  snapshot(): CpuSnapshot | null {
    return cpuSnapshot(this.groupOf, new Set());
  }

  between(before: CpuSnapshot | null, after: CpuSnapshot | null): CpuInterval | null {
    const use = cpuBetween(before, after, COUNTED);
    if (!use || !before || !after) return null;
    const cores = { ...use, postgres: use.postgres + use['pg other'] } as Record<string, number>;
    delete cores['pg other'];
    cores.stack = STACK_GROUPS.reduce((sum, g) => sum + (cores[g] ?? 0), 0);
    return { seconds: (after.atMs - before.atMs) / 1000, cores: cores as CpuInterval['cores'] };
  }
}

/** CPU milliseconds per unit of work (a transfer, a workflow) for each group, over an interval in which `units` were done. */
export function cpuMsPer(interval: CpuInterval, units: number): Record<keyof CpuInterval['cores'], number> {
  const perUnit = (cores: number) => (units > 0 ? (cores * interval.seconds * 1000) / units : Number.NaN);
  return Object.fromEntries(Object.entries(interval.cores).map(([group, cores]) => [group, perUnit(cores)])) as Record<keyof CpuInterval['cores'], number>;
}
