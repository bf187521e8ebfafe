import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DiskIo } from '../disk/disk-io.js';
import { nodeDiskIo } from '../disk/disk-io.js';
import { MAX_SEGMENT_BYTES, parseSegment, Spool } from './spool.js';
import type { SegmentReader } from './spool.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const item = (id: string): string =>
  `{"create":{"_index":"logs-exchange.activesync-default","_id":"${id}"}}\n{"@timestamp":"2013-09-19T14:02:12Z"}\n`;

function readAll(r: SegmentReader, slice = 1 << 20): string {
  let text = '';
  for (let s = r.next(slice); s; s = r.next(slice)) text += s.text;
  r.close();
  return text;
}

describe('disk spool', () => {
  it('keeps segments across instances, oldest first, and deletes torn .tmp files at start', () => {
    const dir = tempDir('casguard-spool-');
    const a = new Spool({ dir, maxBytes: 1e6, whenFull: 'pause' });
    assert.equal(a.append(item('a') + item('b'), 2).ok, true);
    assert.equal(a.append(item('c'), 1).ok, true);
    writeFileSync(path.join(dir, 'seg-000000000009-5.ndjson.tmp'), 'torn');
    const b = new Spool({ dir, maxBytes: 1e6, whenFull: 'pause' });
    assert.equal(b.segmentCount, 2);
    assert.equal(b.documentCount, 3);
    assert.ok(
      !readdirSync(dir).some((n) => n.endsWith('.tmp')),
      "!readdirSync(dir).some((n) => n.endsWith('.tmp'))",
    );
    const first = b.takeOldest()!;
    assert.deepEqual(
      parseSegment(readAll(first.reader)).items.map((i) => i.id),
      ['a', 'b'],
    );
    const second = b.takeOldest()!;
    second.reader.close();
    assert.equal(b.takeOldest(), undefined, 'both are being sent');
    b.remove(first.segment);
    b.remove(second.segment);
    assert.equal(b.hasData, false);
    assert.equal(b.bytes, 0);
    // new segments continue the sequence after a restart
    b.append(item('d'), 1);
    assert.deepEqual(readdirSync(dir), ['seg-000000000003-1.ndjson']);
  });

  it('refuses a batch when full in pause mode, drops the oldest unsent in drop-oldest mode', () => {
    const size = Buffer.byteLength(item('a'));
    const dir = tempDir('casguard-spool-');
    const p = new Spool({ dir, maxBytes: size * 2, whenFull: 'pause' });
    assert.equal(p.append(item('a'), 1).ok, true);
    assert.equal(p.append(item('b'), 1).ok, true);
    assert.deepEqual(p.append(item('c'), 1), { ok: false, dropped: [] });

    const dir2 = tempDir('casguard-spool-');
    const d = new Spool({ dir: dir2, maxBytes: size * 2, whenFull: 'drop-oldest' });
    d.append(item('a'), 1);
    d.append(item('b'), 1);
    const r = d.append(item('c'), 1);
    assert.deepEqual(r, { ok: true, dropped: [{ documents: 1, segment: 'seg-000000000001-1.ndjson' }] });
    assert.deepEqual(
      parseSegment(readAll(d.takeOldest()!.reader)).items.map((i) => i.id),
      ['b'],
    );
  });

  it('writes a body larger than maxSegmentBytes as several segments, cut between items', () => {
    const dir = tempDir('casguard-spool-');
    const max = 64 * 1024;
    assert.ok(MAX_SEGMENT_BYTES >= 5 * 1024 * 1024, 'the default holds a default batch whole');
    const sp = new Spool({ dir, maxBytes: 1e9, whenFull: 'pause', maxSegmentBytes: max });
    const one = item('x'.repeat(40)).replace('"2013', `"${'p'.repeat(4000)}2013`);
    const n = Math.ceil((max * 2.5) / Buffer.byteLength(one));
    sp.append(Buffer.from(one.repeat(n)), n);
    const names = readdirSync(dir).sort();
    assert.equal(names.length, 3);
    let docs = 0;
    for (const name of names) {
      const m = /^seg-\d{12}-(\d+)\.ndjson$/.exec(name)!;
      docs += Number(m[1]);
      const taken = sp.takeOldest()!;
      assert.ok(taken.segment.bytes <= max, 'taken.segment.bytes <= max');
      const { items, damaged } = parseSegment(readAll(taken.reader));
      assert.equal(items.length, Number(m[1]), `${name} holds whole items`);
      assert.deepEqual(damaged, []);
    }
    assert.equal(docs, n);
  });

  it('reads a segment in slices of whole lines, never as one string', () => {
    const dir = tempDir('casguard-spool-');
    const body = Array.from({ length: 1000 }, (_, i) => item(`i${i}`)).join('');
    writeFileSync(path.join(dir, 'seg-000000000001-1000.ndjson'), body);
    const sp = new Spool({ dir, maxBytes: 1e9, whenFull: 'pause' });
    const r = sp.takeOldest()!.reader;
    const slices: string[] = [];
    for (let s = r.next(4096); s; s = r.next(4096)) slices.push(s.text);
    r.close();
    assert.ok(slices.length > 10, 'slices.length > 10');
    assert.ok(
      slices.every((s) => s.endsWith('\n') && Buffer.byteLength(s) <= 4096),
      "slices.every((s) => s.endsWith('\\n') && Buffer.byteLength(s) <= 4096)",
    );
    assert.equal(slices.join(''), body);
  });

  it('sets aside a segment that cannot be read (a folder under its name, EACCES) instead of throwing', () => {
    const dir = tempDir('casguard-spool-');
    mkdirSync(path.join(dir, 'seg-000000000001-46000.ndjson'));
    writeFileSync(path.join(dir, 'seg-000000000002-1.ndjson'), item('locked'));
    writeFileSync(path.join(dir, 'seg-000000000003-1.ndjson'), item('ok'));
    // root ignores file modes, so EACCES comes from an injected open, as Node would throw it
    const io: DiskIo = {
      ...nodeDiskIo,
      openSync: (p, flags) => {
        if (p.endsWith('seg-000000000002-1.ndjson') && flags === 'r')
          throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), {
            errno: -13,
            code: 'EACCES',
            syscall: 'open',
          });
        return nodeDiskIo.openSync(p, flags);
      },
    };
    const sp = new Spool({ dir, maxBytes: 1e9, whenFull: 'pause', io });
    assert.deepEqual(
      sp.takeSetAside().map((s) => [s.segment, s.documents, s.code]),
      [['seg-000000000001-46000.ndjson', 46000, 'EISDIR']],
    );
    const taken = sp.takeOldest()!;
    assert.equal(path.basename(taken.segment.file), 'seg-000000000003-1.ndjson');
    assert.deepEqual(
      sp.takeSetAside().map((s) => [s.segment, s.code]),
      [['seg-000000000002-1.ndjson', 'EACCES']],
    );
    taken.reader.close();
    assert.deepEqual(readdirSync(path.join(dir, 'set-aside')).sort(), [
      'seg-000000000001-46000.ndjson',
      'seg-000000000002-1.ndjson',
    ]);
    // a restart no longer sees them
    assert.equal(new Spool({ dir, maxBytes: 1e9, whenFull: 'pause' }).segmentCount, 1);
  });
});
