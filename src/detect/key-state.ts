// Per-key detection state and its event-time windows: what one rule remembers about one key (a device, a host).
// Threshold and sequence windows are counts in buckets of window/60 (at least 1 s) keyed by bucket index, plus
// for sequences the times of step-1 documents. History is kept for `window + lateness` behind the key's own
// latest document, so documents of different files may arrive out of time order by the lateness and still meet;
// buckets (512) and step-1 times (64) are capped per key.

import type { Facets, ServerFacts } from './alert-document.js';
import type { RuleRuntime } from './rule-runtime.js';

/** Statistics of one key in one (UTC-aligned) suppression period: what its alert reports. */
export interface PeriodStats {
  start: number;
  count: number;
  first: number;
  last: number;
  /** [event time, document id], earliest first, at most evidenceLimit. */
  evidence: [number, string][];
  facets: Facets;
  server: ServerFacts;
}

/** Emission bookkeeping of the key's raised alert (its content is the period's statistics). */
export interface OpenAlert {
  id: string;
  emittedCount: number;
  lastEmitAt: number;
  dirty: boolean;
  /** Whether the last version named the Exchange build (false: re-emit once another file reveals it). */
  serverKnown?: boolean;
}

export interface KeyState {
  values: string[];
  /** Recency stamp (RuleRuntime.clock) for least-recently-used eviction. */
  used: number;
  lastSeen: number;
  /** Bucket index → count (threshold: matches; sequence: step-2 matches). Insertion ≈ time order. */
  buckets: Map<number, number>;
  /** Sequence: times of step-1 documents, ascending, at most A_TIMES_LIMIT. */
  aTimes: number[];
  period: PeriodStats | undefined;
  alert: OpenAlert | undefined;
  /**
   * Devices (device.id + log format) whose facet values this period already took. Not saved with the snapshot:
   * after a restore each device's values are taken once more, which changes nothing.
   */
  sampled?: Set<string> | undefined;
}

const A_TIMES_LIMIT = 64;
const BUCKETS_LIMIT = 512;

export function freshState(values: string[]): KeyState {
  return {
    values,
    used: 0,
    lastSeen: Number.NEGATIVE_INFINITY,
    buckets: new Map(),
    aTimes: [],
    period: undefined,
    alert: undefined,
    sampled: undefined, // every field present from the start: one object shape for the JIT
  };
}

/** Matching documents in [lo, hi] (bucket-rounded). */
export function countIn(rt: RuleRuntime, st: KeyState, lo: number, hi: number): number {
  const a = Math.floor(lo / rt.bucketMs);
  const b = Math.floor(hi / rt.bucketMs);
  let n = 0;
  for (const [idx, c] of st.buckets) if (idx >= a && idx <= b) n += c;
  return n;
}

/** Drop buckets (and step-1 times) older than the key's own latest time minus window and lateness. */
export function prune(rt: RuleRuntime, st: KeyState): void {
  const cutoffMs = st.lastSeen - rt.retentionMs;
  const cutoff = Math.floor(cutoffMs / rt.bucketMs);
  for (const idx of st.buckets.keys()) {
    if (idx >= cutoff && st.buckets.size <= BUCKETS_LIMIT) break;
    st.buckets.delete(idx);
  }
  while (st.aTimes.length > 0 && st.aTimes[0]! < cutoffMs) st.aTimes.shift();
}

/** Count a (threshold, or sequence step-2) document in its bucket. */
export function addBucket(rt: RuleRuntime, st: KeyState, t: number): void {
  if (t > st.lastSeen) st.lastSeen = t;
  const idx = Math.floor(t / rt.bucketMs);
  const c = st.buckets.get(idx);
  if (c !== undefined) st.buckets.set(idx, c + 1);
  else {
    st.buckets.set(idx, 1);
    prune(rt, st); // only a new bucket can push old ones out of the retention
  }
}

/** Remember the time of a sequence step-1 document. */
export function addATime(rt: RuleRuntime, st: KeyState, t: number): void {
  if (t > st.lastSeen) st.lastSeen = t;
  const a = st.aTimes;
  let i = a.length;
  while (i > 0 && a[i - 1]! > t) i--;
  a.splice(i, 0, t);
  if (a.length > A_TIMES_LIMIT) a.shift();
  prune(rt, st);
}
