// The streaming detection engine (the pipeline's `Detector`). Every document is evaluated against every rule in
// arrival order; all windows, periods and update cadences are measured in the documents' own @timestamp, never
// the wall clock, so a backfill of last week's logs raises exactly the alerts live tailing raised.
//
// Rule kinds:
// - match: one document. With suppression, the first match of a key opens an alert for `period`; later matches
//   update it. Without suppression every match is its own alert (id from the evidence document id).
// - threshold: per key, event counts in buckets of window/60 (at least 1 s); the alert opens when the count in
//   [t - window, t] reaches `count`. Window edges are therefore rounded to one bucket.
// - sequence: per key, the times of step-1 documents (the latest 64) and bucketed counts of step-2 documents;
//   opens when some step-1 document has `count` step-2 documents in [tA, tA + window] (ordered) or
//   [tA - window, tA + window] (unordered). Both kinds tolerate documents of different sources arriving out of
//   time order by up to `latenessMs`.
//
// Alert lifecycle and update emission (the policy the README documents): an alert is opened with one document
// (op 'index', id = hash(rule, key, period start)). While the period lasts, matching documents update its count,
// first/last seen, facets and evidence in memory; a new version is emitted only when `update_every_events` more
// documents matched or `update_every` of event time passed since the last version, when the storm goes quiet for
// `update_every` (noticed as other documents move event time on), when the period closes, when the key is
// evicted, and on flush(). A 2,000-request storm is thus a handful of index operations, not 2,000. The first
// alert of a key counts every matching document still held for that key (the run-up to the threshold
// included); once a period closes the key starts from zero, so a storm that outlives its period raises its
// next alert when it crosses the threshold again, counting from the first document after the close.
//
// State is bounded: at most `maxKeysPerRule` keys per rule (least recently used evicted, its open alert emitted
// first), idle keys dropped once event time has moved `window + lateness` past them, buckets and step-1 times
// capped per key. snapshot()/restore() carry all of it (plus the ids of the last `dedupeIds` documents, so
// records re-read after a restart from a checkpoint older than the snapshot are not counted twice).

import { performance } from 'node:perf_hooks';
import type { EcsDocument, ShippableDocument } from '../pipeline/document.types.js';
import type { Detector } from '../pipeline/stages.types.js';
import { nullLogger, type Logger } from '../telemetry/logger.types.js';
import {
  alertRaised,
  alertSuppressed,
  alertUpdated,
  detectCapacityReached,
  detectEvaluated,
  detectStateEvicted,
  detectStateRestoreFailed,
} from '../telemetry/detect-events.js';
import {
  addFacets,
  alertId,
  buildAlertDocument,
  emptyFacets,
  serverFactsOf,
  type AlertBuildContext,
  type AlertState,
  type Facets,
  type ServerFacts,
} from './alert-document.js';
import {
  compileCondition,
  compileKey,
  fieldString,
  shortHost,
  type CompiledKey,
  type Predicate,
} from './condition.js';
import { alertKeyFields, parseDuration, ruleKind, type Rule } from './rule.schema.js';

export interface DetectionEngineOptions {
  /** Bound on per-key state per rule (config `detect.maxKeysPerRule`). */
  readonly maxKeysPerRule?: number;
  /** How far (event time) documents of one key may arrive out of order across sources. Default 15 min. */
  readonly latenessMs?: number;
  /** Evidence document ids kept per alert. Default 10. */
  readonly evidenceLimit?: number;
  /** Distinct values kept per facet (devices, users, ...). Default 50. */
  readonly facetLimit?: number;
  /** Ids of recently evaluated documents remembered to ignore re-reads after a restart. Default 4096. */
  readonly dedupeIds?: number;
  /** data_stream.namespace of alert documents. */
  readonly namespace?: string;
  readonly logger?: Logger;
}

export interface RuleStats {
  raised: number;
  updated: number;
  suppressed: number;
  keys: number;
}

interface KeyState {
  values: string[];
  firstSeen: number;
  lastSeen: number;
  /** Matching documents held (sum of retained buckets for threshold/sequence). */
  total: number;
  /** Bucket index → count (threshold: matches; sequence: step-2 matches). Insertion ≈ time order. */
  buckets: Map<number, number>;
  /** Sequence: times of step-1 documents, ascending, at most A_TIMES_LIMIT. */
  aTimes: number[];
  evidence: string[];
  facets: Facets;
  server: ServerFacts;
  alert: AlertState | undefined;
}

