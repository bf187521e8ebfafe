// Per-key detection state and its event-time windows: what one rule remembers about one key (a device, a host).
// Threshold and sequence windows are counts in buckets of window/60 (at least 1 s), plus for sequences the times
// of step-1 documents. History is kept for `window + lateness` behind the key's own latest document, so documents
// of different files may arrive out of time order by the lateness and still meet; buckets (512) and step-1 times
// (64) are capped per key.
//
// Memory: a rule may hold tens of thousands of keys, most of them one or two failures of a device that never
// storms, so the layout is flat: buckets are one number array of (index, count) pairs, evidence two parallel
// arrays, facets one slot per facet (facet-values.ts), no Map, Set or object per key unless it is needed.

import type { ServerFacts } from './alert-document.js';
import type { FacetSlots } from './facet-values.js';
import type { RuleRuntime } from './rule-runtime.js';

/** Statistics of one key in one (UTC-aligned) suppression period: what its alert reports. */
export interface PeriodStats {
  start: number;
  count: number;
  first: number;
  last: number;
  /** Event times and document ids of the earliest evidence (by time, then id), at most evidenceLimit. */
  evTimes: number[];
  evIds: string[];
  facets: FacetSlots;
  server: ServerFacts | undefined;
}

/** Emission bookkeeping of the key's raised alert (its content is the period's statistics). */
export interface OpenAlert {
  id: string;
  emittedCount: number;
  lastEmitAt: number;
  dirty: boolean;
  /** Whether the last version named the Exchange build (false: re-emit once another file reveals it). */
  serverKnown: boolean;
  /**
   * Array mode: a threshold key above the share fraction but below the rule's count on this agent. Its versions
   * are contributions to an array-wide alert, not alerts of their own (DetectionEngineOptions.shareFraction).
   */
  pending?: boolean;
}

export interface KeyState {
  /** The key string (RuleRuntime.key.of), a copy that does not hold the document's text alive. */
  readonly key: string;
  /** Recency stamp (RuleRuntime.clock) for least-recently-used eviction. */
  used: number;
  lastSeen: number;
  /**
   * (bucket index, count) pairs, flat: threshold: matches; sequence: step-2 matches. Appended in arrival order,
   * which is time order but for late documents.
   */
  buckets: number[];
  /** Sequence: times of step-1 documents, ascending, at most A_TIMES_LIMIT. */
  aTimes: number[] | undefined;
  period: PeriodStats | undefined;
  alert: OpenAlert | undefined;
  /**
   * Devices (device.id + log format) whose facet values this period already took: an array while small, a Set
   * for a key that sees many devices (a host). Not saved with the snapshot: after a restore each device's values
   * are taken once more, which changes nothing.
   */
  sampled: string[] | Set<string> | undefined;
  /** Changed since the state was last saved (state-snapshot.ts writes only these). */
  changed: boolean;
  /**
   * The save in progress that chose this key and has not encoded it yet (state-snapshot.ts); `beforeChange` hands
   * the key to it as it was when the save began.
   */
  saving: PendingSave | undefined;
}

/** A state save that encodes its keys while it is written (state-snapshot.ts). */
export interface PendingSave {
  keep(st: KeyState): void;
}

/**
 * Call before changing a key: a save that chose the key and has not written it yet encodes it first, so that the
 * save holds the key as it was when the save began, like the recent ids saved with it.
 */
export function beforeChange(st: KeyState): void {
  const save = st.saving;
  if (save === undefined) return;
  st.saving = undefined;
  save.keep(st);
}

const A_TIMES_LIMIT = 64;
const BUCKETS_LIMIT = 512;

export function freshState(key: string): KeyState {
  // every field present from the start: one object shape for the JIT
  return {
    key,
    used: 0,
    lastSeen: Number.NEGATIVE_INFINITY,
    buckets: [],
    aTimes: undefined,
    period: undefined,
    alert: undefined,
    sampled: undefined,
    changed: true,
    saving: undefined,
  };
}

/** Matching documents in [lo, hi] (bucket-rounded). */
export function countIn(rt: RuleRuntime, st: KeyState, lo: number, hi: number): number {
  const a = Math.floor(lo / rt.bucketMs);
  const b = Math.floor(hi / rt.bucketMs);
  const bs = st.buckets;
  let n = 0;
  for (let i = 0; i < bs.length; i += 2) {
    const idx = bs[i]!;
    if (idx >= a && idx <= b) n += bs[i + 1]!;
  }
  return n;
}

/** Documents counted in the key's window ending at its latest document: what eviction protects. */
export function windowCount(rt: RuleRuntime, st: KeyState): number {
  return st.buckets.length === 0 ? 0 : countIn(rt, st, st.lastSeen - rt.windowMs, st.lastSeen);
}

/** Drop buckets (and step-1 times) older than the key's own latest time minus window and lateness. */
export function prune(rt: RuleRuntime, st: KeyState): void {
  const cutoffMs = st.lastSeen - rt.retentionMs;
  const cutoff = Math.floor(cutoffMs / rt.bucketMs);
  const bs = st.buckets;
  // Leading pairs only (arrival order ≈ time order), as many as are out of the retention or over the cap.
  let drop = 0;
  while (drop < bs.length && (bs[drop]! < cutoff || bs.length - drop > 2 * BUCKETS_LIMIT)) drop += 2;
  if (drop > 0) bs.splice(0, drop);
  const a = st.aTimes;
  if (a) while (a.length > 0 && a[0]! < cutoffMs) a.shift();
}

/** Count a (threshold, or sequence step-2) document in its bucket. */
export function addBucket(rt: RuleRuntime, st: KeyState, t: number): void {
  if (t > st.lastSeen) st.lastSeen = t;
  const idx = Math.floor(t / rt.bucketMs);
  const bs = st.buckets;
  // Most documents fall in the latest bucket: search from the end.
  for (let i = bs.length - 2; i >= 0; i -= 2) {
    if (bs[i] === idx) {
      bs[i + 1]! += 1;
      return;
    }
  }
  st.buckets = bs.concat(idx, 1); // exact size: most keys hold one or two buckets (push would reserve 16 more)
  prune(rt, st); // only a new bucket can push old ones out of the retention
}

/** Remember the time of a sequence step-1 document. */
export function addATime(rt: RuleRuntime, st: KeyState, t: number): void {
  if (t > st.lastSeen) st.lastSeen = t;
  const a = (st.aTimes ??= []);
  let i = a.length;
  while (i > 0 && a[i - 1]! > t) i--;
  a.splice(i, 0, t);
  if (a.length > A_TIMES_LIMIT) a.shift();
  prune(rt, st);
}
