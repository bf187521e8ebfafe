// Golden files for the EAS formats: every input under test/golden/eas/<format>/ is framed, run through
// FileProcessor with the format's definition and defaultEnrichers, and compared with `<input>.expected.json`
// (documents with their ids, and dead letters). Regenerate with UPDATE_GOLDEN=1 and review the diff.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { RecordSource, SourceRecord } from '../../../src/pipeline/record.types.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { GOLDEN_DIR, GOLDEN_SETS, type GoldenSet } from './golden-sets.js';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

export interface GoldenResult {
  readonly records: number;
  readonly documents: unknown[];
  readonly deadLetters: unknown[];
}

export function runGolden(set: GoldenSet, file: string): GoldenResult {
  const full = path.join(GOLDEN_DIR, set.dir, file);
  const source: RecordSource = {
    inputId: 'golden',
    path: `test/golden/eas/${set.dir}/${file}`,
    fingerprint: 'golden',
  };
  const records: SourceRecord[] = set.frame(readFileSync(full), source);
  const proc = new FileProcessor(set.format as FormatDefinition, set.context(source), {
    enrichers: defaultEnrichers,
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  });
  const documents: unknown[] = [];
  const deadLetters: unknown[] = [];
  for (const r of records) {
    const res = proc.process(r);
    for (const d of res.documents) documents.push(d);
    if (res.deadLetter) {
      const { code, reason, offset, line } = res.deadLetter;
      deadLetters.push({ code, reason, offset, line });
    }
  }
  return { records: records.length, documents, deadLetters };
}

for (const set of GOLDEN_SETS) {
  describe(`golden ${set.dir}`, () => {
    const dir = path.join(GOLDEN_DIR, set.dir);
    const inputs = readdirSync(dir).filter((f) => !f.endsWith('.expected.json') && f !== 'SOURCES.md');
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
    }
  });
}
