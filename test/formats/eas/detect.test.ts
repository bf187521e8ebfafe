// `format: auto`: every EAS golden input is recognised by its own format, more confidently than by the other two.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GOLDEN_DIR, GOLDEN_SETS, goldenInputs } from './golden-sets.js';

const formats = GOLDEN_SETS.map((s) => s.format);

describe('EAS format detection', () => {
  for (const set of GOLDEN_SETS) {
    for (const file of goldenInputs(set)) {
      if (file.includes('malformed')) continue;
      it(`${set.dir}/${file} is recognised as ${set.format.name}`, () => {
        const head = readFileSync(path.join(GOLDEN_DIR, set.dir, file), 'utf8').slice(0, 4096);
        const scores = formats.map((f) => [f.name, f.detect(head, file)] as const);
        const best = scores.reduce((a, b) => (b[1] > a[1] ? b : a));
        assert.equal(best[0], set.format.name, JSON.stringify(scores));
        assert.ok(best[1] >= 0.5, JSON.stringify(scores));
      });
    }
  }
  it('claims nothing for unrelated text', () => {
    for (const f of formats) assert.equal(f.detect('hello world\n', 'notes.txt'), 0, f.name);
  });
});
