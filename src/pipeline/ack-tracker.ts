// Acknowledgement tracking for one source (one file identity). Records are registered in read order; each
// record knows how many documents were derived from it. The committed position only ever advances over a
// contiguous prefix of records that are entirely settled, so a crash at any moment re-reads at most the
// records that were not fully delivered (and their deterministic ids make the re-send harmless).

export interface PendingRecord {
  readonly endOffset: number;
  /** Documents still unsettled; the record is done when this reaches 0 and it is sealed. */
  outstanding: number;
  sealed: boolean;
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
    const rec: PendingRecord = { endOffset, outstanding: 0, sealed: false };
    this.queue.push(rec);
    return rec;
  }

  /** Returns the settle callback for one derived document. Safe against double calls. */
  addDocument(rec: PendingRecord): () => void {
    rec.outstanding += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      rec.outstanding -= 1;
      if (rec.outstanding === 0 && rec.sealed) this.advance();
    };
  }

  /** No more documents will be derived from this record. */
  seal(rec: PendingRecord): void {
    rec.sealed = true;
    if (rec.outstanding === 0) this.advance();
  }

  private advance(): void {
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
