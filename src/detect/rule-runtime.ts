// One enabled rule compiled for evaluation: its kind, predicates, key, window and suppression parameters, the
// keyed state it holds and its statistics. Pure data plus derived numbers; the engine's other parts act on it.

import type { AlertBuildContext, ServerFacts } from './alert-document.js';
import { compileCondition, compileKey, type CompiledKey, type Predicate } from './condition.js';
import type { KeyState } from './key-state.js';
import { alertKeyFields, parseDuration, ruleKind, type Rule } from './rule.schema.js';

export interface RuleStats {
  raised: number;
  updated: number;
  suppressed: number;
  keys: number;
}

export class RuleRuntime {
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
  /**
   * Array mode: window count from which a threshold key's partial count is published (ceil(fraction × need));
   * 0 when off or for other kinds.
   */
  readonly shareNeed: number;
  /** Array mode: emitted documents carry their AlertShareFacts. */
  readonly shares: boolean;
  readonly buildCtx: AlertBuildContext;
  readonly states = new Map<string, KeyState>();
  stats: RuleStats = { raised: 0, updated: 0, suppressed: 0, keys: 0 };
  pendingSuppressed = 0;
  /** Recency counter stamped on a key at each use (KeyState.used). */
  clock = 0;
  /** Keys dropped since the state was last saved (the saved state must forget them too). */
  removed: string[] = [];
  /** Eviction log rate limit (key-store.ts). */
  evictedSinceLog = 0;
  lastEvictionLogAt = Number.NEGATIVE_INFINITY;
  warnedOverCapacity = false;

  constructor(
    readonly rule: Rule,
    latenessMs: number,
    namespace: string,
    hostFacts: (h: string) => ServerFacts | undefined,
    shareFraction = 0,
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
    this.shares = shareFraction > 0;
    this.shareNeed =
      this.kind === 'threshold' && shareFraction > 0 && shareFraction < 1
        ? Math.max(1, Math.ceil(shareFraction * this.need))
        : 0;
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
}
