// The streaming detection engine (the pipeline's `Detector`). Every document is evaluated against every rule in
// arrival order; all windows, periods and update cadences are measured in the documents' own @timestamp, never
// the wall clock, so a backfill of last week's logs raises exactly the alerts live tailing raised.
//
// The roles, one file each:
// - rule-runtime.ts: a rule compiled for evaluation (kind, predicates, key, window, suppression parameters);
// - rule-kinds.ts: evaluation per kind (match, threshold, sequence);
// - key-state.ts: per-key state and its event-time windows (buckets, step-1 times, pruning);
// - key-store.ts: the keyed state of each rule, bounded by `maxKeysPerRule` (eviction);
// - alert-lifecycle.ts: suppression periods, raising, updating and closing alerts, the sweep;
// - event-clock.ts: event time (timestamp parsing, the watermark, when sweeps run);
// - document-facts.ts: per-document memo (facets, device signature, server build) and builds learned per host;
// - facet-values.ts: an alert's facet values, compact, detached from the documents' text;
// - recent-ids.ts and state-snapshot.ts: what survives a restart, saved incrementally.
// This file wires them and owns the per-document loop and the batched metrics.
//
// State is bounded: at most `maxKeysPerRule` keys per rule (evicting only keys below threshold; key-store.ts),
// idle keys dropped once event time has moved `window + lateness` past them, buckets (512), step-1 times (64),
// evidence and facet values capped per key. Documents dated more than `maxFutureSkewMs` ahead of the agent's
// clock are not evaluated (event-clock.ts).
//
// Cost: field reads go through per-name generated readers and a per-document memo shared by all rules
// (condition.ts); bench/detect-bench.ts measures the engine against the pipeline.

import { performance } from 'node:perf_hooks';
import type { EcsDocument, ShippableDocument } from '../pipeline/document.types.js';
import type { Detector } from '../pipeline/stages.types.js';
import { nullLogger, type Logger } from '../telemetry/logger.types.js';
import {
  alertSuppressed,
  detectEvaluated,
  detectStateKeys,
  detectStateRestoreFailed,
} from '../telemetry/detect-events.js';
import { AlertLifecycle } from './alert-lifecycle.js';
import { DocumentFacts } from './document-facts.js';
import { EventClock } from './event-clock.js';
import { KeyStore } from './key-store.js';
import { RecentIds } from './recent-ids.js';
import { RuleEvaluator } from './rule-kinds.js';
import { RuleRuntime, type RuleStats } from './rule-runtime.js';
import type { Rule } from './rule.schema.js';
import { StateCodec, type DetectorSnapshot, type DetectorStateChanges } from './state-snapshot.js';

export type { RuleStats } from './rule-runtime.js';
export type { DetectorSnapshot, DetectorStateChanges } from './state-snapshot.js';

export interface DetectionEngineOptions {
  /** Bound on per-key state per rule (config `detect.maxKeysPerRule`). Default DEFAULT_MAX_KEYS_PER_RULE. */
  readonly maxKeysPerRule?: number;
  /**
   * Documents dated further ahead of the agent's clock are shipped but not evaluated (config
   * `detect.maxFutureSkewMs`). Default one day.
   */
  readonly maxFutureSkewMs?: number;
  /** The agent's clock (ms since the epoch); injected for tests. Default Date.now. */
  readonly now?: () => number;
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
  /**
   * Array mode (config `array`): 0 < fraction < 1 makes threshold keys whose window count reaches
   * ceil(fraction × count) publish pending contributions, and every emitted alert carry its AlertShareFacts, for
   * the array-wide merge (outputs/array/). Default 0: off.
   */
  readonly shareFraction?: number;
  readonly logger?: Logger;
}

export const DEFAULT_MAX_KEYS_PER_RULE = 10_000;
export const DEFAULT_MAX_FUTURE_SKEW_MS = 86_400_000;
const METRICS_BATCH = 4096;
/** What evaluate() returns when nothing is emitted (callers only iterate it). */
const NOTHING: ShippableDocument[] = Object.freeze([]) as unknown as ShippableDocument[];

export class DetectionEngine implements Detector {
  private readonly runtimes: RuleRuntime[];
  private readonly logger: Logger;
  private readonly facts = new DocumentFacts();
  private readonly clock: EventClock;
  private readonly recent: RecentIds;
  private readonly lifecycle: AlertLifecycle;
  private readonly evaluator: RuleEvaluator;
  private readonly codec: StateCodec;
  private sampleCounter = 0;
  private readonly scratch: ShippableDocument[] = [];
  private evalDocs = 0;
  private evalMs = 0;

