// Named telemetry events of the detection engine (STYLE.md rule 9): one function per occurrence, a fixed
// sentence, structured fields, a counter. Per-document work is only counted, never logged.

import type { Logger } from './logger.types.js';
import { counter, gauge } from './metrics.js';

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

/**
 * `reason`: 'capacity' (maxKeysPerRule reached: least recently active keys below threshold dropped), 'idle'
 * (event time moved past the key's window), 'alert_capacity' (twice maxKeysPerRule of keys with open alerts:
 * the least recently active alerts closed and dropped).
 */
export function detectStateEvicted(
  ruleId: string,
  reason: 'capacity' | 'idle' | 'alert_capacity',
  n = 1,
): void {
  evicted().inc({ rule: ruleId, reason }, n);
}

/** Keys held per rule (set in batches, with the evaluation metrics). */
export function detectStateKeys(ruleId: string, keys: number): void {
  gauge('casguard_detect_state_keys', 'Per-key detection states held, per rule.', ['rule']).set(
    { rule: ruleId },
    keys,
  );
}

export function detectKeysEvicted(
  logger: Logger,
  fields: { rule: string; evicted: number; keys: number; maxKeys: number },
): void {
  logger.warn(
    'detection state for a rule is full; the least recently active keys below threshold were evicted',
    fields,
  );
}

export function detectCapacityExceeded(
  logger: Logger,
  fields: { rule: string; keys: number; maxKeys: number },
): void {
  logger.warn(
    'every key of a detection rule has an open alert or is at its threshold; the rule holds more keys than maxKeysPerRule',
    fields,
  );
}

export function detectAlertsEvicted(
  logger: Logger,
  fields: { rule: string; evicted: number; keys: number; ceiling: number },
): void {
  logger.error(
    'detection state for a rule holds twice maxKeysPerRule keys with open alerts; the least recently active alerts were closed and evicted (raise detect.maxKeysPerRule)',
    fields,
  );
}

const future = () =>
  counter(
    'casguard_detect_future_documents_total',
    'Documents whose @timestamp is further ahead of the agent clock than detect.maxFutureSkewMs: shipped, not evaluated.',
  );

/** Counted per document (rare); logged by detectFutureDocumentsSkipped at most once per interval. */
export function detectFutureDocument(): void {
  future().inc();
}

export function detectFutureDocumentsSkipped(
  logger: Logger,
  fields: { documents: number; maxFutureSkewMs: number; latest: string; agentTime: string },
): void {
  logger.warn(
    'documents dated too far ahead of the agent clock were shipped but not used for detection (windows do not move)',
    fields,
  );
}

const savedBytes = () =>
  counter(
    'casguard_detect_state_written_bytes_total',
    'Bytes of detection state written to the data folder.',
  );
const stateBytes = () =>
  gauge('casguard_detect_state_bytes', 'Size of the saved detection state (base file plus journal).');

export function detectStateSaved(written: number, totalBytes: number): void {
  savedBytes().inc(written);
  stateBytes().set(totalBytes);
}

export function detectStateRestoreFailed(logger: Logger, reason: string): void {
  counter(
    'casguard_detect_restore_failures_total',
    'Saved detection states that could not be restored.',
  ).inc();
  logger.error('saved detection state could not be restored; detection starts empty', { reason });
}

export function detectStateSaveFailed(logger: Logger, fields: { path: string; error: string }): void {
  counter(
    'casguard_detect_state_save_failures_total',
    'Saves of the detection state that failed (retried in full at the next interval).',
  ).inc();
  logger.error('detection state could not be saved; the next save writes it in full', fields);
}

export function detectRulesLoaded(logger: Logger, count: number, source: string): void {
  logger.info('detection rules loaded', { count, source });
}
