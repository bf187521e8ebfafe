// What survives a restart, and how it is encoded: every rule's keys (windows, period statistics, open alert
// bookkeeping), the event-time watermark, the server builds learned per host and the ids of the latest documents
// (RecentIds), so a restart resumes mid-storm and raises the same alert versions as an uninterrupted run.
//
// The state is a set of entries, each a small JSON value under a string name, so that it can be saved
// incrementally: `meta` (version, watermark, host facts, and per rule its id, bucket and period lengths),
// `recent` (document ids), and one entry per key named `<rule index> NUL <key>`. `changes()` returns, as JSON
// text, only the entries whose key changed since the previous call and the names of keys dropped since (the first call after
// start or restore returns everything, marked `full`), so writing the state costs what changed, not its size.
// A key's entry is a compact array: times inside a period are relative to its start, buckets a flat list.
//
//   key entry:  [used, lastSeen, buckets, aTimes|0, period|0, alert|0]
//   period:     [start, count, first-start, last-start, evidence times-start, evidence ids, facet slots, server|0]
//   alert:      [id, emittedCount, lastEmitAt, dirty 0|1, serverKnown 0|1, (1: pending, array mode)]
//
// A rule whose window or period changed since the state was saved starts empty. Snapshots of version 2 (the
// previous format, one JSON object kept in the registry) are still read.

import type { ServerFacts } from './alert-document.js';
import type { DocumentFacts } from './document-facts.js';
import type { EventClock } from './event-clock.js';
import { detach, emptySlots, intern, type FacetSlots } from './facet-values.js';
import {
  beforeChange,
  type KeyState,
  type OpenAlert,
  type PeriodStats,
  type PendingSave,
} from './key-state.js';
import type { RecentIds } from './recent-ids.js';
import type { RuleRuntime } from './rule-runtime.js';
import { FACETS } from './alert-document.js';

export const STATE_VERSION = 3;
const LEGACY_VERSION = 2;
const SEP = '\u0000';

/** A full snapshot: every entry (what `DetectionEngine.snapshot()` returns and `restore()` takes). */
export interface DetectorSnapshot {
  v: number;
  entries: [string, unknown][];
}

/** What changed since the previous call: entries to (over)write and entry names to delete. */
export interface DetectorStateChanges {
  /** Every entry is in `set`: the saved state should be replaced, not patched. */
  readonly full: boolean;
  /** Name and value (JSON text) of each entry to write, encoded as it is read (see StateCodec.changes). */
  readonly set: Iterable<[string, string]>;
  readonly delete: string[];
}

/** The parts of the engine the state covers. */
export interface EngineState {
  readonly runtimes: readonly RuleRuntime[];
  readonly clock: EventClock;
  readonly recent: RecentIds;
  readonly facts: DocumentFacts;
}

type Meta = {
  v: number;
  watermark: number | null;
  nextSweepAt: number | null;
  hostFacts: [string, ServerFacts][];
  /** Per rule index: [rule id, bucketMs, periodMs]. */
  rules: [string, number, number][];
};

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

export class StateCodec {
  private full = true;
  private lastMeta = '';
  private lastRecent = '';

  constructor(private readonly s: EngineState) {}

  /** Everything, as one snapshot (does not change what `changes()` reports next). */
  snapshot(): DetectorSnapshot {
    const entries: [string, unknown][] = [
      ['meta', this.meta()],
      ['recent', this.s.recent.list()],
    ];
    this.s.runtimes.forEach((rt, i) => {
      for (const st of rt.states.values()) entries.push([entryName(i, st.key), encodeKey(st)]);
    });
    return { v: STATE_VERSION, entries };
  }

  /**
   * The entries changed since the previous call (all of them after start or restore, or when asked), as they are
   * at the call. Meta, the recent ids, the dropped keys and the keys to write are taken at the call; the keys'
   * entries are encoded as `set` is read, which may go on while documents are evaluated (the journal opens its
   * file, then writes a chunk at a time), and a key about to change before it is encoded is encoded first
   * (`beforeChange`, key-state.ts). So a document's effect is saved exactly when its id is in the saved recent
   * ids: restart de-duplication relies on both directions (an effect saved without its id was counted twice
   * after a SIGKILL, the array test's flake). A key changed after the call is marked changed for the next save.
   */
  changes(forceFull = false): DetectorStateChanges {
    const full = this.full || forceFull;
    this.full = false;
    const del: string[] = [];
    this.s.runtimes.forEach((rt, i) => {
      for (const key of rt.removed.splice(0)) if (!full && !rt.states.has(key)) del.push(entryName(i, key));
    });
    const metaText = JSON.stringify(this.meta());
    const meta = full || metaText !== this.lastMeta ? metaText : undefined;
    this.lastMeta = metaText;
    const recentIds = this.s.recent.list();
    const recentKey =
      recentIds.length === 0 ? '' : `${recentIds.length}${SEP}${recentIds[recentIds.length - 1]!}`;
    const recent = full || recentKey !== this.lastRecent ? JSON.stringify(recentIds) : undefined;
    this.lastRecent = recentKey;
    const save = new KeySave();
    this.s.runtimes.forEach((rt, i) => {
      for (const st of rt.states.values()) {
        if (!full && !st.changed) continue;
        st.changed = false;
        beforeChange(st); // an earlier save still being written keeps its version of the key
        st.saving = save;
        save.chosen.push([i, st]);
      }
    });
    return { full, set: changedEntries(meta, save, recent), delete: del };
  }

