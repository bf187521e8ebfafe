// The streaming detection engine (the pipeline's `Detector`). Every document is evaluated against every rule in
// arrival order; all windows, periods and update cadences are measured in the documents' own @timestamp, never
// the wall clock, so a backfill of last week's logs raises exactly the alerts live tailing raised.
//
// Rule kinds:
// - match: one document. With suppression, the first match of a key in a period raises the alert; later matches
//   update it. Without suppression every match is its own alert (id from the evidence document id).
// - threshold: per key, event counts in buckets of window/60 (at least 1 s); the alert is raised when the count
//   in [t - window, t] reaches `count`. Window edges are therefore rounded to one bucket.
// - sequence: per key, the times of step-1 documents (the latest 64) and bucketed counts of step-2 documents;
//   raised when some step-1 document has `count` step-2 documents in (tA, tA + window] (ordered; step-2 documents
//   in A's own bucket are not counted) or [tA - window, tA + window] (unordered).
// Windows keep `window + lateness` of history behind each key's latest document, so documents of different
// files may arrive out of time order by `latenessMs` (default 2 h: `casguard replay` reads one file after the
// other) and still meet.
//
// Periods and ids: suppression periods are aligned to UTC multiples of `period` (a 24h period is a UTC day).
// The alert id is hash(rule, key, period start), and the alert counts every matching document of the key in
// that period (the run-up to a threshold included), its first/last seen, facets (reported sorted; values taken
// from the first document of each device and log format) and the earliest evidence ids by event time. None of
// that depends on the order in which files are read, so a backfill produces the same final alert documents as
// live tailing, and a replay without saved state the same ids. An alert raised from documents that name no
// Exchange build (IIS lines) takes the host's build from any other document of that host (event 4999, mailbox
// log, HttpProxy) and is shipped again once it is learned.
//
// Update emission (the policy the README documents): the first document of an alert is emitted when it is raised
// (op 'index'). While the period lasts, matching documents update it in memory; a new version is emitted only
// when `update_every_events` more documents matched or `update_every` of event time passed since the last
// version, when the storm has been quiet for `update_every` (noticed as other documents move event time on),
// when the period closes, when the key is evicted, and on flush(). A 2,000-request storm is thus a handful of
// index operations, not 2,000; every later version replaces the earlier one under the same id.
//
// State is bounded: at most `maxKeysPerRule` keys per rule (least recently used evicted, its open alert emitted
// first), idle keys dropped once event time has moved `window + lateness` past them, buckets (512), step-1 times
// (64), evidence and facet values capped per key. snapshot()/restore() carry all of it, plus the ids of the last
// `dedupeIds` documents, so records re-read after a restart from a checkpoint older than the snapshot are not
// counted twice (checked for the documents that follow a restore).
//
// Cost: field reads go through per-name generated readers and a per-document memo shared by all rules
// (condition.ts); bench/detect-bench.ts measures the engine against the pipeline.

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
  addFacetValues,
  alertId,
  buildAlertDocument,
  emptyFacets,
  FacetReader,
  serverFactsOf,
  type AlertBuildContext,
  type Facets,
  type ServerFacts,
} from './alert-document.js';
import {
  compileCondition,
  compileKey,
  fieldSlot,
  fieldString,
  keyValues,
  readField,
  shortHost,
  type CompiledKey,
  type Predicate,
} from './condition.js';
import { alertKeyFields, parseDuration, ruleKind, type Rule } from './rule.schema.js';

export interface DetectionEngineOptions {
  /** Bound on per-key state per rule (config `detect.maxKeysPerRule`). */
  readonly maxKeysPerRule?: number;
  /** How far (event time) documents of one key may arrive out of order across files. Default 2 h. */
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

/** Statistics of one key in one (UTC-aligned) suppression period: what its alert reports. */
interface PeriodStats {
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
interface OpenAlert {
  id: string;
  emittedCount: number;
  lastEmitAt: number;
  dirty: boolean;
  /** Whether the last version named the Exchange build (false: re-emit once another file reveals it). */
  serverKnown?: boolean;
}

interface KeyState {
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
const SAMPLED_LIMIT = 4096;
const DEVICE_SLOT = fieldSlot('device.id');
const FORMAT_SLOT = fieldSlot('casguard.format');
const BUCKETS_LIMIT = 512;
const SWEEP_MS = 15_000;
const HOST_FACTS_LIMIT = 4096;
const METRICS_BATCH = 4096;
const SNAPSHOT_VERSION = 2;
/** What evaluate() returns when nothing is emitted (callers only iterate it). */
const NOTHING: ShippableDocument[] = Object.freeze([]) as unknown as ShippableDocument[];

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
  clock = 0;

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
    this.periodMs = parseDuration(s?.period ?? '24h')!;
    this.updateEvents = s?.update_every_events ?? 500;
    this.updateMs = parseDuration(s?.update_every ?? '5m')!;
  }

