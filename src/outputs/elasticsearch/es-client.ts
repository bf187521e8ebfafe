// Builds the @elastic/elasticsearch client from the output settings, and the bulk transport on top of it.
//
// Client line: 9.4.x on Node 20, speaking the 8.x REST dialect (`compatible-with=8` on Accept and on both
// Content-Types) so the same agent works against 8.x and 9.x clusters: a 9.x client with its default headers
// fails on every call against 8.x (elastic/elasticsearch-js#2909), and Elasticsearch 9 honours
// compatible-with=8 (dependencies.md 3.1, 3.2). The test server enforces the same header rule.
// `maxRetries: 0`: the transport's own retries are immediate and blind; the delivery layer retries with
// backoff. Credentials never reach a log line or error message: every message passes `scrub`.
// Compression: the client's own gzip runs at zlib's default level 6, about 14 µs of CPU per 1.8 KB document on
// the harness machine, half again what casguard spends on the document itself. Bulk bodies are therefore
// gzipped here at `compressionLevel` (default 1: ~5 µs, ratio ~8 instead of ~11, like Filebeat's default),
// asynchronously in libuv's thread pool; the client compresses nothing (other requests are small).

import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Client, errors } from '@elastic/elasticsearch';
import { CasguardError, describeError } from '../../pipeline/errors.js';
import { redactText, REDACTED } from '../../pipeline/redact.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { esTlsVerificationDisabled } from '../../telemetry/elasticsearch-events.js';
import type { BulkItemResult, BulkSendResult, BulkTransport } from '../delivery/bulk-transport.types.js';
import { AllCreated, BulkAnswerSerializer } from './bulk-answer.js';
import { parseRetryAfter } from './bulk-classify.js';
import type { ElasticsearchOutputConfig } from './elasticsearch.config.js';

// The ESM build of the client does not export ClientOptions by name.
type ClientOptions = ConstructorParameters<typeof Client>[0];

export const COMPAT_VERSION = 8;
export const JSON_COMPAT = `application/vnd.elasticsearch+json; compatible-with=${COMPAT_VERSION}`;
export const NDJSON_COMPAT = `application/vnd.elasticsearch+x-ndjson; compatible-with=${COMPAT_VERSION}`;
/** Only what the item table needs; shrinks a 2,000-item answer to a few kilobytes. */
export const BULK_FILTER_PATH =
  'errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.failure_store';

/** A function that removes this configuration's secrets (and generic credentials) from any text. */
export function secretScrubber(
  cfg: Pick<ElasticsearchOutputConfig, 'apiKey' | 'password' | 'username'> &
    Partial<Pick<ElasticsearchOutputConfig, 'hosts'>>,
): (text: string) => string {
  const secrets: string[] = [];
  // A host URL's user info (`https://elastic:p%40ss@es:9200`): the password as written and decoded, and the
  // Basic credentials the client builds from it.
  for (const h of cfg.hosts ?? []) {
    let url: URL;
    try {
      url = new URL(h);
    } catch {
      continue;
    }
    if (url.password === '') continue;
    const decode = (x: string): string => {
      try {
        return decodeURIComponent(x);
      } catch {
        return x;
      }
    };
    const user = decode(url.username);
    const pass = decode(url.password);
    secrets.push(url.password, pass, Buffer.from(`${user}:${pass}`).toString('base64'));
  }
  if (cfg.apiKey) {
    secrets.push(cfg.apiKey);
    // An encoded id:key reveals its parts; a raw id:key is what some users paste.
    try {
      const decoded = Buffer.from(cfg.apiKey, 'base64').toString('utf8');
      if (/^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded)) secrets.push(...decoded.split(':').slice(1), decoded);
    } catch {
      // not base64
    }
  }
  if (cfg.password) {
    secrets.push(cfg.password);
    if (cfg.username) secrets.push(Buffer.from(`${cfg.username}:${cfg.password}`).toString('base64'));
  }
  const list = secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = redactText(text);
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}

export interface BuiltClient {
  readonly client: Client;
  readonly scrub: (text: string) => string;
}

