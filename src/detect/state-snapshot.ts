// Snapshot and restore of the engine's state, saved with the checkpoints so that a restart resumes mid-storm:
// every rule's keys (windows, period statistics, open alert bookkeeping), the event-time watermark, the server
// builds learned per host and the ids of the latest documents (RecentIds). The snapshot is plain JSON,
// versioned; a rule whose window or period changed since it was saved starts empty.

import type { ServerFacts } from './alert-document.js';
import type { DocumentFacts } from './document-facts.js';
import type { EventClock } from './event-clock.js';
import type { OpenAlert, PeriodStats } from './key-state.js';
import type { RecentIds } from './recent-ids.js';
import type { RuleRuntime } from './rule-runtime.js';

const SNAPSHOT_VERSION = 2;

/** The JSON the engine saves with the checkpoints (versioned). */
export interface DetectorSnapshot {
  v: number;
  watermark: number | null;
  nextSweepAt: number | null;
  recentIds: string[];
  hostFacts: [string, ServerFacts][];
  rules: Record<
    string,
    {
      bucketMs: number;
      periodMs: number;
      keys: Array<{
        key: string;
        values: string[];
        used: number;
        lastSeen: number | null;
        buckets: [number, number][];
        aTimes: number[];
        period?: PeriodStats;
        alert?: OpenAlert;
      }>;
    }
  >;
}

/** The parts of the engine a snapshot covers. */
export interface EngineState {
  readonly runtimes: readonly RuleRuntime[];
  readonly clock: EventClock;
  readonly recent: RecentIds;
  readonly facts: DocumentFacts;
}

export function takeSnapshot(s: EngineState): DetectorSnapshot {
  const rules: DetectorSnapshot['rules'] = {};
  for (const rt of s.runtimes) {
    rules[rt.rule.id] = {
      bucketMs: rt.bucketMs,
      periodMs: rt.periodMs,
      keys: [...rt.states].map(([key, st]) => ({
        key,
        values: st.values,
        used: st.used,
        lastSeen: Number.isFinite(st.lastSeen) ? st.lastSeen : null,
        buckets: [...st.buckets],
        aTimes: st.aTimes,
        ...(st.period ? { period: st.period } : {}),
        ...(st.alert ? { alert: st.alert } : {}),
      })),
    };
  }
  // structuredClone: the snapshot must not alias live state that keeps changing.
  return structuredClone({
    v: SNAPSHOT_VERSION,
    watermark: Number.isFinite(s.clock.watermark) ? s.clock.watermark : null,
    nextSweepAt: Number.isFinite(s.clock.nextSweepAt) ? s.clock.nextSweepAt : null,
    recentIds: s.recent.list(),
    hostFacts: [...s.facts.hostFacts],
    rules,
  });
}

/** Restore a snapshot; throws on one it cannot use (the caller reports it and starts empty). */
export function restoreSnapshot(s: EngineState, state: unknown): void {
  const snap = state as DetectorSnapshot;
  if (snap.v !== SNAPSHOT_VERSION) throw new Error(`unsupported snapshot version ${String(snap.v)}`);
  const copy = structuredClone(snap);
  s.clock.watermark = copy.watermark ?? Number.NEGATIVE_INFINITY;
  s.clock.nextSweepAt = copy.nextSweepAt ?? Number.NEGATIVE_INFINITY;
  s.recent.restore(copy.recentIds);
  s.facts.hostFacts.clear();
  for (const [h, f] of copy.hostFacts) s.facts.hostFacts.set(h, f);
  for (const rt of s.runtimes) {
    rt.states.clear();
    const saved = copy.rules[rt.rule.id];
    // A rule whose window or period changed since the snapshot cannot reuse its state: start it empty.
    if (!saved || saved.bucketMs !== rt.bucketMs || saved.periodMs !== rt.periodMs) continue;
    for (const k of saved.keys) {
      rt.clock = Math.max(rt.clock, k.used);
      rt.states.set(k.key, {
        values: k.values,
        used: k.used,
        lastSeen: k.lastSeen ?? Number.NEGATIVE_INFINITY,
        buckets: new Map(k.buckets),
        aTimes: k.aTimes,
        period: k.period,
        alert: k.alert,
        sampled: undefined,
      });
    }
  }
}