const A_TIMES_LIMIT = 64;
const BUCKETS_LIMIT = 512;
const SWEEP_MS = 15_000;
const HOST_FACTS_LIMIT = 4096;
const METRICS_BATCH = 4096;
const SNAPSHOT_VERSION = 1;

class RuleRuntime {
  readonly kind: 'match' | 'threshold' | 'sequence';
  readonly preds: Predicate[];
  readonly key: CompiledKey;
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly retentionMs: number;
  readonly suppressed: boolean;
  readonly periodMs: number;
  readonly updateEvents: number;
  readonly updateMs: number;
  readonly need: number;
  readonly ordered: boolean;
  readonly buildCtx: AlertBuildContext;
  readonly states = new Map<string, KeyState>();
  stats: RuleStats = { raised: 0, updated: 0, suppressed: 0, keys: 0 };
  pendingSuppressed = 0;
  warnedCapacity = false;

  constructor(
    readonly rule: Rule,
    latenessMs: number,
    namespace: string,
    hostFacts: (h: string) => ServerFacts | undefined,
  ) {
    this.kind = ruleKind(rule);
    const keyFields = alertKeyFields(rule);
    this.key = compileKey(keyFields);
    this.buildCtx = { rule, keyFields, namespace, hostFacts };
    if (rule.threshold) {
      this.preds = [compileCondition(rule.threshold.where)];
      this.windowMs = parseDuration(rule.threshold.window)!;
      this.need = rule.threshold.count;
      this.ordered = true;
    } else if (rule.sequence) {
      this.preds = rule.sequence.steps.map((s) => compileCondition(s.where));
      this.windowMs = parseDuration(rule.sequence.window)!;
      this.need = rule.sequence.steps[1]!.count;
      this.ordered = rule.sequence.ordered;
    } else {
      this.preds = [compileCondition(rule.match!)];
      this.windowMs = 0;
      this.need = 1;
      this.ordered = true;
    }
    this.bucketMs = Math.max(1000, Math.ceil(this.windowMs / 60));
    this.retentionMs = this.windowMs + latenessMs;
    this.suppressed = rule.suppression !== undefined || this.kind !== 'match';
    const s = rule.suppression;
    this.periodMs = parseDuration(s?.period ?? '1h')!;
    this.updateEvents = s?.update_every_events ?? 500;
    this.updateMs = parseDuration(s?.update_every ?? '5m')!;
  }

  /** Matching documents in [lo, hi] (bucket-rounded). */
  countIn(st: KeyState, lo: number, hi: number): number {
    const a = Math.floor(lo / this.bucketMs);
    const b = Math.floor(hi / this.bucketMs);
    let n = 0;
    for (const [idx, c] of st.buckets) if (idx >= a && idx <= b) n += c;
    return n;
  }

  /** Drop buckets (and step-1 times) older than the key's own latest time minus window and lateness. */
  prune(st: KeyState): void {
    const cutoffMs = st.lastSeen - this.retentionMs;
    const cutoff = Math.floor(cutoffMs / this.bucketMs);
    let pruned = false;
    for (const [idx, c] of st.buckets) {
      if (idx >= cutoff && st.buckets.size <= BUCKETS_LIMIT) break;
      st.buckets.delete(idx);
      st.total -= c;
      pruned = true;
    }
    if (pruned) st.firstSeen = Math.max(st.firstSeen, cutoff * this.bucketMs);
    while (st.aTimes.length > 0 && st.aTimes[0]! < cutoffMs) {
      st.aTimes.shift();
      st.total -= 1;
    }
    if (st.total < 0) st.total = 0;
  }
}

