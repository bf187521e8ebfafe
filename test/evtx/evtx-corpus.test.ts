// The EVTX reader over every file of ../shared/corpus/evtx/ (skipped with a reason when it is absent):
// - no exception, and record counts equal to libevtx `evtxexport` and the Rust crate's expectations, as
//   recorded in test/fixtures/evtx/expected-counts.json by generate-expected-counts.ts (CI has no libevtx);
// - the three Windows-made pairs (ts-evtx-fixtures/X.evtx + X.xml): record id, event id, provider, channel,
//   computer, time and every <Data> value agree with Windows' own XML export for every event.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CORPUS, FIXTURES, corpusPresent, frame } from './evtx-helpers.js';
import { readWindowsXml } from './windows-xml.js';

interface Expected {
  libevtxExport: number | null;
  libevtxExportError?: string;
  libevtxInfo: number | null;
  rust?: { ok: number; errors?: number };
  ours: { ok: number; errors: number };
  oursNoResync: { ok: number; errors: number };
  note?: string;
}

const expected = (
  JSON.parse(readFileSync(path.join(FIXTURES, 'expected-counts.json'), 'utf8')) as {
    files: Record<string, Expected>;
  }
).files;

const SKIP = corpusPresent ? false : '../shared/corpus/evtx absent';
if (SKIP !== false) console.log(`# skipping EVTX corpus tests: ${SKIP}`);

describe('every corpus file', { skip: SKIP }, () => {
  for (const [rel, exp] of Object.entries(expected)) {
    test(rel, () => {
      const buf = readFileSync(path.join(CORPUS, rel));
      const def = frame(buf, { renderXml: false });
      const peerLike = frame(buf, { renderXml: false, resyncAfterDamage: false });
      assert.deepEqual({ ok: def.events.length, errors: def.errors.length }, exp.ours);
      assert.deepEqual({ ok: peerLike.events.length, errors: peerLike.errors.length }, exp.oursNoResync);

      // Against libevtx, wherever it reads the file without error. Every deviation is explained in the
      // fixture: resync (default) reads past damage where libevtx abandons the chunk, and the partial last
      // chunk of a truncated copy is read; with resync off, only that partial chunk differs.
      if (exp.libevtxExport !== null) {
        if (exp.note === undefined) assert.equal(def.events.length, exp.libevtxExport);
        else if (!rel.endsWith('System2.evtx')) assert.equal(peerLike.events.length, exp.libevtxExport);
        else assert.ok(def.events.length > exp.libevtxExport, 'def.events.length > exp.libevtxExport');
      } else {
        // Files libevtx cannot export (template-less records, embedded BinXml): evtxinfo still counts them.
        assert.equal(def.events.length, exp.libevtxInfo);
      }
      // Against the Rust crate's expected counts (evtx.md 3.3); torn records, which it emits and we
      // dead-letter, are the documented exception.
      if (exp.rust !== undefined) {
        if (exp.note === undefined) assert.equal(def.events.length, exp.rust.ok);
        else if (exp.note.includes('torn')) assert.equal(def.events.length + def.errors.length, exp.rust.ok);
        else assert.equal(peerLike.events.length, exp.rust.ok);
      }

      // Record ids are unique per channel within a file (a file can hold two logs, e.g. PrintService Admin and
      // Operational): recovered records are not duplicates or slack copies.
      const ids = new Set(def.events.map((e) => `${e.channel}\u0001${e.recordId}`));
      assert.equal(ids.size, def.events.length);
      for (const r of def.records) {
        assert.ok(
          r.endOffset > r.offset && r.endOffset <= buf.length,
          `${rel}: record range ${r.offset}-${r.endOffset}`,
        );
      }
    });
  }
});

describe('Windows ground truth (Event Viewer XML export of the same log)', { skip: SKIP }, () => {
  for (const name of ['Application', 'Security', 'System']) {
    test(`${name}: every event agrees on ids, provider, channel, computer, time and <Data>`, () => {
      const dir = path.join(CORPUS, 'ts-evtx-fixtures');
      const truth = readWindowsXml(readFileSync(path.join(dir, `${name}.xml`), 'utf8'));
      const { events, errors } = frame(readFileSync(path.join(dir, `${name}.evtx`)), { renderXml: false });
      assert.deepEqual(errors, []);
      assert.equal(events.length, truth.length);
      const byId = new Map(events.map((e) => [e.recordId, e]));
      const disagreements: string[] = [];
      for (const t of truth) {
        const e = byId.get(t.recordId);
        if (e === undefined) {
          disagreements.push(`${t.recordId}: missing`);
          continue;
        }
        const ours = [String(e.eventId), e.provider.name, e.channel ?? '', e.computer ?? '', e.timeCreated];
        const theirs = [t.eventId, t.provider, t.channel, t.computer, t.time];
        if (ours.join('\u0001') !== theirs.join('\u0001'))
          disagreements.push(`${t.recordId}: ${ours.join(',')} vs ${theirs.join(',')}`);
        // XML parsers normalise CRLF to LF (XML 1.0 section 2.11); the file itself carries CRLF.
        const data = e.eventData.map((d) => d.value.replace(/\r\n?/g, '\n'));
        if (data.length !== t.data.length)
          disagreements.push(`${t.recordId}: ${data.length} Data vs ${t.data.length}`);
        else
          data.forEach(
            (v, i) => v !== t.data[i] && disagreements.push(`${t.recordId} Data[${i}]: ${v} vs ${t.data[i]}`),
          );
      }
      assert.deepEqual(disagreements.slice(0, 10), []);
    });
  }
});
