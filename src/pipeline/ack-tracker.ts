// Acknowledgement tracking for one source (one file identity). Records are registered in read order; each
// record knows how many documents were derived from it. The committed position only ever advances over a
// contiguous prefix of records that are entirely settled, so a crash at any moment re-reads at most the
// records that were not fully delivered (and their deterministic ids make the re-send harmless).
//
// A record is itself the settle callback of its first document (`Settleable`), so the usual record, one line and
// one document, costs one object from its read to its acknowledgement; a record's further documents each get a
// small object of their own. Each document's settle counts once, however often it is called.

import type { Settleable } from './settle.js';

/** The record is sealed: no more documents will be derived from it. */
const SEALED = 1;
/** The record has handed itself out as its first document's settle callback. */
const FIRST_GIVEN = 2;
/** That first document is settled. */
const FIRST_DONE = 4;

export class PendingRecord implements Settleable {
  /** Documents still unsettled; the record is done when this reaches 0 and it is sealed. */
  outstanding = 0;
  /** SEALED | FIRST_GIVEN | FIRST_DONE. */
  flags = 0;

  constructor(
    private readonly tracker: AckTracker,
    readonly endOffset: number,
  ) {}

  get sealed(): boolean {
    return (this.flags & SEALED) !== 0;
  }

  /** The first document's settle. */
  settle(): void {
    if ((this.flags & FIRST_DONE) !== 0) return;
    this.flags |= FIRST_DONE;
    this.settleOne();
  }

  /** One document settled (each document's settle calls this once). */
  settleOne(): void {
    this.outstanding -= 1;
    if (this.outstanding === 0 && (this.flags & SEALED) !== 0) this.tracker.advance();
  }
}

/** The settle callback of a record's second and later documents. */
class FurtherDocument implements Settleable {
  private done = false;

  constructor(private readonly rec: PendingRecord) {}

  settle(): void {
    if (this.done) return;
    this.done = true;
    this.rec.settleOne();
  }
}

export class AckTracker {
  private readonly queue: PendingRecord[] = [];
  private head = 0;
  private committed: number;
  private readonly onCommit: (offset: number) => void;

  constructor(startOffset: number, onCommit: (offset: number) => void) {
    this.committed = startOffset;
    this.onCommit = onCommit;
  }

  /** The highest offset such that every record before it is settled. */
  get committedOffset(): number {
    return this.committed;
  }

  /** Records registered and not yet committed. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Register the next record in read order. Call `addDocument` for each derived document, then `seal`. */
  begin(endOffset: number): PendingRecord {
    const rec = new PendingRecord(this, endOffset);
    this.queue.push(rec);
    return rec;
  }

  /** Returns the settle callback for one derived document. Safe against double calls. */
  addDocument(rec: PendingRecord): Settleable {
    rec.outstanding += 1;
    if ((rec.flags & FIRST_GIVEN) === 0) {
      rec.flags |= FIRST_GIVEN;
      return rec;
    }
    return new FurtherDocument(rec);
  }

  /** No more documents will be derived from this record. */
  seal(rec: PendingRecord): void {
    rec.flags |= SEALED;
    if (rec.outstanding === 0) this.advance();
  }

  /** Moves the committed offset over the settled prefix (PendingRecord calls it when its last document settles). */
  advance(): void {
    let moved = false;
    while (this.head < this.queue.length) {
      const rec = this.queue[this.head]!;
      if (!rec.sealed || rec.outstanding > 0) break;
      this.committed = rec.endOffset;
      this.head += 1;
      moved = true;
    }
    // Compact occasionally so the queue does not grow without bound on long-lived files; an empty queue is
    // dropped at once (thousands of idle files must not each keep the records they once had).
    if (this.head === this.queue.length) {
      if (this.head > 0) {
        this.queue.length = 0;
        this.head = 0;
      }
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (moved) this.onCommit(this.committed);
  }
}
