/**
 * `npm run docs:config`: writes docs/configuration.md and deploy/defaults.env
 * from lib/config.ts's schema and deploy/config-doc/stack-variables.ts (the
 * one description of the configuration). Run it after changing a variable.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../lib/config';
import { renderConfigurationDoc, renderDefaultsEnv } from './config-doc/render';

export const GENERATED_FILES: Readonly<Record<string, () => string>> = {
  'docs/configuration.md': renderConfigurationDoc,
  'deploy/defaults.env': renderDefaultsEnv,
};

if (require.main === module) {
  for (const [file, render] of Object.entries(GENERATED_FILES)) {
    writeFileSync(path.join(ROOT_DIR, file), render());
    console.log(`wrote ${file}`);
  }
}
