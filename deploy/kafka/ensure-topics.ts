/**
 * deploy/stack's step after Kafka is up: makes its topics those of
 * deploy/kafka/topics.txt (topics.ts), printing one line per change.
 * Exit code 0 when Kafka agrees, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ROOT_DIR } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { ensureTopics, parseTopicsFile } from './topics';

async function main(): Promise<void> {
  const specs = parseTopicsFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'kafka', 'topics.txt'), 'utf8'));
  const admin = createKafka(loadConfig(), 'deploy-stack').admin();
  await admin.connect();
  try {
    for (const action of await ensureTopics(admin, specs)) process.stdout.write(`${action}\n`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ensure-topics: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