export class DetectionEngine implements Detector {
  private readonly runtimes: RuleRuntime[];
  private readonly byId = new Map<string, RuleRuntime>();
  private readonly maxKeys: number;
  private readonly latenessMs: number;
  private readonly evidenceLimit: number;
  private readonly facetLimit: number;
  private readonly dedupeLimit: number;
  private readonly logger: Logger;
  private readonly hostFacts = new Map<string, ServerFacts>();
  private watermark = Number.NEGATIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  private dedupeRing: string[] = [];
  private dedupePos = 0;
  private readonly dedupeSet = new Set<string>();
  private evalDocs = 0;
  private evalMs = 0;

  constructor(
    readonly rules: readonly Rule[],
    options: DetectionEngineOptions = {},
  ) {
    this.maxKeys = options.maxKeysPerRule ?? 100_000;
    this.latenessMs = options.latenessMs ?? 15 * 60_000;
    this.evidenceLimit = options.evidenceLimit ?? 10;
    this.facetLimit = options.facetLimit ?? 50;
    this.dedupeLimit = options.dedupeIds ?? 4096;
    this.logger = options.logger ?? nullLogger;
    const lookup = (h: string): ServerFacts | undefined => this.hostFacts.get(shortHost(h));
    this.runtimes = rules
      .filter((r) => r.enabled)
      .map((r) => new RuleRuntime(r, this.latenessMs, options.namespace ?? 'default', lookup));
    for (const rt of this.runtimes) this.byId.set(rt.rule.id, rt);
  }

  evaluate(doc: EcsDocument, id: string): ShippableDocument[] {
    const started = performance.now();
    const out: ShippableDocument[] = [];
    const t = Date.parse(doc['@timestamp']);
    if (Number.isFinite(t) && !this.seen(id)) {
      this.learnHost(doc);
      for (const rt of this.runtimes) {
        if (rt.kind === 'match') this.evalMatch(rt, doc, id, t, out);
        else if (rt.kind === 'threshold') this.evalThreshold(rt, doc, id, t, out);
        else this.evalSequence(rt, doc, id, t, out);
      }
      if (t > this.watermark) this.watermark = t;
      if (this.watermark >= this.nextSweepAt) {
        this.sweep(out);
        this.nextSweepAt = (Math.floor(this.watermark / SWEEP_MS) + 1) * SWEEP_MS;
      }
    }
    this.evalMs += performance.now() - started;
    if (++this.evalDocs >= METRICS_BATCH) this.flushMetrics();
    return out;
  }

  /** Emit the latest version of every open alert that changed since its last version. */
  flush(): ShippableDocument[] {
    const out: ShippableDocument[] = [];
    for (const rt of this.runtimes)
      for (const st of rt.states.values()) if (st.alert?.dirty) this.emit(rt, st.alert, out, false);
    this.flushMetrics();
    return out;
  }

  stats(): Record<string, RuleStats> {
    const out: Record<string, RuleStats> = {};
    for (const rt of this.runtimes) out[rt.rule.id] = { ...rt.stats, keys: rt.states.size };
    return out;
  }

  // ---- per kind -------------------------------------------------------------------------------------------

  private evalMatch(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    if (!rt.preds[0]!(doc)) return;
    if (!rt.suppressed) {
      const st = this.freshState([], t);
      this.addEvidence(st, doc, id, t);
      st.total = 1;
      const a = this.openAlert(rt, st, id, t);
      this.emit(rt, a, out, true);
      return;
    }
    const k = rt.key.of(doc) ?? { key: '', values: [] };
    const st = this.state(rt, k.key, k.values, t, out);
    if (st.alert && t >= st.alert.periodEnd) this.closeAlert(rt, st, out);
    if (st.alert) {
      this.updateAlert(rt, st.alert, doc, id, t, out);
      return;
    }
    st.total = 1;
    st.firstSeen = t;
    st.lastSeen = t;
    this.addEvidence(st, doc, id, t);
    this.emit(rt, this.openAlert(rt, st, k.key, t), out, true);
  }

  private evalThreshold(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    if (!rt.preds[0]!(doc)) return;
    const k = rt.key.of(doc);
    if (!k) return;
    const st = this.state(rt, k.key, k.values, t, out);
    if (st.alert && t >= st.alert.periodEnd) this.closeAlert(rt, st, out);
    this.addBucket(rt, st, t);
    if (st.alert) {
      this.updateAlert(rt, st.alert, doc, id, t, out);
      return;
    }
    this.addEvidence(st, doc, id, t);
    if (rt.countIn(st, t - rt.windowMs, t) >= rt.need)
      this.emit(rt, this.openAlert(rt, st, k.key, t), out, true);
  }