  /** Restore a snapshot (version 3, or the registry's version 2); throws on one it cannot use. */
  restore(state: unknown): void {
    const v = (state as { v?: unknown }).v;
    if (v === LEGACY_VERSION) return this.restoreLegacy(state as LegacySnapshot);
    if (v !== STATE_VERSION) throw new Error(`unsupported snapshot version ${String(v)}`);
    this.restoreEntries((state as DetectorSnapshot).entries);
  }

  /** Restore from entries (a snapshot's, or what a store kept of `changes()`). */
  restoreEntries(entries: Iterable<[string, unknown]>): void {
    const byName = new Map(entries);
    const meta = byName.get('meta') as Meta | undefined;
    if (!meta) throw new Error('saved detection state has no meta entry');
    if (meta.v !== STATE_VERSION) throw new Error(`unsupported state version ${String(meta.v)}`);
    const s = this.s;
    s.clock.watermark = meta.watermark ?? Number.NEGATIVE_INFINITY;
    s.clock.nextSweepAt = meta.nextSweepAt ?? Number.NEGATIVE_INFINITY;
    s.recent.restore((byName.get('recent') as string[] | undefined) ?? []);
    s.facts.hostFacts.clear();
    for (const [h, f] of meta.hostFacts) s.facts.hostFacts.set(h, f);
    // Saved rule index → this engine's runtime, when the rule still exists with the same window and period.
    const target = meta.rules.map(([id, bucketMs, periodMs]) =>
      s.runtimes.find((rt) => rt.rule.id === id && rt.bucketMs === bucketMs && rt.periodMs === periodMs),
    );
    for (const rt of s.runtimes) rt.states.clear();
    for (const [name, value] of byName) {
      const a = name.indexOf(SEP);
      if (a < 0) continue;
      const rt = target[Number(name.slice(0, a))];
      if (!rt) continue;
      const st = decodeKey(name.slice(a + 1), value as KeyEntry);
      rt.clock = Math.max(rt.clock, st.used);
      rt.states.set(st.key, st);
    }
    for (const rt of s.runtimes) rt.removed.length = 0;
    this.full = true; // the next save rewrites everything under this engine's rule numbering
  }

  private meta(): Meta {
    const s = this.s;
    return {
      v: STATE_VERSION,
      watermark: num(s.clock.watermark),
      nextSweepAt: num(s.clock.nextSweepAt),
      hostFacts: [...s.facts.hostFacts],
      rules: s.runtimes.map((rt) => [rt.rule.id, rt.bucketMs, rt.periodMs]),
    };
  }

  private restoreLegacy(snap: LegacySnapshot): void {
    const s = this.s;
    s.clock.watermark = snap.watermark ?? Number.NEGATIVE_INFINITY;
    s.clock.nextSweepAt = snap.nextSweepAt ?? Number.NEGATIVE_INFINITY;
    s.recent.restore(snap.recentIds);
    s.facts.hostFacts.clear();
    for (const [h, f] of snap.hostFacts) s.facts.hostFacts.set(h, f);
    for (const rt of s.runtimes) {
      rt.states.clear();
      rt.removed.length = 0;
      const saved = snap.rules[rt.rule.id];
      if (!saved || saved.bucketMs !== rt.bucketMs || saved.periodMs !== rt.periodMs) continue;
      for (const k of saved.keys) {
        rt.clock = Math.max(rt.clock, k.used);
        const p = k.period;
        rt.states.set(k.key, {
          key: k.key,
          used: k.used,
          lastSeen: k.lastSeen ?? Number.NEGATIVE_INFINITY,
          buckets: k.buckets.flat(),
          aTimes: k.aTimes.length > 0 ? k.aTimes : undefined,
          period: p && {
            start: p.start,
            count: p.count,
            first: p.first,
            last: p.last,
            evTimes: p.evidence.map((e) => e[0]),
            evIds: p.evidence.map((e) => e[1]),
            facets: FACETS.map((f) => {
              const xs = p.facets[f] ?? [];
              return xs.length === 0 ? undefined : xs.length === 1 ? xs[0] : [...xs];
            }),
            server: p.server && p.server.build !== undefined ? p.server : undefined,
          },
          alert: k.alert && { ...k.alert, serverKnown: k.alert.serverKnown !== false },
          sampled: undefined,
          changed: true,
          saving: undefined,
        });
      }
    }
    this.full = true;
  }
}

