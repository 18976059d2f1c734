/**
 * kafkajs's lines through pino (lib/kafka-log.ts): the JSON shape of our own
 * lines with snake_case ids, and the level that says whether to act: a broker
 * error kafkajs retries itself is INFO, the idempotent producer's EoS notice
 * DEBUG, any other error stays ERROR.
 */
import { PassThrough } from 'node:stream';
import { logLevel, type LogEntry } from 'kafkajs';
import { createLogger } from './logger';
import { kafkaLogLevel, pinoLogCreator } from './kafka-log';
import { firstOf } from './assert';

function entry(level: logLevel, namespace: string, message: string, fields: Record<string, unknown> = {}): LogEntry {
  return { level, namespace, label: logLevel[level], log: { timestamp: new Date().toISOString(), message, ...fields } };
}

const LOADING = "The coordinator is loading and hence can't process requests for this group";

describe('kafkajs log lines', () => {
  it('when kafkajs logs a broker error it retries (coordinator loading), then it is INFO; an error it does not retry stays ERROR', () => {
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Connection', 'Response InitProducerId(key: 22, version: 1)', { error: LOADING }))).toBe('info');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Connection', 'Response GroupCoordinator(key: 10, version: 2)', { error: 'The group coordinator is not available' }))).toBe('info');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Connection', 'Response Produce(key: 0, version: 7)', { error: 'The request included message batch larger than the configured segment size on the server' }))).toBe('error');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe('error');
  });

  it('when a consumer crashes on a retriable error, then the crash is a WARN and its restart INFO; a crash on anything else stays ERROR', () => {
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Consumer', `Crash: KafkaJSProtocolError: ${LOADING}`))).toBe('warn');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 200ms'))).toBe('info');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Consumer', 'Crash: TypeError: x is not a function'))).toBe('error');
  });

  it('when a group member is told the group is rebalancing (another read-model instance joined or left), then the answer and the rejoin are INFO', () => {
    const rebalancing = 'The group is rebalancing, so a rejoin is needed';
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Connection', 'Response Heartbeat(key: 12, version: 3)', { error: rebalancing }))).toBe('info');
    expect(kafkaLogLevel(entry(logLevel.WARN, 'Runner', 'The group is rebalancing, re-joining', { error: rebalancing }))).toBe('info');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Connection', 'Connection error: read ECONNRESET', { error: rebalancing }))).toBe('error');
  });

  it('when the idempotent producer warns that limited retries may invalidate EoS, then it is DEBUG; other warnings stay WARN', () => {
    expect(kafkaLogLevel(entry(logLevel.WARN, 'Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'))).toBe('debug');
    expect(kafkaLogLevel(entry(logLevel.WARN, 'Consumer', 'Heartbeat failed'))).toBe('warn');
  });

  it('when a line is written, then it has our JSON shape: level label, service, component, snake_case fields, no second timestamp', () => {
    const destination = new PassThrough();
    const lines: Array<Record<string, unknown>> = [];
    destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))));
    const write = pinoLogCreator(createLogger('read-model', 'info', destination))();

    write(entry(logLevel.ERROR, 'Connection', 'Response GroupCoordinator(key: 10, version: 2)', { broker: '127.0.0.1:9092', clientId: 'read-model', groupId: 'g', correlationId: 2, error: 'The group coordinator is not available' }));

    expect(lines).toHaveLength(1);
    const line = firstOf(lines, 'the lines written');
    expect(line).toMatchObject({ level: 'info', service: 'read-model', component: 'kafkajs', kafka_namespace: 'Connection', client_id: 'read-model', group_id: 'g', correlation_id: 2, msg: 'Response GroupCoordinator(key: 10, version: 2)' });
    expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['clientId']));
    expect(line).not.toHaveProperty('timestamp');
    expect(line).not.toHaveProperty('message');
  });
});