  private evalSequence(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    const isA = rt.preds[0]!(doc);
    const isB = rt.preds[1]!(doc);
    if (!isA && !isB) return;
    const k = rt.key.of(doc);
    if (!k) return;
    const st = this.state(rt, k.key, k.values, t, out);
    if (st.alert && t >= st.alert.periodEnd) this.closeAlert(rt, st, out);
    if (isA) this.addATime(rt, st, t);
    if (isB) this.addBucket(rt, st, t);
    if (st.alert) {
      this.updateAlert(rt, st.alert, doc, id, t, out);
      return;
    }
    this.addEvidence(st, doc, id, t);
    const w = rt.windowMs;
    // Ordered: only B buckets after A's own bucket count, so a B logged just before A is never taken for one
    // after it (at the price of ignoring B documents in A's bucket, window/60 wide).
    const satisfied = (tA: number): boolean =>
      rt.countIn(st, rt.ordered ? tA + rt.bucketMs : tA - w, tA + w) >= rt.need;
    let open = isA && satisfied(t);
    if (!open && isB) {
      for (const tA of st.aTimes) {
        const inRange = rt.ordered ? tA < t && t <= tA + w : Math.abs(t - tA) <= w;
        if (inRange && satisfied(tA)) {
          open = true;
          break;
        }
      }
    }
    if (open) this.emit(rt, this.openAlert(rt, st, k.key, t), out, true);
  }

  // ---- state ----------------------------------------------------------------------------------------------

  private freshState(values: string[], t: number): KeyState {
    return {
      values,
      firstSeen: t,
      lastSeen: t,
      total: 0,
      buckets: new Map(),
      aTimes: [],
      evidence: [],
      facets: emptyFacets(),
      server: {},
      alert: undefined,
    };
  }

  /** The key's state, most recently used last; evicts the least recently used key when full. */
  private state(
    rt: RuleRuntime,
    key: string,
    values: string[],
    t: number,
    out: ShippableDocument[],
  ): KeyState {
    const st = rt.states.get(key);
    if (st) {
      rt.states.delete(key);
      rt.states.set(key, st);
      return st;
    }
    if (rt.states.size >= this.maxKeys) {
      const [oldKey, old] = rt.states.entries().next().value as [string, KeyState];
      if (old.alert?.dirty) this.emit(rt, old.alert, out, false);
      rt.states.delete(oldKey);
      detectStateEvicted(rt.rule.id, 'capacity');
      if (!rt.warnedCapacity) {
        rt.warnedCapacity = true;
        detectCapacityReached(this.logger, rt.rule.id, this.maxKeys);
      }
    }
    const fresh = this.freshState(values, t);
    rt.states.set(key, fresh);
    return fresh;
  }

  private touch(st: KeyState, t: number): void {
    if (st.total === 0) {
      st.firstSeen = t;
      st.lastSeen = t;
    }
    if (t < st.firstSeen) st.firstSeen = t;
    if (t > st.lastSeen) st.lastSeen = t;
  }

  private addBucket(rt: RuleRuntime, st: KeyState, t: number): void {
    this.touch(st, t);
    const idx = Math.floor(t / rt.bucketMs);
    st.buckets.set(idx, (st.buckets.get(idx) ?? 0) + 1);
    st.total += 1;
    rt.prune(st);
  }

  private addATime(rt: RuleRuntime, st: KeyState, t: number): void {
    this.touch(st, t);
    const a = st.aTimes;
    let i = a.length;
    while (i > 0 && a[i - 1]! > t) i--;
    a.splice(i, 0, t);
    st.total += 1;
    if (a.length > A_TIMES_LIMIT) {
      a.shift();
      st.total -= 1;
    }
    rt.prune(st);
  }

  /** Facets and evidence of a document that counts towards a not-yet-open alert. */
  private addEvidence(st: KeyState, doc: EcsDocument, id: string, t: number): void {
    this.touch(st, t);
    if (st.evidence.length < this.evidenceLimit) st.evidence.push(id);
    addFacets(st.facets, doc, this.facetLimit);
    const facts = serverFactsOf(doc);
    if (facts) st.server = facts;
  }

