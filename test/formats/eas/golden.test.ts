// Golden files for the EAS formats: every input under test/golden/eas/<format>/ is framed, run through
// FileProcessor with the format's definition and defaultEnrichers, and compared with `<input>.expected.json`
// (documents with their ids, and dead letters). Regenerate with UPDATE_GOLDEN=1 and review the diff.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GOLDEN_DIR, GOLDEN_SETS, goldenInputs, runGolden } from './golden-sets.js';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

for (const set of GOLDEN_SETS) {
  describe(`golden ${set.dir}`, () => {
    const dir = path.join(GOLDEN_DIR, set.dir);
    const inputs = goldenInputs(set);
    it('has golden inputs', () => assert.ok(inputs.length > 0, 'inputs.length > 0'));
    for (const file of inputs) {
      it(`${file} matches its expected ECS output`, () => {
        const got = runGolden(set, file);
        const expectedPath = path.join(dir, `${file}.expected.json`);
        const json = `${JSON.stringify(got, null, 2)}\n`;
        if (UPDATE || !existsSync(expectedPath)) {
          if (!UPDATE) assert.fail(`${expectedPath} missing: run with UPDATE_GOLDEN=1 and review it`);
          writeFileSync(expectedPath, json);
          return;
        }
        assert.deepEqual(JSON.parse(json), JSON.parse(readFileSync(expectedPath, 'utf8')));
      });
    }
  });
}
