// Named telemetry events of the Elasticsearch output (STYLE.md rule 9): one function per occurrence, a fixed
// sentence, structured fields, a counter. Nothing here logs per document: per-response figures only bump
// counters, and the log lines are about state changes (outage, spool, dead letters) an operator acts on.
// ERROR means data loss or operator action needed. Callers pass messages that are already free of secrets.

import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Logger } from './logger.types.js';
import { setHealthCondition } from './health.js';
import { counter, gauge, histogram } from './metrics.js';

/** The /health condition of an output while its requests fail: `output:<name>`. */
function outputCondition(
  output: string,
  state: 'failing' | 'unauthorised' | 'refused' | undefined,
  f: Record<string, unknown> = {},
): void {
  setHealthCondition(
    `output:${output}`,
    state === undefined ? undefined : { state, ...f, since: new Date().toISOString() },
  );
}

export interface EsMetrics {
  sent: Counter;
  delivered: Counter;
  duplicates: Counter;
  retried: Counter;
  deadLettered: Counter;
  spooled: Counter;
  dropped: Counter;
  requests: Counter;
  bytes: Counter;
  latency: Histogram;
  bufferedBytes: Gauge;
  spoolBytes: Gauge;
  failureStore: Counter;
}

/** The output's metrics, labelled by output name (the registry is shared, see metrics.ts). */
export function esMetrics(): EsMetrics {
  return {
    sent: counter('casguard_es_documents_sent_total', 'Documents put in bulk requests (every attempt).', [
      'output',
    ]),
    delivered: counter('casguard_es_documents_delivered_total', 'Documents stored (2xx or 409 on create).', [
      'output',
    ]),
    duplicates: counter(
      'casguard_es_documents_duplicate_total',
      'Documents answered 409 on create: already stored, counted as delivered.',
      ['output'],
    ),
    retried: counter('casguard_es_documents_retried_total', 'Documents scheduled for another attempt.', [
      'output',
      'reason',
    ]),
    deadLettered: counter(
      'casguard_es_documents_dead_lettered_total',
      'Documents Elasticsearch can never index, written to the dead-letter file.',
      ['output', 'code'],
    ),
    spooled: counter('casguard_es_documents_spooled_total', 'Documents written to the disk spool.', [
      'output',
    ]),
    dropped: counter(
      'casguard_es_documents_dropped_total',
      'Documents dropped from a full spool (spool.whenFull: drop-oldest).',
      ['output'],
    ),
    requests: counter('casguard_es_bulk_requests_total', 'Bulk requests by outcome.', ['output', 'outcome']),
    bytes: counter('casguard_es_bulk_bytes_total', 'Uncompressed NDJSON bytes sent in bulk requests.', [
      'output',
    ]),
    latency: histogram(
      'casguard_es_bulk_request_duration_seconds',
      'Bulk request latency.',
      ['output', 'outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ),
    bufferedBytes: gauge('casguard_es_buffered_bytes', 'Bytes of documents held in memory.', ['output']),
    spoolBytes: gauge('casguard_es_spool_bytes', 'Bytes in the disk spool.', ['output']),
    failureStore: counter(
      'casguard_es_documents_failure_store_total',
      'Documents Elasticsearch stored in the data stream failure store (a data-quality error).',
      ['output'],
    ),
  };
}

const events = (): Counter =>
  counter('casguard_es_events_total', 'Elasticsearch output state changes by event name.', [
    'output',
    'event',
  ]);

export function esOutageStarted(
  log: Logger,
  f: { output: string; reason: string; status?: number; retryInMs: number },
): void {
  events().inc({ output: f.output, event: 'outage_started' });
  const refused = /ECONNREFUSED|connection refused/i.test(f.reason);
  const unauthorised = f.status === 401 || f.status === 403;
  outputCondition(f.output, unauthorised ? 'unauthorised' : refused ? 'refused' : 'failing', {
    reason: f.reason,
    ...(f.status !== undefined ? { status: f.status } : {}),
  });
  log.warn('Elasticsearch is not accepting bulk requests; retrying with backoff', {
    event: unauthorised ? 'output_unauthorised' : refused ? 'output_refused' : 'output_failing',
    ...f,
  });
}

/** While an outage lasts: one line per interval (outage-gate.ts), so a long outage is never a single line. */
export function esOutageContinues(
  log: Logger,
  f: {
    output: string;
    reason: string;
    status?: number;
    downForMs: number;
    failedRequests: number;
    retryInMs: number;
  },
): void {
  log.warn('Elasticsearch is still not accepting bulk requests; documents are kept and retried', {
    event: 'output_still_failing',
    ...f,
  });
}

export function esOutageEnded(
  log: Logger,
  f: { output: string; durationMs: number; failedRequests: number },
): void {
  events().inc({ output: f.output, event: 'outage_ended' });
  outputCondition(f.output, undefined);
  log.info('Elasticsearch is accepting bulk requests again', { event: 'output_recovered', ...f });
}

export function esRequestNeedsOperator(
  log: Logger,
  f: { output: string; status: number | undefined; reason: string },
): void {
  events().inc({ output: f.output, event: 'request_needs_operator' });
  if (f.status === 401 || f.status === 403)
    outputCondition(f.output, 'unauthorised', { reason: f.reason, status: f.status });
  log.error(
    'Elasticsearch refused bulk requests for a reason only an operator can fix; documents are kept and retried',
    f,
  );
}

export function esDocumentsNeedOperator(
  log: Logger,
  f: { output: string; count: number; target: string; status: number; errorType: string; reason: string },
): void {
  events().inc({ output: f.output, event: 'documents_need_operator' });
  log.error(
    'Elasticsearch refused documents for a reason only an operator can fix (privileges, a missing index it may not create: run casguard setup, casguard test output); they are kept and retried (one line per interval)',
    f,
  );
}

export function esDocumentsDeadLettered(
  log: Logger,
  f: { output: string; count: number; code: string; target: string; reason: string; file?: string },
): void {
  events().inc({ output: f.output, event: 'dead_lettered' });
  log.error('Elasticsearch rejected documents; they were written to the dead-letter file', f);
}

export function esDocumentsTooLarge(
  log: Logger,
  f: { output: string; count: number; target: string; reason: string; file?: string },
): void {
  events().inc({ output: f.output, event: 'too_large' });
  log.error(
    'Elasticsearch refused documents as too large even when sent alone; they were written to the dead-letter file (one line per interval; check http.max_content_length and any proxy body limit)',
    f,
  );
}

export function esRequestSizeLimited(
  log: Logger,
  f: { output: string; refusedBytes: number; maxRequestBytes: number },
): void {
  events().inc({ output: f.output, event: 'request_size_limited' });
  log.warn(
    'Elasticsearch refused a bulk request as too large; batches are split and new ones kept below this size',
    f,
  );
}

export function esSpoolStarted(log: Logger, f: { output: string; bufferedBytes: number; dir: string }): void {
  events().inc({ output: f.output, event: 'spool_started' });
  log.warn('Elasticsearch outage outlasted the memory buffer; spooling batches to disk', f);
}

export function esStopSpooled(log: Logger, f: { output: string; documents: number; dir: string }): void {
  events().inc({ output: f.output, event: 'stop_spooled' });
  log.info(
    'Stopping: documents Elasticsearch had not acknowledged yet were written to the spool; they are sent first at the next start',
    f,
  );
}

export function esSpoolDrained(log: Logger, f: { output: string; dir: string }): void {
  events().inc({ output: f.output, event: 'spool_drained' });
  log.info('The disk spool is empty again', f);
}

export function esSpoolRecovered(
  log: Logger,
  f: { output: string; segments: number; bytes: number; dir: string },
): void {
  events().inc({ output: f.output, event: 'spool_recovered' });
  log.info('Found spooled batches from an earlier run; they are sent first', f);
}

export function esSpoolFull(
  log: Logger,
  f: { output: string; bytes: number; maxBytes: number; whenFull: string },
): void {
  events().inc({ output: f.output, event: 'spool_full' });
  log.error('The disk spool is full; inputs pause until Elasticsearch accepts documents again', f);
}

export function esSpoolDroppedOldest(
  log: Logger,
  f: { output: string; documents: number; segment: string },
): void {
  events().inc({ output: f.output, event: 'spool_dropped' });
  log.error('The disk spool is full; dropped its oldest batch (spool.whenFull: drop-oldest)', f);
}

export function esSpoolDamaged(
  log: Logger,
  f: {
    output: string;
    segment: string;
    documents: number;
    recovered: number;
    lostDocuments: number;
    damagedBytes: number;
  },
): void {
  events().inc({ output: f.output, event: 'spool_damaged' });
  counter(
    'casguard_es_spool_documents_lost_total',
    'Spooled documents that could not be recovered from a damaged or unreadable segment.',
    ['output'],
  ).inc({ output: f.output }, f.lostDocuments);
  log.error(
    'A spool segment was damaged; its readable documents are sent, the damaged bytes were written to the dead-letter file',
    f,
  );
}

export function esSpoolSegmentSetAside(
  log: Logger,
  f: { output: string; segment: string; documents: number; code: string; reason: string; movedTo?: string },
): void {
  events().inc({ output: f.output, event: 'spool_segment_set_aside' });
  counter(
    'casguard_es_spool_documents_lost_total',
    'Spooled documents that could not be recovered from a damaged or unreadable segment.',
    ['output'],
  ).inc({ output: f.output }, f.documents);
  log.error(
    f.movedTo
      ? 'A spool segment cannot be read; it was set aside with its documents (move it back once it is readable to send them)'
      : 'A spool segment cannot be read nor moved; it is skipped until the next start',
    f,
  );
}

export function esTlsVerificationDisabled(log: Logger, f: { output: string }): void {
  events().inc({ output: f.output, event: 'tls_verification_disabled' });
  log.warn(
    'TLS certificate verification is OFF for Elasticsearch (tls.verify: false); anyone on the path can read and alter what is shipped',
    f,
  );
}

export function esOutputInternalError(log: Logger, f: { output: string; reason: string }): void {
  events().inc({ output: f.output, event: 'internal_error' });
  log.error(
    'The Elasticsearch output could not record an outcome on disk; the documents stay unacknowledged and are read again after a restart',
    f,
  );
}

/** `replay` could not ask the cluster which ids it already holds (src/outputs/elasticsearch/known-ids-filter.ts). */
export function esKnownIdsCheckUnavailable(log: Logger, f: { target: string; reason: string }): void {
  events().inc({ output: 'elasticsearch', event: 'known_ids_check_unavailable' });
  log.warn(
    'replay cannot check which documents the cluster already holds; documents shipped before the last rollover may be stored twice (the check needs the read privilege on the streams)',
    f,
  );
}

/** `replay` left out documents the cluster already held in some backing index. */
export function esKnownIdsSkipped(log: Logger, f: { count: number }): void {
  if (f.count === 0) return;
  events().inc({ output: 'elasticsearch', event: 'known_ids_skipped' });
  log.info(
    'replay did not re-send documents the cluster already holds (in this or an older backing index)',
    f,
  );
}

/**
 * Documents Elasticsearch refuses item by item for a reason only an operator can fix (401/403 on one target,
 * 404 for an index it may not create) make `/health` degraded (`documents:<name>`) until every one of them is
 * stored: the requests themselves succeed, so the output's own condition stays clear.
 */
export function esDocumentsRefusedCondition(
  log: Logger,
  f: {
    output: string;
    state: 'unauthorised' | 'refused' | undefined;
    target?: string;
    status?: number;
    reason?: string;
  },
): void {
  const { output, state, ...detail } = f;
  setHealthCondition(
    `documents:${output}`,
    state === undefined ? undefined : { state, ...detail, since: new Date().toISOString() },
  );
  if (state === undefined) {
    events().inc({ output, event: 'documents_accepted_again' });
    log.info('Elasticsearch stores the documents it had refused item by item again', {
      event: 'documents_accepted_again',
      output,
    });
  } else {
    events().inc({ output, event: 'documents_refused' });
    log.warn('Elasticsearch refuses documents item by item; /health is degraded until they are stored', {
      event: 'documents_refused',
      output,
      state,
      ...detail,
    });
  }
}