  periodOf(t: number): number {
    return Math.floor(t / this.periodMs) * this.periodMs;
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
    for (const idx of st.buckets.keys()) {
      if (idx >= cutoff && st.buckets.size <= BUCKETS_LIMIT) break;
      st.buckets.delete(idx);
    }
    while (st.aTimes.length > 0 && st.aTimes[0]! < cutoffMs) st.aTimes.shift();
  }
}

export class DetectionEngine implements Detector {
  private readonly runtimes: RuleRuntime[];
  private readonly maxKeys: number;
  private readonly latenessMs: number;
  private readonly evidenceLimit: number;
  private readonly facetLimit: number;
  private readonly dedupeLimit: number;
  private readonly logger: Logger;
  private readonly hostFacts = new Map<string, ServerFacts>();
  private watermark = Number.NEGATIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  /** Ids of the latest `dedupeIds` documents (a ring), saved with the snapshot. */
  private dedupeRing: string[] = [];
  private dedupePos = 0;
  /** After a restore: the saved ids still expected to be re-read, and how many new documents to check for. */
  private replayIds: Set<string> | undefined;
  private replayChecksLeft = 0;
  private sampleCounter = 0;
  private readonly scratch: ShippableDocument[] = [];
  private lastTs = '';
  private readonly facets = new FacetReader();
  private signatureOf: EcsDocument | undefined;
  private signature: string | undefined;
  private serverOf: EcsDocument | undefined;
  private serverCache: ServerFacts | undefined;
  private lastT = Number.NaN;
  private evalDocs = 0;
  private evalMs = 0;

  constructor(
    readonly rules: readonly Rule[],
    options: DetectionEngineOptions = {},
  ) {
    this.maxKeys = options.maxKeysPerRule ?? 100_000;
    this.latenessMs = options.latenessMs ?? 2 * 3_600_000;
    this.evidenceLimit = options.evidenceLimit ?? 10;
    this.facetLimit = options.facetLimit ?? 50;
    this.dedupeLimit = options.dedupeIds ?? 4096;
    this.logger = options.logger ?? nullLogger;
    const lookup = (h: string): ServerFacts | undefined => this.hostFacts.get(shortHost(h));
    this.runtimes = rules
      .filter((r) => r.enabled)
      .map((r) => new RuleRuntime(r, this.latenessMs, options.namespace ?? 'default', lookup));
  }

  evaluate(doc: EcsDocument, id: string): ShippableDocument[] {
    // Timing every call would cost a measurable share of the evaluation itself: time one document in 16.
    const timed = (++this.sampleCounter & 15) === 0;
    const started = timed ? performance.now() : 0;
    const out = this.scratch; // most documents raise nothing: no array per call
    // Consecutive documents often share their timestamp (one-second log resolution): parse each text once.
    const ts = doc['@timestamp'];
    const t = ts === this.lastTs ? this.lastT : (this.lastT = Date.parse((this.lastTs = ts)));
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
    if (timed) this.evalMs += (performance.now() - started) * 16;
    if (++this.evalDocs >= METRICS_BATCH) this.flushMetrics();
    return out.length === 0 ? NOTHING : out.splice(0);
  }

  /** Emit the latest version of every open alert that changed since its last version (end of a replay). */
  flush(): ShippableDocument[] {
    const out: ShippableDocument[] = [];
    for (const rt of this.runtimes)
      for (const st of rt.states.values()) {
        if (st.alert?.dirty) this.emit(rt, st, out, false);
        else this.emitIfServerLearned(rt, st, out);
      }
    this.flushMetrics();
    return out;
  }

