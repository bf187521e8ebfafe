import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentId } from '../pipeline/document-id.js';
import { RecentIds } from './recent-ids.js';

const ids = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => documentId('in', 'fp', from + i));

describe('RecentIds', () => {
  it('lists the latest `limit` ids, oldest first, as it evicts', () => {
    const r = new RecentIds(300);
    const all = ids(1000);
    for (const id of all) assert.equal(r.seen(id), false, 'nothing was restored: no id is a re-read');
    assert.deepEqual(r.list(), all.slice(-300));
  });

  it('keeps ids that are not short ASCII exactly (longer than a slot, non-ASCII, empty)', () => {
    const r = new RecentIds(5);
    const odd = ['x'.repeat(31), 'y'.repeat(32), 'é-ünïcode', '\u{1F600}'.repeat(3), ''];
    for (const id of odd) r.seen(id);
    assert.deepEqual(r.list(), odd);
    // Overwriting those slots with plain ids drops the strings kept beside the ring.
    const plain = ids(5);
    for (const id of plain) r.seen(id);
    assert.deepEqual(r.list(), plain);
    r.seen('z'.repeat(40));
    assert.deepEqual(r.list(), [...plain.slice(1), 'z'.repeat(40)]);
  });

  it('after a restore, reports the saved ids as re-reads once, then records new ones', () => {
    const before = new RecentIds(100);
    const first = ids(150);
    for (const id of first) before.seen(id);
    const saved = before.list();
    const after = new RecentIds(100);
    after.restore(saved);
    assert.deepEqual(after.list(), saved, 'the restored ring lists what was saved');
    assert.equal(after.seen(saved[0]!), true, 'a saved id read again is a re-read');
    assert.equal(after.seen(saved[0]!), false, 'only once');
    assert.equal(after.seen(documentId('in', 'fp', 9999)), false, 'a new id is not');
    assert.deepEqual(after.list().slice(-2), [saved[0], documentId('in', 'fp', 9999)]);
  });

  it('records nothing with a limit of 0', () => {
    const r = new RecentIds(0);
    assert.equal(r.seen('a'), false);
    assert.deepEqual(r.list(), []);
    r.restore(['a', 'b']);
    assert.equal(r.seen('a'), false, 'nothing is kept to compare with');
    assert.deepEqual(r.list(), []);
  });
});
