// config/rules/*.yml is the source of truth of the built-in rule set; src/detect/builtin-rules.generated.ts
// embeds it so the agent needs no disk access for it. This test fails when they drift apart and regenerates the
// module with UPDATE_GOLDEN=1 (review the diff).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { readRuleSources } from '../../src/config/rules-loader.js';
import { builtinRules, renderBuiltinRulesModule } from '../../src/detect/builtin-rules.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const generated = path.join(root, 'src/detect/builtin-rules.generated.ts');

test('the generated built-in rule module matches config/rules', async () => {
  const sources = readRuleSources(path.join(root, 'config/rules')).map((s) => ({
    file: path.basename(s.file),
    text: s.text,
  }));
  // Formatted as the repository's prettier would, so `prettier --write` never makes the test fail.
  const options = (await resolveConfig(generated)) ?? {};
  const want = await format(renderBuiltinRulesModule(sources), { ...options, filepath: generated });
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(generated, want);
  assert.equal(readFileSync(generated, 'utf8'), want, 'run with UPDATE_GOLDEN=1 to regenerate');
});

test('the built-in set holds the five KB 2851708 rules', () => {
  const ids = builtinRules().map((r) => r.id);
  assert.deepEqual(ids, [
    'kb2851708-host-correlation',
    'kb2851708-provision-exception',
    'kb2851708-provision-storm',
    'kb2851708-vulnerable-host-ios7',
    'kb2851708-watson-hashcore',
  ]);
});
