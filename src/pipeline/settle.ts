// How a sink tells its caller that a pushed document is settled (delivered, durably spooled or dead-lettered):
// a function, or an object whose `settle()` is called. An input's record is such an object (AckTracker), so the
// usual document (one per record) is acknowledged without a settle closure of its own: a closure and its context
// lived until the document's batch was answered, which made them what the young-generation GC copied and
// promoted most after the documents' bytes (issue 16, bench/README.md "2026-12-07, late evening: what outlives a
// scavenge").

/** Told once when a pushed document is settled. */
export interface Settleable {
  settle(): void;
}

export type OnSettled = (() => void) | Settleable;

/** Calls `s` (a function, or an object's `settle()`). */
export function settle(s: OnSettled): void {
  if (typeof s === 'function') s();
  else s.settle();
}
