/**
 * The Temporal SDK's lines through pino (workers/telemetry.ts temporalLogger):
 * its camelCase metadata written snake_case like our own lines, an error under
 * `err` with its stack, the activity task token left out.
 */
import { PassThrough } from 'node:stream';
import { createLogger } from '../lib/logger';
import { temporalLogger } from './telemetry';

function capture() {
  const destination = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))));
  return { logger: createLogger('worker', 'debug', destination).child({ component: 'temporal' }), lines };
}

describe('Temporal SDK log lines', () => {
  it('when the SDK logs with its metadata, then the line has snake_case ids, the error under err, and no task token', () => {
    const { logger, lines } = capture();

    temporalLogger(logger).warn('Activity failed', {
      sdkComponent: 'worker', taskQueue: 'transfers', workflowId: 'transfer-1', activityType: 'reserveHold', isLocal: true, durationMs: 3,
      taskToken: 'bG9jYWw=', error: new Error('boom'),
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn', service: 'worker', component: 'temporal', sdk_component: 'worker', task_queue: 'transfers', workflow_id: 'transfer-1',
      activity_type: 'reserveHold', is_local: true, duration_ms: 3, err: { message: 'boom' }, msg: 'Activity failed',
    });
    expect(Object.keys(lines[0] ?? {}).filter((key) => /[A-Z]/.test(key) || /token/i.test(key))).toEqual([]);
  });
});
