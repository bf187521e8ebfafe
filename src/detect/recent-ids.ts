// The ids of the latest documents evaluated (a ring of `limit`), saved with the snapshot, so records re-read
// after a restart from a checkpoint older than the snapshot are not counted twice. The check only runs for the
// documents that follow a restore (at most 2 × limit of them); otherwise recording an id is one copy of its bytes.
//
// The ring holds the ids' bytes, not the id strings (issue 16): a string kept for the next 4,096 documents outlived
// several young-generation collections, so every document's id (and the hash output it was sliced from) was
// copied and promoted to the old generation, about 90 bytes per document. An id that is not plain ASCII or is
// longer than a slot (document ids are 27 characters of base64url) is kept as a string beside the ring.

/** Bytes per id in the ring: a length byte and up to 31 ASCII characters. */
const SLOT = 32;
const MAX_INLINE = SLOT - 1;
/** Length byte of a slot whose id is in `overflow`. */
const OVERFLOW = 0xff;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export class RecentIds {
  private ring: Buffer = Buffer.alloc(0);
  /** Ids recorded so far, up to `limit`. */
  private count = 0;
  /** The next slot to write (the oldest id once the ring is full). */
  private pos = 0;
  /** Ids of slots marked OVERFLOW, by slot. */
  private readonly overflow = new Map<number, string>();
  /** After a restore: the saved ids still expected to be re-read, and how many new documents to check for. */
  private replayIds: Set<string> | undefined;
  private replayChecksLeft = 0;

  constructor(private readonly limit: number) {}

  /** True for a document evaluated before the snapshot this engine was restored from; records the id. */
  seen(id: string): boolean {
    if (this.limit <= 0) return false;
    if (this.replayIds) {
      if (this.replayIds.delete(id)) {
        if (this.replayIds.size === 0) this.replayIds = undefined;
        return true;
      }
      if (--this.replayChecksLeft <= 0) this.replayIds = undefined;
    }
    this.record(id);
    return false;
  }

  /** Oldest → newest, so a restore refills the ring in the same eviction order. */
  list(): string[] {
    const out: string[] = new Array<string>(this.count);
    const start = this.count < this.limit ? 0 : this.pos;
    for (let i = 0; i < this.count; i++) out[i] = this.read((start + i) % this.limit);
    return out;
  }

  restore(ids: readonly string[]): void {
    const kept = this.limit > 0 ? ids.slice(-this.limit) : [];
    this.count = 0;
    this.pos = 0;
    this.overflow.clear();
    for (const id of kept) this.record(id);
    this.replayIds = kept.length > 0 ? new Set(kept) : undefined;
    this.replayChecksLeft = 2 * this.limit;
  }

  private record(id: string): void {
    const slot = this.pos;
    const at = slot * SLOT;
    if (at + SLOT > this.ring.length) this.grow();
    const ring = this.ring;
    if (ring[at] === OVERFLOW) this.overflow.delete(slot);
    if (id.length <= MAX_INLINE && isAscii(id)) {
      ring.write(id, at + 1, id.length, 'latin1');
      ring[at] = id.length;
    } else {
      ring[at] = OVERFLOW;
      this.overflow.set(slot, id);
    }
    this.pos = slot + 1 === this.limit ? 0 : slot + 1;
    if (this.count < this.limit) this.count += 1;
  }

  private read(slot: number): string {
    const at = slot * SLOT;
    const len = this.ring[at]!;
    return len === OVERFLOW ? this.overflow.get(slot)! : this.ring.toString('latin1', at + 1, at + 1 + len);
  }

  /** The ring grows with the ids recorded (a short replay never holds `limit` slots). */
  private grow(): void {
    const slots = Math.min(this.limit, Math.max(256, (this.ring.length / SLOT) * 2));
    const next = Buffer.alloc(slots * SLOT);
    this.ring.copy(next);
    this.ring = next;
  }
}
