import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from './ack-tracker.js';

describe('AckTracker', () => {
  it('commits only a contiguous prefix of settled records', () => {
    const commits: number[] = [];
    const t = new AckTracker(0, (o) => commits.push(o));
    const a = t.begin(10);
    const settleA = t.addDocument(a);
    t.seal(a);
    const b = t.begin(20);
    const settleB = t.addDocument(b);
    t.seal(b);
    settleB();
    assert.equal(t.committedOffset, 0, 'b settled before a must not move the checkpoint');
    settleA();
    assert.equal(t.committedOffset, 20);
    assert.deepEqual(commits, [20]);
  });

  it('commits records that yield no document as soon as they are sealed', () => {
    const t = new AckTracker(5, () => undefined);
    const r = t.begin(12);
    t.seal(r);
    assert.equal(t.committedOffset, 12);
  });

  it('waits for every document of a record and ignores double settles', () => {
    const t = new AckTracker(0, () => undefined);
    const r = t.begin(7);
    const s1 = t.addDocument(r);
    const s2 = t.addDocument(r);
    t.seal(r);
    s1();
    s1();
    assert.equal(t.committedOffset, 0);
    s2();
    assert.equal(t.committedOffset, 7);
    assert.equal(t.pending, 0);
  });
});
