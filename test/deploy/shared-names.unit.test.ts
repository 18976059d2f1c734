/**
 * Names that TypeScript shares with bash or YAML come from one file each, and
 * TypeScript's constants are checked against it where code cannot read it:
 * the search attributes of deploy/search-attributes.txt (which deploy/stack and
 * compose's temporal-namespace job register; the workflows, in Temporal's
 * sandbox, read no files and keep constants), and the topics of
 * deploy/kafka/topics.txt (which deploy/stack and compose's kafka-topics job
 * create; lib/kafka.ts names them for the relays and the read model).
 */
import { readFileSync } from 'node:fs';
import { SearchAttributeType } from '@temporalio/common';
import path from 'node:path';
import { ROOT_DIR } from '../../lib/config';
import { TOPICS } from '../../lib/kafka';
import { parseTopicsFile } from '../../deploy/kafka/topics';
import { readSearchAttributes } from '../../deploy/search-attributes';
import * as definitions from '../../lib/workflow-contract';

/** A defineSearchAttributeKey result (signals, queries and updates have a name and a type too: not one of these). */
const isSearchAttributeKey = (value: unknown): value is { name: string; type: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { name?: unknown }).name === 'string' &&
  (Object.values(SearchAttributeType) as unknown[]).includes((value as { type?: unknown }).type);

const sorted = (names: string[]) => [...names].sort();

it('the workflows define the search attributes of deploy/search-attributes.txt, with their types, and no other', () => {
  const file = readSearchAttributes().map(({ name, type }) => `${name}:${type.toUpperCase()}`);
  const listed = definitions.TRANSFER_SEARCH_ATTRIBUTE_KEYS.map(({ name, type }) => `${name}:${type}`);
  const exported = (Object.values(definitions) as unknown[])
    .filter(isSearchAttributeKey)
    .map(({ name, type }) => `${name}:${type}`);

  expect(sorted(listed)).toEqual(sorted(file));
  expect(sorted(exported)).toEqual(sorted(file));
});

it('lib/kafka.ts names the topics of deploy/kafka/topics.txt, and no other', () => {
  const file = parseTopicsFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'kafka', 'topics.txt'), 'utf8')).map((spec) => spec.name);

  expect(sorted(Object.values(TOPICS))).toEqual(sorted(file));
});
