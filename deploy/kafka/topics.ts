/**
 * The system's topics as deploy/kafka/topics.txt lists them, and what makes
 * a running Kafka agree with that list: missing topics are created with their
 * settings, and an existing topic whose settings differ (one created before
 * the setting was added, or changed by hand) gets them. deploy/stack runs it
 * (ensure-topics.ts) on every `up`; docker-compose.yml's kafka-topics job does
 * the same with Kafka's own scripts.
 */
import { ConfigResourceTypes, type Admin } from 'kafkajs';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Topic-level settings, e.g. retention.ms=-1. */
  configs: Record<string, string>;
}

/** Lines "name partitions key=value key=value..."; blank lines and # comments are skipped. */
export function parseTopicsFile(text: string): TopicSpec[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', partitions = '', ...settings] = line.split(/\s+/);
      if (!/^[1-9][0-9]*$/.test(partitions)) throw new Error(`topics.txt: ${JSON.stringify(line)} has no partition count`);
      const configs = Object.fromEntries(
        settings.map((setting) => {
          const [, key, value] = /^([a-z.]+)=(\S+)$/.exec(setting) ?? [];
          if (key === undefined || value === undefined) throw new Error(`topics.txt: ${JSON.stringify(setting)} in ${JSON.stringify(line)} is not key=value`);
          return [key, value];
        }),
      );
      return { name, partitions: Number(partitions), configs };
    });
}

/** Creates what is missing and corrects settings that differ; returns one line per change made. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({ topic: spec.name, numPartitions: spec.partitions, replicationFactor: 1, configEntries: entries(spec.configs) })),
    });
  }
  const actions = missing.map((spec) => `created ${spec.name} (${spec.partitions} partitions, ${describe(spec.configs)})`);
  for (const spec of specs.filter((s) => existing.has(s.name) && Object.keys(s.configs).length > 0)) {
    const overrides = await topicOverrides(admin, spec.name);
    if (Object.entries(spec.configs).every(([name, value]) => overrides[name] === value)) continue;
    // AlterConfigs replaces a topic's whole set of overrides: the others it had are sent again.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.name, configEntries: entries({ ...overrides, ...spec.configs }) }] });
    actions.push(`set ${spec.name} ${describe(spec.configs)}`);
  }
  return actions;
}

/** The settings set on the topic itself, not inherited from the broker's defaults. */
async function topicOverrides(admin: Admin, topic: string): Promise<Record<string, string>> {
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  const TOPIC_CONFIG = 1; // DescribeConfigs' config source: "set on this topic"
  return Object.fromEntries(
    (resources[0]?.configEntries ?? []).filter((entry) => entry.configSource === TOPIC_CONFIG).map((entry) => [entry.configName, entry.configValue]),
  );
}

const entries = (configs: Record<string, string>) => Object.entries(configs).map(([name, value]) => ({ name, value }));

const describe = (configs: Record<string, string>) =>
  Object.entries(configs)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
