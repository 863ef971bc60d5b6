// Layering (VS Code `code-layering` style): dashboards/ and queries/ are common code, electron/ host
// services are Node, renderer/ is browser. An import that crosses a layer upward fails the build.
import { readFileSync } from 'node:fs';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Code that turns text into HTML or code: a dashboard file's text must never reach one of these.
// Each selector is proven to fire in build/lint-security.test.ts; eval, Function() / new Function and
// string timers are the core rules no-eval, no-new-func and no-implied-eval below.
const htmlAndCodeSinks = [
  { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Never render HTML from data: use text.' },
  { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]", message: 'Never assign innerHTML/outerHTML: use textContent or DOM nodes.' },
  { selector: "AssignmentExpression[left.property.value=/^(innerHTML|outerHTML)$/]", message: 'Never assign innerHTML/outerHTML: use textContent or DOM nodes.' },
  { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'Never insert HTML: use insertAdjacentText or DOM nodes.' },
  { selector: "CallExpression[callee.property.name='createContextualFragment']", message: 'Never parse HTML from strings: build DOM nodes.' },
  { selector: "CallExpression[callee.object.name='document'][callee.property.name=/^(write|writeln)$/]", message: 'Never document.write: build DOM nodes.' },
];

// Reviewed exceptions, each with its reason: build/lint-exceptions.json (checked by build/lint-security.test.ts).
const lintExceptions = JSON.parse(readFileSync(new URL('./build/lint-exceptions.json', import.meta.url), 'utf8')).exceptions;

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'http', 'https', 'net', 'child_process', 'crypto', 'stream', 'url', 'worker_threads'];

const pattern = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'e2e/artifacts/**', 'test-results/**', 'playwright-report/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-syntax': ['error', ...htmlAndCodeSinks],
    },
  },
  {
    files: ['dashboards/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            pattern(nodeBuiltins, 'dashboards/ is pure TypeScript: no Node APIs.'),
            pattern(['electron', 'react', 'react-dom', 'echarts', '@duckdb/*', '**/queries/**', '**/electron/**', '**/renderer/**', '**/cli/**'], 'dashboards/ imports nothing else of ours and no runtime.'),
          ],
        },
      ],
    },
  },
  {
    files: ['queries/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            pattern(nodeBuiltins, 'queries/ is common code: no Node APIs.'),
            pattern(['electron', 'react', 'react-dom', 'echarts', '**/electron/**', '**/renderer/**', '**/cli/**'], 'queries/ may import only dashboards/.'),
          ],
        },
      ],
    },
  },
  {
    files: ['electron/api/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [pattern([...nodeBuiltins, 'electron', '**/services/**', '**/renderer/**', '**/queries/**'], 'The host API contract is common code shared by both sides.')] },
      ],
    },
  },
  {
    files: ['electron/services/**', 'electron/browser-host/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^electron(/|$)', message: 'Host services run under plain Node: never import electron.' }, pattern(['**/renderer/**'], 'The host never imports the renderer.')] },
      ],
    },
  },
  {
    files: ['renderer/**'],
    ignores: ['renderer/vite.config.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            pattern(nodeBuiltins, 'The renderer has no Node APIs.'),
            { regex: '^electron(/|$)', message: 'The renderer never imports electron.' },
            pattern(['**/electron/services/**', '**/electron/browser-host/**', '**/electron/main*', '**/electron/preload*', '**/electron/window-security*', '**/cli/**'], 'The renderer talks to the host only through electron/api/host-api.'),
          ],
        },
      ],
    },
  },
  ...lintExceptions.map((e) => ({ files: [e.file], rules: Object.fromEntries(e.rules.map((rule) => [rule, 'off'])) })),
);
