// Named telemetry events of the detection engine (STYLE.md rule 9): one function per occurrence, a fixed
// sentence, structured fields, a counter. Per-document work is only counted, never logged.

import type { Logger } from './logger.types.js';
import { counter } from './metrics.js';

const raised = () =>
  counter('casguard_alerts_raised_total', 'Alerts opened (first document of a rule, key and period).', [
    'rule',
  ]);
const updated = () =>
  counter('casguard_alerts_updated_total', 'Updated versions of open alerts emitted (same id).', ['rule']);
const suppressed = () =>
  counter(
    'casguard_alerts_suppressed_total',
    'Matching documents folded into an open alert without emitting a new version.',
    ['rule'],
  );
const evaluated = () =>
  counter('casguard_detect_documents_total', 'Documents evaluated by the detection engine.');
const evalSeconds = () =>
  counter(
    'casguard_detect_evaluation_seconds_total',
    'Time spent evaluating rules (sum; divide by casguard_detect_documents_total for the mean).',
  );
const evicted = () =>
  counter('casguard_detect_state_evicted_total', 'Per-key detection states dropped.', ['rule', 'reason']);

export function alertRaised(ruleId: string): void {
  raised().inc({ rule: ruleId });
}

export function alertUpdated(ruleId: string): void {
  updated().inc({ rule: ruleId });
}

export function alertSuppressed(ruleId: string, n = 1): void {
  suppressed().inc({ rule: ruleId }, n);
}

/** Called in batches (not per document) to keep the hot path cheap. */
export function detectEvaluated(documents: number, seconds: number): void {
  if (documents > 0) evaluated().inc(documents);
  if (seconds > 0) evalSeconds().inc(seconds);
}

/** `reason`: 'capacity' (maxKeysPerRule reached, least recently used key dropped) or 'idle'. */
export function detectStateEvicted(ruleId: string, reason: 'capacity' | 'idle', n = 1): void {
  evicted().inc({ rule: ruleId, reason }, n);
}

export function detectCapacityReached(logger: Logger, ruleId: string, maxKeys: number): void {
  logger.warn('detection state for a rule is full; least recently used keys are being evicted', {
    rule: ruleId,
    maxKeys,
  });
}

export function detectStateRestoreFailed(logger: Logger, reason: string): void {
  counter(
    'casguard_detect_restore_failures_total',
    'Saved detection states that could not be restored.',
  ).inc();
  logger.error('saved detection state could not be restored; detection starts empty', { reason });
}

export function detectRulesLoaded(logger: Logger, count: number, source: string): void {
  logger.info('detection rules loaded', { count, source });
}
