// Elasticsearch's error shape. Every refusal of the test server is an EsError, serialized as Elasticsearch's
// REST layer does (ElasticsearchException#generateFailureXContent):
//   {"error": {"root_cause": [...], "type": ..., "reason": ..., "caused_by": {...}, ...}, "status": N}
// `root_cause` follows ElasticsearchException#guessRootCauses: for an Elasticsearch exception, the innermost
// Elasticsearch exception of the `caused_by` chain; for a plain Java exception at the top
// (illegal_argument_exception, x_content_parse_exception...), that exception itself.
// Bulk items carry only `{type, reason, caused_by}` (BulkItemResponse.Failure), without root_cause.

/** Exception types that are plain Java/Lucene/XContent exceptions, not ElasticsearchException subclasses. */
const NOT_ES_EXCEPTIONS = new Set([
  'illegal_argument_exception',
  'illegal_state_exception',
  'number_format_exception',
  'date_time_parse_exception',
  'max_bytes_length_exceeded_exception',
  'x_content_parse_exception',
  'named_object_not_found_exception',
  'json_parse_exception',
  'arithmetic_exception',
  'unsupported_operation_exception',
  'validation_exception',
]);

export interface EsCause {
  type: string;
  reason: string;
  caused_by?: EsCause;
  [key: string]: unknown;
}

export class EsError extends Error {
  readonly causedBy: EsCause | undefined;
  /** Root causes when Elasticsearch reports other ones than the cause chain (search shard failures). */
  rootCauses: EsCause[] | undefined;
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
    readonly extra: Record<string, unknown> = {},
    causedBy?: EsCause | EsError,
    /** Response headers (e.g. WWW-Authenticate on a 401), several values per name. */
    readonly headers: Record<string, string[]> = {},
  ) {
    super(reason);
    this.causedBy = causedBy instanceof EsError ? causedBy.toCause() : causedBy;
  }

  get reason(): string {
    return this.message;
  }

  /** `{type, reason, ...extra, caused_by}` as in a bulk item or a `caused_by` entry. */
  toCause(): EsCause {
    const header =
      Object.keys(this.headers).length > 0
        ? {
            header: Object.fromEntries(
              Object.entries(this.headers).map(([k, v]) => [k, v.length === 1 ? v[0] : v]),
            ),
          }
        : {};
    return {
      type: this.type,
      reason: this.message,
      ...this.extra,
      ...header,
      ...(this.causedBy ? { caused_by: this.causedBy } : {}),
    };
  }
}

/** ElasticsearchException#guessRootCauses on a serialized cause chain. */
function rootCause(top: EsCause): EsCause {
  if (NOT_ES_EXCEPTIONS.has(top.type)) return top;
  let cur = top;
  while (cur.caused_by && !NOT_ES_EXCEPTIONS.has(cur.caused_by.type)) cur = cur.caused_by;
  return cur;
}

/** The body Elasticsearch sends for a failed request. */
export function errorBody(e: EsError): { error: Record<string, unknown>; status: number } {
  const top = e.toCause();
  const roots = (e.rootCauses ?? [rootCause(top)]).map((r) => {
    const { caused_by: _drop, ...rootWithoutCause } = r;
    return rootWithoutCause;
  });
  return { error: { root_cause: roots, ...top }, status: e.status };
}

/** A cause entry (for `caused_by`). */
export function cause(type: string, reason: string, causedBy?: EsCause): EsCause {
  return { type, reason, ...(causedBy ? { caused_by: causedBy } : {}) };
}

export function illegalArgument(reason: string, causedBy?: EsCause): EsError {
  return new EsError(400, 'illegal_argument_exception', reason, {}, causedBy);
}

/** Java's Map#toString / List#toString, as Elasticsearch prints values in messages. */
export function javaToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(javaToString).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${javaToString(x)}`)
      .join(', ')}}`;
  return String(v as string | number | boolean);
}
