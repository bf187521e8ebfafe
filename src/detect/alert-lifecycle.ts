// Suppression and the alert lifecycle of a key: its statistics per UTC-aligned suppression period, raising the
// alert, emitting updated versions, closing it when the period ends.
//
// Periods and ids: suppression periods are aligned to UTC multiples of `period` (a 24h period is a UTC day). The
// alert id is hash(rule, key, period start), and the alert counts every matching document of the key in that
// period (the run-up to a threshold included), its first/last seen, facets (reported sorted; values taken from
// the first document of each device and log format) and the earliest evidence ids by event time. None of that
// depends on the order in which files are read, so a backfill produces the same final alert documents as live
// tailing, and a replay without saved state the same ids. An alert raised from documents that name no Exchange
// build (IIS lines) takes the host's build from any other document of that host and is shipped again once it is
// learned.
//
// Update emission (the policy the README documents): the first document of an alert is emitted when it is raised
// (op 'index'). While the period lasts, matching documents update it in memory; a new version is emitted only
// when `update_every_events` more documents matched or `update_every` of event time passed since the last
// version, when the storm has been quiet for `update_every` (noticed as other documents move event time on),
// when the period closes, when the key is evicted, and on flush(). A 2,000-request storm is thus a handful of
// index operations, not 2,000; every later version replaces the earlier one under the same id.
//
// Array mode (shareFraction > 0, README "Array mode"): a threshold key whose window count reaches the fraction of
// the rule's count opens a *pending* alert under the same id: its versions (emitted every `shareNeed` documents,
// on `update_every`, when quiet, at close and flush, like an alert's) are this agent's contribution to the
// array-wide count, which outputs/array/ merges with the other agents'. It is promoted (raised) if this agent
// alone reaches the count. Every emitted document then carries its AlertShareFacts.

import type { EcsDocument, ShippableDocument } from '../pipeline/document.types.js';
import { alertRaised, alertUpdated, detectStateEvicted } from '../telemetry/detect-events.js';
import { alertId, buildAlertDocument } from './alert-document.js';
import { keyValues } from './condition.js';
import type { DocumentFacts } from './document-facts.js';
import type { EventClock } from './event-clock.js';
import { addFacetSlots, detach, emptySlots, slotsToFacets } from './facet-values.js';
import { beforeChange, type KeyState, type PeriodStats } from './key-state.js';
import { KeyStore } from './key-store.js';
import type { RuleRuntime } from './rule-runtime.js';

const SAMPLED_LIMIT = 4096;
/** Devices per key kept in an array before it becomes a Set. */
const SAMPLED_ARRAY = 8;

export interface LifecycleOptions {
  readonly evidenceLimit: number;
  readonly facetLimit: number;
  readonly latenessMs: number;
}

export class AlertLifecycle {
  constructor(
    private readonly options: LifecycleOptions,
    private readonly facts: DocumentFacts,
    private readonly clock: EventClock,
  ) {}

  /**
   * Count a matching document in its key's period statistics. A document of a later period closes the alert of
   * the earlier one first; a late document of an already closed period is not counted (returns false).
   */
  count(
    rt: RuleRuntime,
    st: KeyState,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): boolean {
    if (t > st.lastSeen) st.lastSeen = t;
    const start = rt.periodOf(t);
    let p = st.period;
    if (p && start < p.start) return false;
    if (p && start > p.start) {
      this.closeAlert(rt, st, out);
      p = undefined;
    }
    if (!p) {
      p = {
        start,
        count: 0,
        first: t,
        last: t,
        evTimes: [],
        evIds: [],
        facets: emptySlots(),
        server: undefined,
      };
      st.period = p;
      st.sampled = undefined;
    }
    p.count += 1;
    if (t < p.first) p.first = t;
    if (t > p.last) p.last = t;
    this.addEvidence(p, t, id);
    // Facet values come from the first document of each device and log format in the period: a storm repeats
    // its device's user, agent, build and model thousands of times, and reading them is most of a count's cost.
    // (A device that changes user agent or address mid-period keeps its first values in the alert.)
    const sig = this.facts.sampleKey(doc, st.key);
    if (sig === undefined || !sampledHas(st, sig)) {
      if (sig !== undefined) sampledAdd(st, sig);
      this.facts.facets.reset(doc);
      addFacetSlots(p.facets, this.facts.facets, this.options.facetLimit);
    }
    const server = this.facts.server(doc);
    if (server) p.server = server;
    if (st.alert) st.alert.dirty = true;
    return true;
  }