  private openAlert(rt: RuleRuntime, st: KeyState, key: string, t: number): AlertState {
    const a: AlertState = {
      id: alertId(rt.rule.id, key, t),
      keyValues: st.values,
      periodStart: t,
      periodEnd: t + rt.periodMs,
      count: Math.max(1, st.total),
      firstSeen: Math.min(st.firstSeen, t),
      lastSeen: Math.max(st.lastSeen, t),
      facets: st.facets,
      evidence: st.evidence,
      server: st.server,
      emittedCount: 0,
      lastEmitAt: t,
      dirty: true,
    };
    // The next period of this key counts from its own first document (see the module comment).
    st.facets = emptyFacets();
    st.evidence = [];
    st.server = {};
    if (rt.suppressed) st.alert = a;
    return a;
  }

  private updateAlert(
    rt: RuleRuntime,
    a: AlertState,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    a.count += 1;
    if (t < a.firstSeen) a.firstSeen = t;
    if (t > a.lastSeen) a.lastSeen = t;
    if (a.evidence.length < this.evidenceLimit) a.evidence.push(id);
    addFacets(a.facets, doc, this.facetLimit);
    const facts = serverFactsOf(doc);
    if (facts) a.server = facts;
    a.dirty = true;
    if (a.count - a.emittedCount >= rt.updateEvents || t - a.lastEmitAt >= rt.updateMs)
      this.emit(rt, a, out, false);
    else rt.pendingSuppressed += 1;
  }

  private closeAlert(rt: RuleRuntime, st: KeyState, out: ShippableDocument[]): void {
    const a = st.alert;
    if (!a) return;
    if (a.dirty) this.emit(rt, a, out, false);
    st.alert = undefined;
    // A storm that outlives the period starts the next one from the document that reopens it.
    st.total = 0;
    st.buckets.clear();
    st.aTimes = [];
  }

  private emit(rt: RuleRuntime, a: AlertState, out: ShippableDocument[], first: boolean): void {
    out.push(buildAlertDocument(rt.buildCtx, a));
    a.emittedCount = a.count;
    a.lastEmitAt = Math.max(a.lastEmitAt, a.lastSeen, first ? a.periodStart : this.watermarkOr(a.lastSeen));
    a.dirty = false;
    if (first) {
      rt.stats.raised += 1;
      alertRaised(rt.rule.id);
    } else {
      rt.stats.updated += 1;
      alertUpdated(rt.rule.id);
    }
  }

  private watermarkOr(t: number): number {
    return Number.isFinite(this.watermark) ? Math.max(this.watermark, t) : t;
  }

  /** Event time moved on: emit quiet alerts, close ended periods, drop idle keys. */
  private sweep(out: ShippableDocument[]): void {
    const now = this.watermark;
    for (const rt of this.runtimes) {
      let idle = 0;
      for (const [key, st] of rt.states) {
        const a = st.alert;
        if (a) {
          if (now >= a.periodEnd + this.latenessMs) this.closeAlert(rt, st, out);
          else if (a.dirty && now - a.lastEmitAt >= rt.updateMs) this.emit(rt, a, out, false);
        }
        if (!st.alert && now - st.lastSeen > rt.retentionMs) {
          rt.states.delete(key);
          idle++;
        }
      }
      if (idle > 0) detectStateEvicted(rt.rule.id, 'idle', idle);
    }
  }

  private seen(id: string): boolean {
    if (this.dedupeLimit <= 0) return false;
    if (this.dedupeSet.has(id)) return true;
    if (this.dedupeRing.length < this.dedupeLimit) this.dedupeRing.push(id);
    else {
      this.dedupeSet.delete(this.dedupeRing[this.dedupePos]!);
      this.dedupeRing[this.dedupePos] = id;
      this.dedupePos = (this.dedupePos + 1) % this.dedupeLimit;
    }
    this.dedupeSet.add(id);
    return false;
  }

