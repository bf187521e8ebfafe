// Single-document reads and writes with optimistic concurrency, the only cluster operations the array merge and
// the fleet view need: a real-time GET that returns `_seq_no`/`_primary_term`, and an index that succeeds only if
// the document is still at that version (`if_seq_no`/`if_primary_term`) or still absent (`op_type=create`).
// A 409 is a value (someone else wrote first: re-read and retry), not an exception. Anything else that fails is
// thrown as a CasguardError: recoverable for the network, 429 and 5xx (the caller backs off), not for other 4xx.
// See https://www.elastic.co/guide/en/elasticsearch/reference/current/optimistic-concurrency-control.html

import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { CasguardError, describeError } from '../../pipeline/errors.js';

export interface VersionedDoc {
  readonly source: unknown;
  readonly seqNo: number;
  readonly primaryTerm: number;
}

/** Where a write expects the document to be: at a version, or absent. */
export type Expected = { readonly seqNo: number; readonly primaryTerm: number } | 'absent' | 'any';

export type WriteResult = { readonly ok: true; readonly seqNo: number } | { readonly ok: false };

export interface DocStore {
  get(index: string, id: string): Promise<VersionedDoc | undefined>;
  put(index: string, id: string, body: unknown, expected: Expected): Promise<WriteResult>;
  search(index: string, body: Record<string, unknown>): Promise<unknown[]>;
  /** Abort every request in flight and refuse new ones (a stop must not wait for a stalled cluster). */
  abort(): void;
}

function statusOf(e: unknown): number | undefined {
  return e instanceof errors.ResponseError ? e.statusCode : undefined;
}

function failure(what: string, e: unknown, scrub: (t: string) => string): CasguardError {
  const status = statusOf(e);
  const recoverable = status === undefined || status === 429 || status >= 500;
  return new CasguardError(
    recoverable ? 'OUTPUT_UNAVAILABLE' : 'OUTPUT_REJECTED',
    scrub(`${what}: ${describeError(e)}`),
    { recoverable, cause: e },
  );
}

/** The store on the output's Elasticsearch client (8.x dialect, see es-client.ts). */
export class EsDocStore implements DocStore {
  private readonly inFlight = new Set<AbortController>();
  private aborted = false;

  constructor(
    private readonly client: Client,
    private readonly scrub: (t: string) => string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Per-request options: the deadline, no blind retries, and a signal abort() fires. */
  private options(): { requestTimeout: number; maxRetries: 0; signal: AbortSignal } {
    if (this.aborted)
      throw new CasguardError('OUTPUT_UNAVAILABLE', 'stopping: no more requests', { recoverable: true });
    const ac = new AbortController();
    this.inFlight.add(ac);
    ac.signal.addEventListener('abort', () => this.inFlight.delete(ac));
    return { requestTimeout: this.timeoutMs, maxRetries: 0, signal: ac.signal };
  }

  abort(): void {
    this.aborted = true;
    for (const ac of [...this.inFlight]) ac.abort();
  }

  async get(index: string, id: string): Promise<VersionedDoc | undefined> {
    try {
      const r = await this.client.get({ index, id }, this.options());
      if (!r.found || r._seq_no === undefined || r._primary_term === undefined) return undefined;
      return { source: r._source, seqNo: r._seq_no, primaryTerm: r._primary_term };
    } catch (e) {
      // 404: no such document, or no such index yet
      if (statusOf(e) === 404) return undefined;
      throw failure(`GET ${index}/_doc/${id}`, e, this.scrub);
    }
  }

  async put(index: string, id: string, body: unknown, expected: Expected): Promise<WriteResult> {
    try {
      const r = await this.client.index(
        {
          index,
          id,
          document: body,
          ...(expected === 'absent'
            ? { op_type: 'create' as const }
            : expected === 'any'
              ? {}
              : { if_seq_no: expected.seqNo, if_primary_term: expected.primaryTerm }),
        },
        this.options(),
      );
      return { ok: true, seqNo: r._seq_no ?? 0 };
    } catch (e) {
      if (statusOf(e) === 409) return { ok: false };
      throw failure(`PUT ${index}/_doc/${id}`, e, this.scrub);
    }
  }

  async search(index: string, body: Record<string, unknown>): Promise<unknown[]> {
    try {
      const r = await this.client.search(
        { index, ...body, ignore_unavailable: true, allow_no_indices: true },
        this.options(),
      );
      return r.hits.hits.map((h) => h._source);
    } catch (e) {
      if (statusOf(e) === 404) return [];
      throw failure(`GET ${index}/_search`, e, this.scrub);
    }
  }

  close(): Promise<void> {
    this.abort();
    return this.client.close();
  }
}
