/**
 * Proves the layering the workflow contract exists for: `activities/`, `api/`
 * and `lib/` import no value of `workflows/` (the contract they share lives in
 * lib/workflow-contract/), `workflows/` imports no value of `activities/`,
 * `api/`, `workers/` or `services/`, and every module the workflow bundle
 * reaches outside `workflows/` imports no package but Temporal's workflow-safe
 * ones (no Node built-ins, no I/O). How: each .ts file is parsed with the
 * TypeScript compiler, its imports and re-exports resolved to files; an
 * import that only brings types (`import type`, or every name marked `type`)
 * is erased at build time and allowed. The scanner itself is checked on
 * snippets first, so a scanner that finds nothing cannot pass for clean code.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE_SAFE_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

interface Import {
  specifier: string;
  line: number;
}

/** The imports and re-exports of `text` that bring a value (those left after TypeScript erases the type-only ones). */
function valueImports(fileName: string, text: string): Import[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (node: ts.Node, specifier: ts.Expression) => {
    if (!ts.isStringLiteral(specifier)) return;
    found.push({ specifier: specifier.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && !importsTypesOnly(node)) add(node, node.moduleSpecifier);
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && !exportsTypesOnly(node)) add(node, node.moduleSpecifier);
  }
  return found;
}

function importsTypesOnly(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import 'x'`: a side effect, a value.
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

function exportsTypesOnly(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
}

/** The file a relative specifier names (`x.ts` or `x/index.ts`), or null for a package. */
function resolve(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  throw new Error(`${path.relative(ROOT, fromFile)}: cannot resolve ${specifier}`);
}

function tsFiles(folder: string): string[] {
  const dir = path.join(ROOT, folder);
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(path.join(folder, name));
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const topFolder = (file: string) => path.relative(ROOT, file).split(path.sep)[0] ?? '';
const relative = (file: string) => path.relative(ROOT, file);

/** "file:line -> target" for each value import of `files` that lands in one of `forbidden` (top-level folders). */
function importsInto(files: string[], forbidden: string[]): string[] {
  return files.flatMap((file) =>
    valueImports(file, readFileSync(file, 'utf8')).flatMap(({ specifier, line }) => {
      const target = resolve(file, specifier);
      return target && forbidden.includes(topFolder(target)) ? [`${relative(file)}:${line} -> ${relative(target)}`] : [];
    }),
  );
}

/** Every file the workflow bundle reaches by value imports from `workflows/`, outside `workflows/`. */
function bundledOutsideWorkflows(): string[] {
  const seen = new Set<string>();
  const queue = tsFiles('workflows').filter((file) => !file.endsWith('.test.ts'));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { specifier } of valueImports(file, readFileSync(file, 'utf8'))) {
      const target = resolve(file, specifier);
      if (target) queue.push(target);
    }
  }
  return [...seen].filter((file) => topFolder(file) !== 'workflows');
}

describe('the import scanner', () => {
  it('counts value imports and re-exports, and erases the type-only ones', () => {
    const text = [
      "import type { A } from '../workflows/a';",
      "import { type B, type C } from '../workflows/b';",
      "export type { D } from '../workflows/d';",
      "import { E } from '../workflows/e';",
      "import { type F, G } from '../workflows/g';",
      "import '../workflows/h';",
      "export { I } from '../workflows/i';",
      "export * from '../workflows/j';",
    ].join('\n');

    expect(valueImports('x.ts', text).map((found) => found.specifier)).toEqual(['../workflows/e', '../workflows/g', '../workflows/h', '../workflows/i', '../workflows/j']);
  });
});

describe('layering', () => {
  it('activities/, api/ and lib/ import no value of workflows/', () => {
    const files = ['activities', 'api', 'lib'].flatMap(tsFiles);

    expect(files.length).toBeGreaterThan(50);
    expect(importsInto(files, ['workflows'])).toEqual([]);
  });

  it('workflows/ imports no value of activities/, api/, workers/ or services/', () => {
    expect(importsInto(tsFiles('workflows'), ['activities', 'api', 'workers', 'services'])).toEqual([]);
  });

  it('what the workflow bundle reaches outside workflows/ is the contract and pure lib/ code', () => {
    const reached = bundledOutsideWorkflows();
    const outsideLib = reached.filter((file) => topFolder(file) !== 'lib').map(relative);
    const packages = reached.flatMap((file) =>
      valueImports(file, readFileSync(file, 'utf8'))
        .filter(({ specifier }) => !specifier.startsWith('.') && !BUNDLE_SAFE_PACKAGES.includes(specifier))
        .map(({ specifier, line }) => `${relative(file)}:${line} imports ${specifier}`),
    );

    expect(reached.map(relative)).toContain(path.join('lib', 'workflow-contract', 'transfer.ts'));
    expect(outsideLib).toEqual([]);
    expect(packages).toEqual([]);
  });
});