  constructor(
    readonly rules: readonly Rule[],
    options: DetectionEngineOptions = {},
  ) {
    const latenessMs = options.latenessMs ?? 2 * 3_600_000;
    const now = options.now ?? Date.now;
    this.logger = options.logger ?? nullLogger;
    this.clock = new EventClock({
      maxFutureSkewMs: options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS,
      now,
      logger: this.logger,
    });
    this.recent = new RecentIds(options.dedupeIds ?? 4096);
    this.lifecycle = new AlertLifecycle(
      { evidenceLimit: options.evidenceLimit ?? 10, facetLimit: options.facetLimit ?? 50, latenessMs },
      this.facts,
      this.clock,
    );
    const keys = new KeyStore(
      { maxKeys: options.maxKeysPerRule ?? DEFAULT_MAX_KEYS_PER_RULE, logger: this.logger, now },
      this.lifecycle,
    );
    this.evaluator = new RuleEvaluator(keys, this.lifecycle);
    this.runtimes = rules
      .filter((r) => r.enabled)
      .map(
        (r) =>
          new RuleRuntime(
            r,
            latenessMs,
            options.namespace ?? 'default',
            this.facts.lookup,
            options.shareFraction ?? 0,
          ),
      );
    this.codec = new StateCodec({
      runtimes: this.runtimes,
      clock: this.clock,
      recent: this.recent,
      facts: this.facts,
    });
  }

  evaluate(doc: EcsDocument, id: string, unmatched = false): ShippableDocument[] {
    // Timing every call would cost a measurable share of the evaluation itself: time one document in 16.
    const timed = (++this.sampleCounter & 15) === 0;
    const started = timed ? performance.now() : 0;
    const out = this.scratch; // most documents raise nothing: no array per call
    const t = this.clock.parse(doc['@timestamp']);
    // A document dated too far ahead is shipped (the caller does that) but evaluated by no rule.
    if (Number.isFinite(t) && !this.clock.tooFarAhead(t) && !this.recent.seen(id)) {
      this.facts.learnHost(doc);
      // A document no condition holds for changes no key: only the clock and the host facts move.
      if (!unmatched) for (const rt of this.runtimes) this.evaluator.evaluate(rt, doc, id, t, out);
      if (this.clock.advance(t)) for (const rt of this.runtimes) this.lifecycle.sweep(rt, out);
    }
    if (timed) this.evalMs += (performance.now() - started) * 16;
    if (++this.evalDocs >= METRICS_BATCH) this.flushMetrics();
    return out.length === 0 ? NOTHING : out.splice(0);
  }

  /** Emit the latest version of every open alert that changed since its last version (end of a replay). */
  flush(): ShippableDocument[] {
    const out: ShippableDocument[] = [];
    for (const rt of this.runtimes) this.lifecycle.flush(rt, out);
    this.flushMetrics();
    return out;
  }

  /**
   * The current version of every open alert (and pending contribution in array mode), whether or not it changed
   * since it was emitted. Changes nothing: the array merge re-publishes them at start (its merge is idempotent).
   */
  current(): ShippableDocument[] {
    const out: ShippableDocument[] = [];
    for (const rt of this.runtimes) this.lifecycle.current(rt, out);
    return out;
  }

  stats(): Record<string, RuleStats> {
    this.flushMetrics();
    const out: Record<string, RuleStats> = {};
    for (const rt of this.runtimes) out[rt.rule.id] = { ...rt.stats, keys: rt.states.size };
    return out;
  }

  /** The whole state (see state-snapshot.ts). */
  snapshot(): DetectorSnapshot {
    this.flushMetrics();
    return this.codec.snapshot();
  }

  /**
   * What changed in the state since the previous call, for an incremental save: everything the first time after
   * start or restore, or when asked (`full`: the store replaces what it holds), then the entries of the keys
   * touched since and the names of the keys dropped.
   */
  stateChanges(full = false): DetectorStateChanges {
    this.flushMetrics();
    return this.codec.changes(full);
  }

  /** Restore a snapshot (version 3, or the registry's version 2); an unusable one is reported. */
  restore(state: unknown): void {
    if (state === undefined || state === null) return;
    this.guardRestore(() => this.codec.restore(state));
  }

  /** Restore from what a store kept of stateChanges() (base entries with later changes applied). */
  restoreEntries(entries: Iterable<[string, unknown]>): void {
    this.guardRestore(() => this.codec.restoreEntries(entries));
  }

  private guardRestore(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      for (const rt of this.runtimes) {
        rt.states.clear();
        rt.removed.length = 0;
      }
      this.clock.reset();
      detectStateRestoreFailed(this.logger, err instanceof Error ? err.message : String(err));
    }
  }

  private flushMetrics(): void {
    detectEvaluated(this.evalDocs, this.evalMs / 1000);
    this.evalDocs = 0;
    this.evalMs = 0;
    for (const rt of this.runtimes) {
      detectStateKeys(rt.rule.id, rt.states.size);
      if (rt.pendingSuppressed > 0) {
        rt.stats.suppressed += rt.pendingSuppressed;
        alertSuppressed(rt.rule.id, rt.pendingSuppressed);
        rt.pendingSuppressed = 0;
      }
    }
  }
}
