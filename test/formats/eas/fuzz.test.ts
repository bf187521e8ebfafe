// Fuzzing the EAS formats: the golden inputs are mutated (byte flips, inserted separators and control bytes,
// cut and duplicated ranges, truncation, long repeats) 10,000+ times with a seeded PRNG and run through
// FileProcessor. Nothing may escape: no exception out of parse/normalize/enrich (which the processor would report
// as `<format>.internal_error`), and every document produced must still carry only ECS / declared fields with
// the right types (so a mutated record can never produce a document Elasticsearch rejects).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import { activeRedactor } from '../../../src/pipeline/redact.js';
import type { RecordSource, SourceRecord } from '../../../src/pipeline/record.types.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { checkDocument } from './ecs-check.js';
import { GOLDEN_DIR, GOLDEN_SETS, goldenInputs } from './golden-sets.js';
import { mulberry32 } from '../../helpers/prng.js';

const ITERATIONS = Number(process.env['EAS_FUZZ_ITERATIONS'] ?? 10_500);
const SEED = Number(process.env['EAS_FUZZ_SEED'] ?? 2851708);

const PIECES = [
  ' ',
  ',',
  '"',
  '_',
  ':',
  '%',
  '%zz',
  '&',
  '=',
  '?',
  '#',
  '#Fields: date time',
  '\r\n',
  '\n',
  '\t',
  '\u0000',
  '\ufffd',
  '\u00e9',
  '😀',
  '<',
  '>',
  '</Provision>',
  '<Body=12 bytes/>',
  '&lol;',
  '-----------------',
  ' Log Entry: 7',
  'RequestTime : ',
  'Exception type: X',
  'at A.B()',
  'S110',
  'Error:',
  'Hb',
  '9999999999999999999',
  '-',
  '+',
  'Apple-iPad2C2/1101.465',
  '15.0.620.29',
  '\\',
  '@',
  '2013-02-30',
  '25:61:61',
];

function mutate(text: string, rnd: () => number): string {
  const pos = (): number => Math.floor(rnd() * (text.length + 1));
  const ops = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < ops; k++) {
    const op = Math.floor(rnd() * 8);
    const p = pos();
    switch (op) {
      case 0: // replace one character with a random code unit
        text = text.slice(0, p) + String.fromCharCode(Math.floor(rnd() * 0x3000)) + text.slice(p + 1);
        break;
      case 1: // insert a meaningful piece
        text = text.slice(0, p) + PIECES[Math.floor(rnd() * PIECES.length)]! + text.slice(p);
        break;
      case 2: // delete a range
        text = text.slice(0, p) + text.slice(p + Math.floor(rnd() * 40));
        break;
      case 3: // duplicate a range
        text = text.slice(0, p) + text.slice(p, p + Math.floor(rnd() * 60)) + text.slice(p);
        break;
      case 4: // truncate
        text = text.slice(0, p);
        break;
      case 5: // swap two halves
        text = text.slice(p) + text.slice(0, p);
        break;
      case 6: // long repeat
        text = text.slice(0, p) + 'A'.repeat(Math.floor(rnd() * 5000)) + text.slice(p);
        break;
      default: // random bytes decoded as UTF-8
        text =
          text.slice(0, p) +
          Buffer.from(
            Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256)),
          ).toString('utf8') +
          text.slice(p);
    }
  }
  return text;
}

interface Corpus {
  readonly set: (typeof GOLDEN_SETS)[number];
  readonly file: string;
  readonly records: SourceRecord[];
}

describe('EAS formats under fuzzing', () => {
  it(`survive ${ITERATIONS} mutated golden inputs without an escape`, () => {
    const corpora: Corpus[] = [];
    for (const set of GOLDEN_SETS) {
      for (const file of goldenInputs(set)) {
        const source: RecordSource = { inputId: 'fuzz', path: `${set.dir}/${file}`, fingerprint: 'fuzz' };
        corpora.push({
          set,
          file,
          records: set.frame(readFileSync(path.join(GOLDEN_DIR, set.dir, file)), source),
        });
      }
    }
    const rnd = mulberry32(SEED);
    let records = 0;
    let documents = 0;
    let deadLetters = 0;
    for (let iter = 0; iter < ITERATIONS; iter++) {
      const c = corpora[iter % corpora.length]!;
      if (c.records.length === 0) continue;
      const proc = new FileProcessor(c.set.format as FormatDefinition, c.set.context(c.records[0]!.source), {
        enrichers: defaultEnrichers,
        now: () => new Date(0),
      });
      const victim = Math.floor(rnd() * c.records.length);
      for (let r = 0; r < c.records.length; r++) {
        const rec = c.records[r]!;
        const text = r === victim || rnd() < 0.1 ? mutate(rec.text, rnd) : rec.text;
        // The hot path (rules on the lines around triggers) must redact exactly what every rule over the
        // whole text redacts.
        const red = activeRedactor();
        assert.equal(red.text(text), red.textFull(text), `ranged redaction differs at iteration ${iter}`);
        const res = proc.process({ ...rec, text });
        records++;
        if (res.deadLetter) {
          deadLetters++;
          assert.ok(
            !res.deadLetter.code.endsWith('.internal_error'),
            `escape (seed ${SEED}, iteration ${iter}, ${c.set.dir}/${c.file} record ${r}): ${res.deadLetter.reason}`,
          );
          assert.ok(res.deadLetter.reason.includes(`offset ${rec.offset}`), 'dead letter names the offset');
        }
        for (const d of res.documents) {
          documents++;
          const problems = checkDocument(d.doc as Record<string, unknown>);
          assert.deepEqual(problems, [], `iteration ${iter}, ${c.set.dir}/${c.file} record ${r}`);
        }
      }
    }
    console.log(
      `fuzz: ${ITERATIONS} iterations, ${records} records, ${documents} documents, ${deadLetters} dead letters`,
    );
    assert.ok(documents > 0 && deadLetters > 0, 'documents > 0 && deadLetters > 0');
  });
});
