/**
 * Proves the topics of deploy/kafka/topics.txt keep every event for ever on
 * the running stack: describeConfigs on the real Kafka must show
 * retention.ms=-1 and retention.bytes=-1 for each, as topics.txt asks (the
 * stack creates them so and sets them on a topic that already existed). Then,
 * on topics of this run's own, ensureTopics (what deploy/stack runs) must
 * create a missing topic with those settings and put them on an existing topic
 * created with the broker's 7-day default, and change nothing when run again.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { loadConfig, ROOT_DIR } from '../../lib/config';
import { createKafka, TOPICS } from '../../lib/kafka';
import { ensureTopics, parseTopicsFile, type TopicSpec } from '../../deploy/kafka/topics';
import { eventually } from '../read-model/support/harness';

const KEPT_FOR_EVER = { 'retention.ms': '-1', 'retention.bytes': '-1' };

async function retentionOf(admin: Admin, topics: string[]): Promise<Record<string, Record<string, string>>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: 2 /* ConfigResourceTypes.TOPIC */, name, configNames: Object.keys(KEPT_FOR_EVER) })),
  });
  return Object.fromEntries(resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
}

describe('Kafka topics keep every event', () => {
  const specs = parseTopicsFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'kafka', 'topics.txt'), 'utf8'));
  const admin = createKafka(loadConfig(), 'kafka-topics-test').admin();

  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  it('when the stack is up, then every topic of topics.txt has retention.ms=-1 and retention.bytes=-1', async () => {
    expect(specs.map((spec) => spec.name).sort()).toEqual(Object.values(TOPICS).sort());
    for (const spec of specs) expect({ topic: spec.name, configs: spec.configs }).toEqual({ topic: spec.name, configs: KEPT_FOR_EVER });

    const retention = await retentionOf(admin, specs.map((spec) => spec.name));

    expect(retention).toEqual(Object.fromEntries(specs.map((spec) => [spec.name, KEPT_FOR_EVER])));
  });

  it('when a topic is missing or was created with the default retention, then ensureTopics creates or corrects it', async () => {
    const prefix = `kafka-topics-test-${randomBytes(4).toString('hex')}.`;
    const missing: TopicSpec = { name: `${prefix}missing`, partitions: 2, configs: KEPT_FOR_EVER };
    const existing: TopicSpec = { name: `${prefix}existing`, partitions: 1, configs: KEPT_FOR_EVER };
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: existing.name, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }] }] });
    try {
      const actions = await ensureTopics(admin, [missing, existing]);

      expect(actions).toEqual([`created ${missing.name} (2 partitions, retention.ms=-1 retention.bytes=-1)`, `set ${existing.name} retention.ms=-1 retention.bytes=-1`]);
      // The controller has committed the change when alterConfigs answers; the broker describing it applies it a moment later.
      await eventually(async () =>
        expect(await retentionOf(admin, [missing.name, existing.name])).toEqual({ [missing.name]: KEPT_FOR_EVER, [existing.name]: KEPT_FOR_EVER }),
      );
      expect(await ensureTopics(admin, [missing, existing])).toEqual([]);
    } finally {
      await admin.deleteTopics({ topics: [missing.name, existing.name] }).catch(() => undefined);
    }
  });
});