export function entryName(ruleIndex: number, key: string): string {
  return `${ruleIndex}${SEP}${key}`;
}

type PeriodEntry = [
  number,
  number,
  number,
  number,
  number[],
  string[],
  (string | string[] | null)[],
  ServerFacts | 0,
];
/** The sixth element (1: pending contribution, array mode) is absent from states saved before issue 14. */
type AlertEntry = [string, number, number, 0 | 1, 0 | 1] | [string, number, number, 0 | 1, 0 | 1, 1];
type KeyEntry = [number, number | null, number[], number[] | 0, PeriodEntry | 0, AlertEntry | 0];

/** The keys one save writes, chosen at `changes()`; keeps those about to change before they are encoded. */
class KeySave implements PendingSave {
  readonly chosen: [number, KeyState][] = [];
  private readonly kept = new Map<KeyState, string>();

  keep(st: KeyState): void {
    this.kept.set(st, JSON.stringify(encodeKey(st)));
  }

  *entries(): Generator<[string, string]> {
    for (const [i, st] of this.chosen) {
      let json = this.kept.get(st);
      if (json === undefined) {
        if (st.saving === this) st.saving = undefined;
        json = JSON.stringify(encodeKey(st));
      }
      yield [entryName(i, st.key), json];
    }
    this.kept.clear();
  }
}

function* changedEntries(
  meta: string | undefined,
  save: KeySave,
  recent: string | undefined,
): Generator<[string, string]> {
  if (meta !== undefined) yield ['meta', meta];
  yield* save.entries();
  if (recent !== undefined) yield ['recent', recent];
}

function encodeKey(st: KeyState): unknown {
  const p = st.period;
  const a = st.alert;
  const entry: KeyEntry = [
    st.used,
    num(st.lastSeen),
    [...st.buckets],
    st.aTimes && st.aTimes.length > 0 ? [...st.aTimes] : 0,
    p
      ? [
          p.start,
          p.count,
          p.first - p.start,
          p.last - p.start,
          p.evTimes.map((t) => t - p.start),
          [...p.evIds],
          p.facets.map((f) => (f === undefined ? null : typeof f === 'string' ? f : [...f])),
          p.server ?? 0,
        ]
      : 0,
    a
      ? a.pending
        ? [a.id, a.emittedCount, a.lastEmitAt, a.dirty ? 1 : 0, a.serverKnown ? 1 : 0, 1]
        : [a.id, a.emittedCount, a.lastEmitAt, a.dirty ? 1 : 0, a.serverKnown ? 1 : 0]
      : 0,
  ];
  return entry;
}

function decodeKey(key: string, e: KeyEntry): KeyState {
  const [used, lastSeen, buckets, aTimes, p, a] = e;
  let period: PeriodStats | undefined;
  if (p !== 0) {
    const [start, count, first, last, evTimes, evIds, facets, server] = p;
    const slots: FacetSlots = emptySlots();
    facets.forEach((f, i) => {
      slots[i] = f === null ? undefined : typeof f === 'string' ? intern(f) : f.map(intern);
    });
    period = {
      start,
      count,
      first: start + first,
      last: start + last,
      evTimes: evTimes.map((t) => start + t),
      evIds,
      facets: slots,
      server: server === 0 ? undefined : server,
    };
  }
  let alert: OpenAlert | undefined;
  if (a !== 0) {
    const [id, emittedCount, lastEmitAt, dirty, serverKnown] = a;
    alert = { id, emittedCount, lastEmitAt, dirty: dirty === 1, serverKnown: serverKnown === 1 };
    if (a[5] === 1) alert.pending = true;
  }
  return {
    key: detach(key),
    used,
    lastSeen: lastSeen ?? Number.NEGATIVE_INFINITY,
    buckets,
    aTimes: aTimes === 0 ? undefined : aTimes,
    period,
    alert,
    sampled: undefined,
    changed: false,
    saving: undefined,
  };
}

/** The registry's snapshot format before version 3. */
interface LegacySnapshot {
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
        used: number;
        lastSeen: number | null;
        buckets: [number, number][];
        aTimes: number[];
        period?: {
          start: number;
          count: number;
          first: number;
          last: number;
          evidence: [number, string][];
          facets: Partial<Record<string, string[]>>;
          server?: ServerFacts;
        };
        alert?: OpenAlert;
      }>;
    }
  >;
}
