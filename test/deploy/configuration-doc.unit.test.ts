/**
 * The configuration is described once: lib/config.ts's schema (type, default,
 * CONFIG_DOCS: readers and meaning) and deploy/config-doc/stack-variables.ts
 * (what only bash or the environment gives). Fails when docs/configuration.md
 * or deploy/defaults.env is not what `npm run docs:config` makes of it, when
 * defaults.env and the schema disagree on a variable or a value, when Node
 * code reads a variable of defaults.env outside the schema, and when the
 * readers say `deploy/stack` of other variables than those the native stack's
 * bash (and the configurations it renders) expands.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, parseEnvFile, ROOT_DIR } from '../../lib/config';
import { environmentRows, inDefaultsEnv, schemaRows, stackRows, type VariableRow } from '../../deploy/config-doc/render';
import { GENERATED_FILES } from '../../deploy/gen-config-doc';

const read = (file: string) => readFileSync(path.join(ROOT_DIR, file), 'utf8');
const defaults = parseEnvFile(read('deploy/defaults.env'));

/** What the native stack's bash runs or renders (envsubst) with the environment. */
const BASH_FILES = [
  'deploy/stack',
  ...readdirSync(path.join(ROOT_DIR, 'deploy', 'stack.d')).map((name) => `deploy/stack.d/${name}`),
  'deploy/temporal-server/stack.sh',
  'deploy/temporal-server/config.yaml',
  'deploy/temporal-server/ui.yaml',
  'deploy/temporal-server/dynamicconfig.yaml',
  'deploy/prometheus/prometheus.yml',
  'deploy/alertmanager/alertmanager.yml',
  'deploy/kafka/server.properties',
];

/** The sources of the system's Node processes (tests, benchmarks and this document's own generator aside). */
function nodeSources(dir = ROOT_DIR, relative = ''): string[] {
  const roots = ['api', 'activities', 'lib', 'services', 'workers', 'workflows', 'deploy'];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(relative, entry.name);
    if (entry.isDirectory()) {
      if (relative === '' && !roots.includes(entry.name)) return [];
      if (['test', 'node_modules', 'config-doc'].includes(entry.name)) return [];
      return nodeSources(path.join(dir, entry.name), file);
    }
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

describe('the generated files', () => {
  it.each(Object.entries(GENERATED_FILES))('%s is what `npm run docs:config` writes (run it after changing a variable)', (file, render) => {
    expect(read(file)).toBe(render());
  });
});

describe('deploy/defaults.env and the schema', () => {
  it('has every schema variable with a default, at the same value, unless the schema says why not (secrets never)', () => {
    const disagreements = schemaRows()
      .filter((row) => row.default !== undefined)
      .filter((row) => (inDefaultsEnv(row) ? defaults[row.name] !== row.default : row.name in defaults))
      .map((row) => ({ variable: row.name, schema: row.default, defaultsEnv: defaults[row.name], keptOutBecause: row.notInDefaultsEnv }));

    expect(disagreements).toEqual([]);
  });

  it('has no variable that is neither the schema\'s nor one the native stack alone reads', () => {
    const known = new Set([...schemaRows(), ...stackRows()].map((row) => row.name));

    expect(Object.keys(defaults).filter((name) => !known.has(name))).toEqual([]);
  });

  it('gives each variable one description: the schema, the stack-only or the environment-only list', () => {
    const names = [...schemaRows(), ...stackRows(), ...environmentRows()].map((row) => row.name);

    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(schemaRows().map((row) => row.name)).toEqual(Object.keys(configSchema.shape));
  });

  it('describes every variable: readers and a meaning', () => {
    const undescribed = [...schemaRows(), ...stackRows(), ...environmentRows()].filter((row: VariableRow) => row.readBy.length === 0 || row.meaning.trim() === '');

    expect(undescribed.map((row) => row.name)).toEqual([]);
  });

  it('leaves to the schema every variable of defaults.env that Node code reads', () => {
    const stackOnly = stackRows().map((row) => row.name);
    const readers = nodeSources().flatMap((file) =>
      stackOnly.filter((name) => new RegExp(`env\\.${name}\\b|env\\[['"]${name}['"]\\]`).test(read(file))).map((name) => `${file}: ${name}`),
    );

    expect(readers).toEqual([]);
  });
});

describe('the readers of each variable', () => {
  const bash = BASH_FILES.map(read).join('\n');
  const expandedByBash = (name: string) => new RegExp(`\\$\\{?${name}\\b`).test(bash);

  it('name deploy/stack for exactly the variables of the schema and defaults.env that the native stack expands', () => {
    const wrong = [...schemaRows(), ...stackRows()]
      .filter((row) => row.readBy.includes('deploy/stack') !== expandedByBash(row.name))
      .map((row) => ({ variable: row.name, declared: row.readBy.includes('deploy/stack'), expanded: expandedByBash(row.name) }));

    expect(wrong).toEqual([]);
  });

  it('name only deploy/stack for the variables kept out of the schema because only bash reads them', () => {
    expect(stackRows().filter((row) => row.readBy.join() !== 'deploy/stack').map((row) => row.name)).toEqual([]);
  });
});
