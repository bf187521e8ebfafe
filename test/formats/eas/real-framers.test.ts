// The golden files hold under the agent's own framers too: each golden input is framed by src/framing (the
// framer the input picks by the format's `framing`), fed in small chunks, and must give exactly the documents and
// dead letters of its expected file.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { createFramer } from '../../../src/framing/index.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { RecordSource } from '../../../src/pipeline/record.types.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { testAgentStamp } from '../../helpers/agent-metadata.js';
import { GOLDEN_DIR, GOLDEN_SETS, goldenInputs } from './golden-sets.js';

describe('EAS golden files under the src/framing framers', () => {
  for (const set of GOLDEN_SETS) {
    for (const file of goldenInputs(set)) {
      it(`${set.dir}/${file}`, () => {
        const buf = readFileSync(path.join(GOLDEN_DIR, set.dir, file));
        const source: RecordSource = {
          inputId: 'golden',
          path: `test/golden/eas/${set.dir}/${file}`,
          fingerprint: 'golden',
        };
        const framer = createFramer(set.format.framing, {
          startOffset: 0,
          encoding: 'utf8',
          maxRecordBytes: 1024 * 1024,
        });
        const framed = [];
        for (let i = 0; i < buf.length; i += 97) framed.push(...framer.push(buf.subarray(i, i + 97)));
        framed.push(...framer.end());
        const proc = new FileProcessor(set.format as FormatDefinition, set.context(source), {
          enrichers: [...defaultEnrichers, testAgentStamp],
          now: () => new Date('2026-01-01T00:00:00.000Z'),
        });
        const documents: unknown[] = [];
        const deadLetters: unknown[] = [];
        for (const f of framed) {
          assert.equal(f.error, undefined, `framing error at ${f.offset}`);
          const res = proc.process({
            source,
            offset: f.offset,
            endOffset: f.endOffset,
            text: f.text,
            ...(f.line !== undefined ? { line: f.line } : {}),
          });
          documents.push(...res.documents);
          if (res.deadLetter) {
            const { code, reason, offset, line } = res.deadLetter;
            deadLetters.push({ code, reason, offset, line });
          }
        }
        const expected = JSON.parse(
          readFileSync(path.join(GOLDEN_DIR, set.dir, `${file}.expected.json`), 'utf8'),
        );
        assert.deepEqual(JSON.parse(JSON.stringify(documents)), expected.documents);
        assert.deepEqual(deadLetters, expected.deadLetters);
      });
    }
  }
});
