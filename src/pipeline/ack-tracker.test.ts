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
    settleB.settle();
    assert.equal(t.committedOffset, 0, 'b settled before a must not move the checkpoint');
    settleA.settle();
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
    const s3 = t.addDocument(r);
    t.seal(r);
    s1.settle();
    s1.settle();
    s1.settle();
    assert.equal(t.committedOffset, 0, 'the first document settled three times must count once');
    s2.settle();
    s2.settle();
    assert.equal(t.committedOffset, 0, 'the second document settled twice must count once');
    s3.settle();
    assert.equal(t.committedOffset, 7);
    assert.equal(t.pending, 0);
  });

  it('counts each document once whatever order the settles come in', () => {
    const t = new AckTracker(0, () => undefined);
    const r = t.begin(9);
    const first = t.addDocument(r);
    const second = t.addDocument(r);
    t.seal(r);
    second.settle();
    second.settle();
    assert.equal(t.committedOffset, 0, 'only the second document is settled');
    first.settle();
    assert.equal(t.committedOffset, 9);
  });

  it('does not commit a record settled before it is sealed until it is sealed', () => {
    const t = new AckTracker(0, () => undefined);
    const r = t.begin(4);
    t.addDocument(r).settle();
    assert.equal(t.committedOffset, 0, 'more documents may still come from an unsealed record');
    t.seal(r);
    assert.equal(t.committedOffset, 4);
  });
});