  stats(): Record<string, RuleStats> {
    this.flushMetrics();
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
      const st = this.freshState([]);
      this.count(rt, st, doc, id, t, out);
      st.alert = {
        id: alertId(rt.rule.id, id, t),
        emittedCount: 0,
        lastEmitAt: t,
        dirty: true,
        serverKnown: true,
      };
      this.emit(rt, st, out, true);
      return;
    }
    const key = rt.key.of(doc) ?? '';
    const st = this.state(rt, key, out);
    if (!this.count(rt, st, doc, id, t, out)) return;
    if (st.alert) this.updated(rt, st, t, out);
    else this.raise(rt, st, key, t, out);
  }

  private evalThreshold(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    if (!rt.preds[0]!(doc)) return;
    const key = rt.key.of(doc);
    if (key === undefined) return;
    const st = this.state(rt, key, out);
    this.addBucket(rt, st, t);
    if (!this.count(rt, st, doc, id, t, out)) return;
    if (st.alert) this.updated(rt, st, t, out);
    else if (rt.countIn(st, t - rt.windowMs, t) >= rt.need) this.raise(rt, st, key, t, out);
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
    const key = rt.key.of(doc);
    if (key === undefined) return;
    const st = this.state(rt, key, out);
    if (isA) this.addATime(rt, st, t);
    if (isB) this.addBucket(rt, st, t);
    if (!this.count(rt, st, doc, id, t, out)) return;
    if (st.alert) {
      this.updated(rt, st, t, out);
      return;
    }
    let open = isA && this.satisfied(rt, st, t);
    if (!open && isB) {
      const w = rt.windowMs;
      for (const tA of st.aTimes) {
        const inRange = rt.ordered ? tA < t && t <= tA + w : Math.abs(t - tA) <= w;
        if (inRange && this.satisfied(rt, st, tA)) {
          open = true;
          break;
        }
      }
    }
    if (open) this.raise(rt, st, key, t, out);
  }

  /**
   * Enough step-2 documents around a step-1 document at tA. Ordered: only buckets after A's own bucket count, so
   * a B logged just before A is never taken for one after it (at the price of ignoring B documents in A's
   * bucket, window/60 wide).
   */
  private satisfied(rt: RuleRuntime, st: KeyState, tA: number): boolean {
    const w = rt.windowMs;
    return rt.countIn(st, rt.ordered ? tA + rt.bucketMs : tA - w, tA + w) >= rt.need;
  }

  // ---- state ----------------------------------------------------------------------------------------------

