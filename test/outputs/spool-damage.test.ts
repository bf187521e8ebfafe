// Issue 19 finding 6, through the Elasticsearch output and the test server: a spool left with damaged and
// unreadable segments. The old output crashed at every start on a folder named like a segment (46,000
// documents stuck), lost half a cut segment without a word, reported a zero-filled one as "1 unreadable item"
// and turned an inserted newline into 1,995 dead letters that could not be re-sent; a 600 MB segment crashed it
// with "string longer than". Now every readable document is delivered, every loss is counted and reported, the
// damaged bytes are dead letters (a few runs, not one per line), and unreadable segments are set aside.

import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  writeFileSync,
  writeSync,
  ftruncateSync,
} from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import { spoolDir } from '../../src/outputs/elasticsearch/elasticsearch-output.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import type { RecordedLine } from '../../src/telemetry/logger.types.js';
import { metricsRegistry, resetMetrics } from '../../src/telemetry/metrics.js';
import { makeDoc, openSink, readLetters, tempDir } from './helpers.js';

/** The bulk lines of documents `from`..`to` with the given id prefix, as the output spools them. */
function segmentBody(from: number, to: number, prefix: string): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const d = makeDoc(i, prefix);
    out += `${JSON.stringify({ [d.op]: { _index: targetName(d.stream, 'default'), _id: d.id } })}\n`;
    out += `${JSON.stringify(d.doc)}\n`;
  }
  return out;
}

function storedIds(es: EsTestServer): Set<string> {
  const ids = new Set<string>();
  for (const s of ['activesync', 'application', 'alerts'] as const)
    for (const id of es.docs(targetName(s, 'default')).keys()) ids.add(id);
  return ids;
}

const seg = (seq: number, docs: number): string => `seg-${String(seq).padStart(12, '0')}-${docs}.ndjson`;

describe('a damaged spool', () => {
  it('delivers what every segment still holds, counts and reports each loss, sets unreadable ones aside', async (t) => {
    resetMetrics();
    const es = await startEsTestServer();
    t.after(() => es.stop());
    const dataDir = tempDir();
    const dir = spoolDir(dataDir);
    mkdirSync(dir, { recursive: true });
    // 1: a folder under a segment's name (EISDIR)
    mkdirSync(path.join(dir, seg(1, 46000)));
    // 2: cut in half
    const cut = segmentBody(0, 2000, 'cut');
    writeFileSync(path.join(dir, seg(2, 2000)), cut.slice(0, Math.floor(cut.length / 2)));
    // 3: a 16 KiB zero-filled region in the middle
    const zero = Buffer.from(segmentBody(0, 2000, 'zero'));
    zero.fill(0, Math.floor(zero.length / 2), Math.floor(zero.length / 2) + 16 * 1024);
    writeFileSync(path.join(dir, seg(3, 2000)), zero);
    // 4: a newline inserted into a document
    const nl = segmentBody(0, 2000, 'nl');
    const at = nl.indexOf('document 3 ') + 5;
    writeFileSync(path.join(dir, seg(4, 2000)), `${nl.slice(0, at)}\n${nl.slice(at)}`);
    // 5: 600 MB (sparse: whole items at both ends, zeros between; no disk space used)
    const head = segmentBody(0, 100, 'bighead');
    const tail = segmentBody(0, 100, 'bigtail');
    const big = path.join(dir, seg(5, 200));
    const fd = openSync(big, 'w');
    writeSync(fd, head);
    ftruncateSync(fd, 600 * 1024 * 1024);
    writeSync(fd, tail, 600 * 1024 * 1024);
    closeSync(fd);

    const lines: RecordedLine[] = [];
    const h = openSink(es.url, { maxBatchDocs: 500 }, { dataDir, logger: recordingLogger(lines) });
    await h.sink.idle();
    await h.sink.close();

    const stored = storedIds(es);
    const count = (p: string): number => [...stored].filter((id) => id.startsWith(p)).length;
    assert.equal(count('nl'), 2000, 'an inserted newline costs nothing');
    assert.ok(count('cut') >= 990 && count('cut') < 1010, `${count('cut')} of the cut segment`);
    assert.ok(count('zero') > 1900 && count('zero') < 2000, `${count('zero')} around the zeros`);
    assert.equal(count('bighead') + count('bigtail'), 200, 'the 600 MB segment is read in slices');

    const setAside = lines.filter((l) => /set aside/.test(l.message));
    assert.equal(setAside.length, 1);
    assert.equal(setAside[0]!.meta['documents'], 46000);
    assert.equal(setAside[0]!.meta['code'], 'EISDIR');
    assert.ok(
      readdirSync(path.join(dir, 'set-aside')).includes(seg(1, 46000)),
      "readdirSync(path.join(dir, 'set-aside')).includes(seg(1, 46000))",
    );

    const damaged = lines.filter((l) => /spool segment was damaged/.test(l.message));
    const lost = new Map(damaged.map((l) => [path.basename(l.meta['segment'] as string), l.meta]));
    assert.equal(lost.get(seg(2, 2000))?.['lostDocuments'], 2000 - count('cut'));
    assert.equal(lost.get(seg(3, 2000))?.['lostDocuments'], 2000 - count('zero'));
    assert.ok(
      (lost.get(seg(3, 2000))?.['damagedBytes'] as number) >= 16 * 1024,
      "(lost.get(seg(3, 2000))?.['damagedBytes'] as number) >= 16 * 1024",
    );
    assert.ok(!lost.has(seg(4, 2000)), 'nothing lost in the segment with the inserted newline');
    assert.ok(
      (lost.get(seg(5, 200))?.['damagedBytes'] as number) > 500 * 1024 * 1024,
      "(lost.get(seg(5, 200))?.['damagedBytes'] as number) > 500 * 1024 * 1024",
    );
    const metrics = await metricsRegistry().metrics();
    const total = 46000 + (2000 - count('cut')) + (2000 - count('zero'));
    assert.match(
      metrics,
      new RegExp(`casguard_es_spool_documents_lost_total\\{output="elasticsearch"\\} ${total}`),
    );

    const letters = await readLetters(h.deadLetterDir);
    assert.ok(
      letters.every((l) => l.code === 'spool.damaged'),
      "letters.every((l) => l.code === 'spool.damaged')",
    );
    assert.ok(letters.length <= 4, `${letters.length} dead letters: one per damaged run`);
    assert.deepEqual(readdirSync(dir).sort(), ['set-aside'], 'every readable segment was drained');
  });
});
