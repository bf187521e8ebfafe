// Lint rules, including the layering of ARCHITECTURE.md: pure stages (framing, parsers, normalize, enrich,
// detect) never import inputs, outputs, the CLI, the disk or the network; outputs never import parsing stages.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const io = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'http2',
  'node:http2',
  'tls',
  'node:tls',
  'dgram',
  'node:dgram',
  'child_process',
  'node:child_process',
  'chokidar',
  '@elastic/elasticsearch',
  'undici',
  'winston',
];

const layer = (group, forbiddenDirs, extraPaths = []) => ({
  files: [`src/${group}/**/*.ts`],
  ignores: [`src/**/*.test.ts`], // tests may read fixtures from disk
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: extraPaths.map((name) => ({
          name,
          message: `src/${group} is a pure stage: no disk, network or process I/O (ARCHITECTURE.md).`,
        })),
        patterns: forbiddenDirs.map((d) => ({
          group: [`**/${d}/*`, `**/${d}`],
          message: `src/${group} must not import src/${d} (ARCHITECTURE.md layering).`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'artifacts/**', // release packages (npm run package:windows / package:linux)
      'node_modules/**',
      'data/**',
      'inbox/**',
      'coverage/**',
      'test/fixtures/**',
      'test/golden/**',
      'bench/results/**',
      '.scratch/**', // local scratch builds and experiments (.gitignore)
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs', 'bench/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'No `export *`: name what a module exports.' },
      ],
      'no-console': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: { 'no-console': 'off' },
  },
  // The CLI, tests, benches and scripts are where humans are printed to.
  {
    files: ['src/cli/**/*.ts', 'src/**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      // An `assert.ok(value)` without a message makes node:assert read the test's source to quote the expression;
      // under tsx that took minutes to report one failure in some files (test/kibana/kibana-setup.test.ts,
      // test/outputs/rotation-bounds.test.ts). So every such assertion carries its own message.
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'No `export *`: name what a module exports.' },
        {
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.object.name='assert'][callee.property.name='ok'][arguments.length=1]",
          message: 'Give assert.ok a message (without one, a failure can take minutes to report under tsx).',
        },
        {
          selector: "CallExpression[callee.type='Identifier'][callee.name='assert'][arguments.length=1]",
          message: 'Give assert a message (without one, a failure can take minutes to report under tsx).',
        },
      ],
    },
  },
  layer('framing', ['inputs', 'outputs', 'cli', 'setup', 'detect', 'normalize', 'enrich'], io),
  layer('parsers', ['inputs', 'outputs', 'cli', 'setup', 'detect', 'normalize'], io),
  layer('normalize', ['inputs', 'outputs', 'cli', 'setup', 'detect', 'framing'], io),
  layer('enrich', ['inputs', 'outputs', 'cli', 'setup', 'detect', 'normalize', 'parsers', 'framing'], io),
  layer('detect', ['inputs', 'outputs', 'cli', 'setup', 'framing'], io),
  layer('pipeline', ['cli', 'setup'], ['chokidar', '@elastic/elasticsearch']),
  layer('outputs', ['inputs', 'framing', 'parsers', 'normalize', 'enrich', 'detect', 'cli']),
  layer('inputs', ['outputs', 'parsers', 'normalize', 'enrich', 'detect', 'cli', 'setup']),
  layer('setup', ['inputs', 'framing', 'parsers', 'normalize', 'enrich', 'detect', 'cli']),
  layer('telemetry', [
    'inputs',
    'outputs',
    'framing',
    'parsers',
    'normalize',
    'enrich',
    'detect',
    'cli',
    'setup',
    'pipeline',
  ]),
);
