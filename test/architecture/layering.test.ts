// Proves that the lint rule enforcing ARCHITECTURE.md's layering would catch a crossing import: a pure stage
// importing the disk, the network, an input or an output fails, and allowed imports pass. `npm test` runs the
// lint over the real tree; this test makes sure that lint cannot be silently toothless.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const config = (await import(path.join(repo, 'eslint.config.mjs'))) as { default: Linter.Config[] };
const layerConfigs = config.default.filter((c) => c.rules?.['no-restricted-imports'] !== undefined);

function errorsFor(file: string, code: string): string[] {
  const linter = new Linter({ cwd: repo });
  const messages = linter.verify(
    code,
    [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser as Linter.Parser } }, ...layerConfigs],
    path.join(repo, file),
  );
  return messages.map((m) => m.message);
}

describe('layering lint', () => {
  it('has a rule for every stage folder under src/', () => {
    const stages = readdirSync(path.join(repo, 'src')).filter((n) =>
      statSync(path.join(repo, 'src', n)).isDirectory(),
    );
    for (const must of ['framing', 'parsers', 'normalize', 'enrich', 'detect', 'inputs', 'outputs']) {
      assert.ok(stages.includes(must), `src/${must} exists`);
      assert.ok(
        layerConfigs.some((c) => c.files?.some((f) => typeof f === 'string' && f.startsWith(`src/${must}/`))),
        `src/${must} has a layering rule`,
      );
    }
  });

  for (const stage of ['framing', 'parsers', 'normalize', 'enrich', 'detect']) {
    it(`rejects disk, network and output imports in src/${stage}`, () => {
      const errs = errorsFor(
        `src/${stage}/probe/probe.ts`,
        "import { readFileSync } from 'node:fs';\nimport http from 'node:http';\nimport { FileOutput } from '../../outputs/file/file-output.js';\nexport const x = [readFileSync, http, FileOutput];\n",
      );
      assert.equal(errs.length, 3, errs.join('\n'));
      assert.ok(
        errs.some((e) => e.includes('must not import src/outputs')),
        "errs.some((e) => e.includes('must not import src/outputs'))",
      );
    });
  }

  it('rejects parsers in outputs and outputs in inputs', () => {
    assert.equal(
      errorsFor(
        'src/outputs/x/y.ts',
        "import { a } from '../../parsers/iis/iis-parser.js';\nexport const b = a;\n",
      ).length,
      1,
    );
    assert.equal(
      errorsFor(
        'src/inputs/y.ts',
        "import { a } from '../outputs/file/file-output.js';\nexport const b = a;\n",
      ).length,
      1,
    );
  });

  it('allows stages to import the pipeline contracts', () => {
    assert.deepEqual(
      errorsFor(
        'src/parsers/iis/x.ts',
        "import type { SourceRecord } from '../../pipeline/record.types.js';\nexport type R = SourceRecord;\n",
      ),
      [],
    );
  });
});
