/**
 * The default receiver of the native stack's Alertmanager (deploy/alertmanager):
 * a webhook that logs every notification (WARN while firing, INFO once
 * resolved, with the receiver, alert name, labels and runbook) and keeps the
 * latest ones for the dashboards page, so an alert reaches a person with no
 * service outside the stack. Alertmanager's webhook payload (version 4):
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import express, { type Router } from 'express';
import type { Logger } from '../../lib/logger';

/** Kept in memory, newest first; the log line is the durable record. */
export const NOTIFICATIONS_KEPT_MAX = 200;
/** Alertmanager sends at most a few KiB per group; a bound on anything posted here. */
const PAYLOAD_BYTES_MAX = 256 * 1024;

export interface AlertNotification {
  receivedAt: string;
  receiver: string;
  status: 'firing' | 'resolved';
  alertname: string;
  severity: string;
  labels: Record<string, string>;
  summary: string;
  runbookUrl: string | null;
  startsAt: string;
  endsAt: string | null;
}

interface WebhookAlert {
  status?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

interface WebhookPayload {
  receiver?: string;
  alerts?: WebhookAlert[];
}

/** Alertmanager's zero time for an alert still firing. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function notificationsOf(payload: WebhookPayload, receivedAt: Date): AlertNotification[] {
  return (payload.alerts ?? []).map((alert) => {
    const labels = alert.labels ?? {};
    const annotations = alert.annotations ?? {};
    return {
      receivedAt: receivedAt.toISOString(),
      receiver: payload.receiver ?? 'unknown',
      status: alert.status === 'resolved' ? 'resolved' : 'firing',
      alertname: labels.alertname ?? 'unknown',
      severity: labels.severity ?? 'none',
      labels,
      summary: annotations.summary ?? '',
      runbookUrl: annotations.runbook_url ?? null,
      startsAt: alert.startsAt ?? '',
      endsAt: alert.endsAt && alert.endsAt !== ZERO_TIME ? alert.endsAt : null,
    };
  });
}

/** POST /api/alert-notifications (Alertmanager) and GET /api/alert-notifications (the page, the drills). */
export function alertNotificationsRouter(logger: Logger): Router {
  const kept: AlertNotification[] = [];
  const router = express.Router();
  router.post('/api/alert-notifications', express.json({ limit: PAYLOAD_BYTES_MAX }), (req, res) => {
    const received = notificationsOf(req.body as WebhookPayload, new Date());
    for (const notification of received) {
      const fields = { receiver: notification.receiver, alertname: notification.alertname, severity: notification.severity, alert_labels: notification.labels, runbook_url: notification.runbookUrl };
      if (notification.status === 'firing') logger.warn(fields, `alert firing: ${notification.summary}`);
      else logger.info(fields, `alert resolved: ${notification.summary}`);
    }
    kept.unshift(...received.reverse());
    kept.splice(NOTIFICATIONS_KEPT_MAX);
    res.status(204).end();
  });
  router.get('/api/alert-notifications', (_req, res) => void res.json({ items: kept }));
  return router;
}