  private freshState(values: string[]): KeyState {
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

  /**
   * The key's state. Recency is a counter stamped on each use (cheaper than re-inserting into the Map on every
   * document); when the rule is full, the least recently used 1% of its keys are evicted in one pass, each open
   * alert emitted first.
   */
  private state(rt: RuleRuntime, key: string, out: ShippableDocument[]): KeyState {
    const st = rt.states.get(key);
    if (st) {
      st.used = ++rt.clock;
      return st;
    }
    if (rt.states.size >= this.maxKeys) this.evictOldest(rt, out);
    const fresh = this.freshState(keyValues(key));
    fresh.used = ++rt.clock;
    rt.states.set(key, fresh);
    return fresh;
  }

  private evictOldest(rt: RuleRuntime, out: ShippableDocument[]): void {
    const n = Math.floor(this.maxKeys / 100) + 1;
    const oldest = [...rt.states].sort((x, y) => x[1].used - y[1].used).slice(0, n);
    for (const [k, old] of oldest) {
      if (old.alert?.dirty) this.emit(rt, old, out, false);
      rt.states.delete(k);
    }
    detectStateEvicted(rt.rule.id, 'capacity', oldest.length);
    if (!rt.warnedCapacity) {
      rt.warnedCapacity = true;
      detectCapacityReached(this.logger, rt.rule.id, this.maxKeys);
    }
  }

  private addBucket(rt: RuleRuntime, st: KeyState, t: number): void {
    if (t > st.lastSeen) st.lastSeen = t;
    const idx = Math.floor(t / rt.bucketMs);
    const c = st.buckets.get(idx);
    if (c !== undefined) st.buckets.set(idx, c + 1);
    else {
      st.buckets.set(idx, 1);
      rt.prune(st); // only a new bucket can push old ones out of the retention
    }
  }

  private addATime(rt: RuleRuntime, st: KeyState, t: number): void {
    if (t > st.lastSeen) st.lastSeen = t;
    const a = st.aTimes;
    let i = a.length;
    while (i > 0 && a[i - 1]! > t) i--;
    a.splice(i, 0, t);
    if (a.length > A_TIMES_LIMIT) a.shift();
    rt.prune(st);
  }

  /**
   * Count a matching document in its key's period statistics. A document of a later period closes the alert of
   * the earlier one first; a late document of an already closed period is not counted (returns false).
   */
  private count(
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
      p = { start, count: 0, first: t, last: t, evidence: [], facets: emptyFacets(), server: {} };
      st.period = p;
      st.sampled = undefined;
    }
    p.count += 1;
    if (t < p.first) p.first = t;
    if (t > p.last) p.last = t;
    this.addEvidence(p.evidence, t, id);
    // Facet values come from the first document of each device and log format in the period: a storm repeats
    // its device's user, agent, build and model thousands of times, and reading them is most of a count's cost.
    // (A device that changes user agent or address mid-period keeps its first values in the alert.)
    const sig = this.docSignature(doc);
    const sampled = (st.sampled ??= new Set());
    if (sig === undefined || !sampled.has(sig)) {
      if (sig !== undefined && sampled.size < SAMPLED_LIMIT) sampled.add(sig);
      this.facets.reset(doc);
      addFacetValues(p.facets, this.facets, this.facetLimit);
    }
    const facts = this.docServer(doc);
    if (facts) p.server = facts;
    if (st.alert) st.alert.dirty = true;
    return true;
  }

  /** Keep the earliest `evidenceLimit` documents by (time, id): independent of the order files are read in. */
  private addEvidence(ev: [number, string][], t: number, id: string): void {
    const limit = this.evidenceLimit;
    if (ev.length >= limit) {
      const last = ev[ev.length - 1]!;
      if (t > last[0] || (t === last[0] && id >= last[1])) return;
    }
    let i = ev.length;
    while (i > 0 && (ev[i - 1]![0] > t || (ev[i - 1]![0] === t && ev[i - 1]![1] > id))) i--;
    ev.splice(i, 0, [t, id]);
    if (ev.length > limit) ev.pop();
  }

  private raise(rt: RuleRuntime, st: KeyState, key: string, t: number, out: ShippableDocument[]): void {
    const p = st.period!;
    st.alert = {
      id: alertId(rt.rule.id, key, p.start),
      emittedCount: 0,
      lastEmitAt: t,
      dirty: true,
      serverKnown: true,
    };
    this.emit(rt, st, out, true);
  }

  private updated(rt: RuleRuntime, st: KeyState, t: number, out: ShippableDocument[]): void {
    const a = st.alert!;
    const p = st.period!;
    if (p.count - a.emittedCount >= rt.updateEvents || t - a.lastEmitAt >= rt.updateMs)
      this.emit(rt, st, out, false);
    else rt.pendingSuppressed += 1;
  }

  /** Emit the final version if it changed, then forget the alert and its period. */
  private closeAlert(rt: RuleRuntime, st: KeyState, out: ShippableDocument[]): void {
    if (st.alert?.dirty) this.emit(rt, st, out, false);
    st.alert = undefined;
    st.period = undefined;
    st.sampled = undefined;
  }

  private build(rt: RuleRuntime, st: KeyState): ShippableDocument {
    const p = st.period!;
    return buildAlertDocument(rt.buildCtx, {
      id: st.alert!.id,
      keyValues: st.values,
      periodStart: p.start,
      periodEnd: p.start + rt.periodMs,
      count: p.count,
      firstSeen: p.first,
      lastSeen: p.last,
      facets: p.facets,
      evidence: p.evidence.map((e) => e[1]),
      server: p.server,
    });
  }

