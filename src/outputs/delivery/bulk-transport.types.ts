// What the delivery layer needs from a bulk endpoint: send one pre-serialized NDJSON body, get per-item
// statuses back in request order, or a request-level failure. Implementations never throw for expected
// conditions (STYLE.md rule 8): a refused connection or a 503 is a value. Reasons must be free of secrets.

export interface BulkItemResult {
  /** HTTP status of the item; 0 when the answer gave none (an unknown outcome, retried). */
  readonly status: number;
  /** Elasticsearch `error.type`, e.g. `document_parsing_exception`. */
  readonly errorType?: string;
  readonly reason?: string;
  /** `failure_store` of the item when the cluster reports it (`used`: stored in the failure store). */
  readonly failureStore?: string;
}

export type BulkSendResult =
  | { readonly kind: 'items'; readonly items: readonly BulkItemResult[] }
  | {
      readonly kind: 'failed';
      /** HTTP status; undefined when there was no answer (refused, reset, timeout, TLS). */
      readonly status?: number;
      readonly errorType?: string;
      readonly reason: string;
      readonly retryAfterMs?: number;
      /** The whole exchange did not finish within the request deadline (the connection was dropped). */
      readonly timedOut?: boolean;
      /**
       * The connection was closed or reset after the request started. Elasticsearch may close the connection of
       * a body over `http.max_content_length` before reading it, and the client may see only the reset.
       */
      readonly connectionLost?: boolean;
    };

export interface BulkTransport {
  /**
   * `body` is the NDJSON request body as UTF-8 (sent as is, without another copy); `docs` the number of items in
   * it, for checking the answer. The buffer may be a view of a larger one and must not be kept after the answer.
   * `index`: the request's default index (`POST /<index>/_bulk`), which action lines without `_index` go to;
   * undefined when every action line names its own (`POST /_bulk`).
   */
  send(body: Buffer, docs: number, encoded?: Promise<Buffer>, index?: string): Promise<BulkSendResult>;
  /**
   * Optional: start turning a body into its wire form (e.g. gzip) ahead of `send`, so the work overlaps the wait
   * for a free request slot. The delivery layer passes the promise back to `send` with the same body; a rejected
   * promise makes `send` answer a request-level failure.
   */
  encode?(body: Buffer): Promise<Buffer>;
  /** Optional: abort every request in flight now (the agent's stop deadline); each answers a failure. */
  abort?(): void;
  close(): Promise<void>;
}