  private learnHost(doc: EcsDocument): void {
    const host = fieldString(doc, ['host', 'name']);
    if (host === undefined) return;
    const facts = serverFactsOf(doc);
    if (!facts) return;
    const h = shortHost(host);
    this.hostFacts.delete(h);
    this.hostFacts.set(h, facts);
    if (this.hostFacts.size > HOST_FACTS_LIMIT) this.hostFacts.delete(this.hostFacts.keys().next().value!);
  }

  private flushMetrics(): void {
    detectEvaluated(this.evalDocs, this.evalMs / 1000);
    this.evalDocs = 0;
    this.evalMs = 0;
    for (const rt of this.runtimes) {
      if (rt.pendingSuppressed > 0) {
        rt.stats.suppressed += rt.pendingSuppressed;
        alertSuppressed(rt.rule.id, rt.pendingSuppressed);
        rt.pendingSuppressed = 0;
      }
    }
  }

  // ---- snapshot / restore ---------------------------------------------------------------------------------

  snapshot(): DetectorSnapshot {
    this.flushMetrics();
    const rules: DetectorSnapshot['rules'] = {};
    for (const rt of this.runtimes) {
      rules[rt.rule.id] = {
        bucketMs: rt.bucketMs,
        keys: [...rt.states].map(([key, st]) => ({
          key,
          values: st.values,
          firstSeen: st.firstSeen,
          lastSeen: st.lastSeen,
          total: st.total,
          buckets: [...st.buckets],
          aTimes: st.aTimes,
          evidence: st.evidence,
          facets: st.facets,
          server: st.server,
          ...(st.alert ? { alert: st.alert } : {}),
        })),
      };
    }
    // Ring order oldest → newest so a restore refills it in the same eviction order.
    const ring =
      this.dedupeRing.length < this.dedupeLimit
        ? [...this.dedupeRing]
        : [...this.dedupeRing.slice(this.dedupePos), ...this.dedupeRing.slice(0, this.dedupePos)];
    // structuredClone: the snapshot must not alias live state that keeps changing.
    return structuredClone({
      v: SNAPSHOT_VERSION,
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      nextSweepAt: Number.isFinite(this.nextSweepAt) ? this.nextSweepAt : null,
      recentIds: ring,
      hostFacts: [...this.hostFacts],
      rules,
    });
  }

  restore(state: unknown): void {
    if (state === undefined || state === null) return;
    try {
      const s = state as DetectorSnapshot;
      if (s.v !== SNAPSHOT_VERSION) throw new Error(`unsupported snapshot version ${String(s.v)}`);
      const copy = structuredClone(s);
      this.watermark = copy.watermark ?? Number.NEGATIVE_INFINITY;
      this.nextSweepAt = copy.nextSweepAt ?? Number.NEGATIVE_INFINITY;
      this.dedupeRing = [];
      this.dedupePos = 0;
      this.dedupeSet.clear();
      for (const id of copy.recentIds) this.seen(id);
      this.hostFacts.clear();
      for (const [h, f] of copy.hostFacts) this.hostFacts.set(h, f);
      for (const rt of this.runtimes) {
        rt.states.clear();
        const saved = copy.rules[rt.rule.id];
        // A rule whose window changed since the snapshot cannot reuse its buckets: start it empty.
        if (!saved || saved.bucketMs !== rt.bucketMs) continue;
        for (const k of saved.keys) {
          rt.states.set(k.key, {
            values: k.values,
            firstSeen: k.firstSeen,
            lastSeen: k.lastSeen,
            total: k.total,
            buckets: new Map(k.buckets),
            aTimes: k.aTimes,
            evidence: k.evidence,
            facets: k.facets,
            server: k.server,
            alert: k.alert,
          });
        }
      }
    } catch (err) {
      for (const rt of this.runtimes) rt.states.clear();
      this.watermark = Number.NEGATIVE_INFINITY;
      this.nextSweepAt = Number.NEGATIVE_INFINITY;
      detectStateRestoreFailed(this.logger, err instanceof Error ? err.message : String(err));
    }
  }
}

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
      keys: Array<{
        key: string;
        values: string[];
        firstSeen: number;
        lastSeen: number;
        total: number;
        buckets: [number, number][];
        aTimes: number[];
        evidence: string[];
        facets: Facets;
        server: ServerFacts;
        alert?: AlertState;
      }>;
    }
  >;
}
