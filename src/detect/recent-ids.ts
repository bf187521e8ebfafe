// The ids of the latest documents evaluated (a ring of `limit`), saved with the snapshot, so records re-read
// after a restart from a checkpoint older than the snapshot are not counted twice. The check only runs for the
// documents that follow a restore (at most 2 × limit of them); otherwise recording an id is one store.

export class RecentIds {
  private ring: string[] = [];
  private pos = 0;
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
    if (this.ring.length < this.limit) this.ring.push(id);
    else {
      this.ring[this.pos] = id;
      this.pos = (this.pos + 1) % this.limit;
    }
    return false;
  }

  /** Oldest → newest, so a restore refills the ring in the same eviction order. */
  list(): string[] {
    return this.ring.length < this.limit
      ? [...this.ring]
      : [...this.ring.slice(this.pos), ...this.ring.slice(0, this.pos)];
  }

  restore(ids: readonly string[]): void {
    this.ring = ids.slice(-this.limit);
    this.pos = 0;
    this.replayIds = this.ring.length > 0 ? new Set(this.ring) : undefined;
    this.replayChecksLeft = 2 * this.limit;
  }
}
