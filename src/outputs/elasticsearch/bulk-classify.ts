// The ONE table that decides what happens to every bulk item and every failed bulk request (STYLE.md rule 7,
// detection.md part 5.3). Everything else in the output only carries out these verdicts, so the rules can be
// read, reviewed and tested in one place. Mature shippers get this wrong in known ways (shippers.md A2, C7):
// Fluent Bit counts a request as delivered when any item succeeded, Vector drops failed items by default, the
// client's bulk helper retries only 429s and drops 409s. Here:
//
//   item status                          verdict
//   2xx                                  delivered
//   2xx with failure_store "used"        dead-letter: Elasticsearch refused the document and kept it in the data
//                                        stream's failure store (9.1+, on by default for `logs-*-*` streams made
//                                        from the built-in `logs` template from 9.2); it is not in the stream,
//                                        so it is not delivered (elastic/elasticsearch#112816: the item carries
//                                        no error; the reason is in the failure document)
//   409 on `create`                      delivered: the deterministic id is already stored (a retry of a request
//                                        whose answer we lost)
//   409 on `index`                       retry (a concurrent write; the next attempt replaces it)
//   429                                  retry with backoff (es_rejected_execution_exception: back-pressure)
//   5xx                                  retry with backoff
//   401, 403                             retry with backoff, reported as needing an operator (privileges, or a
//                                        cluster_block_exception such as the disk flood stage: beats#12572 shows
//                                        that dropping these loses data)
//   404 index_not_found_exception        retry with backoff, reported as needing an operator: the target does
//                                        not exist and may not be auto-created (`action.auto_create_index: false`
//                                        and no template with `allow_auto_create`, e.g. before `casguard setup`);
//                                        the document is fine, the cluster is not ready (issue 13, finding 6)
//   other 4xx (400 document_parsing_exception, mapper_parsing_exception, strict_dynamic_mapping_exception,
//   illegal_argument_exception, other 404s ...)  dead-letter with the reason: it can never be indexed as is
//   no status, 0, or anything but 2xx,    retry with backoff: the outcome is unknown, not a refusal (seen from a
//   4xx, 5xx (e.g. `errors: true` with     hostile or broken endpoint: 20,000 of 20,000 documents were
//   `unavailable_shards_exception` and     dead-lettered when these counted as refused); `create` + ids make
//   no status)                             the re-send harmless
//
//   whole request                        verdict
//   transport error, timeout, reset      retry the whole batch (the server may have applied it: `create` + ids
//                                        make the re-send harmless)
//   413                                  split the batch in two and send the halves (one document: dead-letter,
//                                        and back off before the next request)
//   429, 5xx                             retry the whole batch, honouring Retry-After
//   401, 403                             retry the whole batch, reported as needing an operator
//   other 4xx                            retry the whole batch, reported as needing an operator (a request-level
//                                        400 means a header or proxy problem, never a bad document)

export type ItemVerdict = 'delivered' | 'duplicate' | 'retry' | 'dead-letter';
export type RequestVerdict = 'retry' | 'split' | 'retry-operator';

/** 2xx, 4xx or 5xx: a status that says what happened to an item. */
export function isKnownItemStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 599 && (status < 300 || status >= 400);
}

/**
 * `status` 0 = the answer gave the item no status; `failureStore` = the item's `failure_store`, if any;
 * `errorType` = the item's `error.type`, if any.
 */
export function classifyItem(
  op: 'create' | 'index',
  status: number,
  failureStore?: string,
  errorType?: string,
): ItemVerdict {
  if (!isKnownItemStatus(status)) return 'retry';
  if (status >= 200 && status < 300) return failureStore === 'used' ? 'dead-letter' : 'delivered';
  if (status === 409) return op === 'create' ? 'duplicate' : 'retry';
  if (status === 429 || status >= 500) return 'retry';
  if (itemNeedsOperator(status, errorType)) return 'retry';
  return 'dead-letter';
}

/** A refused item only an operator can fix (privileges, a block, a target that may not be created): retried. */
export function itemNeedsOperator(status: number, errorType?: string): boolean {
  return status === 401 || status === 403 || (status === 404 && errorType === 'index_not_found_exception');
}

/** `status` undefined = no HTTP answer (connection refused or reset, timeout, TLS failure). */
export function classifyRequest(status: number | undefined): RequestVerdict {
  if (status === undefined) return 'retry';
  if (status === 413) return 'split';
  if (status === 429 || status >= 500) return 'retry';
  return 'retry-operator';
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}