/** Client options from the settings (exported for tests: no secrets in anything but `auth`). */
export function clientOptions(cfg: ElasticsearchOutputConfig): ClientOptions {
  const tls: NonNullable<ClientOptions['tls']> = { rejectUnauthorized: cfg.tls.verify };
  if (cfg.tls.caFile !== undefined) {
    try {
      tls.ca = readFileSync(cfg.tls.caFile, 'utf8');
    } catch (e) {
      throw new CasguardError(
        'CONFIG_INVALID',
        `cannot read tls.caFile ${cfg.tls.caFile}: ${describeError(e)}`,
        {
          cause: e,
        },
      );
    }
  }
  const opts: ClientOptions = {
    maxRetries: 0,
    requestTimeout: cfg.requestTimeoutMs,
    compression: false, // bulk bodies are gzipped by EsBulkTransport (see the header comment)
    headers: { accept: JSON_COMPAT, 'content-type': JSON_COMPAT },
    tls,
    // Errors carry the request in their metadata. 'remove' drops its headers (the credentials) and the connection
    // (its URL) in place. The default 'replace' deep-copies the metadata with Object.entries, the bulk body
    // included: a 5 MiB Buffer became five million entries and every failed bulk request (503, reset) blocked
    // the agent for about 7 s (shared harness fault run). We scrub every message we log as well.
    redaction: { type: 'remove' },
    // Recognises the usual bulk answer (every create succeeded) without parsing it (bulk-answer.ts).
    Serializer: BulkAnswerSerializer,
  };
  if (cfg.cloudId !== undefined) opts.cloud = { id: cfg.cloudId };
  else opts.nodes = cfg.hosts;
  if (cfg.apiKey !== undefined) opts.auth = { apiKey: cfg.apiKey };
  else if (cfg.username !== undefined) opts.auth = { username: cfg.username, password: cfg.password ?? '' };
  if (cfg.tls.caFingerprint !== undefined) opts.caFingerprint = cfg.tls.caFingerprint;
  return opts;
}

export function createEsClient(
  cfg: ElasticsearchOutputConfig,
  logger: Logger,
  output = 'elasticsearch',
): BuiltClient {
  if (!cfg.tls.verify) esTlsVerificationDisabled(logger, { output });
  const scrub = secretScrubber(cfg);
  let client: Client;
  try {
    client = new Client(clientOptions(cfg));
  } catch (e) {
    if (e instanceof CasguardError) throw e;
    throw new CasguardError('CONFIG_INVALID', `Elasticsearch client settings: ${scrub(describeError(e))}`);
  }
  return { client, scrub };
}

/** A secret-free one-line description of an HTTP error answer: status, error type and reason, Retry-After. */
function describeHttpFailure(
  status: number | undefined,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  scrub: (t: string) => string,
): { status?: number; errorType?: string; reason: string; retryAfterMs?: number } {
  const err = (body as { error?: { type?: string; reason?: string } | string } | undefined)?.error;
  const type = typeof err === 'object' ? err?.type : undefined;
  const reason = typeof err === 'object' ? (err?.reason ?? type) : typeof err === 'string' ? err : undefined;
  const ra = headers['retry-after'];
  const retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra);
  return {
    status,
    ...(type !== undefined ? { errorType: type } : {}),
    reason: scrub(
      `HTTP ${status}${type ? ` ${type}` : ''}${reason && reason !== type ? `: ${reason}` : ''}${statusHint(status)}`,
    ),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** What an operator can do about a connection failure, when its message says enough. */
export function connectionHint(message: string): string {
  if (
    /wrong version number|packet length too long|EPROTO|ssl3_get_record|record layer failure/i.test(message)
  )
    return ' (the TLS handshake failed: this port answers plain HTTP; write http:// in outputs.elasticsearch.hosts, or enable TLS on the cluster)';
  if (/ECONNREFUSED/.test(message))
    return ' (nothing listens there: is Elasticsearch running, and are the host and port right?)';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(message))
    return ' (the host name does not resolve: check outputs.elasticsearch.hosts)';
  if (/self[- ]signed|unable to verify|certificate/i.test(message))
    return ' (the server certificate is not trusted: set outputs.elasticsearch.tls.ca or tls.caFingerprint)';
  return '';
}

function statusHint(status: number | undefined): string {
  if (status === 401)
    return " (check the credentials: apiKey is the 'encoded' value Elasticsearch returned, or id:api_key; or username and password)";
  if (status === 403) return ' (the credentials lack a privilege: `casguard test output` names which)';
  return '';
}