  /** Keep the earliest `evidenceLimit` documents by (time, id): independent of the order files are read in. */
  private addEvidence(p: PeriodStats, t: number, id: string): void {
    const limit = this.options.evidenceLimit;
    const ts = p.evTimes;
    const ids = p.evIds;
    const n = ts.length;
    if (n >= limit) {
      const lt = ts[n - 1]!;
      if (t > lt || (t === lt && id >= ids[n - 1]!)) return;
    }
    let i = n;
    while (i > 0 && (ts[i - 1]! > t || (ts[i - 1] === t && ids[i - 1]! > id))) i--;
    // New exact-size arrays (slice/concat) rather than splice: most keys keep one to three, and a growing array
    // reserves room for 16 more elements.
    const keep = Math.min(n, limit - 1);
    p.evTimes = i === n ? ts.slice(0, keep).concat(t) : ts.slice(0, i).concat(t, ts.slice(i, keep));
    p.evIds =
      i === n
        ? ids.slice(0, keep).concat(detach(id))
        : ids.slice(0, i).concat(detach(id), ids.slice(i, keep));
  }

  /** Open the key's alert for its current period and emit the first version. */
  raise(rt: RuleRuntime, st: KeyState, key: string, t: number, out: ShippableDocument[]): void {
    const p = st.period!;
    this.open(st, alertId(rt.rule.id, key, p.start), t);
    this.emit(rt, st, out, true);
  }

  /** Unsuppressed match: every document is its own alert (id from the evidence document id). */
  raiseSingle(rt: RuleRuntime, st: KeyState, id: string, t: number, out: ShippableDocument[]): void {
    this.open(st, alertId(rt.rule.id, id, t), t);
    this.emit(rt, st, out, true);
  }

  private open(st: KeyState, id: string, t: number): void {
    st.alert = { id, emittedCount: 0, lastEmitAt: t, dirty: true, serverKnown: true };
  }

  /**
   * Array mode: the key's window count reached the share fraction of the threshold, not the threshold. Open a
   * pending alert under the same id the raised alert would have and emit its first contribution.
   */
  share(rt: RuleRuntime, st: KeyState, key: string, t: number, out: ShippableDocument[]): void {
    const p = st.period!;
    this.open(st, alertId(rt.rule.id, key, p.start), t);
    st.alert!.pending = true;
    this.emit(rt, st, out, false);
  }

  /** Array mode: a pending alert's key reached the threshold on this agent alone: raise it. */
  promote(rt: RuleRuntime, st: KeyState, _t: number, out: ShippableDocument[]): void {
    st.alert!.pending = undefined;
    this.emit(rt, st, out, true);
  }

  /**
   * A matching document was counted into an open alert: emit a version if the update policy says so. A pending
   * contribution is re-published every `shareNeed` documents (or `update_every` of event time), which bounds how
   * late the array-wide threshold is seen (README "Array mode").
   */
  updated(rt: RuleRuntime, st: KeyState, t: number, out: ShippableDocument[]): void {
    const a = st.alert!;
    const p = st.period!;
    const every = a.pending ? rt.shareNeed : rt.updateEvents;
    if (p.count - a.emittedCount >= every || t - a.lastEmitAt >= rt.updateMs) this.emit(rt, st, out, false);
    else rt.pendingSuppressed += 1;
  }

  /**
   * The current version of every open alert and pending contribution, without changing what was emitted (array
   * mode: re-published at start, so a contribution lost with a killed process is merged again).
   */
  current(rt: RuleRuntime, out: ShippableDocument[]): void {
    for (const st of rt.states.values()) if (st.alert && st.period) out.push(this.build(rt, st));
  }

  /** Emit the final version if it changed, then forget the alert and its period. */
  closeAlert(rt: RuleRuntime, st: KeyState, out: ShippableDocument[]): void {
    beforeChange(st);
    if (st.alert?.dirty) this.emit(rt, st, out, false);
    st.alert = undefined;
    st.period = undefined;
    st.sampled = undefined;
    st.changed = true;
  }

