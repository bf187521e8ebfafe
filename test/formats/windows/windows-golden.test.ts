// Golden files for every Windows event export form: each input in test/golden/windows/ sits next to its
// expected output (`<input>.expected.json`: shipped documents and dead letters). Regenerate with
// UPDATE_GOLDEN=1 and review the diff by eye.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { detectFormat } from '../../../src/normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../../../src/normalize/formats/index.js';
import { windowsFormats } from '../../../src/normalize/formats/windows.formats.js';
import { GOLDEN_CASES, GOLDEN_DIR, at, headOf, runFile } from './windows-harness.js';

const update = process.env['UPDATE_GOLDEN'] === '1';

describe('Windows export golden files', () => {
  for (const c of GOLDEN_CASES) {
    it(`${c.file} (${c.format}) matches its expected output`, () => {
      const format = windowsFormats.find((f) => f.name === c.format);
      assert.ok(format, `format ${c.format} exists`);
      const result = runFile(format, c.file, c.timezone);
      const actual = JSON.stringify(result, null, 2) + '\n';
      const expectedPath = path.join(GOLDEN_DIR, `${c.file}.expected.json`);
      if (update || !existsSync(expectedPath)) {
        writeFileSync(expectedPath, actual);
        if (!update) assert.fail(`wrote missing ${expectedPath}; review it and run again`);
        return;
      }
      assert.equal(actual, readFileSync(expectedPath, 'utf8'));
    });

    it(`${c.file} is recognised as ${c.format} by format: auto among all formats`, () => {
      const head = headOf(readFileSync(path.join(GOLDEN_DIR, c.file)));
      assert.equal(detectFormat(ALL_FORMATS, head, c.file)?.name, c.format);
    });
  }

  it('every Exchange golden file carries the KB 2851708 Watson signature where the event is the KB one', () => {
    for (const c of GOLDEN_CASES.filter((x) => x.file.startsWith('exchange-4999'))) {
      const format = windowsFormats.find((f) => f.name === c.format)!;
      const { documents, deadLetters } = runFile(format, c.file, c.timezone);
      assert.deepEqual(deadLetters, [], c.file);
      const kb = documents.filter(
        (d) =>
          at(d.doc, 'microsoft.exchange.watson.app') === 'AirSync' &&
          at(d.doc, 'microsoft.exchange.watson.component') === 'M.Exchange.Compliance' &&
          at(d.doc, 'microsoft.exchange.watson.method') ===
            'M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore' &&
          at(d.doc, 'microsoft.exchange.watson.exception') === 'System.ArgumentOutOfRangeException',
      );
      assert.equal(kb.length, 1, `${c.file}: one KB 2851708 Watson event`);
      assert.equal(kb[0]!.doc['@timestamp'], '2013-09-19T14:22:11.000Z', `${c.file}: UTC time`);
      assert.equal(at(kb[0]!.doc, 'microsoft.exchange.server.build'), '14.2.328.9', c.file);
      assert.equal(kb[0]!.stream, 'application');
    }
  });
});
