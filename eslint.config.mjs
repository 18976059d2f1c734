// Lint rules that matter for this codebase: no floating promises anywhere (a
// dropped promise is a lost error), and workflow code kept deterministic (no
// Node built-ins, no I/O modules; Temporal's sandbox would fail at run time,
// this fails at lint time). The one JavaScript file linted is the dashboards
// page's browser script, typed through tsconfig.browser.json.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.tools/**', 'coverage/**', '**/*.js', '!deploy/dashboards/page.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    // The browser script and its globals: the DOM's types, not Node's (neither tsconfig.json's project).
    files: ['deploy/dashboards/page.js', 'deploy/dashboards/page-globals.d.ts'],
    languageOptions: { parserOptions: { projectService: false, project: './tsconfig.browser.json', tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.ts', 'deploy/dashboards/page.js'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Production code states what it expects instead of asserting it away: required(), present() or
    // assert() of lib/assert.ts throw naming what was missing. Tests (and bench/, deploy/ tools) may still use `!`.
    files: ['{api,activities,workflows,lib,services,workers}/**/*.ts'],
    ignores: ['**/test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'error' },
  },
  {
    // Tests read JSON answers loosely on purpose: the assertions are the types.
    files: ['test/**/*.ts', '**/test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts', 'test/**/fixtures/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'crypto', 'child_process', 'os'], message: 'Workflow code is deterministic: no Node built-ins.' },
            { group: ['pg', 'kafkajs', 'express', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '**/lib/pg', '**/lib/kafka', '**/activities/*'], message: 'Workflow code does no I/O: call an activity.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
