// Golden files for the EAS formats: every input under test/golden/eas/<format>/ is framed, run through
// FileProcessor with the format's definition and defaultEnrichers, and compared with `<input>.expected.json`
// (documents with their ids, and dead letters). Regenerate with UPDATE_GOLDEN=1 and review the diff.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GOLDEN_DIR, GOLDEN_SETS, goldenInputs, runGolden, runGoldenTexts } from './golden-sets.js';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

for (const set of GOLDEN_SETS) {
  describe(`golden ${set.dir}`, () => {
    const dir = path.join(GOLDEN_DIR, set.dir);
    const inputs = goldenInputs(set);
    it('has golden inputs', () => assert.ok(inputs.length > 0));
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
      // Issue 16: a format that writes its documents as JSON itself (IIS) must send the same bytes as the
      // object path's JSON.stringify, document for document; the object path is checked against the golden
      // file just above (the run with the JSON path only differs in `json`).
      it(`${file}: the JSON path sends the object path's bytes`, () => {
        const fused = runGoldenTexts(set, file, true);
        const plain = runGoldenTexts(set, file, false);
        assert.equal(plain.written, 0);
        if (set.format.normalizeJson !== undefined) assert.ok(fused.written > 0, 'the JSON path was used');
        assert.deepEqual(fused.documents, plain.documents);
        assert.equal(fused.texts.length, plain.texts.length);
        for (let i = 0; i < fused.texts.length; i++)
          assert.equal(fused.texts[i], plain.texts[i], `document ${i}`);
      });
    }
  });
}
