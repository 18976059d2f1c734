/**
 * Copies of the read model's three topics under a name prefix of one test
 * run's own, one partition each, so a test may delete records from them
 * (what retention does) without touching the topics the rest of the stack
 * and the other tests use. Dropped again by `remove`.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import type { Config } from '../../../lib/config';
import { createKafka, TOPICS } from '../../../lib/kafka';
import { topicList, type TopicNames } from '../../../services/read-model/log-start';
import type { Publication } from './events';

export class DedicatedTopics {
  private constructor(
    readonly names: TopicNames,
    readonly admin: Admin,
    private readonly producer: Producer,
  ) {}

  static async create(config: Config): Promise<DedicatedTopics> {
    const prefix = `rm-test-${randomBytes(4).toString('hex')}.`;
    const names: TopicNames = { account: prefix + TOPICS.account, entry: prefix + TOPICS.entry, hold: prefix + TOPICS.hold };
    const kafka = createKafka(config, 'read-model-test-topics');
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({ waitForLeaders: true, topics: topicList(names).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
    return new DedicatedTopics(names, admin, producer);
  }

  /** Produces each publication to this run's copy of its topic. */
  async publish(...publications: Publication[]): Promise<void> {
    for (const { topic, envelope } of publications) {
      const name = topic === TOPICS.account ? this.names.account : topic === TOPICS.entry ? this.names.entry : this.names.hold;
      await this.producer.send({ topic: name, acks: -1, messages: [{ key: envelope.aggregateId, value: JSON.stringify(envelope) }] });
    }
  }

  /** What retention does to the oldest segment: every record of the partition before `offset` is gone. */
  async deleteBefore(topic: string, offset: bigint): Promise<void> {
    // kafkajs finds the partition's leader in the admin's cached metadata, which must know the topic first.
    await this.admin.fetchTopicMetadata({ topics: [topic] });
    await this.admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: offset.toString() }] });
  }

  async remove(): Promise<void> {
    await this.admin.deleteTopics({ topics: topicList(this.names) }).catch(() => undefined);
    await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