  private emit(
    rt: RuleRuntime,
    st: KeyState,
    out: ShippableDocument[],
    first: boolean,
    built?: ShippableDocument,
  ): void {
    const a = st.alert!;
    const p = st.period!;
    const doc = built ?? this.build(rt, st);
    out.push(doc);
    a.emittedCount = p.count;
    a.lastEmitAt = Math.max(a.lastEmitAt, p.last, Number.isFinite(this.watermark) ? this.watermark : p.last);
    a.dirty = false;
    a.serverKnown = hasBuild(doc);
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
  private emitIfServerLearned(rt: RuleRuntime, st: KeyState, out: ShippableDocument[]): void {
    if (!st.alert || st.alert.serverKnown !== false || this.hostFacts.size === 0) return;
    const doc = this.build(rt, st);
    if (hasBuild(doc)) this.emit(rt, st, out, false, doc);
  }

  /** Event time moved on: emit quiet alerts, close ended periods, drop idle keys. */
  private sweep(out: ShippableDocument[]): void {
    const now = this.watermark;
    for (const rt of this.runtimes) {
      let idle = 0;
      for (const [key, st] of rt.states) {
        const a = st.alert;
        if (a && st.period) {
          if (now >= st.period.start + rt.periodMs + this.latenessMs) this.closeAlert(rt, st, out);
          else if (a.dirty && now - a.lastEmitAt >= rt.updateMs) this.emit(rt, st, out, false);
          else this.emitIfServerLearned(rt, st, out);
        }
        if (!st.alert && now - st.lastSeen > rt.retentionMs) {
          rt.states.delete(key);
          idle++;
        }
      }
      if (idle > 0) detectStateEvicted(rt.rule.id, 'idle', idle);
    }
  }

  /**
   * True for a document evaluated before the snapshot this engine was restored from (the input re-reads records
   * after its last checkpoint). Only checked right after a restore; otherwise recording the id is one store.
   */
  private seen(id: string): boolean {
    if (this.dedupeLimit <= 0) return false;
    if (this.replayIds) {
      if (this.replayIds.delete(id)) {
        if (this.replayIds.size === 0) this.replayIds = undefined;
        return true;
      }
      if (--this.replayChecksLeft <= 0) this.replayIds = undefined;
    }
    if (this.dedupeRing.length < this.dedupeLimit) this.dedupeRing.push(id);
    else {
      this.dedupeRing[this.dedupePos] = id;
      this.dedupePos = (this.dedupePos + 1) % this.dedupeLimit;
    }
    return false;
  }

  private docSignature(doc: EcsDocument): string | undefined {
    if (this.signatureOf !== doc) {
      this.signatureOf = doc;
      const device = readField(doc, DEVICE_SLOT);
      const format = readField(doc, FORMAT_SLOT);
      this.signature =
        typeof device !== 'string'
          ? undefined
          : typeof format === 'string'
            ? `${device}\u001f${format}`
            : device;
    }
    return this.signature;
  }

  private docServer(doc: EcsDocument): ServerFacts | undefined {
    if (this.serverOf !== doc) {
      this.serverOf = doc;
      this.serverCache = serverFactsOf(doc);
    }
    return this.serverCache;
  }

  private learnHost(doc: EcsDocument): void {
    const facts = this.docServer(doc);
    if (!facts) return;
    const host = fieldString(doc, ['host', 'name']);
    if (host === undefined) return;
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
      this.dedupeRing = copy.recentIds.slice(-this.dedupeLimit);
      this.dedupePos = 0;
      this.replayIds = this.dedupeRing.length > 0 ? new Set(this.dedupeRing) : undefined;
      this.replayChecksLeft = 2 * this.dedupeLimit;
      this.hostFacts.clear();
      for (const [h, f] of copy.hostFacts) this.hostFacts.set(h, f);
      for (const rt of this.runtimes) {
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
    } catch (err) {
      for (const rt of this.runtimes) rt.states.clear();
      this.watermark = Number.NEGATIVE_INFINITY;
      this.nextSweepAt = Number.NEGATIVE_INFINITY;
      detectStateRestoreFailed(this.logger, err instanceof Error ? err.message : String(err));
    }
  }
}

function hasBuild(doc: ShippableDocument): boolean {
  const ms = doc.doc['microsoft'];
  return typeof ms === 'object' && ms !== null && !Array.isArray(ms) && ms['exchange'] !== undefined;
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