  private build(rt: RuleRuntime, st: KeyState): ShippableDocument {
    const doc = this.buildDoc(rt, st);
    if (!rt.shares) return doc;
    const p = st.period!;
    const from = Math.floor(p.start / rt.bucketMs);
    const to = Math.floor((p.start + rt.periodMs - 1) / rt.bucketMs);
    const buckets: number[] = [];
    for (let i = 0; i < st.buckets.length; i += 2) {
      const idx = st.buckets[i]!;
      if (idx >= from && idx <= to) buckets.push(idx, st.buckets[i + 1]!);
    }
    return {
      ...doc,
      share: {
        raised: st.alert!.pending !== true,
        need: rt.need,
        windowMs: rt.windowMs,
        bucketMs: rt.bucketMs,
        buckets,
        evidenceTimes: [...p.evTimes],
      },
    };
  }

  private buildDoc(rt: RuleRuntime, st: KeyState): ShippableDocument {
    const p = st.period!;
    return buildAlertDocument(rt.buildCtx, {
      id: st.alert!.id,
      keyValues: keyValues(st.key),
      periodStart: p.start,
      periodEnd: p.start + rt.periodMs,
      count: p.count,
      firstSeen: p.first,
      lastSeen: p.last,
      facets: slotsToFacets(p.facets),
      evidence: [...p.evIds],
      server: p.server ?? {},
    });
  }

  emit(
    rt: RuleRuntime,
    st: KeyState,
    out: ShippableDocument[],
    first: boolean,
    built?: ShippableDocument,
  ): void {
    beforeChange(st);
    const a = st.alert!;
    const p = st.period!;
    const doc = built ?? this.build(rt, st);
    out.push(doc);
    st.changed = true;
    const watermark = this.clock.watermark;
    a.emittedCount = p.count;
    a.lastEmitAt = Math.max(a.lastEmitAt, p.last, Number.isFinite(watermark) ? watermark : p.last);
    a.dirty = false;
    a.serverKnown = hasBuild(doc);
    if (a.pending) return; // a contribution, not an alert of this agent: not counted as raised or updated
    if (first) {
      rt.stats.raised += 1;
      alertRaised(rt.rule.id);
    } else {
      rt.stats.updated += 1;
      alertUpdated(rt.rule.id);
    }
  }

  /**
   * An alert raised from documents that name no build (IIS lines) learns the host's build from another file
   * (event 4999, mailbox log) later, e.g. when a backfill reads the IIS log first: ship it again with the build.
   */
  emitIfServerLearned(rt: RuleRuntime, st: KeyState, out: ShippableDocument[]): void {
    if (!st.alert || st.alert.serverKnown !== false || this.facts.hostFacts.size === 0) return;
    const doc = this.build(rt, st);
    if (hasBuild(doc)) this.emit(rt, st, out, false, doc);
  }

  /** The latest version of every open alert of the rule that changed since its last version. */
  flush(rt: RuleRuntime, out: ShippableDocument[]): void {
    for (const st of rt.states.values()) {
      if (st.alert?.dirty) this.emit(rt, st, out, false);
      else this.emitIfServerLearned(rt, st, out);
    }
  }

  /** Event time moved on: emit quiet alerts, close ended periods, drop idle keys. */
  sweep(rt: RuleRuntime, out: ShippableDocument[]): void {
    const now = this.clock.watermark;
    let idle = 0;
    for (const [key, st] of rt.states) {
      const a = st.alert;
      if (a && st.period) {
        if (now >= st.period.start + rt.periodMs + this.options.latenessMs) this.closeAlert(rt, st, out);
        else if (a.dirty && now - a.lastEmitAt >= rt.updateMs) this.emit(rt, st, out, false);
        else this.emitIfServerLearned(rt, st, out);
      }
      if (!st.alert && now - st.lastSeen > rt.retentionMs) {
        KeyStore.remove(rt, key);
        idle++;
      }
    }
    if (idle > 0) detectStateEvicted(rt.rule.id, 'idle', idle);
  }
}

function hasBuild(doc: ShippableDocument): boolean {
  const ms = doc.doc['microsoft'];
  return typeof ms === 'object' && ms !== null && !Array.isArray(ms) && ms['exchange'] !== undefined;
}

function sampledHas(st: KeyState, sig: string): boolean {
  const s = st.sampled;
  return s === undefined ? false : Array.isArray(s) ? s.includes(sig) : s.has(sig);
}

function sampledAdd(st: KeyState, sig: string): void {
  const s = st.sampled;
  const v = detach(sig);
  if (s === undefined) st.sampled = [v];
  else if (Array.isArray(s)) {
    if (s.length < SAMPLED_ARRAY) s.push(v);
    else st.sampled = new Set([...s, v]);
  } else if (s.size < SAMPLED_LIMIT) s.add(v);
}
