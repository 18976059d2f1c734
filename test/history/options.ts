/** A history run's options from the environment, with the defaults of the caller (the CI run or the drill). */
import type { HistoryRunOptions } from './harness';
import type { Fault } from './nemesis';

export function historyOptionsFromEnv(defaults: { seconds: number; schedule: Fault[]; groups?: number; clientsPerGroup?: number }): HistoryRunOptions {
  const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
  return {
    seed: num('HISTORY_SEED', Date.now() % 2 ** 31),
    durationMs: num('HISTORY_SECONDS', defaults.seconds) * 1000,
    opsMax: num('HISTORY_OPS', 20_000),
    groups: num('HISTORY_GROUPS', defaults.groups ?? 3),
    accountsPerGroup: num('HISTORY_ACCOUNTS', 3),
    clientsPerGroup: num('HISTORY_CLIENTS', defaults.clientsPerGroup ?? 4),
    schedule: defaults.schedule,
    faultDelayMs: num('HISTORY_FAULT_DELAY_MS', 8_000),
    faultGapMs: num('HISTORY_FAULT_GAP_MS', 3_000),
    settleTimeoutMs: num('HISTORY_SETTLE_TIMEOUT_MS', 120_000),
  };
}
