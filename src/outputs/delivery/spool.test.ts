import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSegment, Spool } from './spool.js';

const item = (id: string): string =>
  `{"create":{"_index":"logs-exchange.activesync-default","_id":"${id}"}}\n{"@timestamp":"2013-09-19T14:02:12Z"}\n`;

describe('disk spool', () => {
  it('keeps segments across instances, oldest first, and deletes torn .tmp files at start', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'casguard-spool-'));
    const a = new Spool({ dir, maxBytes: 1e6, whenFull: 'pause' });
    assert.equal(a.append(item('a') + item('b'), 2).ok, true);
    assert.equal(a.append(item('c'), 1).ok, true);
    writeFileSync(path.join(dir, 'seg-000000000009-5.ndjson.tmp'), 'torn');
    const b = new Spool({ dir, maxBytes: 1e6, whenFull: 'pause' });
    assert.equal(b.segmentCount, 2);
    assert.equal(b.documentCount, 3);
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')));
    const first = b.takeOldest()!;
    assert.deepEqual(
      parseSegment(first.body).items.map((i) => i.id),
      ['a', 'b'],
    );
    const second = b.takeOldest()!;
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
    const dir = mkdtempSync(path.join(tmpdir(), 'casguard-spool-'));
    const p = new Spool({ dir, maxBytes: size * 2, whenFull: 'pause' });
    assert.equal(p.append(item('a'), 1).ok, true);
    assert.equal(p.append(item('b'), 1).ok, true);
    assert.deepEqual(p.append(item('c'), 1), { ok: false, dropped: [] });

    const dir2 = mkdtempSync(path.join(tmpdir(), 'casguard-spool-'));
    const d = new Spool({ dir: dir2, maxBytes: size * 2, whenFull: 'drop-oldest' });
    d.append(item('a'), 1);
    d.append(item('b'), 1);
    const r = d.append(item('c'), 1);
    assert.deepEqual(r, { ok: true, dropped: [{ documents: 1, segment: 'seg-000000000001-1.ndjson' }] });
    assert.deepEqual(
      parseSegment(d.takeOldest()!.body).items.map((i) => i.id),
      ['b'],
    );
  });

  it('reports unreadable items of a damaged segment instead of throwing', () => {
    const { items, bad } = parseSegment(
      item('a') + '{"create":\n{}\n' + '{"delete":{"_index":"x","_id":"y"}}\n{}\n',
    );
    assert.deepEqual(
      items.map((i) => i.id),
      ['a'],
    );
    assert.equal(bad.length, 2);
  });
});
