// The CSV forms keep their header as parser state: after a restart the input restores the snapshot taken with
// the checkpoint and resumes mid-file, and rows must still be read by the right columns.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { windowsFormats } from '../../../src/normalize/formats/windows.formats.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import { GOLDEN_DIR, at, contextFor, frame } from './windows-harness.js';

for (const [file, formatName, timezone] of [
  ['exchange-4999.powershell51.csv', 'powershell-csv', 'America/New_York'],
  ['security-audit.eventviewer.csv', 'eventviewer-csv', 'America/New_York'],
] as const) {
  it(`${formatName}: a parser restored from a snapshot reads the rows after the header as before`, () => {
    const format = windowsFormats.find((f) => f.name === formatName)!;
    const ctx = contextFor(file, timezone);
    const records = frame(readFileSync(path.join(GOLDEN_DIR, file)), format).map((r) => ({
      source: ctx.source,
      offset: r.offset,
      endOffset: r.endOffset,
      text: r.text,
    }));
    const headerCount = formatName === 'powershell-csv' ? 2 : 1; // #TYPE line + header, or header only
    const first = new FileProcessor(format, ctx, { enrichers: [] });
    for (const r of records.slice(0, headerCount)) assert.equal(first.process(r).documents.length, 0);
    const state = JSON.parse(JSON.stringify(first.snapshot())) as unknown; // as stored in the registry

    const resumed = new FileProcessor(format, ctx, { enrichers: [] });
    resumed.restore(state);
    const fresh = new FileProcessor(format, ctx, { enrichers: [] });
    for (const r of records.slice(0, headerCount)) fresh.process(r);
    for (const r of records.slice(headerCount)) {
      const a = resumed.process(r);
      const b = fresh.process(r);
      assert.equal(a.deadLetter, undefined);
      assert.deepEqual(a.documents, b.documents);
      assert.equal(typeof at(a.documents[0]?.doc, 'event.code'), 'string');
    }

    const blank = new FileProcessor(format, ctx, { enrichers: [] });
    const row = blank.process(records[headerCount]!);
    if (formatName === 'powershell-csv') assert.equal(row.deadLetter?.code, 'powershell-csv.no_header');
  });
}