/** A secret-free one-line description of a client error, with its HTTP status when there was an answer. */
export function describeEsError(
  e: unknown,
  scrub: (t: string) => string,
): { status?: number; errorType?: string; reason: string; retryAfterMs?: number; connectionLost?: boolean } {
  if (e instanceof errors.ResponseError) {
    const headers = (e.meta?.headers ?? {}) as Record<string, string | string[] | undefined>;
    return describeHttpFailure(e.statusCode, e.body, headers, scrub);
  }
  if (e instanceof errors.TimeoutError) return { reason: scrub(`request timed out: ${e.message}`) };
  if (e instanceof errors.ConnectionError) {
    return {
      reason: scrub(`connection failed: ${e.message}${connectionHint(e.message)}`),
      ...(lostMidRequest(e.message) ? { connectionLost: true } : {}),
    };
  }
  if (e instanceof errors.ProductNotSupportedError)
    return {
      status: 502,
      reason: 'the server did not identify as Elasticsearch (x-elastic-product header missing)',
    };
  return { reason: scrub(describeError(e)) };
}

/**
 * True when a connection was closed or reset by the other side after the request started (not a failure to
 * connect). Elasticsearch answers a body over `http.max_content_length` with 413 and closes the connection,
 * possibly before reading the body; the client may then see only the reset (undici: "other side closed",
 * "read ECONNRESET", "write EPIPE").
 */
export function lostMidRequest(message: string): boolean {
  if (/^connect |ENOTFOUND|EAI_AGAIN|getaddrinfo|Connect Timeout/i.test(message)) return false;
  return /other side closed|ECONNRESET|EPIPE|socket hang up|\bclosed\b/i.test(message);
}

interface RawBulkItem {
  status?: number;
  error?: { type?: string; reason?: string };
  failure_store?: string;
}

const gzipAsync = promisify(gzip);

/** The result of an item without an error or failure store, per status: shared, the usual case allocates nothing. */
const PLAIN_ITEMS = new Map<number, BulkItemResult>();

function plainItem(status: number): BulkItemResult {
  let plain = PLAIN_ITEMS.get(status);
  if (plain === undefined) {
    plain = Object.freeze({ status });
    // Only HTTP statuses are kept (a foreign answer's odd numbers must not grow the table).
    if (Number.isInteger(status) && status >= 0 && status < 600) PLAIN_ITEMS.set(status, plain);
  }
  return plain;
}

/** The results of an all-created answer of `n` items (bulk-answer.ts): one array per count, reused. */
let createdResults: readonly BulkItemResult[] = [];

function allCreatedResults(n: number): readonly BulkItemResult[] {
  if (createdResults.length !== n)
    createdResults = Object.freeze(new Array<BulkItemResult>(n).fill(plainItem(201)));
  return createdResults;
}

/**
 * The answer's items as results, in place (the parsed answer is ours; a 5,000-item answer cost 1 µs and 220 bytes
 * per document when each item was copied, issue 16).
 */
function bulkItemResults(raw: Record<string, RawBulkItem>[], scrub: (t: string) => string): BulkItemResult[] {
  const items = raw as unknown as BulkItemResult[];
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i]!;
    let v: RawBulkItem | undefined;
    // The item's one key is its op (`create`, `index`).
    for (const op in entry) {
      v = entry[op];
      break;
    }
    const status = typeof v?.status === 'number' ? v.status : 0;
    if (v?.error === undefined && v?.failure_store === undefined) {
      items[i] = plainItem(status);
      continue;
    }
    items[i] = {
      status,
      ...(v.error?.type !== undefined ? { errorType: v.error.type } : {}),
      ...(v.error?.reason !== undefined ? { reason: scrub(v.error.reason) } : {}),
      ...(v.failure_store !== undefined ? { failureStore: v.failure_store } : {}),
    };
  }
  return items;
}

/**
 * Every HTTP error status. A bulk request refused as a whole (429, 503, 413, ...) comes back as an answer with its
 * headers (Retry-After) instead of a thrown error: the client's error redaction ('remove', see clientOptions)
 * deletes an error's response headers.
 */
const ERROR_STATUSES: number[] = Array.from({ length: 200 }, (_, i) => 400 + i); // never mutated

/** Why a request was aborted by casguard itself. */
type AbortCause = 'deadline' | 'stopping';

