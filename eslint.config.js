// Lint rules: typescript-eslint's recommended set, no floating promises, and
// the layer rule of DESIGN.md: imports point one way, down the layer list.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports a folder's (non-test) files may not make: everything above it in DESIGN.md's list. */
const layers = {
  'store/raft': ['../*', '../**', 'node:*', 'better-sqlite3', 'express', 'ws'],
  'store/storage': ['../mvcc/**', '../server/**', '../sim/**', '../../**'],
  'store/mvcc': ['../server/**', '../sim/**', '../../**'],
  'store/sim': ['../server/**', '../../**'],
  'store/server': ['../sim/**', '../../**'],
  // the API server reaches the store only through its StoreClient (apiserver/storage)
  apiserver: ['**/store/**', '**/cli/**', '**/client/**', '**/scheduler/**', '**/controllers/**', '**/nodes/**', '**/web/**'],
  // components stand on client/ and reach the cluster only through the API server
  client: ['**/store/**', '**/apiserver/**', '**/scheduler/**', '**/controllers/**', '**/nodes/**', '**/web/**', '**/cli/**'],
  scheduler: ['**/store/**', '**/apiserver/**', '**/controllers/**', '**/nodes/**', '**/web/**', '**/cli/**'],
  controllers: ['**/store/**', '**/apiserver/**', '**/scheduler/**', '**/nodes/**', '**/web/**', '**/cli/**'],
  nodes: ['**/store/**', '**/apiserver/**', '**/scheduler/**', '**/controllers/**', '**/web/**', '**/cli/**'],
  // the dashboard runs in the browser and talks HTTP to the API server only (its tests may use node:)
  web: ['**/store/**', '**/apiserver/**', '**/client/**', '**/scheduler/**', '**/controllers/**', '**/nodes/**', '**/cli/**', 'node:*'],
  bench: [],
  cli: [],
};

const testFiles = ['**/*.test.ts', '**/testing/**', '**/testdata/**'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.kubeling/**', 'cli/bin.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...Object.entries(layers)
    .filter(([, banned]) => banned.length > 0)
    .map(([dir, banned]) => ({
      files: [`${dir}/**/*.ts`],
      ignores: testFiles,
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ group: banned, message: `${dir} may not import this: see the layer table in DESIGN.md` }] },
        ],
      },
    })),
  {
    // web/ is bundled for the browser (web/tsconfig.json has Node's types only for its tests)
    files: ['web/**/*.ts'],
    ignores: testFiles,
    rules: {
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', 'module', '__dirname', '__filename', 'global', 'setImmediate'],
    },
  },
  {
    // the Raft core is pure: no clock, no randomness but the seeded one, no timers
    files: ['store/raft/**/*.ts'],
    ignores: testFiles,
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use the seeded Rand from the config' },
        { object: 'Date', property: 'now', message: 'time is tick()' },
        { object: 'performance', property: 'now', message: 'time is tick()' },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process'],
    },
  },
);
