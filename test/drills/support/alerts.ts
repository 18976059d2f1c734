/**
 * Prometheus's alerts as a drill watches them: GET /api/v1/alerts lists the
 * alerts that are pending or firing (a resolved alert is no longer listed).
 * An AlertWatch polls it every second from the moment it starts and keeps the
 * times one alert (by name and labels) was first seen firing and first seen
 * gone again, so a drill can assert that the alert of its fault fired while
 * the fault lasted and resolved after the heal (deploy/prometheus/rules).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

const POLL_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;

/** The alerts Prometheus has pending or firing now. */
export async function activeAlerts(prometheusUrl: string): Promise<PrometheusAlert[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = (await response.json()) as { status: string; data?: { alerts: PrometheusAlert[] }; error?: string };
  if (body.status !== 'success' || !body.data) throw new Error(`GET /api/v1/alerts: ${body.error ?? response.status}`);
  return body.data.alerts;
}

export class AlertWatch {
  /** Firing when the watch started (then a later "fired" proves nothing). */
  firingAtStart: boolean | undefined;
  firstFiringAtMs: number | undefined;
  /** The first poll after `firstFiringAtMs` that found the alert neither firing nor pending. */
  resolvedAtMs: number | undefined;
  /** The last value Prometheus gave while the alert fired. */
  lastFiringValue: string | undefined;
  readonly pollErrors: string[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly prometheusUrl: string,
    readonly alertname: string,
    private readonly labels: Record<string, string> = {},
  ) {}

  start(): this {
    this.loop = this.poll();
    return this;
  }

  /** Waits until the alert has resolved after firing, or the timeout; then stops polling. */
  async resolvedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.resolvedAtMs === undefined && Date.now() < deadline) await sleep(POLL_MS);
    await this.stop();
    return this.resolvedAtMs !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private matches(alert: PrometheusAlert): boolean {
    if (alert.labels.alertname !== this.alertname) return false;
    return Object.entries(this.labels).every(([name, value]) => alert.labels[name] === value);
  }

  private async poll(): Promise<void> {
    while (!this.stopped && this.resolvedAtMs === undefined) {
      const seenAtMs = Date.now();
      try {
        const mine = (await activeAlerts(this.prometheusUrl)).filter((a) => this.matches(a));
        const firing = mine.find((a) => a.state === 'firing');
        this.firingAtStart ??= firing !== undefined;
        if (firing) {
          this.firstFiringAtMs ??= seenAtMs;
          this.lastFiringValue = firing.value;
        } else if (this.firstFiringAtMs !== undefined && mine.length === 0) {
          this.resolvedAtMs = seenAtMs;
        }
      } catch (error) {
        // Prometheus itself is not what the drill takes down; keep the reason for the report.
        if (this.pollErrors.length < 5) this.pollErrors.push((error as Error).message);
      }
      await sleep(POLL_MS);
    }
  }
}

/** One notification as the stack's default receiver keeps it (deploy/dashboards/notifications.ts). */
export interface DeliveredNotification {
  receivedAt: string;
  receiver: string;
  status: 'firing' | 'resolved';
  alertname: string;
  labels: Record<string, string>;
}

/**
 * Waits until Alertmanager has delivered a notification of `status` for the
 * alert (name and labels) to the dashboards page's webhook since `sinceMs`;
 * returns it, or undefined after `timeoutMs`.
 */
export async function deliveredNotification(
  dashboardsUrl: string,
  alert: { name: string; labels: Record<string, string>; status: 'firing' | 'resolved'; sinceMs: number },
  timeoutMs: number,
): Promise<DeliveredNotification | undefined> {
  const deadline = Date.now() + timeoutMs;
  const matches = (n: DeliveredNotification) =>
    n.alertname === alert.name &&
    n.status === alert.status &&
    Date.parse(n.receivedAt) >= alert.sinceMs &&
    Object.entries(alert.labels).every(([key, value]) => n.labels[key] === value);
  while (Date.now() < deadline) {
    const response = await fetch(`${dashboardsUrl}/api/alert-notifications`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch(() => undefined);
    const found = response?.ok ? ((await response.json()) as { items: DeliveredNotification[] }).items.find(matches) : undefined;
    if (found) return found;
    await sleep(POLL_MS);
  }
  return undefined;
}