/**
 * The bulk transport used on the service path: one `client.bulk()` per batch, never the bulk helper.
 *
 * `requestTimeoutMs` is a deadline for the whole exchange (sending the body, the headers and the whole answer).
 * The client's own `requestTimeout` is undici's headers and body timeouts, which restart with every byte: a
 * server trickling one byte a second held both request slots for minutes. At the deadline the request is
 * aborted, which drops its connection, and the batch is retried like any request without an answer.
 */
export class EsBulkTransport implements BulkTransport {
  /** Present only when bodies are gzipped: the delivery layer starts it when a batch is sealed. */
  readonly encode: ((body: Buffer) => Promise<Buffer>) | undefined;
  /** Requests in flight, aborted by `abort()` (the agent's stop deadline). */
  private readonly inFlight = new Map<AbortController, { cause?: AbortCause }>();

  /**
   * @param gzipLevel gzip bulk bodies at this level (1-9); undefined sends them as they are.
   * @param requestTimeoutMs deadline of a whole request; undefined = none (the client's idle timeouts only).
   */
  constructor(
    private readonly client: Client,
    private readonly scrub: (t: string) => string,
    private readonly gzipLevel?: number,
    private readonly requestTimeoutMs?: number,
  ) {
    this.encode = gzipLevel === undefined ? undefined : (body) => gzipAsync(body, { level: gzipLevel });
  }

  /** Abort every request in flight (each answers a request-level failure at once). */
  abort(): void {
    for (const [ac, state] of this.inFlight) {
      state.cause ??= 'stopping';
      ac.abort();
    }
  }

  async send(body: Buffer, docs: number, encoded?: Promise<Buffer>, index?: string): Promise<BulkSendResult> {
    const ac = new AbortController();
    const state: { cause?: AbortCause } = {};
    this.inFlight.set(ac, state);
    const ms = this.requestTimeoutMs;
    const deadline =
      ms === undefined
        ? undefined
        : setTimeout(() => {
            state.cause ??= 'deadline';
            ac.abort();
          }, ms);
    try {
      const r = await this.exchange(body, docs, encoded, index, ac.signal);
      if (state.cause !== undefined && r.kind === 'failed') return this.abortedResult(state.cause);
      return r;
    } finally {
      clearTimeout(deadline);
      this.inFlight.delete(ac);
    }
  }

  private abortedResult(cause: AbortCause): BulkSendResult {
    return cause === 'deadline'
      ? {
          kind: 'failed',
          reason: `no complete answer within requestTimeoutMs (${this.requestTimeoutMs} ms); connection dropped`,
          timedOut: true,
        }
      : { kind: 'failed', reason: 'request aborted: the agent is stopping' };
  }

  private async exchange(
    body: Buffer,
    docs: number,
    encoded: Promise<Buffer> | undefined,
    index: string | undefined,
    signal: AbortSignal,
  ): Promise<BulkSendResult> {
    try {
      const level = this.gzipLevel;
      const payload = level === undefined ? body : await (encoded ?? gzipAsync(body, { level }));
      const headers: Record<string, string> = { 'content-type': NDJSON_COMPAT, accept: JSON_COMPAT };
      if (level !== undefined) headers['content-encoding'] = 'gzip';
      const res = await this.client.bulk(
        // Pre-serialized NDJSON (a Buffer) is sent as is (dependencies.md 3.5); the types only allow arrays.
        // `index`: `POST /<index>/_bulk`, the default of action lines without `_index` (batch.ts).
        {
          ...(index !== undefined ? { index } : {}),
          operations: payload as never,
          filter_path: BULK_FILTER_PATH,
        },
        { headers, maxRetries: 0, meta: true, ignore: ERROR_STATUSES, signal },
      );
      if (res.statusCode !== null && res.statusCode >= 400) {
        const h = res.headers as Record<string, string | string[] | undefined>;
        return { kind: 'failed', ...describeHttpFailure(res.statusCode, res.body, h, this.scrub) };
      }
      const items =
        res.body instanceof AllCreated
          ? allCreatedResults(res.body.count)
          : bulkItemResults((res.body as { items?: Record<string, RawBulkItem>[] }).items ?? [], this.scrub);
      if (items.length !== docs) {
        return {
          kind: 'failed',
          status: 200,
          reason: `bulk answer has ${items.length} items for ${docs} documents`,
        };
      }
      return { kind: 'items', items };
    } catch (e) {
      return { kind: 'failed', ...describeEsError(e, this.scrub) };
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
