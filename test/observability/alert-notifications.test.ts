/**
 * The stack's default alert receiver (deploy/dashboards/notifications.ts): an
 * Alertmanager webhook payload posted to the dashboards server is logged (WARN
 * firing, INFO resolved, with the runbook) and listed newest first, at most
 * NOTIFICATIONS_KEPT_MAX. The app runs in-process on an ephemeral port.
 */
import { Writable } from 'node:stream';
import { createDashboardsApp } from '../../deploy/dashboards/server';
import { NOTIFICATIONS_KEPT_MAX } from '../../deploy/dashboards/notifications';
import { createLogger } from '../../lib/logger';
import { call, startApp, type RunningApp } from '../support/service';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()));
    done();
  },
});
let app: RunningApp;

beforeAll(async () => {
  app = await startApp(createDashboardsApp({ prometheusUrl: 'http://127.0.0.1:1', logger: createLogger('dashboards', 'info', sink) }));
});
afterAll(() => app.close());

function payload(status: 'firing' | 'resolved', alertname: string, endsAt = '0001-01-01T00:00:00Z') {
  return {
    version: '4',
    receiver: 'operators',
    status,
    alerts: [
      {
        status,
        labels: { alertname, severity: 'warning', service: 'ledger' },
        annotations: { summary: 'ledger: outbox rows unpublished for 20s', runbook_url: 'docs/runbooks.md#outboxeventsunpublished' },
        startsAt: '2026-12-04T17:00:00Z',
        endsAt,
      },
    ],
  };
}

it('logs and lists a firing then a resolved notification, newest first', async () => {
  expect((await call(app.baseUrl, 'POST', '/api/alert-notifications', payload('firing', 'OutboxEventsUnpublished'))).status).toBe(204);
  expect((await call(app.baseUrl, 'POST', '/api/alert-notifications', payload('resolved', 'OutboxEventsUnpublished', '2026-12-04T17:01:00Z'))).status).toBe(204);
  const { body } = await call(app.baseUrl, 'GET', '/api/alert-notifications');
  expect(body.items.map((n: { status: string }) => n.status)).toEqual(['resolved', 'firing']);
  expect(body.items[0]).toMatchObject({ receiver: 'operators', alertname: 'OutboxEventsUnpublished', severity: 'warning', runbookUrl: 'docs/runbooks.md#outboxeventsunpublished', endsAt: '2026-12-04T17:01:00Z' });
  expect(body.items[1].endsAt).toBeNull();
  const logged = lines.filter((line) => line.alertname === 'OutboxEventsUnpublished').map((line) => [line.level, line.msg]);
  expect(logged).toEqual([
    ['warn', 'alert firing: ledger: outbox rows unpublished for 20s'],
    ['info', 'alert resolved: ledger: outbox rows unpublished for 20s'],
  ]);
});

it(`keeps the latest ${NOTIFICATIONS_KEPT_MAX} notifications`, async () => {
  for (let i = 0; i < NOTIFICATIONS_KEPT_MAX + 5; i++) await call(app.baseUrl, 'POST', '/api/alert-notifications', payload('firing', `Flood${i}`));
  const { body } = await call(app.baseUrl, 'GET', '/api/alert-notifications');
  expect(body.items).toHaveLength(NOTIFICATIONS_KEPT_MAX);
  expect(body.items[0].alertname).toBe(`Flood${NOTIFICATIONS_KEPT_MAX + 4}`);
});
