/**
 * deploy/search-attributes.txt, the one list of the transfer workflows'
 * custom search attributes that deploy/stack, compose's temporal-namespace job
 * and (through a test) lib/workflow-contract/transfer.ts share.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../lib/config';

export const SEARCH_ATTRIBUTES_FILE = path.join(ROOT_DIR, 'deploy', 'search-attributes.txt');

export interface SearchAttributeSpec {
  name: string;
  /** As the Temporal CLI spells it. */
  type: 'Keyword' | 'Int';
}

/** Lines "name type"; blank lines and # comments are skipped. */
export function parseSearchAttributes(text: string): SearchAttributeSpec[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', type, ...rest] = line.split(/\s+/);
      if ((type !== 'Keyword' && type !== 'Int') || rest.length > 0) throw new Error(`search-attributes.txt: ${JSON.stringify(line)} is not "name Keyword|Int"`);
      return { name, type };
    });
}

export const readSearchAttributes = (): SearchAttributeSpec[] => parseSearchAttributes(readFileSync(SEARCH_ATTRIBUTES_FILE, 'utf8'));
